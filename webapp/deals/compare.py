"""The buyer's side of the answers to a need: the quotations compared side by side
(sorted, shortlisted, declined with a reason, exported as XLSX) and requests for
quotation to chosen suppliers, with a deadline, the need's files and an optional
non-disclosure agreement the supplier accepts on the request's page.

Thin views over ``catalog.deals.comparison`` and ``catalog.deals.requests``. Who may do
what is ``catalog.access``: the comparison and the requests are the need's managers'
("need.manage"), a quotation's shortlisting or refusal its deal's ("deal.manage"), the
agreement the supplier's ("deal.supply").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from catalog.access import manage_need
from catalog.deals import comparison, requests
from catalog.deals.pipeline import CLOSE_REASON_LABELS, STAGE_LABELS
from catalog.deals.quotes import STATUS_LABELS
from catalog.export import comparison_table
from catalog.files import ATTACHMENT_EXTENSIONS
from catalog.models import Deal, Firm, Need, Quote, QuoteRequestRecipient
from catalog.validation import MAX_ID, ValidationError

from ..access import actor, can, rule
from ..errors import back_to
from ..extensions import db
from ..helpers import label, spreadsheet, translate, uploads
from . import bp
from .answers import files_root

DEFAULT_DEADLINE_DAYS = 14


def _sort() -> str:
    sort = request.args.get("sort", "price")
    return sort if sort in comparison.SORTS else "price"


def answers_count(need: Need) -> int:
    """How many suppliers answered ``need`` as the reader may see them (the need page's
    "Compare answers (N)")."""
    if not manage_need(actor(), need):
        return 0
    return len(comparison.compare(db.session, need, actor()))


def deal_requests(deal: Deal) -> list[QuoteRequestRecipient]:
    """The requests for quotation of ``deal`` whose deadline has not passed, for the
    deal page (its supplier's and its buyer's users)."""
    if not (can("deal.supply", deal) or can("deal.manage", deal)):
        return []
    return [
        r for r in requests.open_requests_for(db.session, deal.supplier_id) if r.deal_id == deal.id
    ]


def unit_price(amount: Any) -> str:
    """A quoted unit price in its own currency, the locale's way, to four decimals at most."""
    return "—" if amount is None else format_decimal(amount, format="#,##0.####")


@bp.app_context_processor
def compare_helpers() -> dict[str, Any]:
    return {
        "answers_count": answers_count,
        "deal_requests": deal_requests,
        "nda_pending": requests.nda_pending,
        "unit_price": unit_price,
    }


@bp.get("/needs/<int:need_id>/compare")
@rule("need.manage", Need)
def compare(need: Need):
    """The answers side by side, sorted by the link the buyer chose."""
    sort = _sort()
    return render_template(
        "deals/compare.html",
        need=need,
        rows=comparison.compare(db.session, need, actor(), sort),
        sort=sort,
        sorts=comparison.SORT_LABELS,
        stage_labels=STAGE_LABELS,
        status_labels=STATUS_LABELS,
        reasons=CLOSE_REASON_LABELS,
        files=requests.need_files(db.session, need, actor()),
    )


@bp.get("/needs/<int:need_id>/compare.xlsx")
@rule("need.manage", Need)
def compare_export(need: Need):
    rows = comparison.compare(db.session, need, actor(), _sort())
    headers, table = comparison_table(rows, translate, label)
    return spreadsheet(headers, table, "xlsx", f"quotes-need-{need.id}")


def _scores(source: Any) -> dict[int, float]:
    """The match scores the match list passed along (``score-<firm id>``), as numbers."""
    out = {}
    for key, value in source.items():
        if key.startswith("score-") and key[6:].isdigit():
            try:
                out[int(key[6:])] = float(value)
            except ValueError:
                continue
    return out


def _chosen(ids: list[str], need: Need) -> list[Firm]:
    """The suppliers named in the address (the match list's checkboxes), silently
    leaving out what is not a supplier that may be asked."""
    wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and 0 < int(i) <= MAX_ID][
        : requests.MAX_SUPPLIERS
    ]
    firms = db.session.scalars(select(Firm).where(Firm.id.in_(wanted or [-1]))).all()
    return [f for f in firms if f.is_supplier and f.id != need.buyer_id]


@bp.route("/needs/<int:need_id>/request", methods=["GET", "POST"])
@rule("need.manage", Need)
def request_quotes(need: Need):
    """Ask chosen suppliers to quote by a deadline; a refused form is shown again with
    a message per field (422) and nothing kept."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form
        firms: list[Firm] = []
        try:
            firms = requests.suppliers_by_ids(db.session, values.getlist("firm"), "firm_ids")
            sent = requests.request_quotes(
                db.session,
                need,
                firms,
                actor(),
                values.get("deadline", ""),
                values.get("message", ""),
                values.get("nda_text", ""),
                uploads(),
                root=files_root(),
                scores=_scores(values),
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(
                _(
                    "Requests for quotation sent to %(count)s suppliers.",
                    count=len(sent.recipients),
                ),
                "success",
            )
            return redirect(url_for("needs.show", need_id=need.id))
        chosen = [f for f in firms if f.is_supplier] or _chosen(values.getlist("firm"), need)
    else:
        values = {"deadline": (date.today() + timedelta(days=DEFAULT_DEADLINE_DAYS)).isoformat()}
        chosen = _chosen(request.args.getlist("firm"), need)
    source = request.form if request.method == "POST" else request.args
    page = render_template(
        "deals/request_form.html",
        need=need,
        chosen=chosen,
        scores=_scores(source),
        values=values,
        errors=errors,
        files=requests.need_files(db.session, need, actor()),
        accept=ATTACHMENT_EXTENSIONS,
        earliest=date.today().isoformat(),
        latest=(date.today() + requests.LONGEST_DEADLINE).isoformat(),
    )
    return page, 422 if errors else 200


def _back_to_comparison(quote: Quote) -> str:
    return back_to(
        url_for("deals.compare", need_id=quote.deal.need_id, _anchor=f"deal-{quote.deal_id}")
    )


@bp.post("/quotes/<int:quote_id>/shortlist")
@rule("deal.manage", Quote)
def quote_shortlist(quote: Quote):
    back = _back_to_comparison(quote)
    comparison.shortlist_quote(db.session, quote, actor())
    db.session.commit()
    flash(_("%(firm)s shortlisted.", firm=quote.deal.supplier.display_name), "success")
    return redirect(back)


@bp.post("/quotes/<int:quote_id>/decline")
@rule("deal.manage", Quote)
def quote_decline(quote: Quote):
    back = _back_to_comparison(quote)
    comparison.decline_quote(
        db.session, quote, actor(), request.form.get("reason", ""), request.form.get("note", "")
    )
    db.session.commit()
    flash(_("Quotation declined. The supplier is told."), "success")
    return redirect(back)


@bp.route("/requests/<int:recipient_id>/nda", methods=["GET", "POST"])
@rule("deal.supply", QuoteRequestRecipient)
def request_nda(recipient: QuoteRequestRecipient):
    """The request as its supplier reads it: deadline, message, the agreement to accept;
    the need's files once it is accepted (or when the request has none)."""
    if request.method == "POST":
        back_to(url_for("deals.request_nda", recipient_id=recipient.id))
        requests.accept_nda(db.session, recipient, actor())
        db.session.commit()
        flash(_("Agreement accepted: you can now open the drawings."), "success")
        return redirect(url_for("deals.request_nda", recipient_id=recipient.id))
    need = recipient.request.need
    return render_template(
        "deals/nda.html",
        recipient=recipient,
        quote_request=recipient.request,
        need=need,
        need_readable=can("need.view", need),
        pending=requests.nda_pending(recipient),
        files=requests.need_files(db.session, need, actor()),
    )
