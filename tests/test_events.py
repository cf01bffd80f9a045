"""The event workflow on the real database: slots, registration rules, requests that
become meetings, conflict-checked placement, no-shows and outcomes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from catalog import events
from catalog.models import (
    EventStatus,
    MatchJudgement,
    MeetingStatus,
    Province,
    RegistrationStatus,
)
from catalog.validation import ValidationError
from tests.factories import make_buyer, make_need, make_supplier

DAY = date.today() + timedelta(days=30)


def _event(session, **data):
    values = {
        "name": "Ngày kết nối cung cầu Vĩnh Phúc",
        "mode": "matchmaking",
        "starts_on": DAY.isoformat(),
        "day_start": "09:00",
        "day_end": "12:00",
        "breaks": "10:20-10:40",
        "meeting_minutes": "20",
        "tables": "2",
        **data,
    }
    vp = session.scalar(select(Province).where(Province.code == "PT"))
    event = events.create_event(session, values, vp, None)
    events.set_status(session, event, EventStatus.OPEN)
    return event


def test_slots_skip_breaks_and_run_each_day():
    slots = events.make_slots(
        DAY, DAY + timedelta(days=1), time(9), time(11), 20, [(time(9, 40), time(10, 0))]
    )
    starts = [(s["day"], s["start"]) for s in slots]
    assert starts[:5] == [
        (DAY.isoformat(), "09:00"),
        (DAY.isoformat(), "09:20"),
        (DAY.isoformat(), "10:00"),
        (DAY.isoformat(), "10:20"),
        (DAY.isoformat(), "10:40"),
    ]
    assert len(slots) == 10 and slots[5]["day"] == (DAY + timedelta(days=1)).isoformat()


def test_bad_events_are_refused_with_every_reason(session):
    vp = session.scalar(select(Province).where(Province.code == "PT"))
    with pytest.raises(ValidationError) as err:
        events.create_event(
            session,
            {
                "name": "",
                "mode": "party",
                "starts_on": DAY.isoformat(),
                "ends_on": (DAY - timedelta(days=1)).isoformat(),
                "day_start": "09:00",
                "day_end": "08:00",
                "meeting_minutes": "20",
                "tables": "0",
            },
            vp,
            None,
        )
    assert {"name", "mode", "tables", "ends_on", "day_end"} <= set(err.value.errors)


def test_registration_follows_the_event_rules(session):
    event = _event(
        session, provinces="VP", registration_deadline=(DAY - timedelta(days=5)).isoformat()
    )
    here = make_supplier(session, "Cơ Khí Đăng Ký Vĩnh Yên", [{"title": "Tiện CNC"}])
    away = make_supplier(session, "Cơ Khí Bắc Ninh Xa", [{"title": "Tiện CNC"}], province="BN")
    reg = events.register(session, event, here, available=[0, 1, 2])
    assert reg.status == RegistrationStatus.APPROVED and reg.side == "supplier"
    assert reg.available == [0, 1, 2]
    with pytest.raises(ValidationError) as err:
        events.register(session, event, away)
    assert "province" in err.value.errors
    late = make_supplier(session, "Cơ Khí Đến Muộn", [{"title": "Phay"}])
    with pytest.raises(ValidationError) as err:
        events.register(session, event, late, today=DAY - timedelta(days=1))
    assert "event" in err.value.errors
    with pytest.raises(ValidationError):
        events.register(session, event, here, available=[99])


def test_mutual_requests_make_a_meeting_worth_more(session):
    event = _event(session)
    buyer = make_buyer(session, "Buyer Mutual Co")
    need = make_need(session, buyer, title="Turned shafts")
    supplier = make_supplier(session, "Tiện Trục Hai Chiều", [{"title": "Tiện trục"}])
    other = make_supplier(session, "Tiện Trục Một Chiều", [{"title": "Tiện trục"}])
    b = events.register(session, event, buyer, needs=[need])
    s1 = events.register(session, event, supplier)
    s2 = events.register(session, event, other)
    events.request_meeting(session, b, s1, priority=3, score=0.8)
    events.request_meeting(session, s1, b, priority=1)  # both asked: a meeting at once
    one_way = events.request_meeting(session, s2, b, priority=3, score=0.8)
    assert len(event.meetings) == 1 and event.meetings[0].mutual
    accepted = events.answer_request(session, one_way, accept=True)
    assert accepted is not None and not accepted.mutual
    assert event.meetings[0].weight > accepted.weight
    assert event.meetings[0].need_id == need.id
    with pytest.raises(ValidationError):  # two suppliers do not meet
        events.request_meeting(session, s1, s2)


def _two_meetings(session, event):
    buyer = make_buyer(session, "Buyer Placement Co")
    s1 = make_supplier(session, "Dập Xếp Lịch Một", [{"title": "Dập"}])
    s2 = make_supplier(session, "Dập Xếp Lịch Hai", [{"title": "Dập"}])
    b = events.register(session, event, buyer)
    r1 = events.register(session, event, s1, available=[0, 1])
    r2 = events.register(session, event, s2)
    m1 = events.add_meeting(session, b, r1)
    m2 = events.add_meeting(session, b, r2)
    return b, r1, r2, m1, m2


def test_hand_placement_refuses_double_bookings_and_unavailable_slots(session):
    event = _event(session)
    _b, _r1, _r2, m1, m2 = _two_meetings(session, event)
    events.move_meeting(session, event, m1, 0, 0)
    with pytest.raises(ValidationError) as err:  # the buyer is busy in slot 0
        events.move_meeting(session, event, m2, 0, 1)
    assert "slot" in err.value.errors
    with pytest.raises(ValidationError) as err:  # table 1 taken in slot 0
        events.move_meeting(session, event, m2, 0, 0)
    assert "table" in err.value.errors
    with pytest.raises(ValidationError) as err:  # supplier 1 only in slots 0 and 1
        events.move_meeting(session, event, m1, 4, 0)
    assert "slot" in err.value.errors
    events.move_meeting(session, event, m2, 1, 1)
    assert (m1.slot, m1.locked, m2.slot) == (0, True, 1)


def test_the_solver_instance_pins_locked_meetings(session):
    event = _event(session, max_meetings="6")
    _b, r1, _r2, m1, m2 = _two_meetings(session, event)
    events.move_meeting(session, event, m1, 1, 1)
    instance = events.solver_instance(event)
    assert instance["slots"] == len(event.slots) and instance["tables"] == 2
    assert instance["max_meetings_per_participant"] == 6
    by_id = {m["id"]: m for m in instance["meetings"]}
    assert by_id[f"M{m1.id}"]["pinned"] == {"slot": 1, "table": 1}
    assert "pinned" not in by_id[f"M{m2.id}"]
    avail = {p["id"]: p.get("available") for p in instance["participants"]}
    assert avail[f"R{r1.id}"] == [0, 1]
    placed = events.apply_schedule(
        session, event, [{"meeting": f"M{m2.id}", "slot": 3, "table": 0}]
    )
    assert placed == 2 and (m1.slot, m2.slot) == (1, 3)


def test_a_no_show_frees_slots_for_waiting_meetings(session):
    event = _event(session)
    b, r1, r2, m1, m2 = _two_meetings(session, event)
    events.move_meeting(session, event, m1, 0, 0, lock=False)
    assert m2.slot is None  # waiting
    filled = events.mark_no_show(session, event, r1)
    assert m1.status == MeetingStatus.NO_SHOW
    assert filled == [m2] and (m2.slot, m2.table) == (0, 0)


def test_outcomes_become_judgements_for_the_reranker(session):
    event = _event(session)
    buyer = make_buyer(session, "Buyer Outcome Co")
    need = make_need(session, buyer, title="Stamped brackets")
    supplier = make_supplier(session, "Dập Kết Quả", [{"title": "Dập giá đỡ"}])
    b = events.register(session, event, buyer, needs=[need])
    s = events.register(session, event, supplier)
    meeting = events.add_meeting(session, b, s)
    events.record_meeting_outcome(session, meeting, "sample_order", "Gửi mẫu 50 cái")
    # The meeting moves the deal of the need and the supplier: met, then sample
    # ordered, each one judgement (issue 18: stages, not the old "deal" judgement).
    judgements = session.scalars(
        select(MatchJudgement)
        .where(MatchJudgement.need_id == need.id, MatchJudgement.firm_id == supplier.id)
        .order_by(MatchJudgement.id)
    ).all()
    assert [j.outcome.value for j in judgements] == ["meeting", "sample_ordered"]
    assert meeting.status == MeetingStatus.HELD
    # Recorded again, nothing is counted twice.
    events.record_meeting_outcome(session, meeting, "sample_order", "Gửi mẫu 50 cái")
    assert (
        session.scalar(
            select(func.count(MatchJudgement.id)).where(
                MatchJudgement.need_id == need.id, MatchJudgement.firm_id == supplier.id
            )
        )
        == 2
    )


def test_reverse_exhibition_buyers_get_their_own_booths(session):
    event = _event(session, mode="reverse", tables="1")
    b1 = events.register(session, event, make_buyer(session, "Reverse Buyer One"))
    b2 = events.register(session, event, make_buyer(session, "Reverse Buyer Two"))
    s = events.register(session, event, make_supplier(session, "Xưởng Đi Thăm", [{"title": "Ép"}]))
    assert (b1.booth, b2.booth, s.booth) == (0, 1, None)
    assert events.table_count(event) == 2
    meeting = events.add_meeting(session, b2, s)
    with pytest.raises(ValidationError) as err:
        events.move_meeting(session, event, meeting, 0, 0)
    assert "table" in err.value.errors
    events.move_meeting(session, event, meeting, 0, 1)


def test_the_demo_events_load_once_with_requests_and_meetings(session):
    from catalog.events.demo import MATCHMAKING, REVERSE, load_demo_events

    first = load_demo_events(session)
    again = load_demo_events(session)
    assert again == {"events": 0, "registrations": 0, "requests": 0}
    day = session.scalar(select(events.Event).where(events.Event.name == MATCHMAKING))
    assert day is not None and first["requests"] > 10
    assert day.status == EventStatus.OPEN and len(day.slots) == 18
    sides = {r.side for r in day.registrations}
    assert sides == {"buyer", "supplier"}
    assert any(m.mutual for m in day.meetings)  # asked by both sides
    instance = events.solver_instance(day)
    assert len(instance["meetings"]) == len(day.meetings) > 0
    reverse = session.scalar(select(events.Event).where(events.Event.name == REVERSE))
    assert reverse.mode.value == "reverse" and reverse.approval_required
