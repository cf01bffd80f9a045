"""What each person sees: need visibility, contact consent, the audit log, and user text
that is shown as text in every field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog import accounts, services
from catalog.models import AuditEntry, Firm, Introduction, Need
from tests.conftest import PASSWORD, fresh_tax_code, login
from tests.factories import make_buyer


def _need(session, people, visibility: str, title: str) -> Need:
    buyer = session.get(Firm, people.firms["buyer"])
    return services.create_need(session, buyer, {"title": title, "visibility": visibility})


@pytest.mark.parametrize(
    ("visibility", "readers"),
    [
        ("public", {"anonymous", "supplier", "other_supplier", "buyer", "officer", "admin"}),
        ("registered", {"supplier", "other_supplier", "buyer", "officer", "other_officer"}),
        ("officers", {"buyer", "officer", "admin"}),
        ("invited", {"buyer", "officer", "admin", "supplier"}),
    ],
)
def test_need_visibility(session, people, client_as, api_as, visibility, readers):
    need = _need(session, people, visibility, f"Bánh răng nhựa POM ({visibility})")
    if visibility == "invited":
        need.invited.append(session.get(Firm, people.firms["supplier"]))
        session.commit()
    for role in ("anonymous", "supplier", "other_supplier", "buyer", "officer", "admin"):
        page = client_as(role).get(f"/needs/{need.id}")
        listed = need.title in client_as(role).get("/needs/").get_data(as_text=True)
        api = api_as(role).get("/api/v1/needs?per_page=100")
        in_api = any(item["id"] == need.id for item in api.json["items"])
        expected = role in readers or role == "admin"
        assert (page.status_code == 200) == expected, (role, page.status_code)
        assert listed == expected, role
        assert in_api == expected, role


def test_suppliers_see_a_need_but_not_its_matches(session, people, client_as):
    need = _need(session, people, "public", "Vỏ nhôm đúc áp lực ADC12")
    body = client_as("supplier").get(f"/needs/{need.id}").get_data(as_text=True)
    assert need.title in body and 'class="matches"' not in body
    body = client_as("buyer").get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'class="matches"' in body


def test_contact_is_shared_only_after_the_supplier_accepts(session, people, client_as, api_as):
    supplier = session.get(Firm, people.firms["other_supplier"])
    contact = supplier.contact_email
    need = _need(session, people, "registered", "Chi tiết nhựa PP cho quạt")
    buyer_page = client_as("buyer")
    assert contact not in buyer_page.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert api_as("buyer").get(f"/api/v1/firms/{supplier.id}").json["contact_email"] is None
    # The province's officer sees it; the supplier's own users do.
    assert contact in client_as("other_officer").get(f"/suppliers/{supplier.id}").get_data(
        as_text=True
    )
    assert contact in client_as("other_supplier").get(f"/suppliers/{supplier.id}").get_data(
        as_text=True
    )
    resp = buyer_page.post(f"/needs/{need.id}/introductions", data={"firm_id": supplier.id})
    assert resp.status_code == 302
    intro = api_as("other_supplier").get("/api/v1/introductions").json["items"][0]
    assert intro["need_id"] == need.id and intro["status"] == "requested"
    # Requested is not accepted: still hidden, both ways.
    assert api_as("buyer").get(f"/api/v1/firms/{supplier.id}").json["contact_email"] is None
    buyer_firm = people.firms["buyer"]
    assert api_as("other_supplier").get(f"/api/v1/firms/{buyer_firm}").json["contact_name"] is None
    # Another supplier cannot answer for it.
    assert api_as("supplier").post(f"/api/v1/introductions/{intro['id']}/accept").status_code == 403
    resp = client_as("other_supplier").post(f"/introductions/{intro['id']}/accept")
    assert resp.status_code == 302
    assert contact in buyer_page.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert api_as("buyer").get(f"/api/v1/firms/{supplier.id}").json["contact_email"] == contact
    assert api_as("other_supplier").get(f"/api/v1/firms/{buyer_firm}").json["contact_name"]
    # A third firm still does not see it.
    assert api_as("supplier").get(f"/api/v1/firms/{supplier.id}").json["contact_email"] is None


def test_audit_log_records_who_changed_what(session, people, client_as):
    firm_id = people.firms["supplier"]
    officer = client_as("officer")
    assert officer.post(f"/firms/{firm_id}/verify", data={"verified": "1"}).status_code == 302
    supplier = client_as("supplier")
    resp = supplier.post(
        f"/firms/{firm_id}/capabilities/new",
        data={"title": "Gia công CNC nhôm 6061", "process": "process.cnc_milling"},
    )
    assert resp.status_code == 302
    entries = list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.province_id.is_not(None)).order_by(AuditEntry.id)
        )
    )
    verify = [e for e in entries if e.action == "verify" and e.entity_id == firm_id][-1]
    assert verify.actor_id == people.users["officer"] and verify.entity == "firm"
    created = [e for e in entries if e.entity == "capability" and e.action == "create"][-1]
    assert created.actor_id == people.users["supplier"]
    assert created.changes["title"] == "Gia công CNC nhôm 6061"
    # Officers read their provinces' entries; the other province's officer does not.
    assert "Gia công CNC nhôm 6061" in officer.get("/admin/audit").get_data(as_text=True)
    other = client_as("other_officer").get("/admin/audit?entity=capability")
    assert "Gia công CNC nhôm 6061" not in other.get_data(as_text=True)
    assert "Gia công CNC nhôm 6061" in client_as("admin").get("/admin/audit").get_data(as_text=True)


PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "<b>bold</b>"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_is_shown_as_text_in_every_field(session, people, client_as, payload):
    """Script and HTML in every text field of a firm, capability, certification and need
    come back escaped on every page that shows them."""
    admin = client_as("admin")
    resp = admin.post(
        "/firms/new",
        data={
            "role": "both",
            "name_vi": f"Công ty {payload}",
            "name_en": f"Firm {payload}",
            "tax_code": fresh_tax_code(),
            "province": "VP",
            "address": f"KCN {payload}",
            "country_of_origin": payload,
            "contact_name": payload,
            "contact_phone": payload[:40],
            "description": payload,
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    firm = session.scalar(select(Firm).where(Firm.name_en == f"Firm {payload}"))
    resp = admin.post(
        f"/firms/{firm.id}/capabilities/new",
        data={
            "title": f"Sơn tĩnh điện {payload}",
            "description": payload,
            "products": payload,
            "equipment": payload,
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    resp = admin.post(
        f"/firms/{firm.id}/certifications/new",
        data={"standard": "ISO 9001", "issuer": payload, "certificate_no": payload[:60]},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    resp = admin.post(
        "/needs/new",
        data={
            "buyer": firm.id,
            "title": f"Nhu cầu {payload}",
            "description": payload,
            "visibility": "public",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    need_page = resp.headers["Location"]
    pages = [
        f"/suppliers/{firm.id}",
        f"/firms/{firm.id}/edit",
        need_page,
        f"/needs/?buyer={firm.id}",
        "/admin/audit",
    ]
    for path in pages:
        body = admin.get(path).get_data(as_text=True)
        assert payload not in body, path
        assert "&lt;" in body, path


def test_oversized_requests_get_a_friendly_413(app, client_as):
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client_as("admin").post(
        "/firms/new", data=b"x" * (limit + 1), content_type="application/octet-stream"
    )
    assert resp.status_code == 413
    assert "Traceback" not in resp.get_data(as_text=True)


def test_a_supplier_asked_for_an_introduction_may_read_the_need(session, people, client_as):
    need = _need(session, people, "officers", "Khung thép hàn cho tủ điện")
    other = client_as("other_supplier")
    assert other.get(f"/needs/{need.id}").status_code == 403
    client_as("buyer").post(
        f"/needs/{need.id}/introductions", data={"firm_id": people.firms["other_supplier"]}
    )
    assert other.get(f"/needs/{need.id}").status_code == 200
    assert need.title in other.get("/needs/").get_data(as_text=True)
    assert client_as("supplier").get(f"/needs/{need.id}").status_code == 403


def test_shortlist_export_keeps_contacts_until_the_introduction_is_accepted(
    app, session, people, client_as
):
    # A buyer firm of its own: contacts open per pair of firms, and other tests may have
    # introduced the shared buyer to the shared supplier already.
    supplier = session.get(Firm, people.firms["supplier"])
    firm = make_buyer(session, f"Contact Test Buyer {fresh_tax_code()}")
    user = accounts.create_user(
        session, f"contact.buyer.{firm.id}@people.test", PASSWORD, "Contact Buyer", firm=firm
    )
    need = services.create_need(
        session, firm, {"title": "Vỏ hộp nhựa ABS cho bộ đàm", "visibility": "registered"}
    )
    buyer = app.test_client()
    login(buyer, user.id)
    buyer.post(f"/needs/{need.id}/shortlist", data={"firm_id": supplier.id})
    csv_text = buyer.get(f"/needs/{need.id}/shortlist.csv").data.decode("utf-8-sig")
    assert supplier.name_vi in csv_text and supplier.contact_email not in csv_text
    buyer.post(f"/needs/{need.id}/introductions", data={"firm_id": supplier.id})
    intro = session.scalars(
        select(Introduction).where(
            Introduction.need_id == need.id, Introduction.supplier_id == supplier.id
        )
    ).one()
    client_as("supplier").post(f"/introductions/{intro.id}/accept")
    csv_text = buyer.get(f"/needs/{need.id}/shortlist.csv").data.decode("utf-8-sig")
    assert supplier.contact_email in csv_text


def test_officers_add_firms_to_their_own_provinces_only(client_as, api_as):
    data = {"role": "supplier", "name_vi": "Xưởng Mới", "tax_code": fresh_tax_code()}
    assert (
        client_as("officer").post("/firms/new", data={**data, "province": "BN"}).status_code == 422
    )
    resp = api_as("officer").post("/api/v1/firms", json={**data, "province": "BN"})
    assert resp.status_code == 422 and "province" in resp.json["errors"]
    assert (
        client_as("officer").post("/firms/new", data={**data, "province": "VP"}).status_code == 302
    )


def test_supply_relationships_declared_and_created_by_deals(session, people, client_as):
    from catalog.models import SupplyRelationship

    supplier_id, buyer_id = people.firms["other_supplier"], people.firms["buyer"]
    need = _need(session, people, "registered", "Vỏ nhựa cho bộ sạc điện thoại")
    resp = client_as("buyer").post(
        f"/needs/{need.id}/outcomes", data={"firm_id": supplier_id, "outcome": "deal"}
    )
    assert resp.status_code == 302
    link = session.scalar(
        select(SupplyRelationship).where(
            SupplyRelationship.supplier_id == supplier_id, SupplyRelationship.buyer_id == buyer_id
        )
    )
    assert link is not None and link.tier == 1 and link.source == "deal"
    assert link.need_id == need.id
    # The supplier declares a tier-2 relationship; another firm may not do it for it.
    other = people.firms["supplier"]
    form = {"buyer": other, "tier": "2", "since": "2021-03-01"}
    assert (
        client_as("supplier").post(f"/firms/{supplier_id}/relationships", data=form).status_code
        == 403
    )
    resp = client_as("other_supplier").post(f"/firms/{supplier_id}/relationships", data=form)
    assert resp.status_code == 302
    page = client_as("other_officer").get(f"/suppliers/{supplier_id}").get_data(as_text=True)
    assert 'id="relationships"' in page and "Test Assembly Vietnam" in page
    assert 'id="relationships"' not in client_as("anonymous").get(
        f"/suppliers/{supplier_id}"
    ).get_data(as_text=True)
    bad = client_as("other_supplier").post(
        f"/firms/{supplier_id}/relationships", data={"buyer": other, "tier": "3"}
    )
    assert bad.status_code == 302
    assert (
        session.scalar(
            select(SupplyRelationship.tier).where(
                SupplyRelationship.supplier_id == supplier_id, SupplyRelationship.buyer_id == other
            )
        )
        == 2
    )
