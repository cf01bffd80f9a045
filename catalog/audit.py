"""The audit log: who changed what, written by the session itself.

A listener on every flush records each created, changed or deleted firm, capability,
certification, verification, need, user and introduction, with the fields that changed, in the same
transaction as the change. Nothing has to remember to call it: a change that commits is
logged, a change that rolls back is not. The actor comes from ``session.info["actor"]``,
which the web layer sets per request (``None`` means a background job or a command).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from .models import (
    AuditEntry,
    Capability,
    Certification,
    Firm,
    Introduction,
    Need,
    User,
    Verification,
    utcnow,
)

ACTOR = "ketnoi.actor"
ENTITIES: dict[type, str] = {
    Firm: "firm",
    Capability: "capability",
    Certification: "certification",
    Need: "need",
    User: "user",
    Introduction: "introduction",
    Verification: "verification",
}
# Bookkeeping columns whose changes say nothing about who changed what.
IGNORED = {
    "created_at",
    "updated_at",
    "password_hash",
    "failed_logins",
    "locked_until",
    "last_login_at",
    "demo_key",
}


def set_actor(session: Session, user: User | None) -> None:
    session.info[ACTOR] = (user.id, user.email) if user is not None else None


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__table__"):
        identity = inspect(value).identity
        return identity[0] if identity and len(identity) == 1 else str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _changes(obj: Any, created: bool) -> dict[str, Any]:
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in IGNORED or key == "id":
            continue
        is_collection = getattr(attr, "uselist", False)
        if not is_collection and attr.key not in state.mapper.columns:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if is_collection:
            changes[key] = {
                "added": _plain(list(history.added)),
                "removed": _plain(list(history.deleted)),
            }
        elif created:
            if history.added and history.added[0] not in (None, "", [], {}):
                changes[key] = _plain(history.added[0])
        else:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
    return changes


def _province_id(session: Session, obj: Any) -> int | None:
    firm = None
    if isinstance(obj, Firm):
        return obj.province_id
    if isinstance(obj, Capability | Certification | Verification):
        firm = obj.firm or (session.get(Firm, obj.firm_id) if obj.firm_id else None)
    elif isinstance(obj, Need | Introduction):
        firm = obj.buyer or (session.get(Firm, obj.buyer_id) if obj.buyer_id else None)
    elif isinstance(obj, User):
        if obj.firm is not None:
            return obj.firm.province_id
        return obj.provinces[0].id if obj.provinces else None
    return firm.province_id if firm is not None else None


def _label(obj: Any) -> str:
    for attr in ("display_name", "title", "standard", "email", "item_label"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)[:200]
    return ""


def _entries(session: Session) -> list[dict[str, Any]]:
    actor = session.info.get(ACTOR)
    rows = []
    groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    for action, objects in groups:
        for obj in objects:
            entity = ENTITIES.get(type(obj))
            if entity is None:
                continue
            if action == "delete":
                changes: dict[str, Any] = {}
            else:
                changes = _changes(obj, created=action == "create")
                if action == "update" and not changes:
                    continue
            if action == "update" and isinstance(obj, Firm) and "verified_at" in changes:
                action_name = "verify" if changes["verified_at"][1] else "unverify"
            elif isinstance(obj, Introduction) and action == "update" and "status" in changes:
                action_name = changes["status"][1]
            else:
                action_name = action
            rows.append(
                {
                    "at": utcnow(),
                    "actor_id": actor[0] if actor else None,
                    "actor_label": actor[1] if actor else "system",
                    "action": action_name,
                    "entity": entity,
                    # The new row's key is set by now, but its identity only after
                    # the flush: read the column.
                    "entity_id": obj.id,
                    "province_id": _province_id(session, obj),
                    "summary": _label(obj),
                    "changes": changes,
                }
            )
    return rows


def track_changes(target: object) -> None:
    """Register the audit listener on ``target`` (a Session class, sessionmaker or
    scoped session), once."""
    if id(target) in _REGISTERED:
        return

    @event.listens_for(target, "after_flush")
    def _record(session: Session, _ctx: object) -> None:
        rows = _entries(session)
        if rows:
            session.connection().execute(insert(AuditEntry), rows)

    _REGISTERED.add(id(target))


_REGISTERED: set[int] = set()


def entries_query(province_ids: set[int] | None):
    """Newest first; ``province_ids`` None means every province (admins)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if province_ids is not None:
        query = query.where(AuditEntry.province_id.in_(province_ids or {-1}))
    return query
