"""The interface language: switch, session, Accept-Language, safe redirects, formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_buyer, make_need

TRANSLATIONS = Path(__file__).resolve().parent.parent / "webapp" / "translations"


def html_lang(body: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', body)
    assert match, "no <html lang> attribute"
    return match.group(1)


def test_default_is_vietnamese(client):
    body = client.get("/").get_data(as_text=True)
    assert html_lang(body) == "vi"
    assert "Tìm nhà cung cấp" in body
    assert "Find suppliers" not in body


def test_switch_changes_language_and_is_remembered(client):
    resp = client.get("/lang/en?next=/suppliers/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/suppliers/"
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
    page = client.get("/suppliers/").get_data(as_text=True)
    assert html_lang(page) == "en" and "<h1>Suppliers" in page and "Clear filters" in page
    # later requests keep English, even when the browser prefers Vietnamese
    home = client.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert html_lang(home) == "en" and "Find suppliers" in home

    client.get("/lang/vi")
    page = client.get("/suppliers/").get_data(as_text=True)
    assert html_lang(page) == "vi" and "<h1>Nhà cung cấp" in page and "Xoá lọc" in page


def test_switch_links_mark_the_active_language(client):
    body = client.get("/suppliers/?q=ABS").get_data(as_text=True)
    active = re.search(r'class="active" aria-current="true">([^<]+)</a>', body)
    assert active and active.group(1) == "Tiếng Việt"
    assert "/lang/en?next=/suppliers/?q%3DABS" in body
    client.get("/lang/en")
    body = client.get("/suppliers/").get_data(as_text=True)
    active = re.search(r'class="active" aria-current="true">([^<]+)</a>', body)
    assert active and active.group(1) == "English"


@pytest.mark.parametrize(
    ("header", "lang", "text"),
    [("en-US,en;q=0.9", "en", "Find suppliers"), ("vi", "vi", "Tìm nhà cung cấp")],
)
def test_accept_language_on_first_visit(client, header, lang, text):
    body = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(body) == lang and text in body


def test_unknown_language_is_404(client):
    assert client.get("/lang/fr").status_code == 404
    with client.session_transaction() as sess:
        assert "lang" not in sess


# Targets that start with a slash but that browsers read as another site: they drop
# tabs and newlines, skip spaces, read a backslash as a slash; percent-encoded, the
# same once decoded; and characters that only hide (zero-width, bidi overrides).
OFF_SITE = [
    "/\t/evil.example",
    "/ /evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\u202e/evil.example",
    "/%09/evil",
    "/%20/evil.example",
    "/%0d%0a/evil.example",
    "/%2509/evil.example",
    "/%2F/evil.example",
    "/%5C/evil.example",
    "/\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "https:/evil.example",
]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/needs/?page=2", "/needs/?page=2"),
        ("/suppliers/?q=%C3%A9p+phun&page=2", "/suppliers/?q=%C3%A9p+phun&page=2"),
        ("/events/3#requests", "/events/3#requests"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ]
    + [(target, "/") for target in OFF_SITE],
)
def test_next_is_only_followed_to_local_paths(client, target, expected):
    resp = client.get("/lang/en", query_string={"next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_safe_next_keeps_only_same_site_paths():
    from webapp.i18n import safe_next

    # (A NUL in a query string is refused before any view, with a 400.)
    for target in [*OFF_SITE, "/\x00/evil.example", "/%00/evil.example", None]:
        assert safe_next(target) == "/", repr(target)
    for target in ["/", "/suppliers/3", "/suppliers/?q=ép+phun", "/account/?a=b#tokens"]:
        assert safe_next(target) == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_site(client_as, target):
    """Signed in already, or signing in now: the same check of ``next``."""
    resp = client_as("buyer").get("/account/login", query_string={"next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_sign_in_form_never_redirects_off_site(app, people):
    from tests.conftest import PASSWORD

    resp = app.test_client().post(
        "/account/login",
        data={"email": people.emails["buyer"], "password": PASSWORD, "next": "/\t/evil.example"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_the_language_chosen_before_signing_in_is_kept(app, session):
    """Vietnamese chosen on the sign-in page stays after signing in, even when the
    browser prefers English, and becomes the account's language if it had none."""
    from catalog import accounts
    from catalog.models import User, UserRole

    user = accounts.create_user(
        session, "lang.keeper@people.test", "a long password 1", "Lan", role=UserRole.ADMIN
    )
    assert user.locale is None
    client = app.test_client()
    english = {"Accept-Language": "en-US,en;q=0.9"}
    client.get("/lang/vi", headers=english)
    client.post(
        "/account/login",
        data={"email": "lang.keeper@people.test", "password": "a long password 1"},
        headers=english,
    )
    page = client.get("/suppliers/", headers=english).get_data(as_text=True)
    assert html_lang(page) == "vi"
    session.expire_all()
    assert session.get(User, user.id).locale == "vi"


def test_numbers_and_dates_follow_the_locale(client, session):
    buyer = make_buyer(session, "Locale Format Buyer")
    make_need(
        session,
        buyer,
        title="Stamped steel brackets",
        quantity_per_year="270000",
        deadline="2027-03-05",
        visibility="public",
    )
    url = f"/needs/?buyer={buyer.id}"
    vi = client.get(url).get_data(as_text=True)
    assert "270.000" in vi and "05/03/2027" in vi
    client.get("/lang/en")
    en = client.get(url).get_data(as_text=True)
    assert "270,000" in en and "5 Mar 2027" in en


def test_concept_and_province_names_follow_the_locale(client):
    vi = client.get("/suppliers/").get_data(as_text=True)
    assert ">Hà Nội</option>" in vi
    client.get("/lang/en")
    en = client.get("/suppliers/").get_data(as_text=True)
    assert ">Ha Noi</option>" in en and ">Hà Nội</option>" not in en


def test_every_vietnamese_message_is_translated():
    with open(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="vi")
    ids = [m.id for m in catalog if m.id]
    assert len(ids) > 100
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated and not fuzzy


def test_catalogue_covers_the_templates():
    """Every msgid used in the code is in the Vietnamese catalogue (no stale extraction):
    the interface's ``_()`` and the catalog's and matcher's ``N_()`` messages."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(__file__).resolve().parent.parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    used = set()
    for package in ("webapp", "catalog", "matching", "jobs", "documents"):
        found = extract_from_dir(str(root / package), method_map, keywords=keywords)
        used |= {msg[2] for msg in found}
    used = {m if isinstance(m, str) else m[0] for m in used}
    with open(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "rb") as f:
        known = {m.id for m in read_po(f, locale="vi") if m.id}
    assert used <= known, sorted(used - known)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path", ["/", "/suppliers/"])
def test_one_language_per_page(client, lang, path):
    client.get(f"/lang/{lang}")
    body = client.get(path).get_data(as_text=True)
    assert html_lang(body) == lang
    for pattern in ("Nhà cung cấp · Suppliers", "nhà cung cấp · suppliers", "Tất cả · All"):
        assert pattern not in body


def test_catalog_and_matcher_messages_are_translated_with_local_numbers(client, session):
    """Validation messages and constraint details carry their parameters, so the page
    shows them in Vietnamese with Vietnamese number formatting; the API keeps English."""
    from flask_babel import refresh

    from catalog.schemas import validate_need
    from catalog.validation import ValidationError
    from webapp.helpers import translate

    with pytest.raises(ValidationError) as exc:
        validate_need(session, {"title": "Trục", "quantity_per_year": "0"})
    message = exc.value.errors["quantity_per_year"]
    assert message == "Must be between 1 and 1,000,000,000."
    with client.application.test_request_context(headers={"Accept-Language": "vi"}):
        refresh()
        assert translate(message) == "Phải trong khoảng từ 1 đến 1.000.000.000."
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert translate(message) == "Must be between 1 and 1,000,000,000."


def test_vnd_amounts_follow_the_locale(client, session):
    buyer = make_buyer(session, "VND Format Buyer")
    need = make_need(
        session, buyer, title="Tấm chắn bùn ép nhựa", target_price_vnd="12500", visibility="public"
    )
    vi = client.get(f"/needs/{need.id}", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    en = client.get(f"/needs/{need.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "12.500\xa0₫" in vi
    assert "₫12,500" in en


def test_error_pages_speak_the_readers_language(app, client_as):
    """A refused page, a rate limit or an unknown method shows no English in Vietnamese
    (Werkzeug's own titles and a limit's rule "10 per 1 minute" are never shown)."""
    supplier = client_as("supplier")
    supplier.get("/lang/vi")
    refused = supplier.get("/dashboard/")
    assert refused.status_code == 403
    body = refused.get_data(as_text=True)
    assert "Không được phép" in body and "Forbidden" not in body
    wrong_method = supplier.delete("/suppliers/")
    assert wrong_method.status_code == 405
    assert "Method Not Allowed" not in wrong_method.get_data(as_text=True)
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    try:
        visitor = app.test_client()
        visitor.get("/lang/vi")
        for _ in range(3):
            last = visitor.post(
                "/account/login",
                data={"email": "nobody@people.test", "password": "wrong password"},
                environ_base={"REMOTE_ADDR": "203.0.113.77"},
            )
    finally:
        app.config["LOGIN_RATE_LIMIT"] = saved
    assert last.status_code == 429
    body = last.get_data(as_text=True)
    assert "Quá nhiều lần thử" in body
    assert "per 1 minute" not in body and "Too Many Requests" not in body
    assert "Not allowed" in client_as("buyer").get(
        "/dashboard/", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
