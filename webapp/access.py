"""Who is asking, and may they: sign-in, API tokens and the one access check.

Every view declares its rule with ``@rule(action, Model)``; the decorator loads the
record named in the URL (404 if missing) and asks ``catalog.access.can``. A view with
no declared rule is refused (deny by default), so a new route cannot be reachable by
accident; ``tests/test_access_matrix.py`` fails until the route is in its matrix.

Pages use the session cookie (Flask-Login). ``/api/v1`` ignores cookies and reads only
``Authorization: Bearer <personal access token>``, so cross-site requests carry no
credentials there and the API needs no CSRF token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user

from catalog import access, queries
from catalog.access.audit import set_actor
from catalog.access.scope import refused
from catalog.access.visibility import ALL_NEEDS, clear_reader, set_reader
from catalog.accounts import api_token
from catalog.models import User

from .extensions import db, login_manager
from .sessions import load as load_session_user

PUBLIC_ENDPOINTS = {"static"}


def actor() -> User | None:
    """The signed-in user, or None for anonymous visitors."""
    user = current_user._get_current_object()
    return user if getattr(user, "is_authenticated", False) else None


def can(action: str, target: Any = None) -> bool:
    return access.can(actor(), action, target)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _unauthorized(message: str, challenge: str) -> None:
    """Stop with the API's JSON 401 and a Bearer challenge."""
    response = jsonify({"error": "Unauthorized", "message": message, "status": 401})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    abort(response)


def authorize(action: str, target: Any = None) -> None:
    """Abort unless the current user may do ``action`` to ``target``.

    Anonymous visitors are sent to the sign-in page (401 with a Bearer challenge on the
    API); signed-in users who may not get 403.
    """
    if access.can(actor(), action, target):
        return
    if actor() is None:
        _ask_to_sign_in()
    if refused(db.session, actor(), target, f"{request.method} {request.path}"):
        # An officer refused for another province's record: the alert is written as
        # the request's transaction ends, here, with nothing of the request saved.
        db.session.rollback()
    abort(403)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _ask_to_sign_in() -> None:
    """Abort an anonymous request: 401 with a Bearer challenge on the API, the sign-in
    page elsewhere."""
    if is_api_request():
        _unauthorized(
            _("Send a personal access token: Authorization: Bearer <token>."),
            'Bearer realm="ketnoi"',
        )
    abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))


def rule(action: str, model: type | None = None, arg: str | None = None) -> Callable:
    """Declare who may use a view.

    With ``model``, the URL argument ``arg`` (default: the view's first ``*_id``
    argument) is loaded and passed to the view without its ``_id`` suffix, already
    checked: ``@rule("firm.edit", Firm)`` turns ``firm_id`` into ``firm``.
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            target = None
            if model is not None and actor() is None and request.method not in SAFE_METHODS:
                # No record is ever written anonymously: say "sign in" before looking
                # the record up, so that a 404 or 401 does not tell who exists.
                _ask_to_sign_in()
            if model is not None:
                key = arg or next(k for k in kwargs if k.endswith("_id"))
                # Unfiltered by the session's reader, so that a need one may not
                # read is refused (403) as before, not hidden (404).
                target = db.session.get(model, kwargs.pop(key), execution_options={ALL_NEEDS: True})
                if target is None:
                    abort(404, description=_("No such record."))
                kwargs[key.removesuffix("_id")] = target
            authorize(action, target)
            return view(*args, **kwargs)

        guarded.access_rule = action  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: Callable) -> Callable:
    """Open to everyone, signed in or not."""
    view.access_rule = "anyone"  # type: ignore[attr-defined]
    return view


def _identify() -> None:
    """Before every request: who is asking (token on the API), whom to blame in the
    audit log, whose eyes needs are read with, and refuse views that declare no rule."""
    # Forget a user remembered on ``g``: when a caller (a test, a command) holds one app
    # context across requests, each request must still be identified from its own
    # cookie or token.
    g.pop("_login_user", None)
    set_reader(db.session, None)  # anonymous until the user is known
    if is_api_request():
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        user = None
        g.api_token = None
        if scheme.lower() == "bearer" and token.strip():
            # Its scope is enforced by the API blueprint (read-only tokens only read).
            g.api_token = api_token(db.session, token.strip())
            if g.api_token is None:
                _unauthorized(
                    _("The token is invalid, expired or revoked."), 'Bearer error="invalid_token"'
                )
            user = g.api_token.user
        g._login_user = user or AnonymousUserMixin()
    set_actor(db.session, actor())
    # Every query of the request that involves needs reads them as this user does.
    set_reader(db.session, actor())
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "access_rule", None) is None:
        current_app.logger.error("refused %s: the view declares no access rule", endpoint)
        abort(403)


def register(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # The id carries the session version, and the session its lifetimes.
        return load_session_user(user_id)

    app.before_request(_identify)
    # The actor is the request's: a caller holding one app context across requests (a
    # test, a command) must not write as the last request's user.
    app.teardown_request(lambda _exc: set_actor(db.session, None))
    app.teardown_request(lambda _exc: clear_reader(db.session))

    @app.context_processor
    def access_helpers() -> dict[str, Any]:
        return {"can": can, "me": actor()}


def my_provinces() -> list:
    """The provinces the signed-in officer works for; every province for an admin."""
    user = actor()
    return list(user.provinces) if user.is_officer else queries.provinces(db.session)
