"""Every page a user waits for, over HTTP: p50/p95 at one client, throughput at four,
and the first request after a fresh start.

    .venv/bin/python -m bench.pages --data-dir /tmp/kn/data-10k \\
        --database-url postgresql://ketnoi@127.0.0.1:5432/ketnoi_10k \\
        --redis-url redis://127.0.0.1:6379/0 --label 10k [--workers 2] [--seconds 15] \\
        [--pages directory_q firm …] [--first] [--no-steady] [--env NAME=VALUE] \\
        [--out docs/img/pages.jsonl]
    .venv/bin/python -m bench.pages --table [--out docs/img/pages.jsonl]
    .venv/bin/python -m bench.pages --profile need --requests 60 --data-dir … --database-url …

The catalogue is the demo one (``flask seed-demo`` on an empty database) or a synthetic
one (``bench.synthetic_catalog``), in the database and data folder given. What the
pages need and a catalogue may lack is added here, idempotently, through the catalog's
own functions (``prepare``): an officer for the provinces with the most suppliers,
users for a few buyers with open needs and a few suppliers, and a matchmaking day with
registrations, meeting requests and a solved schedule. Requests are signed in with a
session cookie made as a sign-in makes it (the app's signing key, the user's session
version), so no sign-in request precedes the first one measured.

The pages (``PAGES``), each requested over a fixed rotation of records, as the role it
is for: the directory as a buyer (browsing; facets; a text search repeated, as paging or
going back repeats it; a text search never asked before, encoded by the model; text and
facets), a firm's page as a buyer, a need's page with its ranked matches as its buyer,
a supplier's opportunities as the supplier, the dashboard and an event's schedule grid
as the officer.

Per page, on gunicorn with W sync workers (``Procfile``'s settings): every worker's
first requests are sent and left out (``bench.http_load.warm_up``), then a few seconds
of load, then ``--seconds`` at one client (p50/p95/p99) and at four (requests/s). With
``--first``, the server is started afresh for each page and, once its workers are idle
(ready: their CPU time stopped growing, no request sent), one request of the page is
timed; ``--env KETNOI_WARM_ON_START=0`` gives the same without the warm-up
(``webapp/warmup.py``). One JSON line per measurement is printed and appended to
``--out``; ``--table`` prints the tables of docs/benchmarks.md from it.

``--profile PAGE`` runs no server: it calls the page N times in process (Flask test
client, after one call that is left out) under cProfile and prints the functions of
the project that take the most time, with the SQL time and query count per request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.http_load import (
    BIN,
    ROOT,
    Gunicorn,
    Target,
    add_service_arguments,
    children,
    closed_loop,
    cpu_seconds,
    free_port,
    gunicorn,
    latency_stats,
    loadavg,
    postgres_pids,
    request,
    service_env,
    warm_up,
)

DEFAULT_OUT = ROOT / "docs" / "img" / "pages.jsonl"
PASSWORD = "bench-pages-password"
OFFICER = "bench-officer@ketnoi.local"
EVENT_NAME = "Bench: matchmaking day"
BUYERS = 6  # buyer accounts whose needs' pages are asked for
SUPPLIERS = 8  # supplier accounts whose opportunities are asked for
EVENT_BUYERS = 12  # buyers registered for the event, two needs each
SUPPLIERS_PER_NEED = 5
# Words added to the needs' titles to make searches nobody asked before (each sent once
# per server start, so the encoder runs on every one of them).
FRESH_SUFFIXES = ("", "giá tốt", "gấp", "chất lượng cao", "for export", "small batch")

PAGES = (
    "directory",
    "directory_filters",
    "directory_q",
    "directory_q_new",
    "directory_q_filters",
    "firm",
    "need",
    "opportunities",
    "dashboard",
    "event_grid",
)
# What each page is, for the tables.
DESCRIPTIONS = {
    "directory": "directory, browsing (no query, no filter) — buyer",
    "directory_filters": "directory, province + sector + certification — buyer",
    "directory_q": "directory, text search asked before — buyer",
    "directory_q_new": "directory, text search never asked (encoded) — buyer",
    "directory_q_filters": "directory, text + province + certification — buyer",
    "firm": "firm page — buyer",
    "need": "need page with its ranked matches — its buyer",
    "opportunities": "opportunities and gaps — the supplier",
    "dashboard": "dashboard, one province, this quarter — officer",
    "event_grid": "event schedule grid — officer (organiser)",
}


# -- what the pages need, added to the catalogue -------------------------------------------


def prepare(
    app: Any, event_buyers: int = EVENT_BUYERS, solve_seconds: float = 10.0
) -> dict[str, Any]:
    """Accounts and an event for the pages, made if missing; what the plans need.

    The event has ``event_buyers`` buyers (two needs each, five suppliers per need) and
    a schedule solved for at most ``solve_seconds``."""
    from sqlalchemy import func, select

    from catalog import accounts
    from catalog.models import (
        Capability,
        Certification,
        Firm,
        FirmRole,
        Need,
        NeedStatus,
        Province,
        User,
        UserRole,
        firm_sectors,
    )
    from catalog.queries import SUPPLIER_ROLES
    from jobs.sync import index_sync_paused
    from webapp.extensions import db

    with app.app_context():
        session = db.session
        with index_sync_paused(session):
            top_provinces = session.execute(
                select(Province, func.count(Firm.id))
                .join(Firm, Firm.province_id == Province.id)
                .where(Firm.role.in_(SUPPLIER_ROLES))
                .group_by(Province.id)
                .order_by(func.count(Firm.id).desc(), Province.id)
                .limit(3)
            ).all()
            provinces = [p for p, _ in top_provinces]

            def user(email: str, **kwargs: Any) -> User:
                found = accounts.find_user(session, email)
                return found or accounts.create_user(session, email, PASSWORD, **kwargs)

            officer = user(
                OFFICER, name="Bench officer", role=UserRole.OFFICER, provinces=provinces
            )
            busiest = session.execute(
                select(Need.buyer_id, func.count(Need.id))
                .where(Need.status == NeedStatus.OPEN)
                .group_by(Need.buyer_id)
                .order_by(func.count(Need.id).desc(), Need.buyer_id)
                .limit(BUYERS)
            ).all()
            buyers = []
            for i, (firm_id, _) in enumerate(busiest):
                firm = session.get(Firm, firm_id)
                buyers.append(user(f"bench-buyer-{i}@ketnoi.local", name="Bench buyer", firm=firm))
            supplier_ids = session.scalars(
                select(Firm.id)
                .where(Firm.role == FirmRole.SUPPLIER, Firm.id.in_(select(Capability.firm_id)))
                .order_by(Firm.id)
            ).all()
            step = max(1, len(supplier_ids) // SUPPLIERS)
            suppliers = []
            for i, firm_id in enumerate(supplier_ids[::step][:SUPPLIERS]):
                firm = session.get(Firm, firm_id)
                suppliers.append(
                    user(f"bench-supplier-{i}@ketnoi.local", name="Bench supplier", firm=firm)
                )
            event_id = _event(session, provinces[0], officer, event_buyers, solve_seconds)

            need_ids = [
                (b.id, n)
                for b in buyers
                for n in session.scalars(
                    select(Need.id)
                    .where(Need.buyer_id == b.firm_id, Need.status == NeedStatus.OPEN)
                    .order_by(Need.id)
                    .limit(20)
                )
            ]
            titles = list(
                dict.fromkeys(
                    session.scalars(
                        select(Need.title).where(Need.status == NeedStatus.OPEN).order_by(Need.id)
                    )
                )
            )
            sectors = session.scalars(
                select(firm_sectors.c.concept_id)
                .group_by(firm_sectors.c.concept_id)
                .order_by(func.count().desc(), firm_sectors.c.concept_id)
                .limit(4)
            ).all()
            standards = session.scalars(
                select(Certification.standard)
                .group_by(Certification.standard)
                .order_by(func.count().desc(), Certification.standard)
                .limit(2)
            ).all()
            firm_ids = sorted(random.Random(3).sample(supplier_ids, min(200, len(supplier_ids))))
            capabilities = session.scalar(select(func.count()).select_from(Capability))
            setup = {
                "officer": officer.id,
                "buyer": buyers[0].id,
                "provinces": [p.code for p in provinces],
                "needs": need_ids,
                "suppliers": [(u.id, u.firm_id) for u in suppliers],
                "event": event_id,
                "titles": titles,
                "sectors": list(sectors),
                "standards": list(standards),
                "firms": firm_ids,
                "capabilities": capabilities,
                "model": app.config["ENCODER_MODEL"],
            }
        session.commit()
        db.session.remove()
    return setup


def _event(session: Any, province: Any, officer: Any, buyers: int, solve_seconds: float) -> int:
    """A matchmaking day in ``province`` with registrations, meeting requests (half of
    them asked by both sides), every request accepted, and a solved schedule."""
    from sqlalchemy import select

    from catalog import events
    from catalog.demo import demo_data
    from catalog.models import (
        Capability,
        Event,
        EventStatus,
        Firm,
        FirmRole,
        Need,
        NeedStatus,
        RequestStatus,
    )
    from matching.events.scheduling import parse_instance, solve

    found = session.scalar(select(Event).where(Event.name == EVENT_NAME))
    if found is not None:
        return found.id
    today = date.today()
    spec = demo_data("events")["matchmaking"]
    form = {
        **spec["form"],
        "name": EVENT_NAME,
        "starts_on": date.fromordinal(today.toordinal() + 45).isoformat(),
        "registration_deadline": date.fromordinal(today.toordinal() + 30).isoformat(),
    }
    event = events.create_event(session, form, province, officer)
    events.set_status(session, event, EventStatus.OPEN)
    buyer_ids = session.scalars(
        select(Need.buyer_id)
        .where(Need.status == NeedStatus.OPEN, Need.process_id.is_not(None))
        .group_by(Need.buyer_id)
        .order_by(Need.buyer_id)
        .limit(buyers)
    ).all()
    registered: dict[int, Any] = {}
    for buyer_id in buyer_ids:
        buyer = session.get(Firm, buyer_id)
        needs = session.scalars(
            select(Need)
            .where(
                Need.buyer_id == buyer_id,
                Need.status == NeedStatus.OPEN,
                Need.process_id.is_not(None),
            )
            .order_by(Need.id)
            .limit(2)
        ).all()
        reg = events.register(session, event, buyer, needs=needs, today=today)
        for need in needs:
            makers = session.scalars(
                select(Firm)
                .join(Capability, Capability.firm_id == Firm.id)
                .where(Capability.process_id == need.process_id, Firm.role != FirmRole.BUYER)
                .order_by(Firm.id)
                .distinct()
                .limit(SUPPLIERS_PER_NEED)
            ).all()
            for rank, maker in enumerate(makers):
                if maker.id not in registered:
                    registered[maker.id] = events.register(session, event, maker, today=today)
                other = registered[maker.id]
                req = events.request_meeting(session, reg, other, priority=3 - rank % 2, need=need)
                if rank % 2 == 0:  # asked by both: the meeting is made
                    events.request_meeting(session, other, reg, priority=2)
                elif req.status == RequestStatus.PENDING:
                    events.answer_request(session, req, accept=True)
    schedule = solve(parse_instance(events.solver_instance(event)), solve_seconds)
    events.apply_schedule(session, event, schedule.as_dict()["assignments"])
    return event.id


def cookies(app: Any, user_ids: list[int]) -> dict[int, str]:
    """A signed-in session cookie per user, as a sign-in writes it (``webapp.sessions``):
    the user's id and session version, the sign-in and last-seen stamps."""
    from catalog.models import User
    from webapp.extensions import db
    from webapp.sessions import AUTH_AT, SEEN_AT

    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    now = int(time.time())
    out = {}
    with app.app_context():
        for uid in user_ids:
            data = {
                "_user_id": db.session.get(User, uid).get_id(),
                "_fresh": True,
                AUTH_AT: now,
                SEEN_AT: now,
            }
            out[uid] = f"{name}={serializer.dumps(data)}"
        db.session.remove()
    return out


# -- the requests of each page ---------------------------------------------------------


def plans(setup: dict[str, Any], jar: dict[int, str]) -> dict[str, list[Target]]:
    """The requests of every page, in a fixed order (rotated through by the clients)."""

    def as_user(uid: int) -> dict[str, str]:
        return {"Cookie": jar[uid]}

    buyer = as_user(setup["buyer"])
    officer = as_user(setup["officer"])
    titles = [t[:120] for t in setup["titles"]]
    rng = random.Random(11)
    asked = rng.sample(titles, min(24, len(titles)))
    fresh = [f"{t} {s}".strip() for s in FRESH_SUFFIXES for t in titles]
    rng.shuffle(fresh)
    facets = [
        {"province": p, "sector": s, "certification": c}
        for p in setup["provinces"]
        for s in setup["sectors"]
        for c in setup["standards"][:1]
    ]

    def get(kind: str, path: str, headers: dict[str, str], **params: str) -> Target:
        query = f"?{urlencode(params)}" if params else ""
        return Target(kind, "GET", f"{path}{query}", headers)

    out: dict[str, list[Target]] = {
        "directory": [get("directory", "/suppliers/", buyer, page=str(p)) for p in (1, 2, 3)],
        "directory_filters": [get("directory_filters", "/suppliers/", buyer, **f) for f in facets],
        "directory_q": [get("directory_q", "/suppliers/", buyer, q=q) for q in asked],
        "directory_q_new": [get("directory_q_new", "/suppliers/", buyer, q=q) for q in fresh],
        "directory_q_filters": [
            get(
                "directory_q_filters",
                "/suppliers/",
                buyer,
                q=q,
                province=f["province"],
                certification=f["certification"],
            )
            for q, f in zip(asked, facets * len(asked), strict=False)
        ],
        "firm": [get("firm", f"/suppliers/{fid}", buyer) for fid in setup["firms"]],
        "need": [get("need", f"/needs/{nid}", as_user(uid)) for uid, nid in setup["needs"]],
        "opportunities": [
            get("opportunities", f"/opportunities/{fid}", as_user(uid))
            for uid, fid in setup["suppliers"]
        ],
        "dashboard": [
            get("dashboard", "/dashboard/", officer, province=code) for code in setup["provinces"]
        ],
        "event_grid": [get("event_grid", f"/events/{setup['event']}/schedule", officer)],
    }
    return out


# -- measurements ----------------------------------------------------------------------


def _row(args: argparse.Namespace, setup: dict[str, Any], **fields: Any) -> dict[str, Any]:
    row = {
        "bench": "pages",
        "label": args.label or f"{setup['capabilities']:,}",
        "capabilities": setup["capabilities"],
        "model": setup["model"],
        "workers": args.workers,
        "env": args.env,
        **fields,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def _check(server: Gunicorn, plan: list[Target]) -> None:
    """Every request of a page answers 200 (else the numbers would time an error page)."""
    for target in plan[:3]:
        status, body, _ = request(target.method, server.url + target.path, target.headers)
        if status != 200:
            raise RuntimeError(f"{target.path}: {status} {body[:300]!r}")


def steady(
    args: argparse.Namespace, env: dict[str, str], setup: dict[str, Any], pages: list[str]
) -> None:
    """p50/p95 at one client and throughput at four, per page, first requests left out."""
    with tempfile.TemporaryDirectory() as tmp, gunicorn(env, args.workers, Path(tmp)) as server:
        jar = cookies(_app(), [setup["officer"], *_users(setup)])
        every = plans(setup, jar)
        for page in pages:
            plan = every[page]
            if not plan:
                print(f"{page}: nothing to ask for in this catalogue", file=sys.stderr)
                continue
            if page != "directory_q_new":  # its texts are each meant to be asked once
                _check(server, plan)
            cold = warm_up(server, plan, per_worker=2)
            if args.warm_seconds:
                closed_loop(server.url, plan, 2 * args.workers, args.warm_seconds)
            for clients in args.concurrency:
                before = loadavg()
                start = server.log_offset()
                pg = postgres_pids(args.database_url)
                cpu_web = sum(cpu_seconds(p) for p in server.workers)
                cpu_pg = sum(cpu_seconds(p) for p in pg)
                samples, elapsed = closed_loop(server.url, plan, clients, args.seconds)
                # CPU per request: what the page costs, whatever else shares the cores
                # (wall times grow with the machine's load; this much less).
                cpu_web = sum(cpu_seconds(p) for p in server.workers) - cpu_web
                cpu_pg = sum(cpu_seconds(p) for p in pg) - cpu_pg
                ok = [s.seconds * 1000 for s in samples if s.status == 200]
                server_ms = [
                    r[3] for r in server.log_lines(start) if r[2] == 200 and "/healthz" not in r[4]
                ]
                _row(
                    args,
                    setup,
                    kind="steady",
                    page=page,
                    concurrency=clients,
                    requests=len(samples),
                    errors=len(samples) - len(ok),
                    rps=round(len(ok) / elapsed, 2),
                    **latency_stats(ok),
                    server_p95_ms=latency_stats(server_ms).get("p95_ms"),
                    cpu_ms_per_request={
                        "web": round(1000 * cpu_web / max(1, len(samples)), 1),
                        "postgres": round(1000 * cpu_pg / max(1, len(samples)), 1),
                    },
                    cold_ms=sorted(round(v) for v in cold.values()),
                    loadavg_before=before,
                    loadavg_after=loadavg(),
                )


def _users(setup: dict[str, Any]) -> list[int]:
    return [setup["buyer"], *(u for u, _ in setup["needs"]), *(u for u, _ in setup["suppliers"])]


_APP: Any = None


def _app() -> Any:
    """This process's app (for cookies and the setup), made once."""
    global _APP
    if _APP is None:
        from webapp import create_app

        _APP = create_app({"CELERY": {"task_always_eager": True}})
    return _APP


@contextlib.contextmanager
def fresh_server(env: dict[str, str], workers: int, workdir: Path) -> Iterator[tuple[str, float]]:
    """gunicorn started afresh; yields its address once its workers are ready (forked
    and idle: their CPU time grew by less than 20 ms over half a second, which they
    reach only after the warm-up, when there is one), and how long that took."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120"),
        "webapp:create_app()",
    ]
    started = time.monotonic()
    with open(workdir / f"gunicorn-{port}.log", "w") as log:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = started + 300
        previous = None
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {workdir}/gunicorn-{port}.log")
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn's workers were not ready within 300 s")
            pids = children(proc.pid)
            used = sum(cpu_seconds(p) for p in pids)
            if len(pids) == workers and previous is not None and used - previous < 0.02:
                break
            previous = used if len(pids) == workers else None
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except Exception:  # noqa: BLE001
            proc.kill()
            proc.wait()


def first_requests(
    args: argparse.Namespace, env: dict[str, str], setup: dict[str, Any], pages: list[str]
) -> None:
    """Per page: a fresh server, then one request of the page, timed."""
    jar = cookies(_app(), [setup["officer"], *_users(setup)])
    every = plans(setup, jar)
    warm = env.get("KETNOI_WARM_ON_START", "1") not in ("0", "false", "no", "off")
    for page in pages:
        if not every[page]:
            continue
        target = every[page][0]
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_server(env, args.workers, Path(tmp)) as (
                url,
                ready_s,
            ),
        ):
            status, _, took = request(target.method, url + target.path, target.headers, timeout=120)
            again = request(target.method, url + target.path, target.headers, timeout=120)
        _row(
            args,
            setup,
            kind="first",
            page=page,
            warm_on_start=warm,
            status=status,
            first_ms=round(took * 1000, 1),
            second_ms=round(again[2] * 1000, 1),
            ready_s=round(ready_s, 1),
        )


# -- in-process profile ----------------------------------------------------------------


def profile(args: argparse.Namespace, setup: dict[str, Any]) -> None:
    """cProfile of ``--requests`` calls of one page through the Flask test client."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event

    from webapp.extensions import db
    from webapp.warmup import warm

    app = _app()
    warm(app)
    jar = cookies(app, [setup["officer"], *_users(setup)])
    plan = plans(setup, jar)[args.profile]
    client = app.test_client(use_cookies=False)  # the plan's cookie on every request
    sql = {"seconds": 0.0, "queries": 0}
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn: Any, *_: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn: Any, *_: Any) -> None:
            sql["seconds"] += time.perf_counter() - conn.info.pop("bench_started")
            sql["queries"] += 1

    def call(target: Target) -> float:
        started = time.perf_counter()
        response = client.get(target.path, headers=target.headers)
        if response.status_code != 200:
            raise RuntimeError(f"{target.path}: {response.status_code}")
        return (time.perf_counter() - started) * 1000

    for target in plan[: min(len(plan), 2 * args.workers)]:
        call(target)  # first calls: facts kept, statements compiled
    sql.update(seconds=0.0, queries=0)
    profiler = cProfile.Profile()
    took = []
    profiler.enable()
    for i in range(args.requests):
        took.append(call(plan[i % len(plan)]))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
        r"/work/|catalog/|matching/|webapp/|jobs/", int(os.environ.get("PROFILE_LINES", "40"))
    )
    print(
        json.dumps(
            {
                "page": args.profile,
                "requests": len(took),
                **latency_stats(took),
                "sql_ms_per_request": round(1000 * sql["seconds"] / len(took), 1),
                "queries_per_request": round(sql["queries"] / len(took), 1),
                "note": "in process, under cProfile (times inflated by the profiler)",
            }
        )
    )
    print(out.getvalue())


# -- tables ------------------------------------------------------------------------------


def table(path: Path) -> str:
    """Markdown tables from the JSON lines: the newest row of each measurement."""
    rows: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row.get("bench") != "pages":
            continue
        if row["kind"] == "steady":
            rows[(row["label"], "steady", row["page"], row["concurrency"])] = row
        else:
            rows[(row["label"], "first", row["page"], row["warm_on_start"])] = row
    out = []
    for label in dict.fromkeys(k[0] for k in rows):
        out.append(f"\n**{label}**\n")
        out.append(
            "| page | p50 ms (1 client) | p95 ms (1 client) | req/s (1) | req/s (4 clients) "
            "| p95 ms (4) | CPU ms/req web + PG (1) | first request, warmed start "
            "| first request, no warm-up |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        for page in PAGES:
            one = rows.get((label, "steady", page, 1), {})
            four = rows.get((label, "steady", page, 4), {})
            warm = rows.get((label, "first", page, True))
            cold = rows.get((label, "first", page, False))
            if not (one or four or warm or cold):
                continue

            def first(r: dict | None) -> str:
                return f"{r['first_ms']:,.0f} ms" if r else "–"

            def value(r: dict, key: str) -> str:
                return f"{r[key]:,}" if key in r else "–"

            cpu = one.get("cpu_ms_per_request")
            cpu_text = f"{cpu['web']} + {cpu['postgres']}" if cpu else "–"
            out.append(
                f"| {DESCRIPTIONS[page]} | {value(one, 'p50_ms')} | {value(one, 'p95_ms')} "
                f"| {value(one, 'rps')} | {value(four, 'rps')} | {value(four, 'p95_ms')} "
                f"| {cpu_text} | {first(warm)} | {first(cold)} |"
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--label", help="catalogue label in the output (demo, 10k, …)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warm-seconds", type=float, default=4, help="load before measuring")
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=PAGES)
    parser.add_argument("--first", action="store_true", help="first request after a start")
    parser.add_argument("--no-steady", action="store_true", help="only --first")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of gunicorn, e.g. KETNOI_WARM_ON_START=0",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines, appended")
    parser.add_argument("--table", action="store_true", help="only print the tables of --out")
    parser.add_argument("--profile", choices=PAGES, help="in-process cProfile of one page")
    parser.add_argument("--requests", type=int, default=50, help="requests profiled")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop gunicorn too
    if args.table:
        print(table(args.out))
        return
    if not args.data_dir or not args.database_url:
        parser.error("give --data-dir and --database-url (or KETNOI_DATA_DIR, DATABASE_URL)")
    env = service_env(args.data_dir, args.database_url, args.redis_url)
    env.setdefault("OMP_NUM_THREADS", "1")  # as Procfile
    env.setdefault("INDEX_RELOAD_IN_BACKGROUND", "1")
    env.update(dict(item.split("=", 1) for item in args.env))
    os.environ.update({k: v for k, v in env.items() if k != "KETNOI_WARM_ON_START"})
    setup = prepare(_app())
    if args.profile:
        profile(args, setup)
        return
    if not args.no_steady:
        steady(args, env, setup, args.pages)
    if args.first:
        first_requests(args, env, setup, args.pages)


if __name__ == "__main__":
    main()
