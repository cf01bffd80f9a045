"""Entry point for Celery workers: ``celery -A webapp.worker worker``."""

from __future__ import annotations

from . import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
