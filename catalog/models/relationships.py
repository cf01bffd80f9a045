"""Who already supplies whom: the supply chain the province is building."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .firms import Firm
from .reference import Concept

relationship_parts = Table(
    "supply_relationship_parts",
    Base.metadata,
    Column(
        "relationship_id",
        ForeignKey("supply_relationships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("concept_id", ForeignKey("concepts.id"), primary_key=True),
)


class SupplyRelationship(TimestampMixin, Base):
    """A supplier delivers to a buyer, at tier 1 (directly) or 2 (to its suppliers)."""

    __tablename__ = "supply_relationships"
    __table_args__ = (UniqueConstraint("supplier_id", "buyer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=1)
    since: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), default="declared")  # or "deal"
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="SET NULL"))

    supplier: Mapped[Firm] = relationship(foreign_keys=[supplier_id])
    buyer: Mapped[Firm] = relationship(foreign_keys=[buyer_id])
    part_families: Mapped[list[Concept]] = relationship(secondary=relationship_parts)
