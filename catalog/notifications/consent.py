"""Consent recorded by an officer for a firm without a user.

Most firms arrive through a survey import and have nobody on KetNoi to accept a
buyer's introduction request. Their province's officers are told of it
(``catalog.notifications.introduction_requested``) and may call the firm: when the firm
agrees, the officer records who agreed, when, how and a note. That accepts the
introduction as the firm's own acceptance would (the contacts are exchanged, an
"introduced" outcome is recorded); the audit log keeps the consent fields with the
officer as actor; the buyer is notified.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import ConsentMethod, Introduction, IntroductionStatus, User, utcnow
from ..validation import ValidationError, clean_field
from . import firm_users, introduction_decided


def needs_officer(session: Session, intro: Introduction) -> bool:
    """Whether the supplier has nobody to answer: its officers answer for it."""
    return not firm_users(session, intro.supplier_id)


def _when(value: Any) -> datetime:
    text = str(value or "").strip()
    if not text:
        return utcnow()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            {"consent_at": N_("Enter a date and time such as 2026-03-04 09:30.")}
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > utcnow():
        raise ValidationError({"consent_at": N_("The consent cannot be in the future.")})
    return when


def record_consent(
    session: Session, intro: Introduction, officer: User | None, data: Mapping[str, Any]
) -> Introduction:
    """Accept ``intro`` on the supplier's behalf with the consent the officer heard.
    Who may is ``catalog.access``'s rule ``introduction.consent``; a firm with users
    answers for itself."""
    errors: dict[str, Any] = {}
    if intro.status != IntroductionStatus.REQUESTED:
        raise ValidationError({"status": N_("This introduction was already answered.")})
    if not needs_officer(session, intro):
        raise ValidationError(
            {"status": N_("This firm has users on KetNoi: they answer the request themselves.")}
        )
    who = clean_field("consent_by", data.get("consent_by") or "").strip()
    if not who:
        errors["consent_by"] = N_("This field is required.")
    elif len(who) > 200:
        errors["consent_by"] = N_(
            "Must be at most %(max)s characters (got %(got)s).", max=200, got=len(who)
        )
    method = str(data.get("consent_method") or "")
    if method not in {m.value for m in ConsentMethod}:
        errors["consent_method"] = N_("Choose how the firm agreed.")
    note = clean_field("consent_note", data.get("consent_note") or "", multiline=True).strip()
    if len(note) > 1000:
        errors["consent_note"] = N_(
            "Must be at most %(max)s characters (got %(got)s).", max=1000, got=len(note)
        )
    try:
        when = _when(data.get("consent_at"))
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    intro.status = IntroductionStatus.ACCEPTED
    intro.decided_by_id = officer.id if officer else None
    intro.decided_at = utcnow()
    intro.consent_by = who
    intro.consent_at = when
    intro.consent_method = method
    intro.consent_note = note
    session.flush()
    introduction_decided(session, intro)
    from ..introductions import reach_introduced  # it imports this package

    reach_introduced(session, intro)
    session.commit()
    return intro
