"""A supplier's quotations on a need: price, quantities, lead time, validity, the
capabilities and certifications the offer rests on, attachments.

A quote belongs to the deal of the need and the supplier (begun by the quote when
there is none yet). A newer quote on the same deal supersedes the older ones still
standing, so the buyer compares one offer per supplier. Each quote is the "quoted"
stage of the deal, recorded once from that quote (``pipeline.reach``), and tells the
buyer's users. When the supplier was asked to quote through a request for quotation
(``QuoteRequestRecipient``), the quote names that request.

Prices in another currency are also kept in đồng (``unit_price_vnd``) so offers can be
sorted side by side; the rates used are ``REFERENCE_RATES_VND`` below. Functions here
flush and never commit: the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import OutOfScope, answer_need, supply_deal
from ..files import Upload
from ..i18n import N_
from ..models import (
    Capability,
    Certification,
    Firm,
    Need,
    Quote,
    QuoteRequest,
    QuoteRequestRecipient,
    QuoteStatus,
    Side,
    Stage,
    User,
)
from ..models.base import vietnam_today
from ..notifications.deals import DEAL_QUOTE, deal_notice
from ..schemas import iso
from ..validation import ValidationError, clean_field, integer, iso_date
from .conversation import MAX_BODY, check_files, store_files
from .pipeline import deal_for, reach

CURRENCIES = ("VND", "USD", "JPY", "KRW", "CNY", "EUR", "TWD", "THB")
# Đồng per unit of each currency. INDICATIVE ONLY: round reference rates (mid-2025
# order of magnitude), used for nothing but sorting offers written in several
# currencies on one scale; the quote keeps the price and currency the supplier wrote,
# and no amount is ever converted for payment or reporting with them. A currency
# missing here leaves ``unit_price_vnd`` empty (such offers sort last).
REFERENCE_RATES_VND: dict[str, Decimal] = {
    "VND": Decimal(1),
    "USD": Decimal(26_000),
    "EUR": Decimal(30_000),
    "JPY": Decimal(175),
    "KRW": Decimal(19),
    "CNY": Decimal(3_600),
    "TWD": Decimal(850),
    "THB": Decimal(800),
}
MAX_PRICE = Decimal(10) ** 13
# Standing offers: a newer quote supersedes these.
STANDING = (QuoteStatus.SUBMITTED, QuoteStatus.SHORTLISTED)
STATUS_LABELS: dict[QuoteStatus, str] = {
    QuoteStatus.SUBMITTED: N_("Submitted"),
    QuoteStatus.SHORTLISTED: N_("Shortlisted"),
    QuoteStatus.DECLINED: N_("Declined"),
    QuoteStatus.WITHDRAWN: N_("Withdrawn"),
    QuoteStatus.SUPERSEDED: N_("Superseded"),
}
_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


def price_in_vnd(price: Decimal, currency: str) -> int | None:
    """The price in đồng at the indicative reference rate, or None for an unknown
    currency."""
    rate = REFERENCE_RATES_VND.get(currency)
    if rate is None:
        return None
    return int((price * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _price(value: Any) -> Decimal:
    """A unit price > 0: "12500", "12.500" or "12,500" (grouped thousands), "1.25",
    "1,25" (a decimal comma)."""
    if isinstance(value, bool):
        raise ValueError(N_("Must be a number."))
    text = str(value).strip().replace("\u00a0", " ")
    if _GROUPED.match(text):
        text = re.sub(r"[.,\s]", "", text)
    elif "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ValueError(N_("Must be a number.")) from None
    if not price.is_finite() or price <= 0:
        raise ValueError(N_("The unit price must be greater than zero."))
    if price >= MAX_PRICE:
        raise ValueError(N_("The unit price is too large."))
    if price != price.quantize(Decimal("0.0001")):
        raise ValueError(N_("At most four decimals."))
    return price


def _ids(value: Any) -> list[int]:
    if value in (None, ""):
        return []
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        if isinstance(v, bool) or not str(v).strip().isdigit():
            raise ValueError(N_("Give the ids of your firm's records."))
        out.append(int(str(v).strip()))
    return list(dict.fromkeys(out))


def validate_quote(session: Session, supplier: Firm, values: Mapping[str, Any]) -> dict[str, Any]:
    """The quote's fields cleaned, or a ``ValidationError`` naming every bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def run(field: str, parse, required: bool = False) -> None:
        raw = values.get(field)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            if required:
                errors[field] = N_("This field is required.")
            else:
                clean[field] = None
            return
        try:
            clean[field] = parse(raw)
        except (ValueError, TypeError) as exc:
            message = exc.args[0] if exc.args else ""
            errors[field] = message if message else N_("Invalid value.")

    def currency(value: Any) -> str:
        code = str(value).strip().upper()
        if code not in CURRENCIES:
            raise ValueError(N_("Must be one of: %(allowed)s.", allowed=", ".join(CURRENCIES)))
        return code

    def future(value: Any) -> date:
        day = iso_date(value)
        if day < vietnam_today():
            raise ValueError(N_("The validity date cannot be in the past."))
        return day

    run("unit_price", _price, required=True)
    run("currency", currency)
    clean["currency"] = clean.get("currency") or "VND"
    run("min_order_qty", integer(1, 1_000_000_000))
    run("lead_time_days", integer(0, 3650))
    run("capacity_per_month", integer(1, 1_000_000_000))
    run("valid_until", future)
    for field, model in (("capability_ids", Capability), ("certification_ids", Certification)):
        try:
            ids = _ids(values.get(field))
        except ValueError as exc:
            errors[field] = exc.args[0]
            continue
        rows = list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
        if len(rows) != len(ids) or any(r.firm_id != supplier.id for r in rows):
            errors[field] = (
                N_("Choose capabilities of your own firm.")
                if model is Capability
                else N_("Choose certifications of your own firm.")
            )
        clean[field] = sorted(rows, key=lambda r: ids.index(r.id))
    try:
        note = clean_field("note", values.get("note") or "", multiline=True).strip()
        if len(note) > MAX_BODY:
            raise ValidationError(
                {
                    "note": N_(
                        "Must be at most %(max)s characters (got %(got)s).",
                        max=MAX_BODY,
                        got=len(note),
                    )
                }
            )
        clean["note"] = note
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return clean


def open_request(session: Session, need: Need, supplier: Firm) -> QuoteRequestRecipient | None:
    """The supplier's latest request for quotation on ``need`` whose deadline has not
    passed, if it was asked to quote."""
    return session.scalar(
        select(QuoteRequestRecipient)
        .join(QuoteRequest, QuoteRequest.id == QuoteRequestRecipient.request_id)
        .where(
            QuoteRequest.need_id == need.id,
            QuoteRequestRecipient.supplier_id == supplier.id,
            QuoteRequest.deadline >= vietnam_today(),
        )
        .order_by(QuoteRequest.id.desc())
        .limit(1)
    )


def submit_quote(
    session: Session,
    need: Need,
    supplier: Firm,
    user: User,
    values: Mapping[str, Any],
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
) -> Quote:
    """A quotation from ``supplier`` on ``need``: checked whole (fields and files)
    before anything is written; supersedes the deal's standing quotes, records the
    quoted stage from it and tells the buyer's users."""
    if user.firm_id != supplier.id or not answer_need(user, need):
        raise OutOfScope(N_("You cannot answer this need."), target=need)
    clean = validate_quote(session, supplier, values)
    checked = check_files(files)
    deal = deal_for(session, need, supplier, started_by=Side.SUPPLIER)
    for older in deal.quotes:
        if older.status in STANDING:
            older.status = QuoteStatus.SUPERSEDED
    recipient = open_request(session, need, supplier)
    quote = Quote(
        deal=deal,
        request_id=recipient.request_id if recipient is not None else None,
        unit_price=clean["unit_price"],
        currency=clean["currency"],
        unit_price_vnd=price_in_vnd(clean["unit_price"], clean["currency"]),
        min_order_qty=clean["min_order_qty"],
        lead_time_days=clean["lead_time_days"],
        capacity_per_month=clean["capacity_per_month"],
        valid_until=clean["valid_until"],
        note=clean["note"],
        status=QuoteStatus.SUBMITTED,
        author_id=user.id,
        capabilities=clean["capability_ids"],
        certifications=clean["certification_ids"],
    )
    session.add(quote)
    session.flush()
    store_files(session, checked, root, deal=deal, user=user, quote=quote)
    reach(
        session, deal, Stage.QUOTED, source="quote", ref_id=quote.id, user=user, side=Side.SUPPLIER
    )
    deal_notice(session, deal, DEAL_QUOTE, to=Side.BUYER)
    return quote


def withdraw_quote(session: Session, quote: Quote, user: User) -> Quote:
    """The supplier takes back a standing quote (the stage it reached stays: it was
    quoted)."""
    if not supply_deal(user, quote.deal):
        raise OutOfScope(N_("Only the supplier can withdraw its quotation."), target=quote)
    if quote.status not in STANDING:
        raise ValidationError({"status": N_("This quotation is no longer standing.")})
    quote.status = QuoteStatus.WITHDRAWN
    session.flush()
    return quote


def as_dict(quote: Quote) -> dict[str, Any]:
    """A quote for the API (no people)."""
    return {
        "id": quote.id,
        "deal_id": quote.deal_id,
        "request_id": quote.request_id,
        "unit_price": str(quote.unit_price.normalize()) if quote.unit_price is not None else None,
        "currency": quote.currency,
        "unit_price_vnd": quote.unit_price_vnd,
        "min_order_qty": quote.min_order_qty,
        "lead_time_days": quote.lead_time_days,
        "capacity_per_month": quote.capacity_per_month,
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "note": quote.note,
        "status": quote.status.value,
        "capability_ids": [c.id for c in quote.capabilities],
        "certification_ids": [c.id for c in quote.certifications],
        "files": [file_dict(f) for f in quote.files],
        "created_at": iso(quote.created_at),
    }


def file_dict(file: Any) -> dict[str, Any]:
    return {
        "id": file.id,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
    }
