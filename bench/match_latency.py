"""Latency of one match (need → top 20 suppliers with explanations) over the demo catalog.

    KETNOI_DATA_DIR=instance .venv/bin/python -m bench.match_latency [--repeat 2]

Uses the database and index of ``KETNOI_DATA_DIR`` (run ``make run`` or ``flask seed-demo``
first). The first query, which loads the model, is excluded.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from sqlalchemy import select

from matching.eval import percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()

    from catalog.models import Need, NeedStatus
    from jobs.runtime import runtime
    from webapp import create_app
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        engine = runtime().engine
        needs = list(db.session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)))
        engine.match_need(db.session, needs[0], limit=args.limit)  # warm-up: loads the model
        timings = []
        for _ in range(args.repeat):
            for need in needs:
                db.session.expire_all()
                started = time.perf_counter()
                engine.match_need(db.session, need, limit=args.limit)
                timings.append((time.perf_counter() - started) * 1000)
        result = {
            "queries": len(timings),
            "documents": len(engine.bundle() or []),
            "model": engine.encoder.model_name,
            "p50_ms": round(percentile(timings, 50), 1),
            "p95_ms": round(percentile(timings, 95), 1),
            "mean_ms": round(statistics.mean(timings), 1),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, "
            f"Python {platform.python_version()}",
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
