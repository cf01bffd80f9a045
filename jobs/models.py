"""Tables owned by the background side: worker heartbeats for the health check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class WorkerHeartbeat(Base):
    """Written every few seconds by each worker, read by /healthz.

    A table rather than the broker's remote control, because the embedded broker
    (kombu's filesystem transport) has no broadcast channel.
    """

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(200), primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tasks_done: Mapped[int] = mapped_column(Integer, default=0)
