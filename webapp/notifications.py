"""Reaching people: the notifications list, consent recorded for a firm without a user,
and invitations to claim a firm.

- ``/notifications``: one's own notifications, newest first, each rendered in the
  reader's language with the reader's rights (``catalog.notifications.render``), with
  a link to where the thing is; mark one or all read. The header shows the unread
  count on every page. The account page chooses immediate mails or a daily digest.
- ``/introductions/<id>/consent``: the officer's view of an introduction to a firm that
  has no user: record who at the firm agreed, when and how (the introduction is
  accepted as the firm would accept it, in the audit log), or invite the firm's
  contact to claim its profile with the request attached.
- ``/firms/<id>/claim-invitation`` and ``/claim/<token>``: an officer of the firm's
  province mails a signed, expiring, single-use link; the invitee chooses a password,
  a name and a language and becomes the firm's user.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from catalog import notifications
from catalog.access.visibility import may_read
from catalog.models import (
    ConsentMethod,
    Firm,
    Introduction,
    IntroductionStatus,
    Notification,
)
from catalog.notifications import consent, invitations
from catalog.validation import ValidationError
from jobs.mail import public_url, send_email

from .access import actor, public, rule
from .accounts import _start_session as start_session
from .errors import back_to
from .extensions import db

bp = Blueprint("notifications", __name__)

CONSENT_LABELS = {
    "phone": lambda: _("By phone"),
    "email": lambda: _("By e-mail"),
    "in_person": lambda: _("In person"),
    "event": lambda: _("At an event"),
}


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    """The header's unread count, on every page of a signed-in user."""

    def unread_notifications() -> int:
        return notifications.unread_count(db.session, actor())

    return {"unread_notifications": unread_notifications}


def _link(shown: notifications.Rendered) -> str:
    values = dict(shown.values)
    anchor = values.pop("_anchor", None)
    return url_for(shown.endpoint, _anchor=anchor, **values)


# -- one's notifications -------------------------------------------------------------------


@bp.get("/notifications/")
@rule("signed_in")
def index():
    """One's own notifications, newest first (nobody sees another's)."""
    me = actor()
    page = db.paginate(
        notifications.notifications_query(me),
        page=request.args.get("page", 1, type=int),
        per_page=50,
    )
    shown = [(n, notifications.render(db.session, n, me)) for n in page.items]
    return render_template("notifications/index.html", page=page, shown=shown, link=_link)


@bp.get("/notifications/<int:notification_id>")
@rule("notification.own", Notification)
def open(notification: Notification):  # noqa: A001  (the view's endpoint name)
    """Mark it read and go where the thing is."""
    notifications.mark_read(db.session, notification)
    return redirect(_link(notifications.render(db.session, notification, actor())))


@bp.post("/notifications/<int:notification_id>/read")
@rule("notification.own", Notification)
def mark_read(notification: Notification):
    back = back_to(url_for("notifications.index"))
    notifications.mark_read(db.session, notification)
    return redirect(back)


@bp.post("/notifications/read")
@rule("signed_in")
def mark_all_read():
    back = back_to(url_for("notifications.index"))
    count = notifications.mark_all_read(db.session, actor())
    flash(_("%(count)s notifications marked read.", count=count), "success")
    return redirect(back)


@bp.post("/account/notifications")
@rule("signed_in")
def preference():
    """Immediate mails or one daily digest."""
    back = back_to(url_for("accounts.show", _anchor="notifications"))
    notifications.set_mail_mode(db.session, actor(), request.form.get("mail_mode"))
    flash(_("Your choice of notification e-mails was saved."), "success")
    return redirect(back)


# -- consent recorded by an officer ------------------------------------------------------


def _consent_page(intro: Introduction, errors: dict | None = None, status: int = 200):
    values = request.form.to_dict() if errors else {}
    page = render_template(
        "notifications/consent.html",
        intro=intro,
        readable=may_read(actor(), intro.need),
        no_user=consent.needs_officer(db.session, intro),
        methods=[(m.value, CONSENT_LABELS[m.value]()) for m in ConsentMethod],
        values=values,
        errors=errors or {},
    )
    return page, status


@bp.get("/introductions/<int:intro_id>/consent")
@rule("introduction.consent", Introduction)
def consent_form(intro: Introduction):
    """The officer's view of an introduction: the request, the firm's contact from the
    survey, and what can be done for a firm without a user."""
    return _consent_page(intro)


@bp.post("/introductions/<int:intro_id>/consent")
@rule("introduction.consent", Introduction)
def record_consent(intro: Introduction):
    """Accept on the firm's behalf, with who agreed, when and how."""
    try:
        consent.record_consent(db.session, intro, actor(), request.form)
    except ValidationError as exc:
        db.session.rollback()
        return _consent_page(intro, exc.errors, 422)
    flash(
        _(
            "The consent of %(firm)s was recorded: the buyer now sees its contact person.",
            firm=intro.supplier.display_name,
        ),
        "success",
    )
    return redirect(url_for("introductions.index", _anchor=f"intro-{intro.id}"))


# -- claim invitations -----------------------------------------------------------------------


def _invite_page(firm: Firm, intro: Introduction | None, values: dict, errors: dict, status=200):
    page = render_template(
        "notifications/invite.html",
        firm=firm,
        intro=intro,
        has_users=bool(notifications.firm_users(db.session, firm.id)),
        values=values,
        errors=errors,
    )
    return page, status


def _attached(firm: Firm) -> Introduction | None:
    intro = db.session.get(Introduction, request.values.get("intro", type=int) or 0)
    if intro is None or intro.supplier_id != firm.id:
        return None
    return intro


@bp.get("/firms/<int:firm_id>/claim-invitation")
@rule("claim.invite", Firm)
def invite_form(firm: Firm):
    """The survey's e-mail, editable, and the request to attach."""
    intro = _attached(firm)
    values = {"email": firm.contact_email or "", "locale": "vi"}
    return _invite_page(firm, intro, values, {})


def mail_invitation(invitation, locale: str) -> None:
    """The invitation's mail, in the language the officer chose for the invitee (who has
    no account yet), with the signed link on the public address. A request attached is
    named, with its need only when anyone may read it."""
    link = public_url(
        "notifications.accept_invitation",
        token=invitations.token(invitation, current_app.config["SECRET_KEY"]),
    )
    firm = invitation.firm
    officer = invitation.created_by
    with force_locale(locale):
        subject = _("Claim the profile of %(firm)s on KetNoi", firm=firm.display_name)
        lines = [
            _(
                "%(officer)s, industry officer of %(province)s, invites you to manage the "
                "profile of %(firm)s on KetNoi, the province's supporting-industry "
                "matchmaking service.",
                officer=officer.display_name if officer else "KetNoi",
                province=firm.province.label(locale) if firm.province else "—",
                firm=firm.display_name,
            )
        ]
        intro = invitation.introduction
        if intro is not None and intro.status == IntroductionStatus.REQUESTED:
            lines.append(
                _(
                    "%(buyer)s asks to be introduced to your firm: you can accept or decline "
                    "once you have chosen your password.",
                    buyer=intro.buyer.display_name,
                )
            )
            if may_read(None, intro.need):
                lines.append(_("About the need: %(need)s", need=intro.need.title))
        lines += [
            _("Choose your password here:"),
            link,
            _(
                "The link works once and expires in %(days)s days.",
                days=invitations.INVITATION_DAYS,
            ),
            "KetNoi",
        ]
    send_email.delay(invitation.email, subject, "\n\n".join(lines))


@bp.post("/firms/<int:firm_id>/claim-invitation")
@rule("claim.invite", Firm)
def invite(firm: Firm):
    """Record the invitation (in the audit log) and mail its link."""
    intro = _attached(firm)
    values = request.form.to_dict()
    locale = values.get("locale") if values.get("locale") in invitations.LOCALES else "vi"
    try:
        invitation = invitations.invite(
            db.session,
            firm,
            actor(),
            values.get("email"),
            introduction=intro,
            despite_users=bool(values.get("despite_users")),
        )
    except ValidationError as exc:
        db.session.rollback()
        return _invite_page(firm, intro, values, exc.errors, 422)
    mail_invitation(invitation, locale)
    flash(
        _(
            "%(email)s was invited to claim %(firm)s.",
            email=invitation.email,
            firm=firm.display_name,
        ),
        "success",
    )
    return redirect(url_for("directory.show", firm_id=firm.id))


@bp.route("/claim/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """The invitee chooses a password, a name and a language, and acts for the firm."""
    invitation = invitations.invitation_for_token(
        db.session, token, current_app.config["SECRET_KEY"]
    )
    if invitation is None:
        return render_template("notifications/invalid.html"), 410
    errors: dict = {}
    values: dict = {"locale": "vi"}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            user = invitations.accept(db.session, invitation, request.form)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            start_session(user)
            flash(
                _("Welcome: you now act for %(firm)s.", firm=invitation.firm.display_name),
                "success",
            )
            return redirect(url_for("firms.edit", firm_id=invitation.firm_id))
    page = render_template(
        "notifications/accept.html", invitation=invitation, values=values, errors=errors
    )
    return page, 422 if errors else 200
