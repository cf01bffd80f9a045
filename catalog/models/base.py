"""Declarative base shared by every table of the project.

A naming convention is set so that Alembic migrations get stable constraint names on
both SQLite (batch mode) and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware 'now' used for every timestamp column."""
    return datetime.now(UTC)


# Vietnam keeps UTC+7 all year: its calendar day decides a deal's stage dates and the
# period a report counts them in, whatever the server's clock zone.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


def vietnam_today() -> date:
    """Today's date in Vietnam (the default of date columns people see as days)."""
    return datetime.now(VIETNAM_TZ).date()


def as_utc(value: datetime | None) -> datetime | None:
    """A stored timestamp, timezone-aware: SQLite hands them back naive, in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def str_enum(enum_cls: type, length: int = 20) -> Enum:
    """Store a ``StrEnum`` by value in a plain VARCHAR (portable, migration-friendly)."""
    return Enum(
        enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
