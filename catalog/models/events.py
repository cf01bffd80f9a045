"""Matchmaking days and reverse exhibitions: registrations, requests, meetings.

An event's time slots are stored as an explicit list, so a slot's number never changes
once people have said when they can attend and meetings have been placed in it. In a
reverse exhibition (triển lãm ngược) each buyer keeps a fixed booth: its table.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, str_enum
from .firms import Firm
from .needs import Need
from .reference import Concept, Province


class EventMode(enum.StrEnum):
    MATCHMAKING = "matchmaking"  # meetings at shared tables
    REVERSE = "reverse"  # reverse exhibition: buyers at fixed booths, suppliers visit


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # registration open
    CLOSED = "closed"  # registration closed, requests and scheduling
    PUBLISHED = "published"  # schedule published to participants
    FINISHED = "finished"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class MeetingOutcome(enum.StrEnum):
    NO_INTEREST = "no_interest"
    FOLLOW_UP = "follow_up"
    NDA = "nda"
    SAMPLE_ORDER = "sample_order"
    CONTRACT = "contract"


event_sectors = Table(
    "event_sectors",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)

event_provinces = Table(
    "event_provinces",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("provinces.id"), primary_key=True),
)

registration_needs = Table(
    "event_registration_needs",
    Base.metadata,
    Column(
        "registration_id",
        ForeignKey("event_registrations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("need_id", ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
)


class Event(TimestampMixin, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    venue: Mapped[str] = mapped_column(String(300), default="")
    mode: Mapped[EventMode] = mapped_column(str_enum(EventMode, 12), default=EventMode.MATCHMAKING)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, 10), default=EventStatus.DRAFT, index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=20)
    # [{"day": "2026-12-03", "start": "09:00", "end": "09:20"}, ...] in time order.
    slots: Mapped[list[dict]] = mapped_column(JSON, default=list)
    tables: Mapped[int] = mapped_column(Integer, default=20)
    registration_deadline: Mapped[date | None] = mapped_column(Date)
    max_meetings: Mapped[int | None] = mapped_column(Integer)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the last scheduling run found: status, objective, bound, placed, seconds.
    solver_report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    province: Mapped[Province] = relationship()
    sectors: Mapped[list[Concept]] = relationship(secondary=event_sectors)
    provinces: Mapped[list[Province]] = relationship(secondary=event_provinces)
    created_by: Mapped[User | None] = relationship()
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Registration.id"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Meeting.id"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.name!r}>"


class Registration(TimestampMixin, Base):
    """A firm taking part in an event, as buyer or supplier."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(8))  # "buyer" | "supplier"
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, 10), default=RegistrationStatus.PENDING
    )
    # Slot numbers the firm can attend; None means every slot.
    available: Mapped[list[int] | None] = mapped_column(JSON)
    booth: Mapped[int | None] = mapped_column(Integer)  # reverse exhibition: buyer's table
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(500), default="")

    event: Mapped[Event] = relationship(back_populates="registrations")
    firm: Mapped[Firm] = relationship()
    needs: Mapped[list[Need]] = relationship(secondary=registration_needs)

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} firm={self.firm_id}>"


class MeetingRequest(TimestampMixin, Base):
    """One participant asks another for a meeting, with a priority and a message."""

    __tablename__ = "meeting_requests"
    __table_args__ = (UniqueConstraint("sender_id", "receiver_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True
    )
    receiver_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 low … 3 high
    message: Mapped[str] = mapped_column(String(1000), default="")
    score: Mapped[float | None] = mapped_column(Float)  # match score when requested
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, 10), default=RequestStatus.PENDING, index=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship()
    sender: Mapped[Registration] = relationship(foreign_keys=[sender_id])
    receiver: Mapped[Registration] = relationship(foreign_keys=[receiver_id])
    need: Mapped[Need | None] = relationship()


class Meeting(TimestampMixin, Base):
    """A 1:1 meeting between a buyer and a supplier, placed in a slot at a table."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("event_id", "buyer_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    mutual: Mapped[bool] = mapped_column(Boolean, default=False)
    slot: Mapped[int | None] = mapped_column(Integer)
    table: Mapped[int | None] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus, 10), default=MeetingStatus.PLANNED
    )
    outcome: Mapped[MeetingOutcome | None] = mapped_column(str_enum(MeetingOutcome, 14))
    outcome_note: Mapped[str] = mapped_column(String(1000), default="")

    event: Mapped[Event] = relationship(back_populates="meetings")
    buyer: Mapped[Registration] = relationship(foreign_keys=[buyer_id])
    supplier: Mapped[Registration] = relationship(foreign_keys=[supplier_id])
    need: Mapped[Need | None] = relationship()
