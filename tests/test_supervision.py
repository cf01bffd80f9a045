"""Production supervision (deploy/): nothing stays dead.

The supervisord configuration is started for real, as README's Production section says
(the environment loaded, ``supervisord --configuration deploy/supervisord.conf``),
against the PostgreSQL and Redis pass's servers; its Celery worker, gunicorn master and
beat are killed with SIGKILL and must come back on their own, with the site answering
and edits reaching search. systemd cannot run in a container, so its units are checked
with ``systemd-analyze verify`` (which also checks that every command exists) and read
for the settings that make them restart and confine them. Procfile, the supervisord
configuration and the systemd units must start the same commands.

While no worker is alive, pages say so (``webapp/background.py``): signed-in users see
that their changes are saved but wait, anonymous visitors only on pages that mail them,
and a job's progress answers that the job waits.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from jobs.models import WorkerHeartbeat
from tests.conftest import ROOT, TEST_DATABASE_URL
from tests.test_service import (
    a_supplier,
    admin_token,
    alive,
    descendants,
    edit_reaches_search,
    free_port,
)
from tests.test_worker import wait_for
from webapp import background
from webapp.extensions import db

DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
PROGRAMS = ("web", "worker", "bulk", "beat")


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _supervisord(path: Path) -> configparser.RawConfigParser:
    config = configparser.RawConfigParser(inline_comment_prefixes=None)
    config.read(path)
    return config


def _unit(name: str) -> configparser.RawConfigParser:
    # systemd allows a key more than once (Environment=): keep the last, enough here.
    unit = configparser.RawConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # keys are case-sensitive
    unit.read(UNITS / name)
    return unit


def _normalised(command: str) -> list[str]:
    """A command's words with what differs legitimately between the three forms left
    out: ``exec``, ``env`` and its assignments, the shell's defaults (``${X:-d}`` is
    ``${X}``: systemd sets the defaults with Environment=), install paths."""
    words = shlex.split(re.sub(r"\$\{(\w+):-[^}]*\}", r"${\1}", command))
    while words and (words[0] in {"exec", "env"} or re.fullmatch(r"\w+=.*", words[0])):
        words.pop(0)
    return [Path(w).name if w.startswith("/") else w for w in words]


def test_procfile_supervisord_and_systemd_start_the_same_commands():
    procfile = _procfile()
    assert set(procfile) == set(PROGRAMS)
    config = _supervisord(DEPLOY / "supervisord.conf")
    for program in PROGRAMS:
        section = f"program:{program}"
        command = config.get(section, "command")
        # sh for the Procfile's defaults, with exec: supervisord's child is the program.
        assert command == f"/bin/sh -c '{procfile[program]}'", program
        assert procfile[program].startswith("exec ")
        assert config.get(section, "autorestart") == "true"
        assert int(config.get(section, "startretries")) >= 100
        unit = _unit(f"ketnoi-{program}.service")
        assert _normalised(unit.get("Service", "ExecStart")) == _normalised(procfile[program])
    # The web process reads gunicorn.conf.py (the server banner, workers that die with
    # their master): every form names it. Its defaults are the same everywhere.
    assert "--config gunicorn.conf.py" in procfile["web"]
    web_unit = (UNITS / "ketnoi-web.service").read_text()
    for default in ("OMP_NUM_THREADS:-1", "INDEX_RELOAD_IN_BACKGROUND:-1", "WEB_CONCURRENCY:-2"):
        assert default in procfile["web"]
        assert default.replace(":-", "=") in web_unit
    dev = _supervisord(DEPLOY / "supervisord-dev.conf")
    assert {s for s in dev.sections() if s.startswith("program:")} == {
        "program:web",
        "program:worker",
        "program:bulk",
    }
    for section in ("program:web", "program:worker", "program:bulk"):
        assert dev.get(section, "autorestart") == "true"
    # One queue each (jobs/celery_app.py), and exactly one beat: embedded in `bulk`.
    assert "--queues interactive" in procfile["worker"]
    assert "--queues bulk" in procfile["bulk"]
    assert "--queues interactive" in dev.get("program:worker", "command")
    assert "--queues bulk --hostname bulk@ --beat" in dev.get("program:bulk", "command")
    assert "--beat" not in dev.get("program:worker", "command")


def test_systemd_units_restart_and_confine_their_processes(tmp_path: Path):
    for program in PROGRAMS:
        unit = _unit(f"ketnoi-{program}.service")
        service = dict(unit.items("Service"))
        assert service["Restart"] == "always"
        assert int(service["RestartSec"]) <= 5
        assert unit.get("Unit", "StartLimitIntervalSec") == "0"  # never gives up
        assert service["User"] == service["Group"] == "ketnoi"
        assert service["EnvironmentFile"] == "/etc/ketnoi/ketnoi.env"
        for key, value in {
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "RestrictSUIDSGID": "yes",
            "CapabilityBoundingSet": "",
            "ReadWritePaths": "/srv/ketnoi",
        }.items():
            assert service.get(key) == value, (program, key)
        # Its program is in the checkout's virtualenv.
        program_path = shlex.split(service["ExecStart"])[0]
        assert program_path.startswith("/opt/ketnoi/.venv/bin/")
        assert (ROOT / ".venv" / "bin" / Path(program_path).name).exists()
        assert unit.get("Install", "WantedBy") == "ketnoi.target"
    target = _unit("ketnoi.target")
    assert target.get("Unit", "Wants").split() == [f"ketnoi-{p}.service" for p in PROGRAMS]

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    # The units as installed from this checkout: systemd-analyze checks every key and
    # that each command exists and is executable.
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/ketnoi", str(ROOT))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *sorted(p.name for p in tmp_path.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warned of


def _supervisorctl(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "supervisorctl"),
            "--configuration",
            str(DEPLOY / "supervisord.conf"),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _pid(env: dict[str, str], program: str) -> int:
    out = _supervisorctl(env, "pid", program).strip()
    return int(out) if out.isdigit() else 0


@pytest.mark.slow
@pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="production runs on PostgreSQL and Redis: that pass"
)
def test_supervisord_restarts_a_killed_worker_gunicorn_master_and_beat(snapshot_data: Path):
    assert os.environ["DATABASE_URL"].startswith("postgresql")
    token = admin_token(snapshot_data, "ops@supervision.test")
    firm_id = a_supplier(snapshot_data)
    port = free_port()
    # Machine-local and short: a unix socket's path is limited to 107 bytes.
    run_dir = Path(tempfile.mkdtemp(prefix="kn-run-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env.pop("CELERY_ALWAYS_EAGER", None)
    env.update(
        KETNOI_DATA_DIR=str(snapshot_data),
        KETNOI_RUN_DIR=str(run_dir),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        SECRET_KEY="supervision-test-secret",
    )
    base = f"http://127.0.0.1:{port}"
    log_path = snapshot_data / "supervisord.log"

    def log() -> str:
        return log_path.read_text()[-4000:]

    def up() -> bool:
        try:
            return requests.get(base + "/", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    def worker_beating() -> bool:
        try:
            return requests.get(base + "/healthz", timeout=10).json()["worker"]["status"] == "ok"
        except (requests.RequestException, ValueError):
            return False

    def gunicorns() -> list[int]:
        return [pid for pid, _, args in descendants(supervisord.pid) if "gunicorn" in args]

    with log_path.open("w") as out:
        supervisord = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "supervisord"),
                "--configuration",
                str(DEPLOY / "supervisord.conf"),
            ],
            cwd=run_dir,  # anywhere: the configuration finds the checkout itself
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for(up, 240, 1), log()
        assert wait_for(worker_beating, 120, 1), log()

        # supervisord calls a program RUNNING once it has lived ``startsecs`` (10 s):
        # the site can answer before that.
        def all_running() -> bool:
            status = _supervisorctl(env, "status")
            return all(re.search(rf"^{p}\s+RUNNING", status, re.M) for p in PROGRAMS)

        assert wait_for(all_running, 60, 1), _supervisorctl(env, "status") + log()
        assert len(gunicorns()) == 3, descendants(supervisord.pid)  # master, 2 workers

        # The Celery worker dies: a new one takes over, and an edit made meanwhile
        # reaches search.
        worker = _pid(env, "worker")
        os.kill(worker, signal.SIGKILL)
        assert wait_for(lambda: not alive(worker), 10, 0.2)
        assert edit_reaches_search(
            base,
            token,
            firm_id,
            "Rèn nóng mặt bích thép không gỉ",
            "Rèn nóng khuôn kín mặt bích thép không gỉ 304 cho đường ống, gia công CNC.",
        ), log()
        assert _pid(env, "worker") not in (0, worker)

        # The bulk queue's worker too.
        bulk = _pid(env, "bulk")
        os.kill(bulk, signal.SIGKILL)
        assert wait_for(lambda: _pid(env, "bulk") not in (0, bulk), 60, 1), log()

        # gunicorn's master dies: its workers stop with it (gunicorn.conf.py), so the new
        # master binds the port at once and the site answers again.
        master = _pid(env, "web")
        old_workers = [p for p in gunicorns() if p != master]
        os.kill(master, signal.SIGKILL)

        def web_back() -> bool:
            pid = _pid(env, "web")
            return pid not in (0, master) and len(gunicorns()) == 3 and up()

        assert wait_for(web_back, 120, 1), log()
        assert not [p for p in [master, *old_workers] if alive(p)]

        # beat too.
        beat = _pid(env, "beat")
        os.kill(beat, signal.SIGKILL)
        assert wait_for(lambda: _pid(env, "beat") not in (0, beat), 60, 1), log()
        started = [pid for pid, _, _ in descendants(supervisord.pid)]
    finally:
        # As an init system stops it: SIGTERM, and supervisord stops its programs.
        supervisord.send_signal(signal.SIGTERM)
        try:
            supervisord.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(supervisord.pid, signal.SIGKILL)
            raise
        shutil.rmtree(run_dir, ignore_errors=True)
    text = log_path.read_text()
    for program in PROGRAMS:
        # Each death and restart is in the log, with what killed the process.
        assert f"exited: {program} (terminated by SIGKILL; not expected)" in text, text[-4000:]
        assert text.count(f"spawned: '{program}'") >= 2, text[-4000:]
    time.sleep(1)
    assert not [pid for pid in started if alive(pid)]


# Pages while background work is not running -------------------------------------------

STRONG = "Background work is not running: your changes are saved but will reach search"
STRONG_VI = "Xử lý nền đang không chạy: các thay đổi của bạn đã được lưu"
SOFT = "E-mails from KetNoi may arrive late at the moment."
JOB_WAITS = "Background work is not running: this job waits"


@pytest.fixture()
def with_workers(app, monkeypatch):
    """Tasks queued for workers, as in production (the suite runs them in-process), and
    ``beats(age, ...)`` to set the worker heartbeats: one row per age in seconds."""
    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)

    def beats(*ages: float) -> None:
        with app.app_context():
            db.session.query(WorkerHeartbeat).delete()
            now = datetime.now(UTC)
            for n, age in enumerate(ages):
                seen = now - timedelta(seconds=age)
                db.session.add(
                    WorkerHeartbeat(
                        hostname=f"w{n}@test", pid=1, started_at=seen, last_seen=seen, tasks_done=0
                    )
                )
            db.session.commit()
            db.session.remove()
        background.forget_check(app)

    yield beats
    beats()
    background.forget_check(app)


def _page(client, path: str, lang: str = "en") -> str:
    resp = client.get(path, headers={"Accept-Language": lang})
    assert resp.status_code == 200, (path, resp.status_code)
    return resp.get_data(as_text=True)


def test_pages_say_when_background_work_is_not_running(with_workers, client_as, people):
    officer, supplier, buyer = client_as("officer"), client_as("supplier"), client_as("buyer")
    anonymous = client_as("anonymous")
    edit_firm = f"/firms/{people.firms['supplier']}/edit"

    for ages in ((), (120,)):  # no worker ever, or one that stopped beating
        with_workers(*ages)
        assert STRONG in _page(officer, "/imports/")
        assert STRONG_VI in _page(officer, "/imports/", "vi")
        assert STRONG in _page(supplier, edit_firm)
        assert STRONG in _page(buyer, "/needs/new")
        assert 'id="background-notice"' not in _page(anonymous, "/")
        assert SOFT in _page(anonymous, "/account/reset")

    with_workers(3)  # a worker beat 3 s ago
    for client, path in ((officer, "/imports/"), (supplier, edit_firm), (anonymous, "/")):
        assert 'id="background-notice"' not in _page(client, path)
    assert SOFT not in _page(anonymous, "/account/reset")


def test_nothing_is_said_when_tasks_run_in_process(app, client_as):
    """``CELERY_ALWAYS_EAGER`` (and the rest of this suite): no worker is needed."""
    with app.app_context():
        db.session.query(WorkerHeartbeat).delete()
        db.session.commit()
        db.session.remove()
    background.forget_check(app)
    assert 'id="background-notice"' not in _page(client_as("officer"), "/imports/")


def test_the_heartbeat_check_is_read_once_every_few_seconds(
    app, with_workers, client_as, monkeypatch
):
    from sqlalchemy import event

    with_workers()
    clock = [1000.0]
    monkeypatch.setattr(background, "monotonic", lambda: clock[0])
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if "worker_heartbeats" in statement:
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        officer = client_as("officer")
        for _ in range(3):
            assert STRONG in _page(officer, "/imports/")
        assert len(reads) == 1
        clock[0] += background.CHECK_SECONDS + 1
        assert STRONG in _page(officer, "/imports/")
        assert len(reads) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_job_pages_say_a_job_waits_for_a_dead_worker(app, people, with_workers, client_as):
    from catalog.models import BackgroundJob, JobKind

    officer = client_as("officer")
    officer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.app_context():  # two jobs of the officer's that no worker has taken yet
        for job_id, kind, params in (
            ("report-1", JobKind.REPORT, {"province": "", "period": "2026"}),
            ("import-1", JobKind.IMPORT, {}),
        ):
            owner = people.users["officer"]
            db.session.merge(BackgroundJob(id=job_id, owner_id=owner, kind=kind, params=params))
        db.session.commit()
        db.session.remove()
    with_workers()
    report = officer.get("/dashboard/reports/report-1.json").json
    assert report["state"] == "PENDING" and report["notice"].startswith(JOB_WAITS)
    job = officer.get("/imports/jobs/import-1.json").json
    assert job["state"] == "PENDING" and job["notice"].startswith(JOB_WAITS)

    with_workers(3)
    assert "notice" not in officer.get("/dashboard/reports/report-1.json").json
    assert "notice" not in officer.get("/imports/jobs/import-1.json").json
