"""Quarterly and annual reports of a province: their figures, tables and charts, and the
one builder that renders them as XLSX and PDF.

The provincial programmes ask the Department of Industry and Trade for periodic reports
to the province and the ministry (Thái Nguyên 2021, Điều 2.1: quarterly and yearly;
Vĩnh Phúc §IV: yearly). A report holds the dashboard's figures (``catalog.dashboard``),
the localisation gaps (``matching.localisation``), their charts and the lists behind
them. ``collect`` computes the figures once; ``render`` lays them out as one
``Document`` and writes each requested format from it, so the spreadsheet and the PDF
never disagree. ``build_report`` does both; the report job collects, keeps the gap
analysis for the dashboard (``documents.snapshots``), then renders.

The support programmes of the province (``catalog.programmes``: the lines' budgets,
the amounts approved and paid, the counted targets and the firms supported) get sheets
of their own and a section of the PDF, left out when no programme runs in the period.

Texts are msgids translated by the caller's ``Translator`` (see ``documents.content``);
names stored in both languages (provinces, sectors, targets) are read in ``t.lang``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup
from matplotlib.figure import Figure
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog import models
from catalog.access.visibility import reading_as
from catalog.dashboard import (
    SUPPLIER_ROLES,
    Dashboard,
    EventFigures,
    NeedFigures,
    OutcomeFigures,
    Period,
    TargetSet,
    dashboard,
    event_figures,
    need_figures,
    outcome_figures,
    province_reader,
)
from catalog.deals.funnel import Funnel, funnel
from catalog.deals.pipeline import STAGE_LABELS
from catalog.i18n import N_
from catalog.models import Firm, Province, Verification, latest_checks
from catalog.programmes import KIND_LABELS, MEASURE_LABELS, SOURCE_LABELS, STATUS_LABELS
from catalog.programmes.figures import DECIDED, supported_firms, target_actual
from matching.engine import MatchEngine
from matching.localisation import Localisation, localisation

from . import charts, pdf, xlsx
from .amounts import PDF_PATTERN, Million, million
from .content import (
    Document,
    InContext,
    Pct,
    Table,
    Translator,
    number,
    pgettext,
)

FORMATS = ("xlsx", "pdf")
CHART_TITLE: dict[str, str | InContext] = {
    "sectors": N_("Supplier firms by sector, with targets"),
    "local": pgettext("report", "Open needs with and without a local supplier"),
    "verification": pgettext("report", "Verification coverage"),
    "gaps": N_("Largest localisation gaps"),
    "funnel": N_("From match to first order"),
}
TOP_SECTORS = 5  # sector lines on the firm-count chart (besides targeted sectors)
TOP_GAPS = 12
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}  # Vietnamese reports write "quý III/2026"

# Names of the values the figures are kept under.
TARGET_STATUS = {
    "met": N_("Met"),
    "missed": N_("Missed"),
    "on_track": N_("On track"),
    "behind": N_("Behind"),
    "no_baseline": N_("No base-year data"),
}
GROUP_KIND: dict[str, str | InContext] = {
    "part_family": N_("Part family"),
    "process": pgettext("report", "Process"),
    "none": N_("Not classified"),
}
REASON = {
    "ok": N_("Good local supplier"),
    "no_local_supplier": N_("No local supplier"),
    "below_threshold": N_("Below the threshold"),
    "fails_required": N_("Misses a requirement"),
    "process": N_("Lacks the process"),
}
JUDGEMENT: dict[str, str | InContext] = {
    "shortlisted": pgettext("report", "Shortlisted"),
    "introduced": N_("Introduced"),
    "meeting": pgettext("report", "Meeting"),
    "deal": pgettext("report", "Deal"),
    "rejected": pgettext("report", "Rejected"),
}
INTRODUCTION: dict[str, str | InContext] = {
    "requested": N_("Pending"),
    "accepted": N_("Accepted"),
    "declined": pgettext("report", "Declined"),
}
EVENT_MODE = {"matchmaking": N_("Matchmaking days"), "reverse": N_("Reverse exhibitions")}
REGISTERED = {"buyer": N_("Buyers registered"), "supplier": N_("Suppliers registered")}
MEETING = {
    "planned": N_("1:1 meetings: scheduled"),
    "held": N_("1:1 meetings: held"),
    "no_show": N_("1:1 meetings: no-show"),
    "cancelled": N_("1:1 meetings: cancelled"),
}
MEETING_OUTCOME = {
    "follow_up": N_("Meeting outcome: follow-up"),
    "nda": N_("Meeting outcome: NDA signed"),
    "sample_order": N_("Meeting outcome: sample order"),
    "contract": N_("Meeting outcome: contract"),
    "no_interest": N_("Meeting outcome: no interest"),
}
ITEM_KIND = {"capability": N_("Capability"), "certification": N_("Certification")}
METHOD_NOTE = N_(
    "Firms count from the year they were founded (else the year registered here). "
    "A need has a good local supplier when its match list holds a firm of the "
    "province or of the delivery province scoring at least %(threshold).0f, meeting "
    "every required constraint and declaring the process asked for. Needs that name "
    "no part family are grouped by their process."
)


@dataclass
class QuarterFigures:
    period: Period
    needs: NeedFigures
    outcomes: OutcomeFigures
    events: EventFigures


@dataclass
class RegionFigures:
    """Supplier firms of one region of the report's province, counted as the dashboard
    counts them: a former province inside a merged one (2025 map), or a province in a
    report of all provinces. ``key`` None: firms whose former province is not recorded."""

    key: int | None
    name_vi: str
    name_en: str
    firms: int  # counted at the end of the period's year (founded, else registered)
    new: int  # counting year is the period's year
    verified: int  # with a current officer check on the report's "as of" day

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass
class TargetReport:
    """A counted target of a support line and what was done by the period's end."""

    measure: models.TargetMeasure
    value: int
    year: int | None  # None: over the programme's years
    actual: int


@dataclass
class LineReport:
    """One support line in a report, as the provinces' budget tables lay it out
    ("Kinh phí (triệu đồng)" by line and year): its budget for the period's year by
    source, the amounts approved and paid in the period and up to its end, the
    applications of the period, and its counted targets. Amounts in whole đồng."""

    name: str
    kind: models.SupportKind
    planned: dict[models.FundingSource, int] = field(default_factory=dict)
    committed_in_period: int = 0  # approved amounts, by the day of the decision
    committed_to_date: int = 0
    disbursed_in_period: int = 0  # payments, by the day paid
    disbursed_to_date: int = 0
    received: int = 0  # applications received (or supports recorded) in the period
    approved: int = 0  # approved in the period (later completed or not)
    targets: list[TargetReport] = field(default_factory=list)


@dataclass
class ProgrammeReport:
    name: str
    legal_basis: str
    start_year: int
    end_year: int
    province: tuple[str, str]  # (name_vi, name_en)
    lines: list[LineReport]


@dataclass
class SupportRow:
    """One support given to one firm in the period (``catalog.programmes.figures.
    supported_firms``), with the names it is listed under; amounts in whole đồng."""

    firm: tuple[str, str]  # (name in Vietnamese, in English), either may be empty
    tax_code: str
    province: tuple[str, str]
    former_province: tuple[str, str] | None
    line: str
    kind: models.SupportKind
    purpose: str
    approved_vnd: int | None
    paid_in_period: int
    paid_to_date: int
    status: models.ApplicationStatus
    result_note: str
    certificate: tuple[str, str] | None  # (standard, certificate number)
    workers_trained: int | None
    completed_on: date | None

    def firm_name(self, lang: str) -> str:
        vi, en = self.firm
        return (vi or en) if lang == "vi" else (en or vi)


@dataclass
class ReportData:
    """Everything a report shows, computed once for both formats."""

    dashboard: Dashboard
    localisation: Localisation
    quarters: list[QuarterFigures]  # annual reports only
    # Province code → (name_vi, name_en), to write names where the figures keep codes.
    province_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Firms by former province (or by province, for all provinces); None: no breakdown.
    regions: list[RegionFigures] | None = None
    # From a match to the first orders (``catalog.deals.funnel``); None: not computed.
    funnel: Funnel | None = None
    # Support programmes running in the period and the supports they gave (see
    # ``programme_figures``); empty: the province has no programme in the period.
    programmes: list[ProgrammeReport] = field(default_factory=list)
    supported: list[SupportRow] = field(default_factory=list)

    @property
    def period(self) -> Period:
        return self.dashboard.period

    @property
    def as_of(self) -> date:
        """The day the figures are judged on, the dashboard's: the period's last day, or
        the day the report was made if the period is still under way."""
        return self.dashboard.verification.on

    def province_name(self, code: str | None, lang: str) -> str:
        if not code:
            return ""
        vi, en = self.province_names.get(code, (code, code))
        return vi if lang == "vi" else en


def report_filename(province_code: str | None, period: Period, fmt: str) -> str:
    return f"ketnoi-{province_code or 'all'}-{period.label}.{fmt}"


def collect(
    session: Session,
    engine: MatchEngine,
    province_code: str | None,
    period: Period,
    *,
    targets: TargetSet | None = None,
    today: date | None = None,
) -> ReportData:
    """The figures of a report: the dashboard, the localisation of open needs, and for
    a year the needs, outcomes and events of each quarter. Needs are read as any officer
    of the province reads them (``catalog.dashboard.province_reader``): the files are
    shared by all of them."""
    reader = province_reader(session, province_code)
    with reading_as(session, reader) if reader is not None else nullcontext():
        board = dashboard(session, province_code, period, targets=targets, today=today)
        province_id = board.province.id if board.province else None
        quarters = [
            QuarterFigures(
                q,
                need_figures(session, province_id, q),
                outcome_figures(session, province_id, q),
                event_figures(session, province_id, q),
            )
            for q in (period.quarters() if period.kind == "year" else [])
        ]
        gaps = localisation(session, engine, province_code, period)
        deals = funnel(
            session,
            [province_id] if province_id is not None else None,
            period.start,
            period.end,
            today=board.generated_on,
        )
    names = {
        code: (vi, en)
        for code, vi, en in session.execute(
            select(Province.code, Province.name_vi, Province.name_en)
        )
    }
    regions = region_figures(session, province_id, period, board.verification.on)
    programmes = programme_figures(session, province_id, period)
    supported = support_rows(session, province_id, period)
    return ReportData(board, gaps, quarters, names, regions, deals, programmes, supported)


def _former_provinces() -> tuple[Any, Any] | None:
    """The 2025 map's former provinces (``catalog.models.FormerProvince``) and the firm's
    column naming one, or None on a catalogue that does not have them yet."""
    model = getattr(models, "FormerProvince", None)
    column = getattr(Firm, "former_province_id", None)
    return None if model is None or column is None else (model, column)


def region_figures(
    session: Session, province_id: int | None, period: Period, on: date
) -> list[RegionFigures] | None:
    """Supplier firms by region, counted as ``catalog.dashboard`` counts the province's
    total, new and verified firms (so the rows add up to the dashboard's figures): by
    former province inside a merged province ("Phú Thọ — former Vĩnh Phúc"), or by
    province in a report of all provinces. None for a province that absorbed no other
    (one region is no breakdown) or a catalogue without former provinces."""
    former = _former_provinces()
    scope = [Firm.role.in_(SUPPLIER_ROLES)]
    if province_id is None:
        regions = {
            p.id: (p.name_vi, p.name_en)
            for p in session.scalars(select(Province).order_by(Province.name_vi))
        }
        key_column: Any = Firm.province_id
    elif former is None:
        return None
    else:
        model, key_column = former
        regions = {
            f.id: (f.name_vi, f.name_en)
            for f in session.scalars(
                select(model).where(model.province_id == province_id).order_by(model.name_vi)
            )
        }
        if len(regions) < 2:
            return None
        scope.append(Firm.province_id == province_id)
    rows = session.execute(
        select(Firm.id, key_column, Firm.year_founded, Firm.created_at).where(*scope)
    ).all()
    checks = session.scalars(
        select(Verification).where(
            Verification.firm_id.in_(select(Firm.id).where(*scope)),
            Verification.checked_on <= on,
        )
    ).all()
    verified = {v.firm_id for v in latest_checks(checks).values() if v.is_current(on)}
    counts: dict[int | None, list[int]] = {}
    for firm_id, key, founded, created in rows:
        year = founded if founded is not None else created.year
        tally = counts.setdefault(key if key in regions else None, [0, 0, 0])
        tally[0] += year <= period.year
        tally[1] += year == period.year
        tally[2] += firm_id in verified
    out = [
        RegionFigures(key, vi, en, *counts.get(key, (0, 0, 0)))
        for key, (vi, en) in regions.items()
        if province_id is not None or key in counts
    ]
    if None in counts:
        out.append(RegionFigures(None, "", "", *counts[None]))
    return out


# --------------------------------------------------------------------------------------
# Rows, shared by both formats
# --------------------------------------------------------------------------------------


def title(data: ReportData, t: Translator) -> str:
    p = data.period
    if p.kind == "year":
        return t(N_("Supporting-industry matchmaking report, %(year)s"), year=p.year)
    # One placeholder for both languages: Vietnamese writes quarters in Roman numerals.
    quarter = ROMAN[p.quarter] if t.lang == "vi" else p.quarter
    return t(
        N_("Supporting-industry matchmaking report, Q%(quarter)s %(year)s"),
        quarter=quarter,
        year=p.year,
    )


def _province(data: ReportData, t: Translator) -> str:
    province = data.dashboard.province
    return province.label(t.lang) if province else t(N_("All provinces"))


def _share(done: int, total: int) -> str:
    return f"{done}/{total}" + (f" ({done / total:.0%})" if total else "")


def firm_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    """(figure, value) rows of the firms in the catalogue, as the dashboard shows them."""
    d = data.dashboard
    return [
        [t(N_("Supplier firms (end of period)")), d.firms.total.latest],
        [t(N_("Firms founded or registered in the year")), d.firms.new_in_period],
    ]


def need_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    loc = data.localisation
    return [
        [t(N_("Needs posted in the period")), data.dashboard.needs.posted],
        [t(N_("Open needs")), len(loc.needs)],
        [t(N_("Open needs with a good local supplier")), loc.with_local],
        [t(N_("Open needs without a local supplier")), loc.without_local],
        [t(N_("Good-match score threshold")), round(loc.threshold * 100)],
    ]


def verification_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    v = data.dashboard.verification
    return [
        [
            t(N_("Firms with a current verification")),
            _share(v.firms_verified, v.supplier_firms),
        ],
        [t(N_("Capabilities verified")), _share(v.capabilities_verified, v.capabilities)],
        [t(N_("Certifications verified")), _share(v.certifications_verified, v.certifications)],
        [t(N_("Firm profiles confirmed")), v.profiles_confirmed],
        [t(N_("Verifications in the period")), v.checks_in_period],
        [t(pgettext("report", "Verifications lapsing within 60 days")), len(v.expiring)],
    ]


def outcome_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    """What matching led to, introductions, and the supply links that came of them."""
    o = data.dashboard.outcomes
    rows: list[list[Any]] = []
    judgements = t(N_("Outcomes recorded in the period"))
    for outcome in ("shortlisted", "introduced", "meeting", "deal", "rejected"):
        rows.append([f"{judgements}: {t(JUDGEMENT[outcome])}", o.judgements.get(outcome, 0)])
    introductions = t(N_("Introductions requested in the period"))
    for status in ("requested", "accepted", "declined"):
        rows.append([f"{introductions}: {t(INTRODUCTION[status])}", o.introductions.get(status, 0)])
    return rows + [
        [t(N_("New supply relationships in the period")), o.relationships_created],
        ["  " + t(N_("of which from deals made on KetNoi")), o.relationships_from_deals],
        [t(N_("Firms supplying at tier 1 or 2 (end of period)")), o.tier_suppliers],
    ]


def event_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    e = data.dashboard.events
    return [
        [t(N_("Events held in the period")), e.events],
        *([f"  {t(EVENT_MODE[mode])}", e.by_mode.get(mode, 0)] for mode in EVENT_MODE),
        *([t(REGISTERED[side]), e.registrations.get(side, 0)] for side in REGISTERED),
        *([t(MEETING[status]), e.meetings.get(status, 0)] for status in MEETING),
        *([t(MEETING_OUTCOME[outcome]), e.outcomes.get(outcome, 0)] for outcome in MEETING_OUTCOME),
    ]


def summary_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    """(figure, value) rows with section headings (a heading has value None)."""
    d = data.dashboard
    rows: list[list[Any]] = [[t(N_("Supporting-industry firms")), None], *firm_rows(data, t)]
    if d.targets:
        rows.append([t(N_("Province targets")), None])
        for s in d.targets:
            value = "" if s.target_value is None else f"{number(s.target_value)}"
            rows.append(
                [
                    f"{s.target.label(t.lang)} ({s.year})",
                    f"{s.actual} / {value} — {t(TARGET_STATUS[s.status])}",
                ]
            )
    return [
        *rows,
        [t(N_("Assemblers' needs")), None],
        *need_rows(data, t),
        [t(N_("Capability verification")), None],
        *verification_rows(data, t),
        [t(N_("Matchmaking outcomes")), None],
        *outcome_rows(data, t),
        [t(N_("Matchmaking events and reverse exhibitions")), None],
        *event_rows(data, t),
        *(
            [[t(N_("From match to first order")), None], *funnel_rows(data, t)]
            if data.funnel
            else []
        ),
        *(
            [[t(N_("Support programmes")), None], *programme_rows(data, t)]
            if data.programmes
            else []
        ),
    ]


def target_table(data: ReportData, t: Translator, brief: bool = False) -> Table:
    """Targets and results: with the programme and article each comes from in the
    workbook; the PDF, whose section already names the programme, leaves that out."""
    rows = [
        [
            s.target.label(t.lang),
            str(s.year) if brief else s.year,  # a year, not a quantity, in running text
            None if s.target_value is None else round(s.target_value, 1),
            s.actual,
            t(TARGET_STATUS[s.status]),
            *([] if brief else [s.target.citation]),
        ]
        for s in data.dashboard.targets
    ]
    headers = [
        t(N_("Target")),
        t(N_("Year")),
        t(pgettext("report", "Target value")),
        t(N_("Actual")),
        t(pgettext("report", "Status")),
        *([] if brief else [t(N_("Source"))]),
    ]
    widths = [0.5, 0.09, 0.14, 0.1, 0.17] if brief else [0.3, 0.07, 0.1, 0.08, 0.1, 0.35]
    return Table(t(N_("Targets and results")), headers, rows, widths)


def sector_table(data: ReportData, t: Translator) -> Table:
    firms = data.dashboard.firms
    rows = []
    for s in [firms.total, *firms.sectors]:
        name = t(N_("All supplier firms")) if s.sector_id == "*" else s.label(t.lang)
        if s.sector_id is None:
            name = t(N_("No sector declared"))
        rows.append([name, *(s.counts[y] for y in firms.years)])
        rows.append(
            [
                "  " + t(N_("Growth on the year before")),
                *(None if s.growth[y] is None else Pct(s.growth[y]) for y in firms.years),
            ]
        )
    headers = [t(N_("Sector")), *(str(y) for y in firms.years)]
    first = 0.3
    return Table(
        t(N_("Firms at the end of the year")),
        headers,
        rows,
        [first] + [(1 - first) / len(firms.years)] * len(firms.years),
    )


def gap_table(data: ReportData, t: Translator, limit: int | None = None) -> Table:
    """Localisation gaps by part family: every one in the workbook; the PDF keeps the
    ``limit`` largest and leaves out the grouping column to fit a page's width."""
    brief = limit is not None
    rows = [
        [
            g.label(t.lang),
            *([] if brief else [t(GROUP_KIND[g.kind])]),
            _sector_name(data, g.sector_id, t.lang),
            g.needs,
            g.buyers,
            g.quantity_per_year or None,
            "; ".join(e.title for e in g.examples),
        ]
        for g in data.localisation.by_part_family[:limit]
    ]
    headers = [
        t(N_("Part family / process")),
        *([] if brief else [t(N_("Grouped by"))]),
        t(N_("Sector")),
        t(pgettext("report", "Needs")),
        t(pgettext("report", "Buyers")),
        t(N_("Total quantity/year")),
        t(N_("Examples")),
    ]
    widths = (
        [0.22, 0.15, 0.08, 0.08, 0.12, 0.35] if brief else [0.2, 0.12, 0.14, 0.06, 0.06, 0.1, 0.32]
    )
    return Table(t(N_("Localisation gaps by part family")), headers, rows, widths)


def gap_sector_table(data: ReportData, t: Translator) -> Table:
    rows = [
        [
            s.label(t.lang),
            s.needs,
            s.groups,
            "; ".join(e.title for e in s.examples),
        ]
        for s in data.localisation.by_sector
    ]
    headers = [t(N_("Sector")), t(pgettext("report", "Needs")), t(N_("Groups")), t(N_("Examples"))]
    return Table(t(N_("Localisation gaps by sector")), headers, rows, [0.25, 0.08, 0.08, 0.59])


def need_table(data: ReportData, t: Translator, gaps_only: bool = False) -> Table:
    """Open needs with their best local supplier; ``gaps_only`` for the PDF list."""
    names = _concept_names(data, t.lang)
    needs = data.localisation.gaps if gaps_only else data.localisation.needs
    yes, no = t(N_("Yes")), t(N_("No"))
    rows = []
    for n in needs:
        best = n.best_local
        row = [
            n.need_id,
            n.title,
            n.buyer_name,
            data.province_name(n.buyer_province, t.lang),
            data.province_name(n.delivery_province, t.lang),
            ", ".join(names.get(f, f) for f in n.part_families),
            yes if n.has_local_match else no,
            best.firm_name if best else "",
            round(best.score * 100) if best else None,
            t(REASON[n.reason]),
        ]
        rows.append(row)
    headers = [
        t(N_("ID")),
        t(N_("Need")),
        t(pgettext("report", "Buyer")),
        t(N_("Buyer's province")),
        t(pgettext("report", "Delivery")),
        t(N_("Part families")),
        t(N_("Good local match")),
        t(N_("Best local supplier")),
        t(N_("Score")),
        t(N_("Reason")),
    ]
    if gaps_only:  # every row would say "no"
        for row in [headers, *rows]:
            del row[6]
        widths = [0.05, 0.26, 0.15, 0.06, 0.06, 0.11, 0.14, 0.05, 0.12]
        return Table(t(N_("Open needs without a local supplier")), headers, rows, widths)
    widths = [0.05, 0.25, 0.14, 0.05, 0.05, 0.1, 0.05, 0.14, 0.05, 0.12]
    return Table(t(N_("Open needs")), headers, rows, widths)


def expiring_table(data: ReportData, t: Translator) -> Table:
    rows = [
        [e.firm_name, t(ITEM_KIND[e.item_kind]), e.item_label, e.valid_until, e.days_left]
        for e in data.dashboard.verification.expiring
    ]
    headers = [
        t(N_("Firm")),
        t(N_("Kind")),
        t(N_("Item")),
        t(N_("Valid until")),
        t(pgettext("report", "Days left")),
    ]
    return Table(
        t(N_("Verifications lapsing within 60 days")),
        headers,
        rows,
        [0.32, 0.12, 0.32, 0.14, 0.1],
    )


def quarter_table(data: ReportData, t: Translator) -> Table:
    rows = [
        [
            period_name(q.period, t),
            q.needs.posted,
            sum(q.outcomes.judgements.values()),
            q.outcomes.judgements.get("deal", 0),
            q.outcomes.relationships_created,
            q.events.events,
            q.events.meetings_held,
        ]
        for q in data.quarters
    ]
    headers = [
        t(N_("Quarter")),
        t(N_("Needs posted in the period")),
        t(N_("Outcomes recorded in the period")),
        t(N_("Deals")),
        t(N_("New supply relationships in the period")),
        t(N_("Events held in the period")),
        t(N_("1:1 meetings held")),
    ]
    return Table(t(N_("Figures by quarter")), headers, rows, [0.1] + [0.15] * 6)


def _concept_names(data: ReportData, lang: str) -> dict[str, str]:
    return {k: v[0] if lang == "vi" else v[1] for k, v in data.localisation.names.items()}


def _sector_name(data: ReportData, sector_id: str | None, lang: str) -> str:
    if sector_id is None:
        return ""
    return _concept_names(data, lang).get(sector_id, sector_id)


# --------------------------------------------------------------------------------------
# From a match to the first orders (``catalog.deals.funnel``)
# --------------------------------------------------------------------------------------

FUNNEL_NOTE = N_(
    "The funnel counts the needs of the province's buyers posted or active in the "
    "period; each stage counts the needs (and deals) that reached it or a later one by "
    "the period's end, from every source (answers, introductions, meetings at events, "
    "quotes, orders). A local supplier is a firm of the buyer's province. A need has "
    "stalled when it is open, without an order, and nothing moved on it for more than "
    "%(days)s days."
)


def _funnel_shown(data: ReportData) -> bool:
    return data.funnel is not None and data.funnel.needs_answered > 0


def _days(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 1)


def funnel_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    """(figure, value) rows of the funnel, for the summary and the PDF."""
    f = data.funnel
    if f is None:
        return []
    return [
        [t(N_("Needs posted in the period")), f.needs_posted],
        [t(N_("Needs posted or active in the period")), f.needs_counted],
        [t(N_("Needs answered (at least one supplier)")), f.needs_answered],
        [t(N_("Quotes received")), f.quotes_received],
        [t(N_("Deals with a sample ordered")), f.samples_ordered],
        [t(N_("Deals with a sample approved")), f.samples_approved],
        [t(N_("First purchase orders")), len(f.first_orders)],
        [t(N_("Value of first orders (VND)")), f.first_order_value_vnd],
        [t(N_("Median days from match to first order")), _days(f.median_days_to_order)],
        [t(N_("Deals with a meeting at an event")), f.deals_from_meetings],
        [t(N_("Stalled needs")), len(f.stalled)],
    ]


def funnel_table(data: ReportData, t: Translator) -> Table:
    """Needs and deals per stage reached, and how many needs reached it locally."""
    rows = [
        [
            t(STAGE_LABELS[s.stage]),
            s.needs,
            s.deals,
            s.local_needs,
            _share(s.local_needs, s.needs),
        ]
        for s in (data.funnel.stages if data.funnel else [])
    ]
    headers = [
        t(N_("Stage reached (or a later one)")),
        t(N_("Needs")),
        t(N_("Deals")),
        t(N_("Needs with a local supplier")),
        t(N_("Share of needs with a local supplier")),
    ]
    return Table(t(N_("From match to first order")), headers, rows, [0.3, 0.14, 0.14, 0.2, 0.22])


def _group_rows(groups, none_label: str, t: Translator, with_needs: bool) -> list[list[Any]]:
    return [
        [
            g.label(t.lang) if g.key is not None else none_label,
            *([g.needs] if with_needs else []),
            g.answered,
            g.quoted,
            g.sample_approved,
            g.first_orders,
            g.value_vnd,
        ]
        for g in groups
    ]


def _group_headers(first: str, t: Translator, with_needs: bool) -> list[str]:
    return [
        first,
        *([t(N_("Needs posted or active"))] if with_needs else []),
        t(N_("Needs answered")),
        t(N_("Needs quoted")),
        t(N_("Needs with a sample approved")),
        t(N_("First orders")),
        t(N_("Value (VND)")),
    ]


def funnel_sector_table(data: ReportData, t: Translator) -> Table:
    groups = data.funnel.by_sector if data.funnel else []
    rows = _group_rows(groups, t(N_("No sector declared")), t, with_needs=True)
    headers = _group_headers(t(N_("Sector")), t, with_needs=True)
    return Table(
        t(N_("Funnel by sector")), headers, rows, [0.25, 0.12, 0.12, 0.12, 0.13, 0.11, 0.15]
    )


def funnel_former_table(data: ReportData, t: Translator) -> Table:
    groups = data.funnel.by_former_province if data.funnel else []
    rows = _group_rows(groups, t(N_("Not recorded")), t, with_needs=False)
    headers = _group_headers(t(N_("Supplier's former province")), t, with_needs=False)
    return Table(
        t(N_("Funnel by the supplier's former province")),
        headers,
        rows,
        [0.3, 0.13, 0.13, 0.13, 0.13, 0.18],
    )


def first_order_table(data: ReportData, t: Translator) -> Table:
    yes, no = t(N_("Yes")), t(N_("No"))
    rows = [
        [
            o.need_title,
            o.buyer_name,
            o.supplier_name,
            yes if o.local else no,
            o.ordered_on,
            o.value_vnd,
            o.days_from_match,
        ]
        for o in (data.funnel.first_orders if data.funnel else [])
    ]
    headers = [
        t(N_("Need")),
        t(pgettext("report", "Buyer")),
        t(N_("Supplier")),
        t(N_("Local supplier")),
        t(N_("Ordered on")),
        t(N_("Value (VND)")),
        t(N_("Days from match")),
    ]
    return Table(
        t(N_("First purchase orders")), headers, rows, [0.24, 0.17, 0.17, 0.08, 0.11, 0.13, 0.1]
    )


def stalled_table(data: ReportData, t: Translator) -> Table:
    f = data.funnel
    rows = [
        [
            n.title,
            n.buyer_name,
            t(STAGE_LABELS[n.stage]) if n.stage else t(N_("No answer")),
            n.since,
            n.days,
        ]
        for n in (f.stalled if f else [])
    ]
    headers = [
        t(N_("Need")),
        t(pgettext("report", "Buyer")),
        t(N_("Furthest stage")),
        t(N_("Last move")),
        t(N_("Days since")),
    ]
    title = t(
        N_("Stalled needs (nothing moved for more than %(days)s days)"),
        days=f.stall_days if f else 30,
    )
    return Table(title, headers, rows, [0.34, 0.22, 0.16, 0.14, 0.14])


# --------------------------------------------------------------------------------------
# Support programmes (``catalog.programmes``): budgets, payments, targets, firms
# --------------------------------------------------------------------------------------

PROGRAMME_NOTE = N_(
    "Amounts in million VND. Planned: the lines' budgets for the period's year. "
    "Approved: the amounts approved, counted on the day of the decision; disbursed: the "
    "payments, counted on the day paid; to date: up to the end of the period. Targets "
    "count what was done by the end of the period, over the programme's years unless a "
    "year is given. Supported firms: supports approved by the end of the period and not "
    "completed before it."
)


def _line_report(
    line: models.SupportLine, apps: list[models.SupportApplication], period: Period
) -> LineReport:
    start, end = period.start, period.end
    out = LineReport(line.name, line.kind)
    for b in line.budgets:
        if b.year == period.year:
            out.planned[b.source] = out.planned.get(b.source, 0) + b.planned_vnd
    for a in apps:
        if start <= a.applied_on <= end:
            out.received += 1
        decided_on = a.decided_on
        if a.status in DECIDED and decided_on is not None and decided_on <= end:
            out.committed_to_date += a.approved_vnd or 0
            if decided_on >= start:
                out.approved += 1
                out.committed_in_period += a.approved_vnd or 0
        for d in a.disbursements:
            if d.paid_on <= end:
                out.disbursed_to_date += d.amount_vnd
                if d.paid_on >= start:
                    out.disbursed_in_period += d.amount_vnd
    out.targets = [
        TargetReport(t.measure, t.value, t.year, target_actual(t, apps, end)) for t in line.targets
    ]
    return out


def programme_figures(
    session: Session, province_id: int | None, period: Period
) -> list[ProgrammeReport]:
    """The programmes of the province (None: of every province) whose years include the
    period's, line by line (``LineReport``), in the order they were set up."""
    query = (
        select(models.Programme)
        .where(
            models.Programme.start_year <= period.year,
            models.Programme.end_year >= period.year,
        )
        .options(
            selectinload(models.Programme.province),
            selectinload(models.Programme.lines).selectinload(models.SupportLine.budgets),
            selectinload(models.Programme.lines).selectinload(models.SupportLine.targets),
        )
        .order_by(models.Programme.id)
    )
    if province_id is not None:
        query = query.where(models.Programme.province_id == province_id)
    programmes = list(session.scalars(query))
    line_ids = [line.id for p in programmes for line in p.lines]
    by_line: dict[int, list[models.SupportApplication]] = defaultdict(list)
    for a in session.scalars(
        select(models.SupportApplication)
        .where(models.SupportApplication.line_id.in_(line_ids or [-1]))
        .options(selectinload(models.SupportApplication.disbursements))
    ):
        by_line[a.line_id].append(a)
    return [
        ProgrammeReport(
            p.name,
            p.legal_basis,
            p.start_year,
            p.end_year,
            (p.province.name_vi, p.province.name_en),
            [_line_report(line, by_line[line.id], period) for line in p.lines],
        )
        for p in programmes
    ]


def support_rows(session: Session, province_id: int | None, period: Period) -> list[SupportRow]:
    """The supports of the period (``supported_firms``), with every name the lists show
    read now, so rendering needs no database."""
    rows = []
    provinces = None if province_id is None else {province_id}
    for s in supported_firms(session, provinces, period.start, period.end):
        a, firm = s.application, s.application.firm
        former = firm.former_province
        cert = a.certification
        rows.append(
            SupportRow(
                firm=(firm.name_vi or "", firm.name_en or ""),
                tax_code=firm.tax_code or "",
                province=(firm.province.name_vi, firm.province.name_en),
                former_province=(former.name_vi, former.name_en) if former else None,
                line=a.line.name,
                kind=a.line.kind,
                purpose=a.purpose,
                approved_vnd=a.approved_vnd,
                paid_in_period=s.paid_in_period,
                paid_to_date=s.paid_to_date,
                status=a.status,
                result_note=a.result_note,
                certificate=(cert.standard, cert.certificate_no) if cert else None,
                workers_trained=a.workers_trained,
                completed_on=a.completed_on,
            )
        )
    return rows


def _money_vnd(line: LineReport) -> list[int]:
    """A line's amounts in the columns of ``money_headers``, in đồng."""
    return [
        *(line.planned.get(s, 0) for s in models.FundingSource),
        sum(line.planned.values()),
        line.committed_in_period,
        line.committed_to_date,
        line.disbursed_in_period,
        line.disbursed_to_date,
    ]


def _money(line: LineReport) -> list[Million | None]:
    return [million(v) for v in _money_vnd(line)]


def money_headers(data: ReportData, t: Translator) -> list[tuple[str, str]]:
    """The amount columns as (group, column): planned for the year by source and in
    total, approved and disbursed in the period and to date."""
    planned = t(N_("Planned for %(year)s"), year=data.period.year)
    approved = t(N_("Approved amounts"))
    disbursed = t(N_("Disbursed"))
    in_period, to_date = t(N_("In the period")), t(N_("To date"))
    return [
        *((planned, t(SOURCE_LABELS[s])) for s in models.FundingSource),
        (planned, t(N_("Total"))),
        (approved, in_period),
        (approved, to_date),
        (disbursed, in_period),
        (disbursed, to_date),
    ]


def _in_millions(t: Translator, group: str, column: str) -> str:
    return t(N_("%(group)s: %(column)s (million VND)"), group=group, column=column)


def _years(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


def _target_year(target: TargetReport, programme: ProgrammeReport) -> str:
    """The target's year, or the programme's years (text: a year is not a quantity)."""
    if target.year is not None:
        return str(target.year)
    return _years(programme.start_year, programme.end_year)


def _money_table(
    title: str, p: ProgrammeReport, columns: slice, headers: list[str], t: Translator
) -> Table:
    """A PDF table of one programme's amounts (``columns`` of ``_money_vnd``), a row per
    line and, as the provinces' budget tables have it, their total."""
    rows: list[list[Any]] = [
        [str(i), line.name, *_money(line)[columns]] for i, line in enumerate(p.lines, start=1)
    ]
    if len(p.lines) > 1:
        totals = [sum(column) for column in zip(*(_money_vnd(x) for x in p.lines), strict=True)]
        rows.append(["", t(N_("Total")), *(million(v) for v in totals[columns])])
    n = len(headers)
    return Table(
        title,
        [t(pgettext("report", "No.")), t(N_("Support line")), *headers],
        rows,
        [0.065, 0.935 - 0.14 * n, *[0.14] * n],
    )


def programme_budget_table(data: ReportData, p: ProgrammeReport, t: Translator) -> Table:
    """The PDF's table of what the lines planned for the period's year, by source."""
    columns = money_headers(data, t)[:4]
    return _money_table(
        t(N_("Budget planned for %(year)s (million VND)"), year=data.period.year),
        p,
        slice(0, 4),
        [c for _g, c in columns],
        t,
    )


def programme_payment_table(data: ReportData, p: ProgrammeReport, t: Translator) -> Table:
    """The PDF's table of the amounts approved and paid, in the period and to date; the
    template groups its columns under "approved" and "disbursed" (``payment_groups``)."""
    columns = money_headers(data, t)[4:]
    return _money_table(
        t(N_("Amounts approved and disbursed (million VND)")),
        p,
        slice(4, None),
        [c for _g, c in columns],
        t,
    )


Groups = list[tuple[str | None, int]]


def header_groups(columns: Sequence[tuple[str | None, str]]) -> Groups:
    """A PDF table's two-row header: runs of columns under one label, (label, columns
    spanned); None: one column whose header takes both rows."""
    groups: Groups = []
    for group, _header in columns:
        if group is not None and groups and groups[-1][0] == group:
            groups[-1] = (group, groups[-1][1] + 1)
        else:
            groups.append((group, 1))
    return groups


def payment_groups(data: ReportData, t: Translator) -> Groups:
    """The payment table's columns under "approved" and "disbursed"."""
    return header_groups([(None, ""), (None, ""), *money_headers(data, t)[4:]])


def programme_activity_table(p: ProgrammeReport, t: Translator) -> tuple[Table, Groups]:
    """The PDF's table of one programme's applications and counted targets: a row per
    target (the line's figures on its first row), a line without targets on one row."""
    rows: list[list[Any]] = []
    for i, line in enumerate(p.lines, start=1):
        first = [str(i), line.name, line.received, line.approved]
        if not line.targets:
            rows.append([*first, "", "", None, None])
        for k, target in enumerate(line.targets):
            rows.append(
                [
                    *(first if k == 0 else ["", "", None, None]),
                    t(MEASURE_LABELS[target.measure]),
                    _target_year(target, p),
                    target.value,
                    target.actual,
                ]
            )
    applications = t(N_("Applications in the period"))
    columns = [
        (None, t(pgettext("report", "No."))),
        (None, t(N_("Support line"))),
        (applications, t(pgettext("report", "Received"))),
        (applications, t(pgettext("report", "Approved"))),
        (None, t(N_("Target"))),
        (None, t(N_("Year"))),
        (None, t(pgettext("report", "Target value"))),
        (None, t(N_("Done by the end of the period"))),
    ]
    table = Table(
        t(N_("Applications and counted targets")),
        [header for _group, header in columns],
        rows,
        [0.065, 0.27, 0.11, 0.11, 0.17, 0.1, 0.08, 0.095],
    )
    return table, header_groups(columns)


def programme_table(data: ReportData, t: Translator) -> Table:
    """The workbook's sheet of programme figures: a row per support line."""
    rows = []
    for p in data.programmes:
        for i, line in enumerate(p.lines, start=1):
            rows.append(
                [
                    p.name,
                    i,
                    line.name,
                    t(KIND_LABELS[line.kind]),
                    *_money(line),
                    line.received,
                    line.approved,
                ]
            )
    headers = [
        t(N_("Programme")),
        t(pgettext("report", "No.")),
        t(N_("Support line")),
        t(N_("Kind of support")),
        *(_in_millions(t, g, c) for g, c in money_headers(data, t)),
        t(N_("Applications received in the period")),
        t(N_("Applications approved in the period")),
    ]
    return Table(t(N_("Support programmes")), headers, rows)


def programme_target_table(data: ReportData, t: Translator) -> Table:
    rows = [
        [
            p.name,
            i,
            line.name,
            t(MEASURE_LABELS[target.measure]),
            _target_year(target, p),
            target.value,
            target.actual,
        ]
        for p in data.programmes
        for i, line in enumerate(p.lines, start=1)
        for target in line.targets
    ]
    headers = [
        t(N_("Programme")),
        t(pgettext("report", "No.")),
        t(N_("Support line")),
        t(N_("Target")),
        t(N_("Year")),
        t(pgettext("report", "Target value")),
        t(N_("Done by the end of the period")),
    ]
    return Table(t(N_("Counted targets of the support lines")), headers, rows)


def _result(row: SupportRow, t: Translator) -> str:
    """The support's result as one text: the officer's note, the certificate obtained,
    the workers trained (stored texts as written)."""
    parts = [row.result_note] if row.result_note else []
    if row.certificate is not None:
        standard, number_ = row.certificate
        parts.append(
            t(N_("Certificate %(standard)s no. %(number)s"), standard=standard, number=number_)
            if number_
            else standard
        )
    if row.workers_trained:
        parts.append(
            t(
                N_("%(count)s workers trained"),
                count=format_decimal(row.workers_trained, locale=t.lang),
            )
        )
    return "; ".join(parts)


def supported_table(data: ReportData, t: Translator) -> tuple[Table, Groups]:
    """The PDF's list of the firms supported in the period."""
    rows = [
        [
            str(i),
            r.firm_name(t.lang),
            r.line,
            million(r.approved_vnd),
            million(r.paid_in_period),
            million(r.paid_to_date),
            _result(r, t),
        ]
        for i, r in enumerate(data.supported, start=1)
    ]
    amounts = t(N_("Million VND"))
    columns = [
        (None, t(pgettext("report", "No."))),
        (None, t(N_("Firm"))),
        (None, t(N_("Support line"))),
        (amounts, t(N_("Approved amount"))),
        (amounts, t(N_("Paid in the period"))),
        (amounts, t(N_("Paid to date"))),
        (None, t(N_("Result"))),
    ]
    table = Table(
        t(N_("Firms supported in the period")),
        [header for _group, header in columns],
        rows,
        [0.065, 0.19, 0.18, 0.11, 0.11, 0.11, 0.235],
    )
    return table, header_groups(columns)


def supported_sheet(data: ReportData, t: Translator) -> Table:
    """The workbook's list of supported firms, in the columns the ministry asks for."""
    rows = [
        [
            i,
            r.firm_name(t.lang),
            r.tax_code,
            r.province[0] if t.lang == "vi" else r.province[1],
            "" if r.former_province is None else r.former_province[0 if t.lang == "vi" else 1],
            r.line,
            t(KIND_LABELS[r.kind]),
            r.purpose,
            million(r.approved_vnd),
            million(r.paid_in_period),
            million(r.paid_to_date),
            t(STATUS_LABELS[r.status]),
            _result(r, t),
            r.completed_on,
        ]
        for i, r in enumerate(data.supported, start=1)
    ]
    headers = [
        t(pgettext("report", "No.")),
        t(N_("Firm name")),
        t(N_("Tax code")),
        t(pgettext("report", "Province")),
        t(N_("Former province")),
        t(N_("Support line")),
        t(N_("Kind of support")),
        t(N_("Purpose")),
        t(N_("Approved (million VND)")),
        t(N_("Paid in the period (million VND)")),
        t(N_("Paid to date (million VND)")),
        t(N_("Application status")),
        t(N_("Result or certificate obtained")),
        t(N_("Completed on")),
    ]
    return Table(t(N_("Firms supported in the period")), headers, rows)


def programme_rows(data: ReportData, t: Translator) -> list[list[Any]]:
    """(figure, value) rows of the programmes for the summary sheet."""
    lines = [line for p in data.programmes for line in p.lines]
    return [
        [t(N_("Programmes running in the period")), len(data.programmes)],
        [t(N_("Applications received in the period")), sum(x.received for x in lines)],
        [t(N_("Applications approved in the period")), sum(x.approved for x in lines)],
        [t(N_("Firms supported in the period")), len({r.firm for r in data.supported})],
        [
            t(N_("Disbursed in the period (million VND)")),
            million(sum(x.disbursed_in_period for x in lines)),
        ],
        [
            t(N_("Disbursed to date (million VND)")),
            million(sum(x.disbursed_to_date for x in lines)),
        ],
    ]


def programme_sheets(data: ReportData, t: Translator) -> list[tuple[str, Table]]:
    """The workbook's programme sheets; none when no programme runs in the period."""
    if not data.programmes:
        return []
    return [
        (t(N_("Programmes")), programme_table(data, t)),
        (t(N_("Programme targets")), programme_target_table(data, t)),
        (t(N_("Supported firms")), supported_sheet(data, t)),
    ]


PROGRAMME_SECTION = "IV"  # before the difficulties and proposals, which become V


def programme_html(data: ReportData, t: Translator) -> str:
    """The PDF's section on the support programmes (``report_programmes.html``): per
    programme the lines' budget for the year, the amounts approved and disbursed, the
    applications and counted targets; then the firms supported. Like the funnel's, the
    section is left out of a report whose province runs no programme in the period."""
    programmes = []
    for p in data.programmes:
        details = [t(N_("Years: %(years)s"), years=_years(p.start_year, p.end_year))]
        if p.legal_basis:
            details.insert(0, p.legal_basis)
        if data.dashboard.province is None:
            details.insert(0, p.province[0] if t.lang == "vi" else p.province[1])
        programmes.append(
            {
                "name": p.name,
                "details": "; ".join(details),
                "budget": (programme_budget_table(data, p, t), None),
                "payments": (programme_payment_table(data, p, t), payment_groups(data, t)),
                "activity": programme_activity_table(p, t),
            }
        )
    return pdf.html(
        "report_programmes.html",
        _=t,
        cell=_cell(t),
        section=PROGRAMME_SECTION,
        heading=t(N_("SUPPORT TO FIRMS UNDER THE PROGRAMMES")),
        programmes=programmes,
        supported=supported_table(data, t),
        supported_heading=t(N_("Firms supported in the period")),
        note=t(PROGRAMME_NOTE),
    )


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


def report_charts(
    data: ReportData, t: Translator, only: Sequence[str] | None = None
) -> dict[str, Figure]:
    """The report's four charts, by key, in the report's language (or those in
    ``only``; the two about localisation need ``data.localisation``)."""
    lang = t.lang
    d, loc = data.dashboard, data.localisation
    # Target lines belong on one province's counts; over all provinces' counts a
    # province's trajectory would mislead, so the national chart has none.
    growth_targets = [
        s for s in d.targets if s.target.kind == "sector_growth" and d.province is not None
    ]
    targeted = {s.target.sector for s in growth_targets}
    chosen = [s for s in d.firms.sectors if s.sector_id in targeted]
    chosen += [s for s in d.firms.sectors if s not in chosen][: max(0, TOP_SECTORS - len(chosen))]
    no_sector = t(N_("No sector declared"))
    series = [(s.label(lang) if s.sector_id else no_sector, s.counts) for s in chosen]
    lines = []
    for status in growth_targets:
        target = status.target
        if status.base_value is None:
            continue
        sector = next((s for s in chosen if s.sector_id == target.sector), None)
        years = [y for y in d.firms.years if y >= target.base_year]
        values = {y: target.value_for(y, status.base_value) for y in years}
        label = t(N_("Target: %(label)s"), label=target.label(lang))
        lines.append((label, values, sector.label(lang) if sector else None))
    v = d.verification
    empty = t(N_("No data yet"))
    makers = {
        "sectors": lambda: charts.firms_by_sector(
            series,
            title=t(N_("Supplier firms by sector, with targets")),
            xlabel=t(N_("Year")),
            ylabel=t(pgettext("chart axis", "Firms")),
            targets=lines,
            empty=empty,
        ),
        "local": lambda: charts.local_matches(
            loc.with_local,
            loc.without_local,
            title=t(pgettext("report", "Open needs with and without a local supplier")),
            with_label=t(N_("Open needs with a good local supplier")),
            without_label=t(N_("Open needs without a local supplier")),
            empty=empty,
        ),
        "verification": lambda: charts.verification_coverage(
            [
                (t(N_("Firm")), v.firms_verified, v.supplier_firms),
                (t(N_("Capability")), v.capabilities_verified, v.capabilities),
                (t(N_("Certification")), v.certifications_verified, v.certifications),
            ],
            title=t(pgettext("report", "Verification coverage")),
            verified_label=t(pgettext("report", "Verified")),
            unverified_label=t(N_("Not verified")),
            empty=empty,
        ),
        "gaps": lambda: charts.gap_list(
            [(g.label(lang), g.needs) for g in loc.by_part_family],
            title=t(N_("Largest localisation gaps")),
            xlabel=t(pgettext("chart axis", "Open needs without a local supplier")),
            top=TOP_GAPS,
            empty=empty,
        ),
        "funnel": lambda: charts.funnel_bars(
            [
                (t(STAGE_LABELS[s.stage]), s.needs, s.local_needs)
                for s in (data.funnel.stages if data.funnel else [])
            ],
            title=t(N_("From match to first order")),
            xlabel=t(N_("Needs that reached the stage or a later one")),
            local_label=t(N_("with a local supplier")),
            other_label=t(N_("with suppliers from elsewhere only")),
            empty=empty,
        ),
    }
    wanted = only or tuple(k for k in makers if k != "funnel" or _funnel_shown(data))
    if loc is None:
        wanted = [k for k in wanted if k not in ("local", "gaps")]
    return {key: makers[key]() for key in wanted}


# --------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------


def document(data: ReportData, t: Translator, figures: dict[str, Figure]) -> Document:
    """The report as the spreadsheet lays it out (see ``documents.content.Document``)."""
    sheets = [
        (t(N_("Targets")), target_table(data, t)),
        (t(pgettext("report", "Sectors")), sector_table(data, t)),
        (t(N_("Gaps")), gap_table(data, t)),
        (t(N_("Gaps by sector")), gap_sector_table(data, t)),
        (t(N_("Open needs")), need_table(data, t)),
        (t(N_("Expiring verifications")), expiring_table(data, t)),
    ]
    if data.funnel is not None:
        sheets += [
            (t(N_("Funnel")), funnel_table(data, t)),
            (t(N_("Funnel by sector")), funnel_sector_table(data, t)),
            (t(N_("Funnel by former province")), funnel_former_table(data, t)),
            (t(N_("First orders")), first_order_table(data, t)),
            (t(N_("Stalled needs")), stalled_table(data, t)),
        ]
    sheets += programme_sheets(data, t)
    if data.quarters:
        sheets.append((t(N_("Quarters")), quarter_table(data, t)))
    return Document(
        title=title(data, t),
        facts=[
            (t(pgettext("report", "Province")), _province(data, t)),
            (t(pgettext("report", "Period")), period_name(data.period, t)),
            (t(N_("Generated on")), data.dashboard.generated_on),
            (t(N_("Figures as of")), data.as_of),
        ],
        summary_sheet=t(N_("Summary")),
        headers=(t(N_("Figure")), t(N_("Value"))),
        summary=summary_rows(data, t),
        note=t(METHOD_NOTE, threshold=data.localisation.threshold * 100),
        sheets=sheets,
        charts_sheet=t(N_("Charts")),
        charts=figures,
        empty=t(N_("None")),
    )


# --------------------------------------------------------------------------------------
# The PDF: an administrative document (documents/templates/report.html)
# --------------------------------------------------------------------------------------


def period_name(period: Period, t: Translator) -> str:
    """ "quý IV năm 2026" / "Q4 2026"; "năm 2026" / "the year 2026"."""
    if period.kind == "year":
        return t(N_("the year %(year)s"), year=period.year)
    # One placeholder for both languages: Vietnamese writes quarters in Roman numerals.
    quarter = ROMAN[period.quarter] if t.lang == "vi" else period.quarter
    return t(N_("Q%(quarter)s %(year)s"), quarter=quarter, year=period.year)


def long_date(day: date, t: Translator) -> str:
    """A date as a document writes it: "ngày 3 tháng 12 năm 2026" / "3 December 2026"."""
    # TRANSLATORS: a CLDR date pattern; quoted words are literal.
    return format_date(day, t(N_("d MMMM y")), locale=t.lang)


def short_date(day: date, t: Translator) -> str:
    # TRANSLATORS: a CLDR date pattern for table cells.
    return format_date(day, t(N_("yyyy-MM-dd")), locale=t.lang)


def _cell(t: Translator):
    """How a table cell is written in the report's language."""

    def cell(value: Any) -> str:  # text: markup of its escaped words (``pdf.unbroken``)
        if isinstance(value, date):
            return short_date(value, t)
        if isinstance(value, Million):  # million VND (documents.amounts)
            return format_decimal(value, PDF_PATTERN, locale=t.lang)
        if isinstance(value, int) and not isinstance(value, bool):
            return format_decimal(value, locale=t.lang)
        if isinstance(value, Pct):
            return format_percent(value, "+#,##0%;-#,##0%", locale=t.lang)
        if isinstance(value, str):
            return pdf.unbroken(pdf.cell_text(value))
        return pdf.cell_text(value)

    return cell


def _with_data(data: ReportData) -> list[str]:
    """The charts that have something to show: an empty chart is a wasted page."""
    d, loc = data.dashboard, data.localisation
    keys = []
    if d.firms.total.latest:
        keys.append("sectors")
    if d.verification.firms_verified or d.verification.capabilities_verified:
        keys.append("verification")
    if loc is not None and loc.needs:
        keys.append("local")
    if loc is not None and loc.by_part_family:
        keys.append("gaps")
    if _funnel_shown(data):
        keys.append("funnel")
    return keys


def pdf_sector_table(data: ReportData, t: Translator) -> Table:
    """Firms per sector at the end of each year, with the last year's growth."""
    firms = data.dashboard.firms
    years = firms.years[-6:]
    last = years[-1]
    rows = []
    for s in [*firms.sectors, firms.total]:
        if s.sector_id == "*":
            name = t(N_("All supplier firms"))
        elif s.sector_id is None:
            name = t(N_("No sector declared"))
        else:
            name = s.label(t.lang)
        growth = s.growth.get(last)
        rows.append([name, *(s.counts[y] for y in years), None if growth is None else Pct(growth)])
    headers = [t(N_("Sector")), *(str(y) for y in years), t(N_("Growth on the year before"))]
    share = 0.58 / len(years)
    return Table(
        t(N_("Firms at the end of the year")), headers, rows, [0.28, *[share] * len(years), 0.14]
    )


def region_table(data: ReportData, t: Translator) -> Table | None:
    if data.regions is None:
        return None
    merged = data.dashboard.province is not None
    rows = [
        [
            r.label(t.lang) if r.key is not None else t(N_("Not recorded")),
            r.firms,
            r.new,
            r.verified,
        ]
        for r in data.regions
    ]
    d = data.dashboard
    rows.append(
        [t(N_("Total")), d.firms.total.latest, d.firms.new_in_period, d.verification.firms_verified]
    )
    headers = [
        t(N_("Former province")) if merged else t(pgettext("report", "Province")),
        t(N_("Supplier firms (end of period)")),
        t(N_("Firms founded or registered in the year")),
        t(N_("Firms with a current verification")),
    ]
    heading = t(N_("Firms by former province")) if merged else t(N_("Firms by province"))
    return Table(heading, headers, rows, [0.37, 0.21, 0.21, 0.21])


def pdf_need_table(data: ReportData, t: Translator) -> Table:
    """The open needs without a good local supplier, with the buyer and the best local
    firm found (if any) and why it falls short."""
    rows = []
    for n in data.localisation.gaps:
        best = n.best_local
        rows.append(
            [
                n.title,
                n.buyer_name,
                data.province_name(n.buyer_province, t.lang),
                best.firm_name if best else "",
                round(best.score * 100) if best else None,
                t(REASON[n.reason]),
            ]
        )
    headers = [
        t(N_("Need")),
        t(pgettext("report", "Buyer")),
        t(N_("Buyer's province")),
        t(N_("Best local supplier")),
        t(N_("Score")),
        t(N_("Reason")),
    ]
    return Table(
        t(N_("Open needs without a local supplier")),
        headers,
        rows,
        [0.27, 0.19, 0.12, 0.19, 0.08, 0.15],
    )


def pdf_html(
    data: ReportData,
    t: Translator,
    figures: dict[str, Figure] | None = None,
    *,
    number: str | None = None,
) -> str:
    """The report as an HTML document for WeasyPrint (``documents/templates``).

    Sections follow what the provincial programmes ask the Department to report (Thái
    Nguyên 2021, Điều 2; Vĩnh Phúc §IV): results against the targets; the firms of the
    catalogue, by sector and by former province; supply links and matchmaking; and the
    difficulties and proposals, left for the officer to write. ``number`` is the
    document's number ("15"); without it the number is left blank to be filled in.
    Only the charts that have data are shown.
    """
    wanted = _with_data(data)
    if figures is None:
        figures = report_charts(data, t, only=wanted)
    d = data.dashboard
    province = d.province
    place = province.label(t.lang) if province else ""
    subject_period = period_name(data.period, t)
    # Names and the period are not broken across lines in the header and the title.
    nbsp = str.maketrans(" ", "\u00a0")
    if province is not None:
        issuer = t(
            N_("Department of Industry and Trade of %(province)s"),
            province=place.upper().translate(nbsp),
        )
        committee = t(N_("People's Committee of %(province)s"), province=place)
    else:
        issuer, committee = t(N_("All provinces")), None
    ministry = t(N_("Ministry of Industry and Trade"))
    empty = t(N_("None"))
    regions = region_table(data, t)
    context = {
        "lang": t.lang,
        "_": t,
        "pgettext": lambda context, msgid: t(pgettext(context, msgid)),
        "cell": _cell(t),
        "issuer": issuer.upper(),
        "number_line": t(N_("No.: %(number)s/BC-SCT"), number=number or "\u2008" * 10),
        "place_date": t(N_("%(place)s, %(date)s"), place=place, date=long_date(d.generated_on, t))
        if place
        else long_date(d.generated_on, t),
        "heading": t(N_("REPORT")),
        "subject": t(
            N_("Results of the supporting-industry development programme, %(period)s"),
            period=subject_period.translate(nbsp),
        ),
        "addressees": [ministry, *([committee] if committee else [])],
        "intro": t(
            N_(
                "Carrying out the supporting-industry development programme, the "
                "Department of Industry and Trade reports its results for %(period)s, "
                "with the figures of the KetNoi supplier database as of %(date)s, as "
                "follows:"
            ),
            period=subject_period,
            date=long_date(data.as_of, t),
        ),
        "targets": target_table(data, t, brief=True),
        "firm_rows": firm_rows(data, t),
        "sectors": pdf_sector_table(data, t),
        "regions": regions,
        "verification_rows": verification_rows(data, t),
        "expiring": expiring_table(data, t),
        "need_rows": need_rows(data, t),
        "gaps": gap_table(data, t, limit=TOP_GAPS),
        "needs": pdf_need_table(data, t),
        "outcome_rows": outcome_rows(data, t),
        # Without events in the period, their meeting figures would be a column of zeros.
        "event_rows": event_rows(data, t) if d.events.events else event_rows(data, t)[:1],
        "quarters": quarter_table(data, t) if data.quarters else None,
        "funnel": data.funnel,
        # Without any answer, the funnel's further figures would be a column of zeros.
        "funnel_rows": funnel_rows(data, t)[: 2 if data.funnel.empty else None]
        if data.funnel
        else [],
        "funnel_stages": funnel_table(data, t) if data.funnel else None,
        "funnel_sectors": funnel_sector_table(data, t) if data.funnel else None,
        "funnel_formers": funnel_former_table(data, t) if data.funnel else None,
        "first_orders": first_order_table(data, t) if data.funnel else None,
        "stalled": stalled_table(data, t) if data.funnel else None,
        "funnel_note": t(FUNNEL_NOTE, days=data.funnel.stall_days) if data.funnel else "",
        "charts": {k: pdf.chart_image(figures[k]) for k in wanted if k in figures},
        "chart_titles": {k: t(CHART_TITLE[k]) for k in CHART_TITLE},
        "closing": t(
            N_(
                "The Department of Industry and Trade respectfully reports the above "
                "for consideration and direction."
            )
        ),
        "recipients": [t(N_("As above;")), t(N_("Filed: Records."))],
        "note": t(METHOD_NOTE, threshold=data.localisation.threshold * 100),
        "generated": t(
            N_("Prepared by KetNoi on %(date)s; the dashboard shows the same figures."),
            date=long_date(d.generated_on, t),
        ),
        "empty": empty,
    }
    # The support programmes' section, set before the difficulties and proposals.
    context["programme_section"] = Markup(programme_html(data, t)) if data.programmes else None
    return pdf.html("report.html", **context)


def render(
    data: ReportData,
    t: Translator,
    figures: dict[str, Figure] | None = None,
    formats: Sequence[str] = FORMATS,
    *,
    number: str | None = None,
) -> dict[str, bytes]:
    """The report in each of ``formats``, {"xlsx": bytes, "pdf": bytes}, from the same
    figures (and one drawing of the charts, ``figures`` if given). ``number``: the
    PDF's document number, blank when not given."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)} (one of {FORMATS})")
    figures = figures if figures is not None else report_charts(data, t)
    out = {}
    if "xlsx" in formats:
        out["xlsx"] = xlsx.render(document(data, t, figures))
    if "pdf" in formats:
        out["pdf"] = pdf.html_pdf(pdf_html(data, t, figures, number=number))
    return out


def build_report(
    session: Session,
    engine: MatchEngine,
    province_code: str | None,
    period: Period | str,
    t: Translator,
    *,
    formats: Sequence[str] = FORMATS,
    targets: TargetSet | None = None,
    today: date | None = None,
) -> dict[str, bytes]:
    """The report of a province (None: all) for a quarter or a year, as
    {"xlsx": bytes, "pdf": bytes} (only the requested ``formats``).

    ``period`` is a ``Period`` or its text ("2026-Q3", "2026"). The figures are
    computed once; the slow part is matching the open needs (see
    ``matching.localisation``), not the rendering.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)} (one of {FORMATS})")
    if isinstance(period, str):
        period = Period.parse(period)
    data = collect(session, engine, province_code, period, targets=targets, today=today)
    return render(data, t, formats=formats)
