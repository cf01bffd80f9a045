"""Deals of the demo catalogue: what a newcomer sees after ``make run``.

The demo buyer's first open need has the walk the product is built for: three
suppliers answered it (the demo supplier with a message, two others with quotes, one in
US dollars), the buyer asked a question, approved a sample (PPAP level 3) and placed a
purchase order, then rated the deliveries. Needs of buyers in the provinces the demo's
officers act for have deals at every stage, dated over the last weeks, so each
officer's funnel has something to count (a first order, quotes, answers) and a need
has stalled.

Seed data, like the catalogue it completes: written straight into the models (through
``pipeline.reach`` for the stages, so the judgements are those the product records),
without the notifications a live answer would send. Loaded once: when any deal exists,
nothing is added.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..demo import demo_data
from ..models import (
    Capability,
    Deal,
    DealMessage,
    Firm,
    FirmRole,
    Need,
    NeedStatus,
    NeedVisibility,
    PurchaseOrder,
    Quote,
    Side,
    Stage,
    SupplierRating,
    User,
    officer_provinces,
)
from ..models.base import vietnam_today
from ..relationships import from_deal
from . import pipeline
from .quotes import price_in_vnd


def _user(session: Session, role: str) -> User | None:
    email = demo_data("accounts")["firm_users"].get(role)
    return session.scalar(select(User).where(User.email == email)) if email else None


def _suppliers_for(session: Session, need: Need, exclude: set[int], count: int) -> list[Firm]:
    """Demo suppliers with a capability of the need's process (the lowest ids first,
    so the demo is the same on every machine)."""
    query = (
        select(Firm)
        .join(Capability, Capability.firm_id == Firm.id)
        .where(Firm.demo_key.is_not(None), Firm.role != FirmRole.BUYER)
        .order_by(Firm.id)
    )
    if need.process_id:
        query = query.where(Capability.process_id == need.process_id)
    found: list[Firm] = []
    for firm in session.scalars(query):
        if firm.id not in exclude and firm.id != need.buyer_id and firm not in found:
            found.append(firm)
        if len(found) == count:
            break
    return found


def _message(session, deal, side, user, body, kind="message") -> DealMessage:
    message = DealMessage(
        deal=deal, side=side, kind=kind, body=body, author_id=user.id if user else None
    )
    session.add(message)
    session.flush()
    return message


def _quote(session, deal, price: str, currency: str, lead: int, capacity: int, days_ago: int):
    quote = Quote(
        deal=deal,
        unit_price=Decimal(price),
        currency=currency,
        unit_price_vnd=price_in_vnd(Decimal(price), currency),
        min_order_qty=1000,
        lead_time_days=lead,
        capacity_per_month=capacity,
        valid_until=vietnam_today() + timedelta(days=45),
        note="",
    )
    session.add(quote)
    session.flush()
    on = vietnam_today() - timedelta(days=days_ago)
    quote.created_at = datetime.combine(on, time(9), UTC)
    pipeline.reach(session, deal, Stage.QUOTED, source="quote", ref_id=quote.id, on=on)
    return quote


def _order(session, deal, on: date, value: Decimal, user, reference: str = "") -> PurchaseOrder:
    """A purchase order on ``deal`` (its stage, and the tier-1 supply relationship)."""
    order = PurchaseOrder(
        deal=deal,
        ordered_on=on,
        reference=reference,
        value=value,
        currency="VND",
        value_vnd=int(value),
        author_id=user.id if user else None,
    )
    session.add(order)
    session.flush()
    pipeline.reach(
        session, deal, Stage.PURCHASE_ORDER, source="purchase_order", ref_id=order.id, on=on
    )
    link = from_deal(session, deal.need, deal.supplier)
    order.part_families = list(link.part_families)
    return order


def _officers_needs(session: Session, taken: set[Need]) -> list[Need]:
    """Open needs of buyers in the provinces the demo's officers act for (one per
    buyer, the lowest ids first)."""
    provinces = select(officer_provinces.c.province_id)
    found: list[Need] = []
    buyers: set[int] = set()
    query = (
        select(Need)
        .join(Firm, Firm.id == Need.buyer_id)
        .where(
            Firm.province_id.in_(provinces),
            Need.status == NeedStatus.OPEN,
            Need.visibility.in_([NeedVisibility.PUBLIC, NeedVisibility.REGISTERED]),
        )
        .order_by(Need.id)
    )
    for need in session.scalars(query):
        if need not in taken and need.buyer_id not in buyers:
            found.append(need)
            buyers.add(need.buyer_id)
    return found


def load_demo_deals(session: Session) -> dict[str, int]:
    """Add the demo's deals when there are none; returns counts."""
    existing = session.scalar(select(func.count(Deal.id))) or 0
    if existing:
        return {"deals_existing": existing}
    buyer_user, supplier_user = _user(session, "buyer"), _user(session, "supplier")
    if buyer_user is None or buyer_user.firm_id is None:
        return {"deals_created": 0}
    needs = list(
        session.scalars(
            select(Need)
            .where(
                Need.buyer_id == buyer_user.firm_id,
                Need.status == NeedStatus.OPEN,
                Need.visibility.in_([NeedVisibility.PUBLIC, NeedVisibility.REGISTERED]),
            )
            .order_by(Need.id)
            .limit(4)
        )
    )
    if not needs:
        return {"deals_created": 0}
    today = vietnam_today()
    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    main = needs[0]
    own = supplier_user.firm if supplier_user is not None else None
    others = _suppliers_for(session, main, {own.id} if own else set(), 3 if own is None else 2)
    answering = ([own] if own is not None else []) + others
    made = []

    # The walk: one message, two quotes (one in dollars), a question, a sample, an order.
    first, *quoting = answering[:3]
    deal = pipeline.deal_for(session, main, first, started_by=Side.SUPPLIER, match_score=0.78)
    message = _message(
        session,
        deal,
        Side.SUPPLIER,
        supplier_user if first is own else None,
        "Xưởng chúng tôi làm được chi tiết này, xin gửi bản vẽ để báo giá.",
        kind="interest",
    )
    pipeline.reach(session, deal, Stage.INTEREST, source="message", ref_id=message.id, on=ago(20))
    made.append(deal)
    prices = [("12500", "VND", 21, 15000), ("0.52", "USD", 28, 30000)]
    for supplier, (price, currency, lead, capacity) in zip(quoting, prices, strict=False):
        deal = pipeline.deal_for(session, main, supplier, match_score=0.71)
        _message(
            session,
            deal,
            Side.SUPPLIER,
            None,
            "We can supply from our Vietnamese plant; quotation attached.",
            kind="interest",
        )
        _quote(session, deal, price, currency, lead, capacity, days_ago=18)
        made.append(deal)
    if len(made) > 1:
        chosen = made[1]
        _message(
            session,
            chosen,
            Side.BUYER,
            buyer_user,
            "Could you hold ±0.05 mm on the mounting holes, and ship samples in two weeks?",
        )
        _message(session, chosen, Side.SUPPLIER, None, "Được, chúng tôi gửi 50 mẫu trong 10 ngày.")
        pipeline.reach(session, chosen, Stage.SAMPLE_ORDERED, user=buyer_user, on=ago(14))
        pipeline.reach(
            session,
            chosen,
            Stage.SAMPLE_APPROVED,
            user=buyer_user,
            on=ago(4),
            ppap_level=3,
            first_article=True,
        )
        _order(session, chosen, ago(2), Decimal("375000000"), buyer_user, "PO-2026-0117")
        session.add(
            SupplierRating(
                deal=chosen,
                supplier_id=chosen.supplier_id,
                buyer_id=chosen.buyer_id,
                quality=5,
                on_time=4,
                communication=4,
                ppm=150.0,
                on_time_pct=96.0,
                comment="",
                rated_by_id=buyer_user.id,
            )
        )

    # Deals on needs of buyers in the demo officers' provinces, so that their funnel
    # counts something: one to a first order, one quoted, one answered, and one need
    # nobody moved on for weeks (stalled).
    plans = [
        ((Stage.INTEREST, Stage.INTRODUCED, Stage.QUOTED, Stage.SAMPLE_APPROVED), 40),
        ((Stage.INTEREST, Stage.QUOTED), 12),
        ((Stage.INTEREST,), 9),
        ((Stage.INTEREST,), 45),
    ]
    for need, (stages, days) in zip(_officers_needs(session, set(needs)), plans, strict=False):
        for supplier in _suppliers_for(session, need, {f.id for f in answering}, 1):
            deal = pipeline.deal_for(session, need, supplier, match_score=0.66)
            message = _message(
                session,
                deal,
                Side.SUPPLIER,
                None,
                "Chúng tôi quan tâm, xin trao đổi thêm.",
                kind="interest",
            )
            for offset, stage in enumerate(stages):
                on = ago(days - 3 * offset)
                if stage == Stage.QUOTED:
                    _quote(session, deal, "8900", "VND", 14, 20000, days_ago=days - 3 * offset)
                elif stage == Stage.INTEREST:
                    pipeline.reach(session, deal, stage, source="message", ref_id=message.id, on=on)
                else:
                    pipeline.reach(session, deal, stage, on=on, ppap_level=None)
            if Stage.SAMPLE_APPROVED in stages:
                _order(session, deal, ago(days - 3 * len(stages)), Decimal("128000000"), None)
            made.append(deal)
    session.commit()
    return {"deals_created": len(made)}
