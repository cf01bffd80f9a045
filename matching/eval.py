"""Evaluation harness: rank a BEIR dataset with the service's own pipeline and score it.

    python -m matching.eval DATASET_DIR [--retriever NAME ...] [--json] [--model NAME]

DATASET_DIR holds ``corpus.jsonl`` (_id, title, text[, metadata]), ``queries.jsonl``
(_id, text[, metadata]) and ``qrels/test.tsv`` (query-id, corpus-id, score 0..3).
The corpus is indexed with ``matching.indexing.build_bundle``, the code the service
uses, and queried through ``MatchEngine``. Retrievers:

* ``bm25``    — Okapi BM25 over folded words (baseline, no vocabulary)
* ``lexical`` — the service's TF-IDF retriever with bilingual concept features
* ``dense``   — the sentence-transformers encoder over FAISS
* ``hybrid``  — their fusion
* ``full``    — exactly what the service ranks with: fusion, then structured fit
  (process, materials, capacity, tolerance, certifications, distance) from the
  documents' and queries' ``metadata`` where the dataset has it, then the learned
  reranker when one is given (``--reranker``).

Reported per retriever: nDCG@10 (graded gains), Recall@100 and MRR@10 (relevant =
grade ≥ 1), and single-query latency p50/p95 in ms. With metadata ``language`` on
queries and documents, nDCG@10 is also reported per query→document language pair.
Document embeddings are cached by content (``--cache``), so a rerun is fast.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catalog.models import Capability, Certification, Concept, Firm, Need, Province
from catalog.reference_data import former_province_data, taxonomy_data
from catalog.text import detect_language, has_diacritics, nfc, strip_diacritics

from .bm25 import BM25Index
from .concepts import ConceptTagger
from .constraints import capability_checks, certification_checks
from .embedding_cache import EmbeddingCache
from .encoder import Encoder, default_model
from .engine import CANDIDATES, MatchEngine, final_score
from .fusion import Hit, best_first, fuse, rrf, weights_for
from .indexing import build_bundle
from .reranker import Example, Reranker, pair_features, train

RETRIEVERS = ("bm25", "lexical", "dense", "hybrid", "full")


def _convex(wd: float, wl: float):
    return lambda text, dense, lexical: fuse(dense, lexical, (wd, wl))


def _lexical_confidence(text: str, dense: dict[int, float], lexical: dict[int, float]):
    """Lexical weight scaled by the best lexical cosine (0.5 at cosine >= 0.3)."""
    top = max(lexical.values(), default=0.0)
    wl = 0.5 * min(1.0, top / 0.3)
    return fuse(dense, lexical, (1.0 - wl, wl))


def _agreement(text: str, dense: dict[int, float], lexical: dict[int, float]):
    """Lexical weight scaled by how many of the dense top 10 the lexical top 10 share."""
    top_d = set(sorted(dense, key=lambda c: -dense[c])[:10])
    top_l = set(sorted(lexical, key=lambda c: -lexical[c])[:10])
    wl = 0.5 * len(top_d & top_l) / 10
    return fuse(dense, lexical, (1.0 - wl, wl))


def _query_language(text: str, dense: dict[int, float], lexical: dict[int, float]):
    """0.8 / 0.2 for English queries, 0.5 / 0.5 for Vietnamese ones."""
    return fuse(dense, lexical, (0.8, 0.2) if detect_language(text) == "en" else (0.5, 0.5))


# Combinations of the dense and lexical scores compared by ``--fusions``; "service" is
# the one ``MatchEngine.retrieve`` uses (``fusion.fuse`` with ``fusion.weights_for`` the
# harness's encoder, ``Harness.hybrid``).
FUSIONS = {
    "service": None,
    "convex 0.5/0.5": _convex(0.5, 0.5),
    "convex 0.6/0.4": _convex(0.6, 0.4),
    "convex 0.7/0.3": _convex(0.7, 0.3),
    "convex 0.8/0.2": _convex(0.8, 0.2),
    "convex 0.9/0.1": _convex(0.9, 0.1),
    "dense only": _convex(1.0, 0.0),
    "rrf k=60": lambda text, dense, lexical: rrf(dense, lexical),
    "lexical confidence": _lexical_confidence,
    "agreement": _agreement,
    "query language": _query_language,
}
SERVICE_FUSION = "service"
DEFAULT_CACHE = Path(os.environ.get("KETNOI_EMBEDDING_CACHE", "~/.cache/ketnoi/embeddings.sqlite"))


@dataclass
class Dataset:
    corpus: dict[str, dict[str, Any]]
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def load_dataset(path: str | Path) -> Dataset:
    path = Path(path)

    def jsonl(name: str) -> dict[str, dict[str, Any]]:
        rows = {}
        with open(path / name, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    rows[str(row["_id"])] = row
        return rows

    data = Dataset(jsonl("corpus.jsonl"), jsonl("queries.jsonl"))
    with open(path / "qrels" / "test.tsv", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header[:3] != ["query-id", "corpus-id", "score"]:
            raise ValueError("qrels/test.tsv must start with: query-id, corpus-id, score")
        for line in fh:
            if line.strip():
                qid, did, score = line.rstrip("\n").split("\t")[:3]
                data.qrels.setdefault(qid, {})[did] = int(score)
    return data


def document_text(doc: dict[str, Any]) -> str:
    title, text = nfc(doc.get("title", "")), nfc(doc.get("text", ""))
    return text if not title or text.startswith(title) else f"{title}. {text}"


def taxonomy_tagger() -> ConceptTagger:
    """The tagger built from the packaged taxonomy (what a fresh service database holds)."""
    return ConceptTagger.from_records({**c, "sector_id": c.get("sector")} for c in taxonomy_data())


# -- metrics ------------------------------------------------------------------------
def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))]


# -- structured records for `full` ----------------------------------------------------
class StructuredView:
    """Transient catalog objects built from dataset metadata, so that ``full`` runs the
    service's constraint code on exactly the records the dataset describes."""

    def __init__(self, data: Dataset, ids: dict[str, int]):
        self.concepts = {
            c["id"]: Concept(
                id=c["id"],
                kind=c["kind"],
                name_vi=c["name_vi"],
                name_en=c["name_en"],
                terms=c.get("terms", []),
            )
            for c in taxonomy_data()
        }
        self.provinces = {
            p["code"]: Province(
                id=i,
                code=p["code"],
                name_vi=p["name_vi"],
                name_en=p["name_en"],
                lat=p.get("lat"),
                lon=p.get("lon"),
            )
            # The devset names the provinces of the map before 2025, as its firms do.
            for i, p in enumerate(former_province_data().values(), start=1)
        }
        self.capability: dict[int, Any] = {}
        firms: dict[str, Firm] = {}
        for did, doc in data.corpus.items():
            meta = doc.get("metadata") or {}
            key = str(meta.get("firm", did))
            firm = firms.get(key)
            if firm is None:
                province = self.provinces.get(meta.get("province") or "")
                firm = Firm(
                    id=len(firms) + 1,
                    province=province,
                    province_id=province.id if province else None,
                )
                firm.certifications = [
                    Certification(standard=s, valid_until=None)
                    for s in meta.get("certifications") or []
                ]
                firms[key] = firm
            cap = Capability(
                id=ids[did],
                firm=firm,
                process_id=meta.get("process"),
                capacity_per_month=meta.get("capacity_per_month"),
                tolerance_mm=meta.get("tolerance_mm"),
                min_order_qty=meta.get("min_order_qty"),
            )
            cap.materials = [
                self.concepts[m] for m in meta.get("materials") or [] if m in self.concepts
            ]
            self.capability[ids[did]] = cap

    def need(self, query: dict[str, Any]) -> Need:
        meta = query.get("metadata") or {}
        need = Need(
            title=query["text"],
            required_certifications=list(meta.get("required_certifications") or []),
            quantity_per_year=meta.get("quantity_per_year"),
            tolerance_mm=meta.get("tolerance_mm"),
        )
        if meta.get("process") in self.concepts:
            need.process_id = meta["process"]
            need.process = self.concepts[meta["process"]]
        need.materials = [
            self.concepts[m] for m in meta.get("materials") or [] if m in self.concepts
        ]
        province = self.provinces.get(meta.get("delivery_province") or "")
        if province is not None:
            need.delivery_province, need.delivery_province_id = province, province.id
        return need


# -- the run --------------------------------------------------------------------------
class Harness:
    def __init__(self, data: Dataset, encoder: Encoder, progress: bool = True):
        self.data = data
        self.doc_ids = list(data.corpus)
        self.int_id = {d: i for i, d in enumerate(self.doc_ids, start=1)}
        self.str_id = {i: d for d, i in self.int_id.items()}
        texts = [document_text(data.corpus[d]) for d in self.doc_ids]
        ids = [self.int_id[d] for d in self.doc_ids]
        firm_of = {i: i for i in ids}
        self.bundle = build_bundle(ids, texts, firm_of, taxonomy_tagger(), encoder, progress)
        self.engine = MatchEngine(None, encoder, self.bundle)
        self.bm25 = BM25Index()
        self.bm25.fit(ids, texts)
        self.structured = StructuredView(data, self.int_id)
        self.reranker = None
        self.fusion: str | None = None  # None: the service's own
        self.keep_scores = False
        self._scores: dict[str, tuple[dict[int, float], dict[int, float]]] = {}

    def rank(self, retriever: str, query: dict[str, Any], k: int = CANDIDATES) -> list[str]:
        text = nfc(query["text"])
        if retriever == "bm25":
            hits = [cid for cid, _ in self.bm25.search(text, k)]
        elif retriever in ("lexical", "dense"):
            hits = [
                h.capability_id for h in self.engine.retrieve(None, text, k, retriever, stored=True)
            ]
        elif retriever == "hybrid":
            hits = [h.capability_id for h in self.hybrid(text, k)]
        elif retriever == "full":
            hits = self._full(query, text, k)
        else:
            raise ValueError(f"unknown retriever {retriever!r}; choose from {RETRIEVERS}")
        return [self.str_id[c] for c in hits]

    def hybrid(self, text: str, k: int = CANDIDATES) -> list[Hit]:
        """The fused candidates, best first: the service's ``retrieve`` (hybrid), or,
        with ``self.fusion`` set, another combination of the same candidates' scores
        (kept per text while ``self.keep_scores``, for comparing combinations)."""
        if self.fusion is None and not self.keep_scores:
            return self.engine.retrieve(None, text, k, "hybrid", stored=True)
        scores = self._scores.get(text) if self.keep_scores else None
        if scores is None:
            scores = self.engine.candidate_scores(None, text, k, "hybrid", stored=True)[:2]
            if self.keep_scores:
                self._scores[text] = scores
        dense, lexical = scores
        name = self.fusion or SERVICE_FUSION
        if name == SERVICE_FUSION:
            hits = fuse(dense, lexical, weights_for(self.engine.encoder.model_name))
        else:
            hits = FUSIONS[name](text, dense, lexical)
        ranked = best_first(hits.values())
        for h in ranked:
            h.firm_id = self.bundle.firm_of.get(h.capability_id, 0)
        return ranked[:k]

    def _candidates(self, query: dict[str, Any], text: str, k: int):
        """(score, hit, features) for each candidate, as the service computes them."""
        need = self.structured.need(query)
        need_concepts = {h.concept_id for h in self.bundle.tagger.tag(text)}
        out = []
        for h in self.hybrid(text, k):
            cap = self.structured.capability[h.capability_id]
            checks = certification_checks(need, cap.firm) + capability_checks(need, cap, cap.firm)
            score, fit = final_score(h.fused, checks)
            cap_concepts = set(self.bundle.concepts.get(h.capability_id, {}))
            features = pair_features(
                need, cap, cap.firm, h, checks, score, fit, need_concepts, cap_concepts
            )
            out.append((score, h, features))
        return out

    def _full(self, query: dict[str, Any], text: str, k: int) -> list[int]:
        candidates = self._candidates(query, text, k)
        scored = [(s, h) for s, h, _ in candidates]
        if self.reranker is not None and candidates:
            learned = self.reranker.scores(np.vstack([f for _, _, f in candidates]))
            scored = [(float(v), h) for v, (_, h) in zip(learned, scored, strict=True)]
        scored.sort(key=lambda sh: (-sh[0], sh[1].capability_id))
        return [h.capability_id for _, h in scored]

    def scored_pairs(self, depth: int = 100) -> list[tuple[str, str, float, Hit, int]]:
        """(query id, document id, final score, hit, grade) of each query's first
        ``depth`` candidates as ``full`` ranks them (no reranker): what calibration
        is fitted on. Unjudged documents count as grade 0 (the set is pooled)."""
        out = []
        for qid, query in self.data.queries.items():
            grades = self.data.qrels.get(qid)
            if not grades:
                continue
            candidates = self._candidates(query, nfc(query["text"]), CANDIDATES)
            candidates.sort(key=lambda c: (-c[0], c[1].capability_id))
            for score, h, _ in candidates[:depth]:
                doc = self.str_id[h.capability_id]
                out.append((qid, doc, score, h, grades.get(doc, 0)))
        return out

    def examples(self, query_ids: list[str]) -> list[Example]:
        """Judged candidates of these queries as learning-to-rank examples."""
        out = []
        for qid in query_ids:
            query = self.data.queries[qid]
            grades = self.data.qrels.get(qid, {})
            for _, h, features in self._candidates(query, nfc(query["text"]), CANDIDATES):
                doc = self.str_id[h.capability_id]
                if doc in grades:
                    out.append(Example(qid, grades[doc], features))
        return out

    def evaluate(
        self, retrievers: list[str], by_language: bool = True, timed: bool = True
    ) -> dict[str, Any]:
        results: dict[str, Any] = {}
        qids = [q for q in self.data.queries if self.data.qrels.get(q)]
        for name in retrievers:
            if timed:
                self.rank(name, self.data.queries[qids[0]])  # warm-up (model load, caches)
            per_query: dict[str, list[str]] = {}
            timings = []
            for qid in qids:
                started = time.perf_counter()
                per_query[qid] = self.rank(name, self.data.queries[qid])
                timings.append((time.perf_counter() - started) * 1000)
            headline = headline_queries(self.data)
            metrics: dict[str, Any] = self.metrics(per_query, headline)
            if timed:
                metrics["p50_ms"] = round(percentile(timings, 50), 2)
                metrics["p95_ms"] = round(percentile(timings, 95), 2)
            if by_language:
                directions = self.directions(per_query, headline)
                if directions:
                    metrics["ndcg@10_by_language"] = {
                        k: v["ndcg@10"] for k, v in directions.items()
                    }
                    metrics["by_direction"] = directions
                slices = self.diacritics_slices(per_query)
                if slices:
                    metrics["slices"] = slices
            results[name] = metrics
        return results

    def metrics(self, per_query: dict[str, list[str]], qids: list[str]) -> dict[str, Any]:
        rels = self.data.qrels
        return {
            "ndcg@10": _mean(ndcg_at(per_query[q], rels[q]) for q in qids),
            "recall@100": _mean(recall_at(per_query[q], rels[q]) for q in qids),
            "mrr@10": _mean(mrr_at(per_query[q], rels[q]) for q in qids),
        }

    def directions(
        self, per_query: dict[str, list[str]], qids: list[str] | None = None
    ) -> dict[str, dict[str, float]]:
        """nDCG@10 and Recall@100 of queries in one language against the documents in
        one language (the ranking restricted to them): en->en, en->vi, vi->en, vi->vi."""
        doc_lang = self._doc_languages()
        ndcg: dict[str, list[float]] = defaultdict(list)
        recall: dict[str, list[float]] = defaultdict(list)
        for qid in qids if qids is not None else per_query:
            ranked = per_query[qid]
            q_lang = (self.data.queries[qid].get("metadata") or {}).get("language")
            if not q_lang:
                continue
            for lang in sorted({v for v in doc_lang.values() if v}):
                rels = {d: r for d, r in self.data.qrels[qid].items() if doc_lang.get(d) == lang}
                if any(r > 0 for r in rels.values()):
                    sliced = [d for d in ranked if doc_lang.get(d) == lang]
                    ndcg[f"{q_lang}->{lang}"].append(ndcg_at(sliced, rels))
                    recall[f"{q_lang}->{lang}"].append(recall_at(sliced, rels))
        return {
            k: {
                "ndcg@10": round(statistics.mean(ndcg[k]), 4),
                "recall@100": round(statistics.mean(recall[k]), 4),
                "queries": len(ndcg[k]),
            }
            for k in sorted(ndcg)
        }

    def language_slices(self, per_query: dict[str, list[str]]) -> dict[str, float]:
        """nDCG@10 of queries in one language against documents in one language."""
        return {k: v["ndcg@10"] for k, v in self.directions(per_query).items()}

    def _doc_languages(self) -> dict[str, str | None]:
        cached = getattr(self, "_doc_lang", None)
        if cached is None:
            cached = self._doc_lang = {
                d: (self.data.corpus[d].get("metadata") or {}).get("language") for d in self.doc_ids
            }
        return cached

    def diacritics_slices(self, per_query: dict[str, list[str]]) -> dict[str, Any]:
        """Vietnamese typed without diacritics: the set's own such queries, and the
        derived copies (``with_stripped_queries``) of those written with diacritics,
        next to their originals, per direction."""
        queries = self.data.queries
        meta = {q: queries[q].get("metadata") or {} for q in per_query}
        typed = [
            q
            for q in per_query
            if meta[q].get("language") == "vi"
            and not meta[q].get("diacritics", True)
            and not meta[q].get("stripped_from")
        ]
        stripped = [q for q in per_query if meta[q].get("stripped_from")]
        originals = [
            meta[q]["stripped_from"] for q in stripped if meta[q]["stripped_from"] in per_query
        ]
        out: dict[str, Any] = {}
        for name, qids in (
            ("vi typed without diacritics", typed),
            ("vi with diacritics (originals)", originals),
            ("vi with diacritics stripped", stripped),
        ):
            if qids:
                out[name] = {
                    **self.metrics(per_query, qids),
                    "queries": len(qids),
                    "by_direction": self.directions(per_query, qids),
                }
        return out


def with_stripped_queries(data: Dataset) -> Dataset:
    """The dataset plus, for every Vietnamese query written with diacritics, a copy
    with them stripped (as typed on a keyboard without a Vietnamese input method),
    judged as its original; marked ``metadata.stripped_from``."""
    queries = dict(data.queries)
    qrels = dict(data.qrels)
    for qid, query in data.queries.items():
        meta = query.get("metadata") or {}
        if meta.get("language") != "vi" or not has_diacritics(query["text"]):
            continue
        copy_id = f"{qid}~nodiac"
        queries[copy_id] = {
            **query,
            "_id": copy_id,
            "text": strip_diacritics(query["text"]),
            "metadata": {**meta, "diacritics": False, "stripped_from": qid},
        }
        if qid in data.qrels:
            qrels[copy_id] = data.qrels[qid]
    return Dataset(data.corpus, queries, qrels)


def headline_queries(data: Dataset) -> list[str]:
    """The set's own judged queries (without the derived copies)."""
    return [
        q
        for q, v in data.queries.items()
        if data.qrels.get(q) and not (v.get("metadata") or {}).get("stripped_from")
    ]


def learning_report(harness: Harness, seed: int = 0) -> dict[str, Any]:
    """Train on some queries' judgements, evaluate `full` on the held-out queries."""
    from sklearn.model_selection import GroupShuffleSplit

    qids = sorted(q for q in harness.data.queries if harness.data.qrels.get(q))
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
    train_idx, test_idx = next(split.split(qids, groups=qids))
    train_q, test_q = [qids[i] for i in train_idx], [qids[i] for i in test_idx]
    result = train(harness.examples(train_q), seed=seed)
    held_out = {q: harness.data.queries[q] for q in test_q}
    full = Harness.__new__(Harness)
    full.__dict__.update(harness.__dict__)
    full.data = Dataset(harness.data.corpus, held_out, harness.data.qrels)
    full.reranker = None
    before = full.evaluate(["full"], by_language=False)["full"]["ndcg@10"]
    after = None
    if result.reranker is not None:
        full.reranker = result.reranker
        after = full.evaluate(["full"], by_language=False)["full"]["ndcg@10"]
    return {
        "training": result.summary(),
        "heldout_queries": len(test_q),
        "full_ndcg@10": before,
        "full_with_reranker_ndcg@10": after,
    }


def compare_fusions(harness: Harness, names: list[str] | None = None) -> dict[str, Any]:
    """`hybrid` and `full` under each combination of the same candidates' scores:
    nDCG@10 and Recall@100 overall and per direction."""
    harness.keep_scores = True
    out: dict[str, Any] = {}
    try:
        for name in names or list(FUSIONS):
            harness.fusion = name
            out[name] = harness.evaluate(["hybrid", "full"], timed=False)
    finally:
        harness.fusion, harness.keep_scores = None, False
    return out


def _mean(values) -> float:
    values = list(values)
    return round(statistics.mean(values), 4) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matching.eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", help="folder in BEIR format")
    parser.add_argument(
        "--retriever",
        action="append",
        choices=RETRIEVERS,
        help="repeat to choose several (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", default=os.environ.get("ENCODER_MODEL") or default_model())
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="embedding cache file")
    parser.add_argument("--reranker", help="a learned reranker file to apply in `full`")
    parser.add_argument(
        "--fusions",
        action="store_true",
        help="compare ways of combining the dense and lexical scores (hybrid and full)",
    )
    parser.add_argument(
        "--no-stripped",
        action="store_true",
        help="do not add the diacritics-stripped copies of the Vietnamese queries",
    )
    parser.add_argument(
        "--learn",
        action="store_true",
        help="train the reranker on 75%% of the queries' judgements and compare `full` "
        "with and without it on the other 25%%",
    )
    args = parser.parse_args(argv)

    data = load_dataset(args.dataset)
    if not args.no_stripped and not args.learn:
        data = with_stripped_queries(data)
    encoder = Encoder(args.model, cache=EmbeddingCache(Path(args.cache).expanduser()))
    harness = Harness(data, encoder, progress=sys.stderr.isatty() or not args.json)
    if args.reranker:
        harness.reranker = Reranker.load(args.reranker)
    if args.learn:
        report = learning_report(harness)
        print(json.dumps(report, indent=None if args.json else 1))
        return 0
    if args.fusions:
        comparison = compare_fusions(harness)
        if args.json:
            print(json.dumps(comparison))
            return 0
        print_fusions(comparison)
        return 0
    results = harness.evaluate(args.retriever or list(RETRIEVERS))
    if args.json:
        print(json.dumps(results))
        return 0
    headline = len(headline_queries(data))
    print(f"{len(data.corpus)} documents, {headline} queries, model {args.model}")
    print(
        f"{'retriever':<10} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for name, m in results.items():
        print(
            f"{name:<10} {m['ndcg@10']:>8.4f} {m['recall@100']:>7.4f} {m['mrr@10']:>7.4f} "
            f"{m['p50_ms']:>8.1f} {m['p95_ms']:>8.1f}"
        )
    print("\nper direction, nDCG@10 / Recall@100:")
    directions = sorted({d for m in results.values() for d in m.get("by_direction", {})})
    print(f"{'retriever':<10} " + " ".join(f"{d:>15}" for d in directions))
    for name, m in results.items():
        cells = [m.get("by_direction", {}).get(d) for d in directions]
        print(f"{name:<10} " + " ".join(_cell(c) for c in cells))
    slices = sorted({s for m in results.values() for s in m.get("slices", {})})
    for slice_name in slices:
        print(f"\n{slice_name}, nDCG@10 / Recall@100 (overall, then per direction):")
        for name, m in results.items():
            sl = m.get("slices", {}).get(slice_name)
            if sl:
                cells = [sl["by_direction"].get(d) for d in directions]
                print(
                    f"{name:<10} {sl['ndcg@10']:.4f} / {sl['recall@100']:.4f}  "
                    + " ".join(_cell(c) for c in cells)
                    + f"  ({sl['queries']} queries)"
                )
    return 0


def _cell(value: dict[str, float] | None) -> str:
    return (
        f"{'-':>15}" if not value else f"{value['ndcg@10']:.4f}/{value['recall@100']:.4f}".rjust(15)
    )


def print_fusions(comparison: dict[str, Any]) -> None:
    directions = sorted(
        {d for r in comparison.values() for m in r.values() for d in m.get("by_direction", {})}
    )
    print(
        f"{'fusion':<20} {'':<6} {'nDCG@10':>8} {'R@100':>7} "
        + " ".join(f"{d:>8}" for d in directions)
        + "  (per direction: nDCG@10)"
    )
    for name, results in comparison.items():
        for retriever, m in results.items():
            cells = [m.get("by_direction", {}).get(d, {}).get("ndcg@10") for d in directions]
            print(
                f"{name:<20} {retriever:<6} {m['ndcg@10']:>8.4f} {m['recall@100']:>7.4f} "
                + " ".join(f"{c:>8.4f}" if c is not None else f"{'-':>8}" for c in cells)
            )


if __name__ == "__main__":
    raise SystemExit(main())
