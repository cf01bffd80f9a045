"""The public supplier directory: browse, filter, search, firm pages."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request

from catalog import queries, relationships, verification
from catalog.deals import ratings
from catalog.export import firms_table
from catalog.introductions import introductions_with
from catalog.models import Firm
from catalog.programmes.applications import received_support
from catalog.queries import DirectoryFilters
from catalog.validation import record_id
from jobs.runtime import runtime
from matching.directory import search_directory

from .access import actor, can, public
from .extensions import db
from .helpers import label, label_options, options, province_options, spreadsheet, translate
from .i18n import current_locale

bp = Blueprint("directory", __name__, url_prefix="/suppliers")

EXPORT_LIMIT = 5_000


def filters_from_args() -> DirectoryFilters:
    args = request.args
    return DirectoryFilters(
        province=args.get("province") or None,
        zone=args.get("zone", type=record_id),
        sector=args.get("sector") or None,
        process=args.get("process") or None,
        material=args.get("material") or None,
        certification=args.get("certification") or None,
        part=args.get("part") or None,
    )


FACETS_MAX_AGE = 300.0  # seconds: provinces, zones and concepts carry no stamp
FACETS_KEPT = 256  # keys (language × province) kept at most
_facets: dict[tuple, tuple[float, dict]] = {}  # per process: (kept at, options)


def facet_choices() -> dict:
    """The filters' options, ``(value, text)`` in the reader's language (provinces
    ``(code, text, nested)``: a former province under its current unit).

    Kept per process by language and province until the catalogue's stamp moves (a
    certificate added is in the list at once) or for ``FACETS_MAX_AGE`` seconds:
    reading them was seven queries and 18 ms of a directory search at 100k
    capabilities. Part families come from the index on each request (kept there)."""
    session = db.session
    province = request.args.get("province") or None
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    key = (database, queries.newest_firm_stamp(session), current_locale(), province)
    now = time.monotonic()
    kept = _facets.get(key)
    if kept is None or now - kept[0] > FACETS_MAX_AGE:
        kept = now, _options(session, province)
        for old in [k for k in _facets if k[:2] != key[:2]]:  # of an older catalogue
            _facets.pop(old, None)
        if len(_facets) >= FACETS_KEPT:  # provinces asked for that do not exist
            _facets.clear()
        _facets[key] = kept
    engine = runtime().engine
    # Once, not per part family: each ``engine.tagger`` asks the index store whether a
    # new version was published (a file read), 256 times a page cost ~100 ms at 10k.
    tagger = engine.tagger
    return {
        **kept[1],
        "parts": [
            (cid, f"{label(tagger.info(cid))} ({n})")
            for cid, n in engine.concept_counts("part_family")
        ],
    }


def _options(session, province: str | None) -> dict[str, list[tuple]]:
    provinces = queries.provinces(session)
    units = {p.code for p in provinces}
    return {
        # A former province follows its current unit, indented (its code is not a unit's).
        "provinces": [
            (code, text, code not in units) for code, text in province_options(provinces)
        ],
        "zones": [
            (z.id, f"{z.label} ({label(z.province)})") for z in queries.zones(session, province)
        ],
        "sectors": label_options(queries.concepts_by_kind(session, "sector"), "id"),
        "processes": label_options(queries.concepts_by_kind(session, "process"), "id"),
        "materials": label_options(queries.concepts_by_kind(session, "material"), "id"),
        "certifications": options(queries.certification_names(session)),
    }


@bp.get("/")
@public
def index():
    query = request.args.get("q", "").strip()[:300]
    result = search_directory(
        db.session,
        runtime().engine,
        filters_from_args(),
        query,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PER_PAGE"],
        dismissed=request.args.getlist("drop"),
        show_weaker=request.args.get("weaker") == "1",
    )
    return render_template(
        "directory/index.html",
        result=result,
        query=query,
        filters=filters_from_args(),
        choices=facet_choices(),
        index_status=runtime().engine.health() if query else None,
    )


@bp.get("/<int:firm_id>")
@public
def show(firm_id: int):
    firm = queries.firms_by_ids(db.session, [firm_id]).get(firm_id)
    if firm is None or not isinstance(firm, Firm):
        abort(404)
    return render_template(
        "directory/show.html",
        firm=firm,
        show_contact=can("firm.contact", firm),
        introductions=introductions_with(db.session, actor(), firm),
        relationships=relationships.of_firm(db.session, firm) if can("firm.edit", firm) else [],
        buyers=queries.buyers(db.session) if can("firm.edit", firm) else [],
        checks=firm.current_checks(),
        history=verification.history(db.session, firm) if can("verification.view", firm) else [],
        supplier_ratings=ratings.visible_ratings(db.session, actor(), firm),
        supports=received_support(db.session, firm),
    )


@bp.get("/export.<any(csv, xlsx):fmt>")
@public
def export(fmt: str):
    """The directory as filtered and searched on the page, up to 5,000 suppliers."""
    result = search_directory(
        db.session,
        runtime().engine,
        filters_from_args(),
        request.args.get("q", "").strip()[:300],
        page=1,
        per_page=EXPORT_LIMIT,
        dismissed=request.args.getlist("drop"),
        show_weaker=request.args.get("weaker") == "1",
    )
    headers, rows = firms_table(result.firms, translate, label)
    return spreadsheet(headers, rows, fmt, "suppliers")
