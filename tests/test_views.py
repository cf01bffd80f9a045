"""Pages through the Flask test client: directory, firm pages, needs, shortlist, export."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from catalog.models import Firm, FirmRole, Need
from tests.conftest import fresh_tax_code
from tests.factories import make_buyer, make_need


@pytest.fixture()
def client(admin_client):
    """These tests exercise features; who may use them is tested in test_access_matrix."""
    return admin_client


def test_home_and_directory(client):
    assert "nhà cung cấp" in client.get("/").get_data(as_text=True)  # Vietnamese by default
    client.get("/lang/en")
    assert "suppliers" in client.get("/").get_data(as_text=True)
    page = client.get("/suppliers/").get_data(as_text=True)
    assert "<h1>Suppliers" in page
    assert page.count('class="result"') == 20


def test_directory_filters(client, session):
    body = client.get("/suppliers/?province=TB&certification=ISO+9001").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/suppliers/(\d+)"', body)]
    assert ids
    for firm in session.scalars(select(Firm).where(Firm.id.in_(ids))):
        # Former Thái Bình, inside Hưng Yên since the 2025 map.
        assert (firm.province.code, firm.former_province.code) == ("HY", "TB")
        assert "ISO 9001" in {c.standard for c in firm.certifications}


def test_directory_search_understands_both_languages(client, session):
    for query in ("ép phun nhựa", "injection molding", "ep phun nhua"):
        body = client.get("/suppliers/", query_string={"q": query}).get_data(as_text=True)
        ids = [int(i) for i in re.findall(r'href="/suppliers/(\d+)"', body)][:5]
        assert ids, query
        assert body.count('class="matched"') >= 5  # the capability that matched comes first
        firms = session.scalars(select(Firm).where(Firm.id.in_(ids)))
        makers = sum(
            any(c.process_id == "process.injection_molding" for c in f.capabilities) for f in firms
        )
        assert makers >= 4, query


def test_a_card_without_an_english_name_starts_with_its_place(client, session):
    from tests.factories import make_supplier

    firm = make_supplier(session, "A Á Cơ khí Không Tên Tiếng Anh", [], province="PT")
    session.commit()
    assert not firm.name_en
    client.get("/lang/en")
    body = client.get("/suppliers/").get_data(as_text=True)
    card = body[body.index(f'href="/suppliers/{firm.id}"') :]
    line = re.search(r'<div class="muted">(.*?)</div>', card).group(1)
    assert line.startswith("Phu Tho"), line  # not "· Phu Tho"


def test_filter_lists_speak_the_readers_language_and_follow_the_catalogue(client, session, app):
    """The lists are kept per process, and a certificate added is listed at once."""
    from sqlalchemy import event

    from catalog import services
    from tests.factories import make_supplier
    from webapp.extensions import db

    def options(name: str) -> list[str]:
        body = client.get("/suppliers/").get_data(as_text=True)
        select_ = re.search(rf'<select id="{name}".*?</select>', body, re.S).group(0)
        found = re.findall(r"<option[^>]*>([^<]*)</option>", select_)
        return [html.unescape(t).replace("\n", " ") for t in found]

    client.get("/lang/vi")
    assert "\xa0\xa0Phú Thọ — Vĩnh Phúc cũ" in options("province")
    assert "Đúc áp lực nhôm" in options("process")
    client.get("/lang/en")
    provinces = options("province")
    assert "Phu Tho" in provinces and "\xa0\xa0Phu Tho — former Vinh Phuc" in provinces
    assert "Aluminium die casting" in options("process")

    asked = []
    with app.app_context():
        listener = lambda *a: asked.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        options("certification")
        assert not any("GROUP BY certifications.standard" in s for s in asked)  # kept
        firm = make_supplier(session, "Công ty TNHH Chứng Chỉ Mới Tem", [])
        session.commit()
        assert "TCVN 7777" not in options("certification")
        services.add_certification(session, firm, {"standard": "TCVN 7777"})
        session.commit()
        assert "TCVN 7777" in options("certification")
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)


def test_firm_page_and_404(client, session):
    firm = session.scalars(
        select(Firm)
        .where(Firm.role == FirmRole.SUPPLIER, Firm.capabilities.any())
        .order_by(Firm.id)
    ).first()
    body = client.get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert firm.name_vi in body and firm.capabilities[0].title in body
    client.get("/lang/en")
    missing = client.get("/suppliers/999999")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)


def test_create_firm_and_capability_through_forms(client, session):
    tax = fresh_tax_code()
    resp = client.post(
        "/firms/new",
        data={
            "role": "supplier",
            "name_vi": "Công ty TNHH Form Kiểm Thử",
            "tax_code": tax,
            "province": "HY",
            "ownership": "domestic",
            "sectors": ["sector.mechanical"],
        },
    )
    assert resp.status_code == 302
    firm = session.scalar(select(Firm).where(Firm.tax_code == tax))
    resp = client.post(
        f"/firms/{firm.id}/capabilities/new",
        data={
            "title": "Tiện CNC trục thép",
            "description": "Tiện CNC trục S45C dung sai 0.01",
            "process": "process.cnc_turning",
            "materials": ["material.s45c"],
            "capacity_per_month": "20.000",
        },
    )
    assert resp.status_code == 302
    session.expire_all()
    assert firm.capabilities[0].capacity_per_month == 20000


def test_form_errors_are_shown_per_field(client):
    resp = client.post(
        "/firms/new", data={"role": "supplier", "name_vi": "", "tax_code": "123", "province": ""}
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Mã số thuế phải có 10 chữ số" in body  # the catalog message, translated
    assert body.count('class="error"') >= 3


def test_user_text_is_escaped(client, session):
    buyer = make_buyer(session, "Escape Test Buyer")
    need = make_need(
        session,
        buyer,
        title="<script>alert(1)</script> housings",
        description="<img src=x onerror=alert(1)>",
    )
    body = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_need_matches_shortlist_and_export(client, session):
    buyer = make_buyer(session, "Shortlist Test Vina")
    resp = client.post(
        "/needs/new",
        data={
            "buyer": str(buyer.id),
            "title": "Injection moulded ABS housings",
            "description": "ABS housings for routers, 2 cavities, 50k pcs/year",
            "process": "process.injection_molding",
            "materials": ["material.abs"],
            "quantity_per_year": "50000",
            "required_certifications": ["ISO 9001"],
            "delivery_province": "HY",
        },
    )
    assert resp.status_code == 302
    need = session.scalar(select(Need).where(Need.buyer_id == buyer.id))
    body = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Yêu cầu ISO 9001" in body
    firm_ids = list(
        dict.fromkeys(int(i) for i in re.findall(r'name="firm_id" value="(\d+)"', body))
    )
    assert len(firm_ids) >= 5

    qualified = client.get(f"/needs/{need.id}?qualified=1").get_data(as_text=True)
    assert "Yêu cầu ISO 9001: chưa có" not in qualified

    for fid in firm_ids[:2]:
        resp = client.post(f"/needs/{need.id}/shortlist", data={"firm_id": fid, "score": "0.8"})
        assert resp.status_code == 302
    csv_resp = client.get(f"/needs/{need.id}/shortlist.csv")
    text = csv_resp.data.decode("utf-8-sig")
    assert text.count("\n") == 3 and "Mã số thuế" in text  # headers in the reader's language
    xlsx = client.get(f"/needs/{need.id}/shortlist.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 3
    names = {session.get(Firm, fid).name_vi for fid in firm_ids[:2]}
    assert {sheet.cell(row=r, column=1).value for r in (2, 3)} == names

    client.post(f"/needs/{need.id}/shortlist/{firm_ids[0]}/remove")
    assert client.get(f"/needs/{need.id}/shortlist.csv").data.decode("utf-8-sig").count("\n") == 2


def test_export_neutralises_formulas(client, session):
    from catalog.export import to_csv

    data = to_csv(["a"], [['=HYPERLINK("x")'], ["+1"], ["-2"], ["@SUM(A1)"], [5]])
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text


def test_csrf_is_required_when_enabled(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post("/firms/new", data={"role": "supplier"})
        assert resp.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_security_headers(client):
    for path in ("/", "/suppliers/", "/api/v1/firms", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_outcome_buttons_record_judgements(client, session):
    from catalog.models import MatchJudgement

    buyer = make_buyer(session, "Outcome Buttons Vina")
    need = make_need(session, buyer, title="Die-cast aluminium ADC12 housings")
    body = client.get(f"/needs/{need.id}").get_data(as_text=True)
    firm_id = int(re.search(r'name="firm_id" value="(\d+)"', body).group(1))
    resp = client.post(
        f"/needs/{need.id}/outcomes", data={"firm_id": firm_id, "outcome": "rejected"}
    )
    assert resp.status_code == 302
    judgements = list(
        session.scalars(select(MatchJudgement).where(MatchJudgement.need_id == need.id))
    )
    assert [(j.firm_id, j.outcome.value, j.grade) for j in judgements] == [(firm_id, "rejected", 0)]
    client.post(f"/needs/{need.id}/outcomes", data={"firm_id": firm_id, "outcome": "bogus"})
    session.expire_all()
    assert session.query(MatchJudgement).filter_by(need_id=need.id).count() == 1


TEMPLATES = Path(__file__).resolve().parent.parent / "webapp" / "templates"


def test_every_post_form_carries_a_csrf_token():
    """CSRFProtect refuses a POST without the token; a form without it would be broken,
    so the templates are checked form by form."""
    forms = 0
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, re.S | re.I):
            if re.search(r'method="post"', match.group(0), re.I):
                forms += 1
                assert "csrf_token()" in match.group(1), f"{path.name}: {match.group(0)[:120]}"
    assert forms >= 20


def test_templates_have_no_inline_script_or_style():
    """The Content-Security-Policy forbids inline script and style: none may be written."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.I), path.name
        assert not re.search(r"<style\b|\sstyle=\"", text, re.I), path.name
        assert not re.search(r"\son[a-z]+=\"", text, re.I), path.name


def test_filtered_lists_export_to_csv_and_xlsx(client, session):
    """The directory as filtered, the needs list and a need's ranked matches download as
    CSV and XLSX, headers in the reader's language, formulas neutralised."""
    csv_text = client.get("/suppliers/export.csv?province=VP").data.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Doanh nghiệp (VI)") and len(lines) > 5
    # "VP": the firms of former Vĩnh Phúc, inside Phú Thọ since the 2025 map.
    vp = session.scalar(select(func.count(Firm.id)).where(Firm.former_province.has(code="VP")))
    assert len(lines) - 1 <= vp
    book = openpyxl.load_workbook(io.BytesIO(client.get("/suppliers/export.xlsx?q=CNC").data))
    assert book.active.max_row > 2
    assert "Nhu cầu" in client.get("/needs/export.csv").data.decode("utf-8-sig").splitlines()[0]
    need = session.scalars(select(Need).where(Need.status == "open")).first()
    rows = client.get(f"/needs/{need.id}/matches.csv").data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Hạng") and rows[1].startswith("1,")
    # Values too in the reader's language: a firm's role, a need's status, names.
    assert ",Nhà cung cấp," in csv_text and ",supplier," not in csv_text
    assert ",Đang mở" in client.get("/needs/export.csv").data.decode("utf-8-sig")
    client.get("/lang/en")
    english = client.get("/suppliers/export.csv?province=VP").data.decode("utf-8-sig")
    assert ",Supplier,Phu Tho — former Vinh Phuc," in english
    assert ",Phú Thọ" not in english and "Vĩnh Phúc cũ" not in english
    needs = client.get("/needs/export.csv").data.decode("utf-8-sig")
    assert needs.splitlines()[0].startswith("Need") and ",Open" in needs
