"""Capability verification (xác nhận năng lực): an officer's check of what a firm declares.

A declaration is only a claim; buyers trust a capability or certificate an officer has
checked on paper or on site. Each check is kept (never overwritten), so the history is
visible and the newest check of an item decides its badge until it expires.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, str_enum
from .firms import Capability, Certification, Firm, still_valid


class VerificationMethod(enum.StrEnum):
    DOCUMENTS = "documents"  # kiểm tra hồ sơ
    SITE_VISIT = "site_visit"  # khảo sát tại nhà máy


class VerificationResult(enum.StrEnum):
    CONFIRMED = "confirmed"
    PARTLY = "partly"  # confirmed with reservations (e.g. lower capacity than declared)
    NOT_CONFIRMED = "not_confirmed"


def check_stands(result: str, valid_until: date | None, on: date | None = None) -> bool:
    """Whether a check with this result and end still stands on ``on``: confirmed
    (fully or partly) and not lapsed. What earns a verified badge."""
    return result != VerificationResult.NOT_CONFIRMED and still_valid(valid_until, on)


class Verification(TimestampMixin, Base):
    """One check of one declared capability or certification of a firm."""

    __tablename__ = "verifications"
    __table_args__ = (
        CheckConstraint("(capability_id IS NULL) <> (certification_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    capability_id: Mapped[int | None] = mapped_column(
        ForeignKey("capabilities.id", ondelete="CASCADE"), index=True
    )
    certification_id: Mapped[int | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[VerificationMethod] = mapped_column(str_enum(VerificationMethod, 12))
    result: Mapped[VerificationResult] = mapped_column(str_enum(VerificationResult, 14))
    checked_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    # The day the firm was told this check is about to lapse (sent once).
    expiry_notice_on: Mapped[date | None] = mapped_column(Date)

    firm: Mapped[Firm] = relationship(back_populates="verifications")
    capability: Mapped[Capability | None] = relationship()
    certification: Mapped[Certification | None] = relationship()
    officer: Mapped[User | None] = relationship()
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="verification", cascade="all, delete-orphan", order_by="EvidenceFile.id"
    )

    def is_current(self, on: date | None = None) -> bool:
        """Confirmed (fully or partly) and not yet lapsed on the given day."""
        return check_stands(self.result, self.valid_until, on)

    @property
    def item_label(self) -> str:
        if self.capability is not None:
            return self.capability.title
        return self.certification.standard if self.certification is not None else ""


def latest_checks(checks: Iterable[Verification]) -> dict[tuple[str, int], Verification]:
    """The newest check of each item, keyed ("capability" | "certification", id)."""
    latest: dict[tuple[str, int], Verification] = {}
    for check in checks:
        key = (
            ("capability", check.capability_id)
            if check.capability_id is not None
            else ("certification", check.certification_id)
        )
        seen = latest.get(key)
        if seen is None or (check.checked_on, check.id or 0) > (seen.checked_on, seen.id or 0):
            latest[key] = check
    return latest


class EvidenceFile(Base):
    """A document or photo attached to a verification, stored by content digest."""

    __tablename__ = "verification_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(
        ForeignKey("verifications.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    verification: Mapped[Verification] = relationship(back_populates="evidence")
