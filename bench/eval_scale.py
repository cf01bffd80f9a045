"""The evaluation harness on a corpus of tens of thousands of documents.

    .venv/bin/python -m bench.eval_scale [--seeds 17] [--out /tmp/ketnoi-devset-scaled]

Writes a BEIR dataset: the development set plus capabilities of demo catalogs generated
with other seeds (about 1,130 each), written out the way the service indexes them, then
runs ``python -m matching.eval`` on it and prints the timings. The added documents are
unjudged, and many are as relevant as judged ones (same generator), so nDCG here is a
floor that measures nothing but scale; the point is that the harness handles the size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from catalog.demo import generate_demo_catalog
from catalog.reference_data import taxonomy_data

DEVSET = Path(__file__).resolve().parent.parent / "matching" / "data" / "devset"


def capability_text(cap: dict, names: dict[str, tuple[str, str]]) -> str:
    def bilingual(cid: str) -> str:
        vi, en = names[cid]
        return vi if vi == en else f"{vi} / {en}"

    parts = [cap["title"], cap["description"], cap.get("products", "")]
    if cap.get("process"):
        parts.append(bilingual(cap["process"]))
    if cap.get("materials"):
        parts.append(", ".join(bilingual(m) for m in cap["materials"]))
    parts.append(cap.get("equipment", ""))
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=17)
    parser.add_argument("--out", default="/tmp/ketnoi-devset-scaled")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "qrels").mkdir(parents=True)
    shutil.copy(DEVSET / "queries.jsonl", out / "queries.jsonl")
    shutil.copy(DEVSET / "qrels" / "test.tsv", out / "qrels" / "test.tsv")
    names = {c["id"]: (c["name_vi"], c["name_en"]) for c in taxonomy_data()}
    count = 0
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        fh.write((DEVSET / "corpus.jsonl").read_text(encoding="utf-8"))
        for seed in range(1, args.seeds + 1):
            for firm in generate_demo_catalog(seed=seed)["suppliers"]:
                for n, cap in enumerate(firm["capabilities"], start=1):
                    doc = {
                        "_id": f"x{seed}-{firm['demo_key']}-{n}",
                        "title": cap["title"],
                        "text": capability_text(cap, names),
                    }
                    fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
                    count += 1
    print(f"corpus: {count} added documents + the development set's", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "matching.eval", str(out)], check=True)
    print(f"total seconds: {time.perf_counter() - started:.0f}", file=sys.stderr)


if __name__ == "__main__":
    main()
