"""Accounts: register a firm, sign in (with a second factor for staff who turned it on)
and out, change or reset a password, manage API tokens.

Sign-in is throttled twice: per e-mail address by a short, capped wait before the
password is checked (``catalog.accounts.Throttle``), and per client address by a limit
on failed attempts (``LOGIN_RATE_LIMIT``) shared by the password, code and password
change forms, so trying many addresses from one client is as slow as trying one. Every
change to a password, a token or the second factor is mailed to the account's owner.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from limits import parse
from markupsafe import Markup

from catalog import accounts, queries
from catalog.access import audit
from catalog.i18n import N_
from catalog.models import ApiToken, User, utcnow
from catalog.validation import ValidationError
from jobs.mail import public_url, send_email

from . import sessions
from .access import actor, is_api_request, public, rule
from .errors import back_to
from .extensions import client_address, db, limiter
from .helpers import label
from .i18n import LANGUAGES, current_locale, safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    """Only failures use up a client's sign-in allowance: a form shown again (wrong
    password or code), not a step onwards (a redirect)."""
    return response.status_code != 302


def _limited(limit) -> None:
    """A client address ran out of sign-in attempts: one alert per address and hour in
    the audit log (admins read it), however long the attempts go on."""
    address = client_address()
    if limiter.limiter.hit(parse("1 per hour"), "sign-in-limit-alert", address):
        audit.alert(
            db.session,
            "sign_in_rate_limited",
            N_(
                "Too many failed sign-ins from %(address)s: further attempts are refused "
                "for a while.",
                address=address,
            ),
            actor=address,
            details={"request": request.path},
        )


# Per client address, shared by every form that checks a password or a code.
sign_in_limit = limiter.shared_limit(
    _login_limit,
    scope="sign-in",
    key_func=client_address,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_limited,
)


def throttle() -> accounts.Throttle:
    """The per-address wait of ``catalog.accounts``, with the configured cap."""
    config = current_app.config
    cap = float(config.get("LOGIN_DELAY_MAX", accounts.DEFAULT_THROTTLE.cap))
    base = float(config.get("LOGIN_DELAY_BASE", accounts.DEFAULT_THROTTLE.base))
    return accounts.Throttle(base=min(base, cap), cap=cap)


def _start_session(user: User) -> None:
    sessions.start(user)
    if user.locale in LANGUAGES:
        session["lang"] = user.locale


def _two_factor_missing(user: User | None) -> bool:
    """Staff who must use a second factor (``REQUIRE_2FA_FOR_STAFF``) and have none."""
    return (
        user is not None
        and (user.is_officer or user.is_admin)
        and bool(current_app.config.get("REQUIRE_2FA_FOR_STAFF"))
        and not user.two_factor_enabled
    )


# What staff without the required second factor may still open: its set-up, the way out.
_BEFORE_TWO_FACTOR = {"accounts.two_factor", "accounts.logout", "i18n.switch", "static"}


@bp.before_app_request
def _second_factor_required():
    """With ``REQUIRE_2FA_FOR_STAFF``, an officer or admin without a second factor is
    sent to set it up before anything else; their API tokens are refused until then.
    (And a visitor whose session just ended is told so.)"""
    user = actor()
    sessions.announce_end()
    if request.endpoint in _BEFORE_TWO_FACTOR or not _two_factor_missing(user):
        return None
    if is_api_request():
        message = "Two-factor sign-in is required for this account: turn it on first."
        return jsonify({"error": "Forbidden", "message": message, "status": 403}), 403
    flash(_("Turn on two-factor sign-in to continue."), "error")
    return redirect(url_for("accounts.two_factor"))


def _when() -> str:
    return utcnow().strftime("%Y-%m-%d %H:%M UTC")


def tell_owner(user: User, subject: Callable[[], str], *lines: Callable[[], str]) -> None:
    """Mail ``user`` about a change to their account's security, in their language,
    with links on the configured public address only."""
    with force_locale(user.locale or "vi"):
        title = subject()
        body = [line() for line in lines]
        body.append(
            _(
                "If this was not you, reset your password at once: %(url)s",
                url=public_url("accounts.reset_request"),
            )
        )
        body.append("KetNoi")
    send_email.delay(user.email, title, "\n\n".join(body))


def _scope_label(scope: str) -> str:
    return _("read-only") if scope == "read" else _("read-write")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def register():
    values, errors = {"firm_role": "supplier"}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            user = accounts.register(db.session, values, locale=current_locale())
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            _start_session(user)
            if user.firm_id is None:  # the tax code's firm exists: a claim on it waits
                return _claim_filed(user)
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


def _claim_filed(user: User):
    """Registered with a tax code the catalogue holds: the account acts for no firm
    until the province's officers approve its claim (``catalog.claims``)."""
    from catalog.claims import open_claim

    from .claims import announce

    claim = open_claim(db.session, user)
    announce(claim)
    flash(
        _(
            "Your account is ready. %(firm)s is already in the catalogue: your claim to act "
            "for it awaits the officers of %(province)s, and you will be mailed their "
            "decision.",
            firm=claim.firm.display_name,
            province=label(claim.firm.province),
        ),
        "success",
    )
    return redirect(url_for("claims.mine"))


def _complete_sign_in(user: User, target: str):
    accounts.record_sign_in(db.session, user)
    _start_session(user)
    if _two_factor_missing(user):
        flash(_("Turn on two-factor sign-in to continue."), "error")
        return redirect(url_for("accounts.two_factor"))
    flash(_("Signed in as %(name)s.", name=user.display_name), "success")
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limit
@public
def login():
    """One answer for every failure, whether or not the address has an account; never a
    lock: an address that keeps failing waits a few seconds per attempt."""
    target = safe_next(request.values.get("next"))
    if actor() is not None:
        return redirect(target)
    email, error = "", None
    if request.method == "POST":
        email = request.form.get("email", "")
        user = accounts.authenticate(
            db.session,
            email,
            request.form.get("password", ""),
            throttle(),
            client=client_address(),
        )
        if user is not None and user.two_factor_enabled:
            sessions.begin_second_factor(user, target)
            return redirect(url_for("accounts.login_code"))
        if user is not None:
            return _complete_sign_in(user, target)
        error = _("Wrong e-mail address or password.")
    page = render_template("accounts/login.html", email=email, error=error, next=target)
    return page


@bp.route("/login/code", methods=["GET", "POST"])
@sign_in_limit
@public
def login_code():
    """The second step for a user with two-factor sign-in: a code from their app or a
    recovery code. Five wrong codes, or five minutes, and the password is asked again."""
    if actor() is not None:
        return redirect(url_for("main.home"))
    user, target = sessions.pending_second_factor()
    if user is None:
        return redirect(url_for("accounts.login"))
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")
        if accounts.check_second_factor(
            db.session, user, code, throttle(), client=client_address()
        ):
            return _complete_sign_in(user, target)
        if sessions.wrong_code():
            error = _("Too many wrong codes. Sign in again.")
            return render_template("accounts/login.html", email="", error=error, next=target)
        error = _("That code is not right.")
    return render_template("accounts/login_code.html", error=error)


@bp.post("/logout")
@rule("signed_in")
def logout():
    """Signing out ends every session of the account, so a copied cookie dies too."""
    sessions.end(actor())
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
    link = public_url("accounts.reset", token=token)  # never the request's Host
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
            revoked = accounts.reset_password(
                db.session,
                user,
                request.form.get("password", ""),
                request.form.get("password2", ""),
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            lines = [
                lambda: _(
                    "The password of your KetNoi account %(email)s was reset on %(when)s. "
                    "Every session of the account was ended.",
                    email=user.email,
                    when=_when(),
                )
            ]
            if revoked:
                lines.append(
                    lambda: _(
                        "Its API tokens were revoked (%(count)s): create new ones on your "
                        "account page if you need them.",
                        count=revoked,
                    )
                )
            tell_owner(user, lambda: _("Your KetNoi password was changed"), *lines)
            flash(_("Password changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", errors=errors), 422 if errors else 200


@bp.route("/password", methods=["GET", "POST"])
@sign_in_limit
@rule("signed_in")
def password():
    """A signed-in user changes their password, giving the current one. Every other
    session of the account ends; this one goes on."""
    errors = {}
    if request.method == "POST":
        me = actor()
        try:
            accounts.change_password(
                db.session,
                me,
                request.form.get("current_password", ""),
                request.form.get("password", ""),
                request.form.get("password2", ""),
                throttle(),
                client=client_address(),
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            _start_session(me)
            tell_owner(
                me,
                lambda: _("Your KetNoi password was changed"),
                lambda: _(
                    "The password of your KetNoi account %(email)s was changed on %(when)s. "
                    "Every other session of the account was ended.",
                    email=me.email,
                    when=_when(),
                ),
            )
            flash(_("Password changed. You were signed out everywhere else."), "success")
            return redirect(url_for("accounts.show"))
    page = render_template("accounts/password.html", errors=errors)
    return page, 422 if errors else 200


def _account_page() -> dict:
    me = actor()
    return {
        "tokens": accounts.active_tokens(db.session, me),
        "colleagues": accounts.colleagues(db.session, me),
        "token_days": accounts.TOKEN_DAYS,
        "default_days": accounts.DEFAULT_TOKEN_DAYS,
        "now": utcnow(),
        "expired": accounts.token_expired,
        "scope_label": _scope_label,
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
    back = back_to(url_for("accounts.show"))
    user = accounts.create_user(
        db.session,
        request.form.get("email", ""),
        None,
        request.form.get("name", ""),
        firm=actor().firm,
    )
    send_reset_link(user, invitation=True)
    flash(_("%(email)s was invited to join your firm.", email=user.email), "success")
    return redirect(back)


@bp.post("/tokens")
@rule("signed_in")
def create_token():
    """The token is shown once, in this response only: it is not kept in the session.
    Its owner is told by mail, so a token made by someone else with their session is
    noticed."""
    me = actor()
    back_to(url_for("accounts.show"))
    token, plain = accounts.issue_api_token(
        db.session,
        me,
        request.form.get("name", ""),
        days=request.form.get("days", accounts.DEFAULT_TOKEN_DAYS),
        scope=request.form.get("scope", "read"),
    )
    name, scope, until = token.name, token.scope.value, token.expires_at.date().isoformat()
    tell_owner(
        me,
        lambda: _("A new API token for your KetNoi account"),
        lambda: _(
            'A token named "%(name)s" (%(scope)s, valid until %(date)s) was created for '
            "%(email)s on %(when)s.",
            name=name,
            scope=_scope_label(scope),
            date=until,
            email=me.email,
            when=_when(),
        ),
        lambda: _("Your tokens: %(url)s", url=public_url("accounts.show")),
    )
    page = render_template("accounts/show.html", new_token=plain, **_account_page())
    return page, 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<int:token_id>/revoke")
@rule("token.own", ApiToken)
def revoke_token(token: ApiToken):
    accounts.revoke_api_token(db.session, token)
    me, name = actor(), token.name
    tell_owner(
        me,
        lambda: _("An API token of your KetNoi account was revoked"),
        lambda: _(
            'The token named "%(name)s" of %(email)s was revoked on %(when)s.',
            name=name,
            email=me.email,
            when=_when(),
        ),
    )
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.show"))


# Two-factor sign-in -------------------------------------------------------------------


def _qr_svg(uri: str) -> Markup:
    """The otpauth address as an inline SVG QR code (segno: pure Python, no images)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return Markup(svg)


@bp.route("/two-factor", methods=["GET", "POST"])
@rule("two_factor.use")
def two_factor():
    """Officers and admins turn on the second factor: the page shows a new secret (as
    text, as an otpauth address and as a QR code); a code from the app confirms it and
    the recovery codes are shown, once."""
    me = actor()
    headers = {"Cache-Control": "no-store"}  # the secret and recovery codes are on it
    if me.two_factor_enabled:
        page = render_template(
            "accounts/two_factor.html",
            enabled=True,
            codes_left=len(me.recovery_codes or []),
            required=_two_factor_missing_if_off(me),
        )
        return page, 200, headers
    if not me.totp_secret:  # kept on the account, not in the cookie, until confirmed
        me.totp_secret = accounts.new_totp_secret()
        db.session.commit()
    errors = {}
    if request.method == "POST":
        try:
            codes = accounts.enable_two_factor(
                db.session, me, me.totp_secret, request.form.get("code", "")
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            _start_session(me)
            tell_owner(
                me,
                lambda: _("Two-factor sign-in was turned on"),
                lambda: _(
                    "Two-factor sign-in was turned on for %(email)s on %(when)s. Every "
                    "other session of the account was ended.",
                    email=me.email,
                    when=_when(),
                ),
            )
            page = render_template("accounts/two_factor_codes.html", codes=codes)
            return page, 200, headers
    uri = accounts.totp_uri(me.totp_secret, me.email)
    page = render_template(
        "accounts/two_factor.html",
        enabled=False,
        secret=me.totp_secret,
        uri=uri,
        qr=_qr_svg(uri),
        errors=errors,
    )
    return page, 422 if errors else 200, headers


def _two_factor_missing_if_off(user: User) -> bool:
    """Whether turning the second factor off is refused (it is required of staff)."""
    return (user.is_officer or user.is_admin) and bool(
        current_app.config.get("REQUIRE_2FA_FOR_STAFF")
    )


@bp.post("/two-factor/disable")
@sign_in_limit
@rule("two_factor.use")
def disable_two_factor():
    """Turning the second factor off takes the password (throttled like a sign-in) and
    is refused when it is required of staff."""
    me = actor()
    if not me.two_factor_enabled:
        return redirect(url_for("accounts.two_factor"))
    if _two_factor_missing_if_off(me):
        flash(_("Two-factor sign-in is required for officers and admins."), "error")
        return redirect(url_for("accounts.two_factor"))
    if not accounts.password_matches(
        db.session, me, request.form.get("password", ""), throttle(), client=client_address()
    ):
        flash(_("The password is wrong."), "error")
        page = render_template(
            "accounts/two_factor.html",
            enabled=True,
            codes_left=len(me.recovery_codes or []),
            required=False,
        )
        return page, 422
    accounts.disable_two_factor(db.session, me)
    tell_owner(
        me,
        lambda: _("Two-factor sign-in was turned off"),
        lambda: _(
            "Two-factor sign-in was turned off for %(email)s on %(when)s.",
            email=me.email,
            when=_when(),
        ),
    )
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("accounts.show"))
