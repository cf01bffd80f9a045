"""Supplier opportunities and gap view: time per firm over the demo catalog.

    .venv/bin/python -m bench.opportunities_page [--every 5]

A fresh SQLite database with the demo catalog and its index; the open needs' texts are
encoded first (``warm_needs``, what the worker does on start), then
``matching.opportunities`` is timed for every N-th demo supplier: the ranked list and,
from it, the gap view, as the page computes them. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KETNOI_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ["EMBEDDING_CACHE"] = str(Path(tmp) / "emb.sqlite")
        from flask_migrate import upgrade
        from sqlalchemy import select

        from catalog.demo import load_demo_catalog
        from catalog.models import Firm, FirmRole
        from catalog.reference_data import load_reference_data
        from jobs.runtime import runtime
        from matching import indexing
        from matching.opportunities import gaps_of, opportunities, warm_needs
        from webapp import create_app
        from webapp.extensions import db

        app = create_app({"DATA_DIR": tmp, "CELERY": {"task_always_eager": True}})
        with app.app_context():
            upgrade()
            load_reference_data(db.session)
            load_demo_catalog(db.session)
            rt = runtime()
            indexing.rebuild(db.session, rt.store, rt.encoder)
            t0 = time.perf_counter()
            warmed = warm_needs(db.session, rt.engine)
            warm_s = time.perf_counter() - t0
            ids = db.session.scalars(
                select(Firm.id).where(Firm.role != FirmRole.BUYER).order_by(Firm.id)
            ).all()[:: args.every]
            first = None
            times, found, gap_counts = [], [], []
            for firm_id in ids:
                db.session.expire_all()
                firm = db.session.get(Firm, firm_id)
                t = time.perf_counter()
                result = opportunities(db.session, rt.engine, firm, limit=None)
                gaps = gaps_of(result)
                elapsed = (time.perf_counter() - t) * 1000
                if first is None:
                    first = elapsed
                else:
                    times.append(elapsed)
                found.append(len(result))
                gap_counts.append(len(gaps))
            times.sort()
            print(
                json.dumps(
                    {
                        "firms": len(ids),
                        "open_needs_encoded": warmed,
                        "warm_s": round(warm_s, 1),
                        "first_ms": round(first or 0, 1),
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                        "max_ms": round(times[-1], 1),
                        "opportunities_median": statistics.median(found),
                        "gaps_median": statistics.median(gap_counts),
                    }
                )
            )


if __name__ == "__main__":
    main()
