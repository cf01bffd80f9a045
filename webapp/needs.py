"""Buyers post component needs, see ranked and explained suppliers, and shortlist them."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from catalog import queries, services
from catalog.export import shortlist_table, to_csv, to_xlsx
from catalog.models import Firm, Need
from catalog.validation import ValidationError
from jobs.runtime import runtime
from jobs.tasks import learn_from_outcomes
from matching.engine import filter_matches

from .extensions import db
from .forms import NEED_FIELDS, form_page

bp = Blueprint("needs", __name__, url_prefix="/needs")


def _need_values(need: Need) -> dict:
    return {
        "title": need.title,
        "description": need.description,
        "process": need.process_id or "",
        "materials": [m.id for m in need.materials],
        "quantity_per_year": need.quantity_per_year,
        "tolerance_mm": need.tolerance_mm,
        "required_certifications": need.required_certifications or [],
        "delivery_province": need.delivery_province.code if need.delivery_province else "",
        "deadline": need.deadline.isoformat() if need.deadline else "",
        "status": need.status.value,
    }


@bp.get("/")
def index():
    page = db.paginate(
        queries.open_needs_query(request.args.get("buyer", type=int)),
        page=request.args.get("page", 1, type=int),
        per_page=20,
    )
    return render_template("needs/index.html", page=page)


def _create_need(values: dict) -> Need:
    buyer_id = request.form.get("buyer", type=int)
    buyer = db.session.get(Firm, buyer_id) if buyer_id else None
    if buyer is None:
        raise ValidationError({"buyer": _("Choose the buyer firm posting this need.")})
    return services.create_need(db.session, buyer, values)


def _to_need_page(need: Need) -> str:
    return url_for("needs.show", need_id=need.id)


@bp.route("/new", methods=["GET", "POST"])
def create():
    initial = {"buyer": request.form.get("buyer") or request.args.get("buyer", "")}
    return form_page(
        "needs/form.html",
        NEED_FIELDS,
        initial,
        _create_need,
        _("Need posted. Here are the suppliers that fit it."),
        _to_need_page,
        need=None,
    )


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
def edit(need_id: int):
    need = db.get_or_404(Need, need_id)
    return form_page(
        "needs/form.html",
        NEED_FIELDS,
        _need_values(need),
        lambda values: services.update_need(db.session, need, values),
        _("Need saved."),
        _to_need_page,
        need=need,
    )


@bp.get("/<int:need_id>")
def show(need_id: int):
    need = db.get_or_404(Need, need_id)
    engine = runtime().engine
    matches = engine.match_need(db.session, need, limit=60)
    firms = {m.firm_id: m.firm for m in matches}
    qualified = request.args.get("qualified") == "1"
    province = request.args.get("province") or None
    min_score = request.args.get("min_score", 0, type=int) / 100
    shown = filter_matches(matches, firms, qualified, province, min_score)[:20]
    caps = {c.id: c for f in firms.values() for c in f.capabilities}
    return render_template(
        "needs/show.html",
        need=need,
        matches=shown,
        total=len(matches),
        firms=firms,
        caps=caps,
        shortlisted={e.firm_id for e in need.shortlist},
        provinces=queries.provinces(db.session),
        index=engine.health(),
    )


def _record_on_match(need_id: int, action, message):
    """A match-card button: apply ``action(need, firm)`` through a catalog service, then
    ask the learner to look at the new judgement; errors are flashed, nothing saved."""
    need = db.get_or_404(Need, need_id)
    firm = db.get_or_404(Firm, request.form.get("firm_id", type=int))
    try:
        action(need, firm)
    except ValidationError as exc:
        db.session.rollback()
        flash("; ".join(exc.errors.values()), "error")
    else:
        learn_from_outcomes()
        flash(message(firm), "success")
    return redirect(url_for("needs.show", need_id=need.id))


@bp.post("/<int:need_id>/shortlist")
def shortlist_add(need_id: int):
    return _record_on_match(
        need_id,
        lambda need, firm: services.shortlist_add(
            db.session,
            need,
            firm,
            capability_id=request.form.get("capability_id", type=int),
            score=request.form.get("score", type=float),
            note=request.form.get("note", "").strip(),
        ),
        lambda firm: _("%(firm)s shortlisted.", firm=firm.display_name),
    )


@bp.post("/<int:need_id>/outcomes")
def record_outcome(need_id: int):
    """Buttons on a match card: not relevant, introduced, met, deal."""
    return _record_on_match(
        need_id,
        lambda need, firm: services.record_outcome(
            db.session,
            need,
            firm,
            request.form.get("outcome", ""),
            request.form.get("capability_id", type=int),
        ),
        lambda firm: _("Outcome recorded. It will improve future rankings."),
    )


@bp.post("/<int:need_id>/shortlist/<int:firm_id>/remove")
def shortlist_remove(need_id: int, firm_id: int):
    need = db.get_or_404(Need, need_id)
    services.shortlist_remove(db.session, need, firm_id)
    flash(_("Removed from the shortlist."), "success")
    return redirect(url_for("needs.show", need_id=need.id))


@bp.get("/<int:need_id>/shortlist.<any(csv, xlsx):fmt>")
def shortlist_export(need_id: int, fmt: str):
    need = db.get_or_404(Need, need_id)
    headers, rows = shortlist_table(need)
    filename = f"ketnoi-shortlist-need-{need.id}.{fmt}"
    if fmt == "csv":
        body, mimetype = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(headers, rows, title="Shortlist")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
