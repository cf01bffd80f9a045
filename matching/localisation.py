"""Which open needs a province's own firms can serve, and the localisation-gap list.

The gap list is what an investment-promotion officer takes to investors: parts that
buyers here want and no local supplier makes well enough (the seeds' "nội địa hóa",
localisation, and "thu hút đầu tư" into missing links of the supply chain). Each open
need of the province is matched with the engine, exactly as its buyer sees it, and has
a *good local match* when its ranked list holds a supplier

* located in the province (the dashboard's; for all provinces, the buyer's) or in the
  need's delivery province,
* scoring at least ``GOOD_MATCH_THRESHOLD``,
* meeting every required constraint (the required certifications), and
* not failing the process check (see below).

Why 0.60. Scores blend min-max-normalised retrieval relevance (65 %) with structured
fit (35 %), so they are relative within one need: the best of a field scores high. On
the demo catalog (240 needs, 4,800 ranked matches; each need names a process, which
serves as ground truth for "this firm makes it") 98 % of matches scoring ≥ 0.60 declare
the needed process; in the 0.50-0.60 band it is 80 %, in 0.40-0.50 62 %. Below 0.60 a
"local match" would too often hide a real gap from the officer; above 0.70 genuine
local suppliers start to be called gaps (needs with a local match fall from 114 to
101). Because relevance is relative, a firm without the needed process can still reach
0.71 as the best of a poor field; such a match is not counted as good whatever its
score. The threshold is a parameter: an officer may ask for stricter lists.

Speed. ``MatchEngine.match_need`` encodes each need's query on its own, and for a few
hundred needs that dominates: 1.4 s a need, 5.5 minutes for the demo catalog's 240, on
a two-core machine busy with other work (load 5). Here the query vectors are computed
in batches and kept in the encoder's embedding cache (as "query" entries, keyed by the
exact text), and the needs are matched by a private engine sharing the loaded index
and reranker, so the scores are the engine's own (up to float rounding of batched
encoding). Measured the same way: 54 s for the 240 needs when no query was encoded
before, 17 s when only new or edited needs are, 4.7 s for one province's 58.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.dashboard import VIETNAM_TZ, Period, open_needs, province_info
from catalog.models import Concept, Need, as_utc, firm_sectors

from .concepts import expand_query
from .constraints import FAIL
from .documents import need_text
from .engine import FirmMatch, MatchEngine
from .opportunities import CERTIFICATION, PROCESS
from .opportunities import _missing as missing_requirements

GOOD_MATCH_THRESHOLD = 0.60
MATCH_LIMIT = 20  # the first page a buyer sees (webapp MATCH_LIMIT)
EXAMPLES = 3


@dataclass
class LocalMatch:
    firm_id: int
    firm_name: str
    province: str  # code
    capability_id: int
    score: float
    meets_all_required: bool
    process_ok: bool


@dataclass
class NearMiss:
    """A local supplier relevant enough for a need that lacks exactly one thing it can
    get (a certification, a process): the province's support could close it."""

    firm_id: int
    firm_name: str
    kind: str  # certification | process (``matching.opportunities`` requirement kinds)
    key: str  # the standard, or the process concept id
    name: str


@dataclass
class NeedLocalisation:
    """One open need and its best local supplier, if any."""

    need_id: int
    title: str
    buyer_id: int
    buyer_name: str
    buyer_province: str | None
    delivery_province: str | None
    posted: date | None
    process_id: str | None
    part_families: list[str]  # concept ids named in the need's title and description
    sectors: list[str]  # the sectors the need is counted in (see ``need_sectors``)
    local_provinces: list[str]
    best_local: LocalMatch | None  # the best-scoring local supplier in its list
    has_local_match: bool
    reason: str  # why not: ok | no_local_supplier | below_threshold | fails_required | process
    best_score: float | None  # the top match anywhere, for comparison
    near_misses: list[NearMiss] = field(default_factory=list)


@dataclass
class GapGroup:
    """Needs without a good local match that share a part family (or, failing that,
    a process), with examples for an investor briefing."""

    key: str | None  # concept id, None: named neither part family nor process
    kind: str  # part_family | process | none
    name_vi: str
    name_en: str
    sector_id: str | None
    needs: int
    buyers: int
    quantity_per_year: int  # summed where given (units as the needs state them)
    need_ids: list[int]
    examples: list[NeedLocalisation] = field(default_factory=list)

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass
class SectorGap:
    sector_id: str | None
    name_vi: str
    name_en: str
    needs: int
    groups: int  # part families / processes within the sector
    need_ids: list[int]
    examples: list[NeedLocalisation] = field(default_factory=list)

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass
class Localisation:
    province: str | None
    period: Period
    threshold: float
    limit: int
    needs: list[NeedLocalisation]
    by_part_family: list[GapGroup]  # largest first; a need naming two families is in both
    by_sector: list[SectorGap]  # largest first
    index_status: str
    seconds: float
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # concept id → (vi, en)

    @property
    def with_local(self) -> int:
        return sum(1 for n in self.needs if n.has_local_match)

    @property
    def without_local(self) -> int:
        return len(self.needs) - self.with_local

    @property
    def gaps(self) -> list[NeedLocalisation]:
        return [n for n in self.needs if not n.has_local_match]


class _BatchedQueries:
    """An encoder whose query vectors were computed up front, in batches.

    Misses (a text the engine builds differently) fall through to the real encoder, so
    results never depend on the precomputation, only their speed does.
    """

    def __init__(self, encoder: Any, texts: Iterable[str]):
        self._encoder = encoder
        self.model_name = encoder.model_name
        todo = list(dict.fromkeys(texts))
        vectors = encoder.encode_stored_queries(todo)[0] if todo else []
        self._vectors: dict[str, np.ndarray] = dict(zip(todo, vectors, strict=True))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._encoder.encode_queries(missing), strict=True))
        return np.vstack([self._vectors[t] for t in texts]).astype(np.float32)

    def encode_stored_queries(self, texts: list[str]) -> tuple[np.ndarray, int]:
        return self.encode_queries(texts), 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)


def batched_engine(engine: MatchEngine, needs: Sequence[Need]) -> MatchEngine:
    """An engine answering like ``engine`` whose query vectors for ``needs`` are ready.

    Without a loaded index (lexical fallback) no query is encoded: ``engine`` itself.
    """
    bundle = engine.bundle()
    if bundle is None:
        return engine
    texts = [expand_query(need_text(n), bundle.tagger) for n in needs]
    private = MatchEngine(None, _BatchedQueries(engine.encoder, texts), bundle=bundle)
    private.use_reranker(engine.reranker())
    return private


def need_part_families(engine: MatchEngine, need: Need) -> list[str]:
    """Part families the buyer named (title and description, in either language)."""
    tagger = engine.tagger
    found = []
    for hit in tagger.tag(f"{need.title}. {need.description}"):
        info = tagger.info(hit.concept_id)
        if info is not None and info.kind == "part_family":
            found.append(hit.concept_id)
    return found


def _process_ok(match: FirmMatch) -> bool:
    return not any(c.name == "process" and c.status == FAIL for c in match.checks)


def _judge(
    matches: list[FirmMatch],
    local: set[int],
    threshold: float,
) -> tuple[LocalMatch | None, bool, str]:
    """The best local match, whether it is good, and if not, why."""
    candidates = [m for m in matches if m.firm is not None and m.firm.province_id in local]
    if not candidates:
        return None, False, "no_local_supplier"
    good = [
        m for m in candidates if m.score >= threshold and m.meets_all_required and _process_ok(m)
    ]
    best = max(good or candidates, key=lambda m: (m.score, -m.firm_id))
    local_match = LocalMatch(
        best.firm_id,
        best.firm.display_name,
        best.firm.province.code if best.firm.province else "",
        best.capability_id,
        round(best.score, 4),
        best.meets_all_required,
        _process_ok(best),
    )
    if good:
        return local_match, True, "ok"
    if not any(m.score >= threshold for m in candidates):
        # Relevant enough before its requirements were checked: what keeps it out is a
        # requirement it fails (a missing certificate costs rank), not its relevance.
        if any(m.relevance >= threshold and not m.meets_all_required for m in candidates):
            return local_match, False, "fails_required"
        return local_match, False, "below_threshold"
    if not any(m.meets_all_required for m in candidates if m.score >= threshold):
        return local_match, False, "fails_required"
    return local_match, False, "process"


def near_misses(
    need: Need, matches: list[FirmMatch], local: set[int], threshold: float
) -> list[NearMiss]:
    """Local suppliers relevant to ``need`` (``threshold``) that miss exactly one
    requirement, and that one a certification or a process: one support away from it."""
    out = []
    for m in matches:
        if m.firm is None or m.firm.province_id not in local or m.relevance < threshold:
            continue
        missing = missing_requirements(need, m.checks)
        if len(missing) == 1 and missing[0].kind in (CERTIFICATION, PROCESS):
            gap = missing[0]
            out.append(NearMiss(m.firm_id, m.firm.display_name, gap.kind, gap.key, gap.name))
    return out


def localisation(
    session: Session,
    engine: MatchEngine,
    province_code: str | None,
    period: Period,
    *,
    threshold: float = GOOD_MATCH_THRESHOLD,
    limit: int = MATCH_LIMIT,
    examples: int = EXAMPLES,
    needs: Sequence[Need] | None = None,
) -> Localisation:
    """Open needs of the province (posted by the period's end, open today, readable by
    its officers: ``catalog.dashboard.needs_in_scope``) with and without a good local
    match, and the gaps grouped by part family and by sector.

    ``needs`` replaces the province's open needs (a caller that already has them).
    """
    started = time.perf_counter()
    province = province_info(session, province_code)
    province_id = province.id if province is not None else None
    if needs is None:
        needs = open_needs(session, province_id, period)
    fast = batched_engine(engine, needs) if needs else engine
    concepts = _concept_index(session)
    buyer_sectors = _buyer_sectors(session, {n.buyer_id for n in needs})
    results = []
    for need in needs:
        matches = fast.match_need(session, need, limit=limit)
        local = {need.delivery_province_id} if need.delivery_province_id else set()
        local.add(province_id if province_id is not None else need.buyer.province_id)
        best_local, good, reason = _judge(matches, local, threshold)
        families = need_part_families(fast, need)
        codes = {p.id: p.code for p in (need.buyer.province, need.delivery_province) if p}
        if province is not None:
            codes[province.id] = province.code
        results.append(
            NeedLocalisation(
                need_id=need.id,
                title=need.title,
                buyer_id=need.buyer_id,
                buyer_name=need.buyer.display_name,
                buyer_province=need.buyer.province.code if need.buyer.province else None,
                delivery_province=need.delivery_province.code if need.delivery_province else None,
                posted=_vietnam_day(need.created_at),
                process_id=need.process_id,
                part_families=families,
                sectors=need_sectors(need, families, concepts, buyer_sectors),
                local_provinces=sorted(codes[i] for i in local if i in codes),
                best_local=best_local,
                has_local_match=good,
                reason=reason,
                best_score=round(matches[0].score, 4) if matches else None,
                near_misses=near_misses(need, matches, local, threshold),
            )
        )
    by_family, by_sector = gap_groups(
        [r for r in results if not r.has_local_match], needs, concepts, examples
    )
    return Localisation(
        province=province.code if province is not None else None,
        period=period,
        threshold=threshold,
        limit=limit,
        needs=results,
        by_part_family=by_family,
        by_sector=by_sector,
        index_status=engine.status,
        seconds=round(time.perf_counter() - started, 3),
        names={k: (c.name_vi, c.name_en) for k, c in concepts.items()},
    )


def _vietnam_day(moment: datetime | None) -> date | None:
    return as_utc(moment).astimezone(VIETNAM_TZ).date() if moment is not None else None


def _concept_index(session: Session) -> dict[str, Concept]:
    kinds = ("part_family", "process", "sector")
    return {c.id: c for c in session.scalars(select(Concept).where(Concept.kind.in_(kinds)))}


def _buyer_sectors(session: Session, buyer_ids: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not buyer_ids:
        return out
    rows = session.execute(
        select(firm_sectors.c.firm_id, firm_sectors.c.concept_id)
        .where(firm_sectors.c.firm_id.in_(buyer_ids))
        .order_by(firm_sectors.c.firm_id, firm_sectors.c.concept_id)
    )
    for firm_id, concept_id in rows:
        out.setdefault(firm_id, []).append(concept_id)
    return out


def need_sectors(
    need: Need,
    families: list[str],
    concepts: dict[str, Concept],
    buyer_sectors: dict[int, list[str]],
) -> list[str]:
    """The sectors a need belongs to: those of the part families it names; else of its
    process; else the buyer's. The part decides where it can be made locally, which is
    what an investor in a supplier plant asks about."""
    found = [concepts[f].sector_id for f in families if f in concepts and concepts[f].sector_id]
    if not found and need.process_id in concepts and concepts[need.process_id].sector_id:
        found = [concepts[need.process_id].sector_id]
    if not found:
        found = buyer_sectors.get(need.buyer_id, [])[:1]
    return list(dict.fromkeys(found))


def gap_groups(
    gaps: list[NeedLocalisation],
    needs: Sequence[Need],
    concepts: dict[str, Concept],
    examples: int = EXAMPLES,
) -> tuple[list[GapGroup], list[SectorGap]]:
    """Gaps by part family (a need naming none is grouped by its process) and by sector.

    Examples are the needs with the largest yearly quantity, then the most recent.
    """
    quantity = {n.id: n.quantity_per_year or 0 for n in needs}
    ranked = sorted(gaps, key=lambda g: (-quantity.get(g.need_id, 0), -g.need_id))
    groups: dict[str | None, GapGroup] = {}
    sectors: dict[str | None, SectorGap] = {}
    sector_members: dict[str | None, set[str | None]] = {}
    for gap in ranked:
        keys: list[tuple[str | None, str]] = [(f, "part_family") for f in gap.part_families]
        if not keys:
            keys = [(gap.process_id, "process")] if gap.process_id else [(None, "none")]
        for key, kind in keys:
            group = groups.get(key)
            if group is None:
                concept = concepts.get(key) if key else None
                group = GapGroup(
                    key=key,
                    kind=kind,
                    name_vi=concept.name_vi if concept else "Chưa rõ nhóm linh kiện",
                    name_en=concept.name_en if concept else "Part family not named",
                    sector_id=concept.sector_id if concept else None,
                    needs=0,
                    buyers=0,
                    quantity_per_year=0,
                    need_ids=[],
                )
                groups[key] = group
            group.needs += 1
            group.need_ids.append(gap.need_id)
            group.quantity_per_year += quantity.get(gap.need_id, 0)
            if len(group.examples) < examples:
                group.examples.append(gap)
        for sector_id in gap.sectors or [None]:
            sector = sectors.get(sector_id)
            if sector is None:
                concept = concepts.get(sector_id) if sector_id else None
                sector = SectorGap(
                    sector_id,
                    concept.name_vi if concept else "Chưa rõ ngành",
                    concept.name_en if concept else "Sector not known",
                    0,
                    0,
                    [],
                )
                sectors[sector_id] = sector
            sector.needs += 1
            sector.need_ids.append(gap.need_id)
            sector_members.setdefault(sector_id, set()).update(k for k, _ in keys)
            if len(sector.examples) < examples:
                sector.examples.append(gap)
    buyers_of = {g.need_id: g.buyer_id for g in gaps}
    for group in groups.values():
        group.buyers = len({buyers_of[i] for i in group.need_ids})
    for sector_id, sector in sectors.items():
        sector.groups = len(sector_members.get(sector_id, ()))
    by_family = sorted(groups.values(), key=lambda g: (-g.needs, g.key is None, g.key or ""))
    by_sector = sorted(
        sectors.values(), key=lambda s: (-s.needs, s.sector_id is None, s.sector_id or "")
    )
    return by_family, by_sector
