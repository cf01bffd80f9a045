"""Entry point for Celery workers: ``celery -A webapp.worker worker``."""

from __future__ import annotations

from . import create_app

# The worker publishes the index (and ships it when machines share no disk); web
# processes only read it.
flask_app = create_app({"INDEX_PUBLISHES": True})
celery_app = flask_app.extensions["celery"]
