"""From a match to a purchase order: answers, quotes, conversations and the pipeline.

A *deal* is one need and one supplier: the thread both firms write in, the quotes the
supplier sends, and the dated stages the pair goes through (interest → introduced →
met → quoted → sample ordered → sample approved → purchase order → repeat orders, or
closed with a reason). A stage is stored once, as a ``DealStep`` that names the record
it comes from (an accepted introduction, a meeting's outcome, a quote, a purchase
order) or the person who recorded it, so the pipeline, the funnel and the reranker's
grades all read one table and nothing is entered twice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, str_enum, utcnow, vietnam_today
from .firms import Capability, Certification, Firm
from .needs import Need
from .reference import Concept


class Stage(enum.StrEnum):
    """The stages of a deal, in the order a supplier goes through them."""

    INTEREST = "interest"
    INTRODUCED = "introduced"
    MET = "met"
    QUOTED = "quoted"
    SAMPLE_ORDERED = "sample_ordered"
    SAMPLE_APPROVED = "sample_approved"
    PURCHASE_ORDER = "purchase_order"
    REPEAT_ORDER = "repeat_order"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        """Position in the pipeline (closed is not a step forward)."""
        return list(Stage).index(self) if self != Stage.CLOSED else -1


class CloseReason(enum.StrEnum):
    """Why a deal ended without (further) orders: what the province wants to count."""

    PRICE = "price"
    QUALITY = "quality"
    CAPACITY = "capacity"
    CERTIFICATION = "certification"
    LEAD_TIME = "lead_time"
    NO_ANSWER = "no_answer"
    OTHER = "other"


class Side(enum.StrEnum):
    """Who wrote a message or recorded a step."""

    BUYER = "buyer"
    SUPPLIER = "supplier"
    OFFICER = "officer"


class QuoteStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # the supplier sent a newer quote on the same deal


class Deal(TimestampMixin, Base):
    """One need and one supplier, from the first answer or invitation onwards."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("need_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    # The need's buyer, kept on the deal so lists and rules need no join.
    buyer_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    started_by: Mapped[Side] = mapped_column(str_enum(Side, 10), default=Side.SUPPLIER)
    # The furthest stage reached (or closed), kept with every step for the funnel.
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, 16), default=Stage.INTEREST, index=True)
    stage_on: Mapped[date] = mapped_column(Date, default=vietnam_today)
    closed_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, 16))
    # The province's officers read the thread only once one side asked them in.
    officers_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    officers_asked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The score of the match when the deal began (shown in the comparison).
    match_score: Mapped[float | None] = mapped_column(Float)

    need: Mapped[Need] = relationship()
    supplier: Mapped[Firm] = relationship(foreign_keys=[supplier_id])
    buyer: Mapped[Firm] = relationship(foreign_keys=[buyer_id])
    steps: Mapped[list[DealStep]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="DealStep.id"
    )
    messages: Mapped[list[DealMessage]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="DealMessage.id"
    )
    quotes: Mapped[list[Quote]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="Quote.id"
    )
    orders: Mapped[list[PurchaseOrder]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="PurchaseOrder.id"
    )

    def __repr__(self) -> str:
        return f"<Deal {self.id} need={self.need_id} supplier={self.supplier_id} {self.stage}>"


class DealStep(Base):
    """A stage reached on a date; ``source``/``ref_id`` name the record it comes from
    ("introduction", "meeting", "quote", "purchase_order", "message", "rfq") or, for
    "recorded", the person who entered it."""

    __tablename__ = "deal_steps"
    __table_args__ = (UniqueConstraint("deal_id", "stage", "source", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, 16))
    reached_on: Mapped[date] = mapped_column(Date, default=vietnam_today)
    source: Mapped[str] = mapped_column(String(20), default="recorded")
    ref_id: Mapped[int | None] = mapped_column(Integer)
    # A sample approved: first article inspection, and the PPAP submission level (1-5).
    first_article: Mapped[bool] = mapped_column(default=False)
    ppap_level: Mapped[int | None] = mapped_column(SmallInteger)
    close_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, 16))
    note: Mapped[str] = mapped_column(String(1000), default="")
    side: Mapped[Side] = mapped_column(str_enum(Side, 10), default=Side.BUYER)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="steps")
    user: Mapped[User | None] = relationship()


class DealMessage(Base):
    """A message in a deal's conversation ("interest" for a supplier's first answer)."""

    __tablename__ = "deal_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[Side] = mapped_column(str_enum(Side, 10))
    kind: Mapped[str] = mapped_column(String(12), default="message")  # or "interest"
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    files: Mapped[list[DealFile]] = relationship(
        back_populates="message", order_by="DealFile.id", foreign_keys="DealFile.message_id"
    )


quote_capabilities = Table(
    "quote_capabilities",
    Base.metadata,
    Column("quote_id", ForeignKey("quotes.id", ondelete="CASCADE"), primary_key=True),
    Column("capability_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
)

quote_certifications = Table(
    "quote_certifications",
    Base.metadata,
    Column("quote_id", ForeignKey("quotes.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "certification_id", ForeignKey("certifications.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Quote(TimestampMixin, Base):
    """A supplier's offer on a need: price, quantities, lead time, what it rests on."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_requests.id", ondelete="SET NULL")
    )
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    # The unit price in đồng, for sorting offers in several currencies (the rate the
    # supplier or the reference table gave when the quote was sent).
    unit_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    min_order_qty: Mapped[int | None] = mapped_column(Integer)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuoteStatus] = mapped_column(
        str_enum(QuoteStatus, 12), default=QuoteStatus.SUBMITTED
    )
    decline_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, 16))
    decline_note: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship(back_populates="quotes")
    request: Mapped[QuoteRequest | None] = relationship()
    capabilities: Mapped[list[Capability]] = relationship(secondary=quote_capabilities)
    certifications: Mapped[list[Certification]] = relationship(secondary=quote_certifications)
    files: Mapped[list[DealFile]] = relationship(
        back_populates="quote", order_by="DealFile.id", foreign_keys="DealFile.quote_id"
    )


class QuoteRequest(TimestampMixin, Base):
    """A buyer's request for quotation to chosen suppliers, with a deadline and,
    optionally, a non-disclosure agreement each must accept before reading the files."""

    __tablename__ = "quote_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text, default="")
    nda_text: Mapped[str] = mapped_column(Text, default="")  # empty: no NDA
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    need: Mapped[Need] = relationship()
    recipients: Mapped[list[QuoteRequestRecipient]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="QuoteRequestRecipient.id"
    )


class QuoteRequestRecipient(Base):
    """A supplier asked to quote, and whether (and by whom) it accepted the NDA."""

    __tablename__ = "quote_request_recipients"
    __table_args__ = (UniqueConstraint("request_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("quote_requests.id", ondelete="CASCADE"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    nda_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    nda_accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    request: Mapped[QuoteRequest] = relationship(back_populates="recipients")
    supplier: Mapped[Firm] = relationship()
    deal: Mapped[Deal] = relationship()


class DealFile(Base):
    """A file attached to a message, a quote, or a need (its drawings, sent with a
    request for quotation): PDF, images, STEP/IGES/DXF drawings, checked by content."""

    __tablename__ = "deal_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), index=True
    )
    deal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal_messages.id", ondelete="CASCADE")
    )
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    need: Mapped[Need | None] = relationship()
    deal: Mapped[Deal | None] = relationship()
    message: Mapped[DealMessage | None] = relationship(
        back_populates="files", foreign_keys=[message_id]
    )
    quote: Mapped[Quote | None] = relationship(back_populates="files", foreign_keys=[quote_id])


purchase_order_parts = Table(
    "purchase_order_parts",
    Base.metadata,
    Column("order_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


class PurchaseOrder(TimestampMixin, Base):
    """An order the buyer placed with the supplier: the first is what the province's
    programme counts; the following ones are repeat orders."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    ordered_on: Mapped[date] = mapped_column(Date, default=vietnam_today)
    reference: Mapped[str] = mapped_column(String(60), default="")
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    value_vnd: Mapped[int | None] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship(back_populates="orders")
    part_families: Mapped[list[Concept]] = relationship(secondary=purchase_order_parts)


class SupplierRating(TimestampMixin, Base):
    """A buyer's rating of a supplier after deliveries on a deal (1-5 each), with the
    figures it measured when it has them. One per deal; rating again replaces it."""

    __tablename__ = "supplier_ratings"
    __table_args__ = (UniqueConstraint("deal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    quality: Mapped[int] = mapped_column(SmallInteger)
    on_time: Mapped[int] = mapped_column(SmallInteger)
    communication: Mapped[int] = mapped_column(SmallInteger)
    ppm: Mapped[float | None] = mapped_column(Float)  # defective parts per million
    on_time_pct: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    deal: Mapped[Deal] = relationship()
    supplier: Mapped[Firm] = relationship(foreign_keys=[supplier_id])
    buyer: Mapped[Firm] = relationship(foreign_keys=[buyer_id])
