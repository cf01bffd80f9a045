"""Report generation time: a province's quarterly and annual report, and all provinces'.

    .venv/bin/python -m bench.report_generation [--embedding-cache PATH]

A fresh SQLite database with the demo catalog (480 firms, 1,149 capabilities, 240 open
needs) and its index, then ``documents.report`` timed in its three stages: the figures
from the database, matching every open need of the scope (the localisation-gap list,
query vectors cold), and rendering XLSX and PDF. Prints one JSON line per report.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

CASES = [("PT", "2026-Q4"), ("PT", "2026"), ("TN", "2026"), (None, "2026")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embedding-cache",
        help="reuse capability embeddings from this cache to build the index faster "
        "(need texts are still encoded cold: they are what a report encodes)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KETNOI_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ["EMBEDDING_CACHE"] = args.embedding_cache or str(Path(tmp) / "emb.sqlite")
        from flask_migrate import upgrade

        from catalog.dashboard import Period
        from catalog.demo import load_demo_catalog
        from catalog.reference_data import load_reference_data
        from documents import report as reports
        from jobs.i18n import document_language
        from jobs.runtime import runtime
        from matching import indexing
        from webapp import create_app
        from webapp.extensions import db

        app = create_app({"DATA_DIR": tmp, "CELERY": {"task_always_eager": True}})
        with app.app_context():
            upgrade()
            load_reference_data(db.session)
            load_demo_catalog(db.session)
            rt = runtime()
            indexing.rebuild(db.session, rt.store, rt.encoder)
            for code, label in CASES:
                period = Period.parse(label)
                t0 = time.perf_counter()
                data = reports.collect(db.session, rt.engine, code, period)
                t1 = time.perf_counter()
                with document_language("vi") as t:
                    xlsx = reports.render(data, t, formats=("xlsx",))["xlsx"]
                    t2 = time.perf_counter()
                    pdf = reports.render(data, t, formats=("pdf",))["pdf"]
                    t3 = time.perf_counter()
                print(
                    json.dumps(
                        {
                            "province": code or "all",
                            "period": label,
                            "open_needs_matched": len(data.localisation.needs),
                            "figures_and_matching_s": round(t1 - t0, 2),
                            "matching_s": round(data.localisation.seconds, 2),
                            "xlsx_s": round(t2 - t1, 2),
                            "pdf_s": round(t3 - t2, 2),
                            "total_s": round(t3 - t0, 2),
                            "xlsx_kb": len(xlsx) // 1024,
                            "pdf_kb": len(pdf) // 1024,
                        }
                    ),
                    flush=True,
                )
                db.session.remove()


if __name__ == "__main__":
    main()
