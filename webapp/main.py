"""Home page and the health check.

``/healthz`` is public (load balancers and monitors ask it without an account), so it
says only how things are: statuses, counts and ages. Which machines run the workers,
and why the index is unavailable, are for signed-in admins only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from catalog.models import as_utc
from catalog.queries import counts
from jobs.models import STALE_AFTER, WorkerHeartbeat
from jobs.runtime import runtime

from .access import actor, public
from .extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def home():
    return render_template("home.html", counts=counts(db.session))


def _database_state() -> dict:
    try:
        # A query that reads the database: SQLite answers ``SELECT 1`` without it.
        db.session.execute(select(WorkerHeartbeat.hostname).limit(1))
        return {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as exc:
        db.session.rollback()
        return {"status": "error", "detail": exc.__class__.__name__}


def _worker_state(detailed: bool) -> dict:
    try:
        beats = list(db.session.scalars(select(WorkerHeartbeat)))
    except Exception:
        db.session.rollback()
        return {"status": "unknown", "workers": []}
    now = datetime.now(UTC)
    workers = []
    for beat in beats:
        seen = as_utc(beat.last_seen)
        age = (now - seen).total_seconds()
        worker = {
            "last_seen": seen.isoformat(timespec="seconds"),
            "seconds_ago": round(age, 1),
            "alive": age < STALE_AFTER.total_seconds(),
            "tasks_done": beat.tasks_done,
        }
        if detailed:
            worker["hostname"] = beat.hostname
        workers.append(worker)
    alive = sum(w["alive"] for w in workers)
    return {"status": "ok" if alive else "down", "alive": alive, "workers": workers}


@bp.get("/healthz")
@public
def healthz():
    user = actor()
    detailed = user is not None and user.is_admin
    database = _database_state()
    index = runtime().engine.health()
    if not detailed:
        index.pop("detail", None)  # an exception's text: paths of the index folder
    worker = _worker_state(detailed)
    ok = database["status"] == "ok"
    status = "ok" if ok and index["status"] == "ok" and worker["status"] == "ok" else "degraded"
    body = {
        "status": status if ok else "error",
        "database": database,
        "index": index,
        "worker": worker,
    }
    return jsonify(body), 200 if ok else 503
