"""Accounts: register a firm, sign in and out, reset a password, manage API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from catalog import accounts, queries
from catalog.models import ApiToken
from catalog.validation import ValidationError
from jobs.mail import send_email

from .access import actor, public, rule
from .extensions import db, limiter
from .helpers import flash_errors, translate
from .i18n import LANGUAGES, safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _start_session(user) -> None:
    session.clear()  # a fresh session on sign-in: no fixation of an earlier one
    login_user(user)
    if user.locale in LANGUAGES:
        session["lang"] = user.locale


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def register():
    values, errors = {"firm_role": "supplier"}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            user = accounts.register(db.session, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            _start_session(user)
            flash(_("Welcome to KetNoi. Your firm's profile is ready to complete."), "success")
            return redirect(url_for("firms.edit", firm_id=user.firm_id))
    values.pop("password", None)
    values.pop("password2", None)
    page = render_template(
        "accounts/register.html",
        values=values,
        errors=errors,
        provinces=queries.provinces(db.session),
    )
    return page, 422 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    target = safe_next(request.values.get("next"))
    if actor() is not None:
        return redirect(target)
    email, error = "", None
    if request.method == "POST":
        email = request.form.get("email", "")
        user, reason = accounts.authenticate(db.session, email, request.form.get("password", ""))
        if user is not None:
            _start_session(user)
            flash(_("Signed in as %(name)s.", name=user.display_name), "success")
            return redirect(target)
        if reason == "locked":
            error = _("Too many failed attempts. Wait a few minutes, or reset your password.")
        else:
            error = _("Wrong e-mail address or password.")
    page = render_template("accounts/login.html", email=email, error=error, next=target)
    return page


@bp.post("/logout")
@rule("signed_in")
def logout():
    logout_user()
    session.clear()
    flash(_("Signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def reset_request():
    """Ask for a reset link. The answer is the same whether or not the address has an
    account, so the page does not reveal who is registered."""
    if request.method == "POST":
        user = accounts.find_user(db.session, request.form.get("email", ""))
        if user is not None and user.is_active:
            send_reset_link(user)
        flash(_("If an account uses that address, a reset link is on its way."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html")


def send_reset_link(user, invitation: bool = False) -> None:
    token = accounts.reset_token(user, current_app.config["SECRET_KEY"])
    link = url_for("accounts.reset", token=token, _external=True)
    if invitation:
        subject = _("You are invited to KetNoi")
        intro = _("An account was created for you on KetNoi. Choose a password here:")
    else:
        subject = _("Reset your KetNoi password")
        intro = _("Someone asked to reset the password of this KetNoi account. If it was you:")
    body = "\n\n".join([intro, link, _("The link works once and expires in one hour."), "KetNoi"])
    send_email.delay(user.email, subject, body)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):
    user = accounts.user_for_reset_token(db.session, token, current_app.config["SECRET_KEY"])
    if user is None:
        flash(_("This reset link is invalid, expired or already used."), "error")
        return redirect(url_for("accounts.reset_request"))
    errors = {}
    if request.method == "POST":
        try:
            accounts.reset_password(
                db.session,
                user,
                request.form.get("password", ""),
                request.form.get("password2", ""),
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("Password changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", errors=errors), 422 if errors else 200


def _account_page() -> dict:
    me = actor()
    return {
        "tokens": accounts.active_tokens(db.session, me),
        "colleagues": accounts.colleagues(db.session, me),
    }


@bp.get("/")
@rule("signed_in")
def show():
    return render_template("accounts/show.html", new_token=None, **_account_page())


@bp.post("/colleagues")
@rule("firm.member")
def invite_colleague():
    """A firm's user adds a colleague to the same firm; the colleague gets an e-mailed
    link to choose a password."""
    me = actor()
    try:
        user = accounts.create_user(
            db.session,
            request.form.get("email", ""),
            None,
            request.form.get("name", ""),
            firm=me.firm,
        )
    except ValidationError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    else:
        send_reset_link(user, invitation=True)
        flash(_("%(email)s was invited to join your firm.", email=user.email), "success")
    return redirect(url_for("accounts.show"))


@bp.post("/tokens")
@rule("signed_in")
def create_token():
    """The token is shown once, in this response only: it is not kept in the session."""
    try:
        _token, plain = accounts.issue_api_token(db.session, actor(), request.form.get("name", ""))
    except ValidationError as exc:
        db.session.rollback()
        flash(translate(next(iter(exc.errors.values()))), "error")
        return redirect(url_for("accounts.show"))
    page = render_template("accounts/show.html", new_token=plain, **_account_page())
    return page, 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@rule("token.own", ApiToken)
def revoke_token(token: ApiToken):
    accounts.revoke_api_token(db.session, token)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.show"))
