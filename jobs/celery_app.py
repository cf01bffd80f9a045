"""The Celery application, bound to a Flask app as in Flask's own Celery example, and
the two queues its tasks go to (declared here, in one place).

``interactive``: what someone is waiting for within seconds — a re-index of the few
firms an edit touched, mail, notifications. ``bulk``: work that takes minutes to hours
and that nobody watches second by second — imports, whole rebuilds and index checks
(which rebuild when they must), warming the needs' vectors, reports, event schedules,
the reranker's training, the periodic housekeeping. Production and ``make run`` start
one worker for each (``Procfile``, ``deploy/``), so an hour-long import never holds up
a re-index; a worker started without ``--queues`` consumes both (tests, a single
small machine). Any task not named here is interactive (``task_default_queue``).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery import current_task as _current_task
from flask import Flask
from kombu import Exchange, Queue

INTERACTIVE = "interactive"
BULK = "bulk"

BULK_TASKS = frozenset(
    {
        "ketnoi.import_firms",
        "ketnoi.rebuild_index",
        # Folds the index's change log into a new base: a rewrite of the whole index.
        "ketnoi.merge_index",
        "ketnoi.ensure_index",
        "ketnoi.check_index",
        "ketnoi.warm_needs",
        "ketnoi.province_report",
        "ketnoi.schedule_event",
        "ketnoi.train_reranker",
        # Periodic housekeeping (beat): each mail it sends is an interactive task.
        "ketnoi.send_expiry_notices",
        "ketnoi.remind_unanswered_requests",
        "ketnoi.send_notification_digest",
        "ketnoi.cleanup_uploads",
    }
)
REINDEX = "ketnoi.reindex_firms"
# A re-index of more firms than this is bulk work whoever asks (a re-index of one
# firm's edit is one; an import's batch of rows, hundreds).
INTERACTIVE_REINDEX_FIRMS = 20


def route_task(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any
) -> dict[str, str]:
    """The queue of a task (Celery's ``task_routes``), from its name; a re-index goes
    to the bulk queue when a bulk task asks for it (the index updates an import's
    commits set off, behind the import on the bulk worker instead of in front of
    everyone's edits) or when it names many firms."""
    if name in BULK_TASKS:
        return {"queue": BULK}
    if name == REINDEX:
        running = _current_task._get_current_object()
        if running is not None and running.name in BULK_TASKS:
            return {"queue": BULK}
        firm_ids = (args[0] if args else None) or (kwargs or {}).get("firm_ids") or ()
        if len(firm_ids) > INTERACTIVE_REINDEX_FIRMS:
            return {"queue": BULK}
    return {"queue": INTERACTIVE}


# Each queue with an exchange and routing key of its own: a queue declared by name only
# would be bound to the default exchange with the default key, and a task sent to it
# would land in both queues.
QUEUES: dict[str, Any] = {
    "task_queues": (
        Queue(INTERACTIVE, Exchange(INTERACTIVE, type="direct"), routing_key=INTERACTIVE),
        Queue(BULK, Exchange(BULK, type="direct"), routing_key=BULK),
    ),
    "task_default_queue": INTERACTIVE,
    "task_default_exchange": INTERACTIVE,
    "task_default_routing_key": INTERACTIVE,
    "task_routes": (route_task,),
}


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from ``app.config["CELERY"]`` (over ``QUEUES``); tasks run
    in app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object({**QUEUES, **app.config["CELERY"]})
    celery_app.set_default()
    celery_app.flask_app = app  # for worker signal handlers (heartbeat)
    app.extensions["celery"] = celery_app
    # Import for their side effect of registering tasks and worker signal handlers.
    from . import heartbeat, mail, notices, notifications, tasks  # noqa: F401

    return celery_app
