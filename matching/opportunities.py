"""A supplier's side of matching: the open needs that fit it, and what it lacks for more.

Buyers see suppliers ranked for one need (``MatchEngine.match_need``). A supplier asks
the reverse: which open needs fit my firm, and which missing certification, process or
capacity stands between me and the others? The seeds ask for both: connect local firms
to assemblers' needs (Thái Nguyên 2021 §III.2.1), and bring them to the management
systems and standards that supply chains require (§III.2.5; Vĩnh Phúc §III.6).

Both answers reuse the buyer's scoring, so a supplier never sees a need ranked on
grounds the buyer would not recognise:

* relevance is the engine's hybrid retrieval score of the firm's capabilities for the
  need's text: dense and lexical scores fused by ``fusion.fuse`` over the need's own
  candidates, as ``MatchEngine.retrieve`` computes them (the tests compare the two);
* structured fit, the checks (✓/✗) and the score come from ``MatchEngine.score_firm``,
  the function that scores the firm on the buyer's page; reasons from
  ``matching.explanations``.

What differs is the cost. ``retrieve`` encodes the query with the model, hundreds of
milliseconds on a small server; once per open need on every page view would take
minutes. So need vectors are encoded once per text (kept in memory and in the
encoder's embedding cache, which other processes share). Nor is every open need
scored against every capability on each page view (2.9 s at 100k capabilities): what
a need's retrieval takes from the index does not depend on the firm asking. Per
index base (``matching.changes``: it changes only at a merge) and need text, the
base's best ``CANDIDATES + MARGIN`` rows by each retriever are kept, with both scores
of each, computed once in batches. A request drops the rows the change log hides,
adds the log's own rows (needs × log rows: small), and takes each need's
``CANDIDATES`` best of each list; a need whose list the log thinned below that is
scored against the base again. From those candidates a vectorised pre-screen finds
the needs where the firm can reach the relevance threshold, and only those go
through ``fuse`` for their exact hits: ``MatchEngine.retrieve``'s over an exact index
(the tests compare them, after edits too). Over an IVF index the dense side here is
exact where the engine's search is approximate, as it was before these lists.

The buyer's learned reranker is not applied: it reorders suppliers within one need,
and its scores are not comparable across needs, which is what a supplier's list ranks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from catalog.access.visibility import Reader, needs_clause
from catalog.i18n import N_
from catalog.models import Capability, Firm, Need, NeedStatus, User
from catalog.queries import firms_by_ids

from .concepts import expand_query
from .constraints import FAIL, Check, meets_all
from .documents import capability_text, need_text
from .engine import CANDIDATES, FirmMatch, MatchEngine
from .explanations import Explainer
from .fusion import Hit, best_first, fuse, weights_for
from .query_terms import need_requirements
from .store import IndexBundle

# A need is offered to a supplier when one of its capabilities reaches this relevance:
# the engine's fused retrieval score, from 0 to 1 over the need's candidates, 1 being
# the capability the need found best. Measured over the demo catalog (240 open needs,
# every fourth supplier): 90 % of firm-need pairs where the firm declares the need's
# process reach 0.4 (76 % reach 0.5, 54 % 0.6), while about 5 needs per firm without
# that process do, mostly neighbouring processes (deep drawing for sheet-metal trays,
# polishing for shower mixers) that a supplier wants to see; below it, matches are
# mostly on a shared sector or material word.
MIN_RELEVANCE = 0.4
EXAMPLES = 3  # example needs per gap
THRESHOLD_LEVELS = 3  # levels offered per numeric kind (capacity, tolerance, minimum order)

CERTIFICATION = "certification"
PROCESS = "process"
CAPACITY = "capacity"
TOLERANCE = "tolerance"
MIN_ORDER = "min_order"
KINDS = (CERTIFICATION, PROCESS, CAPACITY, TOLERANCE, MIN_ORDER)  # order among equals
_NUMERIC = (CAPACITY, TOLERANCE, MIN_ORDER)


def requirement_label(kind: str, name: str, value: float | int | None = None) -> str:
    """A requirement as a short translatable phrase: a ``Message`` with parameters."""
    if kind == CERTIFICATION:
        return N_("Certification %(standard)s", standard=name)
    if kind == PROCESS:
        return N_("Process %(process)s", process=name)
    if kind == CAPACITY:
        return N_("Capacity of %(capacity)s/month", capacity=value)
    if kind == TOLERANCE:
        return N_("Tolerance of ±%(tolerance)s mm", tolerance=value)
    if kind == MIN_ORDER:
        return N_("Minimum order of at most %(quantity)s/year", quantity=value)
    raise ValueError(f"unknown requirement kind {kind!r}")


# -- results --------------------------------------------------------------------------
@dataclass(frozen=True)
class Requirement:
    """One thing a need asks for that the firm's capability shown for it does not meet.

    ``kind`` and ``key`` are machine-readable: ``("certification", "IATF 16949")``,
    ``("process", "process.anodizing")``, ``("capacity", "8334")``. ``name`` is what
    the label shows (the standard, the process's English name as the checks show it);
    ``value`` is the number a numeric kind asks for (units/month for capacity, ± mm
    for tolerance, the yearly quantity for minimum order); ``check`` is the failed
    check of the buyer's match card it comes from.
    """

    kind: str
    key: str
    name: str
    value: float | int | None
    check: Check

    @property
    def label(self) -> str:
        return requirement_label(self.kind, self.name, self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "value": self.value, "label": self.label}


@dataclass
class Opportunity:
    """An open need that fits the firm, with the firm's match as the buyer would see it."""

    need: Need
    capability: Capability  # the firm's capability the buyer's match card shows
    score: float  # the buyer's match score (before any learned reranking)
    relevance: float  # fused retrieval score of that capability for the need
    fit: float | None  # share of soft criteria met; None if the need states none
    checks: list[Check]
    missing: list[Requirement]
    # 1 = the most relevant supplier for this need by retrieval. The buyer's list is
    # drawn from the first ``engine.FIRM_POOL`` (at least 40) suppliers in this order.
    relevance_rank: int
    match: FirmMatch = field(repr=False)
    reasons: list[dict[str, Any]] = field(default_factory=list)  # for returned ones

    @property
    def meets_all_required(self) -> bool:
        """The buyer's filter "meets all requirements": every stated one holds."""
        return meets_all(self.checks)

    @property
    def qualified(self) -> bool:
        """Nothing missing: certifications, process, capacity, tolerance, minimum order."""
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "need_id": self.need.id,
            "title": self.need.title,
            "buyer_id": self.need.buyer_id,
            "capability_id": self.capability.id,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "fit": None if self.fit is None else round(self.fit, 4),
            "relevance_rank": self.relevance_rank,
            "meets_all_required": self.meets_all_required,
            "qualified": self.qualified,
            "missing": [r.as_dict() for r in self.missing],
            "reasons": self.reasons,
            "constraints": [c.as_dict() for c in self.checks],
        }


@dataclass
class Gap:
    """Something the firm lacks, with the relevant open needs it stands in the way of.

    ``would_open`` holds the needs where it is the only thing missing (getting it makes
    the firm qualified for them); ``one_of_several`` those that lack more. For a
    numeric kind ``value`` is the level to reach, and a need counts when that level
    satisfies it: capacity ≥ its monthly volume, tolerance ≤ what it allows, minimum
    order ≤ its yearly quantity.
    """

    kind: str
    key: str
    name: str
    value: float | int | None
    would_open: list[int]  # need ids
    one_of_several: list[int]  # need ids
    examples: list[Need]  # up to ``EXAMPLES``: needs it would open first, best match first

    @property
    def label(self) -> str:
        return requirement_label(self.kind, self.name, self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "value": self.value,
            "label": self.label,
            "would_open": len(self.would_open),
            "one_of_several": len(self.one_of_several),
            "need_ids": {"would_open": self.would_open, "one_of_several": self.one_of_several},
            "examples": [{"need_id": n.id, "title": n.title} for n in self.examples],
        }


# -- public API -----------------------------------------------------------------------
def opportunities(
    session: Session,
    engine: MatchEngine,
    firm: Firm,
    *,
    user: User | Reader | None = None,
    limit: int | None = 20,
    qualified_only: bool = False,
    min_relevance: float = MIN_RELEVANCE,
    today: date | None = None,
) -> list[Opportunity]:
    """Open needs that fit ``firm``, best match first, with checks and reasons.

    Candidates are other firms' open needs not past their deadline and, when ``user``
    is given, readable by that user (``catalog.access.visibility``). Without ``user`` the
    session's reader still applies (every request has one); only the system's own
    work sees every need. Pages pass the signed-in user. A need is listed when one
    of the firm's capabilities reaches ``min_relevance``, and scored as the buyer's
    page scores the firm: a failed requirement costs rank but does not hide the need
    (``meets_all_required``, ``missing`` say what is lacking); ``qualified_only``
    keeps those where nothing is missing. ``limit=None`` returns all; reasons are
    computed for the returned needs only.
    """
    found = _evaluate(session, engine, firm, user, min_relevance, today)
    if qualified_only:
        found = [o for o in found if o.qualified]
    if limit is not None:
        found = found[:limit]
    for o in found:
        o.reasons = o.match.reasons = Explainer(need_text(o.need), engine.tagger)(
            o.capability.id, capability_text(o.capability), o.match.hit
        )
    return found


def gaps(
    session: Session,
    engine: MatchEngine,
    firm: Firm,
    *,
    user: User | Reader | None = None,
    min_relevance: float = MIN_RELEVANCE,
    levels: int = THRESHOLD_LEVELS,
    today: date | None = None,
) -> list[Gap]:
    """What the firm lacks for the relevant open needs, the gap opening most first.

    The needs are those ``opportunities`` would list for the same arguments; see
    ``gaps_of`` for the grouping.
    """
    return gaps_of(_evaluate(session, engine, firm, user, min_relevance, today), levels=levels)


def gaps_of(found: Iterable[Opportunity], *, levels: int = THRESHOLD_LEVELS) -> list[Gap]:
    """Group opportunities' missing requirements into gaps, the one opening most first.

    Certifications and processes group by what is missing. Capacity, tolerance and
    minimum order are numbers, each need asking its own, so each kind gives up to
    ``levels`` levels taken from the needs' values at even steps, the hardest (which
    satisfies them all) always included; each level counts every need it satisfies,
    so a firm reads "capacity of 20,000/month would open 3 needs; 100,000/month, 7".
    Sorted by needs opened, then by needs where it is one of several things missing.
    """
    blocked = sorted(
        (o for o in found if o.missing), key=lambda o: (-o.score, -o.relevance, o.need.id)
    )
    groups: dict[tuple[str, str], list[tuple[Opportunity, Requirement]]] = {}
    for o in blocked:
        for r in o.missing:
            groups.setdefault((r.kind, "" if r.kind in _NUMERIC else r.key), []).append((o, r))
    out: list[Gap] = []
    for (kind, key), items in groups.items():
        if kind not in _NUMERIC:
            out.append(_gap(kind, key, items[0][1].name, None, items))
            continue
        # Easiest level first: less capacity, a looser tolerance, a larger minimum order.
        smaller_is_easier = kind == CAPACITY
        values = sorted({r.value for _, r in items}, reverse=not smaller_is_easier)
        for level in _levels(values, levels):
            within = [
                (o, r)
                for o, r in items
                if (r.value <= level if smaller_is_easier else r.value >= level)
            ]
            out.append(_gap(kind, _number_key(level), "", level, within))
    out.sort(
        key=lambda g: (
            -len(g.would_open),
            -len(g.one_of_several),
            KINDS.index(g.kind),
            g.value or 0,
            g.key,
        )
    )
    return out


def warm_needs(session: Session, engine: MatchEngine, needs: Sequence[Need] | None = None) -> int:
    """Encode the texts of ``needs`` (default: all open needs) not encoded yet.

    A worker can call this when needs are posted or edited, so that no supplier's page
    waits for the model; returns the number of texts encoded.
    """
    bundle = engine.bundle()
    if bundle is None:
        return 0
    if needs is None:
        needs = _load_needs(session, select(Need).where(Need.status == NeedStatus.OPEN))
    return _query_vectors(engine, bundle, [need_text(n) for n in needs])[1]


def warm_candidates(session: Session, engine: MatchEngine) -> int:
    """Keep every open need's best rows of the current base (``_base_tops``) in this
    process, as the first opportunities page after a start or a merge would: at 100k
    capabilities that is seconds of products with the whole base, once per base and
    process. For a web worker's warm-up; returns the number of needs."""
    bundle = engine.bundle()
    if bundle is None or not _consistent(bundle):
        return 0
    needs = _load_needs(session, select(Need).where(Need.status == NeedStatus.OPEN))
    space = _space(bundle)
    _base_tops(engine, bundle, space.base or space, [need_text(n) for n in needs])
    return len(needs)


# -- gaps -----------------------------------------------------------------------------
def _number_key(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _levels(values: list[Any], levels: int) -> list[Any]:
    """At most ``levels`` of the ordered ``values`` at even steps, always the last."""
    if len(values) <= levels:
        return values
    picks = {math.ceil(len(values) * (i + 1) / levels) - 1 for i in range(levels)}
    return [values[i] for i in sorted(picks)]


def _gap(
    kind: str,
    key: str,
    name: str,
    value: float | int | None,
    items: list[tuple[Opportunity, Requirement]],
) -> Gap:
    alone = [o for o, _ in items if len(o.missing) == 1]
    others = [o for o, _ in items if len(o.missing) > 1]
    examples = [o.need for o in (alone + others)[:EXAMPLES]]
    return Gap(
        kind, key, name, value, [o.need.id for o in alone], [o.need.id for o in others], examples
    )


def _missing(need: Need, checks: list[Check]) -> list[Requirement]:
    """The requirements behind the failed checks a firm can act on.

    Certifications are the buyer's hard requirements. Process, capacity, tolerance and
    minimum order weigh as soft criteria in the score, but they are the buyer's
    specification: a firm failing them does not qualify. Materials and location are
    preferences, and a capacity or tolerance "not declared" is unknown, not missing:
    none of these count.
    """
    out: list[Requirement] = []
    certs = [c for c in checks if c.name == "certification"]
    for standard, check in zip(need.required_certifications or [], certs, strict=False):
        if check.status == FAIL:
            out.append(Requirement(CERTIFICATION, standard, standard, None, check))
    for check in checks:
        if check.status != FAIL:
            continue
        if check.name == "process" and need.process_id:
            name = need.process.name_en if need.process is not None else need.process_id
            out.append(Requirement(PROCESS, need.process_id, name, None, check))
        elif check.name == "tolerance" and need.tolerance_mm:
            tol = need.tolerance_mm
            out.append(Requirement(TOLERANCE, _number_key(tol), "", tol, check))
        elif check.name == "capacity" and need.quantity_per_year:
            # Two checks share the name: capacity too small, or minimum order too large.
            if "moq" in getattr(check.detail, "params", {}):
                qty = need.quantity_per_year
                out.append(Requirement(MIN_ORDER, str(qty), "", qty, check))
            else:
                monthly = math.ceil(need.quantity_per_year / 12)
                out.append(Requirement(CAPACITY, str(monthly), "", monthly, check))
    return out


# -- scoring --------------------------------------------------------------------------
def _load_needs(session: Session, query: Select[tuple[Need]]) -> list[Need]:
    # What need_text reads; the few needs that are scored load the rest lazily.
    options = (selectinload(Need.process), selectinload(Need.materials))
    return list(session.scalars(query.options(*options).order_by(Need.id)))


def _candidate_needs(
    session: Session, firm: Firm, user: User | Reader | None, today: date | None
) -> list[Need]:
    today = today or date.today()
    query = select(Need).where(
        Need.status == NeedStatus.OPEN,
        Need.buyer_id != firm.id,
        Need.deadline.is_(None) | (Need.deadline >= today),
    )
    if user is not None:
        query = query.where(needs_clause(user))
    return _load_needs(session, query)


def _evaluate(
    session: Session,
    engine: MatchEngine,
    firm: Firm,
    user: User | Reader | None,
    min_relevance: float,
    today: date | None,
) -> list[Opportunity]:
    """Every relevant open need scored for the firm, best first, without reasons."""
    needs = _candidate_needs(session, firm, user, today)
    # Capabilities with materials and process, certifications, province, as match_need
    # loads them (the object is the same one, from the session's identity map).
    firm = firms_by_ids(session, [firm.id], sectors=False).get(firm.id, firm)
    if not needs or not firm.capabilities:
        return []
    caps = {c.id: c for c in firm.capabilities}
    out = []
    for need, (hits, rank) in _firm_hits(session, engine, firm.id, needs, min_relevance):
        requirements, _ = need_requirements(session, need, engine.tagger)
        match = MatchEngine.score_firm(need, firm, hits, requirements)
        if match is None:
            continue
        out.append(
            Opportunity(
                need=need,
                capability=caps[match.capability_id],
                score=match.score,
                relevance=match.relevance,
                fit=match.fit,
                checks=match.checks,
                missing=_missing(need, match.checks),
                relevance_rank=rank,
                match=match,
            )
        )
    out.sort(key=lambda o: (-o.score, -o.relevance, -o.need.id))
    return out


def _firm_hits(
    session: Session,
    engine: MatchEngine,
    firm_id: int,
    needs: list[Need],
    min_relevance: float,
) -> list[tuple[Need, tuple[list[Hit], int]]]:
    """Needs where a capability of the firm reaches ``min_relevance``, each with the
    firm's hits as ``MatchEngine.retrieve`` gives them for the need's text, and the
    firm's rank among the need's suppliers by relevance."""
    bundle = engine.bundle()
    texts = [need_text(n) for n in needs]
    if bundle is None or not _consistent(bundle):
        # Degraded (lexical from the database, no model): the engine's own path.
        ranked: Sequence[list[Hit] | None] = [
            engine.retrieve(session, t, CANDIDATES) for t in texts
        ]
    else:
        ranked = _retrieve_many(engine, bundle, texts, firm_id, min_relevance)
    out = []
    for need, hits in zip(needs, ranked, strict=True):
        mine = [h for h in hits or () if h.firm_id == firm_id]
        if not mine or max(h.fused for h in mine) < min_relevance:
            continue
        # Suppliers in the order match_need pools them: by their best capability.
        order: dict[int, int] = {}
        for h in hits or ():
            if h.firm_id != need.buyer_id:
                order.setdefault(h.firm_id, len(order) + 1)
        out.append((need, (mine, order[firm_id])))
    return out


# -- batch retrieval ------------------------------------------------------------------
# Per base and need text, the base's best CANDIDATES + MARGIN rows by each retriever:
# up to MARGIN of a need's rows can be hidden by the change log before that need is
# scored against the whole base again (edits hide few rows between two merges).
MARGIN = 56
_BATCH = 64  # need texts scored against a whole base at once (64 × 100k scores: 25 MB)


@dataclass
class _Tops:
    """One need text's best rows of a base by each retriever, each with both scores:
    all its retrieval needs from the base, whichever firm asks."""

    dense: np.ndarray  # base rows, best dense score first (equal scores: earlier row)
    dense_scores: np.ndarray  # (rows, 2) float32: the dense and lexical score of each
    lexical: np.ndarray  # base rows with a positive lexical score, best first
    lexical_scores: np.ndarray  # (rows, 2)
    dense_all: bool  # ``dense`` holds every row of the base
    lexical_all: bool  # ``lexical`` holds every row with a positive score


@dataclass
class _Space:
    """The index's capabilities as arrays, to score many needs in one product."""

    bundle: IndexBundle
    ids: np.ndarray  # capability ids, one per row
    firms: np.ndarray  # the firm of each row
    blocks: list[np.ndarray]  # the stored vectors, as views of the index's own storage
    lexical: list[sparse.csr_matrix] | None  # TF-IDF rows in the same order, in parts
    row: dict[int, int]  # capability id → row
    # Rows of the base a change of the log replaced or dropped: never candidates.
    masked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # With a change log: the base's space, whose rows come first, the same rows as a
    # mask (True: hidden), and the log's documents, the rows after the base's.
    base: _Space | None = None
    hidden: np.ndarray | None = None
    layer: np.ndarray | None = None
    layer_lexical: sparse.csr_matrix | None = None
    # A base's: each need text's best rows (``_base_tops``), kept while the base is.
    tops: dict[str, _Tops] = field(default_factory=dict)
    # Per list of need texts: their candidates and fused scores in this state, which
    # no firm changes (the lists differ by visibility and a firm's own needs: few).
    found: dict[tuple[str, ...], tuple[_Candidates, np.ndarray]] = field(default_factory=dict)


_LOCK = threading.Lock()
_SPACE: list[_Space] = []  # the last one built: one index is current per process
_QUERY_VECTORS: dict[tuple[Any, ...], np.ndarray] = {}
_LEXICAL_ROWS: dict[tuple[Any, ...], sparse.csr_matrix] = {}
_CACHE_LIMIT = 20_000
_FOUND_LISTS = 4  # lists of needs whose candidates a state keeps (~6 MB each at 480 needs)


def _consistent(bundle: IndexBundle) -> bool:
    """Whether every vector has a lexical row and a firm (the store checks on load)."""
    return len(bundle.vectors) == len(bundle.lexical) == len(bundle.firm_of) > 0


def _signature(bundle: IndexBundle) -> tuple[Any, ...]:
    """What a need's query depends on: the model, the tagger and the vocabulary, which
    change only when the index is rebuilt (updates keep them)."""
    vocabulary = getattr(bundle.lexical.vectorizer, "vocabulary_", {})
    return (bundle.model_name, bundle.built_at, len(vocabulary), len(bundle.tagger.concepts))


def _remember(cache: dict, items: dict) -> None:
    if len(cache) + len(items) > _CACHE_LIMIT:
        cache.clear()
    cache.update(items)


def _space(bundle: IndexBundle) -> _Space:
    with _LOCK:
        if _SPACE and _SPACE[0].bundle is bundle:
            return _SPACE[0]
    if bundle.base is None:
        space = _base_space(bundle)  # the base of the changes to come: its tops stay
    else:
        space = _layered_space(bundle, _base_space(bundle.base))
    with _LOCK:
        _SPACE[:] = [space]
    return space


_BASE_SPACE: list[_Space] = []  # the current base's, kept while changes come and go


def _base_space(base: IndexBundle) -> _Space:
    with _LOCK:
        if _BASE_SPACE and _BASE_SPACE[0].bundle is base:
            return _BASE_SPACE[0]
    space = _whole_space(base)
    with _LOCK:
        _BASE_SPACE[:] = [space]
    return space


def _layered_space(bundle: IndexBundle, base: _Space) -> _Space:
    """The base's space (built once per base: its arrays are views of the mapped
    files, and it keeps the needs' best rows) with the log's documents appended and
    the rows they hide masked: an edit costs the page a few small arrays, not a new
    space."""
    vectors, lexical = bundle.vectors, bundle.lexical
    hidden = np.isin(base.ids, vectors.hidden)
    layer_ids = vectors.layer_ids
    firms = np.concatenate(
        [
            np.where(hidden, 0, base.firms),
            np.asarray([bundle.firm_of.get(int(i), 0) for i in layer_ids], dtype=np.int64),
        ]
    )
    row = dict(base.row)
    row.update({int(c): len(base.ids) + i for i, c in enumerate(layer_ids)})
    parts = None if base.lexical is None else [*base.lexical, lexical.layer]
    return _Space(
        bundle,
        np.concatenate([base.ids, layer_ids]),
        firms,
        [*base.blocks, vectors.layer],
        parts,
        row,
        np.flatnonzero(hidden),
        base=base,
        hidden=hidden,
        layer=vectors.layer,
        layer_lexical=None if base.lexical is None else lexical.layer,
    )


def _whole_space(bundle: IndexBundle) -> _Space:
    # Views, not a copy: with a memory-mapped index every process shares these pages.
    parts = list(bundle.vectors.blocks())
    ids = np.concatenate([i for i, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    blocks = [v for _, v in parts]
    firms = np.asarray([bundle.firm_of.get(int(i), 0) for i in ids], dtype=np.int64)
    lexical = None
    if bundle.lexical.fitted:
        position = {int(d): p for p, d in enumerate(bundle.lexical.ids)}
        lexical = [bundle.lexical.matrix[[position[int(i)] for i in ids]].tocsr()]
    return _Space(bundle, ids, firms, blocks, lexical, {int(c): r for r, c in enumerate(ids)})


def _query_vectors(
    engine: MatchEngine, bundle: IndexBundle, texts: list[str]
) -> tuple[np.ndarray, int]:
    """Query vectors of need texts as ``retrieve`` encodes them, and how many were new.

    Kept in memory and in the encoder's embedding cache (by model, prompt and text), so
    each need text is encoded once, the first time any page or worker asks for it.
    """
    signature = _signature(bundle)
    found = {t: _QUERY_VECTORS[(*signature, t)] for t in texts if (*signature, t) in _QUERY_VECTORS}
    todo = {t: expand_query(t, bundle.tagger) for t in dict.fromkeys(texts) if t not in found}
    encoded = 0
    if todo:
        vectors, encoded = engine.encoder.encode_stored_queries(list(todo.values()))
        got = dict(zip(todo, vectors, strict=True))
        _remember(_QUERY_VECTORS, {(*signature, t): v for t, v in got.items()})
        found.update(got)
    if not texts:
        return np.zeros((0, bundle.vectors.dimension), dtype=np.float32), encoded
    return np.vstack([found[t] for t in texts]).astype(np.float32, copy=False), encoded


def _lexical_queries(bundle: IndexBundle, texts: list[str]) -> sparse.csr_matrix:
    """The need texts' TF-IDF rows (needs × features), kept per text like the vectors."""
    signature = _signature(bundle)
    rows, fresh = [], {}
    for text in texts:
        row = _LEXICAL_ROWS.get((*signature, text))
        if row is None:
            row = fresh[(*signature, text)] = bundle.lexical.query_vector(text)
        rows.append(row)
    _remember(_LEXICAL_ROWS, fresh)
    return sparse.vstack(rows, format="csr")


def _best(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest ``scores``, best first, equal scores earlier first
    (FAISS's flat search keeps the earlier of equal scores)."""
    if 0 < k < len(scores):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        top = np.flatnonzero(scores >= kth)
    else:
        top = np.arange(len(scores))
    return top[np.lexsort((top, -scores[top]))][:k]


def _tops_of(dense: np.ndarray, lexical: np.ndarray | None, k: int) -> _Tops:
    """A need's ``_Tops`` of length ``k`` from its scores with every row of a base."""
    if lexical is None:
        lexical = np.zeros_like(dense)
        positive = np.zeros(0, dtype=np.int64)
    else:
        positive = np.flatnonzero(lexical > 0)
    d = _best(dense, k)
    lex = positive[_best(lexical[positive], k)]
    return _Tops(
        d,
        np.column_stack([dense[d], lexical[d]]).astype(np.float32),
        lex,
        np.column_stack([dense[lex], lexical[lex]]).astype(np.float32),
        len(dense) <= k,
        len(positive) <= k,
    )


def _base_tops(
    engine: MatchEngine,
    bundle: IndexBundle,
    base: _Space,
    texts: list[str],
    k: int | None = None,
    again: bool = False,
) -> dict[str, _Tops]:
    """Each text's ``_Tops`` in the base, scored against the whole base the first
    time (``again``: once more, ``k`` long), kept in ``base.tops``."""
    k = k or CANDIDATES + MARGIN
    found = {t: base.tops[t] for t in texts if not again and t in base.tops}
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    for start in range(0, len(todo), _BATCH):
        chunk = todo[start : start + _BATCH]
        queries = _query_vectors(engine, bundle, chunk)[0]
        dense = np.hstack([queries @ block.T for block in base.blocks])
        lexical = None
        if base.lexical is not None:
            q = _lexical_queries(bundle, chunk).T
            lexical = np.hstack(
                [np.asarray((part @ q).T.todense(), dtype=np.float32) for part in base.lexical]
            )
        fresh = {
            t: _tops_of(dense[i], None if lexical is None else lexical[i], k)
            for i, t in enumerate(chunk)
        }
        with _LOCK:
            _remember(base.tops, fresh)
        found.update(fresh)
    return found


def _stack(
    rows: list[np.ndarray], scores: list[np.ndarray], hidden: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Lists of rows and their scores as (needs × longest) arrays, -1 where there is no
    row or the row is hidden."""
    out = np.full((len(rows), max([1, *map(len, rows)])), -1, dtype=np.int64)
    values = np.zeros((*out.shape, 2), dtype=np.float32)
    for i, (r, s) in enumerate(zip(rows, scores, strict=True)):
        out[i, : len(r)] = r
        values[i, : len(r)] = s
    if hidden is not None and len(hidden):
        out[(out >= 0) & hidden[np.maximum(out, 0)]] = -1
    return out, values


def _first(
    rows: np.ndarray, values: np.ndarray, key: np.ndarray, k: int, merge: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per need, the ``k`` best rows by ``key`` (equal keys: the earlier row), of those
    that are not -1 and whose key is finite, with their scores; -1 after the last.

    Each need's kept list is in that order already: only the -1s (hidden rows) must
    go, unless ``merge``: the log's rows follow, after all the base's rows, so that a
    stable sort by the key alone gives the order (cheaper than by key and row)."""
    key = np.where(rows >= 0, key, -np.inf)
    if merge:
        order = np.argsort(-key, axis=1, kind="stable")[:, :k]
    else:
        order = np.argsort(np.isneginf(key), axis=1, kind="stable")[:, :k]
    kept = np.take_along_axis(rows, order, axis=1)
    kept[np.isneginf(np.take_along_axis(key, order, axis=1))] = -1
    return kept, np.take_along_axis(values, order[..., None], axis=1)


@dataclass
class _Candidates:
    """Each need's candidates in the current state, as ``MatchEngine.retrieve`` finds
    them: rows of the space (-1: none), with their dense and lexical scores."""

    dense: np.ndarray  # (needs, ≤ CANDIDATES): the dense top, best first
    lexical: np.ndarray  # (needs, ≤ CANDIDATES): the positive lexical top, best first
    rows: np.ndarray  # (needs, width): the two tops, a row in both kept once
    scores: np.ndarray  # (needs, width, 2): dense and lexical score of each of ``rows``
    queries: np.ndarray | None = None  # the needs' vectors, when the log has rows


def _candidates(
    engine: MatchEngine, bundle: IndexBundle, space: _Space, texts: list[str]
) -> _Candidates:
    """The base's kept tops without the rows the log hides, merged with the log's rows
    (scored here: needs × log rows is small); a need whose kept list the log has
    thinned below ``CANDIDATES`` is scored against the whole base again."""
    base = space.base or space
    hidden = space.hidden
    tops = _base_tops(engine, bundle, base, texts)
    while True:
        listed = [tops[t] for t in texts]
        dense, dense_scores = _stack(
            [t.dense for t in listed], [t.dense_scores for t in listed], hidden
        )
        lexical, lexical_scores = _stack(
            [t.lexical for t in listed], [t.lexical_scores for t in listed], hidden
        )
        if hidden is None or not hidden.any():
            break
        complete = np.array([[t.dense_all, t.lexical_all] for t in listed])
        counts = np.column_stack([(dense >= 0).sum(axis=1), (lexical >= 0).sum(axis=1)])
        short = ((counts < CANDIDATES) & ~complete).any(axis=1)
        if not short.any():
            break
        longer = CANDIDATES + MARGIN + int(hidden.sum())
        again = [texts[i] for i in np.flatnonzero(short)]
        tops.update(_base_tops(engine, bundle, base, again, longer, again=True))
    merge = space.layer is not None and len(space.layer) > 0
    if merge:
        queries = _query_vectors(engine, bundle, texts)[0]
        layer = np.zeros((len(texts), len(space.layer), 2), dtype=np.float32)
        layer[..., 0] = queries @ space.layer.T
        if space.layer_lexical is not None:
            q = _lexical_queries(bundle, texts)
            layer[..., 1] = np.asarray((q @ space.layer_lexical.T).todense())
        at = np.broadcast_to(len(base.ids) + np.arange(len(space.layer)), layer.shape[:2])
        dense = np.hstack([dense, at])
        dense_scores = np.hstack([dense_scores, layer])
        lexical = np.hstack([lexical, np.where(layer[..., 1] > 0, at, -1)])
        lexical_scores = np.hstack([lexical_scores, layer])
    dense, dense_scores = _first(dense, dense_scores, dense_scores[..., 0], CANDIDATES, merge)
    lexical_key = np.where(lexical_scores[..., 1] > 0, lexical_scores[..., 1], -np.inf)
    lexical, lexical_scores = _first(lexical, lexical_scores, lexical_key, CANDIDATES, merge)
    rows = np.hstack([dense, lexical])
    # A row in both tops: keep the dense top's (stable order: it comes first).
    key = np.where(rows >= 0, rows, -1 - np.arange(rows.shape[1]))
    order = np.argsort(key, axis=1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=1)
    twice = np.zeros(rows.shape, dtype=bool)
    np.put_along_axis(twice, order[:, 1:], ordered[:, 1:] == ordered[:, :-1], axis=1)
    return _Candidates(
        dense,
        lexical,
        np.where(twice, -1, rows),
        np.hstack([dense_scores, lexical_scores]),
        queries if merge else None,
    )


def _minmax_rows(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``fusion._minmax`` of each need's ``values`` over its valid candidates, in the
    same double-precision steps (so the scores equal ``fuse``'s)."""
    values = values.astype(np.float64)
    low = np.where(valid, values, np.inf).min(axis=1, keepdims=True)
    high = np.where(valid, values, -np.inf).max(axis=1, keepdims=True)
    span = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = (values - low) / span
    return np.where(span <= 1e-9, np.where(high > 0, 1.0, 0.0), scaled)


def _retrieve_many(
    engine: MatchEngine, bundle: IndexBundle, texts: list[str], firm_id: int, threshold: float
) -> list[list[Hit] | None]:
    """``MatchEngine.retrieve(text)`` for each text where a capability of the firm
    reaches ``threshold``; None for the others.

    Each need's candidates come from what the base keeps for it (``_candidates``): no
    product with the whole catalogue per request. ``fuse``'s formula over them scores
    the firm's own candidates for every need at once (ignoring only the final cut to
    ``CANDIDATES``, so it never drops a need ``retrieve`` would keep); the needs it
    passes are fused again by the engine's ``fuse`` itself (``_retrieve_one``).
    """
    space = _space(bundle)
    out: list[list[Hit] | None] = [None] * len(texts)
    if not texts or not (space.firms == firm_id).any():
        return out
    weights = weights_for(bundle.model_name)
    key = tuple(texts)
    kept = space.found.get(key)
    if kept is None:
        found = _candidates(engine, bundle, space, texts)
        wd, wl = weights
        valid = found.rows >= 0
        fused = wd * _minmax_rows(found.scores[..., 0], valid)
        total = wd
        if space.lexical is not None:
            fused = fused + wl * _minmax_rows(found.scores[..., 1], valid)
            total += wl
        kept = found, np.where(valid, fused / total, -np.inf)
        with _LOCK:
            if len(space.found) >= _FOUND_LISTS:
                space.found.clear()
            space.found[key] = kept
    found, fused = kept
    mine = (found.rows >= 0) & (space.firms[np.maximum(found.rows, 0)] == firm_id)
    best = np.where(mine, fused, -np.inf).max(axis=1)
    for i in np.flatnonzero(best >= threshold - 1e-4):
        out[i] = _retrieve_one(space, found, int(i), weights)
    return out


def _retrieve_one(
    space: _Space, found: _Candidates, i: int, weights: tuple[float, float]
) -> list[Hit]:
    """``MatchEngine.retrieve`` (hybrid) for need ``i`` from its candidates, step by
    step: the dense top as FAISS lists it, the positive lexical top, each candidate
    scored by the other retriever too, fused by the engine's ``fuse``, best first."""
    ids = space.ids
    rows, scores = found.rows[i], found.scores[i]
    valid = rows >= 0
    if found.queries is not None and space.layer is not None:
        # The log's rows scored as ``LayeredVectors.search`` scores them (one need at a
        # time, not in a product of all needs, which can differ in the last bits), so
        # that near-equal capabilities in the log rank as the buyer's page ranks them.
        log = valid & (rows >= len(ids) - len(space.layer))
        if log.any():
            scores = scores.copy()
            exact = space.layer @ found.queries[i]
            scores[log, 0] = exact[rows[log] - (len(ids) - len(space.layer))]
    score = dict(zip(ids[rows[valid]].tolist(), scores[valid].tolist(), strict=True))
    dense = found.dense[i][found.dense[i] >= 0]
    # FAISS lists equal scores latest first; the order matters for the ranks that
    # explanations show.
    dense = dense[np.lexsort((-dense, -scores[: len(dense), 0]))]
    dense_scores = {int(ids[p]): score[int(ids[p])][0] for p in dense}
    lexical_scores: dict[int, float] = {}
    if space.lexical is not None:
        for p in found.lexical[i][found.lexical[i] >= 0]:
            lexical_scores[int(ids[p])] = score[int(ids[p])][1]
        for cid in list(dense_scores.keys() - lexical_scores.keys()):
            lexical_scores[cid] = score[cid][1]
        for cid in list(lexical_scores.keys() - dense_scores.keys()):
            dense_scores[cid] = score[cid][0]
    hits = fuse(dense_scores, lexical_scores, weights)
    firm_of = space.bundle.firm_of
    for h in hits.values():
        h.firm_id = firm_of.get(h.capability_id, 0)
    ranked = best_first(hits.values())
    return [h for h in ranked if h.firm_id][:CANDIDATES]
