"""What one edit costs the index, and what a growing change log costs each read.

    DATABASE_URL=… KETNOI_DATA_DIR=/tmp/kn/data-100k [ENCODER_MODEL=…] \\
        .venv/bin/python -m bench.index_edits [--edits 50] [--layers 0 500 2000] \\
        [--reads 200] [--merge]

On a catalogue of ``bench.synthetic_catalog`` (its index built), in one process, as the
worker and a web process would:

* **writer**: ``--edits`` capabilities edited one at a time (their text changed), each
  followed by ``matching.indexing.reindex_firms`` for its firm: seconds per edit
  (database reads, encoding one text, one row of the log);
* **reader**: a ``MatchEngine`` that follows the log (as a web worker does): seconds to
  apply one new change (read the row, build the new state);
* **reads**: p50/p95 of ``retrieve`` (hybrid, ``--reads`` stored needs' texts) with a
  log of 0, 500 and 2,000 changed documents over the base (``--layers``);
* ``--merge``: seconds to fold the log into a new base (``matching.indexing.merge``).

Prints one JSON object. Edits are real: the catalogue keeps them (the soak does too).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from sqlalchemy import select


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))] if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 500, 2000])
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from catalog.models import Capability, Need
    from jobs.runtime import runtime
    from jobs.sync import index_sync_paused
    from matching import indexing
    from matching.documents import need_text
    from matching.engine import MatchEngine
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"INDEX_PUBLISHES": True})
    rng = random.Random(args.seed)
    out: dict = {}
    with app.app_context():
        rt = runtime()
        session = db.session
        reader = MatchEngine(rt.store, rt.encoder, feed=rt.engine.feed)
        started = time.perf_counter()
        base = reader.bundle()
        out["reader_first_load_s"] = round(time.perf_counter() - started, 2)
        out["documents"] = len(base)
        cap_ids = list(session.scalars(select(Capability.id)))
        needs = [need_text(n) for n in session.scalars(select(Need).limit(args.reads))]
        for text in needs[:20]:  # the need vectors into this process's cache
            reader.retrieve(session, text, stored=True)

        def edit(count: int, timed: bool) -> tuple[list[float], list[float]]:
            write, apply = [], []
            for _ in range(count):
                cap = session.get(Capability, rng.choice(cap_ids))
                with index_sync_paused(session):
                    cap.description = f"{cap.description} {rng.choice(WORDS)}"[-2000:]
                    session.commit()
                t0 = time.perf_counter()
                indexing.reindex_firms(session, rt.store, rt.encoder, [cap.firm_id])
                t1 = time.perf_counter()
                reader.bundle()  # follows the log: reads the new row, builds the state
                t2 = time.perf_counter()
                if timed:
                    write.append(t1 - t0)
                    apply.append(t2 - t1)
            return write, apply

        write, apply = edit(args.edits, True)
        out["edit_write_s"] = {"p50": _pct(write, 50), "p95": _pct(write, 95)}
        out["edit_apply_s"] = {"p50": _pct(apply, 50), "p95": _pct(apply, 95)}
        layers = []
        done = args.edits
        for size in args.layers:
            if size > done:
                edit(size - done, False)
                done = size
            times = []
            for text in needs:
                t0 = time.perf_counter()
                reader.retrieve(session, text, stored=True)
                times.append((time.perf_counter() - t0) * 1000)
            bundle = reader.bundle()
            layers.append(
                {
                    "changes_applied": reader._layers.applied if reader._layers else 0,
                    "documents_in_log": reader._layers.size if reader._layers else 0,
                    "retrieve_ms_p50": round(statistics.median(times), 1),
                    "retrieve_ms_p95": round(_pct(times, 95), 1),
                    "documents": len(bundle),
                }
            )
        out["reads_by_log_size"] = layers
        if args.merge:
            t0 = time.perf_counter()
            change = indexing.merge(session, rt.store, rt.encoder)
            out["merge_s"] = round(time.perf_counter() - t0, 1)
            out["merged_version"] = change.version if change else None
            t0 = time.perf_counter()
            reader.bundle()
            out["reader_load_after_merge_s"] = round(time.perf_counter() - t0, 2)
    out = json.loads(json.dumps(out, default=lambda v: round(v, 4)))
    for key in ("edit_write_s", "edit_apply_s"):
        out[key] = {k: round(v, 4) for k, v in out[key].items()}
    print(json.dumps(out, indent=1))


WORDS = [
    "phay CNC",
    "ép phun",
    "dập nguội",
    "hàn robot",
    "anodising",
    "powder coating",
    "laser cutting",
    "tiện tự động",
]

if __name__ == "__main__":
    main()
