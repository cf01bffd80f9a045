"""A firm's ``updated_at`` moves with anything it declares, not only its own row.

Capabilities (and their materials), certifications, officers' checks and the firm's
sectors belong to a firm's profile: a buyer sees them on the firm's card and matching
scores them. When a flush adds, changes or deletes one of them, the owning firm is
stamped too, in the same transaction. One indexed column then tells any process whether a copy of a
firm's profile it keeps is still the one in the database (``matching.firm_cache``),
and the directory's "updated" date means what a reader takes it to mean.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .base import utcnow
from .firms import Capability, Certification, Firm
from .verification import Verification

OWNED = (Capability, Certification, Verification)


def _owner(session: Session, obj: Capability | Certification | Verification) -> Firm | None:
    firm = obj.__dict__.get("firm")
    if firm is None and obj.firm_id is not None:
        firm = session.get(Firm, obj.firm_id)  # from the identity map when loaded
    return firm


@event.listens_for(Session, "before_flush")
def _stamp_owning_firms(session: Session, _context: object, _instances: object) -> None:
    owners: dict[int, Firm] = {}
    with session.no_autoflush:
        for obj in chain(session.new, session.dirty, session.deleted):
            if isinstance(obj, OWNED):
                firm = _owner(session, obj)
                if firm is not None:
                    owners[id(firm)] = firm
        for obj in session.dirty:  # its sectors: rows of a link table, no UPDATE of it
            if isinstance(obj, Firm) and inspect(obj).attrs.sectors.history.has_changes():
                owners[id(obj)] = obj
    now = utcnow()
    for firm in owners.values():
        if firm not in session.new and firm not in session.deleted:
            firm.updated_at = now
