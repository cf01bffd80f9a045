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
from catalog.text import nfc

from .bm25 import BM25Index
from .concepts import ConceptTagger
from .constraints import capability_checks, certification_checks
from .embedding_cache import EmbeddingCache
from .encoder import DEFAULT_MODEL, Encoder
from .engine import CANDIDATES, MatchEngine, final_score
from .indexing import build_bundle
from .reranker import Example, Reranker, pair_features, train

RETRIEVERS = ("bm25", "lexical", "dense", "hybrid", "full")
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

    def rank(self, retriever: str, query: dict[str, Any], k: int = CANDIDATES) -> list[str]:
        text = nfc(query["text"])
        if retriever == "bm25":
            hits = [cid for cid, _ in self.bm25.search(text, k)]
        elif retriever in ("lexical", "dense", "hybrid"):
            hits = [h.capability_id for h in self.engine.retrieve(None, text, k, retriever)]
        elif retriever == "full":
            hits = self._full(query, text, k)
        else:
            raise ValueError(f"unknown retriever {retriever!r}; choose from {RETRIEVERS}")
        return [self.str_id[c] for c in hits]

    def _candidates(self, query: dict[str, Any], text: str, k: int):
        """(score, hit, features) for each candidate, as the service computes them."""
        need = self.structured.need(query)
        need_concepts = {h.concept_id for h in self.bundle.tagger.tag(text)}
        out = []
        for h in self.engine.retrieve(None, text, k, "hybrid"):
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

    def evaluate(self, retrievers: list[str], by_language: bool = True) -> dict[str, Any]:
        results: dict[str, Any] = {}
        qids = [q for q in self.data.queries if self.data.qrels.get(q)]
        for name in retrievers:
            self.rank(name, self.data.queries[qids[0]])  # warm-up (model load, caches)
            per_query: dict[str, list[str]] = {}
            timings = []
            for qid in qids:
                started = time.perf_counter()
                per_query[qid] = self.rank(name, self.data.queries[qid])
                timings.append((time.perf_counter() - started) * 1000)
            metrics = {
                "ndcg@10": _mean(ndcg_at(per_query[q], self.data.qrels[q]) for q in qids),
                "recall@100": _mean(recall_at(per_query[q], self.data.qrels[q]) for q in qids),
                "mrr@10": _mean(mrr_at(per_query[q], self.data.qrels[q]) for q in qids),
                "p50_ms": round(percentile(timings, 50), 2),
                "p95_ms": round(percentile(timings, 95), 2),
            }
            if by_language:
                slices = self.language_slices(per_query)
                if slices:
                    metrics["ndcg@10_by_language"] = slices
            results[name] = metrics
        return results

    def language_slices(self, per_query: dict[str, list[str]]) -> dict[str, float]:
        """nDCG@10 of queries in one language against documents in one language."""
        doc_lang = {
            d: (self.data.corpus[d].get("metadata") or {}).get("language") for d in self.doc_ids
        }
        scores: dict[str, list[float]] = defaultdict(list)
        for qid, ranked in per_query.items():
            q_lang = (self.data.queries[qid].get("metadata") or {}).get("language")
            if not q_lang:
                continue
            for lang in {v for v in doc_lang.values() if v}:
                rels = {d: r for d, r in self.data.qrels[qid].items() if doc_lang.get(d) == lang}
                if any(r > 0 for r in rels.values()):
                    sliced = [d for d in ranked if doc_lang.get(d) == lang]
                    scores[f"{q_lang}->{lang}"].append(ndcg_at(sliced, rels))
        return {k: round(statistics.mean(v), 4) for k, v in sorted(scores.items()) if v}


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
    parser.add_argument("--model", default=os.environ.get("ENCODER_MODEL", DEFAULT_MODEL))
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="embedding cache file")
    parser.add_argument("--reranker", help="a learned reranker file to apply in `full`")
    parser.add_argument(
        "--learn",
        action="store_true",
        help="train the reranker on 75%% of the queries' judgements and compare `full` "
        "with and without it on the other 25%%",
    )
    args = parser.parse_args(argv)

    data = load_dataset(args.dataset)
    encoder = Encoder(args.model, cache=EmbeddingCache(Path(args.cache).expanduser()))
    harness = Harness(data, encoder, progress=sys.stderr.isatty() or not args.json)
    if args.reranker:
        harness.reranker = Reranker.load(args.reranker)
    if args.learn:
        report = learning_report(harness)
        print(json.dumps(report, indent=None if args.json else 1))
        return 0
    results = harness.evaluate(args.retriever or list(RETRIEVERS))
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{len(data.corpus)} documents, {len(data.queries)} queries, model {args.model}")
    print(
        f"{'retriever':<10} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for name, m in results.items():
        print(
            f"{name:<10} {m['ndcg@10']:>8.4f} {m['recall@100']:>7.4f} {m['mrr@10']:>7.4f} "
            f"{m['p50_ms']:>8.1f} {m['p95_ms']:>8.1f}"
        )
        if m.get("ndcg@10_by_language"):
            print(" " * 11 + "  ".join(f"{k} {v:.4f}" for k, v in m["ndcg@10_by_language"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
