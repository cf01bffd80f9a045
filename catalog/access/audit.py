"""The audit log: who changed what, written by the session itself, and alerts.

A listener on every flush records each created, changed or deleted firm, capability,
certification, verification, need, user and introduction, with the fields that changed, in the same
transaction as the change. Nothing has to remember to call it: a change that commits is
logged, a change that rolls back is not. The actor comes from ``session.info["actor"]``,
which the web layer sets per request and a job run for a user sets to that user
(``None`` means a background job or a command).

Each entry is filed under the province whose officers read it; a firm that moves to
another province is filed under both, so the province it left sees where it went.

Alerts (``alert``) are the other kind of entry: something refused that the province's
officers should know of (a write outside an officer's provinces, a lock-out). An alert
reports an attempt that is rolled back, so it is written in a transaction of its own.

``describe`` turns entries into what a reader understands: field names in their
language, and names (provinces, zones, concepts, firms) instead of ids.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select
from sqlalchemy.orm import RelationshipProperty, Session, SessionTransaction, scoped_session

from ..i18n import N_, Message
from ..models import (
    AuditEntry,
    Capability,
    Certification,
    ClaimInvitation,
    Concept,
    Deal,
    Firm,
    FirmClaim,
    FormerProvince,
    IndustrialZone,
    Introduction,
    Need,
    Programme,
    Province,
    PurchaseOrder,
    Quote,
    SupplierRating,
    SupportApplication,
    SupportDisbursement,
    SupportLine,
    User,
    Verification,
    utcnow,
)
from ..schemas import field_labels, value_labels

log = logging.getLogger(__name__)

ACTOR = "ketnoi.actor"
# Records whose verification a flush lapses, with the identity fields that lapsed it
# (set by ``catalog.accounts.identity``, read here when the flush is logged).
LAPSED = "ketnoi.lapsed"
_ALERTS = "ketnoi.alerts"
_MOVED = "ketnoi.moved_firms"  # firm id → the province it left, in this transaction
ALERT = "alert"  # the entity of alert entries; their action is the alert's kind
ENTITIES: dict[type, str] = {
    Firm: "firm",
    Capability: "capability",
    Certification: "certification",
    Need: "need",
    User: "user",
    Introduction: "introduction",
    FirmClaim: "firm_claim",
    ClaimInvitation: "claim_invitation",
    Verification: "verification",
    Deal: "deal",
    Quote: "quote",
    PurchaseOrder: "purchase_order",
    SupplierRating: "supplier_rating",
    Programme: "programme",
    SupportLine: "support_line",
    SupportApplication: "support_application",
    SupportDisbursement: "support_payment",
}
# Records of a programme, filed under the programme's province.
PROGRAMME_RECORDS = (Programme, SupportLine, SupportApplication, SupportDisbursement)
# What stays between the two firms of a deal: a quotation's price and notes are not
# for the provinces' officers who read the log (they see the stages, orders and ratings
# as the funnel and the rating pages show them).
PRIVATE: dict[type, frozenset[str]] = {
    Quote: frozenset({"unit_price", "unit_price_vnd", "note", "decline_note"}),
}
# Records of a deal, filed under both firms' provinces.
DEAL_RECORDS = (Deal, Quote, PurchaseOrder, SupplierRating)
# Bookkeeping columns whose changes say nothing about who changed what, and secrets,
# which the log must never hold. A new column is either here or named in
# ``FIELD_LABELS`` (tests/test_write_scope.py checks).
IGNORED = {
    "created_at",
    "updated_at",
    "password_hash",
    "failed_logins",
    "locked_until",
    "last_login_at",
    "demo_key",
    "session_version",
    "totp_secret",
    "totp_last_step",
    "recovery_codes",
    "nonce",  # a claim invitation's link key
}


def set_actor(session: Session, user: User | None) -> None:
    session.info[ACTOR] = (user.id, user.email) if user is not None else None


def acting_user(session: Session) -> User | None:
    """The user the session acts for (``set_actor``), loaded in this session."""
    actor = session.info.get(ACTOR)
    if not actor:
        return None
    with session.no_autoflush:
        return session.get(User, actor[0])


def entity_name(obj: Any) -> str:
    """How the log names a record's kind: "firm", "capability"…"""
    name = ENTITIES.get(type(obj))
    return name or re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # an order's value, exactly
    if hasattr(value, "__table__"):
        identity = inspect(value).identity
        # A record not yet in the database has no id: its name, never its repr.
        return identity[0] if identity and len(identity) == 1 else _label(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _changes(obj: Any, created: bool) -> dict[str, Any]:
    state = inspect(obj)
    changes: dict[str, Any] = {}
    private = PRIVATE.get(type(obj), frozenset())
    for attr in state.mapper.attrs:
        key = attr.key
        if key in IGNORED or key in private or key == "id":
            continue
        if isinstance(attr, RelationshipProperty):
            # A reference's change shows in its column; a list of children (a firm's
            # capabilities) is logged as each child. Only lists of references (a firm's
            # sectors, a need's invited suppliers) are changes of the record itself.
            if not attr.uselist or attr.secondary is None:
                continue
        elif key not in state.mapper.columns:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if isinstance(attr, RelationshipProperty):
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


def _province_ids(session: Session, obj: Any, changes: dict[str, Any]) -> list[int | None]:
    """The provinces an entry is filed under: the record's, and for a firm that moves
    (or whose firm moves), the one it left too, for every change of the transaction."""
    moved = session.info.setdefault(_MOVED, {})
    if isinstance(obj, Firm):
        change = changes.get("province_id")
        if isinstance(change, list) and change[0] is not None and change[0] != obj.province_id:
            moved.setdefault(obj.id, change[0])
    if isinstance(obj, Firm):
        firm_id = obj.id
    elif isinstance(obj, Need | Introduction):
        firm_id = obj.buyer_id
    else:
        firm_id = getattr(obj, "firm_id", None)
    left = moved.get(firm_id)
    provinces = _own_province_ids(session, obj)
    if left is not None and left not in provinces:
        provinces.append(left)
    return provinces


def _own_province_ids(session: Session, obj: Any) -> list[int | None]:
    firm = None
    if isinstance(obj, Firm):
        return [obj.province_id]
    if isinstance(obj, PROGRAMME_RECORDS):
        return [_programme_province(session, obj)]
    if isinstance(obj, DEAL_RECORDS):
        deal = obj if isinstance(obj, Deal) else obj.deal or session.get(Deal, obj.deal_id)
        if deal is None:
            return [None]
        firms = [
            deal.buyer or session.get(Firm, deal.buyer_id),
            deal.supplier or session.get(Firm, deal.supplier_id),
        ]
        return list(dict.fromkeys(f.province_id for f in firms if f is not None)) or [None]
    if isinstance(obj, Capability | Certification | Verification | FirmClaim | ClaimInvitation):
        firm = obj.firm or (session.get(Firm, obj.firm_id) if obj.firm_id else None)
    elif isinstance(obj, Need | Introduction):
        firm = obj.buyer or (session.get(Firm, obj.buyer_id) if obj.buyer_id else None)
    elif isinstance(obj, User):
        if obj.firm is not None:
            return [obj.firm.province_id]
        return [obj.provinces[0].id if obj.provinces else None]
    return [firm.province_id if firm is not None else None]


def _programme_province(session: Session, obj: Any) -> int | None:
    if isinstance(obj, SupportDisbursement):
        obj = obj.application or session.get(SupportApplication, obj.application_id)
    if isinstance(obj, SupportApplication):
        obj = obj.line or session.get(SupportLine, obj.line_id)
    if isinstance(obj, SupportLine):
        obj = obj.programme or session.get(Programme, obj.programme_id)
    return obj.province_id if obj is not None else None


def _label(obj: Any) -> str:
    if isinstance(obj, SupportDisbursement):
        obj = obj.application
    if isinstance(obj, SupportApplication):
        firm = obj.firm.display_name if obj.firm is not None else ""
        return f"{firm} · {obj.line.name if obj.line is not None else ''}"[:200]
    if isinstance(obj, DEAL_RECORDS):
        # The two firms, never the need's title: an officer of the supplier's province
        # may not read the need.
        deal = obj if isinstance(obj, Deal) else obj.deal
        if deal is not None and deal.buyer is not None and deal.supplier is not None:
            return f"{deal.buyer.display_name} → {deal.supplier.display_name}"[:200]
        return ""
    for attr in ("display_name", "title", "standard", "email", "item_label"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)[:200]
    return ""


def _entries(session: Session) -> list[dict[str, Any]]:
    actor = session.info.get(ACTOR)
    lapsed = session.info.pop(LAPSED, {})
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
            if action == "update" and id(obj) in lapsed:
                action_name = "lapse"
                changes["lapsed_by"] = lapsed[id(obj)]
            elif action == "update" and isinstance(obj, Firm) and "verified_at" in changes:
                action_name = "verify" if changes["verified_at"][1] else "unverify"
            elif (
                isinstance(obj, Introduction | FirmClaim)
                and action == "update"
                and "status" in changes
            ):
                action_name = changes["status"][1]
            else:
                action_name = action
            for province_id in _province_ids(session, obj, changes):
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
                        "province_id": province_id,
                        "summary": _label(obj),
                        "changes": changes,
                    }
                )
    return rows


# Alerts --------------------------------------------------------------------------------


def alert(
    session: Session,
    kind: str,
    summary: str,
    province_id: int | Iterable[int] | None = None,
    actor: User | str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """File an alert in the audit log: something refused that officers should see.

    ``kind`` names it ("out_of_scope", "lockout"; at most 20 characters); ``summary``
    is a line of text, or an ``N_()`` message with parameters that the log page shows
    in the reader's language. It is filed under ``province_id`` (one entry per
    province when several are given; None: only admins see it). ``actor`` is a user,
    a label (a client's address), or None for the user the session acts for.
    ``details`` is any JSON-able dict (``target`` and ``target_id`` name the record
    concerned).

    The alert is written in a transaction of its own, so it stays though what it reports
    is rolled back: at once when the session has no transaction in progress, otherwise
    as soon as the session's transaction ends, committed or rolled back (on SQLite a
    second writer would wait for the lock the session itself holds)."""
    if isinstance(session, scoped_session):
        session = session()
    if province_id is None or isinstance(province_id, int):
        provinces: list[int | None] = [province_id]
    else:
        provinces = sorted(set(province_id)) or [None]
    if actor is None:
        acting = session.info.get(ACTOR)
        actor_id, label = (acting[0], acting[1]) if acting else (None, "system")
    elif isinstance(actor, str):
        actor_id, label = None, actor
    else:
        actor_id, label = actor.id, actor.email
    changes = {k: _plain(v) for k, v in (details or {}).items()}
    if isinstance(summary, Message):
        changes["message"] = {
            "msgid": summary.msgid,
            "params": {k: _plain(v) for k, v in summary.params.items()},
        }
    target_id = changes.get("target_id")
    rows = [
        {
            "at": utcnow(),
            "actor_id": actor_id,
            "actor_label": label[:200],
            "action": kind[:20],
            "entity": ALERT,
            "entity_id": target_id if isinstance(target_id, int) else None,
            "province_id": province,
            "summary": str(summary)[:1000],
            "changes": changes,
        }
        for province in provinces
    ]
    session.info.setdefault(_ALERTS, []).extend(rows)
    if not session.in_transaction():
        _write_alerts(session)


def _write_alerts(session: Session) -> None:
    rows = session.info.pop(_ALERTS, [])
    if not rows:
        return
    bind = session.get_bind(mapper=inspect(AuditEntry))
    engine = bind.engine if isinstance(bind, Connection) else bind
    try:
        with engine.begin() as connection:
            connection.execute(insert(AuditEntry), rows)
    except Exception:  # the refusal stands; only its record is lost
        log.exception("could not write %d audit alerts: %s", len(rows), rows)


def track_changes(target: object) -> None:
    """Register the audit listeners on ``target`` (a Session class, sessionmaker or
    scoped session), once."""
    if id(target) in _REGISTERED:
        return

    @event.listens_for(target, "after_flush")
    def _record(session: Session, _ctx: object) -> None:
        rows = _entries(session)
        if rows:
            session.connection().execute(insert(AuditEntry), rows)

    @event.listens_for(target, "after_transaction_end")
    def _transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None or transaction.nested:
            return
        session.info.pop(_MOVED, None)
        if session.info.get(_ALERTS):
            _write_alerts(session)

    _REGISTERED.add(id(target))


_REGISTERED: set[int] = set()


def entries_query(province_ids: set[int] | None, alerts: bool | None = None):
    """Newest first; ``province_ids`` None means every province (admins). ``alerts``
    True keeps only alerts, False only changes."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if province_ids is not None:
        query = query.where(AuditEntry.province_id.in_(province_ids or {-1}))
    if alerts is True:
        query = query.where(AuditEntry.entity == ALERT)
    elif alerts is False:
        query = query.where(AuditEntry.entity != ALERT)
    return query


# Reading the log -----------------------------------------------------------------------

ENTITY_LABELS = {
    "firm": N_("Firm"),
    "capability": N_("Capability"),
    "certification": N_("Certification"),
    "need": N_("Need"),
    "user": N_("User"),
    "introduction": N_("Introduction"),
    "verification": N_("Verification"),
    "evidence_file": N_("Evidence"),
    "need_photo": N_("Photo"),
    "shortlist_entry": N_("Shortlist"),
    "supply_relationship": N_("Supply relationship"),
    "event": N_("Event"),
    "registration": N_("Registration"),
    "meeting_request": N_("Meeting request"),
    "meeting": N_("Meeting"),
    "import": N_("Import"),
    "deal": N_("Deal with a supplier"),
    "quote": N_("Quotation"),
    "purchase_order": N_("Purchase order"),
    "supplier_rating": N_("Supplier rating"),
    "programme": N_("Support programme"),
    "support_line": N_("Support line"),
    "support_application": N_("Support application"),
    "support_payment": N_("Support payment"),
    "firm_claim": N_("Claim on a firm"),
    "claim_invitation": N_("Invitation to claim a firm"),
    ALERT: N_("Alert"),
}
ACTION_LABELS = {
    "create": N_("New record"),
    "update": N_("Changed"),
    "delete": N_("Deleted"),
    "verify": N_("Verified"),
    "unverify": N_("Verification withdrawn"),
    "lapse": N_("Verification lapsed"),
    "requested": N_("Waiting for the supplier"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
ALERT_KINDS = {
    "out_of_scope": N_("Refused: outside the actor's provinces"),
    "lockout": N_("Account locked"),
}
# The fields of firms, capabilities, certifications and needs are named as their schemas
# declare them (``DECLARED_LABELS``); these name the other records' columns, and a column
# any record has when its schema does not name it.
FIELD_LABELS = {
    "dismissed_terms": N_("Removed requirements read from the text"),
    "former_province_id": N_("Former province"),
    "description": N_("Description"),
    "verified_at": N_("Verified by the province"),
    "verified_by_id": N_("Verified by"),
    "firm_id": N_("Firm"),
    "title": N_("Title"),
    "language": N_("Language"),
    "buyer_id": N_("Buyer"),
    "status": N_("Status"),
    "invited": N_("Invited suppliers"),
    "capability_id": N_("Capability"),
    "certification_id": N_("Certification"),
    "method": N_("Method"),
    "result": N_("Result"),
    "checked_on": N_("Checked on"),
    "officer_id": N_("Officer"),
    "note": N_("Note"),
    "expiry_notice_on": N_("Expiry notice sent on"),
    "email": N_("E-mail"),
    "name": N_("Name"),
    "locale": N_("Language"),
    "active": N_("Active account"),
    "password_changed_at": N_("Password changed on"),
    "totp_enabled_at": N_("Two-factor sign-in since"),
    "provinces": N_("Provinces"),
    "need_id": N_("Need"),
    "supplier_id": N_("Supplier"),
    "message": N_("Message"),
    "requested_by_id": N_("Requested by"),
    "decided_by_id": N_("Decided by"),
    "decided_at": N_("Decided on"),
    "lapsed_by": N_("Lapsed by a change of"),
    "fields": N_("Fields"),
    "request": N_("Request"),
    "rows": N_("Rows"),
    "failures": N_("Failed attempts"),
    "account": N_("An account uses this address"),
    "client": N_("Connection"),
    "user_id": N_("User"),
    "reason": N_("Reason"),
    "removed_users": N_("Users removed"),
    "mail_mode": N_("Notification e-mails"),
    "consent_by": N_("Consent given by"),
    "consent_at": N_("Consent given on"),
    "consent_method": N_("Consent given"),
    "consent_note": N_("Note on the consent"),
    "created_by_id": N_("Invited by"),
    "introduction_id": N_("Introduction request"),
    "despite_users": N_("Confirmed though the firm has users"),
    "expires_at": N_("Expires on"),
    "used_at": N_("Used on"),
    # deals (``catalog.deals``): what the funnel and the rating pages show
    "stage": N_("Stage"),
    "stage_on": N_("Date of the stage"),
    "started_by": N_("Started by"),
    "closed_reason": N_("Closing reason"),
    "match_score": N_("Match score"),
    "officers_asked_at": N_("Officers asked in on"),
    "officers_asked_by_id": N_("Officers asked in by"),
    "deal_id": N_("Deal with a supplier"),
    "request_id": N_("Request for quotation"),
    "currency": N_("Currency"),
    "decline_reason": N_("Reason for declining"),
    "author_id": N_("Written by"),
    "ordered_on": N_("Ordered on"),
    "reference": N_("Reference"),
    "value": N_("Value"),
    "value_vnd": N_("Value in VND"),
    "part_families": N_("Part families"),
    "quality": N_("Quality"),
    "on_time": N_("On-time delivery"),
    "communication": N_("Communication"),
    "ppm": N_("Defects (ppm)"),
    "on_time_pct": N_("On-time deliveries in percent"),
    "comment": N_("Comment"),
    "rated_by_id": N_("Rated by"),
    # support programmes (``catalog.programmes``)
    "start_year": N_("First year"),
    "end_year": N_("Last year"),
    "legal_basis": N_("Legal basis"),
    "kind": N_("Kind of support"),
    "share_pct": N_("Share of the cost paid (%)"),
    "ceiling_vnd": N_("Most paid per firm (VND)"),
    "standards": N_("Certifications it helps obtain"),
    "sizes": N_("Firm sizes"),
    "processes": N_("Processes"),
    "programme_id": N_("Support programme"),
    "line_id": N_("Support line"),
    "application_id": N_("Support application"),
    "purpose": N_("What the support is for"),
    "gap": N_("Gap it closes"),
    "cost_vnd": N_("Cost (VND)"),
    "requested_vnd": N_("Amount requested (VND)"),
    "approved_vnd": N_("Amount approved (VND)"),
    "applied_by_id": N_("Applied by"),
    "applied_on": N_("Applied on"),
    "score": N_("Assessment score"),
    "criteria": N_("Assessment criteria"),
    "comments": N_("Comments"),
    "reject_reason": N_("Reason for rejecting"),
    "decided_on": N_("Decided on"),
    "completed_on": N_("Completed on"),
    "result_note": N_("Result"),
    "workers_trained": N_("Workers trained"),
    "event_id": N_("Event"),
    "source": N_("Funding source"),
    "paid_on": N_("Paid on"),
    "amount_vnd": N_("Amount (VND)"),
    "recorded_by_id": N_("Recorded by"),
}
_ENUMS = {
    "method": {"documents": N_("Document check"), "site_visit": N_("Site visit")},
    "result": {
        "confirmed": N_("Confirmed"),
        "partly": N_("Partly confirmed"),
        "not_confirmed": N_("Not confirmed"),
    },
}


def _deal_and_support_value_labels() -> dict[tuple[str, str], dict[str, str]]:
    """A deal's stages, closing reasons and sides, a quotation's status, a support
    line's kind and an application's status and payments' sources, as their pages name
    them (imported here: ``catalog.deals`` and ``catalog.programmes`` read
    ``catalog.access``)."""
    from ..deals.pipeline import CLOSE_REASON_LABELS, STAGE_LABELS
    from ..deals.quotes import STATUS_LABELS

    stages = {s.value: label for s, label in STAGE_LABELS.items()}
    reasons = {r.value: label for r, label in CLOSE_REASON_LABELS.items()}
    sides = {"buyer": N_("Buyer"), "supplier": N_("Supplier"), "officer": N_("Officer")}
    from ..programmes import KIND_LABELS, SOURCE_LABELS
    from ..programmes import STATUS_LABELS as SUPPORT_STATUS

    return {
        ("support_line", "kind"): {k.value: label for k, label in KIND_LABELS.items()},
        ("support_application", "status"): {k.value: label for k, label in SUPPORT_STATUS.items()},
        ("support_payment", "source"): {k.value: label for k, label in SOURCE_LABELS.items()},
        ("support_application", "source"): {
            "application": N_("Applied by the firm"),
            "recorded": N_("Recorded by an officer"),
        },
        ("deal", "stage"): stages,
        ("deal", "closed_reason"): reasons,
        ("deal", "started_by"): sides,
        ("quote", "status"): {s.value: label for s, label in STATUS_LABELS.items()},
        ("quote", "decline_reason"): reasons,
    }


VALUE_LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("user", "role"): {
        "member": N_("Firm user"),
        "officer": N_("Provincial officer"),
        "admin": N_("Administrator"),
    },
    ("introduction", "status"): {
        "requested": N_("Waiting for the supplier"),
        "accepted": N_("Accepted"),
        "declined": N_("Declined"),
    },
    ("introduction", "consent_method"): {
        "phone": N_("by phone"),
        "email": N_("by e-mail"),
        "in_person": N_("in person"),
        "event": N_("at an event"),
    },
    ("firm_claim", "status"): {
        "requested": N_("Waiting for a decision"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
    },
    **{(e, f): labels for f, labels in _ENUMS.items() for e in ENTITY_LABELS},
    **_deal_and_support_value_labels(),
    **value_labels(),  # a firm's role, a need's status … as their schemas declare them
}
DECLARED_LABELS = {
    **field_labels(),
    # one column name, two meanings
    ("support_application", "source"): N_("How it was recorded"),
}
# A column's label in any record's schema; a firm's first (the fields an alert names).
_BY_COLUMN = {column: label for (_, column), label in reversed(DECLARED_LABELS.items())}


def field_label(entity: str, field: str) -> str:
    """How the log names a record's field (a msgid): as its schema declares it, else
    ``FIELD_LABELS``, else as another record's schema names that column, else the
    column's own name."""
    return (
        DECLARED_LABELS.get((entity, field))
        or FIELD_LABELS.get(field)
        or _BY_COLUMN.get(field, field)
    )


# Fields holding ids of other records: shown by the record's name.
REFERENCES: dict[str, type] = {
    "province_id": Province,
    "former_province_id": FormerProvince,
    "delivery_province_id": Province,
    "provinces": Province,
    "zone_id": IndustrialZone,
    "process_id": Concept,
    "sectors": Concept,
    "materials": Concept,
    "firm_id": Firm,
    "buyer_id": Firm,
    "supplier_id": Firm,
    "invited": Firm,
    "verified_by_id": User,
    "officer_id": User,
    "requested_by_id": User,
    "decided_by_id": User,
    "created_by_id": User,
    "user_id": User,
    "officers_asked_by_id": User,
    "author_id": User,
    "rated_by_id": User,
    "applied_by_id": User,
    "recorded_by_id": User,
    "processes": Concept,
    "part_families": Concept,
    "need_id": Need,
    "capability_id": Capability,
    "certification_id": Certification,
}
# Lists of children logged as entries of their own (older entries recorded them).
_NOT_SHOWN = {"capabilities", "certifications", "verifications", "evidence", "photos", "shortlist"}


@dataclass
class Shown:
    """One line of an entry as the log page shows it: ``old`` is None for a value set
    on creation, a list's additions and removals, or an alert's detail."""

    label: str
    old: str | None
    new: str


def _name(record: Any, lang: str) -> str:
    """A referenced record's name in the reader's language (a province, zone, concept
    or firm), else what names it (a user's e-mail, a need's title)."""
    if hasattr(record, "name_vi"):
        first, second = record.name_vi, record.name_en
        return ((first if lang == "vi" else second) or first or second or "")[:200]
    return _label(record)


def _scalars(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):  # a list's {"added": …, "removed": …}
        for side in value.values():
            yield from _scalars(side)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    elif value is not None and not isinstance(value, bool):
        yield value


class _Names:
    """Names of referenced records, loaded with one query per kind for a page."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session, self.lang = session, lang
        self.wanted: dict[type, set[Any]] = {}
        self.names: dict[tuple[type, Any], str] = {}

    def want(self, field: str, value: Any) -> None:
        model = REFERENCES.get(field)
        if model is not None:
            self.wanted.setdefault(model, set()).update(_key(model, v) for v in _scalars(value))

    def load(self) -> None:
        for model, keys in self.wanted.items():
            keys.discard(None)
            for record in self.session.scalars(select(model).where(model.id.in_(keys))):
                self.names[(model, record.id)] = _name(record, self.lang)

    def of(self, field: str, value: Any) -> str:
        model = REFERENCES[field]
        key = _key(model, value)
        if key is None:
            return str(value)  # an older entry's label of a record not yet saved
        return self.names.get((model, key), f"#{value}")


def _key(model: type, value: Any) -> Any:
    """A reference's key as its table has it (concepts are named by strings)."""
    if model is Concept:
        return str(value)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    return None


def _value(
    entity: str, field: str, value: Any, names: _Names, translate: Callable[[Any], str]
) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return translate(N_("Yes") if value else N_("No"))
    if isinstance(value, dict):  # a record as a claim keeps it: {"id": …, "email": …}
        return str(value.get("email") or value.get("name") or value.get("id") or "—")
    if isinstance(value, list):
        return ", ".join(_value(entity, field, v, names, translate) for v in value)
    if field in REFERENCES:
        return names.of(field, value)
    labels = VALUE_LABELS.get((entity, field))
    if labels and str(value) in labels:
        return translate(labels[str(value)])
    if field in {"lapsed_by", "fields"}:
        return translate(field_label(entity, str(value)))
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d.*", value):
        return value[:16].replace("T", " ")  # a moment, to the minute
    return str(value)


def describe(
    session: Session, entries: Iterable[AuditEntry], lang: str, translate: Callable[[Any], str]
) -> dict[int, list[Shown]]:
    """Each entry's changes as lines a reader understands: field names in their
    language, old → new values with names instead of ids. ``translate`` turns a msgid
    (``N_``) into the reader's language."""
    entries = list(entries)
    names = _Names(session, lang)
    for entry in entries:
        for field, change in (entry.changes or {}).items():
            if isinstance(change, list) and len(change) == 2 and entry.entity != ALERT:
                for v in change:
                    names.want(field, v)
            else:
                names.want(field, change)
    names.load()
    shown: dict[int, list[Shown]] = {}
    for entry in entries:
        lines = []
        for field, change in (entry.changes or {}).items():
            if field in _NOT_SHOWN or field in {"message", "target", "target_id"}:
                continue
            label = translate(field_label(entry.entity, field))
            if field == "attempt":
                shown_value = translate(ACTION_LABELS.get(str(change), str(change)))
                lines.append(Shown(translate(N_("Attempted")), None, shown_value))
            elif entry.entity == ALERT or field == "lapsed_by":
                lines.append(
                    Shown(label, None, _value(entry.entity, field, change, names, translate))
                )
            elif isinstance(change, dict):
                added = _value(entry.entity, field, change.get("added") or [], names, translate)
                removed = _value(entry.entity, field, change.get("removed") or [], names, translate)
                parts = ([f"+ {added}"] if change.get("added") else []) + (
                    [f"− {removed}"] if change.get("removed") else []
                )
                lines.append(Shown(label, None, " · ".join(parts) or "—"))
            elif isinstance(change, list) and len(change) == 2 and entry.action != "create":
                old, new = (_value(entry.entity, field, v, names, translate) for v in change)
                lines.append(Shown(label, old, new))
            else:
                shown_value = _value(entry.entity, field, change, names, translate)
                lines.append(Shown(label, None, shown_value))
        shown[entry.id] = lines
    return shown


def alert_message(entry: AuditEntry, translate: Callable[[Any], str]) -> str:
    """What an alert says, in the reader's language: its kind, or its own message."""
    message = (entry.changes or {}).get("message")
    if isinstance(message, dict) and message.get("msgid"):
        return translate(Message(message["msgid"], message.get("params") or {}))
    if entry.action in ALERT_KINDS:
        return translate(ALERT_KINDS[entry.action])
    return entry.summary
