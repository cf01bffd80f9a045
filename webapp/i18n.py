"""The interface language: Vietnamese (default) or English, chosen by the visitor.

The choice is kept in the session (``/lang/vi`` or ``/lang/en``); on a first visit the
browser's Accept-Language decides, and Vietnamese is the fallback.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session
from flask_babel import get_locale, refresh

LANGUAGES = ("vi", "en")
DEFAULT_LOCALE = "vi"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LOCALE


def current_locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def _safe_next(target: str | None) -> str:
    """Only a path on this site: "/..." but not "//host" (nor "/\\host") nor a full URL."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if target.startswith("/\\") or any(c in target for c in "\r\n"):
        return "/"
    return target


@bp.get("/lang/<code>")
def switch(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


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
