"""Demo events: a Vĩnh Phúc matchmaking day with registrations and meeting requests,
and a Bắc Ninh reverse exhibition open for registration, so a newcomer sees the event
workflow at work. Idempotent: an event already there (by name) is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import events
from .models import (
    Capability,
    Event,
    EventStatus,
    Firm,
    FirmRole,
    Need,
    NeedStatus,
    Province,
)

MATCHMAKING = "Ngày kết nối cung cầu công nghiệp hỗ trợ Vĩnh Phúc"
REVERSE = "Triển lãm ngược linh kiện điện tử Bắc Ninh"
BUYERS = 8
SUPPLIERS_PER_NEED = 5


def load_demo_events(session: Session, today: date | None = None) -> dict[str, int]:
    today = today or date.today()
    made = {"events": 0, "registrations": 0, "requests": 0}
    if session.scalar(select(Event).where(Event.name == MATCHMAKING)) is None:
        _matchmaking_day(session, today, made)
    if session.scalar(select(Event).where(Event.name == REVERSE)) is None:
        bn = session.scalar(select(Province).where(Province.code == "BN"))
        if bn is not None:
            event = events.create_event(
                session,
                {
                    "name": REVERSE,
                    "description": "Các doanh nghiệp FDI trưng bày linh kiện cần nội địa hóa; "
                    "nhà cung cấp trong nước đến gian hàng để trao đổi.",
                    "venue": "Trung tâm Hội chợ Triển lãm Bắc Ninh",
                    "mode": "reverse",
                    "starts_on": (today + timedelta(days=75)).isoformat(),
                    "day_start": "09:00",
                    "day_end": "16:00",
                    "breaks": "11:30-13:00",
                    "meeting_minutes": "30",
                    "tables": "12",
                    "registration_deadline": (today + timedelta(days=60)).isoformat(),
                    "sectors": ["sector.electronics"],
                    "approval_required": "1",
                },
                bn,
                None,
            )
            events.set_status(session, event, EventStatus.OPEN)
            made["events"] += 1
    return made


def _matchmaking_day(session: Session, today: date, made: dict[str, int]) -> None:
    vp = session.scalar(select(Province).where(Province.code == "VP"))
    if vp is None:
        return
    event = events.create_event(
        session,
        {
            "name": MATCHMAKING,
            "description": "Gặp gỡ 1:1 giữa doanh nghiệp FDI và nhà cung cấp linh kiện, "
            "phụ tùng trong nước. One-to-one meetings between foreign-invested assemblers "
            "and local suppliers.",
            "venue": "Trung tâm Hội nghị tỉnh Vĩnh Phúc, Vĩnh Yên",
            "mode": "matchmaking",
            "starts_on": (today + timedelta(days=45)).isoformat(),
            "day_start": "08:30",
            "day_end": "16:30",
            "breaks": "10:10-10:30, 11:50-13:30",
            "meeting_minutes": "20",
            "tables": "20",
            "registration_deadline": (today + timedelta(days=30)).isoformat(),
            "max_meetings": "10",
        },
        vp,
        None,
    )
    events.set_status(session, event, EventStatus.OPEN)
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
