"""The deal pages in headless Chromium: a supplier answers a need with a quotation and a
STEP drawing (Vietnamese, the default), the buyer opens the deal from the notification
list and replies (in English), and the supplier reads the reply."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from catalog import services
from catalog.models import Firm
from jobs.sync import index_sync_paused
from tests.conftest import PASSWORD
from webapp.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEAL_URL = re.compile(r"/deals/(\d+)(#.*)?$")
STEP = (
    b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('bracket'),'2;1');\nENDSEC;\nDATA;\n"
    b"#1=CARTESIAN_POINT('',(0.,0.,0.));\nENDSEC;\nEND-ISO-10303-21;\n"
)


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


@pytest.fixture()
def open_need(app, people) -> tuple[int, str]:
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        session = db.session
        with index_sync_paused(session):
            need = services.create_need(
                session,
                session.get(Firm, people.firms["buyer"]),
                {"title": f"Giá đỡ thép dập {tag}", "visibility": "public", "status": "open"},
            )
        ids = need.id, need.title
        db.session.remove()
    return ids


def test_supplier_quotes_and_buyer_replies(new_page, people, open_need):
    need_id, title = open_need
    supplier = new_page("vi-VN")
    sign_in(supplier, people.emails["supplier"])
    supplier.goto(f"/needs/{need_id}")
    supplier.click("#answer-need")
    expect(supplier.locator("h1")).to_have_text("Trả lời nhu cầu này")
    expect(supplier.locator("#quote h2")).to_have_text("Gửi báo giá")
    supplier.fill("#f-unit_price", "18500")
    supplier.fill("#f-lead_time_days", "20")
    supplier.fill("#f-valid_until", (date.today() + timedelta(days=30)).isoformat())
    supplier.set_input_files(
        "#f-quote-files",
        files=[{"name": "gia-do.step", "mimeType": "application/octet-stream", "buffer": STEP}],
    )
    supplier.click("#send-quote")
    expect(supplier).to_have_url(DEAL_URL)
    expect(supplier.locator(".flash-success")).to_contain_text("Đã gửi báo giá tới bên mua")
    expect(supplier.locator("#deal-stage")).to_have_text("Đã báo giá")
    expect(supplier.locator("#quotes")).to_contain_text("gia-do.step")
    expect(supplier.locator("#quotes")).to_contain_text("Đã gửi")
    deal_url = supplier.url.split("#")[0]

    buyer = new_page("en-US")
    sign_in(buyer, people.emails["buyer"])
    buyer.goto("/deals/")
    expect(buyer.locator("h1")).to_have_text("My deals")
    buyer.click(f"#deals a:has-text('{title}')")
    expect(buyer).to_have_url(deal_url)
    expect(buyer.locator("#deal-supplier")).to_contain_text("Công ty TNHH Cơ khí Kiểm Thử VP")
    expect(buyer.locator("#quotes")).to_contain_text("Submitted")
    # No contact person before an introduction is accepted.
    expect(buyer.locator("#deal")).not_to_contain_text("Người liên hệ supplier")
    buyer.fill("#f-body", "Could you deliver the first 500 pieces in May?")
    buyer.click("#send-message")
    expect(buyer.locator("#conversation")).to_contain_text(
        "Could you deliver the first 500 pieces in May?"
    )
    expect(buyer.locator(".flash-success")).to_contain_text("Message sent")

    supplier.goto(deal_url)
    message = supplier.locator("#conversation .message-buyer").last
    expect(message).to_contain_text("Could you deliver the first 500 pieces in May?")
    expect(message).to_contain_text("Test Assembly Vietnam")
    # The buyer's English, for a Vietnamese reader: rendered, or its concepts named.
    expect(message.locator(".rendering, .concept-tags")).to_have_count(1)
