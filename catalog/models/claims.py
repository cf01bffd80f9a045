"""Claims on firms: a person asks to act for a firm the catalogue already holds.

A tax code (mã số thuế) names one firm. Whoever registers with a tax code the catalogue
already has does not get a second firm, nor the first one: they get an account and a
claim that the officers of the firm's province decide on. The same claim disputes a
firm that someone registered with another firm's tax code.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, str_enum
from .firms import Firm


class ClaimStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class FirmClaim(TimestampMixin, Base):
    """One person's request to become a user of one firm, and the officers' decision."""

    __tablename__ = "firm_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[ClaimStatus] = mapped_column(
        str_enum(ClaimStatus, 10), default=ClaimStatus.REQUESTED, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    # The firm's users an approval removed (a dispute won): [{"id": …, "email": …}].
    removed_users: Mapped[list] = mapped_column(JSON, default=list)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    firm: Mapped[Firm] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == ClaimStatus.REQUESTED

    @property
    def display_name(self) -> str:
        """How the audit log names the claim: the claimant and the firm."""
        firm = self.firm.display_name if self.firm is not None else ""
        email = self.user.email if self.user is not None else ""
        return f"{email} → {firm}"
