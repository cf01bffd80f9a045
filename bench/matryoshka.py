"""Dense retrieval quality of shorter EmbeddingGemma vectors (Matryoshka truncation).

    .venv/bin/python -m bench.matryoshka [--dims 768 512 256 128]

EmbeddingGemma was trained so that the first 512, 256 or 128 of its 768 dimensions are
an embedding of their own. A shorter vector makes the FAISS index and every search
smaller; it does not make the encoder faster. This ranks the development set's corpus
for each query with the shipped vectors cut to each size and normalised again (cutting
alone does not keep them unit length), and prints dense nDCG@10 and Recall@100 per
query → document language.
"""

from __future__ import annotations

import argparse

import numpy as np

from catalog.text import nfc
from matching.concepts import expand_query
from matching.encoder import GEMMA_MODEL, Encoder
from matching.eval import document_text, load_dataset, ndcg_at, recall_at, taxonomy_tagger
from matching.packaged_vectors import DEVSET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dims", nargs="*", type=int, default=[768, 512, 256, 128])
    args = parser.parse_args()
    data = load_dataset(DEVSET)
    tagger = taxonomy_tagger()
    encoder = Encoder(GEMMA_MODEL)
    doc_ids = list(data.corpus)
    docs = encoder.encode_documents([document_text(data.corpus[d]) for d in doc_ids])
    qids = list(data.queries)
    texts = [expand_query(nfc(data.queries[q]["text"]), tagger) for q in qids]
    queries = encoder.encode_queries(texts)
    lang = {d: data.corpus[d].get("metadata", {}).get("language", "vi") for d in doc_ids}
    print("dims  " + "  ".join(f"{s:>15}" for s in ("all", "en→vi", "vi→en")))
    for dim in args.dims:
        d = docs[:, :dim] / np.linalg.norm(docs[:, :dim], axis=1, keepdims=True)
        q = queries[:, :dim] / np.linalg.norm(queries[:, :dim], axis=1, keepdims=True)
        scores = q @ d.T
        slices: dict[str, list[tuple[float, float]]] = {"all": [], "en→vi": [], "vi→en": []}
        for row, qid in enumerate(qids):
            rels = data.qrels.get(qid, {})
            qlang = data.queries[qid].get("metadata", {}).get("language", "vi")
            ranked = [doc_ids[i] for i in np.argsort(-scores[row])[:100]]
            pair = (ndcg_at(ranked, rels), recall_at(ranked, rels))
            slices["all"].append(pair)
            other = "vi" if qlang == "en" else "en"
            cross = {k: v for k, v in rels.items() if lang[k] == other}
            if cross:
                ranked_cross = [c for c in ranked if lang[c] == other]
                key = f"{qlang}→{other}"
                slices[key].append((ndcg_at(ranked_cross, cross), recall_at(ranked_cross, cross)))
        cells = []
        for name in ("all", "en→vi", "vi→en"):
            pairs = slices[name]
            n = np.mean([p[0] for p in pairs]) if pairs else float("nan")
            r = np.mean([p[1] for p in pairs]) if pairs else float("nan")
            cells.append(f"{n:.4f} / {r:.4f}")
        print(f"{dim:4}  " + "  ".join(f"{c:>15}" for c in cells))


if __name__ == "__main__":
    main()
