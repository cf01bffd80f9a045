"""The support programmes in the quarterly and annual reports: the budget of each line
for the year by source, what was approved and paid in the period and to date, the
applications and counted targets, and the firms supported, in the workbook (a sheet of
figures, one of targets, the ministry's list of supported firms) and in the PDF's own
section, in Vietnamese and English.

The scenario lives in a fresh province with its own officer, so its programme and firms
are the only ones the province's report counts.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from catalog import accounts
from catalog.dashboard import Period, vietnam_today
from catalog.models import (
    Firm,
    FormerProvince,
    Programme,
    Province,
    SupportApplication,
    SupportLine,
    User,
    UserRole,
)
from catalog.programmes import KIND_LABELS, STATUS_LABELS, applications, setup
from documents import report
from documents.content import pgettext
from jobs.i18n import document_language
from jobs.runtime import runtime
from tests.conftest import PASSWORD
from tests.test_dashboard import firm, new_province
from tests.test_reports import flat, pdf_text_pages

FORMULA_FIRM = "=SUM(A1:A9) Cơ khí Chính Xác"
FORMULA_LINE = "=1+1 Hội chợ triển lãm"
RESULT = "<b>Đạt</b> ISO 9001:2015 & {{ 7 * 7 }}"
PURPOSE = "Áp dụng ISO 9001:2015 cho xưởng dập"


@dataclass
class Scene:
    province: Province
    former: FormerProvince
    programme: Programme
    lines: dict[str, SupportLine]
    supported: Firm
    rejected: Firm
    done: SupportApplication
    early_paid_on: object  # the day the first payment was made, before the quarter


def programme_with_lines(
    session, officer: User, year: int
) -> tuple[Programme, dict[str, SupportLine]]:
    """A programme with three lines, as an officer sets it up (tests/test_programmes)."""
    programme = setup.create_programme(
        session,
        officer,
        {
            "name": f"Chương trình phát triển CNHT {uuid.uuid4().hex[:6]}",
            "legal_basis": "Quyết định 1234/QĐ-UBND",
            "start_year": str(year - 1),
            "end_year": str(year + 3),
        },
    )
    iso = setup.save_line(
        session,
        programme,
        officer,
        {
            "kind": "management_system",
            "name": "Hỗ trợ áp dụng ISO 9001",
            "share_pct": "50",
            "ceiling_vnd": "60.000.000",
            "standards": "ISO 9001, IATF 16949",
            "budgets": [
                {"year": year, "source": "provincial", "planned_vnd": 1_200_000_000},
                {"year": year, "source": "central", "planned_vnd": 200_000_000},
                {"year": year + 1, "source": "provincial", "planned_vnd": 900_000_000},
            ],
            "targets": [{"measure": "certifications", "value": 10}],
        },
    )
    training = setup.save_line(
        session,
        programme,
        officer,
        {
            "kind": "training",
            "name": "Đào tạo lao động",
            "share_pct": 70,
            "ceiling_vnd": 30_000_000,
            "budgets": [{"year": year, "source": "provincial", "planned_vnd": 400_000_000}],
            "targets": [{"measure": "workers_trained", "value": 420, "year": year}],
        },
    )
    fair = setup.save_line(
        session,
        programme,
        officer,
        {"kind": "fair", "name": FORMULA_LINE, "share_pct": 100, "sizes": "micro,small"},
    )
    session.commit()
    return programme, {"iso": iso, "training": training, "fair": fair}


@pytest.fixture()
def scene(session) -> Scene:
    """A programme of a fresh province; one firm (named like a formula) applied to the
    ISO line, was approved 50 million and completed with its certificate; of the 50, 20
    are recorded as paid before the quarter (a payment may be dated in the past) and 30
    in it. Another firm's training application was rejected."""
    province = new_province(session)
    tag = province.code
    former = FormerProvince(
        code=f"A{tag}", name_vi=f"Tỉnh Cũ A {tag}", name_en=f"Old A {tag}", province=province
    )
    session.add(former)
    session.commit()
    officer = accounts.create_user(
        session,
        f"officer-{tag.lower()}@people.test",
        PASSWORD,
        "Officer",
        role=UserRole.OFFICER,
        provinces=[province],
    )
    supported = firm(session, province, name_vi=FORMULA_FIRM)
    supported.former_province_id = former.id
    rejected = firm(session, province, name_vi=f"Công ty TNHH Nhựa Từ Chối {tag}")
    session.commit()
    members = [
        accounts.create_user(
            session, f"member-{i}-{tag.lower()}@people.test", PASSWORD, "Member", firm=f
        )
        for i, f in enumerate((supported, rejected))
    ]
    year = vietnam_today().year
    programme, lines = programme_with_lines(session, officer, year)

    done = applications.apply(
        session,
        lines["iso"],
        supported,
        members[0],
        {"purpose": PURPOSE, "cost_vnd": "100000000", "requested_vnd": "50000000"},
    )
    applications.decide(session, done, officer, {"decision": "approve", "approved_vnd": "50000000"})
    early = Period.current().start - timedelta(days=5)
    applications.disburse(
        session, done, officer, {"amount_vnd": "20000000", "paid_on": early.isoformat()}
    )
    applications.disburse(session, done, officer, {"amount_vnd": "30000000", "source": "central"})
    applications.complete(
        session,
        done,
        officer,
        {
            "result_note": RESULT,
            "standard": "iso 9001:2015",
            "issuer": "Quacert",
            "certificate_no": "QC-881",
        },
    )
    refused = applications.apply(
        session,
        lines["training"],
        rejected,
        members[1],
        {"purpose": "Đào tạo thợ ép nhựa", "requested_vnd": "10000000"},
    )
    applications.decide(
        session, refused, officer, {"decision": "reject", "reason": "Hồ sơ chưa đủ"}
    )
    session.commit()
    return Scene(province, former, programme, lines, supported, rejected, done, early)


def layout_lines(pdf: bytes) -> list[str]:
    """The PDF's text lines as poppler lays them out: a table row is one line (wrapped
    cells aside), its cells in column order."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return [" ".join(line.split()) for line in out.stdout.decode("utf-8").splitlines()]


def rows_of(pdf: bytes) -> str:
    return "\n".join(layout_lines(pdf))


def _sheet(book, name: str) -> list[tuple]:
    return list(book[name].iter_rows(values_only=True))


def test_the_figures_of_the_period_and_to_date(session, scene):
    data = report.collect(session, runtime().engine, scene.province.code, Period.current())
    (p,) = data.programmes
    assert p.name == scene.programme.name
    iso, training, fair = p.lines
    assert iso.planned == {"provincial": 1_200_000_000, "central": 200_000_000}
    assert (iso.committed_in_period, iso.committed_to_date) == (50_000_000, 50_000_000)
    assert (iso.disbursed_in_period, iso.disbursed_to_date) == (30_000_000, 50_000_000)
    assert (iso.received, iso.approved) == (1, 1)
    assert [(x.measure, x.value, x.actual) for x in iso.targets] == [("certifications", 10, 1)]
    assert (training.received, training.approved, training.committed_to_date) == (1, 0, 0)
    assert [(x.value, x.actual) for x in training.targets] == [(420, 0)]
    assert fair.name == FORMULA_LINE and fair.planned == {}
    (row,) = data.supported  # the rejected application supported no one
    assert row.firm[0] == FORMULA_FIRM
    assert (row.approved_vnd, row.paid_in_period, row.paid_to_date) == (
        50_000_000,
        30_000_000,
        50_000_000,
    )
    assert row.certificate == ("ISO 9001", "QC-881") and row.result_note == RESULT

    # A period before the decision: nothing approved or supported yet, the payment made
    # then (recorded before the decision) is the only amount counted.
    before = Period.containing(scene.early_paid_on)
    (past,) = report.programme_figures(session, scene.province.id, before)  # from year - 1
    iso = past.lines[0]
    assert (iso.committed_to_date, iso.approved, iso.disbursed_to_date) == (0, 0, 20_000_000)
    assert (iso.received, [x.actual for x in iso.targets]) == (0, [0])
    assert report.support_rows(session, scene.province.id, before) == []


def test_quarterly_workbook_has_the_programme_and_the_supported_firms(session, scene):
    data = report.collect(session, runtime().engine, scene.province.code, Period.current())
    with document_language("vi") as t:
        book = load_workbook(io.BytesIO(report.render(data, t, formats=("xlsx",))["xlsx"]))
        names = (t("Programmes"), t("Programme targets"), t("Supported firms"))
        assert all(n in book.sheetnames for n in names)
        figures, targets, firms = (_sheet(book, n) for n in names)
        head = figures[0]
        assert head[:4] == (
            t("Programme"),
            t(pgettext("report", "No.")),
            t("Support line"),
            t("Kind of support"),
        )
        rows = {r[2]: r for r in figures[1:]}
        # Planned for the year by source (central, provincial, firms) and in total,
        # approved in the period and to date, disbursed in the period and to date, in
        # million VND; then the applications received and approved in the period.
        assert rows["Hỗ trợ áp dụng ISO 9001"][4:] == (200, 1200, 0, 1400, 50, 50, 30, 50, 1, 1)
        assert rows["Đào tạo lao động"][4:] == (0, 400, 0, 400, 0, 0, 0, 0, 1, 0)
        assert rows["Hỗ trợ áp dụng ISO 9001"][3] == t(KIND_LABELS["management_system"])
        # A stored name that starts like a formula stays text.
        fair = book[names[0]].cell(4, 3)
        assert fair.value == "'" + FORMULA_LINE and fair.data_type == "s"
        assert book[names[0]].cell(2, 1).value == scene.programme.name

        assert [r[3:] for r in targets[1:]] == [
            (
                t("Certificates obtained"),
                f"{scene.programme.start_year}–{scene.programme.end_year}",
                10,
                1,
            ),
            (t("Workers trained"), str(vietnam_today().year), 420, 0),
        ]

        (row,) = firms[1:]  # the ministry's columns, one row per support
        assert firms[0][0] == t(pgettext("report", "No."))
        assert row[0] == 1
        assert row[1] == "'" + FORMULA_FIRM
        assert book[names[2]].cell(2, 2).data_type == "s"  # text, never a formula
        assert row[2] == scene.supported.tax_code
        assert row[3:5] == (scene.province.name_vi, scene.former.name_vi)
        assert row[5:8] == (
            "Hỗ trợ áp dụng ISO 9001",
            t(KIND_LABELS["management_system"]),
            PURPOSE,
        )
        assert row[8:11] == (50, 30, 50)
        assert row[11] == t(STATUS_LABELS["completed"])
        assert RESULT in row[12] and "ISO 9001" in row[12] and "QC-881" in row[12]
        assert row[13].date() == vietnam_today()
        assert scene.rejected.name_vi not in {c for r in firms for c in r}

        summary = {r[0]: r[1] for r in _sheet(book, t("Summary"))}
        assert summary[t("Programmes running in the period")] == 1
        assert summary[t("Applications received in the period")] == 2
        assert summary[t("Firms supported in the period")] == 1
        assert summary[t("Disbursed in the period (million VND)")] == 30
    with document_language("en") as t:
        book = load_workbook(io.BytesIO(report.render(data, t, formats=("xlsx",))["xlsx"]))
        assert {"Programmes", "Programme targets", "Supported firms"} <= set(book.sheetnames)
        head = _sheet(book, "Programmes")[0]
        year = data.period.year
        assert f"Planned for {year}: Provincial budget (million VND)" in head
        assert "Disbursed: To date (million VND)" in head
        (row,) = _sheet(book, "Supported firms")[1:]
        assert row[11] == "Completed" and row[6] == t(KIND_LABELS["management_system"])


def test_the_pdf_section_in_vietnamese_and_english(session, scene):
    data = report.collect(session, runtime().engine, scene.province.code, Period.current())
    with document_language("vi") as t:
        pdf = report.render(data, t, formats=("pdf",))["pdf"]
        text = flat("\n".join(pdf_text_pages(pdf)))
        rows = " ".join(layout_lines(pdf))
        heading = t("SUPPORT TO FIRMS UNDER THE PROGRAMMES")
        difficulties = t("DIFFICULTIES, OBSTACLES AND PROPOSALS")
        assert f"IV. {heading}" in text and f"V. {difficulties}" in text
        assert text.index(f"IV. {heading}") < text.index(f"V. {difficulties}")
        assert f"1. {scene.programme.name}" in text
        assert "Quyết định 1234/QĐ-UBND" in text
        # The budget line in the locale's numbers: "1.200" million in Vietnamese.
        assert "1 Hỗ trợ áp dụng ISO 9001 200 1.200 0 1.400 2 Đào tạo lao động 0 400 0 400" in rows
        assert f"{t('Total')} 200 1.600 0 1.800" in rows
        # Approved and disbursed, in the period and to date.
        assert "1 Hỗ trợ áp dụng ISO 9001 50 50 30 50 2 Đào tạo lao động 0 0 0 0" in rows
        assert f"{t('Total')} 50 50 30 50" in rows
        # Applications received and approved, the targets and what was done.
        assert "1 Hỗ trợ áp dụng ISO 9001 1 1" in rows and " 10 1 " in rows
        assert re.search(
            r"2 Đào tạo lao động 1 0 .*\b2026 420 0\b".replace("2026", str(data.period.year)), rows
        )
        assert t("Firms supported in the period") in text
        # Stored texts are literal: the formula, the markup and the template braces.
        assert FORMULA_FIRM in text and FORMULA_LINE in text
        assert RESULT in text  # not unescaped, not evaluated
        # The firm's row: approved 50 million, 30 paid in the quarter, 50 to date.
        assert re.search(r"^1 =SUM\(A1:A9\) .* 50 30 50 ", rows_of(pdf), re.M)
        assert scene.rejected.name_vi not in text
        vi_heading = heading
    with document_language("en") as t:
        pdf = report.render(data, t, formats=("pdf",))["pdf"]
        text = flat("\n".join(pdf_text_pages(pdf)))
        rows = " ".join(layout_lines(pdf))
        assert "IV. SUPPORT TO FIRMS UNDER THE PROGRAMMES" in text
        assert "V. DIFFICULTIES, OBSTACLES AND PROPOSALS" in text
        assert "1 Hỗ trợ áp dụng ISO 9001 200 1,200 0 1,400" in rows
        assert "Total 200 1,600 0 1,800" in rows and "Total 50 50 30 50" in rows
        assert (
            f"Budget planned for {data.period.year} (million VND)" in text
            and "Firms supported in the period" in text
        )
        assert "Certificates obtained" in text and "Workers trained" in text
        assert FORMULA_FIRM in text
    # The Vietnamese report's section speaks Vietnamese (the catalogue has its texts).
    assert vi_heading == "KẾT QUẢ HỖ TRỢ DOANH NGHIỆP THEO CHƯƠNG TRÌNH"


def test_the_annual_report_counts_the_year(session, scene):
    year = Period.current("year")
    data = report.collect(session, runtime().engine, scene.province.code, year)
    iso = data.programmes[0].lines[0]
    in_year = scene.early_paid_on.year == year.year
    assert iso.disbursed_in_period == (50_000_000 if in_year else 30_000_000)
    assert iso.disbursed_to_date == 50_000_000
    with document_language("en") as t:
        out = report.render(data, t)
    book = load_workbook(io.BytesIO(out["xlsx"]))
    assert "Quarters" in book.sheetnames and "Supported firms" in book.sheetnames
    (row,) = _sheet(book, "Supported firms")[1:]
    assert row[9:11] == ((50 if in_year else 30), 50)
    text = flat("\n".join(pdf_text_pages(out["pdf"])))
    assert "IV. SUPPORT TO FIRMS UNDER THE PROGRAMMES" in text
    paid = 50 if in_year else 30
    assert re.search(rf"^1 =SUM\(A1:A9\) .* 50 {paid} 50 ", rows_of(out["pdf"]), re.M)


def test_another_province_s_report_has_none_of_these_firms(session, scene):
    other = new_province(session)
    data = report.collect(session, runtime().engine, other.code, Period.current())
    assert data.programmes == [] and data.supported == []
    with document_language("en") as t:
        out = report.render(data, t)
    book = load_workbook(io.BytesIO(out["xlsx"]))
    assert "Supported firms" not in book.sheetnames and "Programmes" not in book.sheetnames
    cells = {str(c) for ws in book for r in ws.iter_rows(values_only=True) for c in r}
    assert not {c for c in cells if FORMULA_FIRM in c or scene.programme.name in c}
    text = flat("\n".join(pdf_text_pages(out["pdf"])))
    # Without a programme the section is left out, as the funnel's is: the difficulties
    # and proposals stay section IV.
    assert "SUPPORT TO FIRMS UNDER THE PROGRAMMES" not in text
    assert "IV. DIFFICULTIES, OBSTACLES AND PROPOSALS" in text
    assert FORMULA_FIRM not in text and scene.programme.name not in text
    # Bắc Ninh's officers' report neither (the province of the shared test officer).
    bn = report.collect(session, runtime().engine, "BN", Period.current())
    assert FORMULA_FIRM not in {r.firm[0] for r in bn.supported}
    assert scene.programme.name not in {p.name for p in bn.programmes}
