"""Notifications by mail: each at once, or one digest a day, in the reader's language.

Notifications are filed in the database by ``catalog.notifications`` together with what
they report. Once that commits, ``jobs.after_commit`` queues ``mail_notifications``
with the new ones; it mails those whose recipient chose immediate mails (and that have
no mail of their own already: ``mailed_at`` is set then). Recipients who chose the
daily digest get one mail a day with their unread, unmailed notifications
(``send_notification_digest``, run by Celery beat; callable by hand with a day).

Each mail is written in the recipient's language (the locale of their account) and with
their eyes (``reading_as``: a need they may not read is not named), with links on the
configured public address (``public_url``).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from celery import shared_task
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from catalog import notifications
from catalog.access.visibility import reading_as
from catalog.models import MailMode, Notification, User, utcnow

from .dispatch import dispatch
from .i18n import translate
from .mail import public_url, send_email

log = logging.getLogger(__name__)


def _link(shown: notifications.Rendered) -> str:
    values = dict(shown.values)
    anchor = values.pop("_anchor", None)
    return public_url(shown.endpoint, _anchor=anchor, **values)


def _text(session, note: Notification, user: User) -> tuple[str, list[str]]:
    """The subject line and the lines (with the link) of one notification for ``user``,
    in the current locale."""
    with reading_as(session, user):
        shown = notifications.render(session, note, user)
    title = translate(shown.title)
    return title, [title, *(translate(line) for line in shown.lines), _link(shown)]


@shared_task(name="ketnoi.mail_notifications", acks_late=True, max_retries=3)
def mail_notifications(notification_ids: list[int]) -> int:
    """Mail these notifications to recipients who chose immediate mails; returns how
    many mails were queued. Idempotent: a notification is mailed once."""
    from .runtime import runtime

    session = runtime().session()
    notes = session.scalars(
        select(Notification)
        .where(Notification.id.in_([int(i) for i in notification_ids]))
        .where(Notification.mailed_at.is_(None))
        .order_by(Notification.id)
    ).all()
    sent = 0
    for note in notes:
        user = note.user
        if not user.active or not user.email or user.mail_mode == MailMode.DIGEST.value:
            continue
        try:
            with force_locale(user.locale or "vi"):
                subject, lines = _text(session, note, user)
                body = "\n\n".join([*lines, "KetNoi"])
        except Exception:  # one unrenderable notification must not hold back the others
            log.exception("could not write the mail of notification %s", note.id)
            continue
        send_email.delay(user.email, subject, body)
        note.mailed_at = utcnow()
        sent += 1
    session.commit()
    return sent


def queue_notification_mails(notification_ids: list[int]) -> None:
    """The "notify" entry of ``jobs.after_commit``: never fails the commit that filed
    them (the digest, or the list, still has them)."""
    try:
        dispatch(mail_notifications, [notification_ids])
    except Exception:
        log.exception("could not queue the mails of notifications %s", notification_ids)


def new_notifications(new: list[object], _touched: list[object]) -> set[int]:
    """Notifications a flush filed that still need a mail."""
    return {
        o.id
        for o in new
        if isinstance(o, Notification) and o.id is not None and o.mailed_at is None
    }


@shared_task(name="ketnoi.send_notification_digest", acks_late=True)
def send_notification_digest(day: str | None = None) -> int:
    """One mail per digest reader with their unread notifications not yet mailed, filed
    up to the end of ``day`` (today by default); returns how many mails were queued.
    Run it again and nothing is sent twice."""
    from .runtime import runtime

    session = runtime().session()
    until_day = date.fromisoformat(day) if day else date.today()
    until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=UTC)
    pending = session.scalars(
        select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(
            User.mail_mode == MailMode.DIGEST.value,
            User.active.is_(True),
            Notification.read_at.is_(None),
            Notification.mailed_at.is_(None),
            Notification.created_at < until,
        )
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for note in pending:
        by_user.setdefault(note.user_id, []).append(note)
    sent = 0
    now = utcnow()
    for notes in by_user.values():
        user = notes[0].user
        if not user.email:
            continue
        with force_locale(user.locale or "vi"):
            subject = _("KetNoi: %(count)s new notifications", count=len(notes))
            parts = [_("What happened for you on KetNoi:")]
            for note in notes:
                _title, lines = _text(session, note, user)
                parts.append("\n".join([f"• {lines[0]}", *lines[1:]]))
            parts += [
                _("All your notifications: %(url)s", url=public_url("notifications.index")),
                _(
                    "You chose a daily digest; change it on your account page: %(url)s",
                    url=public_url("accounts.show"),
                ),
                "KetNoi",
            ]
        send_email.delay(user.email, subject, "\n\n".join(parts))
        for note in notes:
            note.mailed_at = now
        sent += 1
    session.commit()
    return sent
