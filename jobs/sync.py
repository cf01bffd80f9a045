"""Keep the search index in step with the database: one mechanism, after commit.

The firms whose firm row, capabilities or certifications a flush touched are collected
(``firm_ids``), and after the transaction commits one re-index task is queued for them:
the "reindex" entry of the after-commit table (``jobs.after_commit``). Nothing is
queued for a rolled-back transaction, and views never call the index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from sqlalchemy.orm import Session

from catalog.models import Capability, Certification, Firm

PAUSED = "ketnoi.index_sync_paused"


def firm_ids(objects: Iterable[object]) -> set[int]:
    """The firms whose indexed text these objects are part of."""
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Firm) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Capability | Certification):
            firm_id = obj.firm_id if obj.firm_id is not None else getattr(obj.firm, "id", None)
            if firm_id is not None:
                ids.add(firm_id)
    return ids


@contextlib.contextmanager
def index_sync_paused(session: Session) -> Iterator[None]:
    """For bulk loads that rebuild the whole index afterwards anyway: their commits
    queue no re-index (``jobs.after_commit`` skips its pausable entries meanwhile)."""
    from .after_commit import forget

    session.info[PAUSED] = True
    try:
        yield
    finally:
        session.info.pop(PAUSED, None)
        forget(session, "reindex")  # flushed while paused, committed after: rebuilt anyway
