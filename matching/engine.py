"""The match engine: retrieve, fuse, check constraints, explain, rank.

One ``MatchEngine`` per process holds the current index: the base a worker published,
mapped, with the changes of the log applied over it (``matching.changes``). A new base
is loaded when a merge or a rebuild publishes one; an edit only adds a change. Without
a usable index it still answers, lexically, from the database, and says so
(``status``), so the product never goes dark because a derived file is missing.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from catalog.models import Need
from catalog.queries import firms_by_ids

from . import calibration
from .changes import ChainBroken, ChangeFeed, Layers
from .concepts import ConceptTagger, expand_query
from .constraints import (
    Check,
    capability_checks,
    certification_checks,
    fit_score,
    hard_failures,
    meets_all,
    verified_bonus,
)
from .documents import capability_documents, need_text
from .encoder import Encoder
from .explanations import Explainer, capability_texts
from .firm_facts import FirmFactsCache
from .fusion import Hit, best_first, fuse, weights_for
from .lexical import LexicalIndex
from .query_terms import need_requirements
from .reranker import FEATURES, Example, Reranker, pair_features
from .store import IndexBundle, IndexDamaged, IndexStore, IndexUnavailable

log = logging.getLogger(__name__)

CANDIDATES = 200
FIRM_POOL = 40  # firms whose structured fit is checked for one need
FILTER_DEPTH = 60  # matches drawn before the buyer's filters, when some are set
RETRY_UNUSABLE_SECONDS = 60  # an unusable index version is checked again after this
FIT_WEIGHT = 0.35  # share of the final score given to structured fit
HARD_FAIL_FACTOR = 0.6  # a failed hard constraint keeps the supplier visible, lower down
RETRIEVERS = ("dense", "lexical", "hybrid")


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
    # What was scored about the firm: a FirmFacts from match_need, else the Firm row.
    firm: Any = field(default=None, repr=False, compare=False)
    # The calibrated probability that the match is relevant (``matching.calibration``),
    # what the percentage shown means; None without a calibration for the encoder.
    probability: float | None = None

    @property
    def meets_all_required(self) -> bool:
        """Every stated requirement holds; undeclared counts as not met."""
        return meets_all(self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "firm_id": self.firm_id,
            "capability_id": self.capability_id,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "fit": None if self.fit is None else round(self.fit, 4),
            "probability": None if self.probability is None else round(self.probability, 4),
            "meets_all_required": self.meets_all_required,
            "scores": {
                "dense": None if self.hit.dense is None else round(self.hit.dense, 4),
                "lexical": None if self.hit.lexical is None else round(self.hit.lexical, 4),
            },
            "reasons": self.reasons,
            "constraints": [c.as_dict() for c in self.checks],
            "other_capabilities": self.other_capabilities,
        }


def final_score(relevance: float, checks: list[Check]) -> tuple[float, float | None]:
    """Blend retrieval relevance with structured fit; a failed hard constraint costs rank."""
    fit = fit_score(checks)
    score = relevance if fit is None else (1 - FIT_WEIGHT) * relevance + FIT_WEIGHT * fit
    score += verified_bonus(checks) * (1 - score)
    if hard_failures(checks):
        score *= HARD_FAIL_FACTOR
    return score, fit


class MatchEngine:
    def __init__(
        self,
        store: IndexStore | None,
        encoder: Encoder,
        bundle: IndexBundle | None = None,
        reload_in_background: bool = False,
        request_repair: Callable[[str], None] | None = None,
        feed: ChangeFeed | None = None,
        poll_seconds: float = 0.5,
        pull_bases: bool = False,
    ):
        """``store`` for the service; or a fixed in-memory ``bundle`` (evaluation).

        ``reload_in_background``: a new version published while one is loaded is
        loaded by a thread while requests go on with the previous one (web workers
        under many writes: a load takes about a second at 100k capabilities, and
        inline it stalls every request behind it). Without, the next call loads it and
        sees it at once (a process that reads its own writes: tests, the worker).

        ``request_repair(reason)`` is called (once per unusable version) when the
        index on disk cannot be used: the service queues a check and rebuild on the
        worker, while this engine answers lexically from the database meanwhile.

        ``feed`` reads the change log. Without ``reload_in_background`` every use looks
        for new changes and applies them at once; with it, a thread looks at most every
        ``poll_seconds`` and swaps the new state in while requests go on.

        ``pull_bases``: this machine shares no disk with the worker; new bases are
        copied from the database into the local folder (``matching.shipping.pull``)
        before they are loaded, and a failed copy leaves the local one serving."""
        self.store = store
        self.encoder = encoder
        self._bundle: IndexBundle | None = bundle
        self._layers: Layers | None = None
        self._version: str | None = None
        self.feed = feed
        self.poll_seconds = poll_seconds
        self._polled = 0.0
        self._pointer_read = float("-inf")
        self._following = False
        self.pull_bases = pull_bases and feed is not None
        self._pulled = float("-inf")
        self._lock = threading.Lock()
        self.reload_in_background = reload_in_background
        self.request_repair = request_repair
        self._loading = False
        self.status = "not loaded"
        # The version that could not be used and when: not tried again for a while
        # (checking it again costs its digests, and a request is not to pay for that).
        self._failed: tuple[str | None, float] | None = None
        self._repair_requested: tuple[str | None] | None = None
        self._reranker: tuple[float, Reranker | None] | None = None
        self._fallback: tuple[float, LexicalIndex, dict[int, int]] | None = None
        self.firms = FirmFactsCache()

    # -- index life cycle -------------------------------------------------------------
    def bundle(self) -> IndexBundle | None:
        """The current index, reloaded when another process has published a new one;
        None while no usable index is on disk (then callers answer lexically)."""
        if self.store is None:
            self.status = "ok" if self._bundle is not None else "unavailable: no index"
            return self._bundle
        self._check_files()
        if self.reload_in_background and self._bundle is not None:
            # A request asks several times: the pointer is read at most once a poll.
            now = time.monotonic()
            if now - self._pointer_read < self.poll_seconds:
                return self._bundle
            self._pointer_read = now
        if self.pull_bases and (self._bundle is None or not self.reload_in_background):
            self._pull()  # inline; a machine starting from nothing copies the base first
        version = self.store.current_version()
        if version is not None and version == self._version and self._bundle is not None:
            self._follow_changes()
            return self._bundle
        if self.reload_in_background and self._bundle is not None and version is not None:
            if not self._failed_recently(version):
                self._reload_in_background()
            return self._bundle
        with self._lock:
            if version is not None and version == self._version and self._bundle is not None:
                return self._bundle
            if self._bundle is None and self._failed_recently(version):
                return None
            try:
                self._use(self._load())
            except IndexUnavailable as exc:
                self._bundle, self._layers, self._version = None, None, None
                self.status = f"unavailable: {exc}"
                self._unusable(version, exc)
            return self._bundle

    def _pull(self) -> None:
        """Copy the database's current base into the local folder if it is newer (at
        most once per ``poll_seconds``); any failure leaves the local copy serving."""
        now = time.monotonic()
        if now - self._pulled < self.poll_seconds:
            return
        self._pulled = now
        try:
            self.feed.pull(self.store)
        except Exception:
            log.exception("could not copy the index's base from the database")

    def _load(self) -> Layers:
        """The current base, mapped, with the log applied over it."""
        layers = Layers.over(self.store.load(self.encoder.model_name, mmap=True))
        return self._apply_log(layers)

    def _apply_log(self, layers: Layers) -> Layers:
        if self.feed is None:
            return layers
        try:
            return layers.apply(self.feed.after(layers.through))
        except ChainBroken as exc:
            # The log does not continue from this base (pruned behind it, or another
            # index's): serve it as it is until the newer base is loaded.
            log.warning("index changes not applied to %s: %s", layers.base.version, exc)
            return layers
        except Exception:  # the database blipped: serve what is held, try again later
            log.exception("could not read the index's change log")
            return layers

    def _follow_changes(self) -> None:
        """Apply the changes written since the state held (inline, or in a thread at most
        every ``poll_seconds`` when reloading in the background)."""
        if self.feed is None or self._layers is None:
            return
        if not self.reload_in_background:
            with self._lock:
                layers = self._layers
                if layers is not None:
                    newer = self._apply_log(layers)
                    if newer is not layers:
                        self._swap(newer)
            return
        now = time.monotonic()
        if now - self._polled < self.poll_seconds or self._following:
            return
        self._polled = now
        self._following = True

        def follow() -> None:
            try:
                if self.pull_bases:
                    self._pull()  # the next request then loads it in the background
                layers = self._layers
                if layers is None:
                    return
                newer = self._apply_log(layers)
                with self._lock:
                    if newer is not layers and self._layers is layers:
                        self._swap(newer)
            finally:
                self._following = False

        threading.Thread(target=follow, name="index-changes", daemon=True).start()

    def _swap(self, layers: Layers) -> None:
        """Serve ``layers`` (same base, more changes): one reference, swapped whole."""
        bundle = layers.bundle  # built before it is served
        self._layers, self._bundle = layers, bundle
        gc.freeze()  # as in ``_use``: the new mappings are long-lived

    def _check_files(self) -> None:
        """Stop using the loaded version if one of its files changed on disk since it
        was checked (truncated under the mapping, the next read of a lost page would
        kill the process with SIGBUS): the engine answers lexically from then on, as
        without an index, and asks for a repair."""
        bundle = self._bundle
        if bundle is None or bundle.files is None:
            return
        problem = bundle.files.problem()
        if problem is None:
            return
        with self._lock:
            if self._bundle is not bundle:
                return
            self._bundle, self._layers, self._version = None, None, None
            exc = IndexDamaged(f"index {bundle.version} is damaged: {problem}")
            log.error("stopped using the index: %s", exc)
            self.status = f"unavailable: {exc}"
            self._unusable(bundle.version, exc)

    def _failed_recently(self, version: str | None) -> bool:
        failed = self._failed
        return (
            failed is not None
            and failed[0] == version
            and time.monotonic() - failed[1] < RETRY_UNUSABLE_SECONDS
        )

    def _unusable(self, version: str | None, exc: IndexUnavailable) -> None:
        """Remember that ``version`` cannot be used, and ask once for its repair."""
        self._failed = (version, time.monotonic())
        if self.request_repair is None or self._repair_requested == (version,):
            return
        self._repair_requested = (version,)
        try:
            self.request_repair(str(exc))
        except Exception:  # the worker's periodic check repairs it all the same
            log.exception("could not ask for an index repair")

    def _use(self, layers: Layers) -> None:
        bundle = layers.bundle
        self._layers, self._bundle, self._version = layers, bundle, layers.base.version
        self.status = "ok"
        self._failed = self._repair_requested = None
        # The bundle's mappings (100k-entry dicts of small dicts at 100k capabilities)
        # live until the next version: frozen, they are left out of every full
        # collection, which otherwise walked them for ~190 ms once in 50 requests. The
        # previous bundle is still freed by refcount.
        gc.freeze()

    def _reload_in_background(self) -> None:
        """Load the current version in a thread (one at a time); until it is loaded,
        and if it cannot be, the previous version (still on disk) goes on serving."""
        with self._lock:
            if self._loading:
                return
            self._loading = True

        def load() -> None:
            version = self.store.current_version()
            try:
                layers = self._load()
                with self._lock:
                    self._use(layers)
            except IndexUnavailable as exc:  # tried again after a while, repair asked
                log.warning("could not load the new index version: %s", exc)
                with self._lock:
                    if self._bundle is not None:
                        self.status = f"ok (serving {self._version}; {exc})"
                    self._unusable(version, exc)
            except Exception:  # the next request tries again
                log.exception("could not load the new index version")
            finally:
                self._loading = False

        threading.Thread(target=load, name="index-reload", daemon=True).start()

    @property
    def reranker_path(self):
        """The learned reranker's file (JSON: ``Reranker.save``)."""
        return None if self.store is None else self.store.root / "reranker" / "model.json"

    def reranker(self) -> Reranker | None:
        """The learned reranker in use, if one has been trained and accepted."""
        path = self.reranker_path
        if path is None:
            return self._reranker[1] if self._reranker else None
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            self._reranker = None
            return None
        if self._reranker is None or self._reranker[0] != mtime:
            try:
                loaded = Reranker.load(path)
                if list(loaded.meta.get("features", FEATURES)) != list(FEATURES):
                    # Trained on another feature set: unusable until retrained.
                    log.warning("reranker %s has other features; not used", path)
                    loaded = None
                self._reranker = (mtime, loaded)
            except Exception:  # an unreadable model must not break matching
                log.exception("could not load reranker %s", path)
                self._reranker = (mtime, None)  # not read again until it changes
                return None
        return self._reranker[1]

    def use_reranker(self, reranker: Reranker | None) -> None:
        """Fix the reranker of an engine without a store (evaluation)."""
        self._reranker = (0.0, reranker) if reranker is not None else None

    def health(self) -> dict[str, Any]:
        """The index's state for /healthz and the pages' notices: ``degraded`` while
        answers come from the lexical fallback, with why, and whether a rebuild was
        asked of the worker."""
        bundle = self.bundle()
        if bundle is not None:
            meta = bundle.meta()
        else:
            meta = (self.store.read_meta() if self.store is not None else None) or {}
        health = {
            "status": "ok" if bundle else "degraded",
            "detail": self.status,
            "documents": meta.get("documents", 0),
            "model": meta.get("model", self.encoder.model_name),
            "built_at": meta.get("built_at"),
            "last_update": meta.get("updated_at"),
            "version": meta.get("version"),
            "through": bundle.through if bundle else meta.get("through", 0),
            "changes": self._layers.applied if bundle and self._layers else 0,
        }
        if self._repair_requested is not None:
            health["repair"] = "requested"
        return health

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
        self,
        session: Session,
        text: str,
        k: int = CANDIDATES,
        retriever: str = "hybrid",
        stored: bool = False,
    ) -> list[Hit]:
        """Capabilities for ``text`` by one retriever or their fusion, best first.

        ``stored``: the text is a saved need's, asked for again (its page, suppliers'
        opportunities, reports, events): its query vector comes from the cache."""
        dense, lexical, firm_of = self.candidate_scores(session, text, k, retriever, stored)
        hits = fuse(dense, lexical, weights_for(self.encoder.model_name))
        for h in hits.values():
            h.firm_id = firm_of.get(h.capability_id, 0)
        ranked = best_first(hits.values())
        return [h for h in ranked if h.firm_id][:k]

    def candidate_scores(
        self,
        session: Session,
        text: str,
        k: int = CANDIDATES,
        retriever: str = "hybrid",
        stored: bool = False,
    ) -> tuple[dict[int, float], dict[int, float], dict[int, int]]:
        """Each retriever's raw scores of the candidates for ``text`` (for ``hybrid``,
        every candidate scored by both), and the capabilities' firms: what ``fuse``
        combines (the evaluation compares combinations on them)."""
        bundle = self.bundle()
        if bundle is None:
            lexical_index, firm_of = self._fallback_index(session)
            return {}, dict(lexical_index.search(text, k)), firm_of
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        vector = None
        if retriever in ("dense", "hybrid"):
            query = [expand_query(text, bundle.tagger)]
            if stored:
                vector = self.encoder.encode_stored_queries(query)[0][0]
            else:
                vector = self.encoder.encode_queries(query)[0]
            dense = dict(bundle.vectors.search(vector, k))
        if retriever in ("lexical", "hybrid"):
            lexical = dict(bundle.lexical.search(text, k))
        if retriever == "hybrid":
            # Score every candidate with both retrievers, not just the ones each found.
            for cid, score in bundle.lexical.score(text, list(dense.keys() - lexical.keys())):
                lexical[cid] = score
            missing = list(lexical.keys() - dense.keys())
            if missing:
                vectors = bundle.vectors.vectors(missing)
                for cid, score in zip(missing, vectors @ vector, strict=True):
                    dense[cid] = float(score)
        return dense, lexical, bundle.firm_of

    @property
    def tagger(self) -> ConceptTagger:
        bundle = self.bundle()
        if bundle is not None:
            return bundle.tagger
        if self._fallback is not None:
            return self._fallback[1].analyzer.tagger or ConceptTagger()
        return ConceptTagger()

    def firms_tagged(self, concept_id: str) -> set[int]:
        """Firms with a capability whose text mentions the concept (any language)."""
        bundle = self.bundle()
        if bundle is None:
            return set()
        return {
            bundle.firm_of[cid]
            for cid, found in bundle.concepts.items()
            if concept_id in found and cid in bundle.firm_of
        }

    def concept_counts(self, kind: str) -> list[tuple[str, int]]:
        """(concept id, number of firms) for concepts of ``kind`` found in the catalog."""
        bundle = self.bundle()
        if bundle is None:
            return []
        cached = getattr(self, "_concept_counts", None)
        if cached is not None and cached[0] == (bundle.version, bundle.through, kind):
            return cached[1]
        firms: dict[str, set[int]] = {}
        for cid, found in bundle.concepts.items():
            for concept_id in found:
                info = bundle.tagger.info(concept_id)
                if info is not None and info.kind == kind and cid in bundle.firm_of:
                    firms.setdefault(concept_id, set()).add(bundle.firm_of[cid])
        counts = sorted(((c, len(f)) for c, f in firms.items()), key=lambda t: (-t[1], t[0]))
        self._concept_counts = ((bundle.version, bundle.through, kind), counts)
        return counts

    def search_firms(self, session: Session, text: str, k: int = 200) -> list[Hit]:
        """Each firm's best capability hit for a directory search, best first (the
        directory turns them into calibrated probabilities, ``matching.calibration``)."""
        best: dict[int, Hit] = {}
        for hit in self.retrieve(session, text, CANDIDATES):
            if hit.firm_id not in best or hit.fused > best[hit.firm_id].fused:
                best[hit.firm_id] = hit
        return best_first(best.values(), tie=lambda h: h.firm_id)[:k]

    # -- matching ---------------------------------------------------------------------
    def match_need(self, session: Session, need: Need, limit: int = 20) -> list[FirmMatch]:
        """Suppliers for a need, ranked, each with its best capability and reasons.

        Retrieval ranks capabilities; the best ``FIRM_POOL`` firms by relevance are then
        scored on structured fit, which can reorder them but not bring in a firm that
        retrieval did not find relevant at all. What is scored about each firm comes
        from ``self.firms`` (checked against the database): ``FirmMatch.firm`` is a
        ``FirmFacts``, not a row; pages that show more load the rows they show.
        """
        query = need_text(need)
        hits = self.retrieve(session, query, CANDIDATES, stored=True)
        # The form's requirements and the hard terms of the need's text.
        requirements, _ = need_requirements(session, need, self.tagger)
        by_firm: dict[int, list[Hit]] = {}
        for h in hits:
            if h.firm_id != need.buyer_id:
                by_firm.setdefault(h.firm_id, []).append(h)
        pool = sorted(by_firm, key=lambda f: -by_firm[f][0].fused)[: max(FIRM_POOL, limit * 2)]
        firms = self.firms.get(session, pool)
        results = []
        for firm_id in pool:
            firm = firms.get(firm_id)
            if firm is None:
                continue
            best = self.score_firm(need, firm, by_firm[firm_id], requirements)
            if best is not None:
                results.append(best)
        results.sort(key=lambda m: (-m.score, m.firm_id))
        reranker = self.reranker()
        if reranker is not None and results:
            features = self.features(query, need, results, firms)
            learned = reranker.scores(features)
            order = sorted(range(len(results)), key=lambda i: (-learned[i], results[i].firm_id))
            results = [results[i] for i in order]
        results = results[:limit]
        calibrated = calibration.for_model(self.encoder.model_name)
        for m in results:
            if calibrated is not None:
                m.probability = calibrated.probability(m.score, m.hit)
        explain = Explainer(query, self.tagger)
        texts = capability_texts(session, [m.capability_id for m in results])
        for m in results:
            m.reasons = explain(m.capability_id, texts.get(m.capability_id, ""), m.hit)
            if reranker is not None:
                m.reasons.append(
                    {"kind": "learned", "judgements": reranker.meta.get("judgements", 0)}
                )
        return results

    def match_need_filtered(
        self,
        session: Session,
        need: Need,
        limit: int = 20,
        qualified_only: bool = False,
        province: str | None = None,
        min_score: float = 0.0,
    ) -> list[FirmMatch]:
        """``match_need`` with the buyer's filters (the need page, its export, the API).

        Filters drop matches, so with any filter set the ranking is drawn deeper first
        (``FILTER_DEPTH``); without, exactly ``limit`` are ranked: loading and checking
        three times the firms for the same first page was most of a match's time.
        """
        filtered = qualified_only or bool(province) or min_score > 0
        depth = max(FILTER_DEPTH, limit) if filtered else limit
        matches = self.match_need(session, need, limit=depth)
        firms = {m.firm_id: m.firm for m in matches}
        return filter_matches(matches, firms, qualified_only, province, min_score)[:limit]

    def features(
        self, query: str, need: Need, matches: list[FirmMatch], firms: dict[int, Any]
    ) -> np.ndarray:
        """Learning-to-rank features of each match's best capability."""
        bundle = self.bundle()
        need_concepts = {h.concept_id for h in self.tagger.tag(query)}
        rows = []
        for m in matches:
            firm = firms[m.firm_id]
            cap = next(c for c in firm.capabilities if c.id == m.capability_id)
            cap_concepts = set(bundle.concepts.get(cap.id, {})) if bundle else set()
            rows.append(
                pair_features(
                    need, cap, firm, m.hit, m.checks, m.score, m.fit, need_concepts, cap_concepts
                )
            )
        return np.vstack(rows)

    def judged_examples(
        self, session: Session, need: Need, grades: dict[int, int]
    ) -> list[Example]:
        """Training examples for one need: features of each judged firm's match."""
        wanted = self.match_need_unranked(session, need, set(grades))
        if not wanted:
            return []
        # The facts ranking reads (with the buyers' ratings), so a model learns from
        # the same features it is served.
        firms = self.firms.get(session, [m.firm_id for m in wanted])
        features = self.features(need_text(need), need, wanted, firms)
        return [
            Example(str(need.id), grades[m.firm_id], row)
            for m, row in zip(wanted, features, strict=True)
        ]

    def match_need_unranked(
        self, session: Session, need: Need, only: set[int] | None = None
    ) -> list[FirmMatch]:
        """Retrieved suppliers' best matches for a need (or only of firms ``only``),
        scored but not reranked."""
        hits = self.retrieve(session, need_text(need), CANDIDATES, stored=True)
        by_firm: dict[int, list[Hit]] = {}
        for h in hits:
            if only is None or h.firm_id in only:
                by_firm.setdefault(h.firm_id, []).append(h)
        firms = firms_by_ids(session, list(by_firm))
        requirements, _ = need_requirements(session, need, self.tagger)
        out = []
        for firm_id, firm_hits in by_firm.items():
            if firm_id in firms:
                m = self.score_firm(need, firms[firm_id], firm_hits, requirements)
                if m is not None:
                    out.append(m)
        return out

    @staticmethod
    def score_firm(
        need: Need, firm: Any, firm_hits: list[Hit], requirements: Any = None
    ) -> FirmMatch | None:
        """A firm's best capability for a need, with its checks and score: the one
        scoring shared by the buyer's match page and a supplier's opportunities.
        ``requirements``: what is checked (``query_terms.need_requirements``: the form
        and the hard terms of the text); the need's form alone when not given."""
        need = need if requirements is None else requirements
        caps = {c.id: c for c in firm.capabilities}
        cert_checks = certification_checks(need, firm)
        best: FirmMatch | None = None
        for h in firm_hits:
            cap = caps.get(h.capability_id)
            if cap is None:
                continue
            checks = cert_checks + capability_checks(need, cap, firm)
            score, fit = final_score(h.fused, checks)
            if best is None or score > best.score:
                best = FirmMatch(firm.id, cap.id, score, h.fused, fit, checks, [], h)
        if best is not None:
            best.firm = firm
            best.other_capabilities = [
                h.capability_id for h in firm_hits if h.capability_id != best.capability_id
            ][:3]
        return best


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
