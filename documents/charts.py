"""Server-rendered charts for the officer dashboard and the periodic reports.

Each function draws one chart on a bare ``matplotlib.figure.Figure`` attached to the Agg
canvas: pyplot is never imported, so no display, GUI backend or global figure state is
involved and a worker or web process may draw from several threads. ``png`` turns a
figure into bytes for a web page or a spreadsheet; the report's PDF saves the same
figure as vector pages.

Every text on a chart comes from the caller, in the caller's language (the report's
texts, ``documents.report``, translated by the caller's ``Translator``). DejaVu Sans,
bundled with matplotlib, has every precomposed Vietnamese letter (ạ ế ộ ữ ...), so
diacritics render without depending on the fonts of the machine.

Text on a chart or a PDF page is literal text, whatever it holds: the style every
figure is drawn and saved in (``chart_style``, which the reports' PDF pages use too)
turns matplotlib's mathtext and TeX off, so a firm named "Cơ khí $x^2$" shows its
dollars instead of a formula (or failing on "$\\foo$"), and ``plain`` drops the
characters no file should carry (control characters, unpaired surrogates, which the
font code cannot even take) from every text a caller gives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from catalog.text import literal_text

FONT = "DejaVu Sans"
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "pdf.fonttype": 42,  # TrueType in PDFs: text stays selectable and searchable
    "svg.fonttype": "none",
    # Stored text is never markup: "$...$" in a firm's name is not a formula.
    "text.parse_math": False,
    "text.usetex": False,
}
# Colour-blind-safe (Okabe-Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GOOD, BAD, NEUTRAL = "#009E73", "#D55E00", "#999999"
SIZE = (8.0, 4.5)  # inches; 1200 x 675 px at the default 150 dpi


@contextmanager
def chart_style() -> Iterator[None]:
    """The style every chart is drawn and saved in (fonts are resolved at both)."""
    with matplotlib.rc_context(STYLE):
        yield


def plain(text: object) -> str:
    """Any text as a chart or PDF page may show it: literal, without control characters."""
    return literal_text(str(text))


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes."""
    out = io.BytesIO()
    with chart_style():
        fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def _empty(ax, message: str) -> None:
    ax.set_axis_off()
    ax.text(
        0.5, 0.5, plain(message), ha="center", va="center", transform=ax.transAxes, color=NEUTRAL
    )


def firms_by_sector(
    series: Sequence[tuple[str, Mapping[int, int]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    targets: Sequence[tuple[str, Mapping[int, float], str | None]] = (),
    empty: str = "",
) -> Figure:
    """Firm counts per year, one line per sector, with target trajectories dashed.

    ``series``: (label, {year: count}); ``targets``: (label, {year: value}, label of
    the series it is for, or None), drawn dashed in that series' colour, else grey.
    """
    series = [(plain(label), counts) for label, counts in series]
    targets = [
        (plain(label), values, None if of is None else plain(of)) for label, values, of in targets
    ]
    title, xlabel, ylabel = plain(title), plain(xlabel), plain(ylabel)
    with chart_style():
        fig = _figure()
        ax = fig.add_subplot()
        if not series:
            _empty(ax, empty)
            return fig
        colours = {}
        for i, (label, counts) in enumerate(series):
            colours[label] = PALETTE[i % len(PALETTE)]
            years = sorted(counts)
            ax.plot(
                years, [counts[y] for y in years], marker="o", color=colours[label], label=label
            )
        for label, values, of in targets:
            years = sorted(values)
            ax.plot(
                years,
                [values[y] for y in years],
                linestyle="--",
                linewidth=1.2,
                color=colours.get(of, NEUTRAL),
                label=label,
            )
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        return fig


def local_matches(
    with_local: int,
    without_local: int,
    *,
    title: str,
    with_label: str,
    without_label: str,
    empty: str = "",
) -> Figure:
    """Open needs with and without a good local match, as one stacked bar with counts."""
    title, with_label, without_label = plain(title), plain(with_label), plain(without_label)
    with chart_style():
        fig = _figure((8.0, 2.6))
        ax = fig.add_subplot()
        total = with_local + without_local
        if not total:
            _empty(ax, empty)
            return fig
        ax.barh([0], [with_local], color=GOOD, label=f"{with_label}: {with_local}")
        ax.barh(
            [0],
            [without_local],
            left=[with_local],
            color=BAD,
            label=f"{without_label}: {without_local}",
        )
        for left, width in ((0, with_local), (with_local, without_local)):
            if width:
                ax.text(
                    left + width / 2,
                    0,
                    f"{width} ({width / total:.0%})",
                    ha="center",
                    va="center",
                    color="white",
                    fontweight="bold",
                )
        ax.set_yticks([])
        ax.set_xlim(0, total)
        ax.grid(False)
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
        return fig


def verification_coverage(
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str,
    verified_label: str,
    unverified_label: str,
    empty: str = "",
) -> Figure:
    """Shares verified, one bar per row: (label, verified, total)."""
    rows = [(plain(label), done, total) for label, done, total in rows]
    title, verified_label = plain(title), plain(verified_label)
    unverified_label = plain(unverified_label)
    with chart_style():
        fig = _figure((8.0, 3.2))
        ax = fig.add_subplot()
        rows = [r for r in rows if r[2]]
        if not rows:
            _empty(ax, empty)
            return fig
        labels = [r[0] for r in rows]
        shares = [r[1] / r[2] for r in rows]
        positions = list(range(len(rows)))[::-1]
        ax.barh(positions, shares, color=GOOD, label=verified_label)
        ax.barh(
            positions,
            [1 - s for s in shares],
            left=shares,
            color=NEUTRAL,
            alpha=0.4,
            label=unverified_label,
        )
        for y, (_, done, total), share in zip(positions, rows, shares, strict=True):
            ax.text(1.01, y, f"{done}/{total} ({share:.0%})", va="center", fontsize=8)
        ax.set_yticks(positions, labels)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.grid(False)
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.12), ncol=2, frameon=False)
        return fig


def gap_list(
    groups: Sequence[tuple[str, int]],
    *,
    title: str,
    xlabel: str,
    top: int = 12,
    empty: str = "",
) -> Figure:
    """The largest localisation gaps: (label, number of needs), largest on top."""
    groups = [(plain(label), n) for label, n in groups]
    title, xlabel = plain(title), plain(xlabel)
    with chart_style():
        shown = list(groups)[:top]
        fig = _figure((8.0, max(2.6, 0.9 + 0.32 * len(shown))))
        ax = fig.add_subplot()
        if not shown:
            _empty(ax, empty)
            return fig
        positions = list(range(len(shown)))[::-1]
        ax.barh(positions, [n for _, n in shown], color=BAD)
        ax.set_yticks(positions, [_short(label) for label, _ in shown])
        for y, (_, n) in zip(positions, shown, strict=True):
            ax.text(n, y, f" {n}", va="center", fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        return fig


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def funnel_bars(
    stages: Sequence[tuple[str, int, int]],
    *,
    title: str,
    xlabel: str,
    local_label: str,
    other_label: str,
    empty: str = "",
) -> Figure:
    """The funnel from a match to the first orders: one horizontal bar per stage
    (label, needs that reached it, of which with a local supplier), first stage on top,
    the local part drawn first so that local sourcing reads at a glance."""
    rows = [(plain(label), n, local) for label, n, local in stages]
    title, xlabel = plain(title), plain(xlabel)
    with chart_style():
        fig = _figure((8.0, max(2.6, 1.1 + 0.34 * len(rows))))
        ax = fig.add_subplot()
        if not rows or not any(n for _, n, _ in rows):
            _empty(ax, empty)
            return fig
        positions = list(range(len(rows)))[::-1]
        local = [min(loc, n) for _, n, loc in rows]
        others = [n - loc for (_, n, _), loc in zip(rows, local, strict=True)]
        ax.barh(positions, local, color=GOOD, label=plain(local_label))
        ax.barh(positions, others, left=local, color=NEUTRAL, label=plain(other_label))
        ax.set_yticks(positions, [_short(label, 32) for label, _, _ in rows])
        for y, (_, n, _) in zip(positions, rows, strict=True):
            ax.text(n, y, f" {n}", va="center", fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8)
        return fig
