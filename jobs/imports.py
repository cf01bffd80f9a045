"""Import jobs that survive their worker: recorded, checkpointed, resumed.

The web app records a job (``record_import``) and queues ``ketnoi.import_firms`` with
the job's id as the task id. The task claims the job for its worker (``claim``), then
imports, writing how far it got (rows read, counts, rejected rows) in the same
transaction as each batch of rows (``Checkpoint``): after a crash the job says exactly
which rows are in.

A worker killed mid-file leaves its job "running" under an owner whose heartbeat has
stopped or now belongs to a new run of that worker. Every worker, once its first
heartbeat is written and then every minute, re-queues such jobs (``recover``) under the
same task id, so the officer's page follows the new run, which resumes after the last
committed row. A message delivered twice (the broker's own redelivery, a re-queue
racing the original) finds the job done or claimed by a live worker and is ignored;
and a run that lost its claim cannot commit another batch.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog import access
from catalog.i18n import Message
from catalog.imports import ImportResult, RowProblem
from catalog.models import BackgroundJob, JobKind, Province, User, as_utc, utcnow

from .models import STALE_AFTER, ImportJob, ImportJobProblem, WorkerHeartbeat

log = logging.getLogger(__name__)

TASK = "ketnoi.import_firms"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A job that has taken down this many workers is not tried again.
MAX_ATTEMPTS = 3
COUNTS = ("rows_read", "created", "updated", "unchanged", "rejected")


class ClaimLost(RuntimeError):
    """Another run has claimed the job since this one did: this one must stop."""


def record_import(
    session: Session, path: str, mapping: dict[str, str] | None, actor_id: int | None
) -> str:
    """Record a new import job, committed before it is queued; return its id."""
    job = ImportJob(id=str(uuid.uuid4()), path=path, mapping=mapping, actor_id=actor_id)
    session.add(job)
    session.commit()
    return job.id


def owner_alive(session: Session, job: ImportJob, now: datetime | None = None) -> bool:
    """Whether the worker run that claimed the job is still beating."""
    if job.worker is None:
        return False
    beat = session.get(WorkerHeartbeat, job.worker)
    if beat is None or beat.instance != job.instance:
        return False
    return (now or utcnow()) - as_utc(beat.last_seen) < STALE_AFTER


def claim(
    session: Session,
    job_id: str,
    worker: str,
    instance: str,
    defaults: dict[str, Any],
) -> ImportJob | None:
    """Take the job for this worker run, or None when it is done, failed, or claimed
    by a live worker. ``defaults`` record a job queued without a record."""
    job = session.get(ImportJob, job_id)
    if job is None:
        job = ImportJob(id=job_id, **defaults)
        session.add(job)
        session.commit()
    if job.state in (DONE, FAILED):
        return None
    if job.state == RUNNING and job.instance == instance:
        # This worker run's own job, taken again after a transient error (a busy
        # database): the same attempt goes on from its last committed row. It is not
        # a new attempt, and no worker was lost that the officer should hear of.
        return job
    # Another live worker runs it.
    if job.state == RUNNING and owner_alive(session, job):
        return None
    seen = job.attempts
    won = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.attempts == seen, ImportJob.state == job.state)
        .values(
            state=RUNNING,
            worker=worker,
            instance=instance,
            attempts=seen + 1,
            resumed_from=job.rows_done or None,
            updated_at=utcnow(),
        )
    ).rowcount
    session.commit()
    if won != 1:
        return None
    session.refresh(job)
    return job


def resume_point(session: Session, job: ImportJob) -> ImportResult | None:
    """What earlier runs of the job committed, to carry on from; None for a fresh start."""
    if not job.rows_done:
        return None
    result = ImportResult(**{name: int(job.counts.get(name, 0)) for name in COUNTS})
    result.rows_read = job.rows_done
    result.province_ids = {int(p) for p in job.counts.get("province_ids", [])}
    problems = session.scalars(
        select(ImportJobProblem)
        .where(ImportJobProblem.job_id == job.id)
        .order_by(ImportJobProblem.row)
    )
    result.problems = [
        RowProblem(p.row, {k: _reason(v) for k, v in p.reasons.items()}) for p in problems
    ]
    return result


@dataclass
class Checkpoint:
    """Called by ``import_table`` before each commit: writes the job's progress and its
    new rejected rows into the transaction, if this run still holds the job."""

    session: Session
    job_id: str
    attempt: int
    total: int
    saved_problems: int = 0

    def __call__(self, result: ImportResult) -> None:
        counts: dict[str, Any] = {name: getattr(result, name) for name in COUNTS}
        counts["province_ids"] = sorted(result.province_ids)
        held = self.session.execute(
            update(ImportJob)
            .where(ImportJob.id == self.job_id, ImportJob.attempts == self.attempt)
            .values(
                rows_done=result.rows_read,
                rows_total=self.total,
                counts=counts,
                updated_at=utcnow(),
            )
        ).rowcount
        if held != 1:
            raise ClaimLost(f"import job {self.job_id} was claimed by another run")
        for problem in result.problems[self.saved_problems :]:
            self.session.add(
                ImportJobProblem(
                    job_id=self.job_id,
                    row=problem.row,
                    reasons={k: _reason_record(v) for k, v in problem.reasons.items()},
                )
            )
        self.saved_problems = len(result.problems)


def finish(session: Session, job_id: str, attempt: int, summary: dict[str, Any]) -> None:
    """Mark the job done with its summary; the provinces its rows landed in join its
    record's, so their officers find it in their import history (same transaction)."""
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.attempts == attempt)
        .values(state=DONE, summary=summary, worker=None, instance=None, updated_at=utcnow())
    )
    record = session.get(BackgroundJob, job_id)
    if record is not None:
        params = dict(record.params or {})
        landed = {int(p) for p in summary.get("province_ids", [])}
        params["provinces"] = sorted(landed | set(params.get("provinces", [])))
        record.params = params
    session.commit()


def history_params(session: Session, actor_id: int | None, filename: str) -> dict[str, Any]:
    """What the record of a new import keeps for the import history: the file's name as
    the officer uploaded it, and the provinces the job belongs to from the start (an
    officer's; those its rows land in are added when it ends, ``finish``)."""
    actor = session.get(User, actor_id) if actor_id else None
    provinces = sorted(actor.province_ids) if actor is not None and actor.is_officer else []
    return {"filename": filename[:200], "provinces": provinces}


@dataclass
class HistoryEntry:
    """One import as the history page lists it."""

    job: BackgroundJob
    record: ImportJob | None
    owner: User | None
    provinces: list[Province]

    @property
    def filename(self) -> str:
        return str((self.job.params or {}).get("filename") or self.job.subject)

    def count(self, name: str) -> int:
        if self.record is None:
            return 0
        source = self.record.summary if self.record.state == DONE else self.record.counts
        return int((source or {}).get(name, 0))

    @property
    def state(self) -> str:
        return self.record.state if self.record is not None else str(self.job.state)

    @property
    def has_errors(self) -> bool:
        return self.state == DONE and self.count("rejected") > 0


def history(
    session: Session, user: User | None, province_id: int | None = None, limit: int = 200
) -> list[HistoryEntry]:
    """The imports ``user`` may follow (``job.own``: their own, those of their
    provinces; every one for an admin), newest first; of one province when given.

    The provinces are read from each job's record (a JSON list), so the filter runs
    here over the newest imports; a province's history is short (a few files a
    quarter), and ``limit`` bounds the page."""
    query = (
        select(BackgroundJob)
        .where(BackgroundJob.kind == JobKind.IMPORT)
        .order_by(BackgroundJob.created_at.desc(), BackgroundJob.id)
    )
    entries: list[HistoryEntry] = []
    provinces: dict[int, Province | None] = {}
    for job in session.scalars(query.limit(limit * 10)):
        ids = [int(p) for p in (job.params or {}).get("provinces", [])]
        if province_id is not None and province_id not in ids:
            continue
        if not access.can(user, "job.own", job):
            continue
        for pid in ids:
            if pid not in provinces:
                provinces[pid] = session.get(Province, pid)
        entries.append(
            HistoryEntry(
                job=job,
                record=session.get(ImportJob, job.id),
                owner=session.get(User, job.owner_id) if job.owner_id else None,
                provinces=[p for p in (provinces[i] for i in ids) if p is not None],
            )
        )
        if len(entries) >= limit:
            break
    return entries


def fail(session: Session, job_id: str, reason: str, attempt: int | None = None) -> None:
    query = update(ImportJob).where(ImportJob.id == job_id)
    if attempt is not None:
        query = query.where(ImportJob.attempts == attempt)
    session.execute(query.values(state=FAILED, error=reason[:500], worker=None, instance=None))
    session.commit()


def recover(
    session: Session, send, *, queued_too: bool = False, alive: str | None = None
) -> list[str]:
    """Re-queue the jobs whose worker died (and, with ``queued_too``, jobs waiting in
    the queue, whose message a dead worker may have taken); return their ids.

    ``send(job)`` queues the job's task. A job is marked queued before it is sent: a
    failed send leaves it for the next worker that starts. ``alive`` is the instance of
    the worker asking: its own jobs are running, whatever its heartbeat row says (a
    beat can be late when the database is busy with that very job's writes)."""
    states = [RUNNING, QUEUED] if queued_too else [RUNNING]
    now = utcnow()
    requeued = []
    for job in session.scalars(select(ImportJob).where(ImportJob.state.in_(states))).all():
        if job.state == RUNNING and (
            (alive is not None and job.instance == alive) or owner_alive(session, job, now)
        ):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            log.error("import job %s stopped %d workers: given up", job.id, job.attempts)
            fail(session, job.id, f"stopped {job.attempts} times", attempt=job.attempts)
            continue
        moved = session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == job.id,
                ImportJob.attempts == job.attempts,
                ImportJob.state == job.state,
            )
            .values(state=QUEUED, worker=None, instance=None, updated_at=now)
        ).rowcount
        session.commit()
        if moved != 1:
            continue
        try:
            send(job)
        except Exception:
            log.exception("could not re-queue import job %s", job.id)
            continue
        log.warning("re-queued import job %s, %d rows in", job.id, job.rows_done)
        requeued.append(job.id)
    return requeued


def describe(session: Session, job: ImportJob) -> dict[str, Any]:
    """The job's state for the officer's page: ``interrupted`` is a running job whose
    worker has died and which waits for a worker to resume it."""
    state = job.state
    # Running under a dead worker, or re-queued after one: waiting to resume.
    lost = not owner_alive(session, job) if state == RUNNING else state == QUEUED
    if lost and job.rows_done:
        state = "interrupted"
    return {
        "state": state,
        "rows_done": job.rows_done,
        "total": job.rows_total,
        "attempts": job.attempts,
        "resumed_from": job.resumed_from,
    }


def _reason_record(value: Any) -> Any:
    """A rejection reason as JSON: a ``Message`` keeps its msgid and parameters, so the
    rejected-rows file of a resumed job is translated like any other."""
    if isinstance(value, Message):
        params = {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            for k, v in value.params.items()
        }
        return {"msgid": value.msgid, "params": params}
    return str(value)


def _reason(record: Any) -> Any:
    if isinstance(record, dict):
        return Message(record["msgid"], record.get("params") or {})
    return record
