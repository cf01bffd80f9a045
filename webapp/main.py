"""Home page and the health check."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from catalog.models import as_utc
from catalog.queries import counts
from jobs.models import STALE_AFTER, WorkerHeartbeat
from jobs.runtime import runtime

from .access import public
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


def _worker_state() -> dict:
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
        workers.append(
            {
                "hostname": beat.hostname,
                "last_seen": seen.isoformat(timespec="seconds"),
                "seconds_ago": round(age, 1),
                "alive": age < STALE_AFTER.total_seconds(),
                "tasks_done": beat.tasks_done,
            }
        )
    alive = sum(w["alive"] for w in workers)
    return {"status": "ok" if alive else "down", "alive": alive, "workers": workers}


@bp.get("/healthz")
@public
def healthz():
    database = _database_state()
    index = runtime().engine.health()
    worker = _worker_state()
    ok = database["status"] == "ok"
    status = "ok" if ok and index["status"] == "ok" and worker["status"] == "ok" else "degraded"
    body = {
        "status": status if ok else "error",
        "database": database,
        "index": index,
        "worker": worker,
    }
    return jsonify(body), 200 if ok else 503
