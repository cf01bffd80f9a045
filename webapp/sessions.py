"""Signed-in sessions: how they start, what keeps them alive, and how they end.

The session cookie is signed, not stored on the server, so ending a session means
making every copy of its cookie worthless, wherever it was copied to:

- the id Flask-Login keeps in it is the user's id *and* session version
  (``User.get_id``); sign-out, a password change or reset and turning on the second
  factor raise the version, and the loader refuses a cookie naming an older one;
- the cookie carries when its sign-in happened and when it was last used; the loader
  refuses it after ``SESSION_IDLE_MINUTES`` without use or ``SESSION_LIFETIME_HOURS``
  after sign-in, whatever its holder does;
- remember-me cookies are never issued, and one presented anyway is refused (it
  carries neither stamp).

Between the password and the second-factor code, the session holds only a short-lived
"pending" mark, never a signed-in user.
"""

from __future__ import annotations

import time

from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from catalog import accounts
from catalog.models import User

from .extensions import db

AUTH_AT = "_auth_at"  # when the password (and code) were given, epoch seconds
SEEN_AT = "_seen_at"  # the last request, to the minute
PENDING = "_2fa_pending"  # password right, second factor awaited
SEEN_RESOLUTION = 60  # seconds: the last-seen stamp is rewritten at most this often
PENDING_SECONDS = 300  # time to type the code
MAX_CODE_TRIES = 5  # wrong codes before the password is asked again
_AUTH_KEYS = ("_user_id", "_fresh", "_id", AUTH_AT, SEEN_AT)


def _now() -> int:
    return int(time.time())


def start(user: User) -> None:
    """A new session for ``user``: nothing of the previous one survives (no fixation)
    but the interface language the visitor chose before signing in, which becomes the
    account's own when it has none yet."""
    chosen = session.get("lang")
    session.clear()
    login_user(user)
    if chosen in ("vi", "en") and not user.locale:
        user.locale = chosen  # the caller puts the account's language in the session
        db.session.commit()
    session[AUTH_AT] = session[SEEN_AT] = _now()


def end(user: User | None) -> None:
    """Sign out, here and everywhere else: every session cookie of the account dies."""
    if user is not None:
        accounts.end_sessions(db.session, user)
    logout_user()
    session.clear()


def _lifetimes() -> tuple[int, int]:
    config = current_app.config
    idle = int(float(config.get("SESSION_IDLE_MINUTES", 120)) * 60)
    lifetime = int(float(config.get("SESSION_LIFETIME_HOURS", 12)) * 3600)
    return idle, lifetime


def _alive(now: int) -> bool:
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return False
    idle, lifetime = _lifetimes()
    if now - seen_at > idle or now - auth_at > lifetime:
        return False
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return True


def load(user_id: str) -> User | None:
    """Flask-Login's user loader: the user a session cookie names, if that session is
    still alive (current version, active account, within its idle and absolute
    lifetimes); otherwise the cookie's sign-in is forgotten and the visitor is
    anonymous."""
    uid, sep, version = (user_id or "").partition(":")
    user = db.session.get(User, int(uid)) if sep and uid.isdigit() and version.isdigit() else None
    if (
        user is not None
        and user.is_active
        and (user.session_version or 0) == int(version)
        and _alive(_now())
    ):
        return user
    for key in _AUTH_KEYS:
        session.pop(key, None)
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"  # Flask-Login deletes the cookie from the browser
    # Said by ``announce_end`` once the request knows its user: translating here would
    # ask for the locale, which asks for the user being loaded.
    g.session_ended = True
    return None


def announce_end() -> None:
    """Tell a visitor whose session just ended why they are signed out."""
    if g.pop("session_ended", False):
        flash(_("Your session has ended. Please sign in again."), "error")


# Between the password and the code ----------------------------------------------------


def begin_second_factor(user: User, target: str) -> None:
    """The password was right; the code comes next. Nothing here signs anyone in."""
    session.clear()
    session[PENDING] = {
        "uid": user.id,
        "v": user.session_version or 0,
        "at": _now(),
        "next": target,
        "tries": 0,
    }


def pending_second_factor() -> tuple[User | None, str]:
    """The user whose code is awaited and where to go afterwards, or (None, "/") when
    nothing is awaited any more (expired, too many tries, the account changed)."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None, "/"
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if (
        user is None
        or not user.is_active
        or not user.two_factor_enabled
        or (user.session_version or 0) != data.get("v")
        or _now() - int(data.get("at") or 0) > PENDING_SECONDS
        or int(data.get("tries") or 0) >= MAX_CODE_TRIES
    ):
        session.pop(PENDING, None)
        return None, "/"
    return user, str(data.get("next") or "/")


def wrong_code() -> bool:
    """Count a wrong code; True when the tries are used up (the password is asked again)."""
    data = dict(session.get(PENDING) or {})
    data["tries"] = int(data.get("tries") or 0) + 1
    if data["tries"] >= MAX_CODE_TRIES:
        session.pop(PENDING, None)
        return True
    session[PENDING] = data
    return False
