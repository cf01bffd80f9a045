"""Bulk import of firm lists from survey spreadsheets (CSV or XLSX).

Officers hold firm lists in whatever layout their survey used. An import reads the
file defensively (type from its bytes, and a name that says otherwise is refused; macro
workbooks, zip bombs, XML with a DTD or entities, oversized and malformed files refused;
formulas never evaluated), repairs legacy TCVN3
and VNI text for the whole file at once, maps its columns to firm fields (by header
names in Vietnamese or English, or by an explicit mapping), then validates and applies
it row by row:

- a bad row is reported with its spreadsheet row number and reasons, and skipped;
- every good row lands, each in its own savepoint, so no row is ever half-written;
- importing the same file again changes nothing: a row is matched to an existing firm by
  tax code, else by normalised name and province, and only differing values are written;
- a row never changes a firm the importing user may not edit (another province's, for
  an officer): it is rejected with the reason, and that province's officers are alerted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access
from .access import OutOfScope
from .access.audit import acting_user, alert
from .access.scope import OUT_OF_SCOPE
from .export import to_csv
from .i18n import N_
from .legacy_encoding import to_unicode_all
from .models import Firm, ImportLayout, User
from .schemas import FirmSchema, validate_firm
from .services import add_capability, add_certification, create_firm, update_firm
from .text import fold
from .validation import ValidationError, canonical_standard, province_ref

MAX_BYTES = 16 * 1024 * 1024  # the web request limit too (MAX_CONTENT_LENGTH)
MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_CELL = 5_000
MAX_UNZIPPED = 200 * 1024 * 1024  # an XLSX that inflates beyond this is a zip bomb
MAX_RATIO = 100
# A workbook's XML parts must not declare a DTD: entities are how an XML file inflates
# itself (billion laughs) or reads files and URLs (external entities), and no
# spreadsheet program writes one. Matched with NULs removed, so UTF-16 cannot hide it.
XML_DTD = re.compile(rb"<!\s*(?:doctype|entity)", re.IGNORECASE)
XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
XML_ENCODINGS = {b"utf-8", b"utf8", b"utf-16", b"utf-16le", b"utf-16be", b"us-ascii", b"ascii"}
SCAN_CHUNK = 1024 * 1024
# What a file's name says it is, as ``sniff_kind`` names it.
EXTENSION_KINDS = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
KIND_NAMES = {"csv": "CSV", "xlsx": "XLSX", "xls": "XLS"}
BATCH = 500  # rows per transaction at most
# ... and seconds per transaction at most: on SQLite a batch holds the database's one
# write lock until it commits, and 500 rows took over 10 s on a busy 2-core machine,
# long enough for other writers (a person saving a form) to time out.
BATCH_SECONDS = 2.0

# Columns a survey has besides a firm's own fields: its capabilities and certifications
# as lists (header names folded: lower case, no diacritics).
LIST_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "capabilities": (
        N_("Capabilities"),
        ("nang luc", "san pham", "san pham chinh", "capabilities", "products"),
    ),
    "certifications": (N_("Certifications"), ("chung chi", "chung nhan", "certifications", "iso")),
}
# Header names → field: a firm's fields as its schema declares them (their own name and
# the survey names of ``headers``), then the list columns.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    **{f.name: (*f.headers, f.name) for f in FirmSchema().declared()},
    **{name: synonyms for name, (_label, synonyms) in LIST_COLUMNS.items()},
}
FIELDS = tuple(HEADER_SYNONYMS)
# What a person mapping the columns, or reading a row's problems, reads for each field
# (a msgid); a problem may also name the firm, or the capability or certificate a list
# column made.
FIELD_LABELS: dict[str, str] = {
    **{f.name: f.label for f in FirmSchema().declared()},
    **{name: label for name, (label, _synonyms) in LIST_COLUMNS.items()},
    "firm": N_("Firm"),
    "title": LIST_COLUMNS["capabilities"][0],
    "standard": LIST_COLUMNS["certifications"][0],
}
LIST_SEPARATORS = (";", "\n", "|")  # plus "," for short items (sectors, certificates)


class ImportRefused(Exception):
    """The file itself cannot be imported (type, size, structure): nothing was read."""


@dataclass
class RowProblem:
    row: int
    reasons: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reasons": {k: str(v) for k, v in self.reasons.items()}}


@dataclass
class ImportResult:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    firm_ids: set[int] = field(default_factory=set)
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("problems")
        data.pop("firm_ids")
        data["rejected_rows"] = [p.as_dict() for p in self.problems]
        return data


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]  # data rows; spreadsheet row number = index + 2
    encoding: str | None = None


# Reading ---------------------------------------------------------------------------


def sniff_kind(data: bytes) -> str:
    """ "xlsx" or "csv" from the bytes themselves; anything else is refused."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportRefused(N_("Old .xls workbooks are not supported: save the file as .xlsx."))
    if b"\x00" in data[:4096]:
        raise ImportRefused(N_("This is not a CSV or XLSX file."))
    return "csv"


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # a damaged directory raises more than BadZipFile
        raise ImportRefused(N_("The XLSX file is damaged.")) from None
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportRefused(N_("This is not a CSV or XLSX file."))
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ImportRefused(N_("Workbooks with macros are refused: save the file as .xlsx."))
    total = sum(i.file_size for i in archive.infolist())
    packed = sum(i.compress_size for i in archive.infolist()) or 1
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        raise ImportRefused(N_("The XLSX file inflates to an unreasonable size."))
    try:
        for info in archive.infolist():
            _check_xml_part(archive, info)
    except ImportRefused:
        raise
    except Exception:  # a bad CRC, a truncated member, encryption, unknown compression
        raise ImportRefused(N_("The XLSX file is damaged.")) from None


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part that declares a DTD or entities, or an XML encoding a parser could
    be tricked with, before any XML parser reads it. Every part is read (inflating at
    most what the size check above allowed), whatever its name: a workbook's
    relationships may point anywhere in the zip."""
    tail = b""
    first = True
    with archive.open(info) as part:
        while chunk := part.read(SCAN_CHUNK):
            text = tail + chunk.replace(b"\x00", b"")
            if first:
                first = False
                if text.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
                    text = text.lstrip(b"\xef\xbb\xbf\xff\xfe")
                declared = XML_ENCODING.match(text[:400])
                if declared and declared.group(1).lower() not in XML_ENCODINGS:
                    raise ImportRefused(
                        N_("The XLSX file is damaged: %(part)s is not UTF-8.", part=info.filename)
                    )
            if XML_DTD.search(text):
                raise ImportRefused(
                    N_(
                        "The XLSX file is refused: %(part)s declares a DTD or entities.",
                        part=info.filename,
                    )
                )
            tail = text[-32:]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:MAX_CELL]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    _check_zip(data)
    rows = []
    # Sheets are parsed lazily, row by row: a damaged part (malformed XML, a missing
    # sheet, a cell openpyxl cannot read) can fail at any row, not only when opening.
    try:
        # data_only: a formula cell gives its last computed value, never the formula.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                if len(rows) > MAX_ROWS + 1:
                    raise ImportRefused(N_("At most 50,000 rows per file."))
                rows.append([_cell(v) for v in values])
        finally:
            book.close()
    except ImportRefused:
        raise
    except Exception:  # any parser's error: the file is what is wrong, not the service
        raise ImportRefused(N_("The XLSX file is damaged.")) from None
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # legacy fonts: repaired below
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for values in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(rows) > MAX_ROWS + 1:
                raise ImportRefused(N_("At most 50,000 rows per file."))
            rows.append([_cell(v) for v in values[:MAX_COLUMNS]])
    except csv.Error:
        raise ImportRefused(N_("The CSV file is malformed.")) from None
    return rows


def check_name(filename: str, kind: str) -> None:
    """Refuse a file whose name says another type than its bytes (an XLSX named .csv,
    a CSV named .xlsx): whoever opens it next by its name would read it as what it is
    not. A name without a known extension says nothing."""
    name = PurePath(filename.replace("\\", "/")).name
    named = EXTENSION_KINDS.get(PurePath(name).suffix.lower())
    if named is not None and named != kind:
        raise ImportRefused(
            N_(
                "The name %(name)s says %(named)s, but the file's content is %(found)s.",
                name=name[:120],
                named=KIND_NAMES[named],
                found=KIND_NAMES[kind],
            )
        )


def read_table(data: bytes, filename: str | None = None) -> Table:
    """Headers and rows of a file's first sheet, legacy text repaired, as NFC strings.

    ``filename``, when known, must agree with the bytes (``check_name``)."""
    if not data:
        raise ImportRefused(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRefused(N_("Files are limited to 16 MB."))
    kind = sniff_kind(data)
    if filename is not None:
        check_name(filename, kind)
    rows = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    rows = [r for r in rows if any(c for c in r)]
    if len(rows) < 2:
        raise ImportRefused(N_("The file has no data rows under its header row."))
    width = max(len(r) for r in rows)
    cells = [c for r in rows for c in r]
    repaired, encoding = to_unicode_all(cells)
    it = iter(repaired)
    rows = [[next(it) for _ in r] + [""] * (width - len(r)) for r in rows]
    return Table(headers=rows[0], rows=rows[1:], encoding=encoding)


# Mapping ---------------------------------------------------------------------------


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{header: field} for the headers recognised by name; others are ignored."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = fold(header).strip(" :*")
        for name, synonyms in HEADER_SYNONYMS.items():
            if name not in taken and key in synonyms:
                mapping[header] = name
                taken.add(name)
                break
    return mapping


def layout_key(headers: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(fold(h) for h in headers).encode()).hexdigest()


def remembered_mapping(session: Session, headers: list[str]) -> dict[str, str]:
    """The mapping last used for this header row, else one guessed from the names."""
    layout = session.scalar(select(ImportLayout).where(ImportLayout.key == layout_key(headers)))
    if layout is not None:
        return {h: f for h, f in layout.mapping.items() if h in headers and f in FIELDS}
    return guess_mapping(headers)


def remember_mapping(session: Session, headers: list[str], mapping: Mapping[str, str]) -> None:
    key = layout_key(headers)
    layout = session.scalar(select(ImportLayout).where(ImportLayout.key == key))
    if layout is None:
        layout = ImportLayout(key=key)
        session.add(layout)
    layout.mapping = dict(mapping)
    session.commit()


def check_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(mapping.values()) - set(FIELDS))
    if unknown:
        fields = ", ".join(unknown)
        raise ImportRefused(N_("Unknown fields in the mapping: %(fields)s.", fields=fields))
    missing = sorted(set(mapping) - set(headers))
    if missing:
        columns = ", ".join(missing)
        raise ImportRefused(
            N_("The mapping names columns the file lacks: %(columns)s.", columns=columns)
        )
    if "name_vi" not in mapping.values() and "name_en" not in mapping.values():
        raise ImportRefused(N_("No column gives the firm's name."))
    if "province" not in mapping.values():
        raise ImportRefused(N_("No column gives the province."))
    return dict(mapping)


# Applying --------------------------------------------------------------------------


def _split(value: str, commas: bool = True) -> list[str]:
    """Items of a list cell. Capability texts keep their commas ("Ép nhựa ABS, PP")."""
    for sep in LIST_SEPARATORS:
        value = value.replace(sep, ";")
    if commas:
        value = value.replace(",", ";")
    return [v.strip() for v in value.split(";") if v.strip()]


def _row_data(headers: list[str], row: list[str], mapping: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for header, value in zip(headers, row, strict=False):
        name = mapping.get(header)
        if name and value:
            data[name] = value
    for name in ("sectors",):
        if name in data:
            data[name] = _split(data[name])
    return data


class _Matcher:
    """Finds the firm a row describes: by tax code, else by folded name and province.

    Built once per import (one query), then kept up to date as rows create firms, so
    matching costs a dictionary lookup per row even for 50,000 rows."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_tax: dict[str, int] = {}
        self.by_name: dict[tuple[int, str], int] = {}
        self.named: dict[str, list[int]] = {}  # folded name → firms of any province
        rows = session.execute(
            select(Firm.id, Firm.tax_code, Firm.name_vi, Firm.name_en, Firm.province_id)
        )
        for firm_id, tax, name_vi, name_en, province_id in rows:
            self.add(firm_id, tax, name_vi or name_en, province_id)

    def add(self, firm_id: int, tax: str | None, name: str, province_id: int | None) -> None:
        if tax:
            self.by_tax[tax] = firm_id
        if name and province_id is not None:
            self.by_name.setdefault((province_id, fold(name)), firm_id)
        if name:
            self.named.setdefault(fold(name), []).append(firm_id)

    @staticmethod
    def _name(data: Mapping[str, Any]) -> str:
        return fold(str(data.get("name_vi") or data.get("name_en") or ""))

    def find(self, data: Mapping[str, Any], province_id: int | None) -> tuple[Firm | None, str]:
        """The firm the row describes, and the field it was matched by."""
        tax = "".join(ch for ch in str(data.get("tax_code", "")) if ch.isdigit() or ch == "-")
        firm_id = self.by_tax.get(tax) if tax else None
        if firm_id is not None:
            return self.session.get(Firm, firm_id), "tax_code"
        if province_id is not None:
            name = self._name(data)
            firm_id = self.by_name.get((province_id, name)) if name else None
        return (self.session.get(Firm, firm_id) if firm_id is not None else None), "name_vi"

    def same_name(self, data: Mapping[str, Any]) -> list[Firm]:
        """Firms of any province with the row's name."""
        ids = self.named.get(self._name(data), []) if self._name(data) else []
        return [f for f in (self.session.get(Firm, i) for i in ids) if f is not None]


class RowOutOfScope(OutOfScope):
    """A row matching a firm the importing user may not edit; ``field`` is the cell it
    was matched by."""

    def __init__(self, message: str, firm: Firm, field: str) -> None:
        super().__init__(message, {firm.province_id}, firm)
        self.field = field


def _check_scope(
    actor: User | None, matcher: _Matcher, data: Mapping[str, Any], found: tuple
) -> None:
    """Refuse a row that would change a firm the importing user may not edit: matched
    by its tax code, or by its name when the row gives no province (the firm is then not
    created either). The message says which firm's province, so the officer knows
    which row to drop. ``found`` is what ``_Matcher.find`` answered."""
    if actor is None:
        return
    firm, matched_by = found
    if firm is None and not data.get("province"):
        firm = next((f for f in matcher.same_name(data) if not access.edit_firm(actor, f)), None)
        matched_by = "name_vi"
    if firm is None or access.edit_firm(actor, firm):
        return
    province = firm.province.name_vi if firm.province is not None else "?"
    if matched_by == "tax_code":
        message = N_(
            "This tax code belongs to a firm in %(province)s, which is not one of your provinces.",
            province=province,
        )
    else:
        message = N_(
            "This name matches a firm in %(province)s, which is not one of your provinces.",
            province=province,
        )
    raise RowOutOfScope(message, firm, matched_by)


def _province_id(session: Session, value: Any) -> int | None:
    try:
        return province_ref(session)(value)
    except (ValueError, TypeError):
        return None


def _differs(session: Session, firm: Firm, data: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values that would change the firm (empty cells never erase)."""
    current_province = {**data, "_current_province_id": firm.province_id}
    clean = validate_firm(session, current_province, partial=True)
    changes = {}
    for name, value in clean.items():
        current = {
            "province": firm.province_id,
            "zone": firm.zone_id,
            "sectors": sorted(s.id for s in firm.sectors),
        }.get(name, getattr(firm, name, None))
        if name == "sectors":
            value = sorted(value or [])
        if hasattr(current, "value"):
            current = current.value
        if hasattr(value, "value"):
            value = value.value
        if value not in (None, "", []) and value != current:
            changes[name] = data[name]
    return changes


def _apply_row(
    session: Session,
    matcher: _Matcher,
    data: dict[str, Any],
    provinces: set[int] | None,
    actor: User | None = None,
) -> tuple[str, Firm]:
    capabilities = _split(data.pop("capabilities", ""), commas=False)
    certifications = _split(data.pop("certifications", ""))
    province_id = _province_id(session, data.get("province"))
    if provinces is not None and province_id is not None and province_id not in provinces:
        raise ValidationError({"province": N_("Choose one of your provinces.")})
    found = matcher.find(data, province_id)
    _check_scope(actor, matcher, data, found)
    existing = found[0]
    outcome = "unchanged"
    if existing is None:
        data.setdefault("role", "supplier")  # survey lists are of suppliers unless told
        firm = create_firm(session, data, commit=False, tax_code_required=False)
        matcher.add(firm.id, firm.tax_code, firm.display_name, firm.province_id)
        outcome = "created"
    else:
        firm = existing
        changes = _differs(session, firm, data)
        if changes:
            update_firm(session, firm, changes, commit=False)
            outcome = "updated"
    if firm.is_supplier:
        have = {fold(c.title) for c in firm.capabilities}
        for title in capabilities:
            if fold(title) not in have:
                add_capability(session, firm, {"title": title}, commit=False)
                have.add(fold(title))
                outcome = "updated" if outcome == "unchanged" else outcome
    held = {c.standard for c in firm.certifications}
    for name in certifications:
        standard = canonical_standard(name)
        if standard not in held:
            add_certification(session, firm, {"standard": name}, commit=False)
            held.add(standard)
            outcome = "updated" if outcome == "unchanged" else outcome
    return outcome, firm


def _begin_batch(session: Session) -> None:
    """Open the batch's transaction before its rows' savepoints. The sqlite3 driver
    begins a transaction only before a write, so a savepoint opened first would be a
    transaction of its own, committed when released: every row would be committed as it
    went, not with its batch (and the caller's checkpoint). Other databases need nothing."""
    connection = session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN")


def import_table(
    session: Session,
    table: Table,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    provinces: set[int] | None = None,
    resume: ImportResult | None = None,
    checkpoint: Callable[[ImportResult], None] | None = None,
    batch_seconds: float | None = BATCH_SECONDS,
) -> ImportResult:
    """Import every row; commit every ``BATCH`` rows or ``batch_seconds``, whichever
    comes first (nothing with ``dry_run``).

    ``provinces``, when given, are the only provinces rows may be in (an officer's).
    The user the session acts for (``catalog.access.audit.set_actor``) must be allowed to
    edit every firm a row matches: a row matching a firm outside their provinces is
    rejected with the reason, the officers of that province get an alert (one per
    batch), and the session's write guard (``catalog.access.scope``) refuses whatever else
    would reach such a firm.
    ``resume``: what an interrupted import of the same file had committed (its counts
    and rejected rows); its first ``rows_read`` rows are not read again.
    ``checkpoint`` is called with the result so far just before each commit, inside the
    transaction: what it writes is committed with the rows, or not at all."""
    mapping = check_mapping(table.headers, mapping or guess_mapping(table.headers))
    actor = acting_user(session)
    refused: dict[int, list[tuple[int, int]]] = {}  # province → (row, firm) refused
    result = ImportResult(encoding=table.encoding, mapping=dict(mapping), dry_run=dry_run)
    if resume is not None:
        for name in ("rows_read", "created", "updated", "unchanged", "rejected"):
            setattr(result, name, getattr(resume, name))
        result.problems = list(resume.problems)
    matcher = _Matcher(session)
    outer = session.begin_nested() if dry_run else None
    in_batch, batch_started = 0, time.monotonic()
    for index, row in enumerate(table.rows[result.rows_read :], start=result.rows_read):
        number = index + 2
        if not dry_run and in_batch == 0:
            _begin_batch(session)
            batch_started = time.monotonic()
        result.rows_read += 1
        in_batch += 1
        savepoint = session.begin_nested()
        try:
            data = _row_data(table.headers, row, mapping)
            outcome, firm = _apply_row(session, matcher, data, provinces, actor)
            session.flush()
        except ValidationError as exc:
            savepoint.rollback()
            result.rejected += 1
            result.problems.append(RowProblem(number, exc.errors))
        except OutOfScope as exc:
            savepoint.rollback()
            result.rejected += 1
            if isinstance(exc, RowOutOfScope):
                field_name = exc.field
                for province_id in exc.province_ids:
                    refused.setdefault(province_id, []).append((number, exc.target.id))
            else:  # refused by the session's write guard, which files its own alert
                field_name = "firm"
            result.problems.append(RowProblem(number, {field_name: exc.message}))
        else:
            savepoint.commit()
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome != "unchanged":
                result.firm_ids.add(firm.id)
        overdue = batch_seconds is not None and time.monotonic() - batch_started >= batch_seconds
        if not dry_run and (in_batch >= BATCH or overdue):
            if checkpoint is not None:
                checkpoint(result)
            _alert_refused(session, actor, refused)
            session.commit()
            in_batch = 0
        if progress is not None and (result.rows_read % 100 == 0 or number == len(table.rows) + 1):
            progress(result.rows_read, len(table.rows))
    if dry_run:
        outer.rollback()
        session.rollback()
    else:
        if checkpoint is not None:
            checkpoint(result)
        _alert_refused(session, actor, refused)
        session.commit()
    return result


def _alert_refused(
    session: Session, actor: User | None, refused: dict[int, list[tuple[int, int]]]
) -> None:
    """One alert per province whose firms rows of this batch tried to change, written
    when the batch's transaction ends (``catalog.access.audit.alert``)."""
    for province_id, rows in sorted(refused.items()):
        alert(
            session,
            OUT_OF_SCOPE,
            N_(
                "A survey import tried to change firms of this province; rows refused: %(count)s.",
                count=len(rows),
            ),
            province_id=province_id,
            actor=actor,
            details={
                "target": "import",
                "rows": [row for row, _firm in rows[:100]],
                "firm_id": sorted({firm for _row, firm in rows})[:100],
            },
        )
    refused.clear()


def rejected_rows_csv(
    table: Table, result: ImportResult, translate: Callable[[Any], str] = str
) -> bytes:
    """The rejected rows as a CSV to fix and upload again: row number, reasons, then the
    row as it was (cells that could run as formulas neutralised). ``translate`` puts
    the headers and reasons in the reader's language."""
    headers = [translate(N_("Row")), translate(N_("Problems")), *table.headers]
    rows = []
    for problem in result.problems:
        reasons = "; ".join(
            f"{field}: {translate(message)}" for field, message in problem.reasons.items()
        )
        rows.append([problem.row, reasons, *table.rows[problem.row - 2]])
    return to_csv(headers, rows)
