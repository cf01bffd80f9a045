"""End to end: start the service the way `make run` does and use it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_worker import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, timeout: float = 30, lang: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": lang} if lang else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except OSError:
        return 0, ""


def test_make_run_serves_pages_and_stops_on_ctrl_c(snapshot_data: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env.update({"KETNOI_DATA_DIR": str(snapshot_data), "PORT": str(port)})
    env.pop("CELERY_ALWAYS_EAGER", None)
    log = open(snapshot_data / "make-run.log", "w")  # noqa: SIM115  (outlives this block)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        up = wait_for(lambda: fetch(base + "/", 5)[0] == 200, 240, 1)
        assert up, (snapshot_data / "make-run.log").read_text()[-4000:]
        status, body = fetch(base + "/suppliers/?q=d%E1%BA%ADp+kim+lo%E1%BA%A1i")
        assert status == 200 and 'class="result"' in body
        status, body = fetch(base + "/needs/1", lang="en")
        assert status == 200 and "Matching suppliers" in body
        status, body = fetch(base + "/api/v1/needs/1/matches?limit=3")
        assert status == 200 and '"items"' in body

        def worker_ok():
            import json

            code, text = fetch(base + "/healthz")
            return code == 200 and json.loads(text)["worker"]["status"] == "ok"

        assert wait_for(worker_ok, 90, 1), (snapshot_data / "make-run.log").read_text()[-4000:]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        log.close()
    # Everything it started has stopped: the port is free and the group is empty.
    assert fetch(base + "/", 2)[0] == 0
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
