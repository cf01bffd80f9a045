"""Saying plainly when background work is not running.

Edits reach search, imports and reports run and mail goes out only while a Celery
worker is alive (its heartbeat, ``jobs.heartbeat``). When none is, every page tells the
signed-in users, whose edits, imports and reports wait for it, that their changes are
saved but wait; anonymous visitors are told only on the pages that mail them (a reset
link, a registration), in softer words; and a job's progress page says that the job
waits instead of spinning on. supervisord or systemd start the worker again
(``deploy/``): the notice goes once its heartbeat is back.

The heartbeat table is read at most once every ``CHECK_SECONDS`` per web process, so
the notice costs no query on most requests. With tasks run in-process
(``CELERY_ALWAYS_EAGER``) no worker is needed, and nothing is said.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from jobs import heartbeat

from .access import actor
from .extensions import db

CHECK_SECONDS = 5.0
_CACHE_KEY = "ketnoi.background"
# Pages whose outcome an anonymous visitor receives by mail.
MAILING_ENDPOINTS = frozenset({"accounts.reset_request", "accounts.register"})
# Celery's states of a job that has not finished.
WAITING_STATES = frozenset({"PENDING", "RECEIVED", "STARTED", "PROGRESS", "RETRY"})


def background_running() -> bool:
    """Whether a worker is alive, as seen at most ``CHECK_SECONDS`` ago by this
    process. An unreadable table counts as running: the database's own trouble is
    reported elsewhere, and a false alarm helps nobody."""
    if current_app.extensions["celery"].conf.task_always_eager:
        return True
    cache: dict[str, Any] = current_app.extensions.setdefault(_CACHE_KEY, {})
    now = monotonic()
    if cache.get("until", 0.0) > now:
        return cache["running"]
    try:
        running = heartbeat.background_running(db.session)
    except SQLAlchemyError:
        db.session.rollback()
        running = True
    cache.update(until=now + CHECK_SECONDS, running=running)
    return running


def forget_check(app: Flask) -> None:
    """Drop the cached answer, so the next page reads the heartbeats again."""
    app.extensions.pop(_CACHE_KEY, None)


def page_notice() -> str | None:
    """The banner of this page, in the reader's language, or None."""
    if not has_request_context():
        return None
    signed_in = actor() is not None
    if not signed_in and request.endpoint not in MAILING_ENDPOINTS:
        return None  # nothing to say, and no query
    if background_running():
        return None
    if signed_in:
        return _(
            "Background work is not running: your changes are saved but will reach "
            "search when it restarts. Imports, reports and e-mails wait until then."
        )
    return _("E-mails from KetNoi may arrive late at the moment.")


def job_notice(state: str) -> str | None:
    """What a job's progress page shows while the job waits for a worker that is not
    running (it keeps waiting, and goes on once a worker is back)."""
    if state in WAITING_STATES and not background_running():
        return _(
            "Background work is not running: this job waits and goes on as soon as it restarts."
        )
    return None


def inject_notice() -> dict[str, Any]:
    return {"background_notice": page_notice()}


def register(app: Flask) -> None:
    app.context_processor(inject_notice)
