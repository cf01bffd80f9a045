"""Demo events: a Vĩnh Phúc matchmaking day with registrations and meeting requests,
and a Bắc Ninh reverse exhibition open for registration, so a newcomer sees the event
workflow at work. What each event is (its form, province and dates relative to today)
is in ``catalog/data/demo/events.json``. Idempotent: an event already there (by name)
is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import events
from ..demo import demo_data
from ..models import (
    Capability,
    Event,
    EventStatus,
    Firm,
    FirmRole,
    Need,
    NeedStatus,
)
from ..places import resolve_place

MATCHMAKING = demo_data("events")["matchmaking"]["form"]["name"]
REVERSE = demo_data("events")["reverse"]["form"]["name"]
BUYERS = 8
SUPPLIERS_PER_NEED = 5


def load_demo_events(session: Session, today: date | None = None) -> dict[str, int]:
    today = today or date.today()
    made = {"events": 0, "registrations": 0, "requests": 0}
    if session.scalar(select(Event).where(Event.name == MATCHMAKING)) is None:
        _matchmaking_day(session, today, made)
    if (
        session.scalar(select(Event).where(Event.name == REVERSE)) is None
        and _open_event(session, demo_data("events")["reverse"], today) is not None
    ):
        made["events"] += 1
    return made


def _open_event(session: Session, spec: dict[str, Any], today: date) -> Event | None:
    """Create and open the event ``spec`` describes; None when its province is missing."""
    place = resolve_place(session, spec["province"])  # a code of the old map works too
    if place is None:
        return None
    province = place.province
    form = {
        **spec["form"],
        "starts_on": (today + timedelta(days=spec["starts_in_days"])).isoformat(),
        "registration_deadline": (
            today + timedelta(days=spec["registration_closes_in_days"])
        ).isoformat(),
    }
    event = events.create_event(session, form, province, None)
    events.set_status(session, event, EventStatus.OPEN)
    return event


def _matchmaking_day(session: Session, today: date, made: dict[str, int]) -> None:
    event = _open_event(session, demo_data("events")["matchmaking"], today)
    if event is None:
        return
    made["events"] += 1
    buyers = session.scalars(
        select(Firm)
        .where(Firm.demo_key.is_not(None), Firm.role == FirmRole.BUYER)
        .order_by(Firm.id)
        .limit(BUYERS)
    ).all()
    chosen: dict[int, Firm] = {}
    for buyer in buyers:
        needs = session.scalars(
            select(Need)
            .where(Need.buyer_id == buyer.id, Need.status == NeedStatus.OPEN)
            .order_by(Need.id)
            .limit(2)
        ).all()
        reg = events.register(session, event, buyer, needs=needs, today=today)
        made["registrations"] += 1
        for need in needs:
            if need.process_id is None:
                continue
            makers = session.scalars(
                select(Firm)
                .join(Capability, Capability.firm_id == Firm.id)
                .where(
                    Capability.process_id == need.process_id,
                    Firm.demo_key.is_not(None),
                    Firm.role != FirmRole.BUYER,
                )
                .order_by(Firm.id)
                .distinct()
                .limit(SUPPLIERS_PER_NEED)
            ).all()
            for rank, maker in enumerate(makers):
                if maker.id not in chosen:
                    chosen[maker.id] = maker
                    events.register(session, event, maker, today=today)
                    made["registrations"] += 1
                other = next(r for r in event.registrations if r.firm_id == maker.id)
                events.request_meeting(
                    session, reg, other, priority=3 if rank < 2 else 2, need=need
                )
                made["requests"] += 1
                if rank % 2 == 0:  # half the suppliers asked for the meeting too
                    events.request_meeting(session, other, reg, priority=2)
                    made["requests"] += 1
