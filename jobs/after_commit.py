"""What a commit sets off in the background, declared in one table (``side_effects``).

Each entry picks, from the objects a flush created, changed or deleted, the keys it
concerns (the firms to re-index, the judgements to learn from); once the whole
transaction commits, the entry's task is queued with them. A transaction rolled back
queues nothing, a savepoint released waits for the real commit, and a savepoint rolled
back (one bad row of an import) forgets what was flushed within it, not what the rest of
the transaction did. Views and services never queue these tasks themselves: saving is
enough, in a request or in a job (the listeners are on the one session both use).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from catalog.models import MatchJudgement

from .sync import PAUSED, firm_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AfterCommit:
    """One side effect of a commit.

    ``collect(new, touched)`` returns the keys a flush concerns (``new``: the objects
    it created; ``touched``: those it created, changed or deleted); ``queue`` gets them,
    sorted, after the commit. ``pausable`` entries are skipped while a bulk load pauses
    them (``jobs.sync.index_sync_paused``)."""

    name: str
    collect: Callable[[list[object], list[object]], set[Any]]
    queue: Callable[[list[Any]], None]
    pausable: bool = False


def new_judgements(new: list[object], _touched: list[object]) -> set[int]:
    """Judgements recorded (a shortlist, an outcome, an introduction, a meeting's
    outcome), whichever service or job recorded them."""
    return {o.id for o in new if isinstance(o, MatchJudgement) and o.id is not None}


def side_effects() -> tuple[AfterCommit, ...]:
    """The table: a firm's record changed → re-index it; a judgement recorded → ask
    the reranker whether it is due for training."""
    from .notifications import new_notifications, queue_notification_mails
    from .tasks import queue_reindex, queue_retraining

    return (
        AfterCommit("reindex", lambda _new, touched: firm_ids(touched), queue_reindex, True),
        AfterCommit("retrain", new_judgements, queue_retraining),
        # A notification filed → mail it to whoever chose immediate mails.
        AfterCommit("notify", new_notifications, queue_notification_mails),
    )


_PENDING = "ketnoi.after_commit"


def run_after_commit(target: object, entries: Iterable[AfterCommit]) -> None:
    """Register the listeners on ``target`` (a Session class, sessionmaker or scoped
    session), once: app factories called again (tests) must not queue twice.

    What each flush collected is kept with the savepoints open at the time, so that a
    savepoint rolled back drops exactly what was flushed inside it."""
    if id(target) in _REGISTERED:
        return
    entries = tuple(entries)

    @event.listens_for(target, "after_flush")
    def _collect(session: Session, _ctx: object) -> None:
        new = list(session.new)
        touched = [*new, *session.dirty, *session.deleted]
        found = {entry.name: entry.collect(new, touched) for entry in entries}
        found = {name: keys for name, keys in found.items() if keys}
        if found:
            savepoints = []
            transaction = session.get_nested_transaction()
            while transaction is not None:
                if transaction.nested:
                    savepoints.append(transaction)
                transaction = transaction.parent
            session.info.setdefault(_PENDING, []).append((tuple(savepoints), found))

    @event.listens_for(target, "after_commit")
    def _queue(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released (an import row): wait for the real commit
        pending = session.info.pop(_PENDING, [])
        paused = session.info.get(PAUSED)
        for entry in entries:
            keys = set().union(*(found.get(entry.name, ()) for _sp, found in pending))
            if not keys or (paused and entry.pausable):
                continue
            try:
                entry.queue(sorted(keys))
            except Exception:  # the commit stands; the periodic checks catch up
                log.exception("could not queue %s after commit for %s", entry.name, sorted(keys))

    @event.listens_for(target, "after_soft_rollback")
    def _forget(session: Session, previous: SessionTransaction) -> None:
        if not previous.nested:  # the whole transaction: nothing of it happened
            session.info.pop(_PENDING, None)
            return
        # A savepoint rolled back (one bad row of an import): only what was flushed
        # within it is forgotten.
        pending = session.info.get(_PENDING)
        if pending:
            kept = [(sp, found) for sp, found in pending if not any(t is previous for t in sp)]
            session.info[_PENDING] = kept


_REGISTERED: set[int] = set()


def forget(session: Session, name: str) -> None:
    """Drop what the session collected so far for the entry ``name``."""
    for _savepoints, found in session.info.get(_PENDING, []):
        found.pop(name, None)
