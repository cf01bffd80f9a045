"""Keep the search index in step with the database: one mechanism, after commit.

Session events collect the firms whose firm row, capabilities or certifications a
flush touched; after the transaction commits, one re-index task is queued for them.
Nothing is queued for a rolled-back transaction, and views never call the index.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from catalog.models import Capability, Certification, Firm

log = logging.getLogger(__name__)

_PENDING = "ketnoi.reindex_firms"
_PAUSED = "ketnoi.index_sync_paused"


def _firm_ids(objects: Iterable[object]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Firm) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Capability | Certification):
            firm_id = obj.firm_id if obj.firm_id is not None else getattr(obj.firm, "id", None)
            if firm_id is not None:
                ids.add(firm_id)
    return ids


def keep_index_in_step(target: object, enqueue: Callable[[list[int]], None]) -> None:
    """Register the listeners on ``target`` (a Session class, sessionmaker or scoped
    session), once: app factories called again (tests) must not queue twice."""
    if id(target) in _REGISTERED:
        return

    @event.listens_for(target, "after_flush")
    def _collect(session: Session, _ctx: object) -> None:
        touched = _firm_ids([*session.new, *session.dirty, *session.deleted])
        if touched:
            session.info.setdefault(_PENDING, set()).update(touched)

    @event.listens_for(target, "after_commit")
    def _enqueue(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released (an import row): wait for the real commit
        firm_ids = session.info.pop(_PENDING, set())
        if firm_ids and not session.info.get(_PAUSED):
            try:
                enqueue(sorted(firm_ids))
            except Exception:  # the commit stands; the worker's start-up check repairs
                log.exception("could not queue re-index of firms %s", sorted(firm_ids))

    @event.listens_for(target, "after_soft_rollback")
    def _forget(session: Session, previous: SessionTransaction) -> None:
        # A savepoint rolled back (one bad row of an import) keeps what the rest of the
        # transaction touched; only the whole transaction's rollback forgets it.
        if not previous.nested:
            session.info.pop(_PENDING, None)

    _REGISTERED.add(id(target))


_REGISTERED: set[int] = set()


@contextlib.contextmanager
def index_sync_paused(session: Session) -> Iterator[None]:
    """For bulk loads that rebuild the whole index afterwards anyway."""
    session.info[_PAUSED] = True
    try:
        yield
    finally:
        session.info.pop(_PAUSED, None)
        session.info.pop(_PENDING, None)
