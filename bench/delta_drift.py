"""How far ranking drifts while edits wait in the change log, before a merge.

    .venv/bin/python -m bench.delta_drift [--shares 0.1 0.3 0.5] [--seed 1]

On the development set (matching/data/devset, through the evaluation harness): the
index built from every document (what a merge gives) against a base built from the
rest with a share of the documents held out and written back as one change of the log
(``matching.changes.Layers``: their vectors unchanged, their lexical rows in the base's
vocabulary and document frequencies, as readers score them before a merge). nDCG@10,
recall@100 and MRR@10 of the lexical, dense and hybrid retrievers, side by side. The
dense scores of a layered document are exactly the merged ones; what can drift is the
lexical side: words only the held-out documents use are unknown to the base's
vocabulary, and the base's document frequencies miss them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

import numpy as np

from matching.changes import Change, ChangedDocument, Layers
from matching.documents import content_digest
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, default_model
from matching.engine import MatchEngine
from matching.eval import DEFAULT_CACHE, Harness, document_text, load_dataset, taxonomy_tagger
from matching.indexing import _concepts, build_bundle

DEVSET = Path(__file__).resolve().parents[1] / "matching" / "data" / "devset"
RETRIEVERS = ["lexical", "dense", "hybrid"]


def layered(harness: Harness, share: float, seed: int):
    """A base without ``share`` of the documents, and them written back as one change."""
    full = harness.bundle
    ids = sorted(full.digests)
    held = set(random.Random(seed).sample(ids, round(len(ids) * share)))
    kept = [i for i in ids if i not in held]
    texts = {harness.int_id[d]: document_text(harness.data.corpus[d]) for d in harness.doc_ids}
    tagger = taxonomy_tagger()
    base = build_bundle(
        kept, [texts[i] for i in kept], {i: i for i in kept}, tagger, harness.engine.encoder
    )
    back = sorted(held)
    change = Change(
        id=1,
        previous=0,
        stamp="",
        removed=(),
        documents=tuple(
            ChangedDocument(i, i, content_digest(texts[i]), texts[i], _concepts(tagger, texts[i]))
            for i in back
        ),
        vectors=np.asarray(full.vectors.vectors(back), dtype=np.float32),
    )
    return Layers.over(base).apply([change]).bundle


def scores(harness: Harness) -> dict[str, dict[str, float]]:
    result = harness.evaluate(RETRIEVERS, by_language=False, timed=False)
    return {
        name: {k: round(v, 4) for k, v in m.items() if k in ("ndcg@10", "recall@100", "mrr@10")}
        for name, m in result.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.1, 0.3, 0.5])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=os.environ.get("ENCODER_MODEL") or default_model())
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    args = parser.parse_args()
    encoder = Encoder(args.model, cache=EmbeddingCache(Path(args.cache).expanduser()))
    harness = Harness(load_dataset(DEVSET), encoder, progress=False)
    merged = harness.bundle
    rows = [{"index": "merged (every document in the base)", **_flat(scores(harness))}]
    for share in args.shares:
        bundle = layered(harness, share, args.seed)
        harness.bundle, harness.engine = bundle, MatchEngine(None, encoder, bundle)
        rows.append({"index": f"{share:.0%} of the documents in the log", **_flat(scores(harness))})
        harness.bundle, harness.engine = merged, MatchEngine(None, encoder, merged)
    print(json.dumps({"model": encoder.model_name, "documents": len(merged), "rows": rows}))
    print()
    keys = [k for k in rows[0] if k != "index"]
    print("| index | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for row in rows:
        print(f"| {row['index']} | " + " | ".join(f"{row[k]:.4f}" for k in keys) + " |")


def _flat(nested: dict[str, dict[str, float]]) -> dict[str, float]:
    return {f"{name} {metric}": v for name, m in nested.items() for metric, v in m.items()}


if __name__ == "__main__":
    main()
