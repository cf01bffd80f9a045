"""An officer's pages in headless Chromium: moving a meeting on the schedule grid (the
form's target is set by the page's script) and preparing a report from the dashboard
(the job list polls and reveals the downloads)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from catalog import events
from catalog.models import EventStatus, Firm
from tests.conftest import PASSWORD
from webapp.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


@pytest.fixture()
def event_with_a_meeting(app, people):
    """An open event in Vĩnh Phúc where the buyer meets two suppliers (not yet placed)."""
    with app.app_context():
        session = db.session
        buyer = session.get(Firm, people.firms["buyer"])
        event = events.create_event(
            session,
            {
                "name": "Ngày kết nối thử trình duyệt",
                "mode": "matchmaking",
                "starts_on": (date.today() + timedelta(days=20)).isoformat(),
                "day_start": "09:00",
                "day_end": "11:00",
                "meeting_minutes": "20",
                "tables": "4",
            },
            buyer.province,
            None,
        )
        events.set_status(session, event, EventStatus.OPEN)
        b = events.register(session, event, buyer)
        s = events.register(session, event, session.get(Firm, people.firms["supplier"]))
        other = events.register(session, event, session.get(Firm, people.firms["other_supplier"]))
        meeting = events.add_meeting(session, b, s)
        second = events.add_meeting(session, b, other)
        ids = event.id, meeting.id, second.id
        db.session.remove()
    return ids


def test_officer_moves_a_meeting_on_the_grid(page: Page, people, event_with_a_meeting):
    event_id, meeting_id, second_id = event_with_a_meeting
    sign_in(page, people.emails["officer"])
    page.goto(f"/events/{event_id}/schedule")
    page.select_option("#f-meeting", str(meeting_id))
    page.fill("#f-slot", "2")
    page.fill("#f-table", "3")
    page.select_option("select[name=action]", "move")
    page.click("#move-form button[type=submit]")
    expect(page.locator(".flash").first).to_contain_text("Đã thay đổi lịch.")
    cell = page.locator("table.schedule-grid tbody tr").nth(1).locator("td").nth(2)
    expect(cell).to_contain_text(f"M{meeting_id}")
    expect(cell).to_contain_text("🔒")
    # The buyer's second meeting cannot take the same slot: refused, with the reason.
    page.select_option("#f-meeting", str(second_id))
    page.fill("#f-slot", "2")
    page.fill("#f-table", "1")
    page.click("#move-form button[type=submit]")
    expect(page.locator(".flash").first).to_contain_text(
        "Một bên đã có buổi gặp khác trong khung giờ này."
    )
    expect(cell).to_contain_text(f"M{meeting_id}")
    row = page.locator("table.schedule-grid tbody tr").nth(1)
    expect(row).not_to_contain_text(f"M{second_id}")


def test_officer_prepares_a_report_from_the_dashboard(page: Page, people):
    sign_in(page, people.emails["officer"])
    page.goto("/dashboard/?province=VP")
    expect(page.locator("h1")).to_contain_text("Bảng điều khiển")
    expect(page.locator("img[src*='/dashboard/chart/sectors.png']")).to_be_visible()
    # The report job runs in the request here (eager Celery): allow it time.
    page.click("form[action*='/dashboard/reports'] button[type=submit]", timeout=120_000)
    job = page.locator(".report-jobs li").first
    status = page.request.get(job.get_attribute("data-status"))
    assert status.ok and status.json()["state"] == "SUCCESS", status.text()[:300]
    expect(job.locator(".job-state")).to_contain_text("đã xong", timeout=60_000)
    expect(job.locator("a", has_text="PDF")).to_be_visible()
    with page.expect_download() as download:
        job.locator("a", has_text="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
