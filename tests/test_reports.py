"""Localisation gaps, charts and the periodic reports, on the real index and database.

Each scenario lives in a fresh province, so its needs and firms are the only ones the
province's figures count.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

from catalog import services
from catalog.dashboard import Period
from documents import charts, report
from documents.content import pgettext
from jobs.i18n import document_language
from jobs.runtime import runtime
from matching.localisation import GOOD_MATCH_THRESHOLD, localisation
from tests.factories import make_need
from tests.test_dashboard import firm, new_province

HEAT_SINK_NEED = {
    "title": "Extruded aluminium heat sinks for LED drivers",
    "description": "Aluminium 6063 profile extrusion, cut to length and CNC machined heat "
    "sinks with anodized finish for LED driver housings. 60,000 pcs/year.",
    "process": "process.aluminium_extrusion",
    "materials": ["material.aluminium_6063"],
    "quantity_per_year": 60000,
}
HEAT_SINK_MAKER = {
    "title": "Đùn ép nhôm định hình và tản nhiệt nhôm cho bộ nguồn LED",
    "description": "Đùn nhôm định hình 6063, cắt, phay CNC và anodizing tản nhiệt nhôm "
    "(heat sinks) cho bộ nguồn, driver LED và vỏ đèn. Máy đùn 800 tấn.",
    "process": "process.aluminium_extrusion",
    "materials": ["material.aluminium_6063"],
    "capacity_per_month": 200000,
}


def test_open_need_without_local_supplier_is_a_gap_under_its_part_family(session):
    province = new_province(session)
    buyer = firm(session, province, role="buyer", name_vi="Công ty TNHH LED Thử Nghiệm")
    need = make_need(session, buyer, **HEAT_SINK_NEED)
    engine = runtime().engine
    period = Period.current()

    loc = localisation(session, engine, province.code, period)
    assert [n.need_id for n in loc.needs] == [need.id]
    (row,) = loc.needs
    assert (row.has_local_match, row.reason, row.best_local) == (False, "no_local_supplier", None)
    # The buyer named two part families: the need is listed under each.
    assert row.part_families == ["part_family.heat_sink", "part_family.led_driver"]
    assert row.best_score is not None  # firms elsewhere match it: a local gap, not no supplier
    groups = {g.key: g for g in loc.by_part_family}
    assert set(groups) == {"part_family.heat_sink", "part_family.led_driver"}
    group = groups["part_family.heat_sink"]
    assert (group.kind, group.needs, group.buyers, group.name_vi) == (
        "part_family",
        1,
        1,
        "Tản nhiệt nhôm",
    )
    assert group.quantity_per_year == 60000 and group.examples[0].need_id == need.id
    assert [(s.sector_id, s.needs) for s in loc.by_sector] == [("sector.electronics", 1)]
    assert (loc.with_local, loc.without_local) == (0, 1)

    # A local extrusion shop that makes exactly this closes the gap.
    maker = firm(session, province, name_vi="Công ty TNHH Nhôm Tản Nhiệt Thử")
    services.add_capability(session, maker, HEAT_SINK_MAKER)
    loc = localisation(session, engine, province.code, period)
    (row,) = loc.needs
    assert row.best_local is not None and row.best_local.firm_id == maker.id
    assert row.best_local.score >= GOOD_MATCH_THRESHOLD
    assert (row.has_local_match, row.reason) == (True, "ok")
    assert loc.by_part_family == [] and loc.by_sector == []

    # The threshold decides: above the best local score the need is a gap again.
    strict = localisation(session, engine, province.code, period, threshold=1.01)
    assert (strict.needs[0].has_local_match, strict.needs[0].reason) == (
        False,
        "below_threshold",
    )
    # A required certificate the local firm lacks: not a good local match either.
    services.update_need(session, need, {"required_certifications": ["IATF 16949"]})
    row = localisation(session, engine, province.code, period).needs[0]
    assert (row.has_local_match, row.reason) == (False, "fails_required")


def test_needs_delivered_elsewhere_count_suppliers_there(session):
    home, there = new_province(session), new_province(session)
    buyer = firm(session, home, role="buyer")
    need = make_need(session, buyer, **HEAT_SINK_NEED, delivery_province=there.code)
    maker = firm(session, there)
    services.add_capability(session, maker, HEAT_SINK_MAKER)
    engine = runtime().engine
    # In the buyer's province's list, a supplier in the delivery province is local.
    row = localisation(session, engine, home.code, Period.current()).needs[0]
    assert row.need_id == need.id
    assert sorted(row.local_provinces) == sorted([home.code, there.code])
    assert row.has_local_match and row.best_local.firm_id == maker.id


def test_charts_render_vietnamese_text_as_png():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font warns
        figures = [
            charts.firms_by_sector(
                [("Điện tử", {2024: 2, 2025: 5}), ("Cơ khí chế tạo", {2024: 1, 2025: 1})],
                title="Doanh nghiệp CNHT theo ngành — ữ ỹ ặ ộ",
                xlabel="Năm",
                ylabel="Số doanh nghiệp",
                targets=[("Mục tiêu điện tử", {2024: 2, 2025: 2.2}, "Điện tử")],
            ),
            charts.local_matches(
                3, 1, title="Nhu cầu", with_label="Có nhà cung ứng", without_label="Chưa có"
            ),
            charts.verification_coverage(
                [("Doanh nghiệp", 1, 4), ("Năng lực", 0, 0)],
                title="Xác nhận",
                verified_label="Đã xác nhận",
                unverified_label="Chưa xác nhận",
            ),
            charts.gap_list([("Tản nhiệt nhôm", 3)], title="Khoảng trống", xlabel="Nhu cầu"),
            charts.gap_list([], title="Khoảng trống", xlabel="Nhu cầu", empty="Không có"),
        ]
        images = [charts.png(f) for f in figures]
    for image in images:
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 2_000


@pytest.fixture()
def report_province(session):
    """A province with one buyer named like a spreadsheet formula and one open need."""
    province = new_province(session)
    buyer = firm(session, province, role="buyer", name_vi='=HYPERLINK("http://x.test","Mở")')
    make_need(session, buyer, **HEAT_SINK_NEED)
    return province


def pdf_pages(pdf: bytes) -> int:
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert re.search(rb"/Count %d\b" % pages, pdf)
    return pages


def test_quarterly_report_as_xlsx_and_pdf(session, report_province):
    period = Period.current()
    with document_language("vi") as t:
        out = report.build_report(session, runtime().engine, report_province.code, period, t)
    assert set(out) == {"xlsx", "pdf"}

    wb = load_workbook(io.BytesIO(out["xlsx"]))
    with document_language("vi") as t:
        assert wb.sheetnames == [
            t("Summary"),
            t("Targets"),
            t(pgettext("report", "Sectors")),
            t("Gaps"),
            t("Gaps by sector"),
            t("Open needs"),
            t("Expiring verifications"),
            t("Charts"),
        ]
        summary = {row[0]: row[1] for row in wb[t("Summary")].iter_rows(values_only=True)}
        assert summary[t("Open needs")] == 1
        assert summary[t("Open needs without a local supplier")] == 1
        assert summary[t("Needs posted in the period")] == 1
        needs = wb[t("Open needs")]
        gaps = wb[t("Gaps")]
        part_family = t("Part family")
        charts_sheet = wb[t("Charts")]
    buyer_cell = needs.cell(2, 3)
    assert buyer_cell.value == '\'=HYPERLINK("http://x.test","Mở")'
    assert buyer_cell.data_type == "s"  # text, never a formula
    assert needs.cell(2, 2).value == HEAT_SINK_NEED["title"]
    assert [c.value for c in gaps[2]][:4] == ["Tản nhiệt nhôm", part_family, "Điện tử", 1]
    assert len(charts_sheet._images) == 4

    pdf = out["pdf"]
    assert pdf.startswith(b"%PDF")
    # Title, targets (none), firm counts, 4 charts, gaps by part family, by sector,
    # the needs without a local supplier, expiring checks (none): one page each.
    assert pdf_pages(pdf) == 11


def test_annual_report_adds_the_quarters_in_english(session, report_province):
    year = Period.current("year")
    engine = runtime().engine
    data = report.collect(session, engine, report_province.code, year)
    assert [q.period.label for q in data.quarters] == [p.label for p in year.quarters()]
    assert sum(q.needs.posted for q in data.quarters) == 1
    with document_language("en") as t:
        out = report.build_report(session, engine, report_province.code, str(year), t)
        expected = report.expected_pdf_pages(data, t)
    wb = load_workbook(io.BytesIO(out["xlsx"]))
    assert "Quarters" in wb.sheetnames and "Summary" in wb.sheetnames
    assert wb["Summary"]["A1"].value == f"Supporting-industry matchmaking report, {year.year}"
    assert pdf_pages(out["pdf"]) == 12 == expected


def test_long_lists_continue_on_more_pages(session, report_province):
    data = report.collect(session, runtime().engine, report_province.code, Period.current())
    with document_language("vi") as t:
        base = report.expected_pdf_pages(data, t)
        gap = data.localisation.needs[0]
        data.localisation.needs = [gap] * 120  # the gaps list now needs more than one page
        assert report.expected_pdf_pages(data, t) > base + 1
        assert len(report.pdf_pages(data, t)) == report.expected_pdf_pages(data, t)


def test_report_refuses_unknown_language_and_format(session):
    engine = runtime().engine
    with pytest.raises(ValueError, match="language"), document_language("fr") as t:
        report.build_report(session, engine, "VP", "2026-Q1", t)
    with pytest.raises(ValueError, match="formats"), document_language("vi") as t:
        report.build_report(session, engine, "VP", "2026-Q1", t, formats=("docx",))
    assert report.report_filename("VP", Period.parse("2026-Q3"), "pdf") == "ketnoi-VP-2026-Q3.pdf"


def test_each_report_speaks_one_language(session, report_province):
    """Every text the report writes comes from the catalogue in the report's language:
    no English label in a Vietnamese report, no Vietnamese label in an English one."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(report.__file__).parent
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    msgids = {m[2] for m in extract_from_dir(str(root), [("**.py", "python")], keywords=keywords)}
    data = report.collect(session, runtime().engine, report_province.code, Period.current())
    books = {}
    for lang in ("vi", "en"):
        with document_language(lang) as t:
            books[lang] = load_workbook(
                io.BytesIO(report.render(data, t, formats=("xlsx",))["xlsx"])
            )
    # The labels: sheet names, every sheet's first row and first column.
    labels = {}
    for lang, book in books.items():
        cells = [ws.title for ws in book]
        for ws in book:
            rows = list(ws.iter_rows(values_only=True))
            cells += [*(rows[0] if rows else ()), *(row[0] for row in rows)]
        labels[lang] = {str(v).strip() for v in cells if v is not None}
    vietnamese = re.compile("[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹ]", re.IGNORECASE)
    english = {m for m in msgids if "%" not in m and vietnamese.search(m) is None}
    assert not labels["vi"] & english, labels["vi"] & english
    names = {report_province.name_vi, "Tản nhiệt nhôm"}  # stored names, not labels
    assert not {v for v in labels["en"] if vietnamese.search(v) and v not in names}
    assert labels["en"] & english  # the English labels are there


@pytest.mark.no_database
def test_documents_import_nothing_above_them():
    """documents sits below jobs and webapp and has no Flask (nor Celery): pages and jobs
    both render through it, each giving it a translator."""
    import ast

    root = Path(report.__file__).parent
    above = ("flask", "flask_babel", "celery", "jobs", "webapp")
    found = []
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            found += [(path.name, n) for n in names if n.split(".")[0] in above]
    assert not found
