"""What reaches people: in-app notifications and invitations to claim a firm.

A notification is stored as a kind and its parameters (ids, counts, a method), never as
rendered text: it is written in the reader's language, and with the reader's rights,
when it is read or mailed (``catalog.notifications.render``). A need that the reader
may no longer read is then not named.

A claim invitation is an officer's offer to a firm's contact (usually the survey's
e-mail) to become the firm's user: the signed link mailed names the invitation, which
is good once and until it expires.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Introduction, User
from .base import Base, utcnow
from .firms import Firm


class MailMode(enum.StrEnum):
    """How a user gets notifications by e-mail: each at once, or one mail a day."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class ConsentMethod(enum.StrEnum):
    """How an officer heard a firm without a user agree to an introduction."""

    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    EVENT = "event"


class Notification(Base):
    """One thing that happened, for one user: unread until they open it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Ids and plain values the text is rendered from, in the reader's language.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # What it is about ("introduction", "claim", …) and its id: where the link goes.
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When it went out by mail (at once or in a digest); set at creation when the event
    # has a mail of its own (a claim, a check's result).
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ClaimInvitation(Base):
    """An officer invites a firm's contact to claim the firm's profile."""

    __tablename__ = "claim_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    # Random, in the signed link: a link is good for this invitation only.
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The introduction request the invitation carries, if any.
    introduction_id: Mapped[int | None] = mapped_column(
        ForeignKey("introductions.id", ondelete="SET NULL")
    )
    # The officer confirmed inviting though the firm already has users.
    despite_users: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    firm: Mapped[Firm] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    introduction: Mapped[Introduction | None] = relationship()

    @property
    def display_name(self) -> str:
        """How the audit log names it: the address and the firm."""
        firm = self.firm.display_name if self.firm is not None else ""
        return f"{self.email} → {firm}"
