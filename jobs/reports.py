"""Quarterly and annual reports of a province, as XLSX and PDF.

The provincial programmes ask the Department of Industry and Trade for periodic reports
to the province and the ministry (Thái Nguyên 2021, Điều 2.1: quarterly and yearly;
Vĩnh Phúc §IV: yearly). A report holds the dashboard's figures (``catalog.dashboard``),
the localisation gaps (``matching.localisation``), their charts (``jobs.charts``) and the
lists behind them. ``build_report`` is what the Celery task calls; it computes the
figures once and renders each requested format from the same rows, so the spreadsheet
and the PDF never disagree.

Labels are in the requested language from ``LABELS`` below, not from the web layer's
gettext catalogue: the worker renders without a request (and so without Flask-Babel's
locale). Move them into the catalogue when the worker gets a translation context.

Every text cell of the spreadsheet goes through ``catalog.export.safe_cell``, so a firm
named "=HYPERLINK(...)" stays text when an officer opens the file, and every text of a
PDF page through ``charts.plain`` on pages drawn in ``charts.chart_style`` (no mathtext):
stored text is written as the literal text it is, in both formats, even from rows
stored before validation refused control characters.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XLImage
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from catalog.dashboard import (
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
from catalog.export import safe_cell
from catalog.visibility import reading_as
from matching.engine import MatchEngine
from matching.localisation import Localisation, localisation

from . import charts

FORMATS = ("xlsx", "pdf")
A4 = (8.27, 11.69)
CHARTS = 4
# Table layout on an A4 page: the table's axes are 0.92 x 0.86 of the page; at 6.5 pt
# DejaVu Sans a text line takes about 1.35 % of that height and a column as wide as
# the axes holds about 140 average characters. A page holds about 50 one-line rows.
FONT_SIZE = 6.5
LINE_HEIGHT = 0.0135
CELL_PADDING = 0.006
CHARS_PER_WIDTH = 140
MAX_CELL_LINES = 6
TOP_SECTORS = 5  # sector lines on the firm-count chart (besides targeted sectors)
TOP_GAPS = 12
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}  # Vietnamese reports write "quý III/2026"

# Bilingual texts of the reports. Keys are stable; the web layer has its own catalogue.
LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title_quarter": "Báo cáo quý {roman}/{year}: kết nối cung ứng công nghiệp hỗ trợ",
        "title_year": "Báo cáo năm {year}: kết nối cung ứng công nghiệp hỗ trợ",
        "province": "Tỉnh",
        "all_provinces": "Tất cả các tỉnh",
        "period": "Kỳ báo cáo",
        "generated": "Ngày lập",
        "section_firms": "Doanh nghiệp CNHT",
        "section_targets": "Mục tiêu của tỉnh",
        "section_needs": "Nhu cầu của doanh nghiệp lắp ráp",
        "section_verification": "Xác nhận năng lực",
        "section_outcomes": "Kết quả kết nối",
        "supplier_firms": "Doanh nghiệp CNHT (cuối kỳ)",
        "new_firms": "Doanh nghiệp thành lập/đăng ký trong năm",
        "needs_posted": "Nhu cầu đăng trong kỳ",
        "needs_open": "Nhu cầu đang mở",
        "needs_local": "Nhu cầu có nhà cung ứng địa phương phù hợp",
        "needs_gap": "Nhu cầu chưa có nhà cung ứng địa phương",
        "threshold": "Ngưỡng điểm phù hợp",
        "firms_verified": "Doanh nghiệp có xác nhận còn hiệu lực",
        "caps_verified": "Năng lực đã xác nhận",
        "certs_verified": "Chứng nhận đã xác nhận",
        "profiles_confirmed": "Hồ sơ doanh nghiệp đã được xác minh",
        "checks_in_period": "Lượt xác nhận trong kỳ",
        "expiring_count": "Xác nhận hết hạn trong 60 ngày",
        "judgements": "Kết quả ghi nhận trong kỳ",
        "introductions": "Đề nghị giới thiệu trong kỳ",
        "relationships_created": "Quan hệ cung ứng mới trong kỳ",
        "relationships_from_deals": "trong đó từ giao dịch qua KetNoi",
        "tier_suppliers": "Doanh nghiệp là nhà cung ứng cấp 1, cấp 2 (cuối kỳ)",
        "section_events": "Sự kiện kết nối, triển lãm ngược",
        "events_count": "Sự kiện diễn ra trong kỳ",
        "event_mode_matchmaking": "  Hội nghị kết nối",
        "event_mode_reverse": "  Triển lãm ngược",
        "registered_buyer": "Doanh nghiệp mua đăng ký",
        "registered_supplier": "Doanh nghiệp cung ứng đăng ký",
        "meetings_held": "Cuộc gặp 1:1 đã diễn ra",
        "meeting_planned": "Cuộc gặp 1:1: đã xếp lịch",
        "meeting_held": "Cuộc gặp 1:1: đã diễn ra",
        "meeting_no_show": "Cuộc gặp 1:1: vắng mặt",
        "meeting_cancelled": "Cuộc gặp 1:1: đã hủy",
        "meeting_outcome_follow_up": "Kết quả gặp: tiếp tục trao đổi",
        "meeting_outcome_nda": "Kết quả gặp: ký thỏa thuận bảo mật",
        "meeting_outcome_sample_order": "Kết quả gặp: đặt hàng mẫu",
        "meeting_outcome_contract": "Kết quả gặp: ký hợp đồng",
        "meeting_outcome_no_interest": "Kết quả gặp: không quan tâm",
        "figure": "Chỉ tiêu",
        "value": "Giá trị",
        "target": "Mục tiêu",
        "year": "Năm",
        "target_value": "Giá trị mục tiêu",
        "actual": "Thực tế",
        "status": "Đánh giá",
        "source": "Căn cứ",
        "sector": "Ngành",
        "growth": "Tăng so với năm trước",
        "counts": "Số doanh nghiệp cuối năm",
        "all_firms": "Tất cả doanh nghiệp CNHT",
        "no_sector": "Chưa khai báo ngành",
        "group": "Nhóm linh kiện / công đoạn",
        "group_kind": "Loại nhóm",
        "kind_part_family": "Nhóm linh kiện",
        "kind_process": "Công đoạn",
        "kind_none": "Chưa phân loại",
        "needs": "Số nhu cầu",
        "buyers": "Số doanh nghiệp mua",
        "quantity": "Tổng sản lượng/năm",
        "examples": "Ví dụ",
        "groups": "Số nhóm",
        "need": "Nhu cầu",
        "need_id": "Mã",
        "buyer": "Doanh nghiệp mua",
        "buyer_province": "Tỉnh bên mua",
        "delivery": "Nơi giao hàng",
        "part_families": "Nhóm linh kiện",
        "local_match": "Có nhà cung ứng địa phương",
        "best_local": "Nhà cung ứng địa phương tốt nhất",
        "score": "Điểm",
        "reason": "Lý do",
        "firm": "Doanh nghiệp",
        "item": "Hạng mục",
        "item_kind": "Loại",
        "valid_until": "Hiệu lực đến",
        "days_left": "Còn (ngày)",
        "capability": "Năng lực",
        "certification": "Chứng nhận",
        "quarter": "Quý",
        "deals": "Giao dịch",
        "yes": "Có",
        "no": "Không",
        "none": "Không có",
        "status_met": "Đạt",
        "status_missed": "Không đạt",
        "status_on_track": "Đúng tiến độ",
        "status_behind": "Chậm tiến độ",
        "status_no_baseline": "Chưa có số liệu năm gốc",
        "reason_ok": "Có nhà cung ứng phù hợp",
        "reason_no_local_supplier": "Không có DN địa phương",
        "reason_below_threshold": "Dưới ngưỡng điểm",
        "reason_fails_required": "Thiếu yêu cầu bắt buộc",
        "reason_process": "Thiếu công đoạn yêu cầu",
        "outcome_rejected": "Từ chối",
        "outcome_shortlisted": "Đưa vào danh sách chọn",
        "outcome_introduced": "Đã giới thiệu",
        "outcome_meeting": "Đã gặp",
        "outcome_deal": "Ký kết",
        "intro_requested": "Đang chờ",
        "intro_accepted": "Đã chấp nhận",
        "intro_declined": "Từ chối",
        "sheet_summary": "Tổng hợp",
        "sheet_targets": "Mục tiêu",
        "sheet_sectors": "Theo ngành",
        "sheet_gaps": "Khoảng trống",
        "sheet_gap_sectors": "Khoảng trống theo ngành",
        "sheet_needs": "Nhu cầu đang mở",
        "sheet_expiring": "Xác nhận sắp hết hạn",
        "sheet_quarters": "Theo quý",
        "sheet_charts": "Biểu đồ",
        "chart_sectors": "Doanh nghiệp CNHT theo ngành và mục tiêu",
        "chart_local": "Nhu cầu đang mở có/chưa có nhà cung ứng địa phương",
        "chart_verification": "Mức độ xác nhận năng lực",
        "chart_gaps": "Khoảng trống nội địa hóa lớn nhất",
        "chart_empty": "Chưa có số liệu",
        "axis_year": "Năm",
        "axis_firms": "Số doanh nghiệp",
        "axis_needs": "Số nhu cầu chưa có nhà cung ứng địa phương",
        "verified": "Đã xác nhận",
        "unverified": "Chưa xác nhận",
        "target_line": "Mục tiêu: {label}",
        "list_gaps": "Khoảng trống nội địa hóa theo nhóm linh kiện",
        "list_gap_sectors": "Khoảng trống nội địa hóa theo ngành",
        "list_needs": "Nhu cầu chưa có nhà cung ứng địa phương",
        "list_expiring": "Xác nhận năng lực sắp hết hạn (60 ngày)",
        "list_quarters": "Số liệu theo quý",
        "list_targets": "Mục tiêu và thực hiện",
        "page": "Trang {n}",
        "method_note": (
            "Doanh nghiệp được tính từ năm thành lập (nếu không có: năm đăng ký trên hệ "
            "thống). Nhu cầu có nhà cung ứng địa phương phù hợp: trong danh sách kết quả, "
            "có doanh nghiệp trong tỉnh hoặc tỉnh giao hàng đạt điểm từ {threshold:.0f}, "
            "đáp ứng mọi yêu cầu bắt buộc và có công đoạn được yêu cầu. Nhu cầu không nêu "
            "nhóm linh kiện được xếp theo công đoạn."
        ),
    },
    "en": {
        "title_quarter": "Supporting-industry matchmaking report, Q{quarter} {year}",
        "title_year": "Supporting-industry matchmaking report, {year}",
        "province": "Province",
        "all_provinces": "All provinces",
        "period": "Period",
        "generated": "Generated on",
        "section_firms": "Supporting-industry firms",
        "section_targets": "Province targets",
        "section_needs": "Assemblers' needs",
        "section_verification": "Capability verification",
        "section_outcomes": "Matchmaking outcomes",
        "supplier_firms": "Supplier firms (end of period)",
        "new_firms": "Firms founded or registered in the year",
        "needs_posted": "Needs posted in the period",
        "needs_open": "Open needs",
        "needs_local": "Open needs with a good local supplier",
        "needs_gap": "Open needs without a local supplier",
        "threshold": "Good-match score threshold",
        "firms_verified": "Firms with a current verification",
        "caps_verified": "Capabilities verified",
        "certs_verified": "Certifications verified",
        "profiles_confirmed": "Firm profiles confirmed",
        "checks_in_period": "Verifications in the period",
        "expiring_count": "Verifications lapsing within 60 days",
        "judgements": "Outcomes recorded in the period",
        "introductions": "Introductions requested in the period",
        "relationships_created": "New supply relationships in the period",
        "relationships_from_deals": "of which from deals made on KetNoi",
        "tier_suppliers": "Firms supplying at tier 1 or 2 (end of period)",
        "section_events": "Matchmaking events and reverse exhibitions",
        "events_count": "Events held in the period",
        "event_mode_matchmaking": "  Matchmaking days",
        "event_mode_reverse": "  Reverse exhibitions",
        "registered_buyer": "Buyers registered",
        "registered_supplier": "Suppliers registered",
        "meetings_held": "1:1 meetings held",
        "meeting_planned": "1:1 meetings: scheduled",
        "meeting_held": "1:1 meetings: held",
        "meeting_no_show": "1:1 meetings: no-show",
        "meeting_cancelled": "1:1 meetings: cancelled",
        "meeting_outcome_follow_up": "Meeting outcome: follow-up",
        "meeting_outcome_nda": "Meeting outcome: NDA signed",
        "meeting_outcome_sample_order": "Meeting outcome: sample order",
        "meeting_outcome_contract": "Meeting outcome: contract",
        "meeting_outcome_no_interest": "Meeting outcome: no interest",
        "figure": "Figure",
        "value": "Value",
        "target": "Target",
        "year": "Year",
        "target_value": "Target value",
        "actual": "Actual",
        "status": "Status",
        "source": "Source",
        "sector": "Sector",
        "growth": "Growth on the year before",
        "counts": "Firms at the end of the year",
        "all_firms": "All supplier firms",
        "no_sector": "No sector declared",
        "group": "Part family / process",
        "group_kind": "Grouped by",
        "kind_part_family": "Part family",
        "kind_process": "Process",
        "kind_none": "Not classified",
        "needs": "Needs",
        "buyers": "Buyers",
        "quantity": "Total quantity/year",
        "examples": "Examples",
        "groups": "Groups",
        "need": "Need",
        "need_id": "ID",
        "buyer": "Buyer",
        "buyer_province": "Buyer's province",
        "delivery": "Delivery",
        "part_families": "Part families",
        "local_match": "Good local match",
        "best_local": "Best local supplier",
        "score": "Score",
        "reason": "Reason",
        "firm": "Firm",
        "item": "Item",
        "item_kind": "Kind",
        "valid_until": "Valid until",
        "days_left": "Days left",
        "capability": "Capability",
        "certification": "Certification",
        "quarter": "Quarter",
        "deals": "Deals",
        "yes": "Yes",
        "no": "No",
        "none": "None",
        "status_met": "Met",
        "status_missed": "Missed",
        "status_on_track": "On track",
        "status_behind": "Behind",
        "status_no_baseline": "No base-year data",
        "reason_ok": "Good local supplier",
        "reason_no_local_supplier": "No local supplier",
        "reason_below_threshold": "Below the threshold",
        "reason_fails_required": "Misses a requirement",
        "reason_process": "Lacks the process",
        "outcome_rejected": "Rejected",
        "outcome_shortlisted": "Shortlisted",
        "outcome_introduced": "Introduced",
        "outcome_meeting": "Meeting",
        "outcome_deal": "Deal",
        "intro_requested": "Pending",
        "intro_accepted": "Accepted",
        "intro_declined": "Declined",
        "sheet_summary": "Summary",
        "sheet_targets": "Targets",
        "sheet_sectors": "Sectors",
        "sheet_gaps": "Gaps",
        "sheet_gap_sectors": "Gaps by sector",
        "sheet_needs": "Open needs",
        "sheet_expiring": "Expiring verifications",
        "sheet_quarters": "Quarters",
        "sheet_charts": "Charts",
        "chart_sectors": "Supplier firms by sector, with targets",
        "chart_local": "Open needs with and without a local supplier",
        "chart_verification": "Verification coverage",
        "chart_gaps": "Largest localisation gaps",
        "chart_empty": "No data yet",
        "axis_year": "Year",
        "axis_firms": "Firms",
        "axis_needs": "Open needs without a local supplier",
        "verified": "Verified",
        "unverified": "Not verified",
        "target_line": "Target: {label}",
        "list_gaps": "Localisation gaps by part family",
        "list_gap_sectors": "Localisation gaps by sector",
        "list_needs": "Open needs without a local supplier",
        "list_expiring": "Verifications lapsing within 60 days",
        "list_quarters": "Figures by quarter",
        "list_targets": "Targets and results",
        "page": "Page {n}",
        "method_note": (
            "Firms count from the year they were founded (else the year registered here). "
            "A need has a good local supplier when its match list holds a firm of the "
            "province or of the delivery province scoring at least {threshold:.0f}, meeting "
            "every required constraint and declaring the process asked for. Needs that name "
            "no part family are grouped by their process."
        ),
    },
}


class Pct(float):
    """A share (0-1), shown as a percentage in both formats."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    widths: list[float] = field(default_factory=list)  # PDF column shares


@dataclass
class QuarterFigures:
    period: Period
    needs: NeedFigures
    outcomes: OutcomeFigures
    events: EventFigures


@dataclass
class ReportData:
    """Everything a report shows, computed once for both formats."""

    dashboard: Dashboard
    localisation: Localisation
    quarters: list[QuarterFigures]  # annual reports only

    @property
    def period(self) -> Period:
        return self.dashboard.period


def labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"no report labels for language {lang!r} (one of {sorted(LABELS)})")
    return LABELS[lang]


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
    return ReportData(board, gaps, quarters)


# --------------------------------------------------------------------------------------
# Rows, shared by both formats
# --------------------------------------------------------------------------------------


def _title(data: ReportData, t: dict[str, str]) -> str:
    p = data.period
    if p.kind == "year":
        return t["title_year"].format(year=p.year)
    return t["title_quarter"].format(quarter=p.quarter, roman=ROMAN[p.quarter], year=p.year)


def _province(data: ReportData, lang: str) -> str:
    province = data.dashboard.province
    return province.label(lang) if province else labels(lang)["all_provinces"]


def _share(done: int, total: int) -> str:
    return f"{done}/{total}" + (f" ({done / total:.0%})" if total else "")


def summary_rows(data: ReportData, lang: str) -> list[list[Any]]:
    """(figure, value) rows with section headings (a heading has value None)."""
    t = labels(lang)
    d, loc = data.dashboard, data.localisation
    v, o = d.verification, d.outcomes
    rows: list[list[Any]] = [
        [t["section_firms"], None],
        [t["supplier_firms"], d.firms.total.latest],
        [t["new_firms"], d.firms.new_in_period],
    ]
    if d.targets:
        rows.append([t["section_targets"], None])
        for s in d.targets:
            value = "" if s.target_value is None else f"{_num(s.target_value)}"
            rows.append(
                [
                    f"{s.target.label(lang)} ({s.year})",
                    f"{s.actual} / {value} — {t['status_' + s.status]}",
                ]
            )
    rows += [
        [t["section_needs"], None],
        [t["needs_posted"], d.needs.posted],
        [t["needs_open"], len(loc.needs)],
        [t["needs_local"], loc.with_local],
        [t["needs_gap"], loc.without_local],
        [t["threshold"], round(loc.threshold * 100)],
        [t["section_verification"], None],
        [t["firms_verified"], _share(v.firms_verified, v.supplier_firms)],
        [t["caps_verified"], _share(v.capabilities_verified, v.capabilities)],
        [t["certs_verified"], _share(v.certifications_verified, v.certifications)],
        [t["profiles_confirmed"], v.profiles_confirmed],
        [t["checks_in_period"], v.checks_in_period],
        [t["expiring_count"], len(v.expiring)],
        [t["section_outcomes"], None],
    ]
    for outcome in ("shortlisted", "introduced", "meeting", "deal", "rejected"):
        rows.append([f"{t['judgements']}: {t['outcome_' + outcome]}", o.judgements.get(outcome, 0)])
    for status in ("requested", "accepted", "declined"):
        rows.append(
            [f"{t['introductions']}: {t['intro_' + status]}", o.introductions.get(status, 0)]
        )
    rows += [
        [t["relationships_created"], o.relationships_created],
        [f"  {t['relationships_from_deals']}", o.relationships_from_deals],
        [t["tier_suppliers"], o.tier_suppliers],
    ]
    e = d.events
    rows += [
        [t["section_events"], None],
        [t["events_count"], e.events],
        *([t["event_mode_" + mode], e.by_mode.get(mode, 0)] for mode in ("matchmaking", "reverse")),
        *(
            [t["registered_" + side], e.registrations.get(side, 0)]
            for side in ("buyer", "supplier")
        ),
        *(
            [t["meeting_" + status], e.meetings.get(status, 0)]
            for status in ("planned", "held", "no_show", "cancelled")
        ),
        *(
            [t["meeting_outcome_" + outcome], e.outcomes.get(outcome, 0)]
            for outcome in ("follow_up", "nda", "sample_order", "contract", "no_interest")
        ),
    ]
    return rows


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def target_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    rows = [
        [
            s.target.label(lang),
            s.year,
            None if s.target_value is None else round(s.target_value, 1),
            s.actual,
            t["status_" + s.status],
            s.target.source,
        ]
        for s in data.dashboard.targets
    ]
    headers = [t["target"], t["year"], t["target_value"], t["actual"], t["status"], t["source"]]
    return Table(t["list_targets"], headers, rows, [0.3, 0.07, 0.1, 0.08, 0.1, 0.35])


def sector_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    firms = data.dashboard.firms
    rows = []
    for s in [firms.total, *firms.sectors]:
        name = t["all_firms"] if s.sector_id == "*" else s.label(lang)
        if s.sector_id is None:
            name = t["no_sector"]
        rows.append([name, *(s.counts[y] for y in firms.years)])
        rows.append(
            [
                f"  {t['growth']}",
                *(None if s.growth[y] is None else Pct(s.growth[y]) for y in firms.years),
            ]
        )
    headers = [t["sector"], *(str(y) for y in firms.years)]
    first = 0.3
    return Table(
        t["counts"], headers, rows, [first] + [(1 - first) / len(firms.years)] * len(firms.years)
    )


def gap_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    rows = [
        [
            g.label(lang),
            t["kind_" + g.kind],
            _sector_name(data, g.sector_id, lang),
            g.needs,
            g.buyers,
            g.quantity_per_year or None,
            "; ".join(e.title for e in g.examples),
        ]
        for g in data.localisation.by_part_family
    ]
    headers = [
        t["group"],
        t["group_kind"],
        t["sector"],
        t["needs"],
        t["buyers"],
        t["quantity"],
        t["examples"],
    ]
    return Table(t["list_gaps"], headers, rows, [0.2, 0.12, 0.14, 0.06, 0.06, 0.1, 0.32])


def gap_sector_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    rows = [
        [
            s.label(lang),
            s.needs,
            s.groups,
            "; ".join(e.title for e in s.examples),
        ]
        for s in data.localisation.by_sector
    ]
    headers = [t["sector"], t["needs"], t["groups"], t["examples"]]
    return Table(t["list_gap_sectors"], headers, rows, [0.25, 0.08, 0.08, 0.59])


def need_table(data: ReportData, lang: str, gaps_only: bool = False) -> Table:
    """Open needs with their best local supplier; ``gaps_only`` for the PDF list."""
    t = labels(lang)
    names = _concept_names(data, lang)
    needs = data.localisation.gaps if gaps_only else data.localisation.needs
    rows = []
    for n in needs:
        best = n.best_local
        row = [
            n.need_id,
            n.title,
            n.buyer_name,
            n.buyer_province or "",
            n.delivery_province or "",
            ", ".join(names.get(f, f) for f in n.part_families),
            t["yes"] if n.has_local_match else t["no"],
            best.firm_name if best else "",
            round(best.score * 100) if best else None,
            t["reason_" + n.reason],
        ]
        rows.append(row)
    headers = [
        t["need_id"],
        t["need"],
        t["buyer"],
        t["buyer_province"],
        t["delivery"],
        t["part_families"],
        t["local_match"],
        t["best_local"],
        t["score"],
        t["reason"],
    ]
    if gaps_only:  # every row would say "no"
        for row in [headers, *rows]:
            del row[6]
        widths = [0.05, 0.26, 0.15, 0.06, 0.06, 0.11, 0.14, 0.05, 0.12]
        return Table(t["list_needs"], headers, rows, widths)
    widths = [0.05, 0.25, 0.14, 0.05, 0.05, 0.1, 0.05, 0.14, 0.05, 0.12]
    return Table(t["sheet_needs"], headers, rows, widths)


def expiring_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    rows = [
        [e.firm_name, t[e.item_kind], e.item_label, e.valid_until, e.days_left]
        for e in data.dashboard.verification.expiring
    ]
    headers = [t["firm"], t["item_kind"], t["item"], t["valid_until"], t["days_left"]]
    return Table(t["list_expiring"], headers, rows, [0.32, 0.12, 0.32, 0.14, 0.1])


def quarter_table(data: ReportData, lang: str) -> Table:
    t = labels(lang)
    rows = [
        [
            q.period.label,
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
        t["quarter"],
        t["needs_posted"],
        t["judgements"],
        t["deals"],
        t["relationships_created"],
        t["events_count"],
        t["meetings_held"],
    ]
    return Table(t["list_quarters"], headers, rows, [0.1] + [0.15] * 6)


def _concept_names(data: ReportData, lang: str) -> dict[str, str]:
    return {k: v[0] if lang == "vi" else v[1] for k, v in data.localisation.names.items()}


def _sector_name(data: ReportData, sector_id: str | None, lang: str) -> str:
    if sector_id is None:
        return ""
    return _concept_names(data, lang).get(sector_id, sector_id)


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


def report_charts(
    data: ReportData, lang: str, only: Sequence[str] | None = None
) -> dict[str, Figure]:
    """The report's four charts, by key, in the report's language (or those in
    ``only``; the two about localisation need ``data.localisation``)."""
    t = labels(lang)
    d, loc = data.dashboard, data.localisation
    # Target lines belong on one province's counts; over all provinces' counts a
    # province's trajectory would mislead, so the national chart has none.
    growth_targets = [
        s for s in d.targets if s.target.kind == "sector_growth" and d.province is not None
    ]
    targeted = {s.target.sector for s in growth_targets}
    chosen = [s for s in d.firms.sectors if s.sector_id in targeted]
    chosen += [s for s in d.firms.sectors if s not in chosen][: max(0, TOP_SECTORS - len(chosen))]
    series = [(s.label(lang) if s.sector_id else t["no_sector"], s.counts) for s in chosen]
    lines = []
    for status in growth_targets:
        target = status.target
        if status.base_value is None:
            continue
        sector = next((s for s in chosen if s.sector_id == target.sector), None)
        years = [y for y in d.firms.years if y >= target.base_year]
        values = {y: target.value_for(y, status.base_value) for y in years}
        label = t["target_line"].format(label=target.label(lang))
        lines.append((label, values, sector.label(lang) if sector else None))
    v = d.verification
    makers = {
        "sectors": lambda: charts.firms_by_sector(
            series,
            title=t["chart_sectors"],
            xlabel=t["axis_year"],
            ylabel=t["axis_firms"],
            targets=lines,
            empty=t["chart_empty"],
        ),
        "local": lambda: charts.local_matches(
            loc.with_local,
            loc.without_local,
            title=t["chart_local"],
            with_label=t["needs_local"],
            without_label=t["needs_gap"],
            empty=t["chart_empty"],
        ),
        "verification": lambda: charts.verification_coverage(
            [
                (t["firm"], v.firms_verified, v.supplier_firms),
                (t["capability"], v.capabilities_verified, v.capabilities),
                (t["certification"], v.certifications_verified, v.certifications),
            ],
            title=t["chart_verification"],
            verified_label=t["verified"],
            unverified_label=t["unverified"],
            empty=t["chart_empty"],
        ),
        "gaps": lambda: charts.gap_list(
            [(g.label(lang), g.needs) for g in loc.by_part_family],
            title=t["chart_gaps"],
            xlabel=t["axis_needs"],
            top=TOP_GAPS,
            empty=t["chart_empty"],
        ),
    }
    wanted = only or tuple(makers)
    if loc is None:
        wanted = [k for k in wanted if k not in ("local", "gaps")]
    return {key: makers[key]() for key in wanted}


# --------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------

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
            widths[i] = max(widths[i], min(60, len(str(v if v is not None else ""))))
    if not table.rows:
        ws.append([empty])
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w + 2
    ws.freeze_panes = ws.cell(start_row + 1, 1)


def render_xlsx(data: ReportData, lang: str, figures: dict[str, Figure] | None = None) -> bytes:
    """A workbook: the summary, one sheet per list, and the charts as images."""
    t = labels(lang)
    figures = figures if figures is not None else report_charts(data, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(t["sheet_summary"])
    ws.append([safe_cell(_title(data, t))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([t["province"], safe_cell(_province(data, lang))])
    ws.append([t["period"], data.period.label])
    ws.append([t["generated"], data.dashboard.generated_on])
    ws["B4"].number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append([t["figure"], t["value"]])
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
        cell.fill = _HEADING
    for label, value in summary_rows(data, lang):
        ws.append([safe_cell(label), safe_cell(value)])
        if value is None:
            ws.cell(ws.max_row, 1).font = _BOLD
    ws.append([])
    ws.append([safe_cell(t["method_note"].format(threshold=data.localisation.threshold * 100))])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 28

    sheets: list[tuple[str, Table]] = [
        ("sheet_targets", target_table(data, lang)),
        ("sheet_sectors", sector_table(data, lang)),
        ("sheet_gaps", gap_table(data, lang)),
        ("sheet_gap_sectors", gap_sector_table(data, lang)),
        ("sheet_needs", need_table(data, lang)),
        ("sheet_expiring", expiring_table(data, lang)),
    ]
    if data.quarters:
        sheets.append(("sheet_quarters", quarter_table(data, lang)))
    for key, table in sheets:
        _write_table(wb.create_sheet(_sheet_title(t[key])), table, t["none"])

    ws = wb.create_sheet(_sheet_title(t["sheet_charts"]))
    row = 1
    for fig in figures.values():
        image = XLImage(io.BytesIO(charts.png(fig, dpi=100)))
        ws.add_image(image, f"A{row}")
        row += math.ceil(image.height / 20) + 2  # default rows are 20 px high
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Pct):
        return f"{value:+.1%}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return _num(value)
    return " ".join(charts.plain(value).split())


def _wrap(value: Any, chars: int) -> list[str]:
    """A cell's text in lines of at most ``chars`` characters, ``MAX_CELL_LINES`` at most."""
    lines = textwrap.wrap(_cell_text(value), chars, break_long_words=True) or [""]
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
class _Laid:
    """A table cut into pages, each cell wrapped to its column."""

    widths: list[float]
    head: list[str]
    head_lines: int
    pages: list[list[tuple[list[str], int]]]  # rows as (cell texts, lines) per page


def layout(table: Table) -> _Laid:
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
    return _Laid(widths, ["\n".join(h) for h in head], head_lines, pages)


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


def _tables_before_charts(data: ReportData, lang: str) -> list[Table]:
    return [target_table(data, lang), sector_table(data, lang)]


def _tables_after_charts(data: ReportData, lang: str) -> list[Table]:
    tables = [
        gap_table(data, lang),
        gap_sector_table(data, lang),
        need_table(data, lang, gaps_only=True),
        expiring_table(data, lang),
    ]
    if data.quarters:
        tables.append(quarter_table(data, lang))
    return tables


def pdf_pages(
    data: ReportData, lang: str, figures: dict[str, Figure] | None = None
) -> list[Figure]:
    """The PDF's pages: a title page with the figures, the targets and firm counts,
    one page per chart, then the lists: gap groups, gaps by sector, needs without a
    local supplier, lapsing verifications, and for a year the quarters. Each list takes
    at least one page and continues on as many as its wrapped rows need."""
    t = labels(lang)
    figures = figures if figures is not None else report_charts(data, lang)
    title = _title(data, t)
    counter = iter(range(1, 10_000))

    def footer() -> str:
        return f"KetNoi — {title} — {_province(data, lang)} — {t['page'].format(n=next(counter))}"

    cover = _page(title, footer())
    with charts.chart_style():
        lines = [
            (f"{t['province']}: {_province(data, lang)}", True),
            (f"{t['period']}: {data.period.label}", False),
            (f"{t['generated']}: {data.dashboard.generated_on.isoformat()}", False),
        ]
        for label, value in summary_rows(data, lang):
            if value is None:
                lines += [("", False), (label, True)]
            else:
                lines.append((f"    {_cell_text(label)}: {_cell_text(value)}", False))
        note = t["method_note"].format(threshold=data.localisation.threshold * 100)
        lines += [("", False), *((line, False) for line in textwrap.wrap(note, 120))]
        y, step = 0.92, min(0.018, 0.86 / max(1, len(lines)))
        for text, bold in lines:
            weight = "bold" if bold else "normal"
            cover.text(0.06, y, charts.plain(text), fontsize=8, fontweight=weight)
            y -= step
    pages = [cover]
    for table in _tables_before_charts(data, lang):
        pages += _table_pages(table, footer, t["none"])
    for fig in figures.values():
        next(counter)  # chart pages are the charts as drawn for the web: no footer
        pages.append(fig)
    for table in _tables_after_charts(data, lang):
        pages += _table_pages(table, footer, t["none"])
    return pages


def render_pdf(data: ReportData, lang: str, figures: dict[str, Figure] | None = None) -> bytes:
    """The report as a PDF (see ``pdf_pages``), text kept as selectable TrueType."""
    title = charts.plain(_title(data, labels(lang)))
    out = io.BytesIO()
    with charts.chart_style(), PdfPages(out, metadata={"Title": title, "Creator": "KetNoi"}) as pdf:
        for fig in pdf_pages(data, lang, figures):
            pdf.savefig(fig)
    return out.getvalue()


def tables_pdf(title: str, tables: Sequence[Table], empty: str = "—") -> bytes:
    """Tables alone as a PDF, laid out like the report's lists (agendas, sheets)."""
    title = charts.plain(title)  # also the document's metadata, which must encode
    counter = iter(range(1, 10_000))

    def footer() -> str:
        return f"KetNoi — {title} — {next(counter)}"

    out = io.BytesIO()
    with charts.chart_style(), PdfPages(out, metadata={"Title": title, "Creator": "KetNoi"}) as pdf:
        for table in tables:
            for fig in _table_pages(table, footer, empty):
                pdf.savefig(fig)
    return out.getvalue()


def expected_pdf_pages(data: ReportData, lang: str) -> int:
    """The number of pages ``render_pdf`` writes, without drawing them."""
    tables = _tables_before_charts(data, lang) + _tables_after_charts(data, lang)
    return 1 + CHARTS + sum(len(layout(table).pages) for table in tables)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def build_report(
    session: Session,
    engine: MatchEngine,
    province_code: str | None,
    period: Period | str,
    lang: str = "vi",
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
    labels(lang)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)} (one of {FORMATS})")
    if isinstance(period, str):
        period = Period.parse(period)
    data = collect(session, engine, province_code, period, targets=targets, today=today)
    figures = report_charts(data, lang)
    out: dict[str, bytes] = {}
    if "xlsx" in formats:
        out["xlsx"] = render_xlsx(data, lang, figures)
    if "pdf" in formats:
        out["pdf"] = render_pdf(data, lang, figures)
    return out
