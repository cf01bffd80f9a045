"""CSV and XLSX export of tabular results (shortlists, filtered lists).

Every cell goes through ``safe_cell``: stored text is written as the literal text it
is. Characters no file should carry (control characters, which XML and so XLSX refuse,
bidirectional overrides, unpaired surrogates, which UTF-8 cannot encode) are dropped,
as rows stored before validation refused them may hold them; and cells that a
spreadsheet would read as a formula (starting with =, +, -, @, or a tab or carriage
return) are prefixed with an apostrophe, so exported user text can never execute when a
buyer opens the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from .i18n import N_
from .models import Firm, Need
from .schemas import value_labels
from .text import literal_text

Translate = Callable[[str], str]  # a msgid in the reader's language
Name = Callable[[Any], str]  # a province's or concept's name in the reader's language


def _place(firm: Any) -> dict[str, str]:
    """The firm's place in both languages ("Phú Thọ — Vĩnh Phúc cũ"), for ``Name``."""
    return {"name_vi": firm.place_label("vi"), "name_en": firm.place_label("en")}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text as literal text (``literal_text``), formula injection neutralised; numbers
    and dates pass through untouched."""
    if isinstance(value, str):
        value = literal_text(value)
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, list | tuple):
        return safe_cell(", ".join(str(v) for v in value))
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, which Excel needs to show Vietnamese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "KetNoi") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    widths = [len(h) for h in headers]
    for row in rows:
        cells = [safe_cell(v) for v in row]
        ws.append(cells)
        for i, v in enumerate(cells):
            widths[i] = max(widths[i], min(60, len(str(v or ""))))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w + 2
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SHORTLIST_HEADERS = (
    N_("Firm (VI)"),
    N_("Firm (EN)"),
    N_("Tax code"),
    N_("Province"),
    N_("Industrial zone"),
    N_("Capability"),
    N_("Score"),
    N_("Certifications"),
    N_("Employees"),
    N_("Contact"),
    N_("E-mail"),
    N_("Phone"),
    N_("Note"),
    N_("Added"),
)


def shortlist_table(
    need: Need, show_contact: Callable[[Firm], bool]
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The shortlist of a need as export rows, in the order the buyer added them.

    Contact columns are filled only where ``show_contact(firm)`` allows (after the
    supplier accepted an introduction): an export must not leak what the page hides.
    """
    rows = []
    for entry in need.shortlist:
        firm = entry.firm
        contact = show_contact(firm)
        rows.append(
            [
                firm.name_vi,
                firm.name_en,
                firm.tax_code,
                firm.province.name_vi if firm.province else "",
                firm.zone.label if firm.zone else "",
                entry.capability.title if entry.capability else "",
                None if entry.score is None else round(entry.score * 100),
                ", ".join(sorted({c.standard for c in firm.valid_certifications()})),
                firm.employees,
                firm.contact_name if contact else "",
                firm.contact_email if contact else "",
                firm.contact_phone if contact else "",
                entry.note,
                entry.created_at.strftime("%Y-%m-%d") if entry.created_at else "",
            ]
        )
    return SHORTLIST_HEADERS, rows


FIRM_HEADERS = (
    N_("Firm (VI)"),
    N_("Firm (EN)"),
    N_("Tax code"),
    N_("Role"),
    N_("Province"),
    N_("Industrial zone"),
    N_("Employees"),
    N_("Sectors"),
    N_("Certifications"),
    N_("Capabilities"),
    N_("Verified"),
)


def _choice(record: str, field: str, value: Any, translate: Translate) -> str:
    """A choice's value as the reader reads it (a firm's role, a need's status)."""
    labels = value_labels().get((record, field), {})
    return translate(labels[value.value]) if value.value in labels else value.value


def firms_table(
    firms: Iterable[Firm], translate: Translate, name: Name
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A filtered supplier list as rows (public fields only: no contact people), in the
    reader's language (``translate`` a msgid, ``name`` a province or concept)."""
    rows = [
        [
            f.name_vi,
            f.name_en,
            f.tax_code,
            _choice("firm", "role", f.role, translate),
            name(_place(f)) if f.province else "",
            f.zone.label if f.zone else "",
            f.employees,
            ", ".join(name(s) for s in f.sectors),
            ", ".join(sorted({c.standard for c in f.valid_certifications()})),
            "; ".join(c.title for c in f.capabilities),
            "✓" if f.verified_at else "",
        ]
        for f in firms
    ]
    return FIRM_HEADERS, rows


NEED_HEADERS = (
    N_("Need"),
    N_("Buyer"),
    N_("Process"),
    N_("Qty/year"),
    N_("Target unit price (VND)"),
    N_("Required certifications"),
    N_("Delivery province"),
    N_("Deadline"),
    N_("Status"),
)


def needs_table(
    needs: Iterable[Need], translate: Translate, name: Name
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Needs as rows, in the reader's language (as ``firms_table``)."""
    rows = [
        [
            n.title,
            n.buyer.display_name if n.buyer else "",
            name(n.process) if n.process else "",
            n.quantity_per_year,
            n.target_price_vnd,
            ", ".join(n.required_certifications or []),
            name(n.delivery_province) if n.delivery_province else "",
            n.deadline.isoformat() if n.deadline else "",
            _choice("need", "status", n.status, translate),
        ]
        for n in needs
    ]
    return NEED_HEADERS, rows


MATCH_HEADERS = (
    N_("Rank"),
    N_("Firm (VI)"),
    N_("Province"),
    N_("Capability"),
    N_("Score"),
    N_("Checks"),
)


def matches_table(
    matches: Sequence[Any], firms: dict[int, Firm], translate: Translate, name: Name
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Ranked matches (``matching`` results) as rows; ``translate`` renders the checks."""
    rows = []
    for rank, match in enumerate(matches, 1):
        firm = firms[match.firm_id]
        cap = next((c for c in firm.capabilities if c.id == match.capability_id), None)
        rows.append(
            [
                rank,
                firm.name_vi,
                name(_place(firm)) if firm.province else "",
                cap.title if cap else "",
                round(match.score * 100),
                "; ".join(translate(c.detail) for c in match.checks),
            ]
        )
    return MATCH_HEADERS, rows


COMPARISON_HEADERS = (
    N_("Supplier"),
    N_("Province"),
    N_("Verified"),
    N_("Unit price"),
    N_("Currency"),
    N_("Unit price (VND)"),
    N_("Minimum order"),
    N_("Lead time (days)"),
    N_("Capacity/month"),
    N_("Needed/month"),
    N_("Valid until"),
    N_("Certificates"),
    N_("Distance (km)"),
    N_("Score"),
    N_("Stage"),
    N_("Status"),
    N_("Reason declined"),
    N_("Note"),
)


def _amount(value: Any) -> int | float | None:
    """A stored decimal amount as a spreadsheet number (whole when it is whole)."""
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)


def comparison_table(
    rows: Sequence[Any], translate: Translate, name: Name
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The buyer's comparison of quotations (``catalog.deals.comparison`` rows) in its
    order, in the reader's language; the supplier's note is stored text, written as the
    literal text it is (``safe_cell``)."""
    from .deals.pipeline import CLOSE_REASON_LABELS, STAGE_LABELS
    from .deals.quotes import STATUS_LABELS

    out = []
    for row in rows:
        q, firm = row.quote, row.supplier
        expired = f" ({translate(N_('expired'))})" if row.expired else ""
        out.append(
            [
                firm.display_name,
                name(_place(firm)) if firm.province else "",
                "✓" if row.verified else "",
                _amount(q.unit_price) if q else None,
                q.currency if q else "",
                row.unit_price_vnd,
                q.min_order_qty if q else None,
                q.lead_time_days if q else None,
                q.capacity_per_month if q else None,
                row.needed_per_month,
                (q.valid_until.isoformat() + expired) if q and q.valid_until else "",
                ", ".join(
                    c.standard + ("" if c.valid else f" ({translate(N_('expired'))})")
                    for c in row.certificates
                ),
                None if row.distance_km is None else round(row.distance_km),
                None if row.match_score is None else round(row.match_score * 100),
                translate(STAGE_LABELS[row.stage]),
                translate(STATUS_LABELS[q.status]) if q else translate(N_("Interest")),
                translate(CLOSE_REASON_LABELS[q.decline_reason]) if q and q.decline_reason else "",
                q.note if q else "",
            ]
        )
    return COMPARISON_HEADERS, out
