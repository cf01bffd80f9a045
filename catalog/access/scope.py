"""The scope of writes: who may change what, enforced where data is written.

Views check ``catalog.access`` before they act, but a rule checked only in views is one
that a background job (a survey import, a schedule run for an officer) or the next
route can forget. So the session checks it too: before every flush of a session with an
acting user (``catalog.access.audit.set_actor``: every web request, and every job run on a
user's behalf), each new, changed or deleted record that belongs to a firm is held
against the same rules: the actor must be allowed to edit that firm (one of its users,
an officer of its province, an admin). A firm moving to another province needs an
officer of both provinces (or an admin), so that its own users cannot take it out of
its officers' sight. Event records need the event's organisers or the firm they are
about. A session without an actor (commands, scheduled jobs) is not checked.

A refusal raises ``catalog.access.OutOfScope`` before anything of the flush is
written, and files an alert in the audit log under the provinces concerned, so that
their officers see who tried (``catalog.access.audit.alert``: it is written in its own
transaction and stays though the refused change is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from .. import access
from ..i18n import N_
from ..models import (
    ApplicationStatus,
    Capability,
    Certification,
    Deal,
    DealFile,
    DealMessage,
    DealStep,
    Event,
    EvidenceFile,
    Firm,
    Introduction,
    Meeting,
    MeetingRequest,
    Need,
    NeedPhoto,
    Programme,
    PurchaseOrder,
    Quote,
    QuoteRequest,
    QuoteRequestRecipient,
    Registration,
    ShortlistEntry,
    SupplierRating,
    SupplyRelationship,
    SupportApplication,
    SupportBudget,
    SupportDisbursement,
    SupportFile,
    SupportLine,
    SupportTarget,
    User,
    UserRole,
    Verification,
)
from . import OutOfScope
from .audit import ACTOR, IGNORED, acting_user, alert, entity_name
from .visibility import ALL_NEEDS

OUT_OF_SCOPE = "out_of_scope"  # the alert's kind
UNFILTERED = {ALL_NEEDS: True}  # the guard's reads are not limited to what the user may read
REFUSED = N_(
    "This change concerns a firm or province outside your responsibility: it was refused, "
    "and the province's officers were alerted."
)

# Collections that list a record's children: a child added or removed is checked as
# itself, so a parent whose only change is such a list is not checked for it.
CHILDREN = {
    "capabilities",
    "certifications",
    "verifications",
    "evidence",
    "photos",
    "shortlist",
    "registrations",
    "meetings",
}


def _changed_keys(obj: Any) -> set[str]:
    """The attributes of a persistent record this flush changes, bookkeeping aside."""
    state = inspect(obj)
    keys = set()
    for attr in state.mapper.attrs:
        if attr.key in IGNORED or attr.key in CHILDREN:
            continue
        if state.attrs[attr.key].history.has_changes():
            keys.add(attr.key)
    return keys


def committed(session: Session, obj: Any, key: str) -> Any:
    """A column's value as the database has it (before this flush). An attribute set
    without having been loaded keeps no old value: it is read from the database."""
    state = inspect(obj)
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if not history.added:
        return getattr(obj, key)
    if state.key is None:
        return None
    mapper = state.mapper
    query = select(getattr(mapper.class_, key))
    for column, value in zip(mapper.primary_key, state.key[1], strict=True):
        query = query.where(column == value)
    return session.execute(query, execution_options=UNFILTERED).scalar_one_or_none()


def _get(session: Session, model: type, key: Any) -> Any:
    """A record by id, whoever reads: the guard must see every need, not the reader's."""
    return session.get(model, key, execution_options=UNFILTERED) if key is not None else None


def _now(obj: Any, rel: str, fk: str, model: type, session: Session) -> Any:
    """What ``obj`` refers to now through ``rel`` or its column ``fk``: the object set on
    the relationship when it was (the column follows only at the flush), else the row
    the column names."""
    state = inspect(obj)
    if rel not in state.mapper.relationships:
        key = getattr(obj, fk)
        return _get(session, model, key)
    if rel in state.dict and state.attrs[rel].history.has_changes():
        return state.dict[rel]
    if state.attrs[fk].history.added or state.dict.get(rel) is None:
        key = getattr(obj, fk)
        return _get(session, model, key)
    return state.dict[rel]


def _refs(session: Session, obj: Any, rel: str, fk: str, model: type) -> list[Any]:
    """What ``obj`` refers to through ``rel`` now and, when this flush changes it, before."""
    found = [_now(obj, rel, fk, model, session)]
    state = inspect(obj)
    if state.key is not None:
        if rel in state.mapper.relationships:
            found.extend(state.attrs[rel].history.deleted)
        found.append(_get(session, model, committed(session, obj, fk)))
    unique: dict[int, Any] = {}
    for item in found:
        if item is not None:
            unique[id(item)] = item
    return list(unique.values())


def province_now(obj: Any) -> int | None:
    """A firm's or event's province, also when it was set through the relationship."""
    state = inspect(obj)
    province = state.dict.get("province")
    if province is not None and state.attrs["province"].history.has_changes():
        return province.id
    return obj.province_id


def _firm_provinces(firms: Iterable[Firm]) -> set[int]:
    return {p for p in (province_now(f) for f in firms) if p is not None}


def _officer_for(user: User, province_id: int | None) -> bool:
    """An officer of that province, or an admin."""
    return access.move_firm(user, province_id, province_id)


# Rules: (session, user, record, action) -> (allowed, provinces concerned) ---------------


def _firm(session: Session, user: User, firm: Firm, action: str) -> tuple[bool, set[int]]:
    new = province_now(firm)
    if action == "create":
        # Officers add firms to their provinces; a firm user registering another firm
        # (self-registration, open to anyone) creates a firm nobody else owns yet.
        if user.role == UserRole.MEMBER:
            return True, set()
        return _officer_for(user, new), {new}
    old = committed(session, firm, "province_id")
    if action == "update" and old != new:
        return access.move_firm(user, old, new), {p for p in (old, new) if p is not None}
    return access.edit_firm(user, firm), {old} if old is not None else set()


def _owners(*path: tuple[str, str, type]) -> Callable[[Session, Any], list[Firm]]:
    """The firms a record belongs to, following ``path`` (relationship, column, model)
    to a firm: now and, when the record changes hands, before."""

    def owners(session: Session, obj: Any) -> list[Firm]:
        level = [obj]
        for rel, fk, model in path:
            level = [ref for item in level for ref in _refs(session, item, rel, fk, model)]
        return level

    return owners


def _owned(owners: Callable[[Session, Any], list[Firm]], every: bool = True):
    """A record of one firm (``every`` owner must be editable) or between two firms (an
    introduction, a supply relationship: either side may write it)."""

    def rule(session: Session, user: User, obj: Any, _action: str) -> tuple[bool, set[int]]:
        firms = owners(session, obj)
        if not firms:
            return True, set()
        allowed = [access.edit_firm(user, f) for f in firms]
        return (all(allowed) if every else any(allowed)), _firm_provinces(firms)

    return rule


def _of_event(session: Session, obj: Any) -> Event | None:
    return _now(obj, "event", "event_id", Event, session)


def _event_bound(owners: Callable[[Session, Any], list[Firm]]):
    """Registrations, meeting requests and meetings: the event's organisers, or a user
    of (or officer for) a firm taking part in them."""

    def rule(session: Session, user: User, obj: Any, _action: str) -> tuple[bool, set[int]]:
        event_ = _of_event(session, obj)
        if event_ is not None and _officer_for(user, province_now(event_)):
            return True, set()
        firms = owners(session, obj)
        provinces = {province_now(event_)} if event_ is not None else _firm_provinces(firms)
        return any(access.edit_firm(user, f) for f in firms), provinces

    return rule


def _event(session: Session, user: User, obj: Event, action: str) -> tuple[bool, set[int]]:
    new = province_now(obj)
    old = new if action == "create" else committed(session, obj, "province_id")
    return access.move_firm(user, old, new), {p for p in (old, new) if p is not None}


FIRM = ("firm", "firm_id", Firm)
DEAL = ("deal", "deal_id", Deal)
LINE = ("line", "line_id", SupportLine)
APPLICATION = ("application", "application_id", SupportApplication)


def _of_deal(session: Session, obj: Any) -> list[Firm]:
    """A record of a deal belongs to both its firms: either side writes in it (what each
    side may do is the deal's own rule, ``catalog.access``)."""
    return [
        *_owners(DEAL, ("buyer", "buyer_id", Firm))(session, obj),
        *_owners(DEAL, ("supplier", "supplier_id", Firm))(session, obj),
    ]


def _programme_now(session: Session, obj: Any) -> Programme | None:
    """The programme a programme record belongs to, following what the flush holds."""
    path = {
        SupportLine: [("programme", "programme_id", Programme)],
        SupportBudget: [LINE, ("programme", "programme_id", Programme)],
        SupportTarget: [LINE, ("programme", "programme_id", Programme)],
        SupportApplication: [LINE, ("programme", "programme_id", Programme)],
        SupportDisbursement: [APPLICATION, LINE, ("programme", "programme_id", Programme)],
        SupportFile: [APPLICATION, LINE, ("programme", "programme_id", Programme)],
    }.get(type(obj))
    if path is None:
        return obj
    found = _owners(*path)(session, obj)
    return found[0] if found else None


def _programme(session: Session, user: User, obj: Any, action: str) -> tuple[bool, set[int]]:
    """Programme records are the officers' of the programme's province; a firm's users
    write only their own application (filing it with its files, withdrawing it)."""
    programme = _programme_now(session, obj)
    province = province_now(programme) if programme is not None else None
    provinces = {province} if province is not None else set()
    if _officer_for(user, province):
        return True, provinces
    application = obj.application if isinstance(obj, SupportFile) else obj
    if not isinstance(application, SupportApplication) or user.role != UserRole.MEMBER:
        return False, provinces
    firm_ids = {application.firm_id, application.firm.id if application.firm else None}
    own = user.firm_id is not None and user.firm_id in firm_ids
    if isinstance(obj, SupportFile):
        return own and action == "create" and obj.role == "application", provinces
    if action == "create":  # the status's default is set when the row is written
        waiting = application.status in (None, ApplicationStatus.SUBMITTED)
        return own and waiting, provinces
    withdrawn = _changed_keys(obj) <= {"status"}
    return own and withdrawn and application.status == ApplicationStatus.WITHDRAWN, provinces


NEED = ("need", "need_id", Need)
RULES: dict[type, Callable[[Session, User, Any, str], tuple[bool, set[int]]]] = {
    Firm: _firm,
    Capability: _owned(_owners(FIRM)),
    Certification: _owned(_owners(FIRM)),
    Verification: _owned(_owners(FIRM)),
    EvidenceFile: _owned(_owners(("verification", "verification_id", Verification), FIRM)),
    Need: _owned(_owners(("buyer", "buyer_id", Firm))),
    NeedPhoto: _owned(_owners(NEED, ("buyer", "buyer_id", Firm))),
    ShortlistEntry: _owned(_owners(NEED, ("buyer", "buyer_id", Firm))),
    Introduction: _owned(
        lambda s, o: [
            *_owners(("buyer", "buyer_id", Firm))(s, o),
            *_owners(("supplier", "supplier_id", Firm))(s, o),
        ],
        every=False,
    ),
    SupplyRelationship: _owned(
        lambda s, o: [
            *_owners(("supplier", "supplier_id", Firm))(s, o),
            *_owners(("buyer", "buyer_id", Firm))(s, o),
        ],
        every=False,
    ),
    Deal: _owned(
        lambda s, o: [
            *_owners(("buyer", "buyer_id", Firm))(s, o),
            *_owners(("supplier", "supplier_id", Firm))(s, o),
        ],
        every=False,
    ),
    DealStep: _owned(_of_deal, every=False),
    DealMessage: _owned(_of_deal, every=False),
    Quote: _owned(_of_deal, every=False),
    PurchaseOrder: _owned(_of_deal, every=False),
    SupplierRating: _owned(_of_deal, every=False),
    QuoteRequest: _owned(_owners(NEED, ("buyer", "buyer_id", Firm))),
    QuoteRequestRecipient: _owned(_of_deal, every=False),
    DealFile: _owned(
        lambda s, o: _of_deal(s, o) or _owners(NEED, ("buyer", "buyer_id", Firm))(s, o),
        every=False,
    ),
    Registration: _event_bound(_owners(FIRM)),
    MeetingRequest: _event_bound(
        lambda s, o: [
            *_owners(("sender", "sender_id", Registration), FIRM)(s, o),
            *_owners(("receiver", "receiver_id", Registration), FIRM)(s, o),
        ]
    ),
    Meeting: _event_bound(
        lambda s, o: [
            *_owners(("buyer", "buyer_id", Registration), FIRM)(s, o),
            *_owners(("supplier", "supplier_id", Registration), FIRM)(s, o),
        ]
    ),
    Event: _event,
    Programme: _programme,
    SupportLine: _programme,
    SupportBudget: _programme,
    SupportTarget: _programme,
    SupportApplication: _programme,
    SupportDisbursement: _programme,
    SupportFile: _programme,
}


def check_write(session: Session, user: User, obj: Any, action: str) -> None:
    """Raise ``OutOfScope`` (and file its alert) unless ``user`` may ``action``
    ("create", "update", "delete") the record ``obj``."""
    rule = RULES.get(type(obj))
    if rule is None:
        return
    allowed, provinces = rule(session, user, obj, action)
    if allowed:
        return
    identity = inspect(obj).identity
    alert(
        session,
        OUT_OF_SCOPE,
        _label(obj),
        province_id=provinces or None,
        actor=user,
        details={
            "target": entity_name(obj),
            "target_id": identity[0] if identity else None,
            "attempt": action,
            "fields": sorted(_changed_keys(obj)) if action == "update" else [],
        },
    )
    raise OutOfScope(REFUSED, provinces, obj)


def _label(obj: Any) -> str:
    for attr in ("display_name", "title", "standard", "name", "filename"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)[:200]
    return ""


def _check_flush(session: Session, _context: object, _instances: object) -> None:
    if not session.info.get(ACTOR):
        return  # the system's own work: commands, scheduled jobs
    user = acting_user(session)
    with session.no_autoflush:
        groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
        for action, objects in groups:
            for obj in list(objects):
                if type(obj) not in RULES:
                    continue
                if action == "update" and not _changed_keys(obj):
                    continue  # a stamp, or only a child added or removed
                if user is None:  # acting for an account deleted since: for nobody
                    raise OutOfScope(REFUSED, set(), obj)
                check_write(session, user, obj, action)


def guard_writes(target: object) -> None:
    """Register the write guard on ``target`` (a Session class, sessionmaker or scoped
    session), once: app factories called again (tests) must not add it twice."""
    if not event.contains(target, "before_flush", _check_flush):
        event.listen(target, "before_flush", _check_flush)


# Refusals in views ---------------------------------------------------------------------


def target_provinces(target: Any) -> set[int]:
    """The provinces a record belongs to: its firm's (both firms' for a record between
    two), its event's, or an officer's own."""
    if target is None:
        return set()
    if isinstance(target, Firm | Event):
        return {target.province_id} if target.province_id is not None else set()
    if isinstance(target, Capability | Certification | Verification):
        return target_provinces(target.firm)
    if isinstance(target, Registration | Meeting):
        return target_provinces(target.event)
    if isinstance(target, MeetingRequest):
        return target_provinces(target.sender)
    if isinstance(target, EvidenceFile):
        return target_provinces(target.verification)
    if isinstance(target, Need):
        return target_provinces(target.buyer)
    if isinstance(target, NeedPhoto | ShortlistEntry):
        return target_provinces(target.need)
    if isinstance(target, Introduction | SupplyRelationship):
        return target_provinces(target.buyer) | target_provinces(target.supplier)
    if isinstance(target, User):
        if target.firm is not None:
            return target_provinces(target.firm)
        return set(target.province_ids)
    return set()


def refused(session: Session, user: User | None, target: Any, request: str = "") -> bool:
    """Called when ``user`` was refused an action on ``target``: an officer refused for
    a record of another province is filed as an alert under that province (True).
    ``request`` says what was asked ("POST /firms/12/edit")."""
    if user is None or user.role != UserRole.OFFICER or target is None:
        return False
    with session.no_autoflush:
        outside = target_provinces(target) - user.province_ids
    if not outside:
        return False
    alert(
        session,
        OUT_OF_SCOPE,
        _label(target),
        province_id=outside,
        actor=user,
        details={
            "target": entity_name(target),
            "target_id": getattr(target, "id", None),
            "request": request[:300],
        },
    )
    return True
