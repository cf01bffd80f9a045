"""Worker liveness: each worker records a heartbeat row every few seconds.

On start a worker also queues ``ensure_index``, so a missing, corrupt or drifted
index is rebuilt without anyone asking; and once its first heartbeat is written (then
every minute) it re-queues the import jobs of workers that died (``jobs.imports``).

``background_running`` reads the rows back: whether any worker has beaten within
``STALE_AFTER``. Nothing restarts a worker from here (supervisord or systemd do,
``deploy/``); this only lets pages say plainly that background work is not running.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from billiard.util import set_pdeathsig
from celery.signals import beat_embedded_init, task_postrun, worker_ready, worker_shutdown
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.models import as_utc

from . import imports
from .celery_app import BULK
from .models import STALE_AFTER, WorkerHeartbeat
from .runtime import runtime

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0
RECOVER_SECONDS = 60.0
# This run of the worker: set when the worker imports its tasks, before its pool's
# processes fork, so they share it. A restarted worker keeps its host name, not this.
INSTANCE = uuid.uuid4().hex
_state = {"tasks_done": 0}
_stop = threading.Event()


def is_fresh(beat: WorkerHeartbeat, now: datetime | None = None) -> bool:
    """Whether this heartbeat is recent enough for its worker to be alive."""
    return (now or datetime.now(UTC)) - as_utc(beat.last_seen) < STALE_AFTER


def background_running(session: Session, now: datetime | None = None) -> bool:
    """Whether any worker is alive: queued work (re-indexing, imports, reports, mail)
    gets done. One small query over a table of one row per worker."""
    now = now or datetime.now(UTC)
    return any(is_fresh(beat, now) for beat in session.scalars(select(WorkerHeartbeat)))


def _write_beat(hostname: str, started: datetime) -> None:
    session = runtime().session()
    row = session.get(WorkerHeartbeat, hostname) or WorkerHeartbeat(
        hostname=hostname, pid=os.getpid(), started_at=started
    )
    row.pid = os.getpid()
    row.instance = INSTANCE
    row.last_seen = datetime.now(UTC)
    row.tasks_done = _state["tasks_done"]
    session.add(row)
    session.commit()


def _recover(celery_app, first: bool) -> None:
    def send(job) -> None:
        celery_app.send_task(
            imports.TASK, args=[job.path, job.mapping, job.actor_id], task_id=job.id
        )

    # At start, jobs still waiting in the queue are sent again too: a dead worker may
    # have taken their message with it (a duplicate is ignored).
    imports.recover(runtime().session(), send, queued_too=first, alive=INSTANCE)


def _beat(flask_app, hostname: str, started: datetime) -> None:
    next_recovery, first = 0.0, True
    while not _stop.is_set():
        try:
            with flask_app.app_context():
                _write_beat(hostname, started)
                # After the beat: this worker's own earlier run now looks dead.
                if time.monotonic() >= next_recovery:
                    _recover(flask_app.extensions["celery"], first)
                    next_recovery, first = time.monotonic() + RECOVER_SECONDS, False
        except Exception:  # a busy or unreachable database must not kill the worker
            log.exception("heartbeat failed")
        _stop.wait(INTERVAL_SECONDS)


@worker_ready.connect
def _on_worker_ready(sender=None, **_: object) -> None:
    celery_app = sender.app
    flask_app = getattr(celery_app, "flask_app", None)
    if flask_app is None:
        return
    hostname = getattr(sender, "hostname", None) or f"worker@{socket.gethostname()}"
    _stop.clear()
    thread = threading.Thread(
        target=_beat, args=(flask_app, hostname, datetime.now(UTC)), daemon=True
    )
    thread.start()
    # Start-up work runs on the bulk queue: asked once, by the worker that serves it
    # (each of several workers asking queued it twice, done twice).
    if BULK in celery_app.amqp.queues.consume_from:
        celery_app.send_task("ketnoi.ensure_index")
        # Then the open needs' vectors, so the first opportunities page is quick.
        celery_app.send_task("ketnoi.warm_needs")


@worker_shutdown.connect
def _on_worker_shutdown(sender=None, **_: object) -> None:
    _stop.set()
    celery_app = getattr(sender, "app", None)
    flask_app = getattr(celery_app, "flask_app", None)
    if flask_app is None:
        return
    try:
        with flask_app.app_context():
            session = runtime().session()
            gone = delete(WorkerHeartbeat).where(WorkerHeartbeat.hostname == sender.hostname)
            session.execute(gone)
            session.commit()
    except Exception:
        log.exception("could not clear heartbeat")


@task_postrun.connect
def _count_task(**_: object) -> None:
    _state["tasks_done"] += 1


@beat_embedded_init.connect
def _die_with_the_worker(**_: object) -> None:
    """The beat embedded in a worker (``--beat``, as ``make run`` starts it) is a child
    process: when the worker is killed, it must stop too. Otherwise the supervisor's
    new worker embeds a second beat beside the orphan, and every scheduled task runs
    twice. (Celery's pool processes already die with the worker; a standalone beat is
    supervised itself.)"""
    try:
        set_pdeathsig(signal.SIGTERM)
    except OSError:  # not Linux: nothing to do about it here
        return
    if os.getppid() == 1:  # the worker died before that call
        os.kill(os.getpid(), signal.SIGTERM)
