"""Tables owned by the background side: worker heartbeats for the health check, and
import jobs with how far they got, so that a worker's crash loses no work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base, TimestampMixin

# Workers beat every 5 s: a heartbeat older than this is a dead (or hung) worker's.
STALE_AFTER = timedelta(seconds=30)


class WorkerHeartbeat(Base):
    """Written every few seconds by each worker, read by /healthz.

    A table rather than the broker's remote control, because the embedded broker
    (kombu's filesystem transport) has no broadcast channel. ``instance`` tells two runs
    of a worker with the same host name apart: a job recorded under another instance
    than the heartbeat's belongs to a worker that has since died.
    """

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(200), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    instance: Mapped[str | None] = mapped_column(String(32), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tasks_done: Mapped[int] = mapped_column(Integer, default=0)


class ImportJob(TimestampMixin, Base):
    """One import of an uploaded survey file (``jobs.imports``).

    Its progress (rows read, counts) is written in the same transaction as each batch
    of rows, so after a crash it says exactly which rows are in; ``attempts`` counts the
    runs that claimed it, and only the latest may write.
    """

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the Celery task id
    path: Mapped[str] = mapped_column(String(500))
    mapping: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    state: Mapped[str] = mapped_column(String(20), default="queued")
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    instance: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    resumed_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ImportJobProblem(Base):
    """A row an import job rejected, with its reasons, saved with the batch it was in."""

    __tablename__ = "import_job_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[dict] = mapped_column(JSON)
