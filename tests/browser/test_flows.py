"""End-to-end flows in headless Chromium: registration, posting a need, shortlisting,
the language switch, signing in and out, and one firm's page closed to another firm."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import fresh_tax_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "browser-test-password"
EDIT_URL = re.compile(r"/firms/(\d+)/edit$")
NEED_URL = re.compile(r"/needs/(\d+)$")
# The main navigation's "Needs" link, translated: a label to watch the language by.
NEEDS_LINK = "header.topbar > nav:not(.langswitch):not(.usermenu) a[href='/needs/']"
NEEDS_LABEL = {"vi": "Nhu cầu", "en": "Needs"}


def unique_email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:10]}@browser.test"


def register(page: Page, role: str, firm_name: str, email: str, province: str = "VP") -> int:
    """Register a firm through the form; returns the firm id from the edit page's URL."""
    page.goto("/account/register")
    page.check(f"input[name=firm_role][value={role}]")
    page.fill("#f-firm_name", firm_name)
    page.fill("#f-tax_code", fresh_tax_code())
    page.select_option("#f-province", province)
    page.fill("#f-name", f"Người thử {role}")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password2", PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(EDIT_URL)
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#f-name_vi")).to_have_value(firm_name)
    return int(EDIT_URL.search(page.url).group(1))


def switch_language(page: Page, code: str) -> None:
    here = page.url
    page.click(f"nav.langswitch a[hreflang={code}]")
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page).to_have_url(here)  # the switch brings the visitor back to the same page
    expect(page.locator(NEEDS_LINK)).to_have_text(NEEDS_LABEL[code])
    expect(page.locator(f"nav.langswitch a[hreflang={code}]")).to_have_attribute(
        "aria-current", "true"
    )


def log_out(page: Page) -> None:
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#register")).to_be_visible()
    expect(page.locator("#logout")).to_have_count(0)


def test_buyer_registers_posts_a_need_and_shortlists(page: Page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")  # the default
    expect(page.locator("#logout")).to_have_count(0)

    register(
        page, "buyer", f"Browser Buyer {uuid.uuid4().hex[:6]} Co., Ltd.", unique_email("buyer")
    )

    page.click("header.topbar a[href='/needs/new']")
    expect(page).to_have_url(re.compile(r"/needs/new$"))
    page.fill("#f-title", "Injection moulded ABS housings for chargers")
    page.fill("#f-description", "PC/ABS injection moulding, 200k pcs/year")
    page.select_option("#f-process", "process.injection_molding")
    page.select_option("#f-delivery_province", "VP")
    page.select_option("#f-visibility", "registered")
    page.check("input[name=materials][value='material.abs']")
    page.click("form.form button[type=submit]")
    expect(page).to_have_url(NEED_URL)
    expect(page.locator("h1")).to_have_text("Injection moulded ABS housings for chargers")

    matches = page.locator("ol.matches li.match")
    expect(matches.first).to_be_visible()
    assert matches.count() >= 3, f"only {matches.count()} matches"
    scores = matches.locator(".score-box .score").all_inner_texts()
    assert all(s.strip() for s in scores)

    shortlist = page.locator("section.shortlist ul.plain > li")
    expect(shortlist).to_have_count(0)
    first = matches.first
    firm_id = int(first.get_attribute("id").removeprefix("match-"))
    firm_name = first.locator("a.firm-name").inner_text()
    first.locator("form[action$='/shortlist'] button").click()

    expect(page).to_have_url(NEED_URL)
    expect(page.locator(".flash-success")).to_be_visible()
    expect(shortlist).to_have_count(1)
    expect(shortlist.first.locator(f"a[href='/suppliers/{firm_id}']")).to_be_visible()
    expect(page.locator("section.shortlist h2 small")).to_have_text("1")
    card = page.locator(f"#match-{firm_id}")
    expect(card.locator(".tag.ok")).to_have_text("Đã chọn")
    expect(card.locator("form[action$='/shortlist']")).to_have_count(0)
    assert firm_name

    switch_language(page, "en")
    expect(card.locator(".tag.ok")).to_have_text("Shortlisted")
    switch_language(page, "vi")

    log_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_a_firm_cannot_edit_another_firms_profile(new_page):
    page_a, page_b = new_page(), new_page()
    suffix = uuid.uuid4().hex[:6]
    firm_a = register(page_a, "supplier", f"Công ty Thử A {suffix}", unique_email("supplier-a"))
    firm_b = register(
        page_b, "supplier", f"Công ty Thử B {suffix}", unique_email("supplier-b"), "BN"
    )
    assert firm_a != firm_b

    response = page_b.goto(f"/firms/{firm_a}/edit")
    assert response is not None and response.status == 403
    expect(page_b.locator("#f-name_vi")).to_have_count(0)
    expect(page_b.locator("#logout")).to_be_visible()  # still signed in, just refused

    response = page_b.goto(f"/firms/{firm_b}/edit")
    assert response is not None and response.status == 200

    response = page_a.goto(f"/firms/{firm_a}/edit")
    assert response is not None and response.status == 200
    expect(page_a.locator("#f-name_vi")).to_have_value(f"Công ty Thử A {suffix}")


def test_sign_in_again_with_the_saved_language(page: Page):
    email = unique_email("login")
    register(page, "supplier", f"Công ty Đăng Nhập {uuid.uuid4().hex[:6]}", email)
    switch_language(page, "en")  # saved on the account
    log_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "vi")  # the browser's locale again

    page.click("#login")
    page.fill("#f-email", email)
    page.fill("#f-password", "not the password")
    page.click("form.form button[type=submit]")
    expect(page.locator(".flash-error[role=alert]")).to_be_visible()
    expect(page.locator("#logout")).to_have_count(0)

    page.fill("#f-password", PASSWORD)
    page.click("form.form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#login")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the account's choice
    log_out(page)
