"""One way to hand a task to the background: ``dispatch``.

Tasks run in-process when Celery is set to run them eagerly (tests,
``CELERY_ALWAYS_EAGER``) and are queued by name on the current app's Celery otherwise.
Every caller used to spell that branch itself; here it is written once, so that a task
queued from a view, a command, another task or an after-commit hook behaves the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Task
from flask import current_app


def dispatch(
    task: Task | str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    task_id: str | None = None,
    throw: bool | None = None,
) -> str:
    """Run ``task`` now (eager) or queue it (a worker runs it); return the task's id.

    ``throw`` (eager only) re-raises the task's error in the caller; by default it
    follows the app's ``task_eager_propagates``.
    """
    celery = current_app.extensions["celery"]
    name = task if isinstance(task, str) else task.name
    if celery.conf.task_always_eager:
        result = celery.tasks[name].apply(
            args=list(args), kwargs=kwargs or {}, task_id=task_id, throw=throw
        )
        return result.id
    return celery.send_task(name, args=list(args), kwargs=kwargs or {}, task_id=task_id).id
