"""Error pages and JSON errors: friendly, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            body = {"error": exc.name, "message": exc.description, "status": exc.code}
            return jsonify(body), exc.code
        template = "errors/404.html" if exc.code == 404 else "errors/error.html"
        return render_template(template, error=exc), exc.code

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
