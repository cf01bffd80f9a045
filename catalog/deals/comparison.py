"""The buyer's comparison of the answers to a need: each supplier's current quotation
side by side (price in its currency and in đồng, minimum order, lead time, capacity
against the need's monthly volume, validity, the certificates it rests on, verified
badge, distance, match score, stage), sortable; shortlisting and declining a quotation.

The rows are the deals the reader may read (``deals_query``): the conversation and the
quotes belong to the two firms, so an officer who manages the need sees only the deals
one side asked them in on. A declined quotation stays in the table, last, so the buyer
still sees what it declined and why. Functions here flush and never commit: the caller
commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..access import manage_need
from ..i18n import N_
from ..models import (
    CloseReason,
    Deal,
    DealMessage,
    Firm,
    MatchJudgement,
    Need,
    Outcome,
    Province,
    Quote,
    QuoteStatus,
    ShortlistEntry,
    Side,
    Stage,
    User,
)
from ..models.base import vietnam_today
from ..notifications.deals import DEAL_QUOTE_DECLINED, deal_notice
from ..validation import ValidationError, clean_field
from . import deals_query

# The quotations a comparison shows (withdrawn and superseded ones are history).
CURRENT = (QuoteStatus.SUBMITTED, QuoteStatus.SHORTLISTED, QuoteStatus.DECLINED)
SORTS = ("price", "lead_time", "capacity", "score", "distance")
SORT_LABELS: dict[str, str] = {
    "price": N_("Price"),
    "lead_time": N_("Lead time"),
    "capacity": N_("Capacity"),
    "score": N_("Match score"),
    "distance": N_("Distance"),
}
EARTH_RADIUS_KM = 6371.0


def distance_km(a: Province | None, b: Province | None) -> float | None:
    """Great-circle distance between two provinces' reference points (the haversine of
    ``matching.constraints.distance_km``, which the catalog may not import)."""
    if a is None or b is None or None in (a.lat, a.lon, b.lat, b.lon):
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class CertificateView:
    """A certificate a quotation rests on, as of today."""

    standard: str
    valid_until: date | None
    valid: bool
    verified: bool


@dataclass
class ComparisonRow:
    """One supplier's answer to the need: its current quotation, or its interest only."""

    deal: Deal
    quote: Quote | None
    supplier: Firm
    verified: bool
    distance_km: float | None
    needed_per_month: int | None
    certificates: list[CertificateView] = field(default_factory=list)

    @property
    def declined(self) -> bool:
        return self.quote is not None and self.quote.status == QuoteStatus.DECLINED

    @property
    def shortlisted(self) -> bool:
        return self.quote is not None and self.quote.status == QuoteStatus.SHORTLISTED

    @property
    def unit_price_vnd(self) -> int | None:
        """The unit price in đồng: as the quotation converted it, or its own price when
        it is in đồng."""
        if self.quote is None:
            return None
        if self.quote.unit_price_vnd is not None:
            return self.quote.unit_price_vnd
        if self.quote.currency == "VND" and self.quote.unit_price is not None:
            return int(self.quote.unit_price)
        return None

    @property
    def capacity_ok(self) -> bool | None:
        """Whether the monthly capacity offered covers the need's monthly volume."""
        offered = self.quote.capacity_per_month if self.quote else None
        if offered is None or self.needed_per_month is None:
            return None
        return offered >= self.needed_per_month

    @property
    def expired(self) -> bool:
        return (
            self.quote is not None
            and self.quote.valid_until is not None
            and self.quote.valid_until < vietnam_today()
        )

    @property
    def match_score(self) -> float | None:
        return self.deal.match_score

    @property
    def stage(self) -> Stage:
        return self.deal.stage

    def sort_value(self, sort: str) -> Any:
        """The value ``sort`` orders by, oriented so that smaller comes first (None: last)."""
        q = self.quote
        if sort == "price":
            return self.unit_price_vnd
        if sort == "lead_time":
            return q.lead_time_days if q else None
        if sort == "capacity":
            return -q.capacity_per_month if q and q.capacity_per_month is not None else None
        if sort == "score":
            return -self.match_score if self.match_score is not None else None
        return self.distance_km

    def as_dict(self) -> dict[str, Any]:
        """The row for the API: figures and ids, no people."""
        q = self.quote
        return {
            "deal_id": self.deal.id,
            "quote_id": q.id if q else None,
            "supplier_id": self.supplier.id,
            "supplier": self.supplier.display_name,
            "verified": self.verified,
            "status": q.status.value if q else None,
            "unit_price": price_text(q.unit_price) if q else None,
            "currency": q.currency if q else None,
            "unit_price_vnd": self.unit_price_vnd,
            "min_order_qty": q.min_order_qty if q else None,
            "lead_time_days": q.lead_time_days if q else None,
            "capacity_per_month": q.capacity_per_month if q else None,
            "needed_per_month": self.needed_per_month,
            "capacity_ok": self.capacity_ok,
            "valid_until": q.valid_until.isoformat() if q and q.valid_until else None,
            "expired": self.expired,
            "certificates": [
                {
                    "standard": c.standard,
                    "valid_until": c.valid_until.isoformat() if c.valid_until else None,
                    "valid": c.valid,
                    "verified": c.verified,
                }
                for c in self.certificates
            ],
            "distance_km": None if self.distance_km is None else round(self.distance_km),
            "match_score": self.match_score,
            "stage": self.stage.value,
            "decline_reason": q.decline_reason.value if q and q.decline_reason else None,
        }


def current_quote(deal: Deal) -> Quote | None:
    """The deal's newest quotation still standing (submitted, shortlisted or declined)."""
    return max((q for q in deal.quotes if q.status in CURRENT), key=lambda q: q.id, default=None)


def _row(deal: Deal, quote: Quote | None, need: Need, today: date) -> ComparisonRow:
    firm = deal.supplier
    checks = firm.current_checks(today)
    rests_on = [("capability", c.id) for c in quote.capabilities] if quote else []
    rests_on += [("certification", c.id) for c in quote.certifications] if quote else []
    certificates = [
        CertificateView(
            c.standard, c.valid_until, c.is_valid(today), ("certification", c.id) in checks
        )
        for c in (quote.certifications if quote else [])
    ]
    needed = math.ceil(need.quantity_per_year / 12) if need.quantity_per_year else None
    return ComparisonRow(
        deal=deal,
        quote=quote,
        supplier=firm,
        # The province's badge on the firm, or a standing check of what the quote rests on.
        verified=firm.verified_at is not None or any(k in checks for k in rests_on),
        distance_km=distance_km(firm.province, need.delivery_province or need.buyer.province),
        needed_per_month=needed,
        certificates=certificates,
    )


def compare(
    session: Session, need: Need, reader: User | None, sort: str = "price"
) -> list[ComparisonRow]:
    """The answers to ``need`` that ``reader`` may read, one row per supplier with a
    current quotation or an expression of interest, sorted by ``sort`` (values missing
    last); declined quotations come after all the others."""
    if sort not in SORTS:
        raise ValidationError(
            {"sort": N_("Sort by price, lead time, capacity, score or distance.")}
        )
    if not manage_need(reader, need):
        return []
    deals = session.scalars(
        deals_query(reader)
        .where(Deal.need_id == need.id)
        .options(
            selectinload(Deal.quotes).selectinload(Quote.certifications),
            selectinload(Deal.quotes).selectinload(Quote.capabilities),
            selectinload(Deal.supplier).selectinload(Firm.verifications),
        )
    ).all()
    with_interest = set(
        session.scalars(
            select(DealMessage.deal_id).where(
                DealMessage.deal_id.in_([d.id for d in deals]),
                DealMessage.kind == "interest",
                DealMessage.side == Side.SUPPLIER,
            )
        )
    )
    today = vietnam_today()
    rows = []
    for deal in deals:
        quote = current_quote(deal)
        if quote is None and deal.id not in with_interest:
            continue
        rows.append(_row(deal, quote, need, today))

    def key(row: ComparisonRow) -> tuple:
        value = row.sort_value(sort)
        return (row.declined, value is None, value if value is not None else 0, row.deal.id)

    return sorted(rows, key=key)


def _quote_of(need_quote: Quote, *allowed: QuoteStatus) -> None:
    if need_quote.status not in allowed:
        raise ValidationError(
            {"status": N_("This quotation was withdrawn or replaced by a newer one.")}
        )


def shortlist_quote(session: Session, quote: Quote, user: User | None) -> Quote:
    """Keep a quotation for the decision: it is marked shortlisted and its supplier is
    on the need's shortlist (added once, with the deal's match score), a judgement the
    reranker learns from as a shortlisting from the match list."""
    _quote_of(quote, QuoteStatus.SUBMITTED, QuoteStatus.SHORTLISTED, QuoteStatus.DECLINED)
    deal = quote.deal
    quote.status = QuoteStatus.SHORTLISTED
    quote.decline_reason, quote.decline_note = None, ""
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.need_id == deal.need_id, ShortlistEntry.firm_id == deal.supplier_id
        )
    )
    if entry is None:
        capability = quote.capabilities[0] if quote.capabilities else None
        session.add(
            ShortlistEntry(
                need_id=deal.need_id,
                firm_id=deal.supplier_id,
                capability_id=capability.id if capability else None,
                score=deal.match_score,
            )
        )
        session.add(
            MatchJudgement(
                need_id=deal.need_id,
                firm_id=deal.supplier_id,
                capability_id=capability.id if capability else None,
                outcome=Outcome.SHORTLISTED,
                source="buyer",
            )
        )
    session.flush()
    return quote


def decline_quote(
    session: Session,
    quote: Quote,
    user: User | None,
    reason: CloseReason | str,
    note: str = "",
) -> Quote:
    """Decline a quotation with a reason (and a note); the supplier is told. The deal
    itself stays open: the supplier may send a better offer, and closing a deal is the
    pipeline's step (``pipeline.close``)."""
    try:
        reason = CloseReason(reason)
    except ValueError:
        raise ValidationError({"reason": N_("Choose why the quotation is declined.")}) from None
    note = clean_field("note", note, multiline=True)
    if len(note) > 1000:
        raise ValidationError({"note": N_("Must be at most 1,000 characters.")})
    _quote_of(quote, QuoteStatus.SUBMITTED, QuoteStatus.SHORTLISTED)
    quote.status = QuoteStatus.DECLINED
    quote.decline_reason, quote.decline_note = reason, note
    deal_notice(session, quote.deal, DEAL_QUOTE_DECLINED, to=Side.SUPPLIER)
    session.flush()
    return quote


def price_text(amount: Decimal | None) -> str:
    """A unit price as typed, without the stored scale's trailing zeros ("1.25", "12500")."""
    if amount is None:
        return ""
    return format(Decimal(amount).normalize(), "f")
