"""The event workflow: create, register, request meetings, place them, record outcomes.

Organisers of matchmaking days name their pains: late registration, unanswered
requests, scattered schedules, double bookings and no-shows. Each rule here answers
one: registration closes on its deadline and checks who may come; a request answered
by both sides (or asked by both) becomes a meeting; every placement is checked against
double booking and availability whether it comes from the solver or an officer's hand;
a no-show frees the counterpart's slots for meetings still waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import notifications
from ..i18n import N_
from ..models import (
    Concept,
    Event,
    EventMode,
    EventStatus,
    Firm,
    FirmRole,
    MatchJudgement,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    MeetingStatus,
    Need,
    Outcome,
    Province,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Side,
    Stage,
    User,
    utcnow,
)
from ..places import resolve_place
from ..validation import (
    ValidationError,
    _Checker,
    choice,
    clean_field,
    clean_text,
    concept_list,
    integer,
    iso_date,
    many,
    text,
)

MAX_SLOTS = 200
MAX_TABLES = 1000
# What a meeting is worth to the solver: both sides asked for it, then how much the
# asker wanted it, then how well the matcher rates the pair (score in [0, 1]).
MUTUAL_WEIGHT = 4.0
PRIORITY_WEIGHT = 1.0
# Outcomes of meetings as judgements for the learning-to-rank reranker.
OUTCOME_JUDGEMENT = {
    MeetingOutcome.NO_INTEREST: Outcome.REJECTED,
    MeetingOutcome.FOLLOW_UP: Outcome.MEETING,
    MeetingOutcome.NDA: Outcome.MEETING,
    MeetingOutcome.SAMPLE_ORDER: Outcome.DEAL,
    MeetingOutcome.CONTRACT: Outcome.DEAL,
}


# -- slots ------------------------------------------------------------------------------


def _clock(value: Any) -> time:
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(N_("Must be a time written HH:MM.")) from None


@many
def _breaks(value: Any) -> list[tuple[time, time]]:
    """ "12:00-13:30, 15:00-15:15" → [(12:00, 13:30), (15:00, 15:15)]."""
    spans = []
    for part in str(value or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(N_("Write breaks as HH:MM-HH:MM, separated by commas."))
        spans.append((_clock(start), _clock(end)))
    return spans


def make_slots(
    first_day: date,
    last_day: date,
    day_start: time,
    day_end: time,
    minutes: int,
    breaks: Iterable[tuple[time, time]] = (),
) -> list[dict[str, str]]:
    """Meeting slots of ``minutes`` each day, skipping any that overlap a break."""
    breaks = list(breaks)
    slots = []
    day = first_day
    while day <= last_day:
        at = datetime.combine(day, day_start)
        end_of_day = datetime.combine(day, day_end)
        while at + timedelta(minutes=minutes) <= end_of_day:
            end = at + timedelta(minutes=minutes)
            clash = next(
                (b for b in breaks if at.time() < b[1] and end.time() > b[0]),
                None,
            )
            if clash is not None:
                at = datetime.combine(day, clash[1])
                continue
            slots.append(
                {
                    "day": day.isoformat(),
                    "start": at.strftime("%H:%M"),
                    "end": end.strftime("%H:%M"),
                }
            )
            at = end
        day += timedelta(days=1)
    return slots


def slot_label(event: Event, slot: int | None) -> str:
    if slot is None or not 0 <= slot < len(event.slots):
        return "—"
    s = event.slots[slot]
    return f"{s['day']} {s['start']}–{s['end']}"


# -- events -----------------------------------------------------------------------------


def validate_event(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    c = _Checker(data)
    c.run("name", text(200), required=True)
    c.run("description", text(5000))
    c.run("venue", text(300))
    c.run("mode", choice(EventMode), required=True)
    c.run("starts_on", iso_date, required=True)
    c.run("ends_on", iso_date)
    c.run("day_start", _clock, required=True)
    c.run("day_end", _clock, required=True)
    c.run("breaks", _breaks)
    c.run("meeting_minutes", integer(5, 240), required=True)
    c.run("tables", integer(1, MAX_TABLES), required=True)
    c.run("registration_deadline", iso_date)
    c.run("max_meetings", integer(1, MAX_SLOTS))
    c.run("sectors", concept_list(session, "sector"))
    c.run("provinces", _province_codes(session))
    errors = dict(c.errors)
    clean = c.clean
    starts = clean.get("starts_on")
    ends = clean.get("ends_on") or starts
    clean["ends_on"] = ends
    if starts and ends and ends < starts:
        errors["ends_on"] = N_("The event cannot end before it starts.")
    elif starts and ends and (ends - starts).days > 13:
        errors["ends_on"] = N_("An event lasts at most two weeks.")
    if clean.get("day_start") and clean.get("day_end") and clean["day_end"] <= clean["day_start"]:
        errors["day_end"] = N_("The day must end after it starts.")
    deadline = clean.get("registration_deadline")
    if deadline and starts and deadline > starts:
        errors["registration_deadline"] = N_("Registration must close by the first day.")
    if not errors:
        clean["slots"] = make_slots(
            starts,
            ends,
            clean["day_start"],
            clean["day_end"],
            clean["meeting_minutes"],
            clean.get("breaks") or [],
        )
        if not clean["slots"]:
            errors["day_end"] = N_("No meeting fits between these times.")
        elif len(clean["slots"]) > MAX_SLOTS:
            errors["meeting_minutes"] = N_("At most %(count)s slots per event.", count=MAX_SLOTS)
    if errors:
        raise ValidationError(errors)
    return clean


def _province_codes(session: Session):
    def parse(value: Any) -> list[int]:
        codes = [v for v in (value if isinstance(value, list) else str(value).split(",")) if v]
        found = []
        for code in codes:
            # Any code or name of today's map or the one before 2025 ("VP": Phú Thọ).
            place = resolve_place(session, str(code))
            if place is None:
                raise ValueError(N_("Unknown province: %(code)s.", code=code))
            if place.province.id not in found:
                found.append(place.province.id)
        return found

    return many(parse)


def create_event(
    session: Session, data: Mapping[str, Any], province: Province, officer: User | None
) -> Event:
    clean = validate_event(session, data)
    event = Event(province=province, created_by=officer)
    _apply_event(session, event, clean, data)
    session.add(event)
    session.commit()
    return event


def update_event(session: Session, event: Event, data: Mapping[str, Any]) -> Event:
    """Change an event; its slots can only change while no meeting is placed in them."""
    clean = validate_event(session, data)
    if clean["slots"] != event.slots and any(m.slot is not None for m in event.meetings):
        raise ValidationError(
            {
                "meeting_minutes": N_(
                    "Meetings are placed: clear the schedule before changing slots."
                )
            }
        )
    _apply_event(session, event, clean, data)
    session.commit()
    return event


def _apply_event(session: Session, event: Event, clean: dict, data: Mapping[str, Any]) -> None:
    for key in (
        "name",
        "venue",
        "mode",
        "starts_on",
        "ends_on",
        "meeting_minutes",
        "tables",
        "registration_deadline",
        "max_meetings",
        "slots",
    ):
        setattr(event, key, clean.get(key))
    event.description = clean.get("description") or ""
    event.venue = clean.get("venue") or ""
    event.approval_required = str(data.get("approval_required", "")).lower() in ("1", "on", "true")
    event.sectors = [session.get(Concept, i) for i in clean.get("sectors") or []]
    event.provinces = [session.get(Province, i) for i in clean.get("provinces") or []]


def set_status(session: Session, event: Event, status: EventStatus) -> None:
    event.status = status
    if status == EventStatus.PUBLISHED:
        event.published_at = utcnow()
    session.commit()


# -- registration -----------------------------------------------------------------------


def side_of(firm: Firm, wanted: str | None = None) -> str:
    if firm.role == FirmRole.BOTH:
        return wanted if wanted in ("buyer", "supplier") else "supplier"
    return "buyer" if firm.role == FirmRole.BUYER else "supplier"


def eligibility_problems(event: Event, firm: Firm, today: date | None = None) -> dict[str, Any]:
    """Why ``firm`` may not register (empty when it may)."""
    today = today or date.today()
    problems: dict[str, Any] = {}
    if event.status != EventStatus.OPEN:
        problems["event"] = N_("Registration for this event is not open.")
    elif event.registration_deadline and today > event.registration_deadline:
        problems["event"] = N_(
            "Registration closed on %(date)s.", date=event.registration_deadline.isoformat()
        )
    if event.provinces and firm.province_id not in {p.id for p in event.provinces}:
        problems["province"] = N_("This event is for firms of other provinces.")
    if event.sectors and not {s.id for s in event.sectors} & {s.id for s in firm.sectors}:
        problems["sectors"] = N_("This event is for firms of other sectors.")
    return problems


def register(
    session: Session,
    event: Event,
    firm: Firm,
    *,
    available: list[int] | None = None,
    needs: Iterable[Need] = (),
    side: str | None = None,
    today: date | None = None,
) -> Registration:
    """Register a firm (or change its registration: availability and needs brought)."""
    errors = eligibility_problems(event, firm, today)
    existing = session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.firm_id == firm.id
        )
    )
    if existing is not None:
        errors.pop("event", None)  # a registered firm may still correct its slots
    slots = _valid_slots(event, available)
    if isinstance(slots, dict):
        errors.update(slots)
    needs = list(needs)
    if any(n.buyer_id != firm.id for n in needs):
        errors["needs"] = N_("Bring your own firm's needs.")
    if errors:
        raise ValidationError(errors)
    reg = existing or Registration(event=event, firm=firm, side=side_of(firm, side))
    reg.available = slots
    if reg.side == "buyer":
        reg.needs = needs
    if existing is None:
        reg.status = (
            RegistrationStatus.PENDING if event.approval_required else RegistrationStatus.APPROVED
        )
        if event.mode == EventMode.REVERSE and reg.side == "buyer":
            reg.booth = _next_booth(event)
    session.add(reg)
    session.commit()
    return reg


def _valid_slots(event: Event, available: list[int] | None) -> list[int] | None | dict:
    if available is None:
        return None
    try:
        slots = sorted({int(s) for s in available})
    except (TypeError, ValueError):
        return {"available": N_("Invalid value.")}
    if any(not 0 <= s < len(event.slots) for s in slots):
        return {"available": N_("Choose slots of this event.")}
    if not slots:
        return {"available": N_("Choose at least one slot you can attend.")}
    return None if len(slots) == len(event.slots) else slots


def _next_booth(event: Event) -> int:
    taken = {r.booth for r in event.registrations if r.booth is not None}
    return next(i for i in range(len(taken) + 1) if i not in taken)


def decide_registration(session: Session, reg: Registration, approve: bool) -> None:
    reg.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    session.commit()


def can_attend(reg: Registration, slot: int) -> bool:
    return reg.available is None or slot in reg.available


# -- requests and meetings --------------------------------------------------------------


def request_meeting(
    session: Session,
    sender: Registration,
    receiver: Registration,
    *,
    priority: int = 2,
    message: str = "",
    need: Need | None = None,
    score: float | None = None,
) -> MeetingRequest:
    """Ask for a meeting. A request the other side already sent is answered by it:
    both asked, so the meeting is made (and worth more to the solver)."""
    errors: dict[str, Any] = {}
    if sender.event_id != receiver.event_id or sender.side == receiver.side:
        errors["receiver"] = N_("Meetings are between a buyer and a supplier of the same event.")
    for reg in (sender, receiver):
        if reg.status != RegistrationStatus.APPROVED:
            errors["receiver"] = N_("Both firms must be approved participants.")
    if not 1 <= int(priority) <= 3:
        errors["priority"] = N_("Must be between %(low)s and %(high)s.", low=1, high=3)
    try:
        message = clean_text(message or "", multiline=True)
    except ValueError as exc:
        errors["message"] = exc.args[0]
    if len(message) > 1000:
        errors["message"] = N_(
            "Must be at most %(max)s characters (got %(got)s).", max=1000, got=len(message)
        )
    if sender.event.status not in (EventStatus.OPEN, EventStatus.CLOSED, EventStatus.PUBLISHED):
        errors["event"] = N_("This event does not take requests now.")
    if errors:
        raise ValidationError(errors)
    req = session.scalar(
        select(MeetingRequest).where(
            MeetingRequest.sender_id == sender.id, MeetingRequest.receiver_id == receiver.id
        )
    ) or MeetingRequest(event_id=sender.event_id, sender=sender, receiver=receiver)
    req.priority, req.message, req.need, req.score = int(priority), message, need, score
    if req.status == RequestStatus.WITHDRAWN:
        req.status = RequestStatus.PENDING
    session.add(req)
    opposite = session.scalar(
        select(MeetingRequest).where(
            MeetingRequest.sender_id == receiver.id,
            MeetingRequest.receiver_id == sender.id,
            MeetingRequest.status.in_([RequestStatus.PENDING, RequestStatus.ACCEPTED]),
        )
    )
    if opposite is not None:
        for r in (req, opposite):
            r.status, r.answered_at = RequestStatus.ACCEPTED, utcnow()
        _ensure_meeting(session, req, opposite)
    notifications.meeting_requested(session, req)
    if opposite is not None:  # both asked: the other side's request is accepted too
        notifications.meeting_decided(session, opposite)
    session.commit()
    return req


def answer_request(session: Session, req: MeetingRequest, accept: bool) -> Meeting | None:
    if req.status not in (RequestStatus.PENDING, RequestStatus.DECLINED, RequestStatus.ACCEPTED):
        raise ValidationError({"request": N_("This request was withdrawn.")})
    req.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    req.answered_at = utcnow()
    meeting = None
    if accept:
        meeting = _ensure_meeting(session, req, None)
    else:
        meeting = _meeting_between(session, req.sender, req.receiver)
        if meeting is not None and not meeting.added_by_officer:
            session.delete(meeting)
        meeting = None
    notifications.meeting_decided(session, req)
    session.commit()
    return meeting


def _pair(a: Registration, b: Registration) -> tuple[Registration, Registration]:
    return (a, b) if a.side == "buyer" else (b, a)


def _meeting_between(session: Session, a: Registration, b: Registration) -> Meeting | None:
    buyer, supplier = _pair(a, b)
    return session.scalar(
        select(Meeting).where(Meeting.buyer_id == buyer.id, Meeting.supplier_id == supplier.id)
    )


def meeting_weight(requests: Iterable[MeetingRequest], mutual: bool) -> float:
    """Mutual requests first, then the highest priority asked, then the match score."""
    requests = list(requests)
    priority = max((r.priority for r in requests), default=1)
    score = max((r.score or 0.0 for r in requests), default=0.0)
    return round((MUTUAL_WEIGHT if mutual else 0.0) + PRIORITY_WEIGHT * priority + score, 4)


def _ensure_meeting(
    session: Session, req: MeetingRequest, opposite: MeetingRequest | None
) -> Meeting:
    buyer, supplier = _pair(req.sender, req.receiver)
    meeting = _meeting_between(session, req.sender, req.receiver)
    if meeting is None:
        meeting = Meeting(event_id=req.event_id, buyer=buyer, supplier=supplier)
        session.add(meeting)
    asked = [r for r in (req, opposite) if r is not None]
    meeting.mutual = opposite is not None or meeting.mutual
    meeting.weight = meeting_weight(asked, meeting.mutual)
    meeting.need = meeting.need or next((r.need for r in asked if r.need is not None), None)
    if meeting.need is None and len(buyer.needs) == 1:  # the one part the buyer brought
        meeting.need = buyer.needs[0]
    if meeting.status == MeetingStatus.CANCELLED:
        meeting.status = MeetingStatus.PLANNED
    return meeting


def add_meeting(
    session: Session, buyer: Registration, supplier: Registration, weight: float = 3.0
) -> Meeting:
    """An officer adds a meeting nobody asked for (or one that was declined)."""
    if buyer.side != "buyer" or supplier.side != "supplier" or buyer.event_id != supplier.event_id:
        raise ValidationError(
            {"supplier": N_("Meetings are between a buyer and a supplier of the same event.")}
        )
    meeting = _meeting_between(session, buyer, supplier) or Meeting(
        event_id=buyer.event_id, buyer=buyer, supplier=supplier
    )
    meeting.added_by_officer = True
    meeting.weight = max(meeting.weight or 0.0, weight)
    meeting.status = MeetingStatus.PLANNED
    session.add(meeting)
    session.commit()
    return meeting


# -- placing meetings -------------------------------------------------------------------


# Meetings that no longer hold their slot and table.
_FREE = (MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW)


def placement_problems(event: Event, meeting: Meeting, slot: int, table: int) -> dict[str, Any]:
    """Why ``meeting`` cannot go to (slot, table): the same rules the solver keeps."""
    problems: dict[str, Any] = {}
    if not 0 <= slot < len(event.slots):
        problems["slot"] = N_("Choose slots of this event.")
        return problems
    if not 0 <= table < table_count(event):
        problems["table"] = N_("No table %(table)s at this event.", table=table + 1)
        return problems
    if (
        event.mode == EventMode.REVERSE
        and meeting.buyer.booth is not None
        and table != meeting.buyer.booth
    ):
        problems["table"] = N_("In a reverse exhibition the meeting is at the buyer's booth.")
    for reg in (meeting.buyer, meeting.supplier):
        if not can_attend(reg, slot):
            problems["slot"] = N_("%(firm)s cannot attend this slot.", firm=reg.firm.display_name)
    for other in event.meetings:
        if other.id == meeting.id or other.slot != slot or other.status in _FREE:
            continue
        if other.table == table:
            problems["table"] = N_("Table %(table)s is taken in this slot.", table=table + 1)
        busy = {other.buyer_id, other.supplier_id} & {meeting.buyer_id, meeting.supplier_id}
        if busy:
            problems["slot"] = N_("A participant already has a meeting in this slot.")
    return problems


def table_count(event: Event) -> int:
    if event.mode == EventMode.REVERSE:
        booths = [r.booth for r in event.registrations if r.booth is not None]
        return max(event.tables, (max(booths) + 1) if booths else 0)
    return event.tables


def move_meeting(
    session: Session, event: Event, meeting: Meeting, slot: int, table: int, lock: bool = True
) -> list[Meeting]:
    """Place a meeting by hand, refusing conflicts; returns the meetings whose
    participants must be told (after publication)."""
    problems = placement_problems(event, meeting, slot, table)
    if problems:
        raise ValidationError(problems)
    meeting.slot, meeting.table, meeting.locked = slot, table, lock
    session.commit()
    return [meeting]


def unplace(session: Session, meeting: Meeting) -> None:
    meeting.slot = meeting.table = None
    meeting.locked = False
    session.commit()


def cancel_meeting(session: Session, meeting: Meeting) -> None:
    """Take a meeting off the schedule for good (its request stays answered)."""
    meeting.status = MeetingStatus.CANCELLED
    meeting.slot = meeting.table = None
    meeting.locked = False
    session.commit()


def set_locked(session: Session, meeting: Meeting, locked: bool) -> None:
    meeting.locked = bool(locked and meeting.slot is not None)
    session.commit()


def schedulable(event: Event) -> list[Meeting]:
    return [
        m
        for m in event.meetings
        if m.status == MeetingStatus.PLANNED
        and m.buyer.status == RegistrationStatus.APPROVED
        and m.supplier.status == RegistrationStatus.APPROVED
    ]


def solver_instance(event: Event) -> dict[str, Any]:
    """The event as the solver's JSON instance (the format of ``events solve``).

    Locked meetings are pinned. In a reverse exhibition each buyer keeps one booth, so
    a buyer's meetings never share a slot and the table is the booth: the solver places
    slots, and tables are the booths.
    """
    meetings = schedulable(event)
    regs = {r.id: r for r in event.registrations if r.status == RegistrationStatus.APPROVED}
    participants = []
    for reg in regs.values():
        item: dict[str, Any] = {"id": f"R{reg.id}"}
        if reg.available is not None:
            item["available"] = list(reg.available)
        participants.append(item)
    items = []
    for m in meetings:
        item = {
            "id": f"M{m.id}",
            "a": f"R{m.buyer_id}",
            "b": f"R{m.supplier_id}",
            "weight": m.weight,
        }
        if m.locked and m.slot is not None and m.table is not None:
            item["pinned"] = {"slot": m.slot, "table": m.table}
        items.append(item)
    instance: dict[str, Any] = {
        "slots": len(event.slots),
        "tables": table_count(event),
        "participants": participants,
        "meetings": items,
    }
    if event.max_meetings:
        instance["max_meetings_per_participant"] = event.max_meetings
    return instance


def apply_schedule(session: Session, event: Event, assignments: Iterable[Mapping[str, Any]]) -> int:
    """Write a solver's assignments; meetings it left out are unplaced. Returns how
    many meetings are placed. Locked meetings keep their place whatever it says."""
    placed = {int(str(a["meeting"]).removeprefix("M")): a for a in assignments}
    count = 0
    for m in schedulable(event):
        if m.locked:
            count += m.slot is not None
            continue
        a = placed.get(m.id)
        if a is None:
            m.slot = m.table = None
            continue
        m.slot = int(a["slot"])
        m.table = (
            m.buyer.booth
            if event.mode == EventMode.REVERSE and m.buyer.booth is not None
            else int(a["table"])
        )
        count += 1
    session.commit()
    return count


# -- on the day -------------------------------------------------------------------------


def check_in(session: Session, reg: Registration, present: bool = True) -> None:
    reg.checked_in_at = utcnow() if present else None
    session.commit()


def mark_no_show(
    session: Session, event: Event, reg: Registration, from_slot: int = 0
) -> list[Meeting]:
    """A participant did not come: its meetings from ``from_slot`` on are marked so,
    and each freed slot of a counterpart is offered to meetings still waiting.
    Returns the meetings placed into freed slots (to tell their participants)."""
    freed = []
    for m in event.meetings:
        if m.status != MeetingStatus.PLANNED or reg.id not in (m.buyer_id, m.supplier_id):
            continue
        if m.slot is not None and m.slot >= from_slot:
            m.status = MeetingStatus.NO_SHOW
            freed.append((m.slot, m.table))
    session.flush()
    filled = []
    for slot, table in sorted(freed):
        waiting = sorted(
            (
                w
                for w in schedulable(event)
                if w.slot is None and reg.id not in (w.buyer_id, w.supplier_id)
            ),
            key=lambda w: -w.weight,
        )
        for w in waiting:
            if not placement_problems(event, w, slot, table):
                w.slot, w.table = slot, table
                session.flush()
                filled.append(w)
                break
    session.commit()
    return filled


def record_meeting_outcome(
    session: Session, meeting: Meeting, outcome: MeetingOutcome | str, note: str = ""
) -> None:
    """The outcome of a held meeting. For the need the buyer brought (when it brought
    one) it moves the deal of that need and the supplier (``catalog.deals.pipeline``):
    met, and sample ordered or a purchase order when the meeting got that far, each a
    graded judgement the reranker learns from, recorded once per meeting; "no
    interest" is judged a wrong match (rejected)."""
    outcome = MeetingOutcome(outcome)
    note = clean_field("note", note, multiline=True)
    again = meeting.outcome == outcome  # recorded again: nothing more to count
    meeting.outcome, meeting.outcome_note = outcome, note[:1000]
    meeting.status = MeetingStatus.HELD
    need = meeting.need or next(iter(meeting.buyer.needs), None)
    supplier = meeting.supplier.firm
    if need is not None and supplier.is_supplier and supplier.id != need.buyer_id and not again:
        _meeting_stages(session, meeting, need, supplier, outcome)
    session.commit()


def _meeting_stages(
    session: Session, meeting: Meeting, need: Need, supplier: Firm, outcome: MeetingOutcome
) -> None:
    from ..deals import orders, pipeline  # the deals package is built on these models

    deal = pipeline.deal_for(session, need, supplier, started_by=Side.BUYER)
    on = meeting_day(meeting)
    ref = {"source": "meeting", "ref_id": meeting.id, "on": on, "side": Side.OFFICER}
    pipeline.reach(session, deal, Stage.MET, **ref)
    if outcome == MeetingOutcome.SAMPLE_ORDER:
        pipeline.reach(session, deal, Stage.SAMPLE_ORDERED, **ref)
    elif outcome == MeetingOutcome.CONTRACT:
        orders.add_order(session, deal, None, ordered_on=on, side=Side.OFFICER)
    elif outcome == MeetingOutcome.NO_INTEREST:
        session.add(
            MatchJudgement(
                need_id=need.id, firm_id=supplier.id, outcome=Outcome.REJECTED, source="event"
            )
        )


def meeting_day(meeting: Meeting) -> date:
    """The day a meeting was held: its slot's, else the event's first (never later
    than today, as a stage reached)."""
    event = meeting.event
    day = event.starts_on
    if meeting.slot is not None and 0 <= meeting.slot < len(event.slots):
        day = date.fromisoformat(event.slots[meeting.slot]["day"])
    return min(day, date.today())


def agenda(event: Event, reg: Registration) -> list[Meeting]:
    """A participant's placed meetings in time order."""
    return sorted(
        (
            m
            for m in event.meetings
            if reg.id in (m.buyer_id, m.supplier_id)
            and m.slot is not None
            and m.status != MeetingStatus.CANCELLED
        ),
        key=lambda m: m.slot,
    )


def load_event(session: Session, event_id: int) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.registrations).selectinload(Registration.firm),
            selectinload(Event.meetings),
        )
    )
