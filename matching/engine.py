"""The match engine: retrieve, fuse, check constraints, explain, rank.

One ``MatchEngine`` per process holds the current index bundle and reloads it when a
worker publishes a new version. Without a usable index it still answers, lexically,
from the database, and says so (``status``), so the product never goes dark because
a derived file is missing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from catalog.models import Need
from catalog.queries import firms_by_ids

from .concepts import ConceptTagger
from .constraints import Check, capability_checks, certification_checks, fit_score, hard_failures
from .documents import capability_documents, need_text
from .encoder import Encoder
from .lexical import LexicalIndex
from .store import IndexBundle, IndexStore, IndexUnavailable

log = logging.getLogger(__name__)

RRF_K = 60
CANDIDATES = 200
FIT_WEIGHT = 0.35  # share of the final score given to structured fit
HARD_FAIL_FACTOR = 0.6  # a failed hard constraint keeps the supplier visible, lower down
RETRIEVERS = ("dense", "lexical", "hybrid")


@dataclass
class Hit:
    capability_id: int
    firm_id: int
    dense: float | None = None
    lexical: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    fused: float = 0.0


@dataclass
class FirmMatch:
    firm_id: int
    capability_id: int
    score: float
    relevance: float
    fit: float | None
    checks: list[Check]
    reasons: list[dict[str, Any]]
    hit: Hit
    other_capabilities: list[int] = field(default_factory=list)

    @property
    def meets_all_required(self) -> bool:
        return not hard_failures(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "firm_id": self.firm_id,
            "capability_id": self.capability_id,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "fit": None if self.fit is None else round(self.fit, 4),
            "meets_all_required": self.meets_all_required,
            "scores": {
                "dense": None if self.hit.dense is None else round(self.hit.dense, 4),
                "lexical": None if self.hit.lexical is None else round(self.hit.lexical, 4),
            },
            "reasons": self.reasons,
            "constraints": [c.as_dict() for c in self.checks],
            "other_capabilities": self.other_capabilities,
        }


def fuse(
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    weights: tuple[float, float] = (1.0, 1.0),
) -> dict[int, Hit]:
    """Reciprocal-rank fusion, normalised so that first in both lists scores 1.0."""
    hits: dict[int, Hit] = {}
    wd, wl = weights
    for rank, (cid, score) in enumerate(dense, start=1):
        h = hits.setdefault(cid, Hit(cid, 0))
        h.dense, h.dense_rank = score, rank
        h.fused += wd / (RRF_K + rank)
    for rank, (cid, score) in enumerate(lexical, start=1):
        h = hits.setdefault(cid, Hit(cid, 0))
        h.lexical, h.lexical_rank = score, rank
        h.fused += wl / (RRF_K + rank)
    best = (wd + wl) / (RRF_K + 1)
    for h in hits.values():
        h.fused /= best
    return hits


class MatchEngine:
    def __init__(self, store: IndexStore, encoder: Encoder):
        self.store = store
        self.encoder = encoder
        self._bundle: IndexBundle | None = None
        self._version: str | None = None
        self._lock = threading.Lock()
        self.status = "not loaded"
        self._fallback: tuple[float, LexicalIndex, dict[int, int]] | None = None

    # -- index life cycle -------------------------------------------------------------
    def bundle(self) -> IndexBundle | None:
        """The current index, reloaded when another process has published a new one."""
        version = self.store.current_version()
        if version is not None and version == self._version and self._bundle is not None:
            return self._bundle
        with self._lock:
            if version is not None and version == self._version and self._bundle is not None:
                return self._bundle
            try:
                self._bundle = self.store.load(self.encoder.model_name)
                self._version = self._bundle.version
                self.status = "ok"
            except IndexUnavailable as exc:
                self._bundle, self._version = None, None
                self.status = f"unavailable: {exc}"
            return self._bundle

    def health(self) -> dict[str, Any]:
        bundle = self.bundle()
        meta = bundle.meta() if bundle else (self.store.read_meta() or {})
        return {
            "status": "ok" if bundle else "degraded",
            "detail": self.status,
            "documents": meta.get("documents", 0),
            "model": meta.get("model", self.encoder.model_name),
            "built_at": meta.get("built_at"),
            "last_update": meta.get("updated_at"),
            "version": meta.get("version"),
        }

    def _fallback_index(self, session: Session) -> tuple[LexicalIndex, dict[int, int]]:
        """A lexical index built in memory from the database, refreshed every minute."""
        if self._fallback is None or time.monotonic() - self._fallback[0] > 60:
            from .indexing import build_tagger

            docs = capability_documents(session)
            lexical = LexicalIndex(build_tagger(session))
            lexical.fit([d.id for d in docs], [d.text for d in docs])
            self._fallback = (time.monotonic(), lexical, {d.id: d.firm_id for d in docs})
        return self._fallback[1], self._fallback[2]

    # -- retrieval --------------------------------------------------------------------
    def retrieve(
        self, session: Session, text: str, k: int = CANDIDATES, retriever: str = "hybrid"
    ) -> list[Hit]:
        """Capabilities for ``text`` by one retriever or their fusion, best first."""
        bundle = self.bundle()
        if bundle is None:
            lexical, firm_of = self._fallback_index(session)
            hits = fuse([], lexical.search(text, k), (0.0, 1.0))
        else:
            firm_of = bundle.firm_of
            dense = lexical = []
            if retriever in ("dense", "hybrid"):
                vector = self.encoder.encode_queries([text])[0]
                dense = bundle.vectors.search(vector, k)
            if retriever in ("lexical", "hybrid"):
                lexical = bundle.lexical.search(text, k)
            weights = {"dense": (1.0, 0.0), "lexical": (0.0, 1.0)}.get(retriever, (1.0, 1.0))
            hits = fuse(dense, lexical, weights)
        for h in hits.values():
            h.firm_id = firm_of.get(h.capability_id, 0)
        ranked = sorted(hits.values(), key=lambda h: (-h.fused, h.capability_id))
        return [h for h in ranked if h.firm_id][:k]

    @property
    def tagger(self) -> ConceptTagger:
        bundle = self.bundle()
        if bundle is not None:
            return bundle.tagger
        if self._fallback is not None:
            return self._fallback[1].analyzer.tagger or ConceptTagger()
        return ConceptTagger()

    def search_firms(self, session: Session, text: str, k: int = 200) -> list[tuple[int, float]]:
        """Firms for a directory search, best capability per firm, best first."""
        best: dict[int, float] = {}
        for hit in self.retrieve(session, text, CANDIDATES):
            best[hit.firm_id] = max(best.get(hit.firm_id, 0.0), hit.fused)
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    # -- matching ---------------------------------------------------------------------
    def match_need(self, session: Session, need: Need, limit: int = 20) -> list[FirmMatch]:
        """Suppliers for a need, ranked, each with its best capability and reasons."""
        query = need_text(need)
        hits = self.retrieve(session, query, CANDIDATES)
        firms = firms_by_ids(session, list({h.firm_id for h in hits}))
        by_firm: dict[int, list[Hit]] = {}
        for h in hits:
            if h.firm_id in firms and h.firm_id != need.buyer_id:
                by_firm.setdefault(h.firm_id, []).append(h)
        need_concepts = {c.concept_id: c.term for c in self.tagger.tag(query)}
        results = []
        for firm_id, firm_hits in by_firm.items():
            firm = firms[firm_id]
            caps = {c.id: c for c in firm.capabilities}
            cert_checks = certification_checks(need, firm)
            best: FirmMatch | None = None
            for h in firm_hits:
                cap = caps.get(h.capability_id)
                if cap is None:
                    continue
                checks = cert_checks + capability_checks(need, cap, firm)
                fit = fit_score(checks)
                relevance = h.fused
                score = relevance
                if fit is not None:
                    score = (1 - FIT_WEIGHT) * relevance + FIT_WEIGHT * fit
                if hard_failures(checks):
                    score *= HARD_FAIL_FACTOR
                if best is None or score > best.score:
                    best = FirmMatch(firm_id, cap.id, score, relevance, fit, checks, [], h)
            if best is None:
                continue
            best.other_capabilities = [
                h.capability_id for h in firm_hits if h.capability_id != best.capability_id
            ][:3]
            results.append(best)
        results.sort(key=lambda m: (-m.score, m.firm_id))
        results = results[:limit]
        for m in results:
            cap = next(c for c in firms[m.firm_id].capabilities if c.id == m.capability_id)
            m.reasons = self.explain(query, need_concepts, cap, m.hit)
        return results

    def explain(
        self, query: str, need_concepts: dict[str, str], cap, hit: Hit
    ) -> list[dict[str, Any]]:
        """Why a capability matched: shared concepts, shared words, semantic closeness."""
        from .documents import capability_text

        doc = capability_text(cap)
        reasons: list[dict[str, Any]] = []
        cap_concepts = {c.concept_id: c.term for c in self.tagger.tag(doc)}
        for cid in need_concepts.keys() & cap_concepts.keys():
            info = self.tagger.info(cid)
            if info is None or info.kind == "sector":
                continue
            reasons.append(
                {
                    "kind": "concept",
                    "concept": cid,
                    "concept_kind": info.kind,
                    "label_vi": info.name_vi,
                    "label_en": info.name_en,
                    "need_term": need_concepts[cid],
                    "capability_term": cap_concepts[cid],
                }
            )
        bundle = self.bundle()
        lexical = bundle.lexical if bundle else (self._fallback[1] if self._fallback else None)
        if lexical is not None:
            words = lexical.shared_terms(query, doc)
            if words:
                reasons.append({"kind": "keywords", "terms": words})
        if hit.dense is not None:
            reasons.append(
                {"kind": "semantic", "similarity": round(hit.dense, 3), "rank": hit.dense_rank}
            )
        return reasons


def filter_matches(
    matches: list[FirmMatch],
    firms: dict[int, Any],
    qualified_only: bool = False,
    province: str | None = None,
    min_score: float = 0.0,
) -> list[FirmMatch]:
    """The buyer's filters on a match list: required constraints met, province, score."""
    out = []
    for m in matches:
        firm = firms.get(m.firm_id)
        if firm is None:
            continue
        if qualified_only and not m.meets_all_required:
            continue
        if province and (firm.province is None or firm.province.code != province):
            continue
        if m.score < min_score:
            continue
        out.append(m)
    return out
