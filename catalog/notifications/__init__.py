"""Every request reaches someone: in-app notifications, written in the reader's words.

One function files them (``notify``); one function says what they mean (``render``).
The events that file them call the helpers below: an introduction requested, accepted
or declined (and consent an officer recorded for a firm without a user), a meeting
request received or answered, a claim filed or decided, a check's result, an import
finished, a claim invitation taken up.

A notification keeps a kind and parameters (ids, counts), never rendered English: it is
rendered when it is read or mailed, in the reader's language and with the reader's
rights now (``catalog.access.visibility``), so a need the reader may no longer read is
not named. Mail goes out after the commit (``jobs.notifications``, queued by
``jobs.after_commit``): each at once, or in a daily digest, as the user chose.

A firm without a user cannot answer an introduction: the request goes to the officers
of its province, who record the firm's consent on its behalf (``consent``) or invite
its contact to claim the profile (``invitations``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..access import visibility
from ..i18n import N_
from ..models import (
    Deal,
    Event,
    Firm,
    FirmClaim,
    Introduction,
    MailMode,
    MeetingRequest,
    Need,
    Notification,
    User,
    UserRole,
    officer_provinces,
    utcnow,
)

# The kinds, and what each is about (its subject_type).
INTRODUCTION_REQUESTED = "introduction.requested"
INTRODUCTION_UNANSWERED = "introduction.no_user"  # to officers: the firm has no user
INTRODUCTION_ACCEPTED = "introduction.accepted"
INTRODUCTION_DECLINED = "introduction.declined"
MEETING_REQUESTED = "meeting.requested"
MEETING_ACCEPTED = "meeting.accepted"
MEETING_DECLINED = "meeting.declined"
CLAIM_FILED = "claim.filed"
CLAIM_APPROVED = "claim.approved"
CLAIM_REJECTED = "claim.rejected"
VERIFICATION_RESULT = "verification.result"
IMPORT_FINISHED = "import.finished"
INVITATION_ACCEPTED = "invitation.accepted"

# Whole sentences, so that each is translated as a whole.
CONSENT_LINES = {
    "phone": N_("A provincial officer recorded the firm's consent, given by phone."),
    "email": N_("A provincial officer recorded the firm's consent, given by e-mail."),
    "in_person": N_("A provincial officer recorded the firm's consent, given in person."),
    "event": N_("A provincial officer recorded the firm's consent, given at an event."),
}
RESULTS = {
    "confirmed": N_("The officer confirmed it."),
    "partly": N_("The officer partly confirmed it."),
    "not_confirmed": N_("The officer did not confirm it."),
}


# -- who is told -------------------------------------------------------------------------


def firm_users(session: Session, firm_id: int | None) -> list[User]:
    """A firm's active users (its members)."""
    if firm_id is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.firm_id == firm_id, User.role == UserRole.MEMBER, User.active.is_(True))
            .order_by(User.id)
        )
    )


def province_officers(session: Session, province_id: int | None) -> list[User]:
    """The active officers of a province: whom a firm without a user is the charge of."""
    officers = select(officer_provinces.c.user_id).where(
        officer_provinces.c.province_id == province_id
    )
    return list(
        session.scalars(
            select(User)
            .where(User.id.in_(officers), User.role == UserRole.OFFICER, User.active.is_(True))
            .order_by(User.id)
        )
    )


# -- filing --------------------------------------------------------------------------------


def notify(
    session: Session,
    users: Iterable[User | None],
    kind: str,
    subject: Any = None,
    params: dict[str, Any] | None = None,
    *,
    mailed: bool = False,
) -> list[Notification]:
    """File one notification of ``kind`` per user (each once, inactive ones skipped),
    about ``subject`` (a record, for the link), with JSON-able ``params``. Added to the
    session, flushed, not committed: it commits with the event it reports, and its mail
    is queued after that commit. ``mailed``: the event already has a mail of its own."""
    if subject is not None and getattr(subject, "id", None) is None:
        session.flush()
    subject_type = _subject_type(subject)
    now = utcnow()
    made = []
    seen: set[int] = set()
    for user in users:
        if user is None or not user.active or user.id in seen:
            continue
        seen.add(user.id)
        note = Notification(
            user=user,
            kind=kind,
            params=dict(params or {}),
            subject_type=subject_type,
            subject_id=getattr(subject, "id", None),
            created_at=now,
            mailed_at=now if mailed else None,
        )
        session.add(note)
        made.append(note)
    if made:
        session.flush()
    return made


def _subject_type(subject: Any) -> str:
    if subject is None:
        return ""
    return {
        Introduction: "introduction",
        FirmClaim: "claim",
        MeetingRequest: "meeting_request",
        Firm: "firm",
        Deal: "deal",
    }.get(type(subject), type(subject).__name__.lower())[:30]


def introduction_requested(session: Session, intro: Introduction) -> list[Notification]:
    """Tell the supplier's users; a supplier without one is its officers' charge."""
    session.flush()  # the ids of what was just set through relationships
    params = {
        "need_id": intro.need_id,
        "buyer_id": intro.buyer_id,
        "supplier_id": intro.supplier_id,
    }
    users = firm_users(session, intro.supplier_id)
    if users:
        return notify(session, users, INTRODUCTION_REQUESTED, intro, params)
    supplier = intro.supplier or session.get(Firm, intro.supplier_id)
    officers = province_officers(session, supplier.province_id if supplier else None)
    return notify(session, officers, INTRODUCTION_UNANSWERED, intro, params)


def introduction_decided(session: Session, intro: Introduction) -> list[Notification]:
    """Tell the buyer's users (and who asked, an officer perhaps) the answer."""
    session.flush()  # the ids of what was just set through relationships
    accepted = intro.status.value == "accepted"
    params = {
        "need_id": intro.need_id,
        "buyer_id": intro.buyer_id,
        "supplier_id": intro.supplier_id,
        "method": intro.consent_method,
    }
    asker = session.get(User, intro.requested_by_id) if intro.requested_by_id else None
    users = [*firm_users(session, intro.buyer_id), asker]
    kind = INTRODUCTION_ACCEPTED if accepted else INTRODUCTION_DECLINED
    return notify(session, users, kind, intro, params)


def meeting_requested(session: Session, req: MeetingRequest) -> list[Notification]:
    session.flush()  # the ids of what was just set through relationships
    params = {"event_id": req.event_id, "firm_id": req.sender.firm_id}
    return notify(
        session, firm_users(session, req.receiver.firm_id), MEETING_REQUESTED, req, params
    )


def meeting_decided(session: Session, req: MeetingRequest) -> list[Notification]:
    session.flush()  # the ids of what was just set through relationships
    params = {"event_id": req.event_id, "firm_id": req.receiver.firm_id}
    kind = MEETING_ACCEPTED if req.status.value == "accepted" else MEETING_DECLINED
    return notify(session, firm_users(session, req.sender.firm_id), kind, req, params)


def claim_filed(session: Session, claim: FirmClaim, mailed: bool = False) -> list[Notification]:
    session.flush()  # the ids of what was just set through relationships
    firm = claim.firm or session.get(Firm, claim.firm_id)
    params = {"firm_id": claim.firm_id, "email": claim.user.email if claim.user else ""}
    officers = province_officers(session, firm.province_id if firm else None)
    return notify(session, officers, CLAIM_FILED, claim, params, mailed=mailed)


def claim_decided(session: Session, claim: FirmClaim, mailed: bool = False) -> list[Notification]:
    session.flush()  # the ids of what was just set through relationships
    kind = CLAIM_APPROVED if claim.status.value == "approved" else CLAIM_REJECTED
    params = {"firm_id": claim.firm_id, "reason": claim.reason or ""}
    return notify(session, [claim.user], kind, claim, params, mailed=mailed)


def verification_result(
    session: Session, firm_id: int, item: str, result: str, mailed: bool = False
) -> list[Notification]:
    """A check's result, for the firm's users (``item`` is the capability or
    certification's own text, as the firm wrote it)."""
    params = {"firm_id": firm_id, "item": item, "result": result}
    firm = session.get(Firm, firm_id)
    return notify(
        session, firm_users(session, firm_id), VERIFICATION_RESULT, firm, params, mailed=mailed
    )


def import_finished(
    session: Session, owner_id: int | None, job_id: str, summary: dict[str, Any]
) -> list[Notification]:
    """An import's counts, for the officer who started it; committed here (the job
    has nothing else to commit)."""
    owner = session.get(User, owner_id) if owner_id else None
    keys = ("rows_read", "created", "updated", "unchanged", "rejected")
    params = {"job_id": job_id, **{k: int(summary.get(k) or 0) for k in keys}}
    made = notify(session, [owner], IMPORT_FINISHED, None, params)
    session.commit()
    return made


# -- reading -------------------------------------------------------------------------------


@dataclass
class Rendered:
    """What a notification says (``N_`` messages, translated by the caller) and where
    it leads (an endpoint and its values, built into a link by the caller)."""

    title: str
    lines: list[str] = field(default_factory=list)
    endpoint: str = "notifications.index"
    values: dict[str, Any] = field(default_factory=dict)


def _firm_name(session: Session, firm_id: Any) -> str:
    firm = session.get(Firm, firm_id) if firm_id else None
    return firm.display_name if firm is not None else "—"


def _need_line(session: Session, reader: User, need_id: Any) -> tuple[str, bool]:
    """The need's title if ``reader`` may read it now, else a line naming nothing."""
    need = (
        session.get(Need, need_id, execution_options={visibility.ALL_NEEDS: True})
        if need_id
        else None
    )
    if need is not None and visibility.may_read(reader, need):
        return N_("About the need: %(need)s", need=need.title), True
    return N_("About a need you may not read."), False


def render(session: Session, note: Notification, reader: User | None = None) -> Rendered:
    """What ``note`` says to ``reader`` (its recipient by default), now."""
    reader = reader or note.user
    p = note.params or {}
    kind = note.kind
    if kind.startswith("deal."):
        from . import deals  # that module imports this one

        return deals.render(session, note, reader)
    if kind.startswith("support."):
        from . import support  # that module imports this one

        return support.render(session, note, reader)
    intro_link = {"_anchor": f"intro-{note.subject_id}"}
    if kind in (INTRODUCTION_REQUESTED, INTRODUCTION_UNANSWERED):
        buyer = _firm_name(session, p.get("buyer_id"))
        supplier = _firm_name(session, p.get("supplier_id"))
        need, _readable = _need_line(session, reader, p.get("need_id"))
        if kind == INTRODUCTION_REQUESTED:
            return Rendered(
                N_("%(buyer)s asks to be introduced to your firm", buyer=buyer),
                [need, N_("Accept or decline it on the introductions page.")],
                "introductions.index",
                intro_link,
            )
        return Rendered(
            N_(
                "%(buyer)s asks to be introduced to %(supplier)s, which has no user",
                buyer=buyer,
                supplier=supplier,
            ),
            [
                need,
                N_("Contact the firm and record its consent, or invite it to claim its profile."),
            ],
            "notifications.consent_form",
            {"intro_id": note.subject_id},
        )
    if kind in (INTRODUCTION_ACCEPTED, INTRODUCTION_DECLINED):
        supplier = _firm_name(session, p.get("supplier_id"))
        need, readable = _need_line(session, reader, p.get("need_id"))
        if kind == INTRODUCTION_DECLINED:
            title = N_("%(supplier)s declined your introduction request", supplier=supplier)
            lines = [need]
        else:
            title = N_("%(supplier)s accepted your introduction request", supplier=supplier)
            lines = [need, N_("You now see its contact person.")]
            consent = CONSENT_LINES.get(p.get("method") or "")
            if consent:
                lines.append(consent)
        if readable:
            return Rendered(title, lines, "needs.show", {"need_id": p.get("need_id")})
        return Rendered(title, lines, "introductions.index", intro_link)
    if kind in (MEETING_REQUESTED, MEETING_ACCEPTED, MEETING_DECLINED):
        event = session.get(Event, p.get("event_id")) if p.get("event_id") else None
        values = {
            "firm": _firm_name(session, p.get("firm_id")),
            "event": event.name if event else "—",
        }
        titles = {
            MEETING_REQUESTED: N_("%(firm)s asks to meet you at %(event)s", **values),
            MEETING_ACCEPTED: N_("%(firm)s accepted your meeting request at %(event)s", **values),
            MEETING_DECLINED: N_("%(firm)s declined your meeting request at %(event)s", **values),
        }
        if event is None:
            return Rendered(titles[kind])
        return Rendered(
            titles[kind], [], "events.show", {"event_id": event.id, "_anchor": "requests"}
        )
    if kind == CLAIM_FILED:
        firm = _firm_name(session, p.get("firm_id"))
        return Rendered(
            N_("A claim on %(firm)s awaits your decision", firm=firm),
            [N_("%(email)s asks to act for this firm.", email=p.get("email", ""))],
            "claims.show",
            {"claim_id": note.subject_id},
        )
    if kind in (CLAIM_APPROVED, CLAIM_REJECTED):
        firm = _firm_name(session, p.get("firm_id"))
        if kind == CLAIM_APPROVED:
            return Rendered(
                N_("Your claim on %(firm)s was approved", firm=firm),
                [],
                "firms.edit",
                {"firm_id": p.get("firm_id")},
            )
        lines = [N_("Reason: %(reason)s", reason=p["reason"])] if p.get("reason") else []
        return Rendered(
            N_("Your claim on %(firm)s was rejected", firm=firm), lines, "claims.mine", {}
        )
    if kind == VERIFICATION_RESULT:
        return Rendered(
            N_("Verification result: %(item)s", item=p.get("item", "")),
            [RESULTS[p["result"]]] if p.get("result") in RESULTS else [],
            "directory.show",
            {"firm_id": p.get("firm_id"), "_anchor": "verifications"},
        )
    if kind == IMPORT_FINISHED:
        return Rendered(
            N_("Your survey import is finished"),
            [
                N_(
                    "%(rows)s rows read: %(created)s new firms, %(updated)s updated, "
                    "%(rejected)s rejected.",
                    rows=int(p.get("rows_read", 0)),
                    created=int(p.get("created", 0)),
                    updated=int(p.get("updated", 0)),
                    rejected=int(p.get("rejected", 0)),
                )
            ],
            "imports.job",
            {"job_id": p.get("job_id", "")},
        )
    if kind == INVITATION_ACCEPTED:
        firm = _firm_name(session, p.get("firm_id"))
        return Rendered(
            N_(
                "%(email)s claimed %(firm)s through your invitation",
                email=p.get("email", ""),
                firm=firm,
            ),
            [],
            "directory.show",
            {"firm_id": p.get("firm_id")},
        )
    return Rendered(N_("Notification"))


# -- the reader's list ---------------------------------------------------------------------


def notifications_query(user: User):
    """A user's own notifications, newest first: nobody reads another's."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def unread_count(session: Session, user: User | None) -> int:
    if user is None:
        return 0
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, note: Notification) -> None:
    if note.read_at is None:
        note.read_at = utcnow()
    session.commit()


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return result.rowcount or 0


def set_mail_mode(session: Session, user: User, mode: Any) -> None:
    """Immediate mails or a daily digest; anything else is refused."""
    from ..validation import ValidationError

    if mode not in {m.value for m in MailMode}:
        raise ValidationError({"mail_mode": N_("Choose immediate mails or a daily digest.")})
    user.mail_mode = mode
    session.commit()
