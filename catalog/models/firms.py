"""Firms and what they declare they can do: capabilities and certifications."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, str_enum
from .reference import Concept, FormerProvince, IndustrialZone, Province, place_label

if TYPE_CHECKING:
    from .verification import Verification


def still_valid(valid_until: date | None, on: date | None = None) -> bool:
    """Whether something valid until ``valid_until`` (None: without end) is on ``on``."""
    return valid_until is None or valid_until >= (on or date.today())


class FirmRole(enum.StrEnum):
    SUPPLIER = "supplier"
    BUYER = "buyer"
    BOTH = "both"


class Ownership(enum.StrEnum):
    DOMESTIC = "domestic"
    FDI = "fdi"
    JOINT_VENTURE = "joint_venture"


firm_sectors = Table(
    "firm_sectors",
    Base.metadata,
    Column("firm_id", ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


def firm_name(name_vi: str, name_en: str) -> str:
    """How a firm is named wherever one name is shown: its Vietnamese name, else its
    English one (also for readers of its columns without the row)."""
    return name_vi or name_en


capability_materials = Table(
    "capability_materials",
    Base.metadata,
    Column("capability_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


class Firm(TimestampMixin, Base):
    __tablename__ = "firms"
    # The newest change of any firm, read in one index step: the directory's filter
    # lists are kept until it moves (``catalog.queries.newest_firm_stamp``).
    __table_args__ = (Index("ix_firms_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[FirmRole] = mapped_column(str_enum(FirmRole, 10))
    name_vi: Mapped[str] = mapped_column(String(200), index=True)  # the directory's order
    name_en: Mapped[str] = mapped_column(String(200), default="")
    tax_code: Mapped[str | None] = mapped_column(String(14), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    # The province before the 2025 map, a region of the current one (None: not known).
    former_province_id: Mapped[int | None] = mapped_column(
        ForeignKey("former_provinces.id"), index=True
    )
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("industrial_zones.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    employees: Mapped[int | None] = mapped_column(Integer)
    year_founded: Mapped[int | None] = mapped_column(Integer)
    ownership: Mapped[Ownership] = mapped_column(
        str_enum(Ownership, 14),
        default=Ownership.DOMESTIC,
    )
    country_of_origin: Mapped[str] = mapped_column(String(60), default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    # Stable key for generated demo rows so that seeding twice adds nothing.
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    province: Mapped[Province] = relationship()
    former_province: Mapped[FormerProvince | None] = relationship()
    zone: Mapped[IndustrialZone | None] = relationship()
    sectors: Mapped[list[Concept]] = relationship(secondary=firm_sectors)
    capabilities: Mapped[list[Capability]] = relationship(
        back_populates="firm", cascade="all, delete-orphan", order_by="Capability.id"
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="firm", cascade="all, delete-orphan", order_by="Certification.standard"
    )
    verifications: Mapped[list[Verification]] = relationship(
        back_populates="firm", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def display_name(self) -> str:
        return firm_name(self.name_vi, self.name_en)

    def place_label(self, lang: str = "vi") -> str:
        """ "Phú Thọ — former Vĩnh Phúc": where the firm is, as pages and files show it."""
        return place_label(self.province, self.former_province, lang)

    @property
    def is_supplier(self) -> bool:
        return self.role in (FirmRole.SUPPLIER, FirmRole.BOTH)

    def valid_certifications(self, on: date | None = None) -> list[Certification]:
        on = on or date.today()
        return [c for c in self.certifications if still_valid(c.valid_until, on)]

    def current_checks(self, on: date | None = None) -> dict[tuple[str, int], Verification]:
        """The newest check of each item that still stands on ``on``, keyed
        ("capability" | "certification", item id): what earns a verified badge."""
        from .verification import latest_checks

        return {k: v for k, v in latest_checks(self.verifications).items() if v.is_current(on)}

    def __repr__(self) -> str:
        return f"<Firm {self.id} {self.display_name!r}>"


class Capability(TimestampMixin, Base):
    """One thing a firm can make or do, described in its own words plus structured fields."""

    __tablename__ = "capabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    process_id: Mapped[str | None] = mapped_column(ForeignKey("concepts.id"), index=True)
    products: Mapped[str] = mapped_column(String(500), default="")
    hs_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    equipment: Mapped[str] = mapped_column(String(500), default="")
    tolerance_mm: Mapped[float | None] = mapped_column(Float)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    capacity_unit: Mapped[str] = mapped_column(String(20), default="pcs")
    min_order_qty: Mapped[int | None] = mapped_column(Integer)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)  # from order to delivery
    language: Mapped[str] = mapped_column(String(2), default="vi")

    firm: Mapped[Firm] = relationship(back_populates="capabilities")
    process: Mapped[Concept | None] = relationship()
    materials: Mapped[list[Concept]] = relationship(secondary=capability_materials)

    def __repr__(self) -> str:
        return f"<Capability {self.id} {self.title!r}>"


class Certification(Base):
    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    standard: Mapped[str] = mapped_column(String(40), index=True)
    issuer: Mapped[str] = mapped_column(String(120), default="")
    certificate_no: Mapped[str] = mapped_column(String(60), default="")
    valid_until: Mapped[date | None] = mapped_column(Date)

    firm: Mapped[Firm] = relationship(back_populates="certifications")

    def is_valid(self, on: date | None = None) -> bool:
        return still_valid(self.valid_until, on)
