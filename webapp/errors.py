"""Error pages and JSON errors: friendly, never a stack trace; and the refusal of
malformed input before any view reads it, so that no route answers it with a 500.

* JSON bodies are parsed by ``loads_json``, which the app's JSON provider uses too (so
  every ``request.get_json`` has the same limits): at most ``MAX_JSON_DEPTH`` levels of
  nesting (a thousand levels would otherwise raise RecursionError), finite numbers only
  (no NaN, Infinity or 1e999), and no unpaired surrogate ("\\ud800", which is valid
  JSON but not text: no database nor encoder takes it). The API's ``_body`` answers
  each with 400 and the reason.
* Query strings, form fields and path segments holding NUL or an unpaired surrogate are
  refused (``refuse_unreadable_text``: 400 on a page, 422 naming the parameter in the
  API): no field may store them, and PostgreSQL refuses NUL even in a lookup, such as a
  sign-in by e-mail or a search.

Everything else a text may hold that no stored text may (control and bidirectional
override characters) is refused field by field by validation (``catalog.validation``),
with a 422 in the API and a form error on a page.

A ``ValidationError`` a view lets through is answered here, once for every view: the
session is rolled back, then the API answers 422 with each field's message, and a page
flashes the messages in the reader's language and sends them back (``back_to``: the page
the view names, else the same-site page the form was on). Only a view that shows the
same form again with a message under each field catches it itself.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, redirect, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, InternalServerError

from catalog.access import OutOfScope
from catalog.text import has_surrogates
from catalog.validation import ValidationError
from jobs.i18n import translate

from .extensions import db
from .helpers import flash_errors
from .i18n import safe_next

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32  # arrays and objects within each other; the API's bodies need 3


class MalformedBody(ValueError):
    """A request body that is not the JSON the service takes; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON number.")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedBody(f"{text} is too large a number.")
    return number


def loads_json(data: str | bytes) -> Any:
    """Parse a request body, or ``MalformedBody`` (a ValueError) with the reason."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode(json.detect_encoding(data))
        except UnicodeDecodeError:
            raise MalformedBody("The body is not valid UTF-8.") from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:  # deeper than the parser itself goes
        raise MalformedBody(_TOO_DEEP) from None
    except MalformedBody:
        raise
    except ValueError as exc:  # JSONDecodeError; an integer of more than 4,300 digits
        raise MalformedBody(f"The body is not valid JSON: {exc}.") from None
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """Refuse nesting beyond ``MAX_JSON_DEPTH`` and unpaired surrogates, anywhere (keys
    too), walking the parsed value without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > MAX_JSON_DEPTH:
            raise MalformedBody(_TOO_DEEP)
        if isinstance(item, dict):
            for key, child in item.items():
                if has_surrogates(key):
                    raise MalformedBody(_SURROGATE)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and has_surrogates(item):
            raise MalformedBody(_SURROGATE)


_TOO_DEEP = f"The body is nested more than {MAX_JSON_DEPTH} levels deep."
_SURROGATE = "The body holds an unpaired surrogate (\\ud800 to \\udfff), which is not text."


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing with ``loads_json``: ``request.get_json`` anywhere gets its
    limits (a refused body is a 400, as for any invalid JSON)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s)


def _unreadable(value: Any) -> bool:
    return isinstance(value, str) and ("\x00" in value or has_surrogates(value))


def refuse_unreadable_text() -> Any:
    """Before every view: a query string, form field (or its name) or path segment
    holding NUL or an unpaired surrogate is refused: in the API as an invalid field (422
    in its shape, naming the parameter), on a page with 400. (Werkzeug decodes forms and
    URLs replacing bytes that are not UTF-8, so in practice this is NUL.)"""
    pairs = [*request.args.items(multi=True), *(request.view_args or {}).items()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += request.form.items(multi=True)
    bad = [str(key) for key, value in pairs if _unreadable(key) or _unreadable(value)]
    if not bad:
        return None
    if wants_json():
        message = "Must not hold a NUL character or an unpaired surrogate."
        errors = {name.replace("\x00", "\\0"): message for name in bad}
        body = {"error": "Unprocessable Entity", "status": 422, "errors": errors}
        return jsonify(body), 422
    message = _("Text in the request holds a NUL character or an unpaired surrogate.")
    raise BadRequest(description=message)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def carried_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers an HTTP error carries besides its body's type, kept when the error is
    answered with the site's own body: ``Allow`` on a 405, which RFC 9110 requires (a
    client learns there which methods the address takes), ``Retry-After`` where given."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


def _error_texts() -> dict[int, tuple[str, str]]:
    """Titles and explanations of the errors a person meets, in the page's language:
    Werkzeug's own are English, and a limit's description is its rule ("10 per 1 minute")."""
    return {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        401: (_("Sign in first"), _("This page is for signed-in users.")),
        403: (_("Not allowed"), _("Your account may not open this page or do this.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("File too large"), _("Files are limited to 16 MB.")),
        415: (_("Bad request"), _("This kind of content is not accepted here.")),
        422: (_("Bad request"), _("Some of what was sent cannot be used.")),
        429: (
            _("Too many attempts"),
            _("Too many attempts from your connection. Wait a minute, then try again."),
        ),
    }


def _page_text(exc: HTTPException) -> tuple[str, str]:
    """The title and message of an error page. A description a view gave (already in
    the reader's language) is kept; Werkzeug's default English one is not shown."""
    title, message = _error_texts().get(
        exc.code or 500, (_("Something went wrong"), _("Please try again in a moment."))
    )
    default = type(exc).description
    if exc.code != 429 and exc.description and exc.description != default:
        message = exc.description
    return title, message


_BACK = "ketnoi_back_to"


def back_to(url: str) -> str:
    """Name the page a refused form sends its user back to (the handler of
    ``ValidationError``), and return it: a view that redirects there on success too
    writes ``return redirect(back)`` with the same value."""
    setattr(g, _BACK, url)
    return url


def _back() -> str:
    """The page a refusal returns to: the view's ``back_to``, else the page the form was
    posted from when it is on this site, else the home page."""
    named = g.get(_BACK)
    if named:
        return named
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return "/"
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next(path)


def invalid(exc: ValidationError) -> Any:
    """A refused write: nothing of it is kept. The API's 422 names each field (the field
    names stay: they are the API's own words); a page flashes the messages and goes back."""
    db.session.rollback()
    if wants_json():
        errors = {field: translate(message) for field, message in exc.errors.items()}
        return jsonify({"error": "Unprocessable Entity", "status": 422, "errors": errors}), 422
    flash_errors(exc.errors)
    return redirect(_back())


def register(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_unreadable_text)
    app.register_error_handler(ValidationError, invalid)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        headers = carried_headers(exc)
        if wants_json():
            body = {"error": exc.name, "message": exc.description, "status": exc.code}
            return jsonify(body), exc.code, headers
        template = "errors/404.html" if exc.code == 404 else "errors/error.html"
        title, message = _page_text(exc)
        page = render_template(template, error=exc, title=title, message=message)
        return page, exc.code, headers

    @app.errorhandler(OutOfScope)
    def out_of_scope(exc: OutOfScope):
        """A write the session's guard refused (``catalog.access.scope``): nothing of it was
        written; rolling back ends the request's transaction, which writes the alert."""
        db.session.rollback()
        message = str(exc.message) if wants_json() else translate(exc.message)
        return http_error(Forbidden(description=message))

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        log.error("database unavailable: %s", exc)
        db.session.rollback()
        # Who is signed in cannot be looked up now (nor their language, nor what their
        # account's menu shows): the page is rendered as for a visitor.
        g._login_user = AnonymousUserMixin()
        if wants_json():
            return jsonify(
                {
                    "error": "Service Unavailable",
                    "message": "The database is unavailable.",
                    "status": 503,
                }
            ), 503
        return render_template("errors/error.html", error=None, code=503), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        db.session.rollback()
        error = InternalServerError()
        if wants_json():
            return jsonify(
                {"error": error.name, "message": "Something went wrong on our side.", "status": 500}
            ), 500
        return render_template("errors/error.html", error=error), 500
