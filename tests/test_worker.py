"""A real Celery worker process consumes re-index tasks from the embedded broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import accounts, services
from catalog.models import UserRole
from jobs.runtime import runtime
from matching import indexing
from tests.conftest import app_of_its_own, login
from tests.factories import make_supplier
from webapp.extensions import db

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


@pytest.fixture()
def worker(snapshot_data: Path):
    env = {**os.environ, "KETNOI_DATA_DIR": str(snapshot_data)}
    env.pop("CELERY_ALWAYS_EAGER", None)
    log = open(snapshot_data / "worker.log", "w")  # noqa: SIM115  (outlives this block)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "webapp.worker",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            "test-worker@%h",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture()
def second_app(snapshot_data):
    """A second app in this process, on the snapshot, whose tasks go to the worker."""
    with app_of_its_own({"DATA_DIR": str(snapshot_data), "TESTING": True}) as app:
        yield app


def test_worker_reindexes_a_changed_firm(worker, second_app, snapshot_data):
    app = second_app
    assert not app.extensions["celery"].conf.task_always_eager
    with app.app_context():
        rt = runtime()
        firm = make_supplier(
            db.session,
            "Công ty TNHH Worker Kiểm Thử",
            [
                {
                    "title": "Sơn tĩnh điện khung xe đạp điện",
                    "description": "Dây chuyền sơn tĩnh điện tự động cho khung xe đạp điện.",
                    "process": "process.powder_coating",
                }
            ],
        )
        cap_id = firm.capabilities[0].id

        # The web process does not touch the index: the worker does, within seconds.
        def current():
            db.session.rollback()  # a fresh read of the change log
            return indexing.load_current(db.session, rt.store, rt.encoder.model_name)

        assert cap_id not in current().digests

        def indexed():
            return cap_id in current().digests

        assert wait_for(indexed, 90), (snapshot_data / "worker.log").read_text()[-3000:]
        hits = rt.engine.retrieve(db.session, "sơn tĩnh điện khung xe đạp điện", 10)
        assert cap_id in [h.capability_id for h in hits]

        through = current().through  # before the change: the worker may be quick
        services.update_capability(db.session, firm.capabilities[0], {"title": "Mạ crôm trang trí"})
        changed = wait_for(lambda: current().through > through, 90)
        assert changed, (snapshot_data / "worker.log").read_text()[-3000:]

        def healthy():
            body = app.test_client().get("/healthz").json
            workers = body["worker"]["workers"]
            return body["worker"]["status"] == "ok" and workers[0]["tasks_done"] >= 2 and body

        health = wait_for(healthy, 30)
        assert health, app.test_client().get("/healthz").json
        assert "hostname" not in health["worker"]["workers"][0]  # machines: for admins only
        admin = accounts.create_user(db.session, "w.admin@people.test", None, role=UserRole.ADMIN)
        as_admin = app.test_client()
        login(as_admin, admin.id)
        workers = as_admin.get("/healthz").json["worker"]["workers"]
        assert workers[0]["hostname"].startswith("test-worker@")
