"""Officers import survey files: upload, map the columns, preview, import with progress.

The upload is checked and kept under ``DATA_DIR/imports/`` with a random name (its own
name beside it, for the history); the import itself runs as a Celery job
(``jobs.tasks.import_firms``) whose progress the page polls. Each job is recorded for the
officer who started it (``jobs.records``): they, the officers of the provinces it belongs
to and admins may watch it and download its rejected rows, from any browser
(``catalog.access``: ``job.own``), and find it in the import history. The template
(``/imports/template.xlsx``) is a survey file with the headers the import knows.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from celery.result import AsyncResult
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from catalog.imports import (
    FIELD_LABELS,
    FIELDS,
    ImportRefused,
    Table,
    check_mapping,
    ignored_columns,
    import_table,
    read_table,
    remember_mapping,
    remembered_mapping,
    renamed_places,
    template_workbook,
)
from catalog.models import JobKind, Province
from jobs import imports as import_jobs
from jobs import records
from jobs.models import ImportJob
from jobs.runtime import data_folder
from jobs.tasks import import_firms, queue_import

from .access import actor, rule
from .background import job_notice
from .extensions import db
from .helpers import attachment, translate
from .i18n import current_locale

bp = Blueprint("imports", __name__, url_prefix="/imports")

PREVIEW_ROWS = 10
EXTENSIONS = {".csv", ".xlsx"}


def _upload_dir() -> Path:
    path = data_folder().imports
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(token: str) -> Path:
    if not token.isalnum():
        abort(404)
    path = _upload_dir() / f"{token}.upload"
    if not path.exists():
        abort(404)
    return path


def _upload_name(path: Path) -> str:
    """The name the file was uploaded under (the stored one when it was not kept)."""
    named = path.with_suffix(".name")
    return named.read_text()[:200] if named.exists() else path.name


def _scope() -> set[int] | None:
    me = actor()
    return me.province_ids if me is not None and me.is_officer else None


@bp.route("/", methods=["GET", "POST"])
@rule("firm.create")
def upload():
    """Step 1: a CSV or XLSX file, checked by its bytes as well as its name: a name
    that says one type over bytes of another is refused, and so is a file any part of
    which cannot be read (refused with the reason, never a server error)."""
    if request.method == "POST":
        file = request.files.get("file")
        name = (file.filename or "") if file else ""
        if not file or Path(name).suffix.lower() not in EXTENSIONS:
            flash(_("Choose a .csv or .xlsx file."), "error")
            return render_template("imports/upload.html"), 422
        data = file.read()
        try:
            read_table(data, name)  # the bytes decide, and the name must agree with them
        except ImportRefused as exc:
            flash(translate(exc.args[0]), "error")
            return render_template("imports/upload.html"), 422
        token = secrets.token_hex(16)
        (_upload_dir() / f"{token}.upload").write_bytes(data)
        (_upload_dir() / f"{token}.name").write_text(Path(name.replace("\\", "/")).name[:200])
        return redirect(url_for("imports.preview", token=token))
    return render_template("imports/upload.html")


def _preview(table: Table, mapping: dict[str, str]) -> dict:
    """The first rows as a dry run would import them, with their problems."""
    sample = Table(table.headers, table.rows[:PREVIEW_ROWS], table.encoding)
    result = import_table(db.session, sample, mapping, dry_run=True, provinces=_scope())
    return {
        "rows": sample.rows,
        "problems": {p.row: p.reasons for p in result.problems},
        "result": result,
    }


@bp.route("/<token>", methods=["GET", "POST"])
@rule("firm.create")
def preview(token: str):
    """Step 2: the column mapping (remembered per layout) and a preview; then import."""
    path = _upload_path(token)
    try:
        table = read_table(path.read_bytes())
    except ImportRefused as exc:  # checked at upload: only a file changed since then
        flash(translate(exc.args[0]), "error")
        return render_template("imports/upload.html"), 422
    mapping = remembered_mapping(db.session, table.headers)
    error = None
    if request.method == "POST":
        chosen = {
            header: request.form.get(f"map-{index}", "")
            for index, header in enumerate(table.headers)
        }
        mapping = {h: f for h, f in chosen.items() if f}
        try:
            check_mapping(table.headers, mapping)
        except ImportRefused as exc:
            error = translate(exc.args[0])
        else:
            if request.form.get("action") == "import":
                remember_mapping(db.session, table.headers, mapping)
                job_id = queue_import(
                    db.session, str(path), mapping, actor().id, filename=_upload_name(path)
                )
                return redirect(url_for("imports.job", job_id=job_id))
    fields = [(name, translate(FIELD_LABELS[name])) for name in FIELDS]
    context = {"table": table, "mapping": mapping, "fields": fields, "error": error}
    context["field_names"] = {name: translate(label) for name, label in FIELD_LABELS.items()}
    context["ignored"] = ignored_columns(table.headers, mapping)
    context["renamed"] = renamed_places(db.session, table, mapping, current_locale())
    if error is None:
        try:
            context.update(_preview(table, mapping))
        except ImportRefused as exc:
            context["error"] = translate(exc.args[0])
    return render_template("imports/preview.html", token=token, **context)


def _own_job(job_id: str) -> AsyncResult:
    """The task of the user's own import job (404 for anyone else's)."""
    if records.owned(db.session, actor(), job_id, JobKind.IMPORT) is None:
        abort(404)
    return import_firms.AsyncResult(job_id)


@bp.get("/jobs/<job_id>")
@rule("firm.create")
def job(job_id: str):
    """Step 3: progress, then the summary and the rejected rows."""
    _own_job(job_id)
    return render_template("imports/job.html", job_id=job_id)


@bp.get("/jobs/<job_id>.json")
@rule("firm.create")
def job_status(job_id: str):
    """The task's progress or outcome, and from the job's record whether a worker was
    lost on the way (the import then resumes where it stopped)."""
    result = _own_job(job_id)
    body: dict = {"state": result.state}
    if result.state == "PROGRESS":
        body.update(result.info or {})
    elif result.successful():
        body["summary"] = result.result
    elif result.failed():
        body["error"] = _("The import stopped: %(reason)s", reason=str(result.result)[:300])
    record = db.session.get(ImportJob, job_id)
    if record is not None:
        job = body["job"] = import_jobs.describe(db.session, record)
        if record.state == import_jobs.DONE and "summary" not in body:
            body["summary"] = record.summary  # the task's result has expired
        elif record.state == import_jobs.FAILED and "error" not in body:
            body["error"] = _("The import stopped: %(reason)s", reason=record.error or "")
        notice = _job_notice(job)
        if notice:
            body["notice"] = notice
    if "notice" not in body and "summary" not in body and "error" not in body:
        notice = job_notice(result.state)  # waiting on a worker that is not running
        if notice:
            body["notice"] = notice
    return jsonify(body)


def _job_notice(job: dict) -> str | None:
    """What the officer should know about a worker lost during the import."""
    if job["state"] == "interrupted":
        return _(
            "The worker importing this file stopped after %(done)s of %(total)s rows. "
            "Those rows are saved; the import resumes after them as soon as a worker "
            "is available.",
            done=format_decimal(job["rows_done"]),
            total=format_decimal(job["total"] or 0),
        )
    if job["resumed_from"]:
        return _(
            "The worker importing this file stopped after %(done)s of %(total)s rows; "
            "the import resumed after them.",
            done=format_decimal(job["resumed_from"]),
            total=format_decimal(job["total"] or 0),
        )
    return None


@bp.get("/jobs/<job_id>/errors.csv")
@rule("firm.create")
def job_errors(job_id: str):
    result = _own_job(job_id)
    record = db.session.get(ImportJob, job_id)
    if result.successful():
        summary = result.result or {}
    elif record is not None and record.state == import_jobs.DONE:
        summary = record.summary or {}
    else:
        abort(404)
    upload = str(summary.get("upload", ""))
    path = _upload_dir() / f"{upload}.errors.csv"
    if not upload.endswith(".upload") or not path.exists():
        abort(404)
    return Response(
        path.read_bytes(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ketnoi-import-errors.csv"'},
    )


@bp.get("/history")
@rule("firm.create")
def history():
    """The import history: who imported which file when, what came of it, and its
    rejected rows; an officer's provinces (one of them with ``?province=``), every
    province for an admin."""
    me = actor()
    if me.is_officer:
        provinces = sorted(me.provinces, key=lambda p: p.name_vi)
    else:
        provinces = list(db.session.scalars(select(Province).order_by(Province.name_vi)))
    chosen = next((p for p in provinces if p.code == request.args.get("province")), None)
    entries = import_jobs.history(db.session, me, chosen.id if chosen else None)
    return render_template(
        "imports/history.html", entries=entries, provinces=provinces, chosen=chosen
    )


@bp.get("/template.xlsx")
@rule("firm.create")
def template():
    """A survey file to fill in: the headers the import knows, in Vietnamese and English,
    drop-down lists of provinces, sectors and processes, an example row."""
    me = actor()
    lang = current_locale()
    mine = sorted(me.provinces, key=lambda p: p.name_vi) if me.is_officer else []
    body = template_workbook(db.session, lang, translate, mine[0] if mine else None)
    name = "ketnoi-mau-khao-sat.xlsx" if lang == "vi" else "ketnoi-survey-template.xlsx"
    return attachment(
        body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name
    )
