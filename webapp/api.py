"""JSON API, version 1: firms, capabilities, certifications, needs, matches and
introductions. Described by the OpenAPI document at ``/api/v1/openapi.json``.

Authentication is a personal access token (``Authorization: Bearer kn_…``), created
on the account page; the same access rules as the pages apply (``catalog.access``).
Errors are JSON: 400 for a body that is not a JSON object (not JSON, not UTF-8, nested
too deeply, NaN or an unpaired surrogate: see ``webapp.errors.loads_json``), 401
without a valid token, 403 when the rules refuse, 404 for unknown records, 422 with
``{"errors": {field: message}}`` for input that fails validation (a text holding a
control or text-direction character included, whichever field it is in).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy import func, select

from catalog import services
from catalog.access import posting_firm, visible_needs_clause
from catalog.access.visibility import readable_ids
from catalog.files import Upload
from catalog.i18n import N_
from catalog.introductions import decide_introduction, introductions_query, request_introduction
from catalog.models import (
    Capability,
    Certification,
    Concept,
    Firm,
    Introduction,
    Need,
    NeedStatus,
    Province,
)
from catalog.schemas import validate_need
from catalog.serialize import (
    capability_dict,
    certification_dict,
    firm_dict,
    introduction_dict,
    need_dict,
)
from catalog.text import forbidden_characters, nfc_lines
from catalog.validation import MAX_ID, ValidationError, forbidden_message, record_id
from jobs.runtime import runtime
from matching.directory import search_directory
from matching.query_terms import need_terms

from .access import actor, authorize, can, public, rule
from .directory import filters_from_args
from .errors import MalformedBody, loads_json
from .extensions import db
from .firms import create_firm_in_scope

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@bp.before_request
def _token_scope():
    """A read-only token reads and nothing else: any other method is refused (403)
    before the view runs, whatever the user behind the token may do."""
    token = g.get("api_token")
    if token is not None and token.scope == "read" and request.method not in READ_METHODS:
        message = "This token is read-only; create a read-write token to change data."
        return jsonify({"error": "Forbidden", "message": message, "status": 403}), 403
    return None


def _body() -> dict[str, Any]:
    """The request's JSON object, every problem answered in the API's error shape: 400
    with the reason for a body that is not one (``loads_json``), 422 naming each field
    whose text holds a character no stored text may hold (validators refuse them too;
    this also covers fields no validator reads)."""
    if not request.is_json:
        abort(400, description="The request body must be a JSON object (application/json).")
    return json_object(request.get_data(cache=True))


def json_object(raw: bytes | str) -> dict[str, Any]:
    """``raw`` as a JSON object, checked as ``_body`` checks a request's (also the
    ``json`` part of a multipart request that carries files)."""
    try:
        data = loads_json(raw)
    except MalformedBody as exc:
        abort(400, description=str(exc))
    if not isinstance(data, dict):
        abort(400, description="The request body must be a JSON object.")
    errors = {}
    for field, value in data.items():
        # As validators read text: line breaks and white space are not refused.
        bad = [ch for text in _texts(value) for ch in forbidden_characters(nfc_lines(text))]
        if bad:
            errors[field] = forbidden_message(list(dict.fromkeys(bad)))
    if errors:
        raise ValidationError(errors)
    return data


def body_and_files() -> tuple[dict, list[Upload]]:
    """The request's JSON object and its files: a JSON body has none; a
    ``multipart/form-data`` one holds the object in its ``json`` part (a field or a file
    part) and the files in its ``files`` parts (400 without a ``json`` part)."""
    if request.mimetype != "multipart/form-data":
        return _body(), []
    part = request.files.get("json")
    raw: bytes | str | None = part.read() if part is not None else request.form.get("json")
    if raw is None:
        abort(400, description="A multipart request holds its JSON object in a part named json.")
    uploads = [Upload(f.filename or "upload", f.read()) for f in request.files.getlist("files")]
    return json_object(raw), uploads


def _texts(value: Any) -> list[str]:
    """Every string within a field's value (its depth is bounded by ``loads_json``)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [k, *_texts(v)]]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _paging() -> tuple[int, int]:
    page = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", 20, type=int) or 20
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(
            {"page": N_("page must be between 1 and 1,000,000 and per_page between 1 and 100.")}
        )
    return page, per_page


# What a reference in a body that is not an id, or the id of nothing, is told: whole
# sentences per kind of record, so that each is translated as a sentence.
_REFERENCE_TEXTS = {
    Firm: (N_("Give the id of the firm."), N_("No firm with id %(id)s.")),
    Capability: (N_("Give the id of the capability."), N_("No capability with id %(id)s.")),
}


def _ref(data: dict[str, Any], field: str, model: type, required: bool = True):
    """A record referred to by an integer id in the body, or a 422 for ``field``."""
    not_an_id, missing = _REFERENCE_TEXTS[model]
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise ValidationError({field: not_an_id})
    obj = db.session.get(model, value)
    if obj is None:
        raise ValidationError({field: N_(missing, id=str(value))})  # an id, not a number
    return obj


@bp.get("/firms")
@public
def list_firms():
    page, per_page = _paging()
    result = search_directory(
        db.session,
        runtime().engine,
        filters_from_args(),
        request.args.get("q", "")[:300],
        page,
        per_page,
        show_weaker=True,  # the API returns every match, each with its probability
    )
    items = []
    for firm in result.firms:
        item = firm_dict(firm)
        if result.scores:
            item["score"] = round(result.scores.get(firm.id, 0.0), 4)
        items.append(item)
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": result.total})


@bp.post("/firms")
@rule("firm.create")
def create_firm():
    firm = create_firm_in_scope(_body())
    return jsonify(firm_dict(firm, detail=True, contact=True)), 201


@bp.get("/firms/<int:firm_id>")
@rule("anyone", Firm)
def get_firm(firm: Firm):
    return jsonify(firm_dict(firm, detail=True, contact=can("firm.contact", firm)))


@bp.patch("/firms/<int:firm_id>")
@rule("firm.edit", Firm)
def update_firm(firm: Firm):
    firm = services.update_firm(db.session, firm, _body())
    return jsonify(firm_dict(firm, detail=True, contact=True))


@bp.delete("/firms/<int:firm_id>")
@rule("firm.manage", Firm)
def delete_firm(firm: Firm):
    services.delete_firm(db.session, firm)
    return "", 204


@bp.get("/firms/<int:firm_id>/capabilities")
@rule("anyone", Firm)
def list_capabilities(firm: Firm):
    return jsonify({"items": [capability_dict(c) for c in firm.capabilities]})


@bp.post("/firms/<int:firm_id>/capabilities")
@rule("firm.edit", Firm)
def create_capability(firm: Firm):
    cap = services.add_capability(db.session, firm, _body())
    return jsonify(capability_dict(cap)), 201


@bp.get("/capabilities/<int:cap_id>")
@rule("anyone", Capability)
def get_capability(cap: Capability):
    return jsonify(capability_dict(cap))


@bp.patch("/capabilities/<int:cap_id>")
@rule("firm.edit", Capability)
def update_capability(cap: Capability):
    cap = services.update_capability(db.session, cap, _body())
    return jsonify(capability_dict(cap))


@bp.delete("/capabilities/<int:cap_id>")
@rule("firm.edit", Capability)
def delete_capability(cap: Capability):
    services.delete_capability(db.session, cap)
    return "", 204


@bp.post("/firms/<int:firm_id>/certifications")
@rule("firm.edit", Firm)
def create_certification(firm: Firm):
    cert = services.add_certification(db.session, firm, _body())
    return jsonify(certification_dict(cert)), 201


@bp.delete("/certifications/<int:cert_id>")
@rule("firm.edit", Certification)
def delete_certification(cert: Certification):
    services.delete_certification(db.session, cert)
    return "", 204


@bp.get("/needs")
@public
def list_needs():
    """The needs the caller may read (``catalog.access.visible_needs_clause``)."""
    page, per_page = _paging()
    query = select(Need).where(visible_needs_clause(actor()))
    status = request.args.get("status", "open")
    if status != "all":
        try:
            query = query.where(Need.status == NeedStatus(status))
        except ValueError:
            message = "Must be open, closed, awarded, draft or all."
            raise ValidationError({"status": message}) from None
    if request.args.get("buyer", type=record_id):
        query = query.where(Need.buyer_id == request.args.get("buyer", type=record_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    needs = db.session.scalars(
        query.order_by(Need.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return jsonify(
        {"items": [need_dict(n) for n in needs], "page": page, "per_page": per_page, "total": total}
    )


@bp.post("/needs")
@rule("need.post")
def create_need():
    """A firm user posts for their own firm (``buyer_id`` may be left out); officers and
    admins name the buyer they act for."""
    data = _body()
    buyer = posting_firm(actor(), _ref(data, "buyer_id", Firm, required=False))
    if buyer is None:
        raise ValidationError({"buyer_id": _REFERENCE_TEXTS[Firm][0]})
    authorize("firm.edit", buyer)
    need = services.create_need(db.session, buyer, data)
    return jsonify(need_dict(need)), 201


@bp.get("/needs/<int:need_id>")
@rule("need.view", Need)
def get_need(need: Need):
    return jsonify(need_dict(need))


@bp.patch("/needs/<int:need_id>")
@rule("need.manage", Need)
def update_need(need: Need):
    need = services.update_need(db.session, need, _body())
    return jsonify(need_dict(need))


@bp.post("/needs/<int:need_id>/outcomes")
@rule("need.manage", Need)
def record_outcome(need: Need):
    """Record what happened to a suggested supplier. Each outcome is a judgement the
    reranker learns from; all but "rejected" and "shortlisted" are stages of the deal
    of the need and the supplier (begun by the buyer if there is none), recorded once:
    "introduced" and "meeting" (and the stage names "quoted", "sample_ordered",
    "sample_approved") reach that stage as recorded; "deal" (kept for compatibility)
    and "purchase_order" record a purchase order without a value on the deal, which
    makes the tier-1 supply relationship (the response's outcome is then
    "purchase_order", or "repeat_order" for a further one). The pipeline itself:
    ``/api/v1/deals/<id>/stages``, ``/orders``, ``/close``, ``/rating``."""
    data = _body()
    firm = _ref(data, "firm_id", Firm)
    capability = _ref(data, "capability_id", Capability, required=False)
    judgement = services.record_outcome(
        db.session,
        need,
        firm,
        str(data.get("outcome", "")),
        capability.id if capability else None,
        source="api",
        user=actor(),
    )
    return jsonify(
        {
            "id": judgement.id,
            "need_id": need.id,
            "firm_id": firm.id,
            "outcome": judgement.outcome.value,
            "grade": judgement.grade,
        }
    ), 201


def _matches_response(need: Need) -> dict[str, Any]:
    limit = request.args.get("limit", current_app.config["MATCH_LIMIT"], type=int)
    if not limit or not 1 <= limit <= 100:
        raise ValidationError({"limit": "Must be between 1 and 100."})
    engine = runtime().engine
    matches = engine.match_need_filtered(
        db.session,
        need,
        limit,
        qualified_only=request.args.get("qualified") in ("1", "true"),
        province=request.args.get("province") or None,
        min_score=(request.args.get("min_score", 0, type=float) or 0) / 100,
    )
    cards = engine.firms.cards(db.session, [m.firm_id for m in matches])
    items = []
    for m in matches:
        if m.firm_id not in cards:
            continue  # deleted since it was ranked
        item = m.as_dict()
        item["firm"] = cards[m.firm_id]
        item["capability"] = {
            "id": m.capability_id,
            "title": m.firm.capability(m.capability_id).title,
        }
        items.append(item)
    # The hard terms read in the need's text and applied (the buyer's removals left out).
    understood = need_terms(db.session, need, engine.tagger).without(need.dismissed_terms or [])
    return {
        "need_id": need.id,
        "index": engine.health()["status"],
        "understood": understood.as_list(),
        "items": items,
    }


@bp.get("/needs/<int:need_id>/matches")
@rule("need.manage", Need)
def need_matches(need: Need):
    return jsonify(_matches_response(need))


@bp.post("/matches")
@rule("signed_in")
def adhoc_matches():
    """Match a need given in the body without saving it (title, description, ...)."""
    data = _body()
    clean = validate_need(db.session, data)
    need = Need(
        title=clean["title"],
        description=clean.get("description") or "",
        quantity_per_year=clean.get("quantity_per_year"),
        tolerance_mm=clean.get("tolerance_mm"),
        required_certifications=clean.get("required_certifications") or [],
    )
    need.id = 0
    need.buyer_id = None
    if clean.get("process"):
        need.process_id = clean["process"]
        need.process = db.session.get(Concept, clean["process"])
    need.materials = [db.session.get(Concept, m) for m in clean.get("materials") or []]
    if clean.get("delivery_province"):
        need.delivery_province_id = clean["delivery_province"]
        need.delivery_province = db.session.get(Province, clean["delivery_province"])
    try:
        return jsonify(_matches_response(need))
    finally:
        if need in db.session:
            db.session.expunge(need)


@bp.get("/introductions")
@rule("signed_in")
def list_introductions():
    """Introductions the caller's firm takes part in (officers: their provinces')."""
    page, per_page = _paging()
    result = db.paginate(
        introductions_query(actor()), page=page, per_page=per_page, error_out=False
    )
    # An officer of the supplier's province may not read the buyer's need: no id then.
    readable = readable_ids(db.session, actor(), (i.need_id for i in result.items))
    items = [
        {**introduction_dict(i), "need_id": i.need_id if i.need_id in readable else None}
        for i in result.items
    ]
    return jsonify(
        {
            "items": items,
            "page": page,
            "per_page": per_page,
            "total": result.total,
        }
    )


@bp.post("/needs/<int:need_id>/introductions")
@rule("need.manage", Need)
def create_introduction(need: Need):
    data = _body()
    firm = _ref(data, "firm_id", Firm)
    intro = request_introduction(db.session, need, firm, actor(), str(data.get("message", "")))
    return jsonify(introduction_dict(intro)), 201


@bp.post("/introductions/<int:intro_id>/<any(accept, decline):decision>")
@rule("introduction.decide", Introduction)
def decide(intro: Introduction, decision: str):
    intro = decide_introduction(db.session, intro, actor(), accept=decision == "accept")
    return jsonify(introduction_dict(intro))


@bp.get("/openapi.json")
@public
def openapi():
    from .openapi import spec

    return jsonify(spec(current_app))


from .deals import api as _deals_api  # noqa: E402,F401  (its routes register on bp)
from .programmes import api as _programmes_api  # noqa: E402,F401  (its routes register on bp)
