"""Buyers post component needs, see ranked and explained suppliers, and shortlist them."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from catalog import photos, queries, services
from catalog.access import posting_firm, visible_needs_clause
from catalog.export import matches_table, needs_table, shortlist_table
from catalog.files import Upload
from catalog.introductions import invite as invite_supplier
from catalog.introductions import need_introductions
from catalog.introductions import request_introduction as request_intro
from catalog.models import Firm, Need, NeedPhoto
from catalog.schemas import NeedSchema
from catalog.validation import ValidationError, record_id
from jobs.runtime import runtime
from matching.query_terms import dismiss, need_terms

from .access import actor, authorize, can, public, rule
from .errors import back_to
from .extensions import db
from .forms import form_page
from .helpers import label, spreadsheet, translate, uploads_dir

bp = Blueprint("needs", __name__, url_prefix="/needs")

EXPORT_LIMIT = 10_000


@bp.get("/")
@public
def index():
    page = db.paginate(
        queries.open_needs_query(request.args.get("buyer", type=record_id)).where(
            visible_needs_clause(actor())
        ),
        page=request.args.get("page", 1, type=int),
        per_page=20,
    )
    return render_template("needs/index.html", page=page)


def _create_need(values: dict) -> Need:
    """Posted for the firm ``catalog.access.posting_firm`` decides, as in the API: a firm
    user's own, or the buyer an officer or admin chose (403 for a firm they may not edit)."""
    buyer_id = request.form.get("buyer", type=record_id)
    buyer = posting_firm(actor(), db.session.get(Firm, buyer_id) if buyer_id else None)
    if buyer is None:
        raise ValidationError({"buyer": _("Choose the buyer firm posting this need.")})
    authorize("firm.edit", buyer)
    return services.create_need(db.session, buyer, values)


def _to_need_page(need: Need) -> str:
    return url_for("needs.show", need_id=need.id)


@bp.route("/new", methods=["GET", "POST"])
@rule("need.post")
def create():
    initial = {
        "buyer": request.form.get("buyer") or request.args.get("buyer", ""),
        "visibility": "registered",
    }
    return form_page(
        "needs/form.html",
        NeedSchema(),
        None,
        initial,
        _create_need,
        _("Need posted. Here are the suppliers that fit it."),
        _to_need_page,
        need=None,
    )


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@rule("need.manage", Need)
def edit(need: Need):
    return form_page(
        "needs/form.html",
        NeedSchema(),
        need,
        {},
        lambda values: services.update_need(db.session, need, values),
        _("Need saved."),
        _to_need_page,
        need=need,
    )


def _filtered_matches(need: Need, limit: int):
    """The engine's ranking with the page's filters (qualified only, province, minimum
    score): ``(matches, firms by id)``."""
    shown = runtime().engine.match_need_filtered(
        db.session,
        need,
        limit,
        qualified_only=request.args.get("qualified") == "1",
        province=request.args.get("province") or None,
        min_score=request.args.get("min_score", 0, type=int) / 100,
    )
    # The engine scored firms' facts; the page and the export show the rows.
    return shown, queries.firms_by_ids(db.session, [m.firm_id for m in shown], sectors=False)


@bp.get("/<int:need_id>")
@rule("need.view", Need)
def show(need: Need):
    """The need; to those who manage it, also its ranked suppliers and shortlist."""
    if not can("need.manage", need):
        return render_template("needs/show.html", need=need, manage=False)
    shown, firms = _filtered_matches(need, limit=20)
    caps = {c.id: c for f in firms.values() for c in f.capabilities}
    terms = need_terms(db.session, need, runtime().engine.tagger)
    removed = set(need.dismissed_terms or [])
    return render_template(
        "needs/show.html",
        need=need,
        matches=shown,
        firms=firms,
        caps=caps,
        manage=True,
        shortlisted={e.firm_id for e in need.shortlist},
        introductions={i.supplier_id: i for i in need_introductions(db.session, need)},
        provinces=queries.provinces(db.session),
        index=runtime().engine.health(),
        understood=[t for t in terms.terms if t.key not in removed],
        dismissed_terms=[t for t in terms.terms if t.key in removed],
    )


@bp.post("/<int:need_id>/understood")
@rule("need.manage", Need)
def understood(need: Need):
    """Remove a hard term read in the need's text ("Understood: …"), or put it back:
    the matches are ranked again without it (or with it)."""
    restore = bool(request.form.get("restore"))
    key = request.form.get("restore") or request.form.get("dismiss") or ""
    if dismiss(need, key.strip(), restore=restore):
        db.session.commit()
    return redirect(url_for("needs.show", need_id=need.id, **request.args.to_dict()))


def _record_on_match(need: Need, action, message):
    """A match-card button: apply ``action(need, firm)`` through a catalog service (its
    commit asks the learner to look at the new judgement: ``jobs.after_commit``); a
    refusal is flashed and nothing saved (``webapp.errors``)."""
    back = back_to(url_for("needs.show", need_id=need.id))
    firm = db.get_or_404(Firm, request.form.get("firm_id", type=record_id))
    action(need, firm)
    flash(message(firm), "success")
    return redirect(back)


@bp.post("/<int:need_id>/shortlist")
@rule("need.manage", Need)
def shortlist_add(need: Need):
    return _record_on_match(
        need,
        lambda need, firm: services.shortlist_add(
            db.session,
            need,
            firm,
            capability_id=request.form.get("capability_id", type=record_id),
            score=request.form.get("score", type=float),
            note=request.form.get("note", "").strip(),
        ),
        lambda firm: _("%(firm)s shortlisted.", firm=firm.display_name),
    )


@bp.post("/<int:need_id>/outcomes")
@rule("need.manage", Need)
def record_outcome(need: Need):
    """A match card's "Not relevant" (the deal's stages are recorded on its page,
    ``webapp.deals.pipeline``); the other outcomes are taken as the API takes them."""
    return _record_on_match(
        need,
        lambda need, firm: services.record_outcome(
            db.session,
            need,
            firm,
            request.form.get("outcome", ""),
            request.form.get("capability_id", type=record_id),
            user=actor(),
        ),
        lambda firm: _("Outcome recorded. It will improve future rankings."),
    )


@bp.post("/<int:need_id>/shortlist/<int:firm_id>/remove")
@rule("need.manage", Need, "need_id")
def shortlist_remove(need: Need, firm_id: int):
    services.shortlist_remove(db.session, need, firm_id)
    flash(_("Removed from the shortlist."), "success")
    return redirect(url_for("needs.show", need_id=need.id))


@bp.get("/<int:need_id>/shortlist.<any(csv, xlsx):fmt>")
@rule("need.manage", Need)
def shortlist_export(need: Need, fmt: str):
    headers, rows = shortlist_table(need, lambda firm: can("firm.contact", firm))
    return spreadsheet(headers, rows, fmt, f"shortlist-need-{need.id}")


@bp.get("/export.<any(csv, xlsx):fmt>")
@public
def export(fmt: str):
    """The open needs the reader may see, as in the list (same buyer filter)."""
    query = queries.open_needs_query(request.args.get("buyer", type=record_id))
    needs = db.session.scalars(query.where(visible_needs_clause(actor())).limit(EXPORT_LIMIT))
    headers, rows = needs_table(needs, translate, label)
    return spreadsheet(headers, rows, fmt, "needs")


@bp.get("/<int:need_id>/matches.<any(csv, xlsx):fmt>")
@rule("need.manage", Need)
def matches_export(need: Need, fmt: str):
    """The ranked suppliers with the page's filters, scores, reasons and checks."""
    matches, firms = _filtered_matches(need, limit=100)
    headers, rows = matches_table(matches, firms, translate, label)
    return spreadsheet(headers, rows, fmt, f"matches-need-{need.id}")


@bp.post("/<int:need_id>/introductions")
@rule("need.manage", Need)
def request_introduction(need: Need):
    """Ask a matched supplier for an introduction; its contact is shared once it accepts."""
    back = back_to(url_for("needs.show", need_id=need.id))
    firm = db.get_or_404(Firm, request.form.get("firm_id", type=record_id))
    request_intro(db.session, need, firm, actor(), request.form.get("message", ""))
    flash(
        _("Introduction requested. %(firm)s will be asked to accept.", firm=firm.display_name),
        "success",
    )
    return redirect(back)


@bp.post("/<int:need_id>/invitations")
@rule("need.manage", Need)
def invite(need: Need):
    """Let a supplier read a need shown only to invited suppliers."""
    back = back_to(url_for("needs.show", need_id=need.id))
    firm = db.get_or_404(Firm, request.form.get("firm_id", type=record_id))
    invite_supplier(db.session, need, firm)
    flash(_("%(firm)s can now see this need.", firm=firm.display_name), "success")
    return redirect(back)


def _photo_root() -> Path:
    return uploads_dir("photos")


@bp.post("/<int:need_id>/photos")
@rule("need.manage", Need)
def add_photos(need: Need):
    """Photos of the part (JPEG, PNG or WebP), shown on the need and at events."""
    back = back_to(url_for("needs.show", need_id=need.id, _anchor="photos"))
    uploads = [Upload(f.filename or "", f.read()) for f in request.files.getlist("photos")]
    added = photos.add_photos(db.session, need, uploads, _photo_root())
    flash(_("%(count)s photos added.", count=len(added)), "success")
    return redirect(back)


@bp.get("/photos/<int:photo_id>")
@rule("need_photo.view", NeedPhoto)
def photo(photo: NeedPhoto):
    """An image whose type was checked from its bytes; served with that type only."""
    return send_file(
        photos.photo_path(_photo_root(), photo),
        mimetype=photo.content_type,
        download_name=photo.filename,
        max_age=3600,
    )


@bp.post("/photos/<int:photo_id>/delete")
@rule("need_photo.manage", NeedPhoto)
def delete_photo(photo: NeedPhoto):
    need_id = photo.need_id
    photos.remove_photo(db.session, photo)
    flash(_("Photo removed."), "success")
    return redirect(url_for("needs.show", need_id=need_id, _anchor="photos"))
