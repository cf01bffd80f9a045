"""A firm's identity is what its verification vouches for: changing it lapses the badges.

An officer's "verified by the province" (``Firm.verified_at``) and the checks of its
capabilities and certificates (``Verification``: the badges on the firm page, in the
directory and on match cards) were made of a firm with a given name, tax code and
province. A firm that renames itself, takes another tax code or moves must not keep
them: a verified profile could otherwise be turned into someone else's. So when a
flush changes one of those fields, the firm's verification is withdrawn and its
standing checks lapse (valid until yesterday: every badge, score bonus and expiry
notice reads that date), and the audit log says why (action "lapse").

The exception is a change made by an officer who could verify the firm again at once
(of its province, of both provinces for a move) or an admin: they vouch for it.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import access
from ..access.audit import LAPSED, acting_user
from ..access.scope import committed, province_now
from ..models import Firm

IDENTITY = ("name_vi", "name_en", "tax_code", "province_id")


def identity_changes(session: Session, firm: Firm) -> list[str]:
    """The identity fields this flush changes on a firm already in the database."""
    changed = []
    for field in IDENTITY:
        now = province_now(firm) if field == "province_id" else getattr(firm, field)
        if now != committed(session, firm, field):
            changed.append(field)
    return changed


def _lapse(session: Session, _context: object, _instances: object) -> None:
    marks: dict[int, list[str]] = {}
    today = date.today()
    with session.no_autoflush:
        user = None
        for firm in list(session.dirty):
            if not isinstance(firm, Firm) or firm in session.deleted:
                continue
            changed = identity_changes(session, firm)
            if not changed:
                continue
            user = user or acting_user(session)
            old_province = committed(session, firm, "province_id")
            if user is not None and access.move_firm(user, old_province, province_now(firm)):
                continue  # an officer who could verify it again vouches for the change
            if firm.verified_at is not None:
                firm.verified_at = None
                firm.verified_by_id = None
                marks[id(firm)] = changed
            for check in firm.current_checks(today).values():
                check.valid_until = today - timedelta(days=1)
                marks[id(check)] = changed
    # Read (and dropped) by the audit listener after this flush.
    if marks:
        session.info[LAPSED] = marks
    else:
        session.info.pop(LAPSED, None)


def lapse_on_identity_change(target: object) -> None:
    """Register the listener on ``target`` (a Session class, sessionmaker or scoped
    session), once: app factories called again (tests) must not add it twice."""
    if not event.contains(target, "before_flush", _lapse):
        event.listen(target, "before_flush", _lapse)
