"""What every document format is made of: text in the reader's language, tables, and the
layout a report takes in both of its formats.

Kept apart from the formats so that the report's content (``documents.report``) and the
formats (``documents.xlsx``, ``documents.pdf``) depend on it and not on each other: the
spreadsheet and the PDF of a report are written from the same figures and rows
(``documents.report``), so they never disagree.

Texts are gettext msgids marked with ``N_`` (or ``pgettext`` where a word needs a
context) and translated by a ``Translator`` the caller gives: documents have no Flask
and so no locale of their own. A few words read differently in a report than on a page
("Status" of a target is an assessment, "Đánh giá", not a "Trạng thái"; an axis counts,
"Số doanh nghiệp"): those carry the context "report" or "chart axis" (written out at
each use: ``pybabel extract`` reads literals only), so the report keeps its wording and
the pages keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

# The languages documents are written in: every stored name (provinces, sectors, part
# families, targets) is kept in both.
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class InContext:
    """A msgid whose translation depends on where it is shown."""

    context: str
    msgid: str


def pgettext(context: str, msgid: str) -> InContext:
    """Marks a msgid with its context, to be translated later by a ``Translator``
    (gettext's name, so ``pybabel extract`` finds it with its default keywords)."""
    return InContext(context, msgid)


@dataclass(frozen=True)
class Translator:
    """A document's language: its code, for the names stored in both languages, and the
    callables that look a msgid up in the interface's catalogue in that language
    (``gettext(msgid)``, ``pgettext(context, msgid)``, neither formatting anything)."""

    lang: str
    gettext: Callable[[str], str]
    pgettext: Callable[[str, str], str]

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(
                f"no document texts for language {self.lang!r} (one of {sorted(LANGUAGES)})"
            )

    def __call__(self, text: str | InContext, **params: Any) -> str:
        """The text in this language, with ``%(name)s`` placeholders filled from ``params``."""
        if isinstance(text, InContext):
            translated = self.pgettext(text.context, text.msgid)
        else:
            translated = self.gettext(text)
        return translated % params if params else translated


class Pct(float):
    """A share (0-1), shown as a percentage in both formats."""


def number(value: float) -> str:
    """A figure as a report prints it: whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    widths: list[float] = field(default_factory=list)  # PDF column shares


@dataclass
class Document:
    """A report as the spreadsheet lays it out, every text already in the reader's
    language: a summary sheet (the title, ``facts``, the ``summary`` rows under
    ``headers``, the ``note``), one sheet per entry of ``sheets`` and a sheet of charts.
    The PDF, an administrative document, is laid out from the same figures by its
    template (``documents.report.pdf_html``).
    """

    title: str
    facts: list[tuple[str, Any]]  # (label, value) under the title; the first is its subject
    summary_sheet: str
    headers: tuple[str, str]
    summary: list[list[Any]]  # (label, value); a section heading has the value None
    note: str
    sheets: list[tuple[str, Table]]  # (sheet name, table)
    charts_sheet: str
    charts: dict[str, Figure]
    empty: str  # what an empty table says
