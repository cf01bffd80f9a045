"""Localisation gaps, charts and the periodic reports, on the real index and database.

Each scenario lives in a fresh province, so its needs and firms are the only ones the
province's figures count.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import warnings
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from catalog import services
from catalog.dashboard import Period, vietnam_today
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
    # A name without the code in it, so that a code shown instead of a name is found.
    province.name_vi = f"Tỉnh Báo Cáo {province.code[::-1].lower()}"
    province.name_en = f"Report {province.code[::-1].lower()}"
    session.commit()
    buyer = firm(session, province, role="buyer", name_vi='=HYPERLINK("http://x.test","Mở")')
    make_need(session, buyer, **HEAT_SINK_NEED)
    return province


def pdf_text_pages(pdf: bytes) -> list[str]:
    """The text of each page as poppler extracts it (``make test`` installs it)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    pages = out.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces."""
    return " ".join(text.split())


def document_messages() -> set[tuple[str | None, str]]:
    """Every (context, msgid) of the documents package: its code and its templates."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(report.__file__).parent
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = extract_from_dir(str(root), methods, keywords=keywords)
    return {(m[4], m[2] if isinstance(m[2], str) else m[2][-1]) for m in found}


def document_msgids() -> set[str]:
    return {msgid for _context, msgid in document_messages()}


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
            t("Funnel"),
            t("Funnel by sector"),
            t("Funnel by former province"),
            t("First orders"),
            t("Stalled needs"),
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
    pages = pdf_text_pages(pdf)
    text = flat("\n".join(pages))
    # The administrative header: issuing body, motto, number left to fill, place, date.
    name = report_province.name_vi
    assert f"SỞ CÔNG THƯƠNG {name.upper()}" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc" in text
    assert "Số:" in text and "/BC-SCT" in text  # the number, blank, is the officer's
    today = vietnam_today()
    assert f"{name}, ngày {today.day} tháng {today.month} năm {today.year}" in text
    quarter = ["I", "II", "III", "IV"][period.quarter - 1]
    assert (
        "BÁO CÁO Kết quả thực hiện Chương trình phát triển công nghiệp hỗ trợ, "
        f"quý {quarter} năm {period.year}"
    ) in text
    # The sections the provincial programmes ask for, the last left for the officer.
    for heading in (
        "I. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU CỦA CHƯƠNG TRÌNH",
        "II. DOANH NGHIỆP CÔNG NGHIỆP HỖ TRỢ TRONG CƠ SỞ DỮ LIỆU",
        "III. KẾT NỐI CUNG ỨNG",
        "IV. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
        "Nơi nhận:",
        "GIÁM ĐỐC",
    ):
        assert heading in text, heading
    # The need without a local supplier is listed, its buyer's province by name.
    assert HEAT_SINK_NEED["title"] in text
    assert report_province.code not in text.replace(name, "").replace(name.upper(), "")
    # Only charts with data: the open-needs and gap charts, no empty ones. The whole
    # report fits in a few pages (it was eleven mostly empty ones).
    assert len(pages) <= 4, len(pages)
    with document_language("vi") as t:
        assert t("No data yet") not in text


def test_annual_report_adds_the_quarters_in_english(session, report_province):
    year = Period.current("year")
    engine = runtime().engine
    data = report.collect(session, engine, report_province.code, year)
    assert [q.period.label for q in data.quarters] == [p.label for p in year.quarters()]
    assert sum(q.needs.posted for q in data.quarters) == 1
    with document_language("en") as t:
        out = report.build_report(session, engine, report_province.code, str(year), t)
    wb = load_workbook(io.BytesIO(out["xlsx"]))
    assert "Quarters" in wb.sheetnames and "Summary" in wb.sheetnames
    assert wb["Summary"]["A1"].value == f"Supporting-industry matchmaking report, {year.year}"
    text = flat("\n".join(pdf_text_pages(out["pdf"])))
    assert "SOCIALIST REPUBLIC OF VIET NAM Independence - Freedom - Happiness" in text
    assert (
        f"REPORT Results of the supporting-industry development programme, the year {year.year}"
    ) in text
    assert f"DEPARTMENT OF INDUSTRY AND TRADE OF {report_province.name_en.upper()}" in text
    # The quarters, by name.
    assert "Figures by quarter" in text
    for q in (1, 2, 3, 4):
        assert f"Q{q} {year.year}" in text
    assert "BÁO CÁO" not in text and "Kính gửi" not in text


def test_long_lists_continue_on_more_pages_with_their_header(session, report_province):
    data = report.collect(session, runtime().engine, report_province.code, Period.current())
    with document_language("vi") as t:
        base = len(pdf_text_pages(report.render(data, t, formats=("pdf",))["pdf"]))
        gap = data.localisation.needs[0]
        data.localisation.needs = [gap] * 120  # the gaps list now needs several pages
        pages = pdf_text_pages(report.render(data, t, formats=("pdf",))["pdf"])
        header = [t("Best local supplier"), t("Buyer's province")]
    assert len(pages) >= base + 3
    listed = [p for p in pages if HEAT_SINK_NEED["title"] in flat(p)]
    assert len(listed) >= 3
    for page in listed:  # the table's header row is repeated on every page it takes
        assert all(h in flat(page) for h in header), page[:300]


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
    msgids = document_msgids()
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


def test_vietnamese_pdf_has_no_english_and_names_not_codes(session, report_province):
    """No English text of the documents' catalogue in the Vietnamese PDF (stored
    texts aside): every label, heading and sentence of the template and the code is
    translated."""
    data = report.collect(session, runtime().engine, report_province.code, Period.current())
    with document_language("vi") as t:
        text = flat("\n".join(pdf_text_pages(report.render(data, t, formats=("pdf",))["pdf"])))
        english = set()
        for context, msgid in document_messages():
            translated = t(pgettext(context, msgid)) if context else t(msgid)
            if translated == msgid:
                continue  # written the same in both languages (a pattern, "%(place)s, …")
            for part in re.split(r"%\(\w+\)[-+.0-9]*[sdf]", msgid):
                part = part.strip(" ,.:;()")
                if re.search(r"[A-Za-z]{3,}", part) and part not in translated:
                    english.add(part)  # ("/BC-SCT" is both languages' document symbol)
    assert "Bảng" not in english and "Need" in english  # the check can fail
    for stored in (HEAT_SINK_NEED["title"], '=HYPERLINK("http://x.test","Mở")'):
        text = text.replace(stored, " ")
    found = {e for e in english if re.search(rf"(?<!\w){re.escape(e)}(?!\w)", text)}
    assert not found, found
    # Province names, never codes.
    name = report_province.name_vi
    assert report_province.code not in text.replace(name, "").replace(name.upper(), "")


def test_stored_markup_is_literal_text_in_the_pdf(session):
    province = new_province(session)
    buyer = firm(session, province, role="buyer", name_vi="<b>Cơ khí</b> & <i>Đúc</i>")
    title = "<script>alert(1)</script> Tản nhiệt {{ 7 * 7 }} &amp; <img src=x>"
    make_need(session, buyer, **{**HEAT_SINK_NEED, "title": title})
    with document_language("vi") as t:
        pdf = report.build_report(
            session, runtime().engine, province.code, Period.current(), t, formats=("pdf",)
        )["pdf"]
    text = flat("\n".join(pdf_text_pages(pdf)))
    assert "<b>Cơ khí</b> & <i>Đúc</i>" in text
    assert title in text  # not run, not rendered as an image, not evaluated, not unescaped


def test_report_date_is_the_dashboards(session, report_province):
    """The figures are "as of" the dashboard's day (the period's end, or today while it
    runs); the document is dated the day it was made."""
    made = date(2026, 12, 3)
    for period, as_of in ((Period(2026, 3), date(2026, 9, 30)), (Period(2026, 4), made)):
        data = report.collect(session, runtime().engine, report_province.code, period, today=made)
        assert data.as_of == data.dashboard.verification.on == as_of
        with document_language("vi") as t:
            text = flat("\n".join(pdf_text_pages(report.render(data, t, formats=("pdf",))["pdf"])))
        assert f"{report_province.name_vi}, ngày 3 tháng 12 năm 2026" in text
        assert f"tính đến ngày {as_of.day} tháng {as_of.month} năm {as_of.year}" in text


def test_firms_by_former_province_add_up_to_the_dashboard(session):
    """A merged province's firms by the former provinces inside it (2025 map): counted
    as the dashboard counts the province, so the rows add up to its figures."""
    from catalog import models

    former = getattr(models, "FormerProvince", None)
    if former is None or not hasattr(models.Firm, "former_province_id"):
        pytest.skip("the catalogue has no former provinces yet")
    province = new_province(session)
    tag = province.code
    old = [
        former(
            code=f"A{tag}", name_vi=f"Tỉnh Cũ A {tag}", name_en=f"Old A {tag}", province=province
        ),
        former(
            code=f"B{tag}", name_vi=f"Tỉnh Cũ B {tag}", name_en=f"Old B {tag}", province=province
        ),
    ]
    session.add_all(old)
    session.commit()
    year = Period.current().year
    firms = [
        firm(session, province, year_founded=year - 3),
        firm(session, province, year_founded=year - 1),
        firm(session, province, year_founded=year),
        firm(session, province, year_founded=year - 2),
    ]
    for f, where in zip(firms, [old[0], old[0], old[1], None], strict=True):
        f.former_province_id = where.id if where else None
    session.commit()
    data = report.collect(session, runtime().engine, province.code, Period.current())
    rows = {r.key: (r.firms, r.new, r.verified) for r in data.regions}
    assert rows == {old[0].id: (2, 0, 0), old[1].id: (1, 1, 0), None: (1, 0, 0)}
    d = data.dashboard
    assert sum(r.firms for r in data.regions) == d.firms.total.latest == 4
    assert sum(r.new for r in data.regions) == d.firms.new_in_period == 1
    with document_language("vi") as t:
        text = flat("\n".join(pdf_text_pages(report.render(data, t, formats=("pdf",))["pdf"])))
    assert "Doanh nghiệp theo địa bàn tỉnh cũ" in text
    assert f"Tỉnh Cũ A {tag} 2 0 0" in text and "Chưa xác định 1 0 0" in text
    assert "Tổng cộng 4 1 0" in text


def test_the_workbook_cites_a_target_s_programme_not_the_file_it_was_read_from(session):
    with document_language("vi") as t:
        out = report.build_report(session, runtime().engine, "PT", Period.current(), t)
        sheet = load_workbook(io.BytesIO(out["xlsx"]))[t("Targets")]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("Kế hoạch" in c for c in cells)  # the programme of former Vĩnh Phúc
    assert not [c for c in cells if "seeds/" in c or ".txt" in c]
