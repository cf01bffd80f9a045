"""Template helpers: filters and globals shared by every page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, current_app, flash, jsonify, request, send_file
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
)

from catalog.export import to_csv, to_xlsx
from catalog.files import Upload, stored_path
from catalog.models import BackgroundJob, Firm, JobState
from catalog.models.reference import place_label
from catalog.text import literal_text
from jobs.i18n import translate
from jobs.runtime import data_folder

from .access import can
from .background import job_notice
from .i18n import current_locale

DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def fmt_number(value: Any) -> str:
    """Thousands separated the locale's way: 12.500 in Vietnamese, 12,500 in English."""
    if value is None or value == "":
        return "—"
    try:
        return format_decimal(int(value))
    except (TypeError, ValueError):
        return str(value)


def fmt_figure(value: Any) -> str:
    """A measured or targeted figure, to one decimal where it has one, the locale's way:
    50 and 12,5 in Vietnamese, 50 and 12.5 in English."""
    if value is None or value == "":
        return "—"
    return format_decimal(round(float(value), 1), format="#,##0.#")


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DATE_PATTERNS.get(current_locale(), "short"))


def uploads_dir(kind: str = "") -> Path:
    """Where uploaded files are kept (evidence, photos): one folder, backed up whole."""
    return data_folder().uploads(kind)


def attachment(body: bytes, mimetype: str, filename: str) -> Response:
    """A generated file as a download (never shown inline)."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def uploads(name: str = "files") -> list[Upload]:
    """The files a form sent under ``name``, as ``catalog.files`` checks them (an input
    left empty sends a part without a file name: not a file)."""
    return [Upload(f.filename, f.read()) for f in request.files.getlist(name) if f.filename]


def stored_download(root: Path, file: Any) -> Response:
    """An uploaded file kept under its digest (``catalog.files.store``), always as a
    download with its checked type, never inline; 404 when its bytes are gone (a
    database restored without its uploads). ``file`` names ``sha256``, ``content_type``
    and ``filename`` (a deal's file, an application's)."""
    path = stored_path(root, file.sha256)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=file.content_type,
        as_attachment=True,
        download_name=file.filename,
        max_age=0,
    )


def flash_errors(errors: dict) -> None:
    """Every problem of a refused form on one line, in the reader's language."""
    flash("; ".join(translate(m) for m in errors.values()), "error")


def job_status(job: BackgroundJob, failure: str) -> Response:
    """A background job's state and progress as JSON for the page that polls it; a
    failure shows ``failure`` (in the reader's language), never the exception. Progress
    comes from the task queue; once its result has expired (a day), the job's record
    still says how it ended."""
    result = current_app.extensions["celery"].AsyncResult(job.id)
    state = result.state
    info = result.info if isinstance(result.info, dict) else {}
    if state == "PENDING" and job.finished:
        state = "SUCCESS" if job.state == JobState.DONE else "FAILURE"
    if state == "FAILURE":
        info = {"error": failure}
    notice = job_notice(state)  # waiting on a worker that is not running
    if notice:
        info = {**info, "notice": notice}
    return jsonify(state=state, **info)


def spreadsheet(headers: Sequence[str], rows: list, fmt: str, name: str) -> Response:
    """A table as a CSV or XLSX download, headers in the reader's language."""
    headers = [translate(h) for h in headers]
    if fmt == "csv":
        body, mimetype = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(headers, rows, title=name[:31])
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="ketnoi-{name}.{fmt}"'},
    )


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value, "short")


def fmt_vnd(value: Any) -> str:
    """A đồng amount the locale's way: 1.250.000 ₫ in Vietnamese, ₫1,250,000 in English."""
    if value is None or value == "":
        return "—"
    return format_currency(value, "VND")


def localized(vi: Any, en: Any) -> Any:
    """The Vietnamese or English variant for the current locale, else the other one."""
    first, second = (vi, en) if current_locale() == "vi" else (en, vi)
    return first or second or ""


def label(obj: Any) -> str:
    """A concept's or province's name in the interface language (name_vi / name_en)."""
    if obj is None:
        return ""
    if isinstance(obj, dict):
        return localized(obj.get("name_vi"), obj.get("name_en"))
    return localized(getattr(obj, "name_vi", None), getattr(obj, "name_en", None))


def place(where: Any, former: Any = None) -> str:
    """A firm's place, or a unit with a former province in it, in the interface
    language: "Phú Thọ — Vĩnh Phúc cũ" / "Phu Tho — former Vinh Phuc"."""
    if isinstance(where, Firm):
        return where.place_label(current_locale())
    return place_label(where, former, current_locale())


def province_options(provinces: list[Any]) -> list[tuple[str, str]]:
    """(code, name) of each current unit, each followed by the former provinces it
    absorbed ("Phú Thọ — Vĩnh Phúc cũ"): a firm of former Vĩnh Phúc finds its place under
    the name it knows, and choosing it keeps that former province as its region."""
    out = []
    for unit in provinces:
        out.append((unit.code, label(unit)))
        for former in unit.former_provinces:
            if place(unit, former) != label(unit):
                out.append((former.code, place(unit, former)))
    return out


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100):d}%"


def fmt_chance(value: float | None) -> str:
    """A match's calibrated probability of being relevant, as a percentage between 1 and
    99: an estimate is never a certainty, and "100 %" on a first card read as one."""
    return "—" if value is None else f"{min(99, max(1, round(value * 100))):d}%"


def url_with(**changes: Any) -> str:
    """The current URL with some query parameters changed (for filters and paging)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return request.path + ("?" + urlencode(args) if args else "")


def options(items: list[Any], value: str | None = None, text: str | None = None) -> list:
    """(value, text) pairs for a select or checkboxes from objects or plain strings."""
    if value is None:
        return [(i, i) for i in items]
    return [(getattr(i, value), getattr(i, text or value)) for i in items]


def label_options(items: list[Any], value: str) -> list:
    """(value, localized name) pairs for concepts or provinces."""
    return [(getattr(i, value), label(i)) for i in items]


def literal_output(value: Any) -> Any:
    """What every ``{{ … }}`` of every page shows (Jinja's ``finalize``): stored text as
    the literal text it is, autoescaped as always, and without the control or
    text-direction override characters an old row may hold (which would make a name read
    otherwise on the page than it is stored). Markup made by the templates is left alone."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return literal_text(value)
    return value


def register(app: Flask) -> None:
    app.jinja_env.finalize = literal_output
    app.jinja_env.filters["options"] = options
    app.jinja_env.filters["label_options"] = label_options
    app.jinja_env.filters["province_options"] = province_options
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["number"] = fmt_number
    app.jinja_env.filters["figure"] = fmt_figure
    app.jinja_env.filters["date"] = fmt_date
    app.jinja_env.filters["percent"] = fmt_percent
    app.jinja_env.filters["chance"] = fmt_chance
    app.jinja_env.filters["datetime"] = fmt_datetime
    app.jinja_env.filters["vnd"] = fmt_vnd
    app.jinja_env.filters["tr"] = translate
    app.jinja_env.tests["editable"] = lambda firm: can("firm.edit", firm)
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["today"] = date.today
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["place"] = place
    app.jinja_env.globals["localized"] = localized
