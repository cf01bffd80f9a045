"""The interface language: Vietnamese (default) or English, chosen by the visitor.

The choice is kept in the session (``/lang/vi`` or ``/lang/en``) and, for a signed-in
user, on the account, so it follows them to another browser. On a first visit the
browser's Accept-Language decides, and Vietnamese is the fallback.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, redirect, request, session
from flask_babel import get_locale, refresh
from flask_login import current_user

from .access import public
from .extensions import db

LANGUAGES = ("vi", "en")
DEFAULT_LOCALE = "vi"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    saved = getattr(current_user, "locale", None)
    if saved in LANGUAGES:
        return saved
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LOCALE


def current_locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def safe_next(target: str | None) -> str:
    r"""``target`` if it is a path on this site, else "/": the only redirect target a
    request may choose (after a language switch, after sign-in).

    Browsers drop tabs and newlines anywhere in a URL, skip leading spaces and read a
    backslash as a slash, so "/\t/evil.example" or "/\evil.example" lead off-site
    although they start with "/". A target is kept only if, raw and percent-decoded
    alike, it has no scheme, no host, no backslash, no control, format or whitespace
    character, and starts with exactly one "/".
    """
    if not target:
        return "/"
    decoded, forms = target, [target]
    for _round in range(3):  # decode until stable: "%2509" hides "%09" hides a tab
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            break
        forms.append(decoded)
    for form in forms:
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return "/"
        if any(c.isspace() or unicodedata.category(c).startswith("C") for c in form):
            return "/"
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return "/"
    return target


@bp.get("/lang/<code>")
@public
def switch(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    if getattr(current_user, "is_authenticated", False) and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.args.get("next")))


@bp.before_app_request
def _fresh_locale() -> None:
    """Choose the locale anew for every request.

    Flask-Babel caches the locale on the app context; when one app context outlives
    several requests (a CLI command or a test holding a context), the first request's
    choice would otherwise stick.
    """
    refresh()


def inject_locale() -> dict[str, str]:
    return {"current_locale": current_locale()}
