"""Background jobs a user started, recorded in one table (``catalog.models.BackgroundJob``).

``start`` records the job for its owner, commits, and hands the task to the background
(``jobs.dispatch``) under the record's id; from then on the task's own signals keep the
record in step (running, done with the files it produced, failed with the reason), in a
worker and in an eager run alike. The pages that follow a job look it up here
(``owned``, ``latest``), never in the cookie session, and show it to its owner only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from celery import Task
from celery.signals import task_failure, task_prerun, task_success
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import access
from catalog.models import BackgroundJob, JobKind, JobState, User, utcnow

from .dispatch import dispatch
from .runtime import runtime

log = logging.getLogger(__name__)

# The tasks whose runs are recorded (the others are the system's own work).
RECORDED_TASKS = frozenset(
    {"ketnoi.province_report", "ketnoi.import_firms", "ketnoi.schedule_event"}
)


def record(
    session: Session,
    owner_id: int | None,
    kind: JobKind,
    subject: str,
    params: dict[str, Any] | None = None,
    job_id: str | None = None,
) -> BackgroundJob:
    """Add the record of a job about to be queued (not committed: the caller commits it
    with whatever else the job needs, before queueing)."""
    job = BackgroundJob(
        id=job_id or str(uuid.uuid4()),
        owner_id=owner_id,
        kind=kind,
        subject=subject[:200],
        params=params or {},
    )
    session.add(job)
    return job


def start(
    session: Session,
    owner: User | None,
    kind: JobKind,
    subject: str,
    task: Task | str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> str:
    """Record a job for ``owner``, commit, and queue ``task`` under its id (run at once
    when tasks run eagerly); return the id."""
    job = record(session, owner.id if owner else None, kind, subject, params)
    session.commit()
    return dispatch(task, args, kwargs, task_id=job.id)


def owned(session: Session, user: User | None, job_id: str, kind: JobKind) -> BackgroundJob | None:
    """The job of that id and kind if ``user`` may follow it (its owner), else None."""
    job = session.get(BackgroundJob, job_id)
    if job is None or job.kind != kind or not access.can(user, "job.own", job):
        return None
    return job


def latest(
    session: Session, user: User, kind: JobKind, subject: str | None = None, limit: int = 10
) -> list[BackgroundJob]:
    """The user's most recent jobs of a kind (about ``subject`` when given), newest first."""
    query = select(BackgroundJob).where(
        BackgroundJob.owner_id == user.id, BackgroundJob.kind == kind
    )
    if subject is not None:
        query = query.where(BackgroundJob.subject == subject)
    query = query.order_by(BackgroundJob.created_at.desc(), BackgroundJob.id).limit(limit)
    return list(session.scalars(query))


# -- the record follows the task ------------------------------------------------------------


def _update(task: Task, task_id: str | None, **values: Any) -> None:
    """Write ``values`` to the job's record, in a session of its own (the task's has ended
    or failed), never failing the task: the record is what the pages show, the work is
    what matters."""
    if task.name not in RECORDED_TASKS or not task_id:
        return
    app = getattr(task.app, "flask_app", None)  # set by jobs.celery_app
    if app is None:
        return
    try:
        with app.app_context():
            session = runtime().session()
            try:
                job = session.get(BackgroundJob, task_id)
                # A duplicate delivery of a finished job does not make it run again.
                again = job is not None and job.finished and values["state"] == JobState.RUNNING
                if job is not None and not again:
                    for key, value in values.items():
                        setattr(job, key, value)
                    session.commit()
            finally:
                session.rollback()
    except Exception:
        log.exception("could not record the state of job %s", task_id)


@task_prerun.connect
def _running(sender: Task | None = None, task_id: str | None = None, **_kw: Any) -> None:
    if sender is not None:
        _update(sender, task_id, state=JobState.RUNNING)


@task_success.connect
def _done(sender: Task | None = None, result: Any = None, **_kw: Any) -> None:
    if sender is None:
        return
    files = result.get("files") if isinstance(result, dict) else None
    values: dict[str, Any] = {"state": JobState.DONE, "finished_at": utcnow(), "error": None}
    if isinstance(files, dict):
        values["files"] = files
    elif isinstance(result, dict) and result.get("error"):  # a task that declined to run
        values.update(state=JobState.FAILED, error=str(result["error"])[:500])
    _update(sender, sender.request.id, **values)


@task_failure.connect
def _failed(
    sender: Task | None = None, task_id: str | None = None, exception: Any = None, **_kw: Any
) -> None:
    if sender is not None:
        error = str(exception)[:500] if exception is not None else None
        _update(sender, task_id, state=JobState.FAILED, finished_at=utcnow(), error=error)
