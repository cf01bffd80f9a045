"""Background jobs a user started (a report, an import, an event's schedule), one row
each: whose it is, what it is about, how it stands and the files it produced.

The pages that follow a job find it here, never in the user's cookie: a job is seen by
its owner (a survey import also by its provinces' officers and admins; ``catalog.access``:
``job.own``), from any browser they sign in with,
and its record outlives the task queue's result (which expires after a day).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin, str_enum


class JobKind(enum.StrEnum):
    REPORT = "report"  # a province's quarterly or annual report (XLSX and PDF)
    IMPORT = "import"  # a survey file imported into the catalogue
    SCHEDULE = "schedule"  # an event's meetings placed by the solver


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(TimestampMixin, Base):
    """One job, keyed by its task id; ``created_at`` is when it was asked for."""

    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_owner_kind", "owner_id", "kind", "subject"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the Celery task id
    # None: the system's own work, which no user follows.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    # What the job is about, as its pages look it up ("VP 2026-Q1", "event 12", a file).
    subject: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # what was asked for
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED)
    # The files it produced: format → the name they are downloaded under.
    files: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
