"""The production stack, as `make serve` starts it: gunicorn with two workers, a Celery
worker with two processes and beat, on PostgreSQL and Redis, all from the environment.

Runs in the PostgreSQL and Redis pass of the suite (``python -m tests.services pytest``);
the SQLite pass skips it, since production never runs on the embedded default.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.conftest import ROOT, TEST_DATABASE_URL, database_url_of
from tests.test_service import admin_token, descendants, free_port, make_target
from tests.test_worker import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_DATABASE_URL, reason="production runs on PostgreSQL and Redis: that pass"
    ),
]


def test_make_serve_runs_the_production_stack(snapshot_data: Path):
    from catalog.models import Firm, FirmRole, Need

    assert os.environ["DATABASE_URL"].startswith("postgresql")
    token = admin_token(snapshot_data)
    engine = create_engine(database_url_of(snapshot_data))
    with Session(engine) as session:
        firm_id = session.scalar(select(Firm.id).where(Firm.role == FirmRole.SUPPLIER))
        need_id = session.scalar(select(Need.id).order_by(Need.id))
    engine.dispose()

    port = free_port()
    env = {
        **os.environ,
        "KETNOI_DATA_DIR": str(snapshot_data),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
        "SECRET_KEY": "production-test-secret",
    }
    env.pop("CELERY_ALWAYS_EAGER", None)
    log_path = snapshot_data / "make-serve.log"
    base = f"http://127.0.0.1:{port}"
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    def get(path: str, **kw):
        try:
            return api.get(base + path, timeout=60, **kw)
        except requests.RequestException:
            return None

    with make_target("serve", port, env, log_path) as proc:
        up = wait_for(lambda: (r := get("/")) is not None and r.status_code == 200, 240, 1)
        assert up, log_path.read_text()[-4000:]
        assert get("/").headers.get("Server") == "KetNoi"  # gunicorn.conf.py: no banner

        # Under supervisord (deploy/supervisord.conf): gunicorn's master and its two
        # workers, the interactive queue's Celery worker with two processes (once it has
        # forked them), the bulk queue's with one, beat.
        def counts() -> tuple[int, int, int]:
            running = [a for _, _, a in descendants(proc.pid) if "supervisord" not in a]
            return (
                sum("gunicorn" in p for p in running),
                sum("celery" in p and " worker " in p for p in running),
                sum("celery" in p and " beat " in p for p in running),
            )

        assert wait_for(lambda: counts() == (3, 5, 1), 120, 1), descendants(proc.pid)

        def healthy():
            r = get("/healthz")
            return r is not None and r.json()["worker"]["status"] == "ok" and r.json()

        health = wait_for(healthy, 120, 1)
        assert health, log_path.read_text()[-4000:]
        assert health["database"]["backend"] == "postgresql"
        assert health["index"]["status"] == "ok"

        # Matches, then a new capability through the API: queued on Redis, indexed by
        # the worker, found by both web workers (requests spread over them).
        resp = get(f"/api/v1/needs/{need_id}/matches?limit=5")
        assert resp.status_code == 200 and resp.json()["items"]
        created = api.post(
            f"{base}/api/v1/firms/{firm_id}/capabilities",
            json={
                "title": "Đúc áp lực nhôm vỏ hộp số xe máy",
                "description": "Đúc áp lực nhôm ADC12 cho vỏ hộp số, gia công CNC hoàn thiện.",
                "process": "process.aluminium_die_casting",
            },
            timeout=30,
        )
        assert created.status_code == 201, created.text
        cap_id = created.json()["id"]

        def found():
            hits = []
            for _ in range(4):
                try:  # a web worker's first query loads the model: slow on a busy machine
                    resp = api.post(
                        f"{base}/api/v1/matches",
                        json={"title": "aluminium die casting gearbox housing for motorbikes"},
                        timeout=60,
                    )
                except requests.RequestException:
                    return False
                if resp.status_code != 200:
                    return False
                hits.append(any(i["capability"]["id"] == cap_id for i in resp.json()["items"]))
            return all(hits)

        assert wait_for(found, 120, 1), log_path.read_text()[-4000:]
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_make_serve_refuses_to_start_without_its_servers():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL" in result.stderr
