"""End to end: start the service the way `make run` does and use it over HTTP, and
kill its processes to see them come back (supervisord restarts them)."""

from __future__ import annotations

import contextlib
import json
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

from catalog.accounts.demo import DEMO_PASSWORD
from tests.conftest import database_url_of
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


def descendants(root: int) -> list[tuple[int, int, str]]:
    """Every process under ``root`` as (pid, parent pid, command line), followed by
    parent ids (supervisord and honcho give each process a process group of its own)."""
    out = subprocess.run(
        ["ps", "-eww", "-o", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    children: dict[int, list[tuple[int, int, str]]] = {}
    for line in out.splitlines():
        pid, ppid, *args = line.split(None, 2)
        children.setdefault(int(ppid), []).append((int(pid), int(ppid), args[0] if args else ""))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def program_pids(root: int, *words: str) -> list[int]:
    """The processes under ``root`` whose command line has every word, leaving out the
    shells that start them, supervisord, and the children a program forks itself (a
    Celery worker's embedded beat or pool, gunicorn's workers): one pid per program."""
    procs = [
        (pid, ppid)
        for pid, ppid, args in descendants(root)
        if all(w in args for w in words)
        and Path(args.split()[0]).name not in {"sh", "bash", "dash"}
        and "supervisord" not in args
    ]
    matching = {pid for pid, _ in procs}
    return [pid for pid, ppid in procs if ppid not in matching]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped) is no longer running.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False


def admin_token(data_dir: Path, email: str = "ops@service.test") -> str:
    """An admin's API token, written straight into the data folder's database."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from catalog.accounts import create_user, issue_api_token
    from catalog.models import UserRole

    engine = create_engine(database_url_of(data_dir))
    with Session(engine) as session:
        user = create_user(session, email, None, "Ops", role=UserRole.ADMIN)
        token = issue_api_token(session, user, "service test")[1]
    engine.dispose()
    return token


def a_supplier(data_dir: Path) -> int:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from catalog.models import Firm, FirmRole

    engine = create_engine(database_url_of(data_dir))
    with Session(engine) as session:
        firm_id = session.scalar(
            select(Firm.id).where(Firm.role == FirmRole.SUPPLIER).order_by(Firm.id)
        )
    engine.dispose()
    return firm_id


def edit_reaches_search(base: str, token: str, firm_id: int, title: str, text: str) -> bool:
    """Add a capability through the API, then wait until a match query finds it: the
    worker has re-indexed it. False if it never does."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    created = api.post(
        f"{base}/api/v1/firms/{firm_id}/capabilities",
        json={"title": title, "description": text},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    cap_id = created.json()["id"]

    def found() -> bool:
        try:
            resp = api.post(f"{base}/api/v1/matches", json={"title": title}, timeout=30)
        except requests.RequestException:
            return False
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        return any(i["capability"]["id"] == cap_id for i in items)

    return bool(wait_for(found, 120, 1))


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
        # The first search loads the model: give it time on a busy machine.
        status, body = fetch(base + "/suppliers/?q=d%E1%BA%ADp+kim+lo%E1%BA%A1i", 120)
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
            code, text = fetch(base + "/healthz")
            return code == 200 and json.loads(text)["worker"]["status"] == "ok"

        assert wait_for(worker_ok, 90, 1), (snapshot_data / "make-run.log").read_text()[-4000:]
        started = [pid for pid, _, _ in descendants(proc.pid)]
        assert program_pids(proc.pid, "celery", " worker ") and program_pids(proc.pid, "flask")
    # Everything it started has stopped: the port is free, the group is empty, and the
    # web and worker processes (each in a group of its own) are gone too.
    assert fetch(base + "/", 2)[0] == 0
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    assert not [pid for pid in started if alive(pid)]


def test_make_run_restarts_a_killed_worker_and_web_process(snapshot_data: Path):
    """``kill -9`` the Celery worker, then the web process: each comes back on its own,
    an edit made while the worker was dead reaches search, and the site answers again."""
    token = admin_token(snapshot_data)
    firm_id = a_supplier(snapshot_data)
    port = free_port()
    env = {**os.environ, "KETNOI_DATA_DIR": str(snapshot_data), "PORT": str(port)}
    env.pop("CELERY_ALWAYS_EAGER", None)
    base = f"http://127.0.0.1:{port}"
    log_path = snapshot_data / "make-run.log"

    def log() -> str:
        return log_path.read_text()[-4000:]

    def worker_beating() -> bool:
        code, text = fetch(base + "/healthz")
        return code == 200 and json.loads(text)["worker"]["status"] == "ok"

    with make_target("run", port, env, log_path) as proc:
        assert wait_for(lambda: fetch(base + "/", 5)[0] == 200, 240, 1), log()
        assert wait_for(worker_beating, 90, 1), log()

        # Both workers die (one per queue, jobs/celery_app.py): the site stays up, and
        # new workers take over. The bulk worker's embedded beat dies with it (else the
        # new worker's beat would run beside the orphan).
        [worker] = program_pids(proc.pid, "celery", " worker ", "--queues interactive")
        [bulk] = program_pids(proc.pid, "celery", " worker ", "--queues bulk")
        children = [pid for pid, _, _ in descendants(bulk)]
        assert children, descendants(proc.pid)  # the embedded beat
        assert not descendants(worker)  # no second beat
        os.kill(worker, signal.SIGKILL)
        os.kill(bulk, signal.SIGKILL)
        gone = [worker, bulk, *children]
        assert wait_for(lambda: not any(alive(p) for p in gone), 30, 0.2)
        # An edit while no worker runs: saved, and indexed once the worker is back.
        assert edit_reaches_search(
            base,
            token,
            firm_id,
            "Dập vuốt sâu vỏ động cơ quạt trần",
            "Dập vuốt sâu thép cán nguội cho vỏ động cơ quạt trần, mạ kẽm.",
        ), log()
        [again] = program_pids(proc.pid, "celery", " worker ", "--queues interactive")
        assert again != worker
        [bulk_again] = program_pids(proc.pid, "celery", " worker ", "--queues bulk")
        assert bulk_again != bulk

        # The web process dies: it is started again and serves pages.
        [web] = program_pids(proc.pid, "flask", " run ")
        os.kill(web, signal.SIGKILL)
        assert wait_for(lambda: not alive(web), 10, 0.2)

        def web_back() -> bool:
            pids = program_pids(proc.pid, "flask", " run ")
            return bool(pids) and web not in pids and fetch(base + "/", 5)[0] == 200

        assert wait_for(web_back, 90, 1), log()
        # Its first search loads the model: give it time on a busy machine.
        status, body = fetch(base + "/suppliers/?q=d%E1%BA%ADp+kim+lo%E1%BA%A1i", 120)
        assert status == 200 and 'class="result"' in body, log()
        started = [pid for pid, _, _ in descendants(proc.pid)]
    # Each restart is in the log, with what killed the process.
    text = log_path.read_text()
    assert "exited: worker (terminated by SIGKILL" in text, text[-4000:]
    assert "exited: bulk (terminated by SIGKILL" in text, text[-4000:]
    assert "exited: web (terminated by SIGKILL" in text, text[-4000:]
    time.sleep(1)
    assert not [pid for pid in started if alive(pid)]
