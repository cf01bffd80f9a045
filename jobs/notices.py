"""Notices to firms about officers' checks, and housekeeping of uploaded files.

Mail is written in each recipient's language (the locale saved on the account) with
the web interface's catalogue: a worker has no request to take a language from. It is
written with the recipient's eyes too: needs are read as they may read them
(``catalog.access.visibility.reading_as``).
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

from celery import shared_task
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from catalog import notifications, verification
from catalog.access.visibility import reading_as
from catalog.models import User, Verification

from .mail import public_url, send_email
from .runtime import data_folder, runtime

log = logging.getLogger(__name__)

RESULTS = {
    "confirmed": lambda: _("confirmed"),
    "partly": lambda: _("partly confirmed"),
    "not_confirmed": lambda: _("not confirmed"),
}
# Uploaded survey files and their error reports are kept this long after upload.
UPLOAD_RETENTION_S = 7 * 24 * 3600


def _recipients(session, firm_id: int) -> list[User]:
    users = session.scalars(select(User).where(User.firm_id == firm_id, User.active.is_(True)))
    return [u for u in users if u.email]


def _firm_link(firm_id: int) -> str:
    return public_url("directory.show", firm_id=firm_id, _anchor="verifications")


@shared_task(name="ketnoi.notify_verification", acks_late=True, max_retries=3)
def notify_verification(check_id: int) -> int:
    """Tell the firm's users the result of a check; returns how many were told."""
    session = runtime().session()
    check = session.get(Verification, check_id)
    if check is None:  # withdrawn before the notice went out
        return 0
    # In the firm's users' notifications too; this job's mail is theirs.
    notifications.verification_result(
        session, check.firm_id, check.item_label, check.result.value, mailed=True
    )
    session.commit()
    sent = 0
    for user in _recipients(session, check.firm_id):
        with force_locale(user.locale or "vi"), reading_as(session, user):
            subject = _("Verification result: %(item)s", item=check.item_label)
            lines = [
                _(
                    "A provincial officer checked %(item)s on %(date)s: %(result)s.",
                    item=check.item_label,
                    date=check.checked_on.isoformat(),
                    result=RESULTS[check.result.value](),
                )
            ]
            if check.valid_until and check.result != "not_confirmed":
                lines.append(_("Valid until: %(date)s", date=check.valid_until.isoformat()))
            if check.note:
                lines.append(check.note)
            lines += [_firm_link(check.firm_id), "KetNoi"]
        send_email.delay(user.email, subject, "\n\n".join(lines))
        sent += 1
    return sent


@shared_task(name="ketnoi.send_expiry_notices", acks_late=True)
def send_expiry_notices(today: str | None = None) -> int:
    """Warn firms of checks lapsing within 30 days, once per check (idempotent)."""
    session = runtime().session()
    day = date.fromisoformat(today) if today else date.today()
    due = verification.due_for_expiry_notice(session, day)
    for check in due:
        for user in _recipients(session, check.firm_id):
            with force_locale(user.locale or "vi"), reading_as(session, user):
                subject = _("Verification expires soon: %(item)s", item=check.item_label)
                body = "\n\n".join(
                    [
                        _(
                            "The officer's check of %(item)s lapses on %(date)s. Ask your "
                            "province's industry officer for a new check to keep the "
                            "verified badge.",
                            item=check.item_label,
                            date=check.valid_until.isoformat(),
                        ),
                        _firm_link(check.firm_id),
                        "KetNoi",
                    ]
                )
            send_email.delay(user.email, subject, body)
        check.expiry_notice_on = day
    session.commit()
    return len(due)


@shared_task(name="ketnoi.notify_schedule_change", acks_late=True, max_retries=3)
def notify_schedule_change(event_id: int, meeting_ids: list[int]) -> int:
    """After publication, tell both sides of each changed meeting where and when it is
    now (or that it is off the schedule). Returns how many mails were queued."""
    from catalog.events import slot_label
    from catalog.models import Event, Meeting

    session = runtime().session()
    event = session.get(Event, event_id)
    sent = 0
    for meeting in (session.get(Meeting, i) for i in meeting_ids):
        if event is None or meeting is None:
            continue
        for reg, other in ((meeting.buyer, meeting.supplier), (meeting.supplier, meeting.buyer)):
            for user in _recipients(session, reg.firm_id):
                with force_locale(user.locale or "vi"), reading_as(session, user):
                    subject = _("Schedule change: %(event)s", event=event.name)
                    if meeting.slot is None or meeting.status.value != "planned":
                        line = _(
                            "Your meeting with %(firm)s is no longer on the schedule.",
                            firm=other.firm.display_name,
                        )
                    else:
                        line = _(
                            "Your meeting with %(firm)s is now at %(when)s, table %(table)s.",
                            firm=other.firm.display_name,
                            when=slot_label(event, meeting.slot),
                            table=(meeting.table or 0) + 1,
                        )
                    link = public_url("events.show", event_id=event.id)
                send_email.delay(user.email, subject, "\n\n".join([line, link, "KetNoi"]))
                sent += 1
    return sent


# An unanswered meeting request is recalled to its receiver after this long, and again
# after as long once more, until it is answered or the event starts.
REMIND_AFTER = timedelta(days=2)


@shared_task(name="ketnoi.remind_unanswered_requests", acks_late=True)
def remind_unanswered_requests() -> int:
    """Remind firms of meeting requests they have not answered (unanswered requests are
    the organisers' first complaint). Returns how many requests were recalled."""
    from catalog.models import Event, EventStatus, MeetingRequest, RequestStatus, utcnow

    session = runtime().session()
    now = utcnow()
    due = session.scalars(
        select(MeetingRequest)
        .join(Event, Event.id == MeetingRequest.event_id)
        .where(
            MeetingRequest.status == RequestStatus.PENDING,
            MeetingRequest.created_at <= now - REMIND_AFTER,
            Event.status.in_([EventStatus.OPEN, EventStatus.CLOSED, EventStatus.PUBLISHED]),
            Event.starts_on >= date.today(),
        )
    ).all()
    reminded = 0
    for req in due:
        last = req.reminded_at.replace(tzinfo=now.tzinfo) if req.reminded_at else None
        if last is not None and last > now - REMIND_AFTER:
            continue
        event = req.receiver.event
        for user in _recipients(session, req.receiver.firm_id):
            with force_locale(user.locale or "vi"), reading_as(session, user):
                subject = _("Meeting request waiting for your answer: %(event)s", event=event.name)
                body = "\n\n".join(
                    [
                        _(
                            "%(firm)s asked to meet you at %(event)s. Accept or decline it so "
                            "the organisers can plan the schedule.",
                            firm=req.sender.firm.display_name,
                            event=event.name,
                        ),
                        public_url("events.show", event_id=event.id, _anchor="requests"),
                        "KetNoi",
                    ]
                )
            send_email.delay(user.email, subject, body)
        req.reminded_at = now
        reminded += 1
    session.commit()
    return reminded


@shared_task(name="ketnoi.cleanup_uploads", acks_late=True)
def cleanup_uploads(max_age_s: float = UPLOAD_RETENTION_S) -> int:
    """Delete uploaded survey files (and their error reports) older than the retention;
    the imported rows are in the database, the file itself is personal data to shed."""
    folder = data_folder().imports
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_s
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d old uploads", removed)
    return removed
