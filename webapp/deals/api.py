"""JSON API of deals (version 1, routes of the ``api`` blueprint, same token, errors and
access rules as ``webapp.api``): answers and quotes, conversations, requests for
quotation, the comparison, pipeline stages, purchase orders, ratings and the funnel.
Each route has its entry in ``webapp.deals.openapi``.

An answer, a message or a request for quotation carries files when it is sent as
``multipart/form-data``: the JSON object in a part named ``json`` and each file in a
part named ``files``, checked by their content as on the pages. The files attached are
listed with their ids and downloaded from ``/api/v1/deal-files/<id>``.
"""

from __future__ import annotations

from datetime import date

from flask import abort, jsonify, request

from catalog.access.visibility import readable_ids
from catalog.dashboard import Period
from catalog.deals import comparison, conversation, deals_query, orders, pipeline, quotes, ratings
from catalog.deals import requests as quote_requests
from catalog.deals.funnel import STALL_DAYS, funnel
from catalog.i18n import N_
from catalog.models import (
    Deal,
    DealFile,
    DealMessage,
    Firm,
    Need,
    Quote,
    QuoteRequestRecipient,
)
from catalog.places import resolve_place
from catalog.schemas import iso
from catalog.validation import ValidationError

from ..access import actor, can, my_provinces, rule
from ..api import _body, _paging, body_and_files, bp
from ..extensions import db
from .answers import files_root, send_deal_file

# -- answers to needs, deals and their conversations (webapp.deals.answers) ------------


def _deal_message_dict(message: DealMessage) -> dict:
    return {
        "id": message.id,
        "side": message.side.value,
        "kind": message.kind,
        "body": message.body,
        "created_at": iso(message.created_at),
        "files": [quotes.file_dict(f) for f in message.files],
    }


def _deal_summary(deal: Deal, readable: bool) -> dict:
    """``pipeline.as_dict``, without the need's id when the caller may not read it (an
    officer asked in on a need of another province, as ``Introduction`` does)."""
    out = pipeline.as_dict(deal)
    if not readable:
        out["need_id"] = None
    return out


def _deal_detail(deal: Deal) -> dict:
    out = _deal_summary(deal, can("need.view", deal.need))
    out["messages"] = [_deal_message_dict(m) for m in deal.messages]
    out["quotes"] = [quotes.as_dict(q) for q in deal.quotes]
    need_files = quote_requests.need_files(db.session, deal.need, actor())
    out["need_files"] = [quotes.file_dict(f) for f in need_files]
    return out


@bp.get("/deals")
@rule("signed_in")
def deals_list():
    """The deals the caller may read (``catalog.deals.deals_query``), newest first."""
    page, per_page = _paging()
    result = db.paginate(deals_query(actor()), page=page, per_page=per_page, error_out=False)
    readable = readable_ids(db.session, actor(), (d.need_id for d in result.items))
    items = [_deal_summary(d, d.need_id in readable) for d in result.items]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": result.total})


@bp.get("/deals/<int:deal_id>")
@rule("deal.view", Deal)
def deal_show(deal: Deal):
    """A deal: its stages, its conversation and its quotations."""
    return jsonify(_deal_detail(deal))


@bp.post("/needs/<int:need_id>/answers")
@rule("need.answer", Need)
def deal_answer(need: Need):
    """A supplier answers a need: interest with ``message``, or a ``quote`` object."""
    data, uploads = body_and_files()
    user = actor()
    root = files_root()
    if "quote" in data:
        if not isinstance(data["quote"], dict):
            raise ValidationError({"quote": N_("Give the quotation as an object.")})
        quote = quotes.submit_quote(
            db.session, need, user.firm, user, data["quote"], uploads, root=root
        )
        deal = quote.deal
    else:
        message = data.get("message")
        deal = conversation.answer(
            db.session, need, user.firm, user, message, uploads, root=root
        ).deal
    db.session.commit()
    return jsonify(_deal_detail(deal)), 201


@bp.post("/deals/<int:deal_id>/messages")
@rule("deal.view", Deal)
def deal_post_message(deal: Deal):
    """A message in the deal's conversation, as the caller's side."""
    data, uploads = body_and_files()
    message = conversation.post_message(
        db.session, deal, actor(), data.get("body"), uploads, root=files_root()
    )
    db.session.commit()
    return jsonify(_deal_message_dict(message)), 201


@bp.get("/deal-files/<int:file_id>")
@rule("deal_file.view", DealFile)
def deal_file(file: DealFile):
    """A file of a deal or of a need's request for quotation, as a download."""
    return send_deal_file(file)


# -- The funnel from a match to the first orders (catalog.deals.funnel) ----------------


def _funnel_day(name: str, default: date) -> date:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: N_("Give a date as YYYY-MM-DD.")}) from None


@bp.get("/funnel")
@rule("dashboard.view")
def funnel_show():
    """The funnel from a match to the first orders of the province's buyers
    (``province``: a code; an officer's own provinces by default, every province for an
    admin) between ``from`` and ``to`` (the current quarter by default). An officer
    asking for another province is refused (403), as on the dashboard."""
    user = actor()
    provinces = {p.code: p.id for p in my_provinces()}
    code = request.args.get("province", "").strip()
    if code and code not in provinces:
        place = resolve_place(db.session, code)  # a former province stands for its unit
        code = place.province.code if place else code
    if code and code not in provinces:
        abort(403)
    if code:
        province_ids: list[int] | None = [provinces[code]]
    else:
        province_ids = sorted(provinces.values()) if user.is_officer else None
    quarter = Period.current("quarter")
    start = _funnel_day("from", quarter.start)
    end = _funnel_day("to", quarter.end)
    if end < start:
        raise ValidationError({"to": N_("The end date cannot be before the start date.")})
    stall = request.args.get("stall_days", "").strip()
    if stall and (not stall.isdigit() or not 1 <= int(stall) <= 3650):
        raise ValidationError({"stall_days": N_("Give a number of days from 1 to 3650.")})
    result = funnel(
        db.session,
        province_ids,
        start,
        end,
        sector=request.args.get("sector") or None,
        former_province=request.args.get("former_province") or None,
        stall_days=int(stall) if stall else STALL_DAYS,
    )
    return jsonify({"province": code or None, **result.as_dict()})


# -- the comparison of quotations and requests for quotation (webapp.deals.compare) ----


def _decided_quote(quote: Quote) -> dict:
    """A quote as ``catalog.deals.quotes.as_dict`` gives it, with the buyer's decision."""
    out = quotes.as_dict(quote)
    out["decline_reason"] = quote.decline_reason.value if quote.decline_reason else None
    out["decline_note"] = quote.decline_note
    return out


@bp.get("/needs/<int:need_id>/quotes")
@rule("need.manage", Need)
def quotes_compare(need: Need):
    """The answers to a need side by side (``catalog.deals.comparison``), sorted."""
    rows = comparison.compare(db.session, need, actor(), request.args.get("sort", "price"))
    return jsonify({"items": [r.as_dict() for r in rows]})


@bp.post("/quotes/<int:quote_id>/shortlist")
@rule("deal.manage", Quote)
def quotes_shortlist(quote: Quote):
    comparison.shortlist_quote(db.session, quote, actor())
    db.session.commit()
    return jsonify(_decided_quote(quote))


@bp.post("/quotes/<int:quote_id>/decline")
@rule("deal.manage", Quote)
def quotes_decline(quote: Quote):
    data = _body()
    comparison.decline_quote(
        db.session, quote, actor(), str(data.get("reason") or ""), data.get("note") or ""
    )
    db.session.commit()
    return jsonify(_decided_quote(quote))


@bp.post("/needs/<int:need_id>/quote-requests")
@rule("need.manage", Need)
def rfq_create(need: Need):
    """Ask suppliers to quote by a deadline, with the need's drawings as ``files``."""
    data, uploads = body_and_files()
    ids = data.get("firm_ids")
    if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ValidationError({"firm_ids": N_("Give the ids of the suppliers.")})
    for field in ("message", "nda_text"):
        if data.get(field) is not None and not isinstance(data[field], str):
            raise ValidationError({field: N_("Must be text.")})
    sent = quote_requests.request_quotes(
        db.session,
        need,
        quote_requests.suppliers_by_ids(db.session, ids),
        actor(),
        data.get("deadline") if isinstance(data.get("deadline"), str) else None,
        data.get("message") or "",
        data.get("nda_text") or "",
        uploads,
        root=files_root(),
    )
    db.session.commit()
    return jsonify(quote_requests.as_dict(sent)), 201


@bp.post("/quote-requests/<int:recipient_id>/nda")
@rule("deal.supply", QuoteRequestRecipient)
def rfq_accept_nda(recipient: QuoteRequestRecipient):
    """The supplier accepts the request's non-disclosure agreement."""
    quote_requests.accept_nda(db.session, recipient, actor())
    db.session.commit()
    return jsonify(quote_requests.recipient_dict(recipient))


# -- the pipeline, purchase orders, closing, ratings (webapp.deals.pipeline) -------------


@bp.post("/deals/<int:deal_id>/stages")
@rule("deal.manage", Deal)
def pipeline_stage(deal: Deal):
    """Record a stage a person records: met, sample_ordered, sample_approved (with
    ``first_article`` and ``ppap_level`` 1-5), on ``reached_on`` (today by default,
    never in the future; an earlier stage may be recorded late)."""
    data = _body()
    orders.record_stage(
        db.session,
        deal,
        data.get("stage", ""),
        actor(),
        on=data.get("reached_on"),
        note=data.get("note") or "",
        ppap_level=data.get("ppap_level"),
        first_article=data.get("first_article") is True,
    )
    db.session.commit()
    return jsonify(pipeline.as_dict(deal))


@bp.post("/deals/<int:deal_id>/orders")
@rule("deal.manage", Deal)
def pipeline_order(deal: Deal):
    """A purchase order (the first: stage purchase_order; the next: repeat_order), with
    an optional value and the part families ordered (concept ids of kind part_family;
    none: those the need names); makes the tier-1 supply relationship."""
    data = _body()
    families = data.get("part_families") or []
    if not isinstance(families, list):
        raise ValidationError({"part_families": N_("Give a list.")})
    order = orders.record_order(
        db.session,
        deal,
        actor(),
        ordered_on=data.get("ordered_on"),
        value=data.get("value"),
        currency=data.get("currency") or "VND",
        reference=data.get("reference") or "",
        part_family_ids=families,
    )
    db.session.commit()
    return jsonify(orders.order_dict(order)), 201


@bp.post("/deals/<int:deal_id>/close")
@rule("deal.manage", Deal)
def pipeline_close(deal: Deal):
    """Close the deal with a ``reason`` (capacity or certification: the match was
    wrong, judged 0; the other reasons keep what it reached)."""
    data = _body()
    orders.close_deal(db.session, deal, data.get("reason", ""), actor(), data.get("note") or "")
    db.session.commit()
    return jsonify(pipeline.as_dict(deal))


@bp.post("/deals/<int:deal_id>/rating")
@rule("deal.manage", Deal)
def pipeline_rate(deal: Deal):
    """Rate the supplier's deliveries on this deal (after a purchase order): quality,
    on_time, communication 1-5, optional ppm and on_time_pct; again replaces it."""
    data = _body()
    rating = ratings.rate(
        db.session,
        deal,
        actor(),
        data.get("quality"),
        data.get("on_time"),
        data.get("communication"),
        ppm=data.get("ppm"),
        on_time_pct=data.get("on_time_pct"),
        comment=data.get("comment") or "",
    )
    db.session.commit()
    return jsonify(ratings.rating_dict(rating)), 201


@bp.get("/firms/<int:firm_id>/rating")
@rule("anyone", Firm)
def pipeline_firm_rating(firm: Firm):
    """What the caller may see of a supplier's ratings: all of them for the supplier
    itself, its province's officers and admins; the aggregate for other buyers once
    ``min_buyers`` buyers rated; nothing for anyone else."""
    return jsonify(ratings.visible_ratings(db.session, actor(), firm).as_dict())
