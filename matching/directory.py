"""Directory search: the facet filters of the catalog combined with hybrid search."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Firm
from catalog.places import resolve_place
from catalog.queries import DirectoryFilters, firms_by_ids, supplier_query

from .engine import MatchEngine


@dataclass
class DirectoryPage:
    firms: list[Firm]
    total: int
    page: int
    per_page: int
    scores: dict[int, float] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)  # firm id → best capability id

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
) -> DirectoryPage:
    """Suppliers passing the filters; ranked by relevance to ``query`` when one is given."""
    page = max(1, page)
    filters, query = _place_query(session, filters, query)
    tagged = engine.firms_tagged(filters.part) if filters.part else None
    base = supplier_query(filters, tagged)
    if not query.strip():
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        firms = list(session.scalars(base.limit(per_page).offset((page - 1) * per_page)))
        loaded = firms_by_ids(session, [f.id for f in firms])
        return DirectoryPage([loaded[f.id] for f in firms], total, page, per_page)
    ranked = engine.search_firms(session, query, k=1000)
    # Only the ranked firms are asked about: not every supplier passing the filters
    # (37k of them at 100k capabilities, per search).
    ids = [fid for fid, _, _ in ranked]
    allowed = (
        set(session.scalars(base.with_only_columns(Firm.id).order_by(None).where(Firm.id.in_(ids))))
        if ids
        else set()
    )
    ordered = [r for r in ranked if r[0] in allowed]
    window = ordered[(page - 1) * per_page : page * per_page]
    loaded = firms_by_ids(session, [fid for fid, _, _ in window])
    return DirectoryPage(
        [loaded[fid] for fid, _, _ in window if fid in loaded],
        len(ordered),
        page,
        per_page,
        {fid: score for fid, score, _ in window},
        {fid: cap for fid, _, cap in window},
    )
