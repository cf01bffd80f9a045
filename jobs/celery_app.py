"""The Celery application, bound to a Flask app as in Flask's own Celery example."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from ``app.config["CELERY"]``; tasks run in app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    celery_app.flask_app = app  # for worker signal handlers (heartbeat)
    app.extensions["celery"] = celery_app
    # Import for their side effect of registering tasks and worker signal handlers.
    from . import heartbeat, mail, notices, notifications, tasks  # noqa: F401

    return celery_app
