"""Spreadsheets of a report (``Document``): a summary sheet, one sheet per table, and the
charts as images.

Officers open these in Excel or LibreOffice and pass them on, so every text cell goes
through ``catalog.export.safe_cell``: a firm named "=HYPERLINK(...)" stays text and
never becomes a formula. Shares are written as numbers with a percentage format and
dates as dates, so the figures can be computed with.
"""

from __future__ import annotations

import io
import math
from datetime import date

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XLImage
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from catalog.export import safe_cell

from . import charts
from .amounts import Million, xlsx_format
from .content import Document, Pct, Table

_BOLD = Font(bold=True)
_HEADING = PatternFill("solid", fgColor="DDEBF7")


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def _write_table(ws: Worksheet, table: Table, empty: str, start_row: int = 1) -> None:
    ws.append([safe_cell(h) for h in table.headers])
    for cell in ws[start_row]:
        cell.font = _BOLD
        cell.fill = _HEADING
    widths = [len(str(h)) for h in table.headers]
    for row in table.rows:
        ws.append([safe_cell(float(v) if isinstance(v, Pct) else v) for v in row])
        current = ws.max_row
        for i, v in enumerate(row):
            if isinstance(v, Pct):
                ws.cell(current, i + 1).number_format = "0.0%"
            elif isinstance(v, date):
                ws.cell(current, i + 1).number_format = "yyyy-mm-dd"
            elif isinstance(v, Million):  # million VND, summable (documents.amounts)
                ws.cell(current, i + 1).number_format = xlsx_format(v)
            widths[i] = max(widths[i], min(60, len(str(v if v is not None else ""))))
    if not table.rows:
        ws.append([empty])
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w + 2
    ws.freeze_panes = ws.cell(start_row + 1, 1)


def render(doc: Document) -> bytes:
    """A workbook: the summary, one sheet per table, and the charts as images."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(doc.summary_sheet)
    ws.append([safe_cell(doc.title)])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in doc.facts:
        ws.append([label, safe_cell(value)])
        if isinstance(value, date):
            ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(list(doc.headers))
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
        cell.fill = _HEADING
    for label, value in doc.summary:
        ws.append([safe_cell(label), safe_cell(value)])
        if value is None:
            ws.cell(ws.max_row, 1).font = _BOLD
    ws.append([])
    ws.append([safe_cell(doc.note)])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 28

    for name, table in doc.sheets:
        _write_table(wb.create_sheet(_sheet_title(name)), table, doc.empty)

    ws = wb.create_sheet(_sheet_title(doc.charts_sheet))
    row = 1
    for fig in doc.charts.values():
        image = XLImage(io.BytesIO(charts.png(fig, dpi=100)))
        ws.add_image(image, f"A{row}")
        row += math.ceil(image.height / 20) + 2  # default rows are 20 px high
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
