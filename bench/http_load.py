"""End-to-end latency and throughput of the match API under concurrent load.

    .venv/bin/python -m bench.http_load --data-dir /tmp/kn/data-100k \\
        --database-url postgresql://ketnoi@127.0.0.1:5432/ketnoi_100k \\
        --redis-url redis://127.0.0.1:6379/0 [--workers 2] [--concurrency 1 4 8 16] \\
        [--seconds 30] [--endpoint match] [--out docs/img/http-load.jsonl]
    .venv/bin/python -m bench.http_load --plot [--out docs/img/http-load.jsonl]
    .venv/bin/python -m bench.http_load --profile 100 --data-dir … --database-url …

The catalogue comes from ``bench.synthetic_catalog`` (its ``synthetic.json`` in the data
folder names the needs and the API token). Starts ``gunicorn -w W`` (sync workers, as
the Procfile) on a free loopback port with ``DATABASE_URL``, ``REDIS_URL`` and
``KETNOI_DATA_DIR``, warms every worker (requests until each worker process has
answered a few, as seen in gunicorn's access log: the first request of a worker loads
the model and the index and is reported apart, as ``cold_ms``), then for each
concurrency level C (after ``--warm-seconds`` of load, for a steady state) runs C
client threads in a closed loop for ``--seconds``, each
request for the next need of the rotating list:

* ``match``: ``GET /api/v1/needs/<id>/matches?limit=20`` as an admin (the stored need's
  query vector comes from the embedding cache, as on the service);
* ``adhoc``: ``POST /api/v1/matches`` with the need's title and description (the query
  is encoded on every request);
* ``directory``: ``GET /api/v1/firms?q=<need title>`` (anonymous; encoded every time).

Prints and appends one JSON line per level: client-side p50/p95/p99/mean/max latency,
requests/s, errors (non-200 or failed connections), the server-side time of the same
requests (access log ``%(M)s``: the difference is queueing in the listen backlog), each
worker's RSS and PSS (``/proc/PID/smaps_rollup``) and the load average. ``--plot`` draws
``docs/img/http-latency.png`` and ``docs/img/http-throughput.png`` from the JSON lines.

``--profile N`` runs no server: it calls the real endpoint N times in-process (Flask
test client) with timers wrapped around the steps of a match (token check, need load,
query vector, FAISS, lexical retrieval and scoring, loading candidate firms, structured
checks, explanations, serialisation, SQL time), and prints where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_OUT = ROOT / "docs" / "img" / "http-load.jsonl"
ACCESS_FORMAT = "%(p)s %(m)s %(s)s %(M)s %(U)s"


# -- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def memory_mib(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory of a process in MiB, from ``smaps_rollup``: RSS counts
    shared pages (model file, mapped index) in every process, PSS splits them."""
    values: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean"):
                values[name] = int(rest.split()[0]) / 1024
    except OSError:
        return {}
    return {
        "rss": round(values.get("Rss", 0), 1),
        "pss": round(values.get("Pss", 0), 1),
        "private": round(values.get("Private_Clean", 0) + values.get("Private_Dirty", 0), 1),
    }


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def postgres_pids(database_url: str) -> list[int]:
    """The PostgreSQL server listening on the URL's port and its backends (best effort:
    a server started with ``-c port=N`` or ``-p N``, as ``tests/services.py`` does)."""
    port = database_url.rsplit(":", 1)[-1].split("/", 1)[0]
    tree: dict[int, list[int]] = {}
    master = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if "(postgres)" not in stat:
                continue
            tree.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if f"port={port}".encode() in args or (b"-p" in args and port.encode() in args):
                master = int(entry.name)
    if master is None:
        return []
    found, todo = [], [master]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def service_env(data_dir: str, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "KETNOI_DATA_DIR": data_dir,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


@dataclass
class Gunicorn:
    """A gunicorn master on loopback, its access log, and how to read both."""

    url: str
    proc: subprocess.Popen
    access_log: Path

    @property
    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def log_lines(self, start: int = 0) -> list[tuple[int, str, int, float, str]]:
        """(worker pid, method, status, server ms, path) of the requests logged after
        byte ``start``."""
        rows = []
        with open(self.access_log, "rb") as fh:
            fh.seek(start)
            for raw in fh.read().decode(errors="replace").splitlines():
                parts = raw.split(" ", 4)
                pid = parts[0].strip("<>")
                if len(parts) == 5 and pid.isdigit():
                    rows.append((int(pid), parts[1], int(parts[2]), float(parts[3]), parts[4]))
        return rows


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], workers: int, workdir: Path, timeout: int = 120
) -> Iterator[Gunicorn]:
    """``gunicorn -w W 'webapp:create_app()'`` until the block ends (SIGTERM, then wait)."""
    port = free_port()
    access_log = workdir / f"access-{port}.log"
    command = [
        str(BIN / "gunicorn"),
        *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", str(timeout)),
        *("--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT),
        "webapp:create_app()",
    ]
    with open(workdir / f"gunicorn-{port}.log", "w") as errors:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=errors, stderr=errors)
    server = Gunicorn(f"http://127.0.0.1:{port}", proc, access_log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {workdir}/gunicorn-{port}.log")
            with contextlib.suppress(OSError):
                status, _, _ = request("GET", f"{server.url}/healthz", timeout=30)
                if status == 200 and len(server.workers) == workers:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 120 s")
            time.sleep(0.5)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- HTTP client -------------------------------------------------------------------------

_local = threading.local()


def request(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 60,
) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one request on this thread's connection.

    gunicorn's sync workers close the connection after each response, so this mostly
    connects anew, as a client behind a proxy without keep-alive would."""
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    conns: dict[str, http.client.HTTPConnection] = _local.__dict__.setdefault("conns", {})
    conn = conns.get(hostport)
    if conn is None:
        host, port = hostport.split(":")
        conn = conns[hostport] = http.client.HTTPConnection(host, int(port), timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, "/" + path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
    except Exception:
        conn.close()
        raise
    return response.status, data, time.perf_counter() - started


@dataclass
class Target:
    """The request of one kind for a need: method, path, headers and body."""

    kind: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def targets(kind: str, summary: dict[str, Any], needs: dict[int, dict[str, str]]) -> list[Target]:
    """One request of ``kind`` per need of the catalogue, in a fixed shuffled order."""
    auth = {"Authorization": f"Bearer {summary['token']}"}
    ids = list(summary["need_ids"])
    random.Random(7).shuffle(ids)
    out = []
    for nid in ids:
        if kind == "match":
            out.append(Target(kind, "GET", f"/api/v1/needs/{nid}/matches?limit=20", auth))
        elif kind == "adhoc":
            body = json.dumps({k: needs[nid][k] for k in ("title", "description")}).encode()
            headers = {**auth, "Content-Type": "application/json"}
            out.append(Target(kind, "POST", "/api/v1/matches?limit=20", headers, body))
        elif kind == "directory":
            from urllib.parse import quote

            q = quote(needs[nid]["title"][:120])
            out.append(Target(kind, "GET", f"/api/v1/firms?q={q}&per_page=20"))
        else:
            raise ValueError(kind)
    return out


def need_texts(database_url: str, ids: list[int]) -> dict[int, dict[str, str]]:
    """Titles and descriptions of the needs (for the ad hoc and directory requests)."""
    from sqlalchemy import create_engine, text

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, title, description FROM needs WHERE id = ANY(:ids)"), {"ids": ids}
        ).all()
    engine.dispose()
    return {r.id: {"title": r.title, "description": r.description} for r in rows}


@dataclass
class Sample:
    started: float
    seconds: float
    status: int  # 0: the request failed (connection error, timeout)
    kind: str


def closed_loop(
    base: str, plan: list[Target], concurrency: int, seconds: float
) -> tuple[list[Sample], float]:
    """``concurrency`` threads sending the requests of ``plan`` in turn, each as soon as
    its previous one is answered, for ``seconds``; the samples and the elapsed time."""
    cycle = itertools.cycle(plan)
    lock = threading.Lock()
    samples: list[Sample] = []
    stop = time.perf_counter() + seconds

    def run() -> None:
        while time.perf_counter() < stop:
            with lock:
                target = next(cycle)
            started = time.perf_counter()
            try:
                status, _, took = request(
                    target.method, base + target.path, target.headers, target.body
                )
            except Exception:
                status, took = 0, time.perf_counter() - started
            samples.append(Sample(started, took, status, target.kind))

    begin = time.perf_counter()
    threads = [threading.Thread(target=run, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - begin


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (as numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_stats(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    return {
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.mean(ms), 1),
        "max_ms": round(max(ms), 1),
    }


def warm_up(server: Gunicorn, plan: list[Target], per_worker: int = 3) -> dict[int, float]:
    """Send requests until every worker has answered ``per_worker`` of them; return each
    worker's first (cold) request time in ms, from the access log."""
    workers = set(server.workers)
    start = server.log_offset()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        closed_loop(server.url, plan, len(workers) * 2, 2.0)
        rows = [r for r in server.log_lines(start) if "/healthz" not in r[4]]
        served = {pid: sum(1 for r in rows if r[0] == pid) for pid in workers}
        if min(served.values()) >= per_worker:
            return {pid: next(r[3] for r in rows if r[0] == pid) for pid in workers}
    raise RuntimeError("workers were not all warmed up within 10 minutes")


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    summary = json.loads((Path(args.data_dir) / "synthetic.json").read_text())
    env = service_env(args.data_dir, args.database_url, args.redis_url)
    env.update(dict(item.split("=", 1) for item in args.env))
    texts = need_texts(args.database_url, summary["need_ids"])
    label = args.label or f"{round(summary['capabilities'] / 1000)}k"
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="ketnoi-http-") as tmp,
        gunicorn(env, args.workers, Path(tmp)) as server,
    ):
        warm_plan = targets("match", summary, texts)
        cold = warm_up(server, warm_plan)
        print(f"warmed {len(cold)} workers; first request ms: {cold}", file=sys.stderr)
        if args.warm_seconds:
            # Steady use: each worker has met the needs (and kept their firms' facts).
            closed_loop(server.url, warm_plan, len(cold) * 2, args.warm_seconds)
        for kind in args.endpoint:
            plan = targets(kind, summary, texts)
            if kind != "match":
                closed_loop(server.url, plan, len(cold) * 2, 5.0)  # this path's first calls
            for concurrency in args.concurrency:
                load_before = loadavg()
                offset = server.log_offset()
                pg = postgres_pids(args.database_url)
                web_cpu = {pid: cpu_seconds(pid) for pid in server.workers}
                pg_cpu = {pid: cpu_seconds(pid) for pid in pg}
                samples, elapsed = closed_loop(server.url, plan, concurrency, args.seconds)
                time.sleep(0.3)  # let the access log catch up
                web_used = sum(cpu_seconds(p) - c for p, c in web_cpu.items())
                pg_now = postgres_pids(args.database_url)
                pg_used = sum(cpu_seconds(p) - pg_cpu.get(p, 0.0) for p in pg_now)
                logged = [r for r in server.log_lines(offset) if "/healthz" not in r[4]]
                ok = [s.seconds * 1000 for s in samples if s.status == 200]
                row = {
                    "catalogue": label,
                    "capabilities": summary["capabilities"],
                    "firms": summary["firms"],
                    "index": summary["index"].get("kind"),
                    "endpoint": kind,
                    "workers": args.workers,
                    "env": args.env,
                    "concurrency": concurrency,
                    "warm_seconds": args.warm_seconds,
                    "seconds": round(elapsed, 1),
                    "requests": len(samples),
                    "errors": sum(1 for s in samples if s.status != 200),
                    "rps": round(len(ok) / elapsed, 2),
                    **latency_stats(ok),
                    "server": latency_stats([r[3] for r in logged if r[2] == 200]),
                    # CPU per request, whatever else the machine runs: web workers and
                    # PostgreSQL (its backends); 2 cores / their sum bounds requests/s.
                    "cpu_ms_per_request": {
                        "web": round(1000 * web_used / max(1, len(samples)), 1),
                        "postgres": round(1000 * pg_used / max(1, len(samples)), 1) if pg else None,
                    },
                    "cold_ms": sorted(round(v) for v in cold.values()),
                    "memory_mib": {str(pid): memory_mib(pid) for pid in server.workers},
                    "loadavg_before": load_before,
                    "loadavg_after": loadavg(),
                    "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
                print(json.dumps(row), flush=True)
                results.append(row)
                if args.out:
                    with open(args.out, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
    return results


# -- plots -------------------------------------------------------------------------------


def plot(path: Path, folder: Path) -> list[Path]:
    """Latency percentiles and throughput against concurrency, one line per catalogue
    size (the newest measurement of each point), for the match endpoint."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: dict[tuple[str, int, int], dict] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["endpoint"] == "match" and not row.get("errors") and not row.get("env"):
            rows[(row["catalogue"], row["workers"], row["concurrency"])] = row
    sizes = sorted({(r["capabilities"], r["catalogue"], r["workers"]) for r in rows.values()})
    written = []

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key in zip(axes, ("p50_ms", "p95_ms"), strict=True):
        for _, label, workers in sizes:
            pts = sorted(
                (c, r[key]) for (lab, w, c), r in rows.items() if (lab, w) == (label, workers)
            )
            ax.plot(*zip(*pts, strict=True), marker="o", label=f"{label} caps, {workers} workers")
        ax.axhline(50, color="grey", linestyle="--", linewidth=1)
        _concurrency_axis(ax, rows)
        ax.set_xlabel("concurrent clients")
        ax.set_title(f"GET /needs/<id>/matches — {key[:3]}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("ms, client side (incl. queueing)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    out = folder / "http-latency.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    written.append(out)

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for _, label, workers in sizes:
        pts = sorted(
            (c, r["rps"]) for (lab, w, c), r in rows.items() if (lab, w) == (label, workers)
        )
        ax.plot(*zip(*pts, strict=True), marker="o", label=f"{label} caps, {workers} workers")
    _concurrency_axis(ax, rows)
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("matches per second")
    ax.set_title("Throughput, 2 cores")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = folder / "http-throughput.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    written.append(out)
    return written


def _concurrency_axis(ax: Any, rows: dict[tuple[str, int, int], dict]) -> None:
    levels = sorted({c for _, _, c in rows})
    ax.set_xscale("log", base=2)
    ax.set_xticks(levels)
    ax.set_xticklabels([str(c) for c in levels])
    ax.minorticks_off()


# -- in-process profile ------------------------------------------------------------------


class Timers:
    """Wall time per named step, summed over one request, across requests."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.requests: list[dict[str, float]] = []

    def add(self, name: str, seconds: float) -> None:
        self.current[name] = self.current.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def wrap(self, owner: Any, attr: str, name: str, static: bool = False) -> None:
        """Replace ``owner.attr`` by a timed wrapper (in this process only)."""
        original = getattr(owner, attr)

        def timed(*a: Any, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                self.add(name, time.perf_counter() - started)

        setattr(owner, attr, staticmethod(timed) if static else timed)

    def wrap_factory(self, owner: Any, attr: str, name: str) -> None:
        """Time both a factory method and every call of the function it returns."""
        original = getattr(owner, attr)
        timers = self

        def factory(*a: Any, **kw: Any) -> Callable:
            started = time.perf_counter()
            inner = original(*a, **kw)
            timers.add(name, time.perf_counter() - started)

            def timed(*ia: Any, **ikw: Any) -> Any:
                s = time.perf_counter()
                try:
                    return inner(*ia, **ikw)
                finally:
                    timers.add(name, time.perf_counter() - s)

            return timed

        setattr(owner, attr, factory)


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """The catalogue's data folder and the servers it lives on (defaults: environment)."""
    parser.add_argument("--data-dir", default=os.environ.get("KETNOI_DATA_DIR"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))


def profile(args: argparse.Namespace) -> dict[str, Any]:
    """Where the time of ``GET /api/v1/needs/<id>/matches`` goes, in-process."""
    os.environ.update(service_env(args.data_dir, args.database_url, args.redis_url))
    from sqlalchemy import event

    import matching.engine as engine_mod
    import webapp.access
    import webapp.api as api_mod
    from matching.encoder import Encoder
    from matching.firm_facts import FirmFactsCache
    from matching.lexical import LexicalIndex
    from matching.vector_index import VectorIndex
    from webapp import create_app
    from webapp.extensions import db

    summary = json.loads((Path(args.data_dir) / "synthetic.json").read_text())
    timers = Timers()
    timers.wrap(webapp.access, "api_token", "auth: token lookup")
    timers.wrap(Encoder, "encode_stored_queries", "query vector (embedding cache)")
    timers.wrap(Encoder, "encode_queries", "query encoding (model)")
    timers.wrap(engine_mod, "expand_query", "query expansion (tagger)")
    timers.wrap(VectorIndex, "search", "FAISS search")
    timers.wrap(VectorIndex, "vectors", "FAISS reconstruct (lexical-only candidates)")
    timers.wrap(LexicalIndex, "search", "lexical search (TF-IDF)")
    timers.wrap(LexicalIndex, "score", "lexical score (dense-only candidates)")
    timers.wrap(engine_mod, "fuse", "fusion")
    timers.wrap(FirmFactsCache, "get", "firms: stamps checked, kept or loaded")
    timers.wrap(FirmFactsCache, "_load", "DB: load firms not kept (or changed)", static=True)
    timers.wrap(engine_mod.MatchEngine, "score_firm", "constraint checks", static=True)
    timers.wrap(engine_mod.MatchEngine, "reranker", "reranker")
    timers.wrap_factory(engine_mod, "Explainer", "explanations")
    timers.wrap(engine_mod, "capability_texts", "explanations")
    timers.wrap(api_mod, "firm_dict", "serialise firms")
    timers.wrap(api_mod, "jsonify", "JSON encoding")

    app = create_app()
    sql = {"seconds": 0.0, "queries": 0}

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, *_: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, *_: Any) -> None:
            sql["seconds"] += time.perf_counter() - conn.info.pop("bench_started")
            sql["queries"] += 1

    # Garbage collection runs inside whichever step allocates: timed apart, overlapping.
    collecting: dict[str, float] = {"since": 0.0, "seconds": 0.0, "full": 0}

    def _gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting["since"] = time.perf_counter()
        else:
            collecting["seconds"] += time.perf_counter() - collecting["since"]
            collecting["full"] += info.get("generation") == 2

    client = app.test_client()
    headers = {"Authorization": f"Bearer {summary['token']}"}
    ids = list(summary["need_ids"])
    random.Random(7).shuffle(ids)
    client.get(f"/api/v1/needs/{ids[-1]}/matches?limit=20", headers=headers)  # model, index
    totals, per_step, sql_ms, sql_n, gc_ms, gc_full, cpu_ms = [], [], [], [], [], [], []
    kept = app.extensions["ketnoi"].engine.firms
    before = kept.stats()
    gc.callbacks.append(_gc)
    for nid in itertools.islice(itertools.cycle(ids), args.profile):
        timers.current = {}
        sql.update(seconds=0.0, queries=0)
        collecting.update(seconds=0.0, full=0)
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(f"/api/v1/needs/{nid}/matches?limit=20", headers=headers)
        totals.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"need {nid}: {response.status_code} {response.data[:200]!r}")
        per_step.append(dict(timers.current))
        sql_ms.append(sql["seconds"] * 1000)
        sql_n.append(sql["queries"])
        gc_ms.append(collecting["seconds"] * 1000)
        gc_full.append(collecting["full"])
    gc.callbacks.remove(_gc)
    after = kept.stats()

    # The engine alone, as the need page calls it (limit 20: 40 firms loaded) and as the
    # API calls it (limit max(20, 60): 120 firms), without HTTP, auth or serialisation.
    from catalog.models import Need

    engine_only: dict[str, dict[str, float]] = {}
    with app.app_context():
        rt_engine = app.extensions["ketnoi"].engine
        for limit in (20, 60):
            took = []
            for nid in itertools.islice(itertools.cycle(ids), min(args.profile, 100)):
                db.session.expire_all()
                need = db.session.get(Need, nid)
                started = time.perf_counter()
                rt_engine.match_need(db.session, need, limit=limit)
                took.append((time.perf_counter() - started) * 1000)
            engine_only[f"match_need(limit={limit})"] = latency_stats(took)
    # What one full collection costs in a process like this one, before and after
    # ``gc.freeze()`` (objects alive then are never scanned again).
    tracked = len(gc.get_objects())
    started = time.perf_counter()
    gc.collect()
    full_ms = (time.perf_counter() - started) * 1000
    gc.freeze()
    started = time.perf_counter()
    gc.collect()
    frozen_ms = (time.perf_counter() - started) * 1000
    gc.unfreeze()
    steps = sorted({k for row in per_step for k in row})
    table = {
        k: {
            "mean_ms": round(statistics.mean(r.get(k, 0) * 1000 for r in per_step), 2),
            "p95_ms": round(percentile([r.get(k, 0) * 1000 for r in per_step], 95), 2),
        }
        for k in steps
    }
    accounted = statistics.mean(sum(r.values()) * 1000 for r in per_step)
    result = {
        "catalogue": summary["capabilities"],
        "requests": len(totals),
        "total": latency_stats(totals),
        # Once every need has been asked once (its firms' facts kept), as in steady use.
        "after_first_round": latency_stats(totals[len(ids) :]) if len(totals) > len(ids) else None,
        "cpu_ms_of_this_process": latency_stats(cpu_ms),
        "steps": dict(sorted(table.items(), key=lambda kv: -kv[1]["mean_ms"])),
        "other_ms (Flask, access rules, need load, grouping, filters)": round(
            statistics.mean(totals) - accounted, 2
        ),
        "sql": {
            "mean_ms": round(statistics.mean(sql_ms), 2),
            "queries_per_request": round(statistics.mean(sql_n), 1),
        },
        "gc": {
            "mean_ms": round(statistics.mean(gc_ms), 2),
            "p95_ms": round(percentile(gc_ms, 95), 2),
            "full_collections_per_request": round(statistics.mean(gc_full), 2),
            "tracked_objects": tracked,
            "one_full_collection_ms": round(full_ms, 1),
            "one_full_collection_after_freeze_ms": round(frozen_ms, 1),
        },
        "firms_per_request": {
            "kept": round((after["hits"] - before["hits"]) / len(totals), 1),
            "loaded": round((after["misses"] - before["misses"]) / len(totals), 1),
            "kept_in_process_at_end": after["kept"],
        },
        "engine_only": engine_only,
        "loadavg": loadavg(),
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--warm-seconds",
        type=float,
        default=0,
        help="load before measuring, after each worker's first requests (steady state)",
    )
    parser.add_argument(
        "--endpoint", nargs="+", default=["match"], choices=["match", "adhoc", "directory"]
    )
    parser.add_argument("--label", help="catalogue label in the output (default: 10k, 100k…)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of gunicorn, e.g. OMP_NUM_THREADS=1 (a variant to compare)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines, appended")
    parser.add_argument("--plot", action="store_true", help="only draw the plots from --out")
    parser.add_argument("--profile", type=int, default=0, help="in-process profile, N requests")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop gunicorn too
    if args.plot:
        for path in plot(args.out, args.out.parent):
            print(path)
        return
    if not args.data_dir or not args.database_url:
        parser.error("give --data-dir and --database-url (or KETNOI_DATA_DIR, DATABASE_URL)")
    if args.profile:
        profile(args)
        return
    measure(args)


if __name__ == "__main__":
    main()
