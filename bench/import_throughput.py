"""Import throughput: rows per second for a generated survey file, embedding included.

    .venv/bin/python -m bench.import_throughput --rows 10000 [--rows 50000]

For each size: a fresh SQLite database (migrated, reference data loaded), a CSV of that
many firms in the layout of a provincial survey (Vietnamese headers, one or two
capabilities and a certification per firm, some rows with problems), then
``catalog.imports`` reads and applies it and the index is brought up to date for the
imported firms (``matching.indexing.reindex_firms``: every new capability embedded with
the default model, no embedding cache). Prints one JSON line per size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from stdnum.vn import mst

PROCESSES = [
    ("Ép phun nhựa ABS, PP cho vỏ thiết bị điện tử", "Dập kim loại tấm SPCC, SECC"),
    ("Gia công CNC phay tiện chi tiết nhôm 6061", "Tiện CNC trục thép S45C"),
    ("Đúc áp lực nhôm ADC12 vỏ hộp số", "Sơn tĩnh điện chi tiết kim loại"),
    ("Hàn robot khung thép", "Mạ kẽm nhúng nóng"),
    ("Lắp ráp bảng mạch SMT", "Sản xuất dây điện, bó dây ô tô"),
    ("Injection moulding of PC/ABS housings", "Metal stamping of brackets"),
]
PARTS = ["vỏ", "giá đỡ", "trục", "bánh răng", "nắp", "khung", "housing", "bracket", "bushing"]
PROVINCES = ["VP", "BN", "BG", "TN", "HN", "HP", "HY", "HD"]
HEADERS = ["STT", "Tên doanh nghiệp", "Mã số thuế", "Tỉnh", "Số lao động", "Năng lực", "Chứng chỉ"]


def survey_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = [",".join(HEADERS)]
    for n in range(1, rows + 1):
        tax = ""
        while not mst.is_valid(tax):
            base = f"{rng.randrange(10**8, 10**9):09d}"
            tax = base + mst.calc_check_digit(base)
        caps = [
            f"{c} {rng.choice(PARTS)} {rng.randrange(5, 900)} mm, {rng.randrange(1, 90)}k pcs/tháng"
            for c in rng.choice(PROCESSES)
        ]
        capabilities = caps[0] if rng.random() < 0.5 else f"{caps[0]}; {caps[1]}"
        employees = str(rng.randrange(10, 2000)) if n % 50 else "nhiều"  # 2 % bad rows
        cells = [
            str(n),
            f"Công ty TNHH Sản xuất Thử Nghiệm {n}",
            tax,
            rng.choice(PROVINCES),
            employees,
            f'"{capabilities}"',
            rng.choice(["ISO 9001", "", "IATF 16949", ""]),
        ]
        lines.append(",".join(cells))
    return "\n".join(lines).encode("utf-8")


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KETNOI_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ["EMBEDDING_CACHE"] = str(Path(tmp) / "embeddings.sqlite")  # cold
        from flask_migrate import upgrade

        from catalog.imports import import_table, read_table
        from catalog.reference_data import load_reference_data
        from jobs.runtime import runtime
        from jobs.sync import index_sync_paused
        from matching import indexing
        from webapp import create_app
        from webapp.extensions import db

        app = create_app({"DATA_DIR": tmp, "CELERY": {"task_always_eager": True}})
        with app.app_context():
            upgrade()
            load_reference_data(db.session)
            rt = runtime()
            indexing.rebuild(db.session, rt.store, rt.encoder)  # empty catalog
            rt.encoder.encode_queries(["warm-up"])
            data = survey_csv(rows)
            started = time.perf_counter()
            table = read_table(data)
            with index_sync_paused(db.session):
                result = import_table(db.session, table)
            imported = time.perf_counter()
            change = indexing.reindex_firms(
                db.session, rt.store, rt.encoder, sorted(result.firm_ids)
            )
            done = time.perf_counter()
        return {
            "rows": rows,
            "created": result.created,
            "rejected": result.rejected,
            "documents_embedded": change.encoded,
            "import_s": round(imported - started, 1),
            "embed_s": round(done - imported, 1),
            "total_s": round(done - started, 1),
            "rows_per_s": round(rows / (done - started), 1),
            "rows_per_s_without_embedding": round(rows / (imported - started), 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", default=None)
    args = parser.parse_args()
    for rows in args.rows or [10_000]:
        print(json.dumps(run(rows)), flush=True)


if __name__ == "__main__":
    main()
