"""Claim invitations: an officer offers a firm's contact to become the firm's user.

A firm imported from a survey has a contact (the survey's e-mail) but no user. An
officer of its province (or an admin) invites that address; the mail carries a signed
link that names the invitation, expires after ``INVITATION_DAYS`` and works once. The
invitee chooses a password, a name and a language, and becomes the firm's user at once:
the invitation is the officer's approval, so no claim waits. A firm that already has
users is invited only when the officer confirms it (``despite_users``), and a firm that
gains a user after the invitation was sent is not given another without that
confirmation. The invitation is in the audit log (``catalog.access.audit``), and so is
the user it creates.

The link is signed with the application's secret key (a forged one fails the
signature), carries the invitation's random nonce (a link for another invitation, or
for an invitation since deleted, names nothing) and is refused once the invitation is
used or expired.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import create_user, normalize_email
from ..i18n import N_
from ..models import ClaimInvitation, Firm, Introduction, User, as_utc, utcnow
from ..validation import EMAIL_RE, ValidationError
from . import (
    INTRODUCTION_REQUESTED,
    INVITATION_ACCEPTED,
    firm_users,
    notify,
)

INVITATION_DAYS = 14
LOCALES = ("vi", "en")


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="ketnoi-claim-invitation")


def invite(
    session: Session,
    firm: Firm,
    officer: User | None,
    email: Any,
    *,
    introduction: Introduction | None = None,
    despite_users: bool = False,
    days: int = INVITATION_DAYS,
) -> ClaimInvitation:
    """Record an invitation to claim ``firm`` for ``email`` (the survey's contact by
    default, as the officer corrected it). Who may is ``catalog.access``'s rule
    ``claim.invite``. Committed; the caller mails the link (``token``)."""
    address = normalize_email(str(email or ""))
    if not EMAIL_RE.match(address) or len(address) > 200:
        raise ValidationError({"email": N_("Enter a valid e-mail address.")})
    if firm_users(session, firm.id) and not despite_users:
        raise ValidationError(
            {
                "despite_users": N_(
                    "This firm already has users: confirm that another person should join it."
                )
            }
        )
    if introduction is not None and introduction.supplier_id != firm.id:
        introduction = None  # a request about another firm is not this firm's to read
    invitation = ClaimInvitation(
        firm=firm,
        email=address,
        nonce=secrets.token_hex(16),
        created_by=officer,
        introduction=introduction,
        despite_users=bool(despite_users),
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(invitation)
    session.commit()
    return invitation


def token(invitation: ClaimInvitation, secret_key: str) -> str:
    """The signed token of the invitation's link."""
    return _serializer(secret_key).dumps({"inv": invitation.id, "n": invitation.nonce})


def invitation_for_token(
    session: Session, value: str, secret_key: str, days: int = INVITATION_DAYS
) -> ClaimInvitation | None:
    """The invitation a link is for, or None when it is forged, expired, already used or
    no longer names an invitation."""
    try:
        data = _serializer(secret_key).loads(value, max_age=days * 24 * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    invitation = session.get(ClaimInvitation, data.get("inv")) if data.get("inv") else None
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(data.get("n", ""))):
        return None
    if invitation.used_at is not None or as_utc(invitation.expires_at) <= utcnow():
        return None
    return invitation


def accept(session: Session, invitation: ClaimInvitation, data: Mapping[str, Any]) -> User:
    """The invitee becomes the firm's user with the password, name and language chosen.
    Refused when the firm gained users since, unless the officer confirmed it."""
    errors: dict[str, Any] = {}
    if invitation.used_at is not None:
        raise ValidationError({"token": N_("This invitation was already used.")})
    if firm_users(session, invitation.firm_id) and not invitation.despite_users:
        raise ValidationError(
            {
                "token": N_(
                    "This firm has a user now: ask the province's officer for a new invitation."
                )
            }
        )
    password = str(data.get("password") or "")
    if password != str(data.get("password2") or ""):
        errors["password2"] = N_("The two passwords differ.")
    locale = str(data.get("locale") or "vi")
    if locale not in LOCALES:
        errors["locale"] = N_("Choose Vietnamese or English.")
    if errors:
        raise ValidationError(errors)
    existing = session.scalar(select(User).where(User.email == invitation.email))
    if existing is not None:
        raise ValidationError(
            {
                "token": N_(
                    "An account already uses this address: sign in and claim the firm with "
                    "its tax code, or ask the officer to invite another address."
                )
            }
        )
    user = create_user(
        session,
        invitation.email,
        password,
        str(data.get("name") or ""),
        firm=invitation.firm,
        commit=False,
    )
    user.locale = locale
    invitation.used_at = utcnow()
    invitation.user = user
    session.flush()
    intro = invitation.introduction
    if intro is not None and intro.status.value == "requested":
        params = {
            "need_id": intro.need_id,
            "buyer_id": intro.buyer_id,
            "supplier_id": intro.supplier_id,
        }
        notify(session, [user], INTRODUCTION_REQUESTED, intro, params)
    notify(
        session,
        [invitation.created_by],
        INVITATION_ACCEPTED,
        invitation.firm,
        {"firm_id": invitation.firm_id, "email": invitation.email},
    )
    session.commit()
    return user
