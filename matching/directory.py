"""Directory search: the facet filters of the catalog combined with hybrid search.

A search shows the firms whose best match is above the relevance threshold
(``matching.calibration``: the calibrated probability that maximised F1 of a relevant
match on the development set); the others are counted and shown only when asked
("Show weaker matches"). Scores are calibrated probabilities, comparable across
searches, not the per-query normalised score whose first result was always 100 %."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Firm
from catalog.places import resolve_place
from catalog.queries import DirectoryFilters, firms_by_ids, supplier_query

from . import calibration
from .engine import MatchEngine
from .query_terms import QueryTerms, constrain_ranking, understand


@dataclass
class DirectoryPage:
    firms: list[Firm]
    total: int
    page: int
    per_page: int
    scores: dict[int, float] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)  # firm id → best capability id
    weaker: int = 0  # matches below the relevance threshold, left out (or included)
    show_weaker: bool = False
    # The search's hard terms ("Understood: …") and each shown firm's checks of them.
    understood: QueryTerms = field(default_factory=QueryTerms)
    checks: dict[int, list] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _place_query(
    session: Session, filters: DirectoryFilters, query: str
) -> tuple[DirectoryFilters, str]:
    """A search that is only a province's name ("vinh phuc", "Thái Bình", "Vĩnh Yên"),
    on either map, filters by that province (a former one's firms for an old name)
    instead of searching for the words; short codes ("CM", "HT") stay words."""
    if filters.province or len(query.strip()) < 4:
        return filters, query
    place = resolve_place(session, query)
    if place is None:
        return filters, query
    code = place.former.code if place.renamed and place.former else place.province.code
    return dataclasses.replace(filters, province=code), ""


def search_directory(
    session: Session,
    engine: MatchEngine,
    filters: DirectoryFilters,
    query: str = "",
    page: int = 1,
    per_page: int = 20,
    dismissed: Collection[str] = (),
    show_weaker: bool = False,
) -> DirectoryPage:
    """Suppliers passing the filters; ranked by relevance to ``query`` when one is given,
    its hard terms (but the ``dismissed`` ones) checked and weighed
    (``query_terms.constrain_ranking``); only the matches above the relevance threshold
    unless ``show_weaker`` (``DirectoryPage.weaker`` counts the others)."""
    page = max(1, page)
    filters, query = _place_query(session, filters, query)
    tagged = engine.firms_tagged(filters.part) if filters.part else None
    base = supplier_query(filters, tagged)
    if not query.strip():
        # Counted without the order and the columns: a sorted subquery of whole rows
        # would sort every supplier before counting them.
        counted = base.with_only_columns(Firm.id).order_by(None).subquery()
        total = session.scalar(select(func.count()).select_from(counted)) or 0
        ids = list(
            session.scalars(
                base.with_only_columns(Firm.id).limit(per_page).offset((page - 1) * per_page)
            )
        )
        loaded = firms_by_ids(session, ids, materials=False)
        return DirectoryPage([loaded[i] for i in ids], total, page, per_page)
    hits = engine.search_firms(session, query, k=1000)
    calibrated = calibration.for_model(engine.encoder.model_name)
    ranked: list[tuple[int, float, int, bool]] = []  # firm, score, capability, strong
    for h in hits:
        p = calibrated.probability(h.fused, h) if calibrated is not None else None
        strong = calibrated is None or calibrated.is_strong(p)
        ranked.append((h.firm_id, h.fused if p is None else p, h.capability_id, strong))
    ranked.sort(key=lambda r: (-r[1], r[0]))
    understood = understand(query, engine.tagger, session, dismissed)
    ranked, checks = constrain_ranking(session, engine, ranked, understood)
    # Only the ranked firms are asked about: not every supplier passing the filters
    # (37k of them at 100k capabilities, per search).
    ids = [r[0] for r in ranked]
    allowed = (
        set(session.scalars(base.with_only_columns(Firm.id).order_by(None).where(Firm.id.in_(ids))))
        if ids
        else set()
    )
    ordered = [r for r in ranked if r[0] in allowed]
    weaker = sum(1 for r in ordered if not r[3])
    if not show_weaker:
        ordered = [r for r in ordered if r[3]]
    window = ordered[(page - 1) * per_page : page * per_page]
    loaded = firms_by_ids(session, [r[0] for r in window], materials=False)
    return DirectoryPage(
        [loaded[r[0]] for r in window if r[0] in loaded],
        len(ordered),
        page,
        per_page,
        {r[0]: r[1] for r in window},
        {r[0]: r[2] for r in window},
        weaker,
        show_weaker,
        understood=understood,
        checks={r[0]: checks[r[0]] for r in window if r[0] in checks},
    )
