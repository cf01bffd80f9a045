"""Pages of support programmes: the programmes and their lines (public decisions), the
officers' set-up forms, a firm's application, the application's page where officers
assess, decide, pay and record the result, and the firms one support away.

Views are thin: the rules are ``catalog.access`` (declared with ``rule``), the work is
``catalog.programmes``. A refused form goes back where it came from with its messages
(the app's ``ValidationError`` handler), except the set-up and application forms, which
show themselves again with a message under each field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.access import officer_province_ids
from catalog.dashboard import Period
from catalog.files import ATTACHMENT_EXTENSIONS
from catalog.models import (
    ApplicationStatus,
    Concept,
    Event,
    Firm,
    FirmRole,
    FormerProvince,
    FundingSource,
    Programme,
    Province,
    SupportApplication,
    SupportFile,
    SupportKind,
    SupportLine,
    TargetMeasure,
    UserRole,
)
from catalog.programmes import (
    KIND_LABELS,
    LINE_STATUS_LABELS,
    MEASURE_LABELS,
    SIZE_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    applications,
    figures,
    offers,
    setup,
)
from catalog.validation import ValidationError, get_by_id
from documents import snapshots

from ..access import actor, can, rule
from ..errors import back_to
from ..extensions import db
from ..helpers import data_folder, stored_download, uploads, uploads_dir
from . import bp

TARGET_ROWS = 3  # empty target rows on the line form


def files_root() -> Path:
    """Where applications' files and evidence are kept (with the other uploads)."""
    return uploads_dir("support")


@bp.app_context_processor
def programme_labels() -> dict[str, Any]:
    """The bilingual names of kinds, sources, statuses and measures, for the templates."""
    return {
        "support_kind_labels": KIND_LABELS,
        "funding_source_labels": SOURCE_LABELS,
        "support_status_labels": STATUS_LABELS,
        "target_measure_labels": MEASURE_LABELS,
        "firm_size_labels": SIZE_LABELS,
        "line_status_labels": LINE_STATUS_LABELS,
    }


# -- programmes --------------------------------------------------------------------------


@bp.get("/")
@rule("programme.view")
def index():
    """The programmes: an officer's provinces first, a firm's own province's, or all."""
    user = actor()
    query = (
        select(Programme)
        .options(selectinload(Programme.lines))
        .order_by(Programme.end_year.desc(), Programme.id.desc())
    )
    province_ids = None
    if user is not None and user.role == UserRole.OFFICER:
        province_ids = user.province_ids
    elif user is not None and user.firm is not None:
        province_ids = {user.firm.province_id}
    if province_ids is not None and request.args.get("all") != "1":
        query = query.where(Programme.province_id.in_(province_ids or {-1}))
    return render_template(
        "programmes/index.html",
        programmes=list(db.session.scalars(query)),
        narrowed=province_ids is not None and request.args.get("all") != "1",
    )


def _programme_form() -> dict[str, Any]:
    return {
        f: request.form.get(f, "")
        for f in ("name", "legal_basis", "description", "start_year", "end_year", "province_id")
    }


@bp.route("/new", methods=["GET", "POST"])
@rule("programme.manage")
def new():
    """An officer sets up a programme of a province they serve."""
    user = actor()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _programme_form()
        try:
            programme = setup.create_programme(db.session, user, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Programme created. Add its support lines."), "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
    provinces = officer_province_ids(user)
    query = select(Province).order_by(Province.name_vi)
    if provinces is not None:
        query = query.where(Province.id.in_(provinces or {-1}))
    page = render_template(
        "programmes/form.html",
        values=values,
        errors=errors,
        provinces=list(db.session.scalars(query)),
    )
    return page, 422 if errors else 200


@bp.get("/<int:programme_id>")
@rule("programme.view", Programme)
def show(programme: Programme):
    """A programme, its lines and budgets; for its officers also what was committed
    and paid, the targets against what was done, and the applications."""
    manager = can("programme.manage", programme)
    figs = figures.line_figures(db.session, programme.lines)
    user = actor()
    firm = user.firm if user is not None and user.firm is not None else None
    reasons = (
        {line.id: applications.ineligible(line, firm) for line in programme.lines} if firm else {}
    )
    recent = []
    if manager:
        recent = list(
            db.session.scalars(
                applications.applications_query(user)
                .where(SupportLine.programme_id == programme.id)
                .limit(50)
            )
        )
    return render_template(
        "programmes/show.html",
        programme=programme,
        figures=figs,
        years=figures.programme_years(programme),
        sources=list(FundingSource),
        manager=manager,
        firm=firm,
        reasons=reasons,
        recent=recent,
    )


# -- lines -------------------------------------------------------------------------------


def _line_form(programme: Programme) -> dict[str, Any]:
    """The line form's fields as ``setup.save_line`` takes them: the budget grid's cells
    (``budget-<year>-<source>``) and target rows become lists."""
    form = request.form
    data: dict[str, Any] = {
        f: form.get(f, "")
        for f in (
            "kind",
            "name",
            "description",
            "share_pct",
            "ceiling_vnd",
            "standards",
            "former_province_id",
            "status",
        )
    }
    data["sizes"] = form.getlist("sizes")
    data["sectors"] = form.getlist("sectors")
    data["processes"] = form.getlist("processes")
    budgets = []
    for year in figures.programme_years(programme):
        for source in FundingSource:
            raw = form.get(f"budget-{year}-{source.value}", "").strip()
            if raw:
                budgets.append({"year": year, "source": source.value, "planned_vnd": raw})
    data["budgets"] = budgets
    targets = []
    for n in range(1, TARGET_ROWS + 1):
        measure, value = form.get(f"target-{n}-measure", ""), form.get(f"target-{n}-value", "")
        if measure or value.strip():
            targets.append(
                {"measure": measure, "value": value, "year": form.get(f"target-{n}-year") or None}
            )
    data["targets"] = targets
    return data


def _line_values(line: SupportLine) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": line.kind.value,
        "name": line.name,
        "description": line.description,
        "share_pct": line.share_pct,
        "ceiling_vnd": line.ceiling_vnd,
        "standards": ", ".join(line.standards or []),
        "former_province_id": line.former_province_id,
        "status": line.status.value,
        "sizes": list(line.sizes or []),
        "sectors": [c.id for c in line.sectors],
        "processes": [c.id for c in line.processes],
    }
    for b in line.budgets:
        values[f"budget-{b.year}-{b.source.value}"] = b.planned_vnd
    for n, t in enumerate(line.targets, start=1):
        values[f"target-{n}-measure"] = t.measure.value
        values[f"target-{n}-value"] = t.value
        values[f"target-{n}-year"] = t.year
    return values


def _line_page(programme: Programme, line: SupportLine | None):
    values: dict[str, Any] = (
        {"share_pct": 50, "status": "open"} if line is None else _line_values(line)
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = _line_form(programme)
        values = {**{k: v for k, v in request.form.items()}, **data}
        try:
            saved = setup.save_line(db.session, programme, actor(), data, line)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Support line saved."), "success")
            return redirect(
                url_for("programmes.show", programme_id=programme.id, _anchor=f"line-{saved.id}")
            )
    concepts = list(
        db.session.scalars(
            select(Concept).where(Concept.kind.in_(("sector", "process"))).order_by(Concept.name_vi)
        )
    )
    former = list(
        db.session.scalars(
            select(FormerProvince)
            .where(FormerProvince.province_id == programme.province_id)
            .order_by(FormerProvince.name_vi)
        )
    )
    page = render_template(
        "programmes/line_form.html",
        programme=programme,
        line=line,
        values=values,
        errors=errors,
        kinds=list(SupportKind),
        sources=list(FundingSource),
        years=figures.programme_years(programme),
        measures=list(TargetMeasure),
        target_rows=range(1, TARGET_ROWS + 1),
        sectors=[c for c in concepts if c.kind == "sector"],
        processes=[c for c in concepts if c.kind == "process"],
        former_provinces=former if len(former) > 1 else [],
    )
    return page, 422 if errors else 200


@bp.route("/<int:programme_id>/lines/new", methods=["GET", "POST"])
@rule("programme.manage", Programme)
def new_line(programme: Programme):
    return _line_page(programme, None)


@bp.route("/lines/<int:line_id>/edit", methods=["GET", "POST"])
@rule("programme.manage", SupportLine)
def edit_line(line: SupportLine):
    return _line_page(line.programme, line)


# -- applications ------------------------------------------------------------------------


@bp.route("/lines/<int:line_id>/apply", methods=["GET", "POST"])
@rule("support.apply", SupportLine)
def apply(line: SupportLine):
    """A firm applies; ``gap`` (from the gap view's link) says what it would close."""
    user = actor()
    firm = user.firm
    values: dict[str, Any] = {"gap": request.args.get("gap", "")[:120]}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            f: request.form.get(f, "") for f in ("purpose", "gap", "cost_vnd", "requested_vnd")
        }
        try:
            application = applications.apply(
                db.session, line, firm, user, values, uploads(), root=files_root()
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Your application was sent to the province's officers."), "success")
            return redirect(url_for("programmes.application", application_id=application.id))
    page = render_template(
        "programmes/apply.html",
        line=line,
        firm=firm,
        values=values,
        errors=errors,
        reasons=applications.ineligible(line, firm),
        accept=".pdf,.jpg,.jpeg,.png,.webp",
        max_files=applications.MAX_FILES,
        max_mb=applications.MAX_FILE_BYTES // (1024 * 1024),
    )
    return page, 422 if errors else 200


@bp.get("/applications/")
@rule("signed_in")
def applications_list():
    """A firm's applications, or those an officer decides, newest first."""
    user = actor()
    query = applications.applications_query(user)
    status = request.args.get("status", "")
    if status in {s.value for s in ApplicationStatus}:
        query = query.where(SupportApplication.status == status)
    return render_template(
        "programmes/applications.html",
        items=list(db.session.scalars(query.limit(200))),
        status=status,
        statuses=list(ApplicationStatus),
    )


@bp.get("/applications/<int:application_id>")
@rule("support.view", SupportApplication)
def application(application: SupportApplication):
    """The application: what was asked, the decision, the payments, the result; the
    officers' forms for each next step."""
    manager = can("support.decide", application)
    events = []
    if manager and application.status == ApplicationStatus.APPROVED:
        events = list(
            db.session.scalars(
                select(Event)
                .where(Event.province_id == application.line.programme.province_id)
                .order_by(Event.starts_on.desc())
                .limit(30)
            )
        )
    return render_template(
        "programmes/application.html",
        a=application,
        line=application.line,
        manager=manager,
        mine=actor() is not None and actor().firm_id == application.firm_id,
        sources=list(FundingSource),
        events=events,
        most=applications.most_for(application.line, application.cost_vnd),
        accept=ATTACHMENT_EXTENSIONS,
    )


def _application_page(application: SupportApplication, anchor: str = "") -> str:
    return back_to(url_for("programmes.application", application_id=application.id, _anchor=anchor))


@bp.post("/applications/<int:application_id>/decision")
@rule("support.decide", SupportApplication)
def decide(application: SupportApplication):
    back = _application_page(application, "decision")
    applications.decide(db.session, application, actor(), request.form.to_dict())
    db.session.commit()
    flash(_("Decision recorded. The firm is told."), "success")
    return redirect(back)


@bp.post("/applications/<int:application_id>/payments")
@rule("support.decide", SupportApplication)
def disburse(application: SupportApplication):
    back = _application_page(application, "payments")
    applications.disburse(db.session, application, actor(), request.form.to_dict())
    db.session.commit()
    flash(_("Payment recorded."), "success")
    return redirect(back)


@bp.post("/applications/<int:application_id>/completion")
@rule("support.decide", SupportApplication)
def complete(application: SupportApplication):
    back = _application_page(application, "result")
    applications.complete(
        db.session, application, actor(), request.form.to_dict(), uploads(), root=files_root()
    )
    db.session.commit()
    flash(_("Result recorded."), "success")
    return redirect(back)


@bp.post("/applications/<int:application_id>/withdraw")
@rule("support.own", SupportApplication)
def withdraw(application: SupportApplication):
    back = _application_page(application)
    applications.withdraw(db.session, application, actor())
    db.session.commit()
    flash(_("Application withdrawn."), "success")
    return redirect(back)


@bp.route("/lines/<int:line_id>/given", methods=["GET", "POST"])
@rule("programme.manage", SupportLine)
def given(line: SupportLine):
    """Support an officer gave outside the application flow (a class, a fair booth)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            f: request.form.get(f, "")
            for f in ("firm_id", "purpose", "cost_vnd", "approved_vnd", "given_on")
        }
        firm = get_by_id(db.session, Firm, values["firm_id"])
        try:
            if firm is None:
                raise ValidationError({"firm_id": _("Choose the firm.")})
            recorded = applications.record_given(db.session, line, firm, actor(), values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Support recorded."), "success")
            return redirect(url_for("programmes.application", application_id=recorded.id))
    firms = list(
        db.session.scalars(
            select(Firm)
            .where(Firm.province_id == line.programme.province_id, Firm.role != FirmRole.BUYER)
            .order_by(Firm.name_vi)
            .limit(2000)
        )
    )
    page = render_template(
        "programmes/given.html", line=line, values=values, errors=errors, firms=firms
    )
    return page, 422 if errors else 200


@bp.get("/files/<int:file_id>")
@rule("support.view", SupportFile)
def file(file: SupportFile) -> Response:
    """An application's file, as every stored upload: a download with its checked type."""
    return stored_download(files_root(), file)


# -- firms one support away ------------------------------------------------------------


@bp.get("/candidates")
@rule("programme.manage")
def candidates():
    """The province's firms that one open line's support would make good local matches
    for open needs, from the last localisation analysis (the report job's)."""
    user = actor()
    provinces = officer_province_ids(user)
    code = request.args.get("province", "")
    query = select(Province).order_by(Province.name_vi)
    if provinces is not None:
        query = query.where(Province.id.in_(provinces or {-1}))
    choices = list(db.session.scalars(query))
    province = next((p for p in choices if p.code == code), choices[0] if choices else None)
    if province is None:
        abort(404)
    found, computed_at, period, snapshot = [], None, Period.current("quarter"), None
    for kind in ("quarter", "year"):  # the report job's analysis of this quarter or year
        period = Period.current(kind)
        snapshot = snapshots.load(data_folder().root, province.code, period)
        if snapshot is not None:
            break
    if snapshot is not None:
        loc, computed_at = snapshot
        misses = [(n.need_id, m) for n in loc.needs for m in n.near_misses]
        found = offers.one_away(db.session, province.id, misses)
    keys = {c.key for c in found if c.kind == offers.PROCESS}
    processes = {c.id: c for c in db.session.scalars(select(Concept).where(Concept.id.in_(keys)))}
    return render_template(
        "programmes/candidates.html",
        province=province,
        provinces=choices,
        candidates=found,
        processes=processes,
        computed_at=computed_at,
        age=snapshots.age_minutes(computed_at) if computed_at else None,
        period=period,
    )
