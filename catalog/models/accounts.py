"""People who use KetNoi, their API tokens, introductions between firms, and the audit log.

A user is a member of one firm (supplier or buyer staff), an officer scoped to one or
more provinces, or an admin. These models carry the attributes Flask-Login reads
(``is_authenticated``, ``is_active``, ``get_id``) without importing Flask.

``get_id`` is the user's id *and* session version: Flask-Login keeps it in the session
cookie, so raising the version (sign-out, a password change or reset) makes every cookie
issued before it name no one, wherever it was copied to.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, str_enum, utcnow
from .firms import Firm
from .needs import Need
from .reference import Province


class TokenScope(enum.StrEnum):
    READ = "read"  # GET only
    WRITE = "write"  # everything the user may do


class UserRole(enum.StrEnum):
    MEMBER = "member"  # staff of one firm (supplier, buyer or both)
    OFFICER = "officer"  # provincial officer, scoped to provinces
    ADMIN = "admin"


officer_provinces = Table(
    "officer_provinces",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("provinces.id"), primary_key=True),
)


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole, 10), default=UserRole.MEMBER)
    firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Unused since sign-in is throttled per e-mail address (``SignInFailure``); kept
    # because dropping a column rebuilds the users table on SQLite.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of ``get_id``: raised to end every session of the account.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Two-factor sign-in (TOTP): the shared secret (base32), when it was confirmed, the
    # last time step accepted (a code is good once) and SHA-256 digests of the unused
    # recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list] = mapped_column(JSON, default=list)
    # Notifications by mail: "immediate" (each at once) or "digest" (one mail a day);
    # ``catalog.models.notifications.MailMode``.
    mail_mode: Mapped[str] = mapped_column(String(10), default="immediate")

    firm: Mapped[Firm | None] = relationship(foreign_keys=[firm_id])
    provinces: Mapped[list[Province]] = relationship(
        secondary=officer_provinces, order_by="Province.id"
    )

    # What Flask-Login expects of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version or 0}"

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def is_officer(self) -> bool:
        return self.role == UserRole.OFFICER

    @property
    def province_ids(self) -> set[int]:
        return {p.id for p in self.provinces}

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r} {self.role.value}>"


class ApiToken(Base):
    """A personal access token for ``/api/v1``: only its SHA-256 digest is stored.

    It works until it expires or is revoked (by its owner, or for every token of the
    account when its password is reset); a read-only token may only read.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope, 10), default=TokenScope.WRITE)

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """Recent failed sign-ins for one e-mail address, whether or not it has an account.

    Keyed by a digest of the address, so what strangers type is not kept in clear, and
    kept for unknown addresses too, so that the slowing down it causes does not tell
    which addresses have accounts.
    """

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class IntroductionStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Introduction(TimestampMixin, Base):
    """A buyer asks to be introduced to a supplier about a need.

    Contact people are exchanged only once the supplier accepts: consent first.
    """

    __tablename__ = "introductions"
    __table_args__ = (UniqueConstraint("need_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    status: Mapped[IntroductionStatus] = mapped_column(
        str_enum(IntroductionStatus, 10), default=IntroductionStatus.REQUESTED
    )
    message: Mapped[str] = mapped_column(String(1000), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A supplier without a user agrees through its province's officer, who records who
    # agreed, when and how (``ConsentMethod``), with a note (``catalog.notifications.consent``).
    consent_by: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_method: Mapped[str | None] = mapped_column(String(20))
    consent_note: Mapped[str | None] = mapped_column(String(1000))

    need: Mapped[Need] = relationship()
    supplier: Mapped[Firm] = relationship(foreign_keys=[supplier_id])
    buyer: Mapped[Firm] = relationship(foreign_keys=[buyer_id])


class AuditEntry(Base):
    """Who changed what and when; written by ``catalog.access.audit`` on every flush."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(30), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
