"""HTTP security headers for every response.

The pages use no inline script or style, so the Content-Security-Policy can forbid
both; frames are denied (no clickjacking) and browsers must not sniff content types.
What a signed-in user or an API token reads (contact people, introductions, tokens,
audit entries) is never kept by a browser or a proxy cache (``Cache-Control:
no-store``); over HTTPS, browsers are told to use HTTPS only (HSTS). The server does
not name its software: gunicorn's banner is replaced in ``gunicorn.conf.py``, the
development server's here.
"""

from __future__ import annotations

import contextlib

from flask import Flask, Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.serving import WSGIRequestHandler

from .access import actor
from .errors import wants_json

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# One year, as browsers' preload lists ask; subdomains of the site's own name too.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
# What the ``Server`` header says, instead of the software and its version.
SERVER_BANNER = "KetNoi"


def is_secure() -> bool:
    """Served over HTTPS: the request says so (behind a proxy, through the forwarded
    scheme ProxyFix trusts), or the deployment does (secure cookies)."""
    return request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def is_private() -> bool:
    """The answer is for one reader: a signed-in user, or a call carrying credentials
    (contact details, tokens and everything scoped to an account live only there)."""
    if request.endpoint == "static":
        return False
    return actor() is not None or "Authorization" in request.headers


def _hide_development_server_banner() -> None:
    """``flask run`` (``make run``) and the test servers answer ``Server: Werkzeug/x.y
    Python/x.y``; a header set by the app would only be added beside it, so the
    handler's banner itself is replaced."""
    WSGIRequestHandler.version_string = lambda self: SERVER_BANNER  # type: ignore[method-assign]


def untrusted_host(exc: SecurityError):
    """A Host header outside ``TRUSTED_HOSTS`` (``KETNOI_TRUSTED_HOSTS``): 400 with a
    short text, not the page template, which links through the host refused here."""
    message = _("This site does not answer to that host name.")
    if wants_json():
        return jsonify({"error": "Bad Request", "message": message, "status": 400}), 400
    return Response(message, status=400, mimetype="text/plain")


def register(app: Flask) -> None:
    _hide_development_server_banner()
    app.register_error_handler(SecurityError, untrusted_host)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if is_private():
            response.headers["Cache-Control"] = "no-store"
        if is_secure():
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response

    @app.after_request
    def read_the_rest_of_the_body(response: Response) -> Response:
        """A refusal decided from the headers (401, 403, 404) leaves the body unread, and
        a connection closed on unread bytes is reset: the client loses the answer while
        still sending. Read what is left first, within ``MAX_CONTENT_LENGTH`` (a proxy
        that buffers bodies, as in ``deploy/nginx``, never shows this)."""
        length = request.content_length
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if length and (limit is None or length <= limit):
            # OSError: the client went away, and there is nothing left to protect.
            with contextlib.suppress(OSError, ValueError, AttributeError):
                request.stream.exhaust()  # type: ignore[attr-defined]
        return response
