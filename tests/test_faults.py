"""Faults, with real processes: a worker killed mid-rebuild and mid-import, a crash
while the index is published, a web server without a usable index, a database that
goes away and comes back.

Each test starts what it breaks as a subprocess on a copy of the seeded data
(``snapshot_data``), breaks it for real (SIGKILL, a cut connection, a held lock), and
checks what survived from outside: the database through plain SQLAlchemy sessions, the
index through ``IndexStore``, the web app over HTTP. Both passes of the suite run them
(SQLite with the filesystem broker; PostgreSQL with Redis); the database outage takes
one form per database, each skipped in the other pass.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask_babel import force_locale
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from catalog.imports import ImportResult, import_table, read_table, rejected_rows_csv
from catalog.models import ApiToken, BackgroundJob, Capability, Firm, FirmRole, Need, utcnow
from jobs import imports
from jobs.i18n import translate
from jobs.models import STALE_AFTER, ImportJob, WorkerHeartbeat
from matching import indexing
from matching.store import IndexStore
from tests.conftest import PASSWORD, ROOT, TEST_DATABASE_URL, database_url_of, fresh_tax_code
from tests.test_service import free_port
from tests.test_worker import wait_for

slow = pytest.mark.slow

BIN = Path(sys.executable).parent
CONSISTENT = {"missing": 0, "stale": 0, "extra": 0}
SEARCH = "ép phun nhựa ABS vỏ hộp"
# The notices of the lexical fallback (webapp/templates/directory/index.html and
# needs/show.html), in English and as vi/LC_MESSAGES/messages.po translates them.
FALLBACK_EN = "Semantic search is unavailable right now; results use keywords only"
FALLBACK_VI = "Tìm kiếm theo ngữ nghĩa tạm thời không khả dụng"
MATCH_FALLBACK_EN = "The semantic index is not available; ranking uses keywords only"
UNAVAILABLE_EN = "The database cannot be reached right now."


# -- processes ------------------------------------------------------------------------


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a process on the test's data (and, in the PostgreSQL pass,
    the ``DATABASE_URL`` and ``REDIS_URL`` that ``snapshot_data`` set)."""
    env = {**os.environ, "KETNOI_DATA_DIR": str(data_dir), **extra}
    env.pop("CELERY_ALWAYS_EAGER", None)
    return env


class Processes:
    """The subprocesses of one test, each in its own process group, logging to a file
    in the data folder; whatever still runs at the end is stopped."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.started: list[tuple[subprocess.Popen, object]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None):
        log = (self.data_dir / f"{name}.log").open("w")
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or _env(self.data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((proc, log))
        return proc

    def log(self, name: str) -> str:
        return (self.data_dir / f"{name}.log").read_text(errors="replace")

    def worker(self, name: str = "worker") -> subprocess.Popen:
        """A Celery worker as `make run` starts one (same host name every time, as a
        restarted worker has)."""
        return self.start(
            name,
            [str(BIN / "celery"), "--app", "webapp.worker", "worker", "--pool", "solo"]
            + ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
            + ["--hostname", "fault-worker@%h"],
        )

    def web(
        self, name: str = "web", env: dict[str, str] | None = None
    ) -> tuple[str, subprocess.Popen]:
        """gunicorn serving the app: its address, once the home page answers, and the
        process."""
        port = free_port()
        proc = self.start(
            name,
            [str(BIN / "gunicorn"), "--workers", "1", "--threads", "4", "--timeout", "120"]
            + ["--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
            env,
        )
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _status(base + "/") == 200, 120), self.log(name)[-3000:]
        return base, proc

    def stop_all(self) -> None:
        for proc, log in reversed(self.started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()


@pytest.fixture()
def procs(snapshot_data: Path) -> Iterator[Processes]:
    processes = Processes(snapshot_data)
    yield processes
    processes.stop_all()


def _kill(proc: subprocess.Popen) -> None:
    """kill -9: no signal handler, no clean-up, no acknowledgement."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


@contextlib.contextmanager
def database(data_dir: Path) -> Iterator[Session]:
    """A plain session on the test's database (no Flask app, no index sync)."""
    engine = create_engine(database_url_of(data_dir))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _status(url: str, **kwargs) -> int:
    try:
        return requests.get(url, timeout=30, **kwargs).status_code
    except requests.RequestException:
        return 0


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no form on the page:\n{page[-2000:]}"
    return found.group(1)


def _form_csrf(browser: requests.Session, url: str) -> str:
    """A form page's CSRF token, as a person would get it: a 503 while SQLite is
    write-locked by a busy worker (seen on a loaded 2-core machine while the worker
    starts) is asked again, as the page itself says to; anything else fails at once."""
    deadline = time.monotonic() + 60
    while True:
        resp = browser.get(url, timeout=60)
        if resp.status_code != 503 or time.monotonic() > deadline:
            assert resp.status_code == 200, resp.text[-2000:]
            return _csrf(resp.text)
        time.sleep(1)


def signed_in(base: str, email: str) -> requests.Session:
    """A browser session signed in through the real form (CSRF token included)."""
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(base + "/account/login", timeout=30).text
    resp = browser.post(
        base + "/account/login",
        data={"csrf_token": _csrf(page), "email": email, "password": PASSWORD},
        timeout=30,
    )
    assert resp.status_code == 200 and 'id="logout"' in resp.text, resp.text[-2000:]
    return browser


# -- 1. a worker killed in the middle of an index rebuild ------------------------------


def _add_capabilities(data_dir: Path, count: int) -> list[int]:
    """Capabilities written straight into the database, as a restore or another tool
    would: no re-index is queued, only a rebuild brings them into the index. Their texts
    are new to the embedding cache, so encoding them keeps a rebuild busy a while."""
    tag = uuid.uuid4().hex[:8]
    with database(data_dir) as session:
        firm_id = session.scalar(
            select(Firm.id).where(Firm.role == FirmRole.SUPPLIER).order_by(Firm.id)
        )
        caps = [
            Capability(
                firm_id=firm_id,
                title=f"Gia công chi tiết thử nghiệm {tag}-{n}",
                description=f"Phay CNC và mài chính xác lô {tag}-{n}, dung sai 0,0{n % 9 + 1} mm.",
            )
            for n in range(count)
        ]
        session.add_all(caps)
        session.commit()
        return [c.id for c in caps]


@slow
def test_worker_killed_mid_rebuild_keeps_the_index_and_the_next_worker_repairs_it(
    snapshot_data: Path, procs: Processes
):
    store = IndexStore(snapshot_data / "index")
    # No embeddings cached: the rebuild encodes every document, long enough to be killed
    # while it does; the next worker finds the cache again.
    cache = snapshot_data / "embeddings.sqlite"
    cache.rename(cache.with_suffix(".kept"))
    worker = procs.worker("worker-1")
    # Its start-up check ran: nothing to do, or a repair of what the snapshot caught
    # between a database commit and its index update (the suite's shared database is
    # copied while other tests' updates may still be on their way).
    checked = (
        r"Task ketnoi\.ensure_index\[[^\]]+\] succeeded in [\d.]+s: "
        r"\{'action': '(none|repaired)'"
    )
    assert wait_for(lambda: re.search(checked, procs.log("worker-1")), 180), procs.log("worker-1")
    before = store.current_version()
    documents = len(_current(snapshot_data, store))
    added = _add_capabilities(snapshot_data, 60)
    subprocess.run(
        [str(BIN / "celery"), "--app", "webapp.worker", "call", "ketnoi.rebuild_index"],
        cwd=ROOT,
        env=_env(snapshot_data),
        check=True,
        capture_output=True,
    )
    encoding = r"ketnoi\.rebuild_index\[[^\]]+\] received.*?encoding (\d+) documents"
    found = wait_for(lambda: re.search(encoding, procs.log("worker-1"), re.S), 120, 0.05)
    assert found, procs.log("worker-1")[-3000:]
    _kill(worker)  # while it encodes
    assert int(found.group(1)) == documents + len(added)
    # The previous version is still current and loads whole, without the new texts.
    assert store.current_version() == before
    bundle = _current(snapshot_data, store)
    assert len(bundle) == documents and not set(added) & set(bundle.digests)
    assert not list(store.root.glob("tmp-*"))

    # The next worker checks the index when it starts, finds it behind the database
    # and rebuilds (the killed task's message is gone with the filesystem broker and
    # would come back from Redis only after its visibility timeout).
    for leftover in (cache, *(cache.with_name(cache.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)  # the killed worker's empty cache
    cache.with_suffix(".kept").rename(cache)
    procs.worker("worker-2")

    def repaired():
        if store.current_version() == before:
            return None
        with database(snapshot_data) as session:
            return indexing.consistency(session, _current(snapshot_data, store)) == CONSISTENT

    assert wait_for(repaired, 240, 1), procs.log("worker-2")[-3000:]
    assert set(added) <= set(_current(snapshot_data, store).digests)


# -- 2. a worker killed in the middle of an import ------------------------------------

IMPORT_ROWS = 3000


def _survey(rows: int, tag: str) -> tuple[bytes, dict[int, str], list[int]]:
    """A survey file of the officer's province: (CSV, {row number: tax code} of the good
    rows, row numbers of the bad ones: a headcount that is not a number)."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["Tên doanh nghiệp", "Mã số thuế", "Tỉnh", "Số lao động"])
    good, bad = {}, []
    for n in range(rows):
        number, tax = n + 2, fresh_tax_code()
        employees = "nhiều" if n % 50 == 7 else str(10 + n % 900)
        out.writerow([f"Công ty TNHH Phục Hồi {tag} {n}", tax, "VP", employees])
        if employees.isdigit():
            good[number] = tax
        else:
            bad.append(number)
    return buffer.getvalue().encode(), good, bad


def _landed(session: Session, tag: str) -> list[str]:
    """The tax codes of the survey's firms in the database, one per firm (sorted)."""
    query = select(Firm.tax_code).where(Firm.name_vi.like(f"Công ty TNHH Phục Hồi {tag} %"))
    return sorted(session.scalars(query))


def _start_import(officer: requests.Session, base: str, data: bytes) -> str:
    """Upload, map, import: the officer's three steps; returns the job page's address."""
    csrf = _form_csrf(officer, base + "/imports/")
    resp = officer.post(
        base + "/imports/",
        data={"csrf_token": csrf},
        files={"file": ("khao-sat.csv", data, "text/csv")},
        allow_redirects=False,
        timeout=60,
    )
    assert resp.status_code == 302, resp.text[-2000:]
    preview = base + resp.headers["Location"]
    csrf = _form_csrf(officer, preview)
    form = {"map-0": "name_vi", "map-1": "tax_code", "map-2": "province", "map-3": "employees"}
    resp = officer.post(
        preview,
        data={**form, "csrf_token": csrf, "action": "import"},
        allow_redirects=False,
        timeout=60,
    )
    assert resp.status_code == 302 and "/imports/jobs/" in resp.headers["Location"]
    return base + resp.headers["Location"]


@slow
def test_worker_killed_mid_import_loses_no_row_and_the_next_worker_resumes(
    people, snapshot_data: Path, procs: Processes
):
    tag = uuid.uuid4().hex[:8]
    data, good, bad = _survey(IMPORT_ROWS, tag)
    worker = procs.worker("worker-1")
    base, _web = procs.web()
    officer = signed_in(base, people.emails["officer"])
    job_url = _start_import(officer, base, data)
    job_id = job_url.rsplit("/", 1)[1]

    def mid_file():
        with database(snapshot_data) as session:
            job = session.get(ImportJob, job_id)
            return job is not None and job.state == "running" and 0 < job.rows_done < IMPORT_ROWS

    assert wait_for(mid_file, 180, 0.05), procs.log("worker-1")[-3000:]
    _kill(worker)

    with database(snapshot_data) as session:
        job = session.get(ImportJob, job_id)
        stopped_after = job.rows_done
        assert job.state == "running" and 0 < stopped_after < IMPORT_ROWS
        # Exactly the good rows of the committed batches are in: the job's progress was
        # committed with them, and the batch in hand when the worker died is not.
        in_first = [tax for number, tax in good.items() if number - 2 < stopped_after]
        assert _landed(session, tag) == sorted(in_first)

    # A new worker re-queues the job of the dead one; it resumes after the last
    # committed row and finishes under the same job id, which the officer's page follows.
    procs.worker("worker-2")

    def finished():
        body = officer.get(job_url + ".json", timeout=30).json()
        return body["state"] == "SUCCESS" and body

    status = wait_for(finished, 240, 1)
    assert status, procs.log("worker-2")[-3000:]
    summary = status["summary"]
    assert summary["rows_read"] == IMPORT_ROWS
    # Counted once each: resumed, not read again from the top (that would count the
    # first rows as unchanged).
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (len(good), 0, 0)
    assert summary["rejected"] == len(bad)
    assert sorted(r["row"] for r in summary["rejected_rows"]) == bad
    assert status["job"] == {
        "state": "done",
        "rows_done": IMPORT_ROWS,
        "total": IMPORT_ROWS,
        "attempts": 2,
        "resumed_from": stopped_after,
    }, procs.log("worker-2")[-6000:]
    # The officer is told the worker was lost and where the import resumed, in their
    # language (numbers written their way).
    assert f"stopped after {stopped_after:,} of {IMPORT_ROWS:,} rows" in status["notice"]
    in_vi = officer.get(job_url + ".json", headers={"Accept-Language": "vi"}, timeout=30).json()
    vi_numbers = f"{stopped_after:,} / {IMPORT_ROWS:,}".replace(",", ".")
    assert f"đã dừng sau {vi_numbers} dòng" in in_vi["notice"]
    errors = officer.get(job_url + "/errors.csv", timeout=30)
    assert errors.status_code == 200
    rejected_rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))[1:]
    assert sorted(int(r[0]) for r in rejected_rows) == bad  # those before the crash too
    with database(snapshot_data) as session:  # every good row, none twice
        assert _landed(session, tag) == sorted(good.values())
        # The officer's record of the job, kept by the workers' runs (jobs.records).
        record = session.get(BackgroundJob, job_id)
        assert (record.state, record.kind) == ("done", "import") and record.finished_at


def test_an_import_resumes_from_its_record_and_a_stale_run_cannot_commit(session):
    """In process, what the kill test relies on: the record committed with each batch,
    a new run taking the job over from it, the old run locked out."""
    tag = uuid.uuid4().hex[:8]
    data, good, bad = _survey(1100, tag)
    table = read_table(data)
    job_id = imports.record_import(session, "survey.upload", None, None)
    assert imports.claim(session, job_id, "w@one", "run-one", {}).attempts == 1

    class Crash(Exception):
        pass

    def crash_at_700(done: int, total: int) -> None:
        if done == 700:
            raise Crash

    checkpoint = imports.Checkpoint(session, job_id, 1, len(table.rows))
    with pytest.raises(Crash):
        # Batches of exactly BATCH rows (not cut short by time), to know where it stops.
        import_table(
            session, table, progress=crash_at_700, checkpoint=checkpoint, batch_seconds=None
        )
    session.rollback()
    assert _landed(session, tag) == sorted(tax for row, tax in good.items() if row - 2 < 500)

    # Run one retrying after a transient error (a busy database) goes on as the same
    # attempt: no worker was lost.
    again = imports.claim(session, job_id, "w@one", "run-one", {})
    assert (again.attempts, again.resumed_from, again.rows_done) == (1, None, 500)
    # Run one has no heartbeat (it died): a new run claims the job and carries on.
    second = imports.claim(session, job_id, "w@two", "run-two", {})
    assert (second.attempts, second.resumed_from) == (2, 500)
    with pytest.raises(imports.ClaimLost):  # were run one still going, it could not commit
        checkpoint(ImportResult(rows_read=600))
    session.rollback()
    resume = imports.resume_point(session, second)
    assert resume.rows_read == 500
    assert [p.row for p in resume.problems] == [row for row in bad if row - 2 < 500]
    result = import_table(
        session,
        table,
        resume=resume,
        checkpoint=imports.Checkpoint(session, job_id, 2, len(table.rows), len(resume.problems)),
    )
    assert (result.rows_read, result.created, result.unchanged) == (1100, len(good), 0)
    assert [p.row for p in result.problems] == bad
    assert _landed(session, tag) == sorted(good.values())
    # The reasons saved before the crash are translated like the others.
    with force_locale("vi"):
        errors = rejected_rows_csv(table, result, translate).decode("utf-8-sig")
    assert errors.count("Phải là số nguyên.") == len(bad)
    imports.finish(session, job_id, 2, result.summary())
    assert imports.claim(session, job_id, "w@three", "run-three", {}) is None  # done


def test_jobs_of_dead_workers_are_requeued_and_those_of_live_ones_left_alone(session):
    now = utcnow()
    beats = [
        WorkerHeartbeat(hostname="w@live", pid=1, instance="live", started_at=now, last_seen=now),
        # Restarted under the same name: its earlier run ("old") is dead.
        WorkerHeartbeat(hostname="w@back", pid=2, instance="new", started_at=now, last_seen=now),
        WorkerHeartbeat(
            hostname="w@stale",
            pid=3,
            instance="stale",
            started_at=now,
            last_seen=now - 2 * STALE_AFTER,
        ),
    ]
    session.add_all(beats)
    session.commit()
    owners = {"w@live": "live", "w@back": "old", "w@stale": "stale", "w@gone": "gone"}
    jobs = {}
    try:
        for worker, instance in owners.items():
            jobs[worker] = imports.record_import(session, f"{worker}.upload", None, None)
            imports.claim(session, jobs[worker], worker, instance, {})
        session.execute(
            update(ImportJob).where(ImportJob.id.in_(jobs.values())).values(rows_done=500)
        )
        session.commit()
        state = {
            w: imports.describe(session, session.get(ImportJob, j))["state"]
            for w, j in jobs.items()
        }
        assert state == {
            "w@live": "running",
            "w@back": "interrupted",
            "w@stale": "interrupted",
            "w@gone": "interrupted",
        }
        waiting = jobs["waiting"] = imports.record_import(session, "w.upload", None, None)
        # A duplicate delivery of the live worker's job is ignored.
        assert imports.claim(session, jobs["w@live"], "w@other", "other", {}) is None

        sent = []
        dead = {jobs["w@back"], jobs["w@stale"], jobs["w@gone"]}
        ours = set(jobs.values())  # (the suite's other jobs are not this test's)
        # The stale worker itself, asking, knows its job runs: its beat was only late.
        assert not set(imports.recover(session, sent.append, alive="stale")) & {jobs["w@stale"]}
        assert {job.id for job in sent} & ours == dead - {jobs["w@stale"]}
        assert set(imports.recover(session, sent.append)) & ours == {jobs["w@stale"]}
        sent.clear()
        session.execute(
            update(ImportJob)
            .where(ImportJob.id.in_(dead))
            .values(state="running", worker=None, instance=None)
        )
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == jobs["w@stale"])
            .values(worker="w@stale", instance="stale")
        )
        session.commit()
        assert set(imports.recover(session, sent.append)) & ours == dead
        assert {job.id for job in sent} & ours == dead
        assert not set(imports.recover(session, sent.append)) & ours  # once
        # A worker that starts sends waiting jobs again too: a dead worker may have
        # taken their message with it.
        assert waiting in imports.recover(session, sent.append, queued_too=True)
        # A job that took down every worker that ran it is given up.
        gone = jobs["w@gone"]
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == gone)
            .values(state="running", worker="w@gone", attempts=imports.MAX_ATTEMPTS)
        )
        session.commit()
        assert gone not in imports.recover(session, sent.append)
        session.expire_all()
        assert session.get(ImportJob, gone).state == "failed"
    finally:
        session.rollback()
        session.execute(delete(ImportJob).where(ImportJob.id.in_(jobs.values())))
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.hostname.in_(owners)))
        session.commit()


# -- 3. a crash while the index is being written ---------------------------------------


def _current(data: Path, store: IndexStore):
    """The index as its readers serve it: the base with the change log applied."""
    with database(data) as session:
        return indexing.load_current(session, store)


def _kill_while_publishing(proc: subprocess.Popen, root: Path) -> list[Path]:
    """SIGKILL the process as soon as it starts writing a new version (a ``tmp-``
    folder appears); the folders it leaves, or none if it was not caught in time."""
    while proc.poll() is None:
        if any(name.startswith("tmp-") for name in os.listdir(root)):
            _kill(proc)
            return sorted(root.glob("tmp-*"))
        time.sleep(0.001)
    return []


@slow
def test_crash_while_publishing_leaves_the_previous_index_usable(
    snapshot_data: Path, procs: Processes
):
    store = IndexStore(snapshot_data / "index")
    documents = len(_current(snapshot_data, store))
    rebuild = [str(BIN / "flask"), "--app", "webapp", "index", "rebuild"]
    leftovers: list[Path] = []
    for attempt in range(3):  # the window is a few milliseconds wide: rarely missed
        before = store.current_version()
        leftovers = _kill_while_publishing(procs.start(f"rebuild-{attempt}", rebuild), store.root)
        if leftovers:
            break
    assert leftovers, procs.log(f"rebuild-{attempt}")[-3000:]
    # The half-written version was never made current: the previous one still is.
    assert store.current_version() == before
    assert len(_current(snapshot_data, store)) == documents
    with database(snapshot_data) as session:
        assert indexing.consistency(session, _current(snapshot_data, store)) == CONSISTENT

    # A later rebuild (the next writer to take the store's lock) removes the leftover.
    done = subprocess.run(
        rebuild, cwd=ROOT, env=_env(snapshot_data), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not list(store.root.glob("tmp-*"))
    assert store.current_version() != before
    with database(snapshot_data) as session:
        assert indexing.consistency(session, _current(snapshot_data, store)) == CONSISTENT


# -- 4. the web app with a missing or corrupt index -----------------------------------


def _damage_index(index: Path, how: str) -> None:
    if how == "missing":
        shutil.rmtree(index)
        return
    current = index / (index / "CURRENT").read_text().strip()
    for path in current.iterdir():
        if path.is_file() and path.name != "meta.json":
            path.write_bytes(b"\x00 not what it was " * 64)


@slow
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_web_app_without_a_usable_index_searches_by_keywords_says_so_and_recovers(
    people, snapshot_data: Path, procs: Processes, damage: str
):
    with database(snapshot_data) as session:
        need_id = session.scalar(select(Need.id).order_by(Need.id))
    _damage_index(snapshot_data / "index", damage)
    base, _web = procs.web()
    search = {"params": {"q": SEARCH}, "timeout": 60}

    # Anyone's supplier search still finds suppliers, and says it uses keywords only.
    resp = requests.get(base + "/suppliers/", headers={"Accept-Language": "vi"}, **search)
    assert resp.status_code == 200 and 'class="result"' in resp.text
    assert FALLBACK_VI in resp.text
    resp = requests.get(base + "/suppliers/", headers={"Accept-Language": "en"}, **search)
    assert resp.status_code == 200 and FALLBACK_EN in resp.text
    # A need's match page ranks suppliers all the same, with the notice.
    admin = signed_in(base, people.emails["admin"])
    page = admin.get(f"{base}/needs/{need_id}", timeout=60)
    assert page.status_code == 200 and 'class="match"' in page.text
    assert MATCH_FALLBACK_EN in page.text
    api = requests.get(
        f"{base}/api/v1/needs/{need_id}/matches",
        headers={"Authorization": f"Bearer {people.tokens['admin']}"},
        timeout=60,
    )
    assert api.status_code == 200 and api.json()["items"]
    assert all(m["scores"]["dense"] is None for m in api.json()["items"])  # lexical only
    health = requests.get(base + "/healthz", timeout=30)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["index"]["status"] == "degraded", health.json()

    # A worker starts, rebuilds in the background, and the running web app picks the
    # new index up: healthy again, no notice.
    procs.worker()

    def healthy():
        body = requests.get(base + "/healthz", timeout=30).json()
        return body["index"]["status"] == "ok" and body["worker"]["status"] == "ok" and body

    health = wait_for(healthy, 300, 1)
    assert health, procs.log("worker")[-3000:]
    assert health["status"] == "ok" and health["index"]["documents"] > 0
    resp = requests.get(base + "/suppliers/", headers={"Accept-Language": "en"}, **search)
    assert resp.status_code == 200 and 'class="result"' in resp.text
    assert FALLBACK_EN not in resp.text
    page = admin.get(f"{base}/needs/{need_id}", timeout=60)
    assert page.status_code == 200 and MATCH_FALLBACK_EN not in page.text


def _queued(data_dir: Path, task: str) -> bool:
    """Whether a message for ``task`` waits in the broker: the filesystem queue, or the
    lists of Redis (one per queue: ``jobs.celery_app``) in the PostgreSQL pass."""
    if os.environ.get("REDIS_URL"):
        import redis

        with redis.Redis.from_url(os.environ["REDIS_URL"]) as client:
            return any(
                task.encode() in message
                for queue in ("interactive", "bulk", "celery")
                for message in client.lrange(queue, 0, -1)
            )
    queue = data_dir / "broker" / "queue"
    return any(task in message.read_text(errors="replace") for message in queue.iterdir())


@slow
def test_an_index_file_truncated_under_the_running_web_app_is_answered_around_not_a_crash(
    people, snapshot_data: Path, procs: Processes
):
    """A mapped file cut short kills its reader with SIGBUS at the next read of a page
    past the cut (and, under ``make run``, the whole site with it). The web app checks
    the files it maps before each use: it answers by keywords, says so, asks the worker
    for a repair, and picks the rebuilt index up."""
    with database(snapshot_data) as session:
        need_id = session.scalar(select(Need.id).order_by(Need.id))
    index = snapshot_data / "index"
    base, _web = procs.web()
    search = {"params": {"q": SEARCH}, "headers": {"Accept-Language": "en"}, "timeout": 60}
    resp = requests.get(base + "/suppliers/", **search)
    assert resp.status_code == 200 and 'class="result"' in resp.text
    assert FALLBACK_EN not in resp.text  # the index is mapped and searched

    # The published vectors, cut in half in place (a copy over them, a full disk).
    vectors = index / (index / "CURRENT").read_text().strip() / "vectors.faiss"
    os.truncate(vectors, vectors.stat().st_size // 2)
    for _ in range(3):
        resp = requests.get(base + "/suppliers/", **search)
        assert resp.status_code == 200 and 'class="result"' in resp.text
        assert FALLBACK_EN in resp.text
    api = requests.get(
        f"{base}/api/v1/needs/{need_id}/matches",
        headers={"Authorization": f"Bearer {people.tokens['admin']}"},
        timeout=60,
    )
    assert api.status_code == 200 and api.json()["items"]
    assert all(m["scores"]["dense"] is None for m in api.json()["items"])  # lexical only
    health = requests.get(base + "/healthz", timeout=30).json()
    assert health["index"]["status"] == "degraded" and health["index"]["repair"] == "requested"
    # No web worker died (gunicorn logs each one killed by a signal) or was replaced.
    assert "was sent" not in procs.log("web") and procs.log("web").count("Booting worker") == 1
    # The web app queued the repair; the first worker to start runs it.
    assert wait_for(lambda: _queued(snapshot_data, "ketnoi.check_index"), 30), procs.log("web")
    procs.worker()
    repaired = r"Task ketnoi\.check_index\[[^\]]+\] succeeded in [\d.]+s: \{'action': 'rebuilt'"
    assert wait_for(lambda: re.search(repaired, procs.log("worker")), 300), procs.log("worker")

    def healthy():
        body = requests.get(base + "/healthz", timeout=30).json()
        return body["index"]["status"] == "ok" and body

    assert wait_for(healthy, 120, 1), procs.log("web")[-3000:]
    resp = requests.get(base + "/suppliers/", **search)
    assert resp.status_code == 200 and 'class="result"' in resp.text
    assert FALLBACK_EN not in resp.text


# -- 5. the database briefly unreachable ----------------------------------------------


class TcpProxy:
    """A TCP relay from a port on loopback to a server. ``cut()`` drops every relayed
    connection and answers new ones by closing them, as a lost link to the database
    would; ``restore()`` relays again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.relaying = threading.Event()
        self.relaying.set()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.relaying.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src)
            self._drop(dst)

    def _drop(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        self.relaying.clear()
        with self.lock:
            relayed = list(self.sockets)
        for sock in relayed:
            self._drop(sock)

    def restore(self) -> None:
        self.relaying.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def _firm_body(name: str) -> dict:
    return {"role": "supplier", "name_vi": name, "tax_code": fresh_tax_code(), "province": "VP"}


def _firms_named(data_dir: Path, name: str) -> int:
    with database(data_dir) as session:
        return session.scalar(select(func.count(Firm.id)).where(Firm.name_vi == name))


def _unavailable(resp: requests.Response, kind: str) -> bool:
    """A 503 of the kind expected: the JSON error, or the HTML page that says so."""
    if resp.status_code != 503:
        return False
    if kind == "json":
        return resp.json()["status"] in (503, "error")
    return "text/html" in resp.headers["Content-Type"] and UNAVAILABLE_EN in resp.text


@slow
@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="SQLite is a file, not a connection to cut: "
    "test_sqlite_locked_by_another_process_gives_503_then_recovers covers this pass",
)
def test_database_connection_cut_gives_503_then_recovers_without_restart(
    people, snapshot_data: Path, procs: Processes
):
    url = make_url(os.environ["DATABASE_URL"])
    proxy = TcpProxy(url.host, url.port)
    try:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port)
        env = _env(snapshot_data, DATABASE_URL=through_proxy.render_as_string(hide_password=False))
        base, web = procs.web(env=env)
        api = requests.Session()
        api.headers.update(
            {"Authorization": f"Bearer {people.tokens['admin']}", "Accept-Language": "en"}
        )
        officer = signed_in(base, people.emails["officer"])
        assert api.get(base + "/api/v1/firms", timeout=30).status_code == 200
        with database(snapshot_data) as session:
            firms = session.scalar(select(func.count(Firm.id)))
        name = f"Công ty Mất Kết Nối {uuid.uuid4().hex[:8]}"

        proxy.cut()
        assert _unavailable(requests.get(base + "/", headers=api.headers, timeout=30), "html")
        assert _unavailable(officer.get(base + "/suppliers/", timeout=30), "html")
        assert _unavailable(api.get(base + "/api/v1/firms", timeout=30), "json")
        assert _unavailable(api.post(base + "/api/v1/firms", json=_firm_body(name)), "json")
        health = api.get(base + "/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["database"]["status"] == "error"

        proxy.restore()  # the same server process reconnects by itself
        assert wait_for(lambda: _status(base + "/healthz") == 200, 60)
        assert officer.get(base + "/suppliers/", timeout=30).status_code == 200
        assert api.get(base + "/api/v1/firms", timeout=30).status_code == 200
        assert web.poll() is None  # the same server, never restarted
        # The refused write left nothing; made again, it lands once.
        assert _firms_named(snapshot_data, name) == 0
        created = api.post(base + "/api/v1/firms", json=_firm_body(name), timeout=30)
        assert created.status_code == 201, created.text
        assert _firms_named(snapshot_data, name) == 1
        with database(snapshot_data) as session:
            assert session.scalar(select(func.count(Firm.id))) == firms + 1
    finally:
        proxy.close()


# Held by a process standing in for another program on the database file: either a
# write transaction it does not finish (SQLite's own API), or every WAL lock a reader
# needs, as a process hung in the middle of recovering the WAL holds them (the lock
# bytes are those of SQLite's documented WAL format, walformat.html §2.3.1).
_HOLDER = """
import fcntl, os, sqlite3, sys
path, how = sys.argv[1], sys.argv[2]
if how == "write":
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
else:
    fd = os.open(path + "-shm", os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX, 8, 120, os.SEEK_SET)
print("held", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def _held(database_file: Path, how: str) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(database_file), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()  # releases: it exits
        holder.wait(timeout=30)


@slow
@pytest.mark.skipif(
    bool(TEST_DATABASE_URL),
    reason="PostgreSQL is reached over a connection: "
    "test_database_connection_cut_gives_503_then_recovers_without_restart covers this pass",
)
def test_sqlite_locked_by_another_process_gives_503_then_recovers(
    people, snapshot_data: Path, procs: Processes
):
    database_file = snapshot_data / "ketnoi.sqlite"
    base, web = procs.web()
    api = requests.Session()
    api.headers.update(
        {"Authorization": f"Bearer {people.tokens['admin']}", "Accept-Language": "en"}
    )
    admin = signed_in(base, people.emails["admin"])
    token_page = admin.get(base + "/account/", timeout=30)
    assert token_page.status_code == 200
    # A token's first request of the minute records its use (a write): this one now.
    assert api.get(base + "/api/v1/firms", timeout=30).status_code == 200
    name = f"Công ty Bị Khoá {uuid.uuid4().hex[:8]}"
    token_name = f"locked-{uuid.uuid4().hex[:8]}"

    def create_token() -> requests.Response:
        return admin.post(
            base + "/account/tokens",
            data={"csrf_token": _csrf(token_page.text), "name": token_name},
            allow_redirects=False,
            timeout=60,
        )

    # Another process keeps a write transaction open: reads go on (WAL), writes wait
    # for SQLite's busy timeout, then get 503 and leave nothing behind.
    with _held(database_file, "write"), ThreadPoolExecutor(4) as pool:
        writes = [
            pool.submit(create_token),
            pool.submit(api.post, base + "/api/v1/firms", json=_firm_body(name), timeout=60),
        ]
        assert api.get(base + "/api/v1/firms", timeout=30).status_code == 200
        assert requests.get(base + "/suppliers/", timeout=30).status_code == 200
        assert _unavailable(writes[0].result(), "html")
        assert _unavailable(writes[1].result(), "json")
    with database(snapshot_data) as session:
        assert not session.scalar(select(ApiToken.id).where(ApiToken.name == token_name))
    assert _firms_named(snapshot_data, name) == 0
    assert create_token().status_code == 201
    assert api.post(base + "/api/v1/firms", json=_firm_body(name), timeout=30).status_code == 201

    # It holds every lock a reader needs: no request can read; all get 503, the health
    # check included; once the locks are released the same server serves again.
    with _held(database_file, "readers"), ThreadPoolExecutor(4) as pool:
        home = pool.submit(requests.get, base + "/", headers=api.headers, timeout=60)
        signed = pool.submit(admin.get, base + "/suppliers/", timeout=60)
        listing = pool.submit(api.get, base + "/api/v1/firms", timeout=60)
        health = pool.submit(api.get, base + "/healthz", timeout=60)
        assert _unavailable(home.result(), "html")
        assert _unavailable(signed.result(), "html")
        assert _unavailable(listing.result(), "json")
        assert health.result().status_code == 503
        assert health.result().json()["database"]["status"] == "error"
    assert wait_for(lambda: _status(base + "/healthz") == 200, 60)
    assert admin.get(base + "/suppliers/", timeout=30).status_code == 200
    assert web.poll() is None
    with database(snapshot_data) as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert (
            session.scalar(select(func.count(ApiToken.id)).where(ApiToken.name == token_name)) == 1
        )
    assert _firms_named(snapshot_data, name) == 1
