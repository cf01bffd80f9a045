"""Two queues (jobs/celery_app.py): a re-index is served while a long import runs.

The routing is read from the real Celery app; then two real workers, as ``make run``
starts them (one per queue, ``--pool solo``), run a survey import of a few thousand
rows on the bulk queue while a firm edited meanwhile reaches the index through the
interactive queue, before the import ends. With one worker for both queues, the
re-index would wait behind the whole import. That test runs in the PostgreSQL pass:
on SQLite the import and the other writers meet "database is locked" (see
docs/benchmarks.md, "Bulk encoding and separate queues").
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from celery import _state

from bench.import_throughput import survey_csv
from jobs.celery_app import BULK, BULK_TASKS, INTERACTIVE, INTERACTIVE_REINDEX_FIRMS
from jobs.runtime import data_folder, runtime
from jobs.tasks import queue_import
from matching import indexing
from matching.encoder import SMALL_MODEL
from tests.conftest import TEST_DATABASE_URL, app_of_its_own
from tests.factories import make_supplier
from tests.test_worker import wait_for
from webapp.extensions import db

# Rows in the survey: its import takes tens of seconds on two cores, far longer than a
# re-index of one firm.
IMPORT_ROWS = 5000


def _queue(celery, name: str, args=(), kwargs=None) -> str:
    queue = celery.amqp.router.route({}, name, args, kwargs or {})["queue"]
    assert queue.exchange.name == queue.routing_key == queue.name
    return queue.name


def test_tasks_are_routed_to_the_interactive_or_the_bulk_queue(app):
    celery = app.extensions["celery"]
    assert {q.name for q in celery.conf.task_queues} == {INTERACTIVE, BULK}
    # Each queue has an exchange and key of its own: a task sent to one never reaches
    # the other (declared by name only, both were bound to the default key).
    bindings = {(q.exchange.name, q.routing_key) for q in celery.amqp.queues.values()}
    assert bindings == {(INTERACTIVE, INTERACTIVE), (BULK, BULK)}
    for name in BULK_TASKS:
        assert name in celery.tasks, name  # no stale name in the table
        assert _queue(celery, name) == BULK, name
    assert _queue(celery, "ketnoi.import_firms", ["f.csv", None, None]) == BULK
    assert _queue(celery, "ketnoi.rebuild_index") == BULK
    for name in ("ketnoi.send_email", "ketnoi.mail_notifications", "ketnoi.notify_verification"):
        assert _queue(celery, name) == INTERACTIVE, name
    # A re-index: interactive for the firms of an edit, bulk for many firms …
    assert _queue(celery, "ketnoi.reindex_firms", [[7, 8]]) == INTERACTIVE
    many = list(range(INTERACTIVE_REINDEX_FIRMS + 1))
    assert _queue(celery, "ketnoi.reindex_firms", [many]) == BULK
    # … and for any number of firms when a bulk task (an import's commits) asks for it.
    _state._task_stack.push(celery.tasks["ketnoi.import_firms"])
    try:
        assert _queue(celery, "ketnoi.reindex_firms", [[7]]) == BULK
        assert _queue(celery, "ketnoi.send_email", ["a@b.test", "s", "b"]) == INTERACTIVE
    finally:
        _state._task_stack.pop()


def _worker(data: Path, queue: str, env: dict[str, str]) -> subprocess.Popen:
    log = open(data / f"{queue}.log", "w")  # noqa: SIM115  (outlives this call)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "--app", "webapp.worker", "worker"),
            *("--queues", queue, "--hostname", f"{queue}@", "--pool", "solo"),
            *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="on SQLite an import beside other writers fails with 'database is locked' "
    "(docs/benchmarks.md, 'Bulk encoding and separate queues'): the PostgreSQL pass",
)
def test_a_reindex_is_served_while_a_long_import_runs(snapshot_data: Path, monkeypatch):
    # The small encoder: the firms an import has committed when the edit is re-indexed
    # are taken in by that update too (matching/indexing.py gathers every firm stamped
    # since the index's version), and EmbeddingGemma would encode them slower than the
    # import runs. The snapshot's index is rebuilt for it before the workers start.
    monkeypatch.setenv("ENCODER_MODEL", SMALL_MODEL)
    env = {**os.environ, "KETNOI_DATA_DIR": str(snapshot_data)}
    env.pop("CELERY_ALWAYS_EAGER", None)
    overrides = {"DATA_DIR": str(snapshot_data), "TESTING": True}
    with app_of_its_own(overrides) as app, app.app_context():
        celery = app.extensions["celery"]
        assert not celery.conf.task_always_eager
        rt = runtime()
        indexing.rebuild(db.session, rt.store, rt.encoder)
        folder = data_folder().imports
        folder.mkdir(parents=True, exist_ok=True)
        survey = folder / "survey.csv"
        survey.write_bytes(survey_csv(IMPORT_ROWS))

        workers = {q: _worker(snapshot_data, q, env) for q in (INTERACTIVE, BULK)}
        try:
            job_id = queue_import(db.session, str(survey), None, None)
            imported = celery.AsyncResult(job_id)

            def importing() -> bool:
                return imported.state == "PROGRESS"

            logs = "\n".join((snapshot_data / f"{q}.log").read_text()[-2000:] for q in workers)
            assert wait_for(importing, 180), logs

            # An edit while the import runs: its re-index goes to the interactive queue.
            firm = make_supplier(
                db.session,
                "Công ty TNHH Hàng Đợi Kiểm Thử",
                [
                    {
                        "title": "Sơn tĩnh điện kết cấu thép nhà xưởng",
                        "description": "Sơn tĩnh điện dầm, cột thép cho nhà xưởng.",
                        "process": "process.powder_coating",
                    }
                ],
            )
            cap_id = firm.capabilities[0].id

            def indexed() -> bool:
                current = indexing.load_current(db.session, rt.store, rt.encoder.model_name)
                db.session.rollback()  # the next look reads the database afresh
                return cap_id in current.digests

            assert wait_for(indexed, 240, 1), (snapshot_data / "interactive.log").read_text()
            # The import was still under way when the edit reached the index (in
            # progress, or waiting to retry after SQLite said the database was busy).
            assert imported.state in ("PROGRESS", "RETRY"), imported.state
            assert wait_for(lambda: imported.state == "SUCCESS", 600, 1), imported.state
        finally:
            for proc in workers.values():
                _stop(proc)
    interactive = (snapshot_data / "interactive.log").read_text()
    bulk = (snapshot_data / "bulk.log").read_text()
    # Each worker ran only its own queue's tasks: the import on the bulk worker, the
    # edit's re-index on the interactive one. (The import's own index updates, set off
    # by its commits, wait behind it on the bulk queue: the routing test above.)
    assert re.search(rf"ketnoi\.import_firms\[{job_id}\] received", bulk), bulk[-3000:]
    # (Each log starts with the names of every task the worker knows.)
    assert not re.search(r"ketnoi\.import_firms\[", interactive)
    assert re.search(r"ketnoi\.reindex_firms\[[-0-9a-f]+\] received", interactive)
