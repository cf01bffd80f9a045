"""Matchmaking days and reverse exhibitions, from announcement to outcomes.

Officers create and run events; firms register, see whom they should meet, send and
answer meeting requests, and get their agenda with a calendar file. Every rule lives in
``catalog.events``; the schedule is solved by a Celery job (``jobs.tasks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from catalog import events
from catalog.access.visibility import readable_ids
from catalog.models import (
    Event,
    EventMode,
    EventStatus,
    JobKind,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    Need,
    Registration,
    RegistrationStatus,
    RequestStatus,
)
from catalog.validation import ValidationError, record_id
from documents.agenda import agenda_pdf, schedule_xlsx
from documents.calendar import agenda_ics
from jobs import records
from jobs.i18n import document_language
from jobs.notices import notify_schedule_change
from jobs.runtime import runtime
from jobs.tasks import schedule_event
from matching.events.counterparts import suggest

from .access import actor, can, my_provinces, public, rule
from .errors import back_to
from .extensions import db
from .forms import choices
from .helpers import attachment, job_status
from .i18n import current_locale

bp = Blueprint("events", __name__, url_prefix="/events")

EVENT_FIELDS = (
    "name",
    "description",
    "venue",
    "mode",
    "starts_on",
    "ends_on",
    "day_start",
    "day_end",
    "breaks",
    "meeting_minutes",
    "tables",
    "registration_deadline",
    "max_meetings",
    "approval_required",
)


def _form_values() -> dict:
    data = {f: request.form.get(f, "") for f in EVENT_FIELDS}
    data["sectors"] = request.form.getlist("sectors")
    data["provinces"] = request.form.getlist("provinces")
    return data


def _my_registration(event: Event) -> Registration | None:
    user = actor()
    if user is None or user.firm_id is None:
        return None
    return next((r for r in event.registrations if r.firm_id == user.firm_id), None)


def _shown(meetings: Iterable[Meeting]) -> set[int]:
    """The needs of these meetings the user may read (one query): a meeting is about a
    need its buyer chose, which the other side, or an organiser of another province,
    may not be allowed to read (``catalog.access.visibility``)."""
    return readable_ids(db.session, actor(), (m.need_id for m in meetings))


def _subject(event: Event) -> str:
    """What a solver job is about, as its record names it."""
    return f"event {event.id}"


def _event_page(event: Event) -> str:
    return url_for("events.show", event_id=event.id)


@bp.get("/")
@public
def index():
    rows = db.session.scalars(db.select(Event).order_by(Event.starts_on.desc())).all()
    visible = [e for e in rows if can("event.view", e)]
    return render_template("events/index.html", events=visible, today=date.today())


@bp.route("/new", methods=["GET", "POST"])
@rule("event.create")
def create():
    user = actor()
    provinces = my_provinces()
    values: dict = {
        "mode": "matchmaking",
        "day_start": "08:30",
        "day_end": "17:00",
        "breaks": "11:30-13:30",
        "meeting_minutes": "20",
        "tables": "40",
    }
    errors: dict = {}
    if request.method == "POST":
        values = _form_values()
        province = next(
            (p for p in provinces if p.code == request.form.get("province")),
            provinces[0] if provinces else None,
        )
        try:
            if province is None:
                raise ValidationError({"province": _("Choose one of your provinces.")})
            event = events.create_event(db.session, values, province, user)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("Event created. Open registration when it is ready."), "success")
            return redirect(_event_page(event))
    page = render_template(
        "events/form.html", values=values, errors=errors, provinces=provinces, choices=choices()
    )
    return page, 422 if errors else 200


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@rule("event.manage", Event)
def edit(event: Event):
    values: dict = {
        **{f: getattr(event, f, "") for f in EVENT_FIELDS if hasattr(event, f)},
        "day_start": event.slots[0]["start"] if event.slots else "",
        "day_end": max((s["end"] for s in event.slots), default=""),
        "sectors": [s.id for s in event.sectors],
        "provinces": [p.code for p in event.provinces],
    }
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
    values["approval_required"] = "1" if event.approval_required else ""
    errors: dict = {}
    if request.method == "POST":
        values = _form_values()
        try:
            events.update_event(db.session, event, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(_("Event saved."), "success")
            return redirect(_event_page(event))
    page = render_template(
        "events/form.html",
        event=event,
        values=values,
        errors=errors,
        provinces=[event.province],
        choices=choices(),
    )
    return page, 422 if errors else 200


@bp.get("/<int:event_id>")
@rule("event.view", Event)
def show(event: Event):
    mine = _my_registration(event)
    suggestions = []
    if mine is not None and mine.status == RegistrationStatus.APPROVED:
        suggestions = suggest(db.session, runtime().engine, mine, actor(), limit=30)
    requests = db.session.scalars(
        db.select(MeetingRequest).where(MeetingRequest.event_id == event.id)
    ).all()
    user = actor()
    # Parts on display (reverse exhibitions): the buyers' needs the user may read.
    displayed: set[int] = set()
    if event.mode == EventMode.REVERSE:
        buyers = [
            r
            for r in event.registrations
            if r.side == "buyer" and r.status == RegistrationStatus.APPROVED
        ]
        displayed = readable_ids(db.session, user, (n.id for r in buyers for n in r.needs))
    my_needs = []
    if user is not None and user.firm is not None and user.firm.role.value != "supplier":
        my_needs = db.session.scalars(
            db.select(Need).where(Need.buyer_id == user.firm_id, Need.status == "open")
        ).all()
    return render_template(
        "events/show.html",
        event=event,
        mine=mine,
        my_needs=my_needs,
        displayed=displayed,
        suggestions=suggestions,
        sent=[r for r in requests if mine is not None and r.sender_id == mine.id],
        received=[r for r in requests if mine is not None and r.receiver_id == mine.id],
        requests=requests,
        agenda=events.agenda(event, mine) if mine is not None else [],
        slot_label=lambda s: events.slot_label(event, s),
        manage=can("event.manage", event),
        can_register=can("event.take_part", event)
        and not events.eligibility_problems(event, user.firm),
    )


@bp.post("/<int:event_id>/status")
@rule("event.manage", Event)
def set_status(event: Event):
    try:
        status = EventStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    events.set_status(db.session, event, status)
    flash(_("Event status changed."), "success")
    return redirect(_event_page(event))


@bp.post("/<int:event_id>/register")
@rule("event.take_part", Event)
def register(event: Event):
    back = back_to(_event_page(event))
    firm = actor().firm
    available = [v for v in request.form.getlist("available") if v.strip()]
    need_ids = {record_id(v) for v in request.form.getlist("needs") if v.isdigit()}
    needs = [n for n in (db.session.get(Need, i) for i in need_ids) if n is not None]
    reg = events.register(
        db.session,
        event,
        firm,
        available=available or None,
        needs=needs,
        side=request.form.get("side"),
    )
    if reg.status == RegistrationStatus.PENDING:
        flash(_("Registered. The organisers will confirm your place."), "success")
    else:
        flash(_("Registered."), "success")
    return redirect(back)


@bp.post("/registrations/<int:reg_id>/decide")
@rule("event.manage", Registration)
def decide(reg: Registration):
    events.decide_registration(db.session, reg, request.form.get("decision") == "approve")
    return redirect(url_for("events.show", event_id=reg.event_id, _anchor="participants"))


@bp.post("/<int:event_id>/requests")
@rule("event.take_part", Event)
def send_request(event: Event):
    back = back_to(url_for("events.show", event_id=event.id, _anchor="requests"))
    mine = _my_registration(event)
    receiver = db.session.get(Registration, request.form.get("receiver", type=record_id) or 0)
    need = db.session.get(Need, request.form.get("need", type=record_id) or 0)
    if mine is None or receiver is None or receiver.event_id != event.id:
        raise ValidationError({"receiver": _("Register for this event first.")})
    events.request_meeting(
        db.session,
        mine,
        receiver,
        priority=request.form.get("priority", 2, type=int) or 2,
        message=request.form.get("message", "")[:1000],
        need=need
        if need is not None
        and need.buyer_id in (mine.firm_id, receiver.firm_id)
        and can("need.view", need)
        else None,
        score=request.form.get("score", type=float),
    )
    flash(_("Meeting request sent."), "success")
    return redirect(back)


@bp.post("/requests/<int:req_id>/answer")
@rule("request.answer", MeetingRequest)
def answer(req: MeetingRequest):
    back = back_to(url_for("events.show", event_id=req.event_id, _anchor="requests"))
    events.answer_request(db.session, req, request.form.get("decision") == "accept")
    accepted = req.status == RequestStatus.ACCEPTED
    flash(_("Request accepted.") if accepted else _("Request declined."), "success")
    return redirect(back)


# -- the organisers' schedule -------------------------------------------------------------


@bp.get("/<int:event_id>/schedule")
@rule("event.manage", Event)
def schedule(event: Event):
    # The participants and their firms in one query, before the meetings ask for them:
    # each meeting's two registrations and firms are then found in the session, not
    # loaded one query at a time (180 queries for the 200 meetings of the benchmark's
    # event). Held until the page is rendered: the session keeps only weak references.
    participants = db.session.scalars(
        db.select(Registration)
        .where(Registration.event_id == event.id)
        .options(joinedload(Registration.firm))
        .order_by(Registration.id)  # as ``event.registrations``
    ).all()
    grid: dict[tuple[int, int], Meeting] = {}
    waiting = []
    for m in events.schedulable(event):
        if m.slot is None:
            waiting.append(m)
        else:
            grid[(m.slot, m.table)] = m
    waiting.sort(key=lambda m: -m.weight)
    # The user's latest solver run for this event, followed on the page.
    jobs = records.latest(db.session, actor(), JobKind.SCHEDULE, _subject(event), limit=1)
    return render_template(
        "events/schedule.html",
        event=event,
        grid=grid,
        waiting=waiting,
        tables=events.table_count(event),
        slot_label=lambda s: events.slot_label(event, s),
        job_id=jobs[0].id if jobs else None,
        regs=[r for r in participants if r.status == RegistrationStatus.APPROVED],
    )


@bp.post("/<int:event_id>/solve")
@rule("event.manage", Event)
def solve(event: Event):
    """Run the solver as a job, around locked meetings."""
    seconds = min(max(request.form.get("time_limit", 60, type=float) or 60, 5), 600)
    records.start(
        db.session,
        actor(),
        JobKind.SCHEDULE,
        _subject(event),
        schedule_event,
        [event.id, seconds, actor().id],
        params={"event_id": event.id, "time_limit": seconds},
    )
    flash(_("The solver is running; the grid updates when it is done."), "success")
    return redirect(url_for("events.schedule", event_id=event.id))


@bp.get("/<int:event_id>/solve/<job_id>.json")
@rule("event.manage", Event)
def solve_status(event: Event, job_id: str):
    job = records.owned(db.session, actor(), job_id, JobKind.SCHEDULE)
    if job is None or job.subject != _subject(event):
        abort(404)
    return job_status(job, _("The solver failed; the previous schedule is unchanged."))


@bp.post("/<int:event_id>/meetings")
@rule("event.manage", Event)
def add_meeting(event: Event):
    back = back_to(url_for("events.schedule", event_id=event.id))
    buyer = db.session.get(Registration, request.form.get("buyer", type=record_id) or 0)
    supplier = db.session.get(Registration, request.form.get("supplier", type=record_id) or 0)
    if buyer is None or supplier is None:
        raise ValidationError({"supplier": _("Choose a buyer and a supplier.")})
    events.add_meeting(db.session, buyer, supplier)
    flash(_("Meeting added."), "success")
    return redirect(back)


@bp.post("/meetings/<int:meeting_id>/move")
@rule("event.manage", Meeting)
def move(meeting: Meeting):
    """Place, lock, unlock or remove a meeting by hand; conflicts are refused. After
    publication, the two participants are told of the change."""
    event = meeting.event
    back = back_to(url_for("events.schedule", event_id=event.id))
    action = request.form.get("action", "move")
    if action == "unplace":
        events.unplace(db.session, meeting)
    elif action in ("lock", "unlock"):
        events.set_locked(db.session, meeting, action == "lock")
    elif action == "cancel":
        events.cancel_meeting(db.session, meeting)
    else:
        slot = request.form.get("slot", type=int)
        table = request.form.get("table", type=int)
        if slot is None or table is None:
            raise ValidationError({"slot": _("Choose a slot and a table.")})
        events.move_meeting(db.session, event, meeting, slot - 1, table - 1)
    if event.status == EventStatus.PUBLISHED and action in ("move", "unplace", "cancel"):
        notify_schedule_change.delay(event.id, [meeting.id])
    flash(_("Schedule changed."), "success")
    return redirect(back)


@bp.get("/<int:event_id>/schedule.xlsx")
@rule("event.manage", Event)
def schedule_export(event: Event):
    with document_language(current_locale()) as t:
        body = schedule_xlsx(event, t, shown=_shown(events.schedulable(event)))
    return attachment(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"event-{event.id}-schedule.xlsx",
    )


@bp.get("/<int:event_id>/tables")
@rule("event.manage", Event)
def table_sheets(event: Event):
    """One printable sheet per table: who meets whom there, slot by slot."""
    by_table: dict[int, list[Meeting]] = {}
    for m in events.schedulable(event):
        if m.slot is not None:
            by_table.setdefault(m.table, []).append(m)
    for meetings in by_table.values():
        meetings.sort(key=lambda m: m.slot)
    return render_template(
        "events/tables.html",
        event=event,
        by_table=dict(sorted(by_table.items())),
        slot_label=lambda s: events.slot_label(event, s),
    )


# -- a participant's agenda ---------------------------------------------------------------


@bp.get("/registrations/<int:reg_id>/agenda")
@rule("registration.own", Registration)
def agenda(reg: Registration):
    event = reg.event
    meetings = events.agenda(event, reg)
    return render_template(
        "events/agenda.html",
        event=event,
        reg=reg,
        meetings=meetings,
        shown=_shown(meetings),
        slot_label=lambda s: events.slot_label(event, s),
    )


@bp.get("/registrations/<int:reg_id>/agenda.pdf")
@rule("registration.own", Registration)
def agenda_document(reg: Registration):
    headers = [_("Time"), _("Table"), _("With"), _("About")]
    meetings = events.agenda(reg.event, reg)
    body = agenda_pdf(
        reg.event,
        reg,
        meetings,
        headers,
        _("No meetings scheduled yet."),
        shown=_shown(meetings),
    )
    return attachment(body, "application/pdf", f"ketnoi-agenda-{reg.id}.pdf")


@bp.get("/registrations/<int:reg_id>/agenda.ics")
@rule("registration.own", Registration)
def agenda_calendar(reg: Registration):
    meetings = events.agenda(reg.event, reg)
    body = agenda_ics(reg.event, reg, meetings, shown=_shown(meetings))
    return attachment(body, "text/calendar; charset=utf-8", f"ketnoi-event-{reg.event_id}.ics")


# -- on the day -----------------------------------------------------------------------------


@bp.post("/registrations/<int:reg_id>/attendance")
@rule("event.manage", Registration)
def attendance(reg: Registration):
    """Check a participant in, or mark a no-show: its meetings from the given slot on
    free their places for meetings still waiting (whose participants are told)."""
    if request.form.get("present") == "0":
        start = max((request.form.get("from_slot", 1, type=int) or 1) - 1, 0)
        filled = events.mark_no_show(db.session, reg.event, reg, start)
        if filled:
            notify_schedule_change.delay(reg.event_id, [m.id for m in filled])
        flash(
            _("No-show recorded; %(count)s waiting meetings moved up.", count=len(filled)),
            "success",
        )
    else:
        events.check_in(db.session, reg)
        flash(_("Checked in."), "success")
    return redirect(url_for("events.show", event_id=reg.event_id, _anchor="participants"))


@bp.post("/meetings/<int:meeting_id>/outcome")
@rule("event.manage", Meeting)
def outcome(meeting: Meeting):
    back = back_to(url_for("events.schedule", event_id=meeting.event_id))
    try:
        outcome = MeetingOutcome(request.form.get("outcome", ""))
    except ValueError:
        flash(_("Choose an outcome."), "error")
        return redirect(back)
    events.record_meeting_outcome(db.session, meeting, outcome, request.form.get("note", ""))
    flash(_("Outcome recorded."), "success")
    return redirect(back)
