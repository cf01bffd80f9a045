"""JSON API of support programmes (version 1, routes of the ``api`` blueprint, same
token, errors and access rules as ``webapp.api``). Each route has its entry in
``webapp.programmes.openapi``.

A province's programmes are public decisions: anyone reads them, their lines, their
eligibility, budgets and targets; the officers who may manage a programme also get its
figures (planned, committed, disbursed; targets against what was done). A firm's
application and its files are read by the firm's users and the programme's officers
only. An application and a completion carry files when sent as ``multipart/form-data``
(the JSON object in a part named ``json``, each file in a part named ``files``); the
files are listed with their ids and downloaded from ``/api/v1/support-files/<id>``.

Amounts are whole đồng (integers), dates ``YYYY-MM-DD``, kinds, sources and statuses
their values; no person's name or contact is ever part of an answer.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.i18n import N_
from catalog.models import (
    ApplicationStatus,
    Firm,
    Programme,
    SupportApplication,
    SupportFile,
    SupportLine,
)
from catalog.programmes import applications, figures, setup
from catalog.schemas import iso
from catalog.validation import ValidationError, province_ref
from jobs.i18n import translate

from ..access import actor, can, public, rule
from ..api import _body, _paging, _ref, body_and_files, bp
from ..extensions import db
from ..helpers import stored_download
from .pages import files_root

# -- what the API shows ------------------------------------------------------------------


def _line_brief(line: SupportLine) -> dict[str, Any]:
    return {"id": line.id, "kind": line.kind.value, "name": line.name, "status": line.status.value}


def _programme_summary(programme: Programme) -> dict[str, Any]:
    return {
        "id": programme.id,
        "province_id": programme.province_id,
        "province": programme.province.code,
        "name": programme.name,
        "legal_basis": programme.legal_basis,
        "description": programme.description,
        "start_year": programme.start_year,
        "end_year": programme.end_year,
        "lines": [_line_brief(line) for line in programme.lines],
    }


def _line_dict(line: SupportLine, firm: Firm | None) -> dict[str, Any]:
    """A line with its eligibility, budgets and targets; with ``firm`` (the caller's),
    whether that firm may receive its support and, if not, why (in the caller's
    language)."""
    reasons = applications.ineligible(line, firm) if firm is not None else []
    return {
        "id": line.id,
        "programme_id": line.programme_id,
        "kind": line.kind.value,
        "name": line.name,
        "description": line.description,
        "share_pct": line.share_pct,
        "ceiling_vnd": line.ceiling_vnd,
        "status": line.status.value,
        "standards": list(line.standards or []),
        "eligibility": {
            "sizes": list(line.sizes or []),
            "sectors": [c.id for c in line.sectors],
            "processes": [c.id for c in line.processes],
            "former_province_id": line.former_province_id,
            "former_province": line.former_province.code if line.former_province else None,
        },
        "budgets": [
            {"year": b.year, "source": b.source.value, "planned_vnd": b.planned_vnd}
            for b in line.budgets
        ],
        "targets": [
            {"id": t.id, "measure": t.measure.value, "value": t.value, "year": t.year}
            for t in line.targets
        ],
        "eligible": None if firm is None else not reasons,
        "ineligible_reasons": [translate(r) for r in reasons],
    }


def _figures_dict(fig: figures.LineFigures) -> dict[str, Any]:
    """``figures.LineFigures`` as rows: per year and source (planned, disbursed), per
    year (committed: the amounts approved, by the year of the decision)."""
    return {
        "line_id": fig.line.id,
        "applications": fig.applications,
        "approved": fig.approved,
        "planned": [
            {"year": year, "source": source.value, "amount_vnd": amount}
            for year, row in sorted(fig.planned.items())
            for source, amount in sorted(row.items())
        ],
        "committed": [
            {"year": year, "amount_vnd": amount} for year, amount in sorted(fig.committed.items())
        ],
        "disbursed": [
            {"year": year, "source": source.value, "amount_vnd": amount}
            for year, row in sorted(fig.disbursed.items())
            for source, amount in sorted(row.items())
        ],
        "planned_vnd": fig.planned_vnd(),
        "committed_vnd": fig.committed_vnd(),
        "disbursed_vnd": fig.disbursed_vnd(),
        "targets": [
            {
                "id": t.target.id,
                "measure": t.target.measure.value,
                "value": t.target.value,
                "year": t.target.year,
                "actual": t.actual,
            }
            for t in fig.targets
        ],
    }


def _programme_detail(programme: Programme) -> dict[str, Any]:
    user = actor()
    firm = user.firm if user is not None and user.firm is not None else None
    out = _programme_summary(programme)
    out["lines"] = [_line_dict(line, firm) for line in programme.lines]
    out["figures"] = None
    if can("programme.manage", programme):
        out["figures"] = [
            _figures_dict(f) for f in figures.line_figures(db.session, programme.lines)
        ]
    return out


def _file_dict(file: SupportFile) -> dict[str, Any]:
    return {
        "id": file.id,
        "role": file.role,
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
    }


def _application_dict(a: SupportApplication) -> dict[str, Any]:
    """An application as both its readers see it: the firm (by name; no person), what
    was asked, the assessment and decision, the payments, the result and the files."""
    line = a.line
    return {
        "id": a.id,
        "line_id": a.line_id,
        "line_name": line.name,
        "kind": line.kind.value,
        "programme_id": line.programme_id,
        "firm_id": a.firm_id,
        "firm_name": a.firm.display_name,
        "source": a.source,
        "status": a.status.value,
        "purpose": a.purpose,
        "gap": a.gap,
        "cost_vnd": a.cost_vnd,
        "requested_vnd": a.requested_vnd,
        "most_vnd": applications.most_for(line, a.cost_vnd),
        "applied_on": iso(a.applied_on),
        "score": a.score,
        "criteria": a.criteria,
        "comments": a.comments,
        "approved_vnd": a.approved_vnd,
        "reject_reason": a.reject_reason,
        "decided_on": iso(a.decided_on),
        "disbursed_vnd": a.disbursed_vnd,
        "disbursements": [
            {
                "id": d.id,
                "paid_on": iso(d.paid_on),
                "amount_vnd": d.amount_vnd,
                "source": d.source.value,
                "note": d.note,
            }
            for d in a.disbursements
        ],
        "completed_on": iso(a.completed_on),
        "result_note": a.result_note,
        "workers_trained": a.workers_trained,
        "certification_id": a.certification_id,
        "event_id": a.event_id,
        "files": [_file_dict(f) for f in a.files],
    }


# -- programmes and their lines ------------------------------------------------------------


@bp.get("/programmes")
@public
def programmes_list():
    """The programmes, the latest first; ``province`` (a code, or a name of the current
    map or the one before 2025) keeps one province's."""
    page, per_page = _paging()
    query = select(Programme).options(
        selectinload(Programme.lines), selectinload(Programme.province)
    )
    code = request.args.get("province", "").strip()
    if code:
        try:
            province_id = province_ref(db.session)(code[:100])
        except ValueError as exc:
            raise ValidationError({"province": exc.args[0]}) from None
        query = query.where(Programme.province_id == int(province_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        query.order_by(Programme.end_year.desc(), Programme.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [_programme_summary(p) for p in found]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@bp.get("/programmes/<int:programme_id>")
@rule("programme.view", Programme)
def programme_show(programme: Programme):
    """A programme with its lines (eligibility, budgets, targets); ``figures`` for the
    officers who may manage it (null for everyone else)."""
    return jsonify(_programme_detail(programme))


@bp.post("/programmes")
@rule("programme.manage")
def programme_create():
    """A programme of a province the officer serves: ``province_id``, or ``province``
    (a code or name); an officer of one province may leave both out."""
    data = _body()
    if data.get("province_id") is None and data.get("province") not in (None, ""):
        try:
            data["province_id"] = int(province_ref(db.session)(data["province"]))
        except (ValueError, TypeError) as exc:
            message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
            raise ValidationError({"province": message or N_("Invalid value.")}) from None
    programme = setup.create_programme(db.session, actor(), data)
    db.session.commit()
    return jsonify(_programme_detail(programme)), 201


@bp.post("/programmes/<int:programme_id>/lines")
@rule("programme.manage", Programme)
def programme_line_create(programme: Programme):
    """Add a support line, with its eligibility, yearly budgets by source and targets."""
    line = setup.save_line(db.session, programme, actor(), _body())
    db.session.commit()
    return jsonify(_line_dict(line, None)), 201


def _line_values(line: SupportLine) -> dict[str, Any]:
    """The line's fields as ``setup.save_line`` takes them (budgets and targets left out:
    they are replaced only when given)."""
    return {
        "kind": line.kind.value,
        "name": line.name,
        "description": line.description,
        "share_pct": line.share_pct,
        "ceiling_vnd": line.ceiling_vnd,
        "sizes": list(line.sizes or []),
        "sectors": [c.id for c in line.sectors],
        "processes": [c.id for c in line.processes],
        "standards": list(line.standards or []),
        "former_province_id": line.former_province_id,
        "status": line.status.value,
    }


@bp.put("/support-lines/<int:line_id>")
@rule("programme.manage", SupportLine)
def support_line_update(line: SupportLine):
    """Change a line (``{"status": "closed"}`` closes it to applications): fields left
    out keep their values; ``budgets`` and ``targets``, when given, replace the line's."""
    data = {**_line_values(line), **_body()}
    line = setup.save_line(db.session, line.programme, actor(), data, line)
    db.session.commit()
    return jsonify(_line_dict(line, None))


# -- applications ------------------------------------------------------------------------


@bp.post("/support-lines/<int:line_id>/applications")
@rule("support.apply", SupportLine)
def support_apply(line: SupportLine):
    """The caller's firm applies: what for, the cost, the amount requested (at most the
    line's share of the cost, within its ceiling), with files or without. A firm the
    line does not accept is told why (422, field ``line``)."""
    data, uploads = body_and_files()
    user = actor()
    application = applications.apply(
        db.session, line, user.firm, user, data, uploads, root=files_root()
    )
    db.session.commit()
    return jsonify(_application_dict(application)), 201


@bp.post("/support-lines/<int:line_id>/given")
@rule("programme.manage", SupportLine)
def support_given(line: SupportLine):
    """Support an officer gave outside the application flow (a class held, a booth paid
    for), to the firm ``firm_id``: recorded as approved for ``approved_vnd``."""
    data = _body()
    firm = _ref(data, "firm_id", Firm)
    application = applications.record_given(db.session, line, firm, actor(), data)
    db.session.commit()
    return jsonify(_application_dict(application)), 201


@bp.get("/support-applications")
@rule("signed_in")
def support_applications_list():
    """The applications the caller may read, newest first: its firm's own, or those of
    the programmes of the provinces an officer serves (all for admins)."""
    page, per_page = _paging()
    query = applications.applications_query(actor())
    status = request.args.get("status", "").strip()
    if status:
        allowed = [s.value for s in ApplicationStatus]
        if status not in allowed:
            message = N_("Must be one of: %(allowed)s.", allowed=", ".join(allowed))
            raise ValidationError({"status": message})
        query = query.where(SupportApplication.status == ApplicationStatus(status))
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    items = [_application_dict(a) for a in result.items]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": result.total})


@bp.get("/support-applications/<int:application_id>")
@rule("support.view", SupportApplication)
def support_application_show(application: SupportApplication):
    return jsonify(_application_dict(application))


@bp.post("/support-applications/<int:application_id>/decision")
@rule("support.decide", SupportApplication)
def support_decision(application: SupportApplication):
    """The officers' assessment (``score``, ``criteria``, ``comments``) and decision:
    approve for ``approved_vnd`` (default: the amount requested), or reject with a
    ``reason``. The firm is told."""
    applications.decide(db.session, application, actor(), _body())
    db.session.commit()
    return jsonify(_application_dict(application))


@bp.post("/support-applications/<int:application_id>/disbursements")
@rule("support.decide", SupportApplication)
def support_disburse(application: SupportApplication):
    """A payment against the approved amount; all payments together never exceed it."""
    applications.disburse(db.session, application, actor(), _body())
    db.session.commit()
    return jsonify(_application_dict(application)), 201


@bp.post("/support-applications/<int:application_id>/completion")
@rule("support.decide", SupportApplication)
def support_complete(application: SupportApplication):
    """The support is done: the result, what it produced (workers trained; a certificate,
    which becomes the firm's certification; the fair's event) and the evidence as
    files."""
    data, uploads = body_and_files()
    applications.complete(db.session, application, actor(), data, uploads, root=files_root())
    db.session.commit()
    return jsonify(_application_dict(application))


@bp.post("/support-applications/<int:application_id>/withdraw")
@rule("support.own", SupportApplication)
def support_withdraw(application: SupportApplication):
    """The firm takes back an application not yet decided (its own users only)."""
    applications.withdraw(db.session, application, actor())
    db.session.commit()
    return jsonify(_application_dict(application))


@bp.get("/support-files/<int:file_id>")
@rule("support.view", SupportFile)
def support_file(file: SupportFile):
    """A file of an application (sent with it, or evidence of its result), always as a
    download with its checked type, never inline (404 when its bytes are gone, e.g. a
    database restored without its uploads)."""
    return stored_download(files_root(), file)
