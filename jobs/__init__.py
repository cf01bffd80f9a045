"""What runs in the background: the Celery app and its tasks.

Tasks run inside the Flask application context (see ``celery_app.celery_init_app``),
reach the database and the index through ``runtime()``, and are idempotent so that a
retry or a duplicate delivery does no harm.
"""
