"""The pipeline of a deal, in pages: the buyer (or an officer, for events) records the
stages a person records (met, sample ordered, sample approved), purchase orders, the
closing of a deal and the rating of the supplier; a match card begins the deal.

Thin views over ``catalog.deals.orders`` and ``catalog.deals.ratings`` (they validate
and commit; a refusal is flashed in the reader's language by ``webapp.errors``). The
forms and the dated timeline are ``templates/deals/_pipeline.html``, included by the
deal's page with the helpers of ``pipeline_helpers``.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from catalog.deals import orders, ratings
from catalog.deals.pipeline import (
    CLOSE_REASON_LABELS,
    RECORDED_STAGES,
    STAGE_LABELS,
    deal_for,
    timeline,
)
from catalog.deals.quotes import CURRENCIES
from catalog.models import Concept, Deal, Firm, Need, Side, Stage
from catalog.validation import record_id

from ..access import actor, rule
from ..errors import back_to
from ..extensions import db
from . import bp


def _deal_page(deal: Deal) -> str:
    return back_to(url_for("deals.show", deal_id=deal.id, _anchor="pipeline"))


def need_deals(need: Need) -> dict[int, Deal]:
    """supplier id → the deal of ``need`` with it (the match cards' "Follow up")."""
    return {
        d.supplier_id: d for d in db.session.scalars(select(Deal).where(Deal.need_id == need.id))
    }


def pipeline_of(deal: Deal) -> dict[str, Any]:
    """What ``_pipeline.html`` shows of ``deal``: its timeline, orders, rating (the
    deal's own, to those who manage it) and the choices of its forms."""
    rating = ratings.deal_rating(db.session, deal)
    return {
        "timeline": timeline(deal),
        "orders": list(deal.orders),
        "rating": rating,
        "recorded_stages": [(s.value, STAGE_LABELS[s]) for s in RECORDED_STAGES],
        "close_reasons": [(r.value, label) for r, label in CLOSE_REASON_LABELS.items()],
        "currencies": CURRENCIES,
        "part_families": list(
            db.session.scalars(
                select(Concept).where(Concept.kind == "part_family").order_by(Concept.id)
            )
        ),
        "closed": deal.stage == Stage.CLOSED,
        "supplier_ratings": ratings.visible_ratings(db.session, actor(), deal.supplier),
    }


@bp.app_context_processor
def pipeline_helpers() -> dict[str, Any]:
    """``pipeline_of`` for ``_pipeline.html``, ``need_deals`` for the match cards."""
    return {"pipeline_of": pipeline_of, "need_deals": need_deals}


@bp.post("/<int:deal_id>/stages")
@rule("deal.manage", Deal)
def record_stage(deal: Deal):
    """Met (outside an event), sample ordered, sample approved (first article, PPAP)."""
    back = _deal_page(deal)
    orders.record_stage(
        db.session,
        deal,
        request.form.get("stage", ""),
        actor(),
        on=request.form.get("reached_on") or None,
        note=request.form.get("note", ""),
        ppap_level=request.form.get("ppap_level") or None,
        first_article=request.form.get("first_article", ""),
    )
    db.session.commit()
    flash(_("Stage recorded."), "success")
    return redirect(back)


@bp.post("/<int:deal_id>/orders")
@rule("deal.manage", Deal)
def record_order(deal: Deal):
    """A purchase order: the first on the deal, or a repeat order."""
    back = _deal_page(deal)
    orders.record_order(
        db.session,
        deal,
        actor(),
        ordered_on=request.form.get("ordered_on") or None,
        value=request.form.get("value") or None,
        currency=request.form.get("currency") or "VND",
        reference=request.form.get("reference", ""),
        part_family_ids=request.form.getlist("part_families"),
    )
    db.session.commit()
    flash(_("Purchase order recorded."), "success")
    return redirect(back)


@bp.post("/<int:deal_id>/close")
@rule("deal.manage", Deal)
def close(deal: Deal):
    back = _deal_page(deal)
    orders.close_deal(
        db.session, deal, request.form.get("reason", ""), actor(), request.form.get("note", "")
    )
    db.session.commit()
    flash(_("The deal is closed."), "success")
    return redirect(back)


@bp.post("/<int:deal_id>/rating")
@rule("deal.manage", Deal)
def rate(deal: Deal):
    """The buyer rates the supplier's deliveries (after a purchase order)."""
    back = _deal_page(deal)
    form = request.form
    ratings.rate(
        db.session,
        deal,
        actor(),
        form.get("quality"),
        form.get("on_time"),
        form.get("communication"),
        ppm=form.get("ppm") or None,
        on_time_pct=form.get("on_time_pct") or None,
        comment=form.get("comment", ""),
    )
    db.session.commit()
    flash(_("Rating saved."), "success")
    return redirect(back)


@bp.post("/needs/<int:need_id>/follow/<int:firm_id>")
@rule("need.manage", Need, "need_id")
def follow(need: Need, firm_id: int):
    """A match card's "Follow up": the deal of the need and that supplier (begun by
    the buyer if there is none yet), where its stages and orders are recorded."""
    back_to(url_for("needs.show", need_id=need.id))
    firm = db.get_or_404(Firm, record_id(firm_id))
    deal = deal_for(db.session, need, firm, started_by=Side.BUYER)
    db.session.commit()
    return redirect(url_for("deals.show", deal_id=deal.id, _anchor="pipeline"))
