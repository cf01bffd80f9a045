"""Buyers' component needs and the shortlists they build from matches."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, str_enum
from .firms import Capability, Firm
from .reference import Concept, Province


class NeedStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    AWARDED = "awarded"


class NeedVisibility(enum.StrEnum):
    """Who may read a need: sourcing plans are commercially sensitive."""

    PUBLIC = "public"  # anyone, signed in or not
    REGISTERED = "registered"  # any signed-in user
    OFFICERS = "officers"  # the buyer and the province's officers only
    INVITED = "invited"  # the buyer, officers, and the suppliers it invited


need_invitations = Table(
    "need_invitations",
    Base.metadata,
    Column("need_id", ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
    Column("firm_id", ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True),
)

need_materials = Table(
    "need_materials",
    Base.metadata,
    Column("need_id", ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


class Need(TimestampMixin, Base):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    process_id: Mapped[str | None] = mapped_column(ForeignKey("concepts.id"))
    quantity_per_year: Mapped[int | None] = mapped_column(Integer)
    # Target unit price in đồng, if the buyer shares one (shown as 12.500 ₫ / ₫12,500).
    target_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    tolerance_mm: Mapped[float | None] = mapped_column(Float)
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Keys of the hard terms of the title/description the buyer removed from
    # "Understood: …" (``matching.query_terms``): not applied as requirements.
    dismissed_terms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    delivery_province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[NeedStatus] = mapped_column(
        str_enum(NeedStatus, 10),
        default=NeedStatus.OPEN,
        index=True,
    )
    visibility: Mapped[NeedVisibility] = mapped_column(
        str_enum(NeedVisibility, 10), default=NeedVisibility.REGISTERED
    )
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    buyer: Mapped[Firm] = relationship()
    invited: Mapped[list[Firm]] = relationship(secondary=need_invitations)
    process: Mapped[Concept | None] = relationship()
    materials: Mapped[list[Concept]] = relationship(secondary=need_materials)
    delivery_province: Mapped[Province | None] = relationship()
    shortlist: Mapped[list[ShortlistEntry]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="ShortlistEntry.id"
    )
    photos: Mapped[list[NeedPhoto]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedPhoto.id"
    )

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.title!r}>"


class NeedPhoto(Base):
    """A photo of the part a buyer needs: what a reverse exhibition displays."""

    __tablename__ = "need_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    need: Mapped[Need] = relationship(back_populates="photos")


class ShortlistEntry(TimestampMixin, Base):
    """A supplier a buyer keeps for a need; the first judgement the product records."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (UniqueConstraint("need_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    capability_id: Mapped[int | None] = mapped_column(
        ForeignKey("capabilities.id", ondelete="SET NULL")
    )
    score: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(500), default="")

    need: Mapped[Need] = relationship(back_populates="shortlist")
    firm: Mapped[Firm] = relationship()
    capability: Mapped[Capability | None] = relationship()


class Outcome(enum.StrEnum):
    """What happened to a suggested supplier; each is a relevance judgement.

    The first five are the match card's judgements; the others are the stages a deal
    reaches (``catalog.models.deals.Stage``), each recorded as it is reached, so the
    reranker learns quoted < sample approved < purchase order. "deal" is what the old
    button recorded: a purchase order."""

    REJECTED = "rejected"
    SHORTLISTED = "shortlisted"
    INTRODUCED = "introduced"
    MEETING = "meeting"
    DEAL = "deal"
    INTEREST = "interest"
    QUOTED = "quoted"
    SAMPLE_ORDERED = "sample_ordered"
    SAMPLE_APPROVED = "sample_approved"
    PURCHASE_ORDER = "purchase_order"
    REPEAT_ORDER = "repeat_order"

    @property
    def grade(self) -> int:
        return GRADES[self.value]


GRADES = {
    "rejected": 0,
    "shortlisted": 1,
    "interest": 1,
    "introduced": 2,
    "meeting": 2,
    "quoted": 3,
    "sample_ordered": 3,
    "sample_approved": 4,
    "purchase_order": 5,
    "repeat_order": 5,
    "deal": 5,
}


class MatchJudgement(TimestampMixin, Base):
    """One outcome recorded on a (need, supplier) match: training data for the reranker."""

    __tablename__ = "match_judgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    capability_id: Mapped[int | None] = mapped_column(
        ForeignKey("capabilities.id", ondelete="SET NULL")
    )
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, 16))
    source: Mapped[str] = mapped_column(String(20), default="buyer")

    need: Mapped[Need] = relationship()
    firm: Mapped[Firm] = relationship()

    @property
    def grade(self) -> int:
        return self.outcome.grade
