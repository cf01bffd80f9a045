"""End to end: start the service the way `make run` does and use it over HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import requests

from catalog.demo_accounts import DEMO_PASSWORD
from tests.test_worker import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def make_target(target: str, port: int, env: dict[str, str], log_path: Path):
    """``make TARGET PORT=…`` in a process group of its own, as a person starts it in a
    terminal; on leaving, Ctrl-C to the group (SIGKILL if it has not stopped in a
    minute). Yields the ``make`` process, whose pid is the group's."""
    env = {k: v for k, v in env.items() if not k.startswith("MAKE")}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", target, f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise


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
    env = {**os.environ, "KETNOI_DATA_DIR": str(snapshot_data), "PORT": str(port)}
    env.pop("CELERY_ALWAYS_EAGER", None)
    base = f"http://127.0.0.1:{port}"
    with make_target("run", port, env, snapshot_data / "make-run.log") as proc:
        up = wait_for(lambda: fetch(base + "/", 5)[0] == 200, 240, 1)
        assert up, (snapshot_data / "make-run.log").read_text()[-4000:]
        status, body = fetch(base + "/suppliers/?q=d%E1%BA%ADp+kim+lo%E1%BA%A1i")
        assert status == 200 and 'class="result"' in body
        # Matches are for the need's buyer and officers: sign in as the demo admin,
        # through the real form with its CSRF token, and make an API token too.
        browser = requests.Session()
        browser.headers["Accept-Language"] = "en"
        page = browser.get(base + "/account/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = browser.post(
            base + "/account/login",
            data={"csrf_token": csrf, "email": "admin@ketnoi.local", "password": DEMO_PASSWORD},
        )
        assert resp.status_code == 200 and 'id="logout"' in resp.text
        resp = browser.get(base + "/needs/1")
        assert resp.status_code == 200 and "Matching suppliers" in resp.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', resp.text).group(1)
        page = browser.post(base + "/account/tokens", data={"csrf_token": csrf, "name": "t"}).text
        token = re.search(r'id="new-token">([^<]+)<', page).group(1)
        resp = requests.get(
            base + "/api/v1/needs/1/matches?limit=3",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert resp.status_code == 200 and resp.json()["items"]

        def worker_ok():
            import json

            code, text = fetch(base + "/healthz")
            return code == 200 and json.loads(text)["worker"]["status"] == "ok"

        assert wait_for(worker_ok, 90, 1), (snapshot_data / "make-run.log").read_text()[-4000:]
    # Everything it started has stopped: the port is free and the group is empty.
    assert fetch(base + "/", 2)[0] == 0
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
