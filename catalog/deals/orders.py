"""What a buyer records on a deal after the match: samples, purchase orders, closing.

These are the domain entry points of the pipeline's pages and API: each validates what
a person typed, moves the deal through ``pipeline.reach`` / ``pipeline.close`` (so the
stage, its date and its graded judgement are written once) and tells the supplier.
Like the rest of ``catalog.deals`` they flush and never commit: the caller commits.

A purchase order is the evidence a province's programme counts: the first one on a
deal is the stage "purchase order", the next ones "repeat orders", and each makes (or
extends) the tier-1 supply relationship of the supplier and the buyer, with the part
families ordered, exactly as the old "Deal" button did (``relationships.from_deal``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import (
    CloseReason,
    Concept,
    Deal,
    DealStep,
    PurchaseOrder,
    Side,
    Stage,
    User,
)
from ..models.base import vietnam_today
from ..notifications.deals import DEAL_ORDER, DEAL_STAGE, deal_notice
from ..relationships import from_deal, part_families_named
from ..validation import ValidationError, _Checker, clean_field, integer, iso_date, text
from . import pipeline
from .quotes import price_in_vnd

MAX_VALUE = Decimal("9999999999999999.99")  # Numeric(18, 2)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def side_of(user: User | None, deal: Deal) -> Side:
    """Who records: the officers (for events), else the firm the user acts for (the
    buyer's side when it is neither firm's user, as for a step recorded by the system)."""
    return pipeline.side_of(user, deal) or Side.BUYER


def _past_date(value: Any) -> date:
    day = iso_date(value)
    if day > vietnam_today():
        raise ValueError(N_("The date cannot be in the future."))
    return day


def _note(field: str, value: Any, limit: int = 1000) -> str:
    note = clean_field(field, value or "", multiline=True).strip()
    if len(note) > limit:
        raise ValidationError(
            {
                field: N_(
                    "Must be at most %(max)s characters (got %(got)s).", max=limit, got=len(note)
                )
            }
        )
    return note


def record_stage(
    session: Session,
    deal: Deal,
    stage: Stage | str,
    user: User | None,
    on: date | str | None = None,
    note: str = "",
    ppap_level: int | str | None = None,
    first_article: bool = False,
) -> DealStep:
    """A stage a person records (``pipeline.RECORDED_STAGES``: met outside an event,
    sample ordered, sample approved with its first-article inspection and PPAP level).

    An earlier stage may be recorded late (it keeps its own date, and the deal stays
    at its furthest stage); a date in the future is refused."""
    c = _Checker({"stage": stage, "reached_on": on, "ppap_level": ppap_level})
    c.run("stage", _recorded_stage, required=True)
    c.run("reached_on", _past_date)
    c.run("ppap_level", integer(1, 5))
    try:
        note = _note("note", note)
    except ValidationError as exc:
        c.errors.update(exc.errors)
    clean = c.finish()
    stage = clean["stage"]
    approved = stage == Stage.SAMPLE_APPROVED
    step = pipeline.reach(
        session,
        deal,
        stage,
        on=clean.get("reached_on") or vietnam_today(),
        source="recorded",
        user=user,
        side=side_of(user, deal),
        note=note,
        ppap_level=clean.get("ppap_level") if approved else None,
        first_article=_yes(first_article) and approved,
    )
    deal_notice(session, deal, DEAL_STAGE, to=Side.SUPPLIER, params={"stage": stage.value})
    session.flush()
    return step


def _yes(value: Any) -> bool:
    """A checkbox or a JSON boolean."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def _recorded_stage(value: Any) -> Stage:
    try:
        stage = Stage(str(value))
    except ValueError:
        stage = None
    if stage not in pipeline.RECORDED_STAGES:
        raise ValueError(N_("Choose a stage to record."))
    return stage


def _value(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(N_("Must be a number."))
    try:
        number = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation:
        raise ValueError(N_("Must be a number.")) from None
    if not number.is_finite() or number < 0 or number > MAX_VALUE:
        raise ValueError(N_("Must be zero or more."))
    return number.quantize(Decimal("0.01"))


def _currency(value: Any) -> str:
    code = str(value).strip().upper()
    if not CURRENCY_RE.match(code):
        raise ValueError(N_("Give a three-letter currency code (VND, USD, JPY…)."))
    return code


def to_vnd(value: Decimal | None, currency: str) -> int | None:
    """The value in đồng: as is for VND; other currencies at the indicative rate table
    the quotations use (``quotes.REFERENCE_RATES_VND``), None for a currency it lacks."""
    if value is None:
        return None
    return price_in_vnd(value, currency)


def _families(session: Session, ids: Iterable[Any]) -> list[Concept]:
    chosen = []
    for concept_id in ids:
        concept = session.get(Concept, str(concept_id))
        if concept is None or concept.kind != "part_family":
            raise ValidationError({"part_families": N_("Choose part families from the list.")})
        if concept not in chosen:
            chosen.append(concept)
    return chosen


def add_order(
    session: Session,
    deal: Deal,
    user: User | None,
    *,
    ordered_on: date | None = None,
    value: Decimal | None = None,
    currency: str = "VND",
    reference: str = "",
    part_families: list[Concept] | None = None,
    side: Side | None = None,
) -> PurchaseOrder:
    """A purchase order on ``deal`` (validated already), its stage and its supply
    relationship; flushed, not committed (a meeting's "contract" outcome uses it too).
    The part families: those chosen, else the ones the need's text names."""
    ordered_on = ordered_on or vietnam_today()
    earlier = session.scalar(
        select(func.count(PurchaseOrder.id)).where(PurchaseOrder.deal_id == deal.id)
    )
    families = part_families or part_families_named(
        session, f"{deal.need.title} {deal.need.description}"
    )
    order = PurchaseOrder(
        deal=deal,
        ordered_on=ordered_on,
        reference=reference,
        value=value,
        currency=currency,
        value_vnd=to_vnd(value, currency),
        author_id=user.id if user else None,
    )
    order.part_families = list(families)
    session.add(order)
    session.flush()
    from_deal(session, deal.need, deal.supplier, part_families=list(families), since=ordered_on)
    pipeline.reach(
        session,
        deal,
        Stage.REPEAT_ORDER if earlier else Stage.PURCHASE_ORDER,
        on=ordered_on,
        source="purchase_order",
        ref_id=order.id,
        user=user,
        side=side or side_of(user, deal),
    )
    return order


def record_order(
    session: Session,
    deal: Deal,
    user: User | None,
    ordered_on: date | str | None = None,
    value: Decimal | str | float | None = None,
    currency: str | None = "VND",
    reference: str = "",
    part_family_ids: Iterable[Any] | None = None,
) -> PurchaseOrder:
    """The buyer placed a purchase order with the supplier: the first on the deal is
    the stage "purchase order", the next ones "repeat orders". The value is optional
    (zero or more, in any currency; kept in đồng too when a rate is known)."""
    c = _Checker(
        {
            "ordered_on": ordered_on,
            "value": value,
            "currency": currency or "VND",
            "reference": reference or None,
        }
    )
    c.run("ordered_on", _past_date)
    c.run("value", _value)
    c.run("currency", _currency)
    c.run("reference", text(60))
    ids = [i for i in (part_family_ids or []) if str(i).strip()]
    families: list[Concept] = []
    try:
        families = _families(session, ids)
    except ValidationError as exc:
        c.errors.update(exc.errors)
    clean = c.finish()
    order = add_order(
        session,
        deal,
        user,
        ordered_on=clean.get("ordered_on"),
        value=clean.get("value"),
        currency=clean.get("currency") or "VND",
        reference=clean.get("reference") or "",
        part_families=families,
    )
    deal_notice(session, deal, DEAL_ORDER, to=Side.SUPPLIER, params={"order_id": order.id})
    session.flush()
    return order


def close_deal(
    session: Session,
    deal: Deal,
    reason: CloseReason | str,
    user: User | None,
    note: str = "",
) -> DealStep:
    """End the deal with a reason (``pipeline.close``: capacity or certification say
    the match was wrong) and tell the supplier."""
    if deal.stage == Stage.CLOSED:
        raise ValidationError({"reason": N_("This deal is already closed.")})
    note = _note("note", note)
    side = side_of(user, deal)
    step = pipeline.close(session, deal, reason, user=user, side=side, note=note)
    to = Side.BUYER if side == Side.SUPPLIER else Side.SUPPLIER
    deal_notice(session, deal, DEAL_STAGE, to=to, params={"stage": Stage.CLOSED.value})
    session.flush()
    return step


def order_dict(order: PurchaseOrder) -> dict[str, Any]:
    """A purchase order for the API."""
    return {
        "id": order.id,
        "deal_id": order.deal_id,
        "ordered_on": order.ordered_on.isoformat(),
        "reference": order.reference,
        "value": str(order.value) if order.value is not None else None,
        "currency": order.currency,
        "value_vnd": order.value_vnd,
        "part_families": [c.id for c in order.part_families],
        "stage": order.deal.stage.value,
    }
