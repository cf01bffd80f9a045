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

import calendar
import csv
import hashlib
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access
from .access import OutOfScope
from .access.audit import acting_user, alert
from .access.scope import OUT_OF_SCOPE
from .export import safe_cell, to_csv
from .i18n import N_
from .legacy_encoding import to_unicode_all
from .models import Capability, Concept, Firm, ImportLayout, IndustrialZone, Province, User
from .schemas import CertificationSchema, FirmSchema, validate_certification, validate_firm
from .services import (
    add_capability,
    add_certification,
    create_firm,
    update_capability,
    update_firm,
)
from .text import fold, fold_aligned
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

# Survey spellings of a firm's columns besides those its schema declares (``headers``)
# and its own name: English and Vietnamese, folded (lower case, no diacritics).
EXTRA_HEADERS: dict[str, tuple[str, ...]] = {
    "name_vi": ("ten doanh nghiep (tieng viet)", "firm name", "ten to chuc", "ten don vi"),
    "name_en": ("ten tieng anh", "name in english", "firm name (english)", "ten giao dich"),
    "tax_code": ("ma so doanh nghiep", "msdn", "tax number", "ma so thue (mst)"),
    "province": ("province", "tinh/tp", "tinh, thanh pho", "dia phuong", "province/city"),
    "zone": ("khu/cum cong nghiep", "industrial park", "kcn, ccn", "zone"),
    "address": ("address", "dia chi tru so", "dia chi nha may"),
    "employees": ("employees", "workers", "so lao dong (nguoi)", "number of employees"),
    "year_founded": ("nam thanh lap", "nam bat dau hoat dong", "established"),
    "website": ("website", "web site", "trang thong tin dien tu", "url"),
    "contact_name": ("nguoi dai dien", "ho ten nguoi lien he", "contact name", "ten nguoi lien he"),
    "contact_phone": (
        "dt",
        "so dt",
        "dien thoai lien he",
        "tel",
        "telephone",
        "phone number",
        "mobile",
    ),
    "contact_email": ("email lien he", "dia chi email", "email address", "e-mail address", "mail"),
    "sectors": (
        "nganh san xuat",
        "nganh nghe kinh doanh",
        "linh vuc hoat dong",
        "sectors",
        "industry",
        "industries",
    ),
    "description": ("description", "about", "gioi thieu chung"),
}

# Columns a survey has besides a firm's own fields: its capabilities (their titles, and
# the process, materials, products, equipment and capacity each capability made from the
# row gets) and its certifications with their expiry, as (label, header names folded).
LIST_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "capabilities": (
        N_("Capabilities"),
        ("nang luc", "nang luc chinh", "capabilities", "capability"),
    ),
    "process": (
        N_("Process"),
        (
            "cong nghe",
            "quy trinh",
            "cong nghe san xuat",
            "quy trinh san xuat",
            "cong nghe chinh",
            "cong doan",
            "process",
            "processes",
            "technology",
            "manufacturing process",
        ),
    ),
    "materials": (
        N_("Materials"),
        (
            "vat lieu",
            "nguyen lieu",
            "nguyen vat lieu",
            "vat lieu chinh",
            "materials",
            "material",
            "raw materials",
        ),
    ),
    "products": (
        N_("Products"),
        ("san pham", "san pham chinh", "products", "product", "main products"),
    ),
    "equipment": (
        N_("Equipment"),
        ("thiet bi", "may moc", "may moc thiet bi", "thiet bi chinh", "equipment", "machinery"),
    ),
    "capacity": (
        N_("Capacity"),
        (
            "cong suat",
            "nang luc san xuat",
            "san luong",
            "cong suat/thang",
            "capacity",
            "production capacity",
            "monthly capacity",
            "capacity per month",
        ),
    ),
    "certifications": (
        N_("Certifications"),
        ("chung chi", "chung nhan", "certifications", "certificates", "iso", "tieu chuan"),
    ),
    "certification_expiry": (
        N_("Certificate expiry"),
        (
            "ngay het han",
            "het han",
            "han chung chi",
            "hieu luc den",
            "ngay het hieu luc",
            "valid until",
            "expiry",
            "expiry date",
            "expires",
            "certificate expiry",
        ),
    ),
}
# Header names → field: a firm's fields as its schema declares them (their own name and
# the survey names of ``headers``), then the list columns.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    **{
        f.name: (*f.headers, f.name, *EXTRA_HEADERS.get(f.name, ()))
        for f in FirmSchema().declared()
    },
    **{name: synonyms for name, (_label, synonyms) in LIST_COLUMNS.items()},
}
FIELDS = tuple(HEADER_SYNONYMS)
# The columns that make a row's capabilities, not the firm itself.
CAPABILITY_FIELDS = ("capabilities", "process", "materials", "products", "equipment", "capacity")
# What a person mapping the columns, or reading a row's problems, reads for each field
# (a msgid); a problem may also name the firm, or the capability or certificate a list
# column made.
FIELD_LABELS: dict[str, str] = {
    **{f.name: f.label for f in FirmSchema().declared()},
    **{name: label for name, (label, _synonyms) in LIST_COLUMNS.items()},
    "firm": N_("Firm"),
    "title": LIST_COLUMNS["capabilities"][0],
    "standard": LIST_COLUMNS["certifications"][0],
    "valid_until": LIST_COLUMNS["certification_expiry"][0],
    "capacity_per_month": LIST_COLUMNS["capacity"][0],
    "capacity_unit": LIST_COLUMNS["capacity"][0],
}
LIST_SEPARATORS = (";", "\n", "|")  # capability titles keep their commas
# Where a list of short items (sectors, processes, materials, certificates) is split,
# once the vocabulary's own labels, some of which hold these characters, are taken out.
ITEM_SEPARATORS = frozenset(",;/\n|")


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
    # Provinces of the firms the import created or changed: whose import history it is.
    province_ids: set[int] = field(default_factory=set)
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("problems")
        data.pop("firm_ids")
        data["province_ids"] = sorted(self.province_ids)
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


def _header_keys(header: str) -> list[str]:
    """The names a header may be known by: as written (folded), each side of a
    bilingual "Tên doanh nghiệp / Firm name", and each without a bracketed note
    ("Số lao động (người)", "Tên doanh nghiệp (*)")."""
    key = fold(header).strip(" :*")
    keys = [key]
    if " / " in key:
        keys += [part.strip(" :*") for part in key.split(" / ")]
    for name in list(keys):
        bare = re.sub(r"\s*\([^)]*\)", "", name).strip(" :*")
        if bare and bare != name:
            keys.append(bare)
    return keys


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{header: field} for the headers recognised by name; others are ignored."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        for key in _header_keys(header):
            known = (n for n, names in HEADER_SYNONYMS.items() if key in names)
            name = next((n for n in known if n not in taken), None)
            if name is not None:
                mapping[header] = name
                taken.add(name)
                break
    return mapping


def ignored_columns(headers: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """The file's columns (by their names) that the mapping leaves out: the preview
    says so, so that no column is dropped without the officer knowing."""
    return [h for h in headers if h.strip() and not mapping.get(h)]


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


def renamed_places(
    session: Session, table: Table, mapping: Mapping[str, str], lang: str = "vi"
) -> list[tuple[str, str]]:
    """(as the file writes it, the current province) for each distinct province cell
    that names a province of the map before 1 July 2025 ("Vĩnh Phúc" → "Phú Thọ"), in
    ``lang``: the preview says where such rows land. Empty while the map's resolver
    (``catalog.places``) is not installed."""
    try:
        from .places import resolve_place
    except ImportError:
        return []
    columns = [i for i, h in enumerate(table.headers) if mapping.get(h) == "province"]
    found: dict[str, tuple[str, str]] = {}
    for row in table.rows:
        for i in columns:
            text = row[i].strip() if i < len(row) else ""
            if not text or fold(text) in found:
                continue
            place = resolve_place(session, text)
            if place is not None and place.renamed:
                former = place.former.label(lang) if place.former is not None else text
                found[fold(text)] = (former, place.province.label(lang))
    return list(dict.fromkeys(found.values()))


# Applying --------------------------------------------------------------------------


def _split(value: str, commas: bool = True) -> list[str]:
    """Items of a capability cell: titles keep their commas ("Ép nhựa ABS, PP")."""
    for sep in LIST_SEPARATORS:
        value = value.replace(sep, ";")
    if commas:
        value = value.replace(",", ";")
    return [v.strip() for v in value.split(";") if v.strip()]


def _bounded(folded: str, start: int, end: int) -> bool:
    """Whether ``folded[start:end]`` is a whole item of the list: nothing but spaces
    between it and the cell's ends or the separators around it."""
    before = folded[:start].rstrip(" \t")
    after = folded[end:].lstrip(" \t")
    return (not before or before[-1] in ITEM_SEPARATORS) and (
        not after or after[0] in ITEM_SEPARATORS
    )


def _split_rest(text: str) -> list[tuple[int, str]]:
    """(offset, item) of what is left of a list cell, cut at , ; / | and newlines, but
    not inside brackets ("ISO 9001 (hết hạn 12/2026)") nor between digits (a date
    "31/12/2026", a number "5,000")."""
    items: list[tuple[int, str]] = []
    depth, start = 0, 0
    for k, ch in enumerate(text + ";"):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in ITEM_SEPARATORS and (depth == 0 or k == len(text)):
            digits = 0 < k < len(text) - 1 and text[k - 1].isdigit() and text[k + 1].isdigit()
            if ch in ",/." and digits:
                continue
            piece = text[start:k]
            if piece.strip():
                items.append((start + len(piece) - len(piece.lstrip()), piece.strip()))
            start = k + 1
    return items


def split_list(value: str, labels: Iterable[str] = ()) -> list[str]:
    """The items of a list cell (sectors, processes, materials, certificates), in order.

    The vocabulary's labels and terms (``labels``, folded, longest first) are taken
    first, where they are a whole item: "Linh kiện ô tô, xe máy; Điện tử" is two sectors,
    not three. What is left is cut at , ; / | and newlines (``_split_rest``)."""
    text = unicodedata.normalize("NFC", value)
    folded = fold_aligned(text)
    taken = [False] * len(text)
    items: list[tuple[int, str]] = []
    for label in labels:
        if not any(ch in ITEM_SEPARATORS for ch in label):
            continue  # a label without a separator is never cut: the split finds it whole
        start = folded.find(label)
        while start != -1:
            end = start + len(label)
            if not any(taken[start:end]) and _bounded(folded, start, end):
                items.append((start, text[start:end]))
                taken[start:end] = [True] * (end - start)
            start = folded.find(label, start + 1)
    rest = "".join(";" if hit else ch for hit, ch in zip(taken, text, strict=True))
    items += _split_rest(rest)
    return [item for _offset, item in sorted(items)]


class Vocabulary:
    """The bilingual vocabulary as an import reads it: every concept's labels and terms,
    folded, per kind; built once per import (one query) so 50,000 rows cost lookups."""

    def __init__(self, session: Session) -> None:
        self.ids: dict[str, dict[str, str]] = {}
        for concept in session.scalars(select(Concept)):
            known = self.ids.setdefault(concept.kind, {})
            for name in (concept.id, concept.name_vi, concept.name_en, *(concept.terms or [])):
                if name:
                    known.setdefault(fold(name), concept.id)
        self.labels = {
            kind: sorted(known, key=lambda k: (-len(k), k)) for kind, known in self.ids.items()
        }

    def split(self, kind: str, value: str) -> list[str]:
        return split_list(value, self.labels.get(kind, ()))

    def resolve(self, kind: str, value: str) -> str | None:
        return self.ids.get(kind, {}).get(fold(value))


UNKNOWN = {
    "sector": N_("Unknown sector: %(value)s."),
    "process": N_("Unknown process: %(value)s."),
    "material": N_("Unknown material: %(value)s."),
}


def _concepts(vocabulary: Vocabulary, kind: str, value: str) -> list[str]:
    """The concept ids a list cell names; ValueError naming the first unknown item."""
    ids = []
    for item in vocabulary.split(kind, value):
        concept_id = vocabulary.resolve(kind, item)
        if concept_id is None:
            raise ValueError(N_(UNKNOWN[kind], value=item[:80]))
        ids.append(concept_id)
    return list(dict.fromkeys(ids))


_NUMBER = re.compile(r"\d[\d.,\s]*")
_PER_YEAR = re.compile(r"/\s*(nam|year|yr)\b|\b(moi nam|per year|a year|hang nam)\b")
_PER_MONTH = re.compile(r"\s*(/\s*(thang|month|mo)\b|\b(moi thang|per month|a month|hang thang)\b)")


def parse_capacity(value: str) -> tuple[int, str]:
    """A capacity cell as (per month, unit): "5.000 sản phẩm/tháng" → (5000, "sản phẩm"),
    "120,000 pcs/year" → (10000, "pcs"); a figure per year is divided by twelve."""
    match = _NUMBER.search(value)
    if match is None:
        raise ValueError(N_("Give the capacity as a number per month, e.g. 5000 pcs/month."))
    figure = re.sub(r"\s", "", match.group()).rstrip(".,")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", figure):
        number = float(re.sub(r"[.,]", "", figure))
    else:
        try:
            number = float(figure.replace(",", "."))
        except ValueError:
            raise ValueError(
                N_("Give the capacity as a number per month, e.g. 5000 pcs/month.")
            ) from None
    rest = value[match.end() :]
    folded = fold_aligned(rest)
    if _PER_YEAR.search(folded):
        number /= 12
    cut = min(
        [m.start() for m in (_PER_YEAR.search(folded), _PER_MONTH.search(folded)) if m]
        or [len(rest)]
    )
    unit = rest[:cut].strip(" :-/")[:20]
    return max(1, round(number)), unit


_DATE = re.compile(
    r"(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<dmy>(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})[/.-](?P<y2>\d{4}))"
    r"|(?P<my>(?P<m3>\d{1,2})[/.-](?P<y3>\d{4}))"
)
_EXPIRY_WORDS = re.compile(
    r"\(|\b(het han|hh|hieu luc|hl|den ngay|valid|expires?|expiry|exp)\b", re.IGNORECASE
)


def parse_date(value: str) -> date | None:
    """The first date written in a text: 2026-12-31, 31/12/2026 or 12/2026 (the month's
    last day); None when there is none. ValueError for an impossible one (31/02/2026)."""
    match = _DATE.search(value)
    if match is None:
        return None
    if match["iso"]:
        y, m, d = int(match["y1"]), int(match["m1"]), int(match["d1"])
    elif match["dmy"]:
        y, m, d = int(match["y2"]), int(match["m2"]), int(match["d2"])
    else:
        y, m = int(match["y3"]), int(match["m3"])
        d = calendar.monthrange(y, m)[1] if 1 <= m <= 12 else 0
    try:
        return date(y, m, d)
    except ValueError:
        raise ValueError(N_("Not a date: %(value)s.", value=match.group()[:20])) from None


def parse_certificate(item: str) -> tuple[str, date | None]:
    """A certificate as a survey writes it, as (standard, expiry): "ISO 9001 (hết hạn
    12/2026)" → ("ISO 9001", 2026-12-31); "IATF 16949" → ("IATF 16949", None)."""
    folded = fold_aligned(item)
    valid_until = parse_date(item)
    cut = _EXPIRY_WORDS.search(folded)
    standard = item[: cut.start()] if cut else item
    if valid_until is not None and cut is None:
        standard = item[: _DATE.search(item).start()]
    return standard.strip(" -–:,;"), valid_until


def _capability_rows(
    vocabulary: Vocabulary, data: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The capabilities a row describes, and the problems of its capability columns.

    Titles come from the capabilities column (else, in a file without processes, from
    the products column, one each); each gets a process of the process column: by
    position when there are as many, the only one when there is one, else the one its
    title names. A process no title took
    becomes a capability of its own, titled as the cell wrote it: a process column
    never goes unused. Materials, products, equipment and capacity go to every one."""
    errors: dict[str, Any] = {}
    titles = _split(data.pop("capabilities", ""), commas=False)
    products = data.pop("products", "")
    shared: dict[str, Any] = {}
    if equipment := data.pop("equipment", ""):
        shared["equipment"] = equipment
    processes: list[tuple[str, str]] = []  # (as written, concept id)
    if cell := data.pop("process", ""):
        for item in vocabulary.split("process", cell):
            concept_id = vocabulary.resolve("process", item)
            if concept_id is None:
                errors.setdefault("process", N_(UNKNOWN["process"], value=item[:80]))
            else:
                processes.append((item, concept_id))
    if not titles and products and not processes and "process" not in errors:
        titles = _split(products, commas=False)  # a survey of products only: one each
    elif products:
        shared["products"] = products
    if materials := data.pop("materials", ""):
        try:
            shared["materials"] = _concepts(vocabulary, "material", materials)
        except ValueError as exc:
            errors["materials"] = exc.args[0]
    if cell := data.pop("capacity", ""):
        try:
            shared["capacity_per_month"], unit = parse_capacity(cell)
        except ValueError as exc:
            errors["capacity"] = exc.args[0]
        else:
            if unit:
                shared["capacity_unit"] = unit
    pairs: list[tuple[str, str | None]] = []
    if len(processes) == len(titles):
        pairs = [(t, p[1]) for t, p in zip(titles, processes, strict=True)]
    elif len(processes) == 1:
        pairs = [(t, processes[0][1]) for t in titles]
    else:
        for title in titles:
            named = next(
                (p for p in processes if fold(p[0]) in fold(title) or fold(title) in fold(p[0])),
                None,
            )
            pairs.append((title, named[1] if named else None))
    used = {p for _t, p in pairs if p}
    pairs += [(written, pid) for written, pid in processes if pid not in used]
    if not pairs and (shared.get("equipment") or materials):
        # Equipment or materials alone: one capability, titled by what the cell says.
        pairs = [(shared.get("equipment") or materials, None)]
    rows = []
    for title, process_id in dict.fromkeys(pairs):
        values = {"title": title[:200], **shared}
        if process_id:
            values["process"] = process_id
        rows.append(values)
    return rows, errors


def _certificates(data: dict[str, Any], vocabulary: Vocabulary) -> tuple[list, dict[str, Any]]:
    """(standard, expiry) of each certificate a row names, and their problems. An expiry
    column gives the dates of certificates that do not carry their own: by position
    when it lists as many, else its only date to all."""
    errors: dict[str, Any] = {}
    found: list[tuple[str, date | None]] = []
    for item in vocabulary.split("certification", data.pop("certifications", "")):
        try:
            standard, valid_until = parse_certificate(item)
        except ValueError as exc:
            errors["certifications"] = exc.args[0]
            continue
        if standard:
            found.append((standard, valid_until))
    dates: list[date | None] = []
    for item in _split_rest(data.pop("certification_expiry", "")):
        try:
            dates.append(parse_date(item[1]))
        except ValueError as exc:
            errors["certification_expiry"] = exc.args[0]
    if dates and found:
        if len(dates) == len(found):
            found = [(s, v or d) for (s, v), d in zip(found, dates, strict=True)]
        elif len(dates) == 1:
            found = [(s, v or dates[0]) for s, v in found]
        else:
            errors["certification_expiry"] = N_(
                "Give one date, or one per certificate in the same order."
            )
    return found, errors


def _row_data(headers: list[str], row: list[str], mapping: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for header, value in zip(headers, row, strict=False):
        name = mapping.get(header)
        if name and value:
            data[name] = value
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


_ZONE_WORDS = {"KCN": ("kcn", "khu cong nghiep"), "CCN": ("ccn", "cum cong nghiep")}


def zone_in_address(session: Session, province_id: int, address: Any) -> int | None:
    """The industrial zone or cluster an address names ("Lô 5, KCN Khai Quang, Vĩnh
    Yên"), among the province's: surveys often have no zone column but write the zone
    into the address. Only a name after its kind's word counts ("KCN …", "cụm công
    nghiệp …"), so a street or ward of the same name is not taken for a zone."""
    text = fold(str(address or ""))
    if not text:
        return None
    zones = session.scalars(
        select(IndustrialZone).where(IndustrialZone.province_id == province_id)
    ).all()
    # The longest name first: "Bình Xuyên II" before "Bình Xuyên".
    for zone in sorted(zones, key=lambda z: -len(z.name)):
        name = re.escape(fold(zone.name))
        for word in _ZONE_WORDS.get(zone.kind, ()):
            if re.search(rf"(?<!\w){word}\.?\s+{name}(?![\w])", text):
                return zone.id
    return None


def _apply_row(
    session: Session,
    matcher: _Matcher,
    data: dict[str, Any],
    provinces: set[int] | None,
    actor: User | None = None,
    vocabulary: Vocabulary | None = None,
) -> tuple[str, Firm]:
    """Create or update the row's firm, then its capabilities and certificates; every
    problem of the row is reported at once (ValidationError), and nothing is written."""
    vocabulary = vocabulary or Vocabulary(session)
    capabilities, errors = _capability_rows(vocabulary, data)
    certifications, problems = _certificates(data, vocabulary)
    errors.update(problems)
    if cell := data.get("sectors"):
        try:
            data["sectors"] = _concepts(vocabulary, "sector", cell)
        except ValueError as exc:
            errors["sectors"] = exc.args[0]
            data.pop("sectors")
    province_id = _province_id(session, data.get("province"))
    if provinces is not None and province_id is not None and province_id not in provinces:
        raise ValidationError({**errors, "province": N_("Choose one of your provinces.")})
    named = data.get("zone") or province_id is None
    zone_id = None if named else zone_in_address(session, province_id, data.get("address"))
    if zone_id is not None:
        data["zone"] = zone_id
    found = matcher.find(data, province_id)
    _check_scope(actor, matcher, data, found)
    existing = found[0]
    outcome = "unchanged"
    if errors:  # the firm's own problems too, before anything is written
        try:
            given = data if existing is not None else {"role": "supplier", **data}
            validate_firm(session, given, partial=existing is not None, tax_code_required=False)
        except ValidationError as exc:
            errors.update(exc.errors)
        raise ValidationError(errors)
    try:
        if existing is None:
            data.setdefault("role", "supplier")  # survey lists are of suppliers unless told
            firm = create_firm(session, data, commit=False, tax_code_required=False)
            outcome = "created"
        else:
            firm = existing
            changes = _differs(session, firm, data)
            if changes:
                update_firm(session, firm, changes, commit=False)
                outcome = "updated"
    except ValidationError as exc:
        raise ValidationError({**errors, **exc.errors}) from None
    changed = False
    if firm.is_supplier:
        have = {fold(c.title): c for c in firm.capabilities}
        for values in capabilities:
            current = have.get(fold(values["title"]))
            if current is None:
                have[fold(values["title"])] = add_capability(session, firm, values, commit=False)
                changed = True
            elif differs := _capability_changes(current, values):
                update_capability(session, current, differs, commit=False)
                changed = True
    held = {c.standard: c for c in firm.certifications}
    for name, valid_until in certifications:
        standard = canonical_standard(name)
        current = held.get(standard)
        if current is None:
            values = {"standard": name}
            if valid_until is not None:
                values["valid_until"] = valid_until.isoformat()
            held[standard] = add_certification(session, firm, values, commit=False)
            changed = True
        elif valid_until is not None and current.valid_until != valid_until:
            clean = validate_certification({"valid_until": valid_until.isoformat()}, partial=True)
            CertificationSchema(session).assign(current, clean)
            changed = True
    if _note_former_province(session, firm, data.get("province")) and outcome == "unchanged":
        outcome = "updated"
    if changed and outcome == "unchanged":
        outcome = "updated"
    if outcome == "created":
        session.flush()  # the row's records are written: later rows may match the firm
        matcher.add(firm.id, firm.tax_code, firm.display_name, firm.province_id)
    return outcome, firm


def _note_former_province(session: Session, firm: Firm, text: Any) -> bool:
    """Keep the former province a row names ("Vĩnh Phúc", "Vinh Yen") as the firm's
    region inside its current province, when the firm has none yet; whether it did.
    Nothing while the map's resolver (``catalog.places``) is not installed."""
    try:
        from .places import resolve_place
    except ImportError:
        return False
    if not text or getattr(firm, "former_province_id", False) is not None:
        return False
    place = resolve_place(session, str(text))
    if place is None or place.former is None or place.province.id != firm.province_id:
        return False
    firm.former_province_id = place.former.id
    return True


def _capability_changes(cap: Capability, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the row says about a capability it already has that differs from it (an
    empty cell never erases)."""
    current = {
        "process": cap.process_id,
        "materials": sorted(m.id for m in cap.materials),
        "products": cap.products,
        "equipment": cap.equipment,
        "capacity_per_month": cap.capacity_per_month,
        "capacity_unit": cap.capacity_unit,
    }
    changes = {}
    for name, value in values.items():
        if name in current and value not in (None, "", []):
            same = sorted(value) == current[name] if name == "materials" else value == current[name]
            if not same:
                changes[name] = value
    return changes


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
    vocabulary = Vocabulary(session)
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
            outcome, firm = _apply_row(session, matcher, data, provinces, actor, vocabulary)
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
                if firm.province_id is not None:
                    result.province_ids.add(firm.province_id)
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
            f"{translate(FIELD_LABELS.get(name, name))}: {translate(message)}"
            for name, message in problem.reasons.items()
        )
        rows.append([problem.row, reasons, *table.rows[problem.row - 2]])
    return to_csv(headers, rows)


# The template ----------------------------------------------------------------------

# The template's columns: field, header in Vietnamese, header in English. Each header
# reads "Tên doanh nghiệp / Firm name", which ``guess_mapping`` knows by either side.
TEMPLATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name_vi", "Tên doanh nghiệp", "Firm name"),
    ("name_en", "Tên tiếng Anh", "English name"),
    ("tax_code", "Mã số thuế", "Tax code"),
    ("province", "Tỉnh/Thành phố", "Province"),
    ("zone", "Khu công nghiệp", "Industrial zone"),
    ("address", "Địa chỉ", "Address"),
    ("sectors", "Ngành", "Sector"),
    ("capabilities", "Năng lực", "Capabilities"),
    ("process", "Công nghệ", "Process"),
    ("materials", "Vật liệu", "Materials"),
    ("products", "Sản phẩm chính", "Main products"),
    ("equipment", "Thiết bị", "Equipment"),
    ("capacity", "Công suất", "Capacity"),
    ("certifications", "Chứng chỉ", "Certifications"),
    ("certification_expiry", "Ngày hết hạn", "Expiry date"),
    ("employees", "Số lao động", "Employees"),
    ("year_founded", "Năm thành lập", "Year founded"),
    ("contact_name", "Người liên hệ", "Contact person"),
    ("contact_phone", "Điện thoại", "Phone"),
    ("contact_email", "Email", "E-mail"),
    ("website", "Trang web", "Website"),
    ("description", "Giới thiệu", "About"),
)
# The example row's concepts (by id; left out when the vocabulary lacks them).
EXAMPLE_CONCEPTS = {
    "sectors": ("sector.automotive_motorbike",),
    "process": ("process.stamping", "process.mig_welding"),
    "materials": ("material.galvanized_steel",),
}
EXAMPLE_ROW = {
    "vi": {
        "name_vi": "Công ty TNHH Cơ khí Ví Dụ",
        "name_en": "Vi Du Engineering Co., Ltd.",
        "address": "Số 1 đường Ví Dụ",
        "capabilities": "Dập và hàn khung, giá đỡ xe máy",
        "products": "Khung, giá đỡ xe máy",
        "equipment": "Máy dập 200 tấn, robot hàn",
        "capacity": "20.000 sản phẩm/tháng",
        "certifications": "ISO 9001 (hết hạn 12/2027)",
        "employees": "120",
        "year_founded": "2010",
        "contact_name": "Nguyễn Văn An",
        "contact_phone": "0211 3 123 456",
        "contact_email": "lienhe@vidu.example",
        "website": "https://vidu.example",
        "description": "Xóa dòng ví dụ này trước khi nhập.",
    },
    "en": {
        "name_vi": "Công ty TNHH Cơ khí Ví Dụ",
        "name_en": "Vi Du Engineering Co., Ltd.",
        "address": "1 Vi Du street",
        "capabilities": "Stamping and welding of motorbike frames and brackets",
        "products": "Motorbike frames and brackets",
        "equipment": "200-tonne presses, welding robots",
        "capacity": "20,000 pcs/month",
        "certifications": "ISO 9001 (expires 12/2027)",
        "employees": "120",
        "year_founded": "2010",
        "contact_name": "Nguyen Van An",
        "contact_phone": "0211 3 123 456",
        "contact_email": "contact@vidu.example",
        "website": "https://vidu.example",
        "description": "Delete this example row before importing.",
    },
}


def template_headers() -> list[str]:
    return [f"{vi} / {en}" for _field, vi, en in TEMPLATE_COLUMNS]


def template_workbook(
    session: Session,
    lang: str,
    translate: Callable[[Any], str],
    province: Province | None = None,
) -> bytes:
    """The survey template as an XLSX: the expected headers in Vietnamese and English,
    one example row (in ``province``, else the first province), drop-down lists of the
    provinces (as the database has them now), sectors and processes (the vocabulary, in
    ``lang``), and a sheet of instructions. The lists offer values without refusing
    others: a cell may name several sectors, or a province by its former name.

    The first sheet is the one an import reads, so the filled-in template imports as it
    is (the example row included, unless deleted)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    provinces = sorted(session.scalars(select(Province)), key=lambda p: fold(p.label(lang)))
    concepts = {
        kind: sorted(
            session.scalars(select(Concept).where(Concept.kind == kind)),
            key=lambda c: fold(c.label(lang)),
        )
        for kind in ("sector", "process")
    }
    book = Workbook()
    sheet = book.active
    sheet.title = translate(N_("Firms to import"))[:31]
    lists = book.create_sheet(translate(N_("Lists"))[:31])
    notes = book.create_sheet(translate(N_("Instructions"))[:31])
    sheet.append(template_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = dict(EXAMPLE_ROW["en" if lang == "en" else "vi"])
    place = province or (provinces[0] if provinces else None)
    if place is not None:
        example["province"] = place.label(lang)
    for name, ids in EXAMPLE_CONCEPTS.items():
        found = [c for c in (session.get(Concept, i) for i in ids) if c is not None]
        if found:
            example[name] = "; ".join(c.label(lang) for c in found)
    sheet.append([safe_cell(example.get(name, "")) for name, _vi, _en in TEMPLATE_COLUMNS])
    for index, (_name, vi, en) in enumerate(TEMPLATE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(vi) + len(en) + 4)
    sheet.freeze_panes = "A2"
    heads = (N_("Province list"), N_("Sector list"), N_("Process list"))
    lists.append([translate(h) for h in heads])
    values = [
        [p.label(lang) for p in provinces],
        [c.label(lang) for c in concepts["sector"]],
        [c.label(lang) for c in concepts["process"]],
    ]
    for row in range(max(len(v) for v in values)):
        lists.append([safe_cell(v[row]) if row < len(v) else None for v in values])
    for index in range(1, 4):
        lists.column_dimensions[get_column_letter(index)].width = 40
    columns = {name: i for i, (name, _vi, _en) in enumerate(TEMPLATE_COLUMNS, start=1)}
    prompt = translate(N_("Choose from the list, or type several separated by semicolons."))
    for (name, source), items in zip(
        (("province", 1), ("sectors", 2), ("process", 3)), values, strict=True
    ):
        if not items:
            continue
        letter = get_column_letter(source)
        formula = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(items) + 1}"
        rule = DataValidation(type="list", formula1=formula, allow_blank=True)
        rule.showErrorMessage = False  # offered, not imposed: see above
        rule.showInputMessage = name != "province"
        rule.prompt = prompt
        column = get_column_letter(columns[name])
        rule.add(f"{column}2:{column}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)
    for line in (
        N_("One firm per row under the header row; the first sheet is the one imported."),
        N_("Replace the example row (row 2) with your firms, or delete it."),
        N_(
            "Lists in a cell (sectors, processes, materials, certificates) are separated by "
            "semicolons; a name from the lists may contain commas."
        ),
        N_("A certificate may carry its expiry: ISO 9001 (expires 12/2027)."),
        N_("Capacity is per month, e.g. 5000 pcs/month; a figure per year is divided by 12."),
        N_("Provinces may also be written by their names before 1 July 2025."),
    ):
        notes.append([translate(line)])
    notes.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
