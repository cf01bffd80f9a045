"""Background tasks: the index (re-index some firms, rebuild, repair on start), imports,
reports, event schedules, the reranker.

The index tasks are idempotent (they compare text digests with the database) and
retried with back-off. A worker killed mid-task does not count on its message coming
back: Redis delivers an unacknowledged message again only after its visibility timeout
(an hour), and the embedded filesystem broker not at all. Instead every worker, when it
starts, checks the index against the database (``ensure_index``) and re-queues the
import jobs of dead workers, which resume from their record (``jobs.imports``). Beat
runs a cheaper check every few minutes (``check_index``), and a web process that finds
the index unusable queues one, so a damaged index heals without waiting for either.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from celery import shared_task
from celery.exceptions import Ignore
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy.exc import OperationalError

from catalog import notifications
from catalog.access.audit import set_actor
from catalog.imports import import_table, read_table, rejected_rows_csv
from catalog.models import JobKind, User
from matching import indexing
from matching.changes import ChainBroken
from matching.store import IndexUnavailable

from .celery_app import INTERACTIVE
from .dispatch import dispatch
from .i18n import translate
from .runtime import data_folder, runtime

log = logging.getLogger(__name__)

_RETRY = {
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(bind=True, name="ketnoi.reindex_firms", **_RETRY)
def reindex_firms(self, firm_ids: list[int]) -> dict:
    """Re-embed what changed for these firms and write it to the index's change log.

    On the interactive queue only these firms are compared: firms an import on the
    bulk queue stamps meanwhile are taken in by the re-index the import sets off (bulk
    queue, gathering), not by an edit someone is waiting for."""
    rt = runtime()
    queue = (self.request.delivery_info or {}).get("routing_key")
    change = indexing.reindex_firms(
        rt.session(),
        rt.store,
        rt.encoder,
        [int(i) for i in firm_ids],
        gather=queue != INTERACTIVE,
    )
    if change.pending >= current_app.config["INDEX_MERGE_AT"]:
        dispatch(merge_index)
    return change.__dict__


@shared_task(name="ketnoi.merge_index", **_RETRY)
def merge_index() -> dict:
    """Fold the index's change log into a new base (queued by a re-index once the log
    holds ``INDEX_MERGE_AT`` documents; several queued merges find nothing left to do
    but the first)."""
    rt = runtime()
    change = indexing.merge(rt.session(), rt.store, rt.encoder)
    return {"action": "none"} if change is None else {"action": "merged", **change.__dict__}


@shared_task(name="ketnoi.rebuild_index", **_RETRY)
def rebuild_index() -> dict:
    rt = runtime()
    return indexing.rebuild(rt.session(), rt.store, rt.encoder).__dict__


# Drifted documents, as a share of the index, repaired by updating their firms rather
# than by a rebuild.
DRIFT_REPAIR_SHARE = 0.05


@shared_task(name="ketnoi.ensure_index", **_RETRY)
def ensure_index() -> dict:
    """Rebuild when the index is missing, unreadable, damaged (a file not as published:
    every file is hashed again), built by another model, or has drifted from the
    database (for example after a restore); otherwise do nothing. Run when a worker
    starts and after a restore: it writes every document's text to compare digests
    (``check_index`` is the cheap, periodic form)."""
    rt = runtime()
    session = rt.session()
    try:
        rt.store.verify(rt.encoder.model_name)
        bundle = indexing.load_current(session, rt.store, rt.encoder.model_name)
    except (IndexUnavailable, ChainBroken) as exc:
        log.warning("index unavailable (%s): rebuilding", exc)
        return {"action": "rebuilt", **indexing.rebuild(session, rt.store, rt.encoder).__dict__}
    indexing.ship(session, rt.store)  # a base the other machines have not received yet
    counts, firms = indexing.drift(session, bundle)
    if not any(counts.values()):
        return {"action": "none", "documents": len(bundle)}
    if sum(counts.values()) <= len(bundle) * DRIFT_REPAIR_SHARE:
        # A few firms' updates lost (a worker killed with them in its queue): updating
        # those firms is seconds; a rebuild at 100k capabilities, minutes, with every
        # other update waiting behind it.
        log.warning("index drifted from the database %s: updating %d firms", counts, len(firms))
        change = indexing.reindex_firms(session, rt.store, rt.encoder, sorted(firms))
        return {"action": "repaired", "firms": len(firms), **change.__dict__}
    log.warning("index drifted from the database %s: rebuilding", counts)
    return {"action": "rebuilt", **indexing.rebuild(session, rt.store, rt.encoder).__dict__}


@shared_task(name="ketnoi.check_index", **_RETRY)
def check_index() -> dict:
    """``ensure_index``'s checks at the cost of a periodic task, so that a damaged or
    drifted index heals within minutes without waiting for an edit or a worker's start
    (every five minutes from Celery beat: ``beat_schedule`` in webapp/config.py; also
    what a web process asks for when it finds the index unusable).

    Integrity: every file of the current version is hashed again and compared with its
    recorded size and digest, then the version is loaded as a web process loads it
    (``indexing.check_usable``: about 1.5 s at 100k capabilities); anything wrong, and
    the index is rebuilt (once, however many asked). Drift: what shows without writing
    document texts (``indexing.visible_drift``: two small queries); the firms concerned
    are updated, never rebuilt. Nothing wrong costs that, and publishes nothing.
    """
    rt = runtime()
    session = rt.session()
    try:
        bundle = indexing.check_usable(session, rt.store, rt.encoder.model_name)
    except (IndexUnavailable, ChainBroken) as exc:
        log.warning("index unusable (%s): rebuilding", exc)
        change = indexing.rebuild_unless_usable(session, rt.store, rt.encoder)
        if change is None:
            return {"action": "none", "version": rt.store.current_version()}
        return {"action": "rebuilt", "reason": str(exc), **change.__dict__}
    counts, firms = indexing.visible_drift(session, bundle)
    if not firms:
        return {"action": "none", "documents": len(bundle), "version": bundle.version}
    change = indexing.reindex_firms(session, rt.store, rt.encoder, sorted(firms))
    if (change.version, change.through) == (bundle.version, bundle.through):
        return {"action": "none", "documents": len(bundle), "version": change.version}
    log.warning("index behind the database %s: updated %d firms", counts, len(firms))
    return {"action": "repaired", "firms": len(firms), **change.__dict__}


def index_repair_requester(app: Flask) -> Callable[[str], None]:
    """What a web process's engine calls when the index on disk is unusable: queue
    ``check_index`` on the worker (which rebuilds it). From a thread, so a request never
    waits on the broker. Tasks that run eagerly (tests, debugging) are not run from
    here, inside a request: the periodic check or the next worker's start repairs."""

    def request(reason: str) -> None:
        def send() -> None:
            try:
                celery = app.extensions["celery"]
                if celery.conf.task_always_eager:
                    log.warning("index unusable (%s); tasks run eagerly: no repair queued", reason)
                    return
                celery.send_task("ketnoi.check_index")
                log.warning("index unusable (%s): repair queued", reason)
            except Exception:  # the periodic check repairs it all the same
                log.exception("could not queue an index repair")

        threading.Thread(target=send, name="index-repair-request", daemon=True).start()

    return request


# Open needs encoded per run of ``warm_needs``: small, so that re-index tasks queued
# meanwhile (a firm edited its profile) wait seconds, not a minute.
WARM_BATCH = 24


@shared_task(name="ketnoi.warm_needs", acks_late=True)
def warm_needs(offset: int = 0) -> int:
    """Encode open needs' texts not yet in the embedding cache (a supplier's
    opportunities page scores every open need), a batch at a time: each run queues the
    next, behind whatever else is waiting. Returns how many were encoded."""
    from sqlalchemy import select

    from catalog.models import Need, NeedStatus
    from matching.opportunities import warm_needs as warm

    rt = runtime()
    session = rt.session()
    batch = session.scalars(
        select(Need)
        .where(Need.status == NeedStatus.OPEN)
        .order_by(Need.id)
        .offset(offset)
        .limit(WARM_BATCH)
    ).all()
    encoded = warm(session, rt.engine, batch) if batch else 0
    if len(batch) == WARM_BATCH:
        dispatch(warm_needs, kwargs={"offset": offset + WARM_BATCH})
    return encoded


@shared_task(bind=True, name="ketnoi.province_report", acks_late=True)
def province_report(self, province_code: str | None, period: str, lang: str = "vi") -> dict:
    """A quarterly or annual report as XLSX and PDF under ``DATA_DIR/reports/``; the
    localisation-gap analysis it computes is kept for the dashboard too."""
    import time

    from catalog.dashboard import Period, load_targets
    from documents import report, snapshots

    from .i18n import document_language

    started = time.perf_counter()
    rt = runtime()
    self.update_state(state="PROGRESS", meta={"step": "figures"})
    targets = load_targets(current_app.config.get("PROVINCE_TARGETS"))
    data = report.collect(
        rt.session(), rt.engine, province_code, Period.parse(period), targets=targets
    )
    kept = data_folder()
    snapshots.save(kept.root, data.localisation)
    self.update_state(state="PROGRESS", meta={"step": "rendering"})
    with document_language(lang) as t:
        rendered = report.render(data, t)
    folder = kept.reports
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt, body in rendered.items():
        (folder / f"{self.request.id}.{fmt}").write_bytes(body)
        files[fmt] = report.report_filename(province_code, data.period, fmt)
    return {"files": files, "seconds": round(time.perf_counter() - started, 1)}


@shared_task(bind=True, name="ketnoi.schedule_event", acks_late=True)
def schedule_event(
    self, event_id: int, time_limit: float = 60.0, actor_id: int | None = None
) -> dict:
    """Solve an event's schedule around its locked meetings and write it in one commit:
    a solver that fails or a worker that dies leaves the previous schedule as it was.
    Written for the officer who asked (``actor_id``): the session's write guard holds
    it to what they may change."""
    from catalog import events
    from matching.events.scheduling import parse_instance, solve

    session = runtime().session()
    if not _act_for(session, actor_id):
        return {"error": "the account that asked is no longer active"}
    event = events.load_event(session, event_id)
    if event is None:
        return {"error": "no such event"}

    def progress(phase: str, fraction: float) -> None:
        self.update_state(state="PROGRESS", meta={"phase": phase, "fraction": round(fraction, 3)})

    schedule = solve(parse_instance(events.solver_instance(event)), time_limit, progress)
    report = schedule.report()
    event.solver_report = report
    report["placed"] = events.apply_schedule(session, event, schedule.as_dict()["assignments"])
    return report


def _act_for(session, actor_id: int | None) -> bool:
    """Make the session act for the user a job writes for (``catalog.access.audit.set_actor``),
    so that the write guard (``catalog.access.scope``) and the audit log apply as in a request.
    False when that account was deleted or deactivated since: nothing is written for it.
    No ``actor_id`` is the system's own work (unchecked)."""
    actor = session.get(User, actor_id) if actor_id else None
    if actor_id and (actor is None or not actor.is_active):
        return False
    set_actor(session, actor)
    return True


def queue_reindex(firm_ids: list[int]) -> None:
    """Queue a re-index of these firms on the current app's Celery (in-process if eager):
    the "reindex" entry of ``jobs.after_commit``."""
    dispatch(reindex_firms, [firm_ids], throw=True)


@shared_task(name="ketnoi.train_reranker", acks_late=True)
def train_reranker(force: bool = False) -> dict:
    """Retrain the learned reranker from recorded outcomes when enough new ones exist.

    Idempotent: without ``MIN_NEW_JUDGEMENTS`` new judgements since the last attempt it
    does nothing; a new model replaces the current one only if it ranks held-out needs
    better (``matching.reranker.train``).
    """
    from matching.learning import retrain_if_due

    rt = runtime()
    return retrain_if_due(rt.session(), rt.engine, force=force)


def queue_retraining(judgement_ids: list[int]) -> None:
    """Ask for a retraining check once new judgements are committed (cheap when not
    due): the "retrain" entry of ``jobs.after_commit``, whoever recorded them.

    Never fails the request that recorded them: the next judgement asks again.
    """
    try:
        dispatch(train_reranker)
    except Exception:
        log.exception("could not queue reranker training after judgements %s", judgement_ids)


def queue_rebuild() -> None:
    """Queue a full rebuild (in-process when tasks run eagerly)."""
    dispatch(rebuild_index, throw=True)


# An import that loses the database tries again this many times, 30 s apart.
IMPORT_RETRIES = 10


@shared_task(bind=True, name="ketnoi.import_firms", acks_late=True)
def import_firms(self, path: str, mapping: dict[str, str] | None, actor_id: int | None) -> dict:
    """Import an uploaded survey file, reporting progress; the rejected rows are kept
    next to it as ``<file>.errors.csv`` for download.

    Not retried on an error (a bad file fails the same way twice) except a lost
    database. A worker lost mid-file is another matter: the job's record
    (``jobs.imports``) says which rows are in, the next worker to start re-queues the
    job, and it resumes after them. A duplicate delivery of a job that is done or
    running on another live worker is ignored."""
    from . import imports
    from .heartbeat import INSTANCE

    session = runtime().session()
    worker = self.request.hostname or f"eager@{socket.gethostname()}"
    defaults = {"path": path, "mapping": mapping, "actor_id": actor_id}
    job = imports.claim(session, self.request.id, worker, INSTANCE, defaults)
    if job is None:
        log.info("import job %s is done or claimed by a live worker: ignored", self.request.id)
        raise Ignore()
    job_id, attempt = job.id, job.attempts
    if not _act_for(session, actor_id):
        reason = "the account that started the import is no longer active"
        imports.fail(session, job_id, reason, attempt)
        raise PermissionError(reason)
    actor = session.get(User, actor_id) if actor_id else None
    provinces = None
    if actor is not None and actor.is_officer:
        provinces = actor.province_ids

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    try:
        table = read_table(Path(path).read_bytes())
        resume = imports.resume_point(session, job)
        if resume is not None:
            log.warning("import job %s resumes after %d rows", job_id, resume.rows_read)
        checkpoint = imports.Checkpoint(
            session, job_id, attempt, len(table.rows), len(resume.problems) if resume else 0
        )
        result = import_table(
            session,
            table,
            mapping,
            progress=progress,
            provinces=provinces,
            resume=resume,
            checkpoint=checkpoint,
        )
    except imports.ClaimLost:
        session.rollback()
        log.warning("import job %s was taken over by another run: stopped", job_id)
        raise Ignore() from None
    except OperationalError as exc:
        # The database went away mid-file: the committed rows stay, and so does the
        # job's claim; this worker tries again later from there.
        session.rollback()
        if self.request.retries < IMPORT_RETRIES:
            raise self.retry(exc=exc, countdown=30, max_retries=IMPORT_RETRIES) from None
        _record_failure(session, job_id, attempt, exc)
        raise
    except Exception as exc:
        session.rollback()
        _record_failure(session, job_id, attempt, exc)
        raise
    # The error file is read by the officer who imported: in the language of their account.
    with force_locale(actor.locale if actor is not None and actor.locale else "vi"):
        errors = rejected_rows_csv(table, result, translate)
    Path(path + ".errors.csv").write_bytes(errors)
    summary = {**result.summary(), "upload": Path(path).name}
    imports.finish(session, job_id, attempt, summary)
    notifications.import_finished(session, actor_id, job_id, summary)
    return summary


def _record_failure(session, job_id: str, attempt: int, exc: Exception) -> None:
    from . import imports

    try:
        imports.fail(session, job_id, str(exc), attempt)
    except Exception:
        session.rollback()
        log.exception("could not record the failure of import job %s", job_id)


def queue_import(
    session,
    path: str,
    mapping: dict[str, str] | None,
    actor_id: int | None,
    filename: str | None = None,
) -> str:
    """Record an import job (its checkpoints, and the record its owner and the officers
    of its provinces follow, with the file's name as uploaded) and queue it (in-process
    if eager); return the job's id."""
    from . import imports, records

    job_id = imports.record_import(session, path, mapping, actor_id)
    params = imports.history_params(session, actor_id, filename or Path(path).name)
    records.record(session, actor_id, JobKind.IMPORT, Path(path).name, params=params, job_id=job_id)
    session.commit()
    return dispatch(import_firms, [path, mapping, actor_id], task_id=job_id)
