"""Claims on firms: tax codes that cannot be squatted.

A tax code (mã số thuế) names one firm, so it used to be first come, first served:
whoever registered a firm's tax code first held the firm, and its real owner was then
refused. Now nobody gets a firm the catalogue already holds by typing its tax code.
Registering with such a tax code creates the account and a *claim* on that firm; the
claimant acts for nobody until an officer of the firm's province (or an admin) approves
it. The same claim disputes a firm someone registered with another firm's tax code: the
real owner's claim reaches the officers, who may approve it and remove the users who
held the firm without right.

A claimant is a firm user without a firm until then: every rule of ``catalog.access``
that opens a firm's private data (contacts, evidence, needs for officers, editing)
asks for membership of that firm, so a pending claim opens nothing. What a claimant
sees of the firm is what the public sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import notifications
from .i18n import N_
from .models import ClaimStatus, Firm, FirmClaim, User, UserRole, officer_provinces, utcnow
from .validation import ValidationError, clean_field
from .validation import tax_code as parse_tax_code

MAX_MESSAGE = 1000


def firm_with_tax_code(session: Session, value: Any) -> Firm | None:
    """The firm the catalogue holds under this tax code (written any accepted way), or
    None, also for a value that is no valid tax code."""
    try:
        code = parse_tax_code(str(value or "").strip())
    except ValueError:
        return None
    return session.scalar(select(Firm).where(Firm.tax_code == code))


def _text(field: str, value: Any, required: bool = False) -> str:
    text = clean_field(field, value or "", multiline=True).strip()
    if required and not text:
        raise ValidationError({field: N_("This field is required.")})
    if len(text) > MAX_MESSAGE:
        raise ValidationError(
            {
                field: N_(
                    "Must be at most %(max)s characters (got %(got)s).",
                    max=MAX_MESSAGE,
                    got=len(text),
                )
            }
        )
    return text


def may_claim(user: User) -> bool:
    """Only a firm user without a firm files claims: staff act for provinces, and a
    firm's user who wants another firm's account registers anew."""
    return user.role == UserRole.MEMBER and user.firm_id is None


def open_claim(session: Session, user: User) -> FirmClaim | None:
    return session.scalar(
        select(FirmClaim).where(
            FirmClaim.user_id == user.id, FirmClaim.status == ClaimStatus.REQUESTED
        )
    )


def file_claim(
    session: Session, user: User, firm: Firm, message: Any = "", commit: bool = True
) -> FirmClaim:
    """Ask to act for ``firm``. One open claim per person at a time, so that a claimant
    cannot flood the officers of every province."""
    if not may_claim(user):
        raise ValidationError({"tax_code": N_("Only a firm user without a firm can claim one.")})
    text = _text("message", message)
    if open_claim(session, user) is not None:
        raise ValidationError(
            {"tax_code": N_("You already have a claim awaiting the officers' decision.")}
        )
    claim = FirmClaim(user=user, firm=firm, message=text)
    session.add(claim)
    # In the officers' list; the mail is the claims page's own (``webapp.claims.announce``).
    notifications.claim_filed(session, claim, mailed=True)
    if commit:
        session.commit()
    return claim


def claims_of(session: Session, user: User) -> list[FirmClaim]:
    """A claimant's own claims, newest first."""
    return list(
        session.scalars(
            select(FirmClaim).where(FirmClaim.user_id == user.id).order_by(FirmClaim.id.desc())
        )
    )


def claims_query(province_ids: set[int] | None, status: ClaimStatus | None = None) -> Select:
    """Claims on firms of these provinces (None: every province, for admins), open ones
    first, then newest first."""
    query = select(FirmClaim).join(FirmClaim.firm)
    if province_ids is not None:
        query = query.where(Firm.province_id.in_(province_ids or {-1}))
    if status is not None:
        query = query.where(FirmClaim.status == status)
    opened_first = (FirmClaim.status != ClaimStatus.REQUESTED).asc()
    return query.order_by(opened_first, FirmClaim.id.desc())


def deciders(session: Session, firm: Firm) -> list[User]:
    """The active officers of the firm's province: whom a new claim is announced to."""
    officers = select(officer_provinces.c.user_id).where(
        officer_provinces.c.province_id == firm.province_id
    )
    return list(
        session.scalars(
            select(User)
            .where(User.id.in_(officers), User.role == UserRole.OFFICER, User.active.is_(True))
            .order_by(User.id)
        )
    )


def members(session: Session, firm: Firm) -> list[User]:
    """The firm's users now: whom a dispute is about."""
    return list(session.scalars(select(User).where(User.firm_id == firm.id).order_by(User.id)))


def _decided(claim: FirmClaim, officer: User | None) -> None:
    if not claim.is_open:
        raise ValidationError({"decision": N_("This claim has already been decided.")})
    claim.decided_by = officer
    claim.decided_at = utcnow()


def approve(
    session: Session,
    claim: FirmClaim,
    officer: User | None,
    data: Mapping[str, Any] | None = None,
) -> list[User]:
    """Make the claimant a user of the firm. With ``remove_others`` (a dispute won), the
    firm's other users lose it: they registered a firm that was not theirs. Returns the
    users removed. Who may decide is ``catalog.access``'s rule ``claim.decide``."""
    data = data or {}
    reason = _text("reason", data.get("reason"))
    claimant = claim.user
    if claimant.firm_id not in (None, claim.firm_id) or claimant.role != UserRole.MEMBER:
        raise ValidationError({"decision": N_("The claimant already acts for another firm.")})
    _decided(claim, officer)
    removed = []
    if data.get("remove_others"):
        removed = [u for u in members(session, claim.firm) if u.id != claimant.id]
        for user in removed:
            user.firm = None
    claim.removed_users = [{"id": u.id, "email": u.email} for u in removed]
    claim.status = ClaimStatus.APPROVED
    claim.reason = reason
    claimant.firm = claim.firm
    notifications.claim_decided(session, claim, mailed=True)
    session.commit()
    return removed


def reject(session: Session, claim: FirmClaim, officer: User | None, reason: Any) -> None:
    """Refuse the claim; the claimant is told why, so the reason is required."""
    text = _text("reason", reason, required=True)
    _decided(claim, officer)
    claim.status = ClaimStatus.REJECTED
    claim.reason = text
    notifications.claim_decided(session, claim, mailed=True)
    session.commit()
