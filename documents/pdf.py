"""PDF documents: a report (``Document``) and plain tables (agendas), on A4 pages.

Tables are laid out by hand on matplotlib pages rather than through a PDF library:
every page, the report's charts included, is drawn in one style (``charts.chart_style``:
DejaVu Sans, which has every Vietnamese letter, and no mathtext), and text stays
selectable TrueType. Every text goes through ``charts.plain``, so stored text is written
as the literal text it is, even from rows stored before validation refused control
characters. A long table wraps its cells and continues on as many pages as it needs.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from . import charts
from .content import Document, Pct, Table, number

A4 = (8.27, 11.69)
# Table layout on an A4 page: the table's axes are 0.92 x 0.86 of the page; at 6.5 pt
# DejaVu Sans a text line takes about 1.35 % of that height and a column as wide as
# the axes holds about 140 average characters. A page holds about 50 one-line rows.
FONT_SIZE = 6.5
LINE_HEIGHT = 0.0135
CELL_PADDING = 0.006
CHARS_PER_WIDTH = 140
MAX_CELL_LINES = 6


def cell_text(value: Any) -> str:
    """A table cell or a summary value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, Pct):
        return f"{value:+.1%}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return number(value)
    return " ".join(charts.plain(value).split())


def _wrap(value: Any, chars: int) -> list[str]:
    """A cell's text in lines of at most ``chars`` characters, ``MAX_CELL_LINES`` at most."""
    lines = textwrap.wrap(cell_text(value), chars, break_long_words=True) or [""]
    if len(lines) > MAX_CELL_LINES:
        lines = lines[:MAX_CELL_LINES]
        lines[-1] = lines[-1][: chars - 1].rstrip() + "…"
    return lines


def _page(title: str, footer: str) -> Figure:
    with charts.chart_style():
        fig = Figure(figsize=A4)
        FigureCanvasAgg(fig)
        fig.text(0.06, 0.955, charts.plain(title), fontsize=13, fontweight="bold", va="top")
        fig.text(0.5, 0.025, charts.plain(footer), fontsize=7, ha="center", color="#666666")
    return fig


def _row_height(lines: int) -> float:
    """A table row's height, as a share of the table's axes."""
    return LINE_HEIGHT * lines + CELL_PADDING


@dataclass
class Laid:
    """A table cut into pages, each cell wrapped to its column."""

    widths: list[float]
    head: list[str]
    head_lines: int
    pages: list[list[tuple[list[str], int]]]  # rows as (cell texts, lines) per page


def layout(table: Table) -> Laid:
    """Wrap every cell to its column's width and fill pages as high as the table's axes;
    an empty table still gets one page (it says "none")."""
    widths = table.widths or [1 / len(table.headers)] * len(table.headers)
    chars = [max(3, int(w * CHARS_PER_WIDTH)) for w in widths]
    head = [_wrap(h, chars[i]) for i, h in enumerate(table.headers)]
    head_lines = max(len(h) for h in head)
    room = 1.0 - _row_height(head_lines)
    pages: list[list[tuple[list[str], int]]] = [[]]
    used = 0.0
    for row in table.rows:
        cells = [_wrap(v, chars[i]) for i, v in enumerate(row)]
        lines = max(len(c) for c in cells)
        if pages[-1] and used + _row_height(lines) > room:
            pages.append([])
            used = 0.0
        pages[-1].append((["\n".join(c) for c in cells], lines))
        used += _row_height(lines)
    return Laid(widths, ["\n".join(h) for h in head], head_lines, pages)


def _table_pages(table: Table, footer: Callable[[], str], empty: str) -> list[Figure]:
    laid = layout(table)
    figures = []
    for chunk in laid.pages:
        fig = _page(table.title, footer())
        with charts.chart_style():
            ax = fig.add_axes((0.04, 0.06, 0.92, 0.86))
            ax.set_axis_off()
            if not chunk:
                ax.text(0.0, 1.0, charts.plain(empty), va="top", fontsize=9)
            else:
                tab = ax.table(
                    cellText=[cells for cells, _ in chunk],
                    colLabels=laid.head,
                    colWidths=laid.widths,
                    loc="upper left",
                    cellLoc="left",
                )
                tab.auto_set_font_size(False)
                tab.set_fontsize(FONT_SIZE)
                heights = [laid.head_lines] + [lines for _, lines in chunk]
                for (r, _), cell in tab.get_celld().items():
                    cell.set_height(_row_height(heights[r]))
                    cell.set_linewidth(0.3)
                    cell.PAD = 0.02
                    if r == 0:
                        cell.set_facecolor("#DDEBF7")
                        cell.get_text().set_fontweight("bold")
        figures.append(fig)
    return figures


def _fact(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def pages(doc: Document) -> list[Figure]:
    """The pages of a report: a cover with the facts, the summary and the note, the
    tables before the charts, one page per chart, then the tables after them. Each
    table takes at least one page and continues on as many as its wrapped rows need."""
    counter = iter(range(1, 10_000))

    def footer() -> str:
        return f"{doc.footer} — {doc.page(next(counter))}"

    cover = _page(doc.title, footer())
    with charts.chart_style():
        lines = [(f"{label}: {_fact(value)}", i == 0) for i, (label, value) in enumerate(doc.facts)]
        for label, value in doc.summary:
            if value is None:
                lines += [("", False), (label, True)]
            else:
                lines.append((f"    {cell_text(label)}: {cell_text(value)}", False))
        lines += [("", False), *((line, False) for line in textwrap.wrap(doc.note, 120))]
        y, step = 0.92, min(0.018, 0.86 / max(1, len(lines)))
        for text, bold in lines:
            weight = "bold" if bold else "normal"
            cover.text(0.06, y, charts.plain(text), fontsize=8, fontweight=weight)
            y -= step
    figures = [cover]
    for table in doc.before_charts:
        figures += _table_pages(table, footer, doc.empty)
    for fig in doc.charts.values():
        next(counter)  # chart pages are the charts as drawn for the web: no footer
        figures.append(fig)
    for table in doc.after_charts:
        figures += _table_pages(table, footer, doc.empty)
    return figures


def _write(title: str, figures: Callable[[], Iterable[Figure]]) -> bytes:
    """The pages ``figures`` draws, drawn and saved in the charts' style."""
    out = io.BytesIO()
    with charts.chart_style(), PdfPages(out, metadata={"Title": title, "Creator": "KetNoi"}) as pdf:
        for fig in figures():
            pdf.savefig(fig)
    return out.getvalue()


def render(doc: Document) -> bytes:
    """The report as a PDF (see ``pages``), text kept as selectable TrueType."""
    return _write(charts.plain(doc.title), lambda: pages(doc))


def tables_pdf(title: str, tables: Sequence[Table], empty: str = "—") -> bytes:
    """Tables alone as a PDF, laid out like the report's lists (agendas, sheets)."""
    title = charts.plain(title)  # also the document's metadata, which must encode
    counter = iter(range(1, 10_000))

    def footer() -> str:
        return f"KetNoi — {title} — {next(counter)}"

    def figures() -> Iterator[Figure]:
        for table in tables:
            yield from _table_pages(table, footer, empty)

    return _write(title, figures)
