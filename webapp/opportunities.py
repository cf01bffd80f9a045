"""A supplier's view of the market: open needs that fit its firm, and what it lacks.

Both lists come from ``matching.opportunities``, scored as the buyer's match page
scores the firm, and only over needs the firm's own users may read: an officer looking
at a supplier's page sees what the supplier sees (the gap view's "would open N needs"
counts needs it can answer), and of that only what the officer may read too (the
request's reader, ``catalog.access.visibility``). Each gap names the province's open
support lines that would close it (``catalog.programmes.offers``), with a link to apply.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from catalog.access.visibility import Reader
from catalog.models import Concept, Firm
from catalog.programmes.offers import offers_for
from jobs.runtime import runtime
from matching.opportunities import gaps_of, opportunities

from .access import actor, rule
from .extensions import db

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities")

PAGE = 30


@bp.get("/")
@rule("firm.member")
def mine():
    """A firm user's own opportunities."""
    user = actor()
    return redirect(url_for("opportunities.show", firm_id=user.firm_id))


@bp.get("/<int:firm_id>")
@rule("firm.edit", Firm)
def show(firm: Firm):
    if not firm.is_supplier:
        abort(404)
    found = opportunities(
        db.session, runtime().engine, firm, user=Reader.member_of(firm.id), limit=None
    )
    gaps = gaps_of(found)[:12]
    processes = {g.key: db.session.get(Concept, g.key) for g in gaps if g.kind == "process"}
    # The province's open support lines that would close each gap, for this firm.
    support = offers_for(db.session, [(g.kind, g.key) for g in gaps], firm.province_id, firm)
    return render_template(
        "opportunities/show.html",
        firm=firm,
        opportunities=found[:PAGE],
        total=len(found),
        qualified=sum(1 for o in found if o.qualified),
        gaps=gaps,
        processes={k: v for k, v in processes.items() if v is not None},
        support=support,
    )
