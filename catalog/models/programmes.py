"""Support programmes: what a province offers firms, who received it, what it cost.

The seeds are programmes before they are databases: Thái Nguyên's supporting-industry
programme (§III.2) and Hưng Yên's khuyến công programme (§III, §IV) list kinds of
support (training, consulting, management systems, technology transfer, fairs …) with
yearly budgets by source and counted targets. A ``Programme`` is one such decision of a
province; its ``SupportLine``\\ s are the kinds of support it funds, each with its
per-firm ceiling and share, its eligibility, its budget (``SupportBudget``: year ×
source) and its counted targets (``SupportTarget``). A firm's ``SupportApplication``
goes through assessment to approval or rejection, is paid in ``SupportDisbursement``\\ s
and completes with evidence (``SupportFile``) and a result linked to the catalogue: a
certification obtained, workers trained, an event attended.

Money is kept in whole đồng (``BigInteger``): budgets of programmes run to billions.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, str_enum, utcnow, vietnam_today
from .events import Event
from .firms import Certification, Firm
from .reference import Concept, FormerProvince, Province


class SupportKind(enum.StrEnum):
    """The kinds of support the provinces' programmes fund (Thái Nguyên §III.2.1–2.5,
    Hưng Yên §III.1–8)."""

    TRAINING = "training"
    CONSULTING = "consulting"
    MANAGEMENT_SYSTEM = "management_system"
    TECHNOLOGY_TRANSFER = "technology_transfer"
    TRIAL_PRODUCTION = "trial_production"
    FAIR = "fair"
    PROMOTION = "promotion"
    EXPERT = "expert"
    MARKET_INFORMATION = "market_information"


class FundingSource(enum.StrEnum):
    CENTRAL = "central"  # the national budget (khuyến công quốc gia)
    PROVINCIAL = "provincial"  # the province's budget
    FIRMS = "firms"  # the firms' own contribution (đối ứng)


class LineStatus(enum.StrEnum):
    OPEN = "open"  # firms may apply
    CLOSED = "closed"


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class TargetMeasure(enum.StrEnum):
    """What a counted target counts, each from the applications' records."""

    FIRMS_SUPPORTED = "firms_supported"  # firms with an approved or completed support
    FIRMS_COMPLETED = "firms_completed"  # firms whose support completed
    WORKERS_TRAINED = "workers_trained"  # summed from completions
    CERTIFICATIONS = "certifications"  # certificates obtained through the line


class FirmSize(enum.StrEnum):
    """Size classes by employees, as Decree 80/2021 counts them for industry."""

    MICRO = "micro"  # up to 10
    SMALL = "small"  # up to 100
    MEDIUM = "medium"  # up to 200
    LARGE = "large"


support_line_sectors = Table(
    "support_line_sectors",
    Base.metadata,
    Column("line_id", ForeignKey("support_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)
support_line_processes = Table(
    "support_line_processes",
    Base.metadata,
    Column("line_id", ForeignKey("support_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


class Programme(TimestampMixin, Base):
    """A province's programme: its decision, period and support lines."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(500), default="")
    start_year: Mapped[int] = mapped_column(SmallInteger)
    end_year: Mapped[int] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    province: Mapped[Province] = relationship()
    lines: Mapped[list[SupportLine]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="SupportLine.id"
    )


class SupportLine(TimestampMixin, Base):
    """One kind of support a programme funds, and for whom.

    ``share_pct`` is the part of a firm's cost the line pays, ``ceiling_vnd`` the most it
    pays one firm. Eligibility: empty lists mean anyone (sectors, sizes); a former
    province narrows it to the firms of that former province. ``standards`` and
    ``processes`` say which gaps the line closes: a management-system line the
    certifications it helps obtain, a training or technology line the processes."""

    __tablename__ = "support_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SupportKind] = mapped_column(str_enum(SupportKind, 24))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    share_pct: Mapped[int] = mapped_column(SmallInteger, default=50)
    ceiling_vnd: Mapped[int | None] = mapped_column(BigInteger)
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    former_province_id: Mapped[int | None] = mapped_column(
        ForeignKey("former_provinces.id", ondelete="SET NULL")
    )
    standards: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[LineStatus] = mapped_column(str_enum(LineStatus, 10), default=LineStatus.OPEN)

    programme: Mapped[Programme] = relationship(back_populates="lines")
    former_province: Mapped[FormerProvince | None] = relationship()
    sectors: Mapped[list[Concept]] = relationship(secondary=support_line_sectors)
    processes: Mapped[list[Concept]] = relationship(secondary=support_line_processes)
    budgets: Mapped[list[SupportBudget]] = relationship(
        back_populates="line",
        cascade="all, delete-orphan",
        order_by="(SupportBudget.year, SupportBudget.source)",
    )
    targets: Mapped[list[SupportTarget]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="SupportTarget.id"
    )


class SupportBudget(Base):
    """The amount planned for a line in one year from one source."""

    __tablename__ = "support_budgets"
    __table_args__ = (UniqueConstraint("line_id", "year", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("support_lines.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[FundingSource] = mapped_column(str_enum(FundingSource, 12))
    planned_vnd: Mapped[int] = mapped_column(BigInteger)

    line: Mapped[SupportLine] = relationship(back_populates="budgets")


class SupportTarget(Base):
    """A counted target of a line ("about 420 workers trained"), over the programme's
    period, or in one year when ``year`` is set."""

    __tablename__ = "support_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("support_lines.id", ondelete="CASCADE"), index=True
    )
    measure: Mapped[TargetMeasure] = mapped_column(str_enum(TargetMeasure, 20))
    value: Mapped[int] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(SmallInteger)

    line: Mapped[SupportLine] = relationship(back_populates="targets")


class SupportApplication(TimestampMixin, Base):
    """A firm's request for support on a line, and everything that follows it: the
    assessment and decision, the payments, and the result.

    ``source`` is "application" when the firm applied, "recorded" when an officer
    recorded support given outside the flow (a class held, a fair booth paid for)."""

    __tablename__ = "support_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("support_lines.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12), default="application")
    purpose: Mapped[str] = mapped_column(Text, default="")
    gap: Mapped[str] = mapped_column(String(120), default="")  # "certification:ISO 9001"
    cost_vnd: Mapped[int | None] = mapped_column(BigInteger)
    requested_vnd: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, 12), default=ApplicationStatus.SUBMITTED, index=True
    )
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_on: Mapped[date] = mapped_column(Date, default=vietnam_today)
    # assessment and decision
    score: Mapped[int | None] = mapped_column(SmallInteger)  # 0-100
    criteria: Mapped[str] = mapped_column(Text, default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    approved_vnd: Mapped[int | None] = mapped_column(BigInteger)
    reject_reason: Mapped[str] = mapped_column(String(1000), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_on: Mapped[date | None] = mapped_column(Date)
    # result
    completed_on: Mapped[date | None] = mapped_column(Date)
    result_note: Mapped[str] = mapped_column(Text, default="")
    workers_trained: Mapped[int | None] = mapped_column(Integer)
    certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="SET NULL")
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))

    line: Mapped[SupportLine] = relationship()
    firm: Mapped[Firm] = relationship()
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    certification: Mapped[Certification | None] = relationship()
    event: Mapped[Event | None] = relationship()
    disbursements: Mapped[list[SupportDisbursement]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="(SupportDisbursement.paid_on, SupportDisbursement.id)",
    )
    files: Mapped[list[SupportFile]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="SupportFile.id"
    )

    @property
    def disbursed_vnd(self) -> int:
        return sum(d.amount_vnd for d in self.disbursements)


class SupportDisbursement(Base):
    """A payment against an approved application, from one source."""

    __tablename__ = "support_disbursements"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("support_applications.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[date] = mapped_column(Date, default=vietnam_today)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[FundingSource] = mapped_column(
        str_enum(FundingSource, 12), default=FundingSource.PROVINCIAL
    )
    note: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    application: Mapped[SupportApplication] = relationship(back_populates="disbursements")


class SupportFile(Base):
    """A file of an application: what the firm sent with it ("application"), or the
    evidence of its result ("evidence": attendance lists, certificates, photos of the
    machine installed). Kept under its digest like deals' files."""

    __tablename__ = "support_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("support_applications.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(12), default="application")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    application: Mapped[SupportApplication] = relationship(back_populates="files")
