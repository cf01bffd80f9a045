"""The officer's dashboard page, its charts, and reports prepared by a job."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from catalog.dashboard import Period


def test_officer_sees_the_dashboard_of_their_province_only(client_as):
    officer = client_as("officer")
    period = Period.current("year").label
    page = officer.get(f"/dashboard/?province=PT&period={period}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bảng điều khiển" in text and "Vĩnh Phúc" in text
    # Vĩnh Phúc's configured targets are listed with their source.
    assert "Trên 50 doanh nghiệp là nhà cung ứng cấp 1, cấp 2" in text
    chart = officer.get(f"/dashboard/chart/sectors.png?province=PT&period={period}")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    assert officer.get("/dashboard/?province=BN").status_code == 403
    assert client_as("other_officer").get("/dashboard/?province=PT").status_code == 403
    assert client_as("admin").get("/dashboard/").status_code == 200  # all provinces


def test_a_report_is_prepared_by_a_job_and_downloaded(client_as):
    officer = client_as("officer")
    # The previous quarter: no other test prepares its report (the browser test takes
    # the default, current one).
    period = Period.current("quarter").previous().label
    before = officer.get(f"/dashboard/?province=PT&period={period}").get_data(as_text=True)
    assert "Chưa tính" in before  # no gap analysis yet for this period
    resp = officer.post(f"/dashboard/reports?province=PT&period={period}")
    assert resp.status_code == 302
    page = officer.get(f"/dashboard/?province=PT&period={period}").get_data(as_text=True)
    job = page.split('data-status="/dashboard/reports/')[1].split(".json")[0]
    status = officer.get(f"/dashboard/reports/{job}.json").json
    assert status["state"] == "SUCCESS", status
    xlsx = officer.get(f"/dashboard/reports/{job}.xlsx")
    assert xlsx.status_code == 200
    assert "PT" in xlsx.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.data))
    assert len(book.sheetnames) >= 6
    pdf = officer.get(f"/dashboard/reports/{job}.pdf")
    assert pdf.data.startswith(b"%PDF")
    # The job's gap analysis now shows on the dashboard, with its charts.
    assert "Chưa tính" not in page
    assert f"/dashboard/chart/gaps.png?province=PT&amp;period={period}" in page
    gaps = officer.get(f"/dashboard/chart/gaps.png?province=PT&period={period}")
    assert gaps.data.startswith(b"\x89PNG")
    # Another officer cannot fetch this job's files.
    other = client_as("other_officer")
    assert other.get(f"/dashboard/reports/{job}.pdf").status_code == 404


def test_a_province_configures_its_own_targets(app, client_as, tmp_path):
    override = {
        "version": 1,
        "provinces": {
            "BN": {
                "targets": [
                    {
                        "id": "bn-electronics-test",
                        "kind": "sector_growth",
                        "sector": "sector.electronics",
                        "rate": 0.2,
                        "base_year": 2024,
                        "until": 2030,
                        "comparison": "gte",
                        "label_vi": "Doanh nghiệp điện tử Bắc Ninh tăng 20%/năm (thử)",
                        "label_en": "Bac Ninh electronics firms +20 % a year (test)",
                        "source": "Kế hoạch thử nghiệm",
                    }
                ]
            }
        },
    }
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(override), encoding="utf-8")
    app.config["PROVINCE_TARGETS"] = str(path)
    try:
        page = client_as("other_officer").get("/dashboard/?province=BN").get_data(as_text=True)
    finally:
        app.config["PROVINCE_TARGETS"] = None
    assert "Doanh nghiệp điện tử Bắc Ninh tăng 20%/năm (thử)" in page
    plain = client_as("other_officer").get("/dashboard/?province=BN").get_data(as_text=True)
    assert "(thử)" not in plain
