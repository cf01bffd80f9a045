"""Soak test: mixed reads and writes at a steady rate, with a real Celery worker.

    .venv/bin/python -m bench.soak --data-dir /tmp/kn/data-10k \\
        --database-url postgresql://ketnoi@127.0.0.1:5432/ketnoi_10k \\
        --redis-url redis://127.0.0.1:6379/3 --flush-redis \\
        --minutes 10 --rate 8 [--write-share 0.1] [--workers 2] [--warmup 60] \\
        [--out docs/img/soak-10k.jsonl]
    .venv/bin/python -m bench.soak --plot --out docs/img/soak-10k.jsonl
    DATABASE_URL=… KETNOI_DATA_DIR=… .venv/bin/python -m bench.soak --check

On a catalogue of ``bench.synthetic_catalog``: starts ``gunicorn -w W`` and one Celery
worker (``celery --app webapp.worker worker --pool solo --without-gossip
--without-mingle``, the same ``REDIS_URL``), warms the web workers, runs ``--warmup``
seconds of the mix unrecorded, then ``--minutes`` minutes recorded. Requests are sent
open-loop at ``--rate`` per second (a request's latency counts from when it was due, so
a server that falls behind shows it instead of slowing the client down). The mix:

* reads: a need's matches (``GET /api/v1/needs/<id>/matches``), directory searches
  with a query (``GET /api/v1/firms?q=…``, encoded on each request) and by facet
  (``?province=…``), a firm's page (``GET /api/v1/firms/<id>``);
* writes (``--write-share`` of all requests, through the API as an admin): a
  capability's description edited (re-embedded by the worker), a firm's headcount
  edited (re-index queued, nothing to re-embed), a capability added, and one of those
  added deleted. Each commit queues ``ketnoi.reindex_firms`` on the worker, which
  publishes a new index version; the web workers reload it at their next request.

Every minute one JSON line: requests and errors by kind, latency percentiles (all and
matches only), RSS/PSS of each gunicorn worker and of the Celery worker, the Celery
queue length, index versions published and re-index task times (from the worker's
log), load average. At the end the load stops, the queue is left to drain, and the
index is checked against the database in a fresh process (``--check``: the service's
own ``matching.indexing.consistency``, every capability present with the digest of its
current text and none extra, then the stale ones explained; see ``check_index``) and
each web worker is asked (``/healthz``) which index version it serves. Memory growth
compares the last recorded minute with the first. ``--plot`` draws
``docs/img/soak-LABEL.png`` from ``--out``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.http_load import (
    BIN,
    ROOT,
    Gunicorn,
    add_service_arguments,
    gunicorn,
    latency_stats,
    loadavg,
    memory_mib,
    request,
    service_env,
    targets,
    warm_up,
)
from tests.services import stop_process

TASK_DONE = re.compile(r"Task (ketnoi\.[a-z_]+)\[[^\]]+\] succeeded in ([0-9.]+)s")
TASK_END = re.compile(r"\] (?:succeeded in|raised|retry)")
TASK_FAILED = re.compile(r"Task (ketnoi\.[a-z_]+)\[[^\]]+\] (?:raised|retry)")
EXPECTED = {"GET": 200, "PATCH": 200, "POST": 201, "DELETE": 204}
#: Read mix (relative weights): matches, directory query, directory facet, firm page.
READS = {"match": 0.70, "directory": 0.15, "facet": 0.05, "firm": 0.10}
#: Write mix: edit a capability's text, a firm's headcount, add and delete a capability.
WRITES = {"edit_capability": 0.45, "edit_firm": 0.2, "add_capability": 0.2, "delete": 0.15}
PROVINCES = ["VP", "BN", "BG", "TN", "HN", "HP", "HY", "HD"]


@dataclass
class Done:
    minute: int
    kind: str
    due: float
    seconds: float
    status: int
    expected: int


class Workload:
    """Builds each request of the mix; remembers the capabilities it added so that it
    deletes only those (the catalogue keeps its size)."""

    def __init__(self, base: str, summary: dict, catalogue: dict, write_share: float, seed: int):
        self.base = base
        self.rng = random.Random(seed)
        self.auth = {"Authorization": f"Bearer {summary['token']}"}
        self.json_auth = {**self.auth, "Content-Type": "application/json"}
        texts = catalogue["needs"]
        self.match = targets("match", summary, texts)
        self.directory = targets("directory", summary, texts)
        self.caps = catalogue["capabilities"]  # [(id, firm id, description, process)]
        self.firms = sorted({c[1] for c in self.caps})
        self.write_share = write_share
        self.added: list[int] = []
        self.lock = threading.Lock()
        self.edits = 0

    def _pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def next(self) -> tuple[str, str, str, dict[str, str], bytes | None]:
        """(kind, method, url, headers, body) of the next request."""
        with self.lock:
            if self.rng.random() < self.write_share:
                return self._write(self._pick(WRITES))
            kind = self._pick(READS)
            if kind == "match":
                t = self.rng.choice(self.match)
                return kind, t.method, self.base + t.path, t.headers, None
            if kind == "directory":
                t = self.rng.choice(self.directory)
                return kind, t.method, self.base + t.path, t.headers, None
            if kind == "facet":
                province = self.rng.choice(PROVINCES)
                page = self.rng.randint(1, 5)
                url = f"{self.base}/api/v1/firms?province={province}&page={page}"
                return kind, "GET", url, {}, None
            return kind, "GET", f"{self.base}/api/v1/firms/{self.rng.choice(self.firms)}", {}, None

    def _write(self, kind: str) -> tuple[str, str, str, dict[str, str], bytes | None]:
        if kind == "delete" and not self.added:
            kind = "add_capability"
        if kind == "edit_capability":
            cid, _, description, _ = self.rng.choice(self.caps)
            self.edits += 1
            extra = (
                f" Cập nhật {self.edits}: nhận đơn hàng mẫu trong {self.rng.randint(3, 30)} ngày."
            )
            body = {"description": description + extra}
            return (
                kind,
                "PATCH",
                f"{self.base}/api/v1/capabilities/{cid}",
                self.json_auth,
                (json.dumps(body).encode()),
            )
        if kind == "edit_firm":
            firm = self.rng.choice(self.firms)
            body = {"employees": self.rng.randint(20, 2000)}
            return (
                kind,
                "PATCH",
                f"{self.base}/api/v1/firms/{firm}",
                self.json_auth,
                (json.dumps(body).encode()),
            )
        if kind == "add_capability":
            _, firm, description, process = self.rng.choice(self.caps)
            body = {
                "title": f"Năng lực mới {self.rng.randint(1, 10**6)}",
                "description": description,
                "process": process,
            }
            url = f"{self.base}/api/v1/firms/{firm}/capabilities"
            return kind, "POST", url, self.json_auth, json.dumps(body).encode()
        cid = self.added.pop(self.rng.randrange(len(self.added)))
        return "delete", "DELETE", f"{self.base}/api/v1/capabilities/{cid}", self.auth, None

    def record_added(self, body: bytes) -> None:
        with self.lock:
            self.added.append(json.loads(body)["id"])


def load_catalogue(database_url: str, summary: dict, seed: int) -> dict[str, Any]:
    """Needs' texts and 2,000 random capabilities to edit (id, firm, text, process)."""
    from sqlalchemy import create_engine, text

    from bench.http_load import need_texts

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, c.firm_id, c.description, c.process_id FROM capabilities c "
                "WHERE c.process_id IS NOT NULL ORDER BY md5(c.id::text || :seed) LIMIT 2000"
            ),
            {"seed": str(seed)},
        ).all()
    engine.dispose()
    return {
        "needs": need_texts(database_url, summary["need_ids"]),
        "capabilities": [tuple(r) for r in rows],
    }


def celery_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """One solo-pool worker (tasks run in its own process), logging at INFO to ``log``."""
    command = [
        str(BIN / "celery"),
        *("--app", "webapp.worker", "worker", "--pool", "solo"),
        *("--without-gossip", "--without-mingle", "--loglevel", "INFO"),
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while "ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start: see {log}")
        time.sleep(0.5)
    return proc


def queue_length(redis_url: str) -> int:
    import redis

    with redis.Redis.from_url(redis_url) as client:
        return int(client.llen("celery"))


def check_in_subprocess(env: dict[str, str]) -> dict[str, Any]:
    """``check_index`` in a fresh process (what a newly started service would read)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": out.stderr[-1000:]}


def check_index() -> dict[str, Any]:
    """The current index against the database of ``DATABASE_URL``.

    ``drift`` is the service's own check (``matching.indexing.consistency``, what the
    worker's ``ensure_index`` acts on: any drift means a full rebuild). Each stale
    document is then compared once more with its materials in every order: one whose
    indexed digest is that of its current text with the materials listed in another
    order holds the latest content (the database returns a capability's materials in
    no fixed order, see ``catalog/models/firms.py``); the others are really stale."""
    import itertools
    from types import SimpleNamespace

    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from catalog.models import Capability
    from jobs.runtime import runtime
    from matching import indexing
    from matching.documents import capability_documents, capability_text, content_digest
    from webapp import create_app
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        rt = runtime()
        bundle = indexing.load_current(db.session, rt.store, rt.encoder.model_name)
        drift = indexing.consistency(db.session, bundle)
        docs = {d.id: d for d in capability_documents(db.session)}
        stale = [
            i for i, d in docs.items() if i in bundle.digests and bundle.digests[i] != d.digest
        ]
        order_only = 0
        for start in range(0, len(stale), 1000):
            caps = db.session.scalars(
                select(Capability)
                .where(Capability.id.in_(stale[start : start + 1000]))
                .options(selectinload(Capability.materials), selectinload(Capability.process))
            )
            for cap in caps:
                fields = {
                    k: getattr(cap, k) for k in ("title", "description", "products", "equipment")
                }
                for order in itertools.permutations(cap.materials):
                    text = capability_text(
                        SimpleNamespace(**fields, process=cap.process, materials=list(order))
                    )
                    if content_digest(text) == bundle.digests[cap.id]:
                        order_only += 1
                        break
            db.session.expunge_all()
        return {
            "documents": len(bundle),
            "capabilities_in_db": len(docs),
            "drift": drift,
            "stale_only_by_material_order": order_only,
            "stale_content": len(stale) - order_only,
            "consistent": not any(drift.values()),
            "consistent_up_to_material_order": not drift["missing"]
            and not drift["extra"]
            and order_only == len(stale),
            "version": bundle.version,
            "through": bundle.through,
        }


class VersionWatch(threading.Thread):
    """Counts index versions published (the store's ``CURRENT`` pointer changing)."""

    def __init__(self, pointer: Path):
        super().__init__(daemon=True)
        self.pointer = pointer
        self.published = 0
        self.stop = threading.Event()

    def current(self) -> str:
        try:
            return self.pointer.read_text().strip()
        except OSError:
            return ""

    def run(self) -> None:
        last = self.current()
        while not self.stop.wait(0.25):
            now = self.current()
            if now != last:
                self.published += 1
                last = now


def minute_row(
    minute: int,
    done: list[Done],
    server: Gunicorn,
    worker_pid: int,
    redis_url: str,
    published: int,
    tasks: list[tuple[str, float]],
    failed: int,
) -> dict[str, Any]:
    by_kind: dict[str, list[Done]] = {}
    for d in done:
        by_kind.setdefault(d.kind, []).append(d)
    reindex = [s for name, s in tasks if name == "ketnoi.reindex_firms"]
    return {
        "minute": minute,
        "requests": len(done),
        "errors": sum(1 for d in done if d.status != d.expected),
        "by_kind": {
            k: {
                "n": len(v),
                "errors": sum(1 for d in v if d.status != d.expected),
                **latency_stats([d.seconds * 1000 for d in v]),
            }
            for k, v in sorted(by_kind.items())
        },
        "all": latency_stats([d.seconds * 1000 for d in done]),
        "web_memory_mib": {str(p): memory_mib(p) for p in server.workers},
        "celery_memory_mib": memory_mib(worker_pid),
        "queue": queue_length(redis_url),
        "versions_published": published,
        "reindex_tasks": len(reindex),
        "reindex_s": {
            "p50": round(sorted(reindex)[len(reindex) // 2], 2),
            "max": round(max(reindex), 2),
        }
        if reindex
        else {},
        "tasks_failed_or_retried": failed,
        "loadavg": loadavg(),
        "at": time.strftime("%H:%M:%S"),
    }


def soak(args: argparse.Namespace) -> dict[str, Any]:
    summary = json.loads((Path(args.data_dir) / "synthetic.json").read_text())
    env = service_env(args.data_dir, args.database_url, args.redis_url)
    env.update(dict(item.split("=", 1) for item in args.env))
    if args.flush_redis:
        import redis

        with redis.Redis.from_url(args.redis_url) as client:
            client.flushdb()
    catalogue = load_catalogue(args.database_url, summary, args.seed)
    args.out.write_text("")  # rows are appended as they come
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ketnoi-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    celery_log = workdir / "celery.log"
    worker = celery_worker(env, celery_log)
    index_dir = Path(env.get("INDEX_DIR") or Path(args.data_dir) / "index")
    watch = VersionWatch(index_dir / "CURRENT")
    rows: list[dict[str, Any]] = []
    try:
        with gunicorn(env, args.workers, workdir) as server:
            cold = warm_up(server, targets("match", summary, catalogue["needs"]))
            print(
                f"web workers {server.workers} warm (first request ms {cold}); "
                f"celery worker {worker.pid}",
                file=sys.stderr,
                flush=True,
            )
            work = Workload(server.url, summary, catalogue, args.write_share, args.seed)
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=64)
            results: list[Done] = []
            results_lock = threading.Lock()
            start = time.monotonic() + 1
            warm_end = start + args.warmup
            end = warm_end + args.minutes * 60
            interval = 1 / args.rate
            error_bodies: list[str] = []

            def send(due: float, minute: int) -> None:
                kind, method, url, headers, body = work.next()
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                try:
                    status, data, _ = request(method, url, headers, body)
                except Exception as exc:
                    status, data = 0, repr(exc).encode()
                took = time.monotonic() - due
                expected = EXPECTED[method]
                if status == expected and kind == "add_capability":
                    work.record_added(data)
                if status != expected and len(error_bodies) < 20:
                    error_bodies.append(f"{kind} {method} {url} → {status}: {data[:300]!r}")
                with results_lock:
                    results.append(Done(minute, kind, due, took, status, expected))

            submitted: dict[int, int] = {}
            celery_offset = [0]

            def report(closing: int) -> None:
                """The row of a minute once its requests are answered (≤ 60 s more)."""
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    with results_lock:
                        mine = [r for r in results if r.minute == closing]
                    if len(mine) >= submitted.get(closing, 0):
                        break
                    time.sleep(0.5)
                text = celery_log.read_text(errors="replace")
                fresh, celery_offset[0] = text[celery_offset[0] :], len(text)
                tasks = [(m[1], float(m[2])) for m in TASK_DONE.finditer(fresh)]
                row = minute_row(
                    closing,
                    mine,
                    server,
                    worker.pid,
                    args.redis_url,
                    watch.published - published[0],
                    tasks,
                    len(TASK_FAILED.findall(fresh)),
                )
                published[0] = watch.published
                print(json.dumps(row), flush=True)
                rows.append(row)
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")

            published = [0]
            watch.start()
            reporters: list[threading.Thread] = []
            n = 0
            while True:
                due = start + n * interval
                if due >= end:
                    break
                minute = 0 if due < warm_end else int((due - warm_end) // 60) + 1
                if minute >= 2 and not any(t.name == f"m{minute - 1}" for t in reporters):
                    reporters.append(
                        threading.Thread(target=report, args=(minute - 1,), name=f"m{minute - 1}")
                    )
                    reporters[-1].start()
                submitted[minute] = submitted.get(minute, 0) + 1
                pool.submit(send, due, minute)
                n += 1
                ahead = due - time.monotonic() - 0.05
                if ahead > 0:
                    time.sleep(ahead)
            last_minute = max(submitted)
            for t in reporters:
                t.join()
            if last_minute >= 1:
                report(last_minute)
            pool.shutdown(wait=True)

            # Drain: nothing queued, every task received has finished, no new version
            # for 10 s. Then the index against the database, as the service checks it.
            drained_at = time.monotonic()
            quiet_since, last_seen = time.monotonic(), watch.published
            while time.monotonic() - drained_at < args.drain_timeout:
                text = celery_log.read_text(errors="replace")
                busy = text.count("] received") > len(TASK_END.findall(text))
                if watch.published != last_seen or busy or queue_length(args.redis_url):
                    quiet_since, last_seen = time.monotonic(), watch.published
                elif time.monotonic() - quiet_since > 10:
                    break
                time.sleep(1)
            drain_seconds = round(time.monotonic() - drained_at, 1)
            check = check_in_subprocess(env)
            for _ in range(2 * args.workers):  # workers that reload in the background
                request("GET", f"{server.url}/healthz")  # start on the newest version
            time.sleep(5)
            served = set()
            for _ in range(6 * args.workers):
                code, body, _ = request("GET", f"{server.url}/healthz")
                index = json.loads(body)["index"] if code in (200, 503) else None
                # The base and the last change of the log each worker has applied.
                served.add(f"{index['version']} through {index.get('through')}" if index else None)
            watch.stop.set()
            rows.sort(key=lambda r: r["minute"])
            recorded = [r for r in rows if r["minute"] >= 1]
            first, last = recorded[0], recorded[-1]
            final = {
                "final": True,
                "catalogue": summary["capabilities"],
                "rate": args.rate,
                "write_share": args.write_share,
                "env": args.env,
                "minutes": args.minutes,
                "requests": sum(r["requests"] for r in recorded),
                "errors": sum(r["errors"] for r in recorded),
                "error_samples": error_bodies,
                "drain_seconds": drain_seconds,
                "index_check": check,
                "web_workers_serve": sorted(v for v in served if v),
                "current_version": watch.current(),
                "memory_growth_pct": growth(first, last),
                "versions_published": watch.published,
                "cold_ms": sorted(round(v) for v in cold.values()),
                "celery_log": str(celery_log),
            }
            print(json.dumps(final, ensure_ascii=False), flush=True)
            rows.append(final)
            with open(args.out, "a") as fh:
                fh.write(json.dumps(final, ensure_ascii=False) + "\n")
    finally:
        stop_process(worker, 60)
    return rows[-1]


def growth(first: dict, last: dict) -> dict[str, dict[str, float]]:
    """RSS and PSS growth in % from the first to the last recorded minute, per process
    (web workers in pid order, then the Celery worker)."""
    out = {}
    pairs = list(zip(sorted(first["web_memory_mib"]), sorted(last["web_memory_mib"]), strict=False))
    for n, (a, b) in enumerate(pairs):
        out[f"web{n + 1}"] = _pct(first["web_memory_mib"][a], last["web_memory_mib"][b])
    out["celery"] = _pct(first["celery_memory_mib"], last["celery_memory_mib"])
    return out


def _pct(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {
        k: round(100 * (b[k] - a[k]) / a[k], 1) if a.get(k) else float("nan")
        for k in ("rss", "pss")
    } | {"rss_first": a.get("rss"), "rss_last": b.get("rss")}


def plot(path: Path, folder: Path, label: str) -> list[Path]:
    """Latency and memory per minute of a soak run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in path.read_text().splitlines()]
    minutes = [r for r in rows if not r.get("final") and r["minute"] >= 1]
    xs = [r["minute"] for r in minutes]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    for key, style in (("p50_ms", "-"), ("p95_ms", "--"), ("p99_ms", ":")):
        ax.plot(xs, [r["all"].get(key) for r in minutes], style, marker="o", label=f"all {key[:3]}")
    match = [r["by_kind"].get("match", {}).get("p95_ms") for r in minutes]
    ax.plot(xs, match, "-", marker="s", label="matches p95")
    ax.set_xlabel("minute")
    ax.set_ylabel("ms (from when the request was due)")
    errors = sum(r["errors"] for r in minutes)
    ax.set_title(f"Soak {label}: latency per minute ({errors} errors)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[1]
    pids = sorted(minutes[0]["web_memory_mib"])
    for n, pid in enumerate(pids, start=1):
        ax.plot(
            xs,
            [r["web_memory_mib"].get(pid, {}).get("rss") for r in minutes],
            marker="o",
            label=f"web worker {n} RSS",
        )
        ax.plot(
            xs,
            [r["web_memory_mib"].get(pid, {}).get("pss") for r in minutes],
            linestyle="--",
            label=f"web worker {n} PSS",
        )
    ax.plot(
        xs, [r["celery_memory_mib"].get("rss") for r in minutes], marker="s", label="Celery RSS"
    )
    ax.set_xlabel("minute")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.set_title("Memory per process")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = folder / f"soak-{label}.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return [out]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--flush-redis", action="store_true", help="empty that Redis db first")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=60, help="seconds, not recorded")
    parser.add_argument("--rate", type=float, default=8, help="requests per second")
    parser.add_argument("--write-share", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--workdir", help="logs of gunicorn and Celery (default: a temp dir)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of gunicorn and Celery, e.g. OMP_NUM_THREADS=1",
    )
    parser.add_argument("--out", type=Path, help="JSON lines (default docs/img/soak-LABEL.jsonl)")
    parser.add_argument("--label", help="e.g. 10k (default from the catalogue size)")
    parser.add_argument("--plot", action="store_true", help="only draw the plot from --out")
    parser.add_argument(
        "--check", action="store_true", help="only check the index of KETNOI_DATA_DIR"
    )
    args = parser.parse_args()
    # Stopped by a signal (also when started in the background, where SIGINT is ignored):
    # unwind, so that gunicorn and the Celery worker are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.check:
        print(json.dumps(check_index()))
        return
    if args.plot:
        label = args.label or args.out.stem.removeprefix("soak-")
        for path in plot(args.out, args.out.parent, label):
            print(path)
        return
    if not (args.data_dir and args.database_url and args.redis_url):
        parser.error("give --data-dir, --database-url and --redis-url (or their env vars)")
    summary = json.loads((Path(args.data_dir) / "synthetic.json").read_text())
    label = args.label or f"{round(summary['capabilities'] / 1000)}k"
    args.out = args.out or ROOT / "docs" / "img" / f"soak-{label}.jsonl"
    soak(args)
    plot(args.out, args.out.parent, label)


if __name__ == "__main__":
    main()
