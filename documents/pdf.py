"""PDF documents: the periodic report, from an HTML template, and plain tables (agendas).

The report is an administrative document (header, sections, tables, charts, signature
block), laid out from ``documents/templates/*.html`` with Jinja2 and typeset by
WeasyPrint: real tables with fixed column widths that wrap their text and repeat their
header row on every page, page numbers, and fonts found by Pango (DejaVu has every
Vietnamese letter). No Flask: the environment here is the documents' own, so a worker
renders exactly what a page would.

Stored text is literal text: the environment escapes every value it prints (a firm
named "<b>Cơ khí</b>" shows its angle brackets) and first passes it through
``charts.plain``, which drops the characters no file should carry (control characters,
bidirectional overrides), even from rows stored before validation refused them.

Agendas and table sheets (``tables_pdf``) are still drawn as matplotlib pages: one
table, laid out by hand, in the charts' style (``charts.chart_style``).
"""

from __future__ import annotations

import base64
import functools
import io
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from . import charts
from .content import Pct, Table, number

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHART_DPI = 150  # sharp on paper at the width the template gives charts (16 cm)


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


def _printed(value: Any) -> Any:
    """What the templates print for a value: markup the template built stays markup,
    anything else is literal text without the characters no file may carry."""
    if value is None or isinstance(value, Markup):
        return "" if value is None else value
    if isinstance(value, str):
        return charts.plain(value)
    return value


def unbroken(text: str, longest: int = 16) -> Markup:
    """A table cell's text that wraps at its spaces only, as the reader wrote it: a name
    or a code such as "ISO/TS 16949" or "Cơ khí $\\frac{a}{b}$" is not cut at the
    other places Unicode allows a line break. Words too long for any column may still
    be cut (``overflow-wrap`` in the stylesheet)."""
    words = []
    for word in text.split(" "):
        if 1 < len(word) <= longest:
            words.append(Markup('<span class="word">%s</span>') % word)
        else:
            words.append(escape(word))
    return Markup(" ").join(words)


def chart_image(fig: Figure) -> str:
    """A chart as a data: URL for an <img> (PNG: what WeasyPrint draws most faithfully)."""
    return "data:image/png;base64," + base64.b64encode(charts.png(fig, dpi=CHART_DPI)).decode()


@functools.cache
def environment() -> jinja2.Environment:
    """The documents' templates, every printed value escaped and made literal."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        finalize=_printed,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell_text
    env.tests["number"] = lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    return env


def html(template: str, **context: Any) -> str:
    """A template of ``documents/templates`` rendered with ``context``."""
    return environment().get_template(template).render(**context)


def html_pdf(document: str) -> bytes:
    """An HTML document (with its own CSS, no external resources) as a PDF."""
    import weasyprint  # needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0)

    return weasyprint.HTML(string=document, base_url=str(TEMPLATES)).write_pdf()


# Agendas and table sheets: matplotlib pages.
A4 = (8.27, 11.69)
# Table layout on an A4 page: the table's axes are 0.92 x 0.86 of the page; at 6.5 pt
# DejaVu Sans a text line takes about 1.35 % of that height and a column as wide as
# the axes holds about 140 average characters. A page holds about 50 one-line rows.
FONT_SIZE = 6.5
LINE_HEIGHT = 0.0135
CELL_PADDING = 0.006
CHARS_PER_WIDTH = 140
MAX_CELL_LINES = 6


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


def _write(title: str, figures: Callable[[], Iterable[Figure]]) -> bytes:
    """The pages ``figures`` draws, drawn and saved in the charts' style."""
    out = io.BytesIO()
    with charts.chart_style(), PdfPages(out, metadata={"Title": title, "Creator": "KetNoi"}) as pdf:
        for fig in figures():
            pdf.savefig(fig)
    return out.getvalue()


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
