"""The walk from a posted need to a purchase order, as its users make it.

A buyer posts a need through the API. Three suppliers answer: one with a message (in
Vietnamese, on the page), two with a quotation and a drawing (STEP and DXF, on the
page, one of them in English and in dollars). The buyer compares the answers (API,
page in both languages, XLSX), asks a question, approves a sample and records a
purchase order (API). The officer of the province sees the deal in the funnel (API and
dashboard) and in the quarterly report the report job writes; the learner receives
the graded judgements (interest < quoted < purchase order) for this need; the OpenAPI
document describes every call made.
"""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from catalog import accounts
from catalog.dashboard import Period
from catalog.models import Deal, Need, SupplyRelationship
from catalog.models.base import vietnam_today
from jobs.runtime import runtime
from matching.learning import latest_grades
from tests.conftest import PASSWORD, login
from tests.factories import make_supplier
from webapp.extensions import db

STEP = (
    b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('bracket'),'2;1');\nENDSEC;\nDATA;\n"
    b"#1=CARTESIAN_POINT('',(0.,0.,0.));\nENDSEC;\nEND-ISO-10303-21;\n"
)
DXF = b"  0\nSECTION\n  2\nENTITIES\n  0\nLINE\n  8\n0\n  0\nENDSEC\n  0\nEOF\n"


def _quote(client, need_id: int, price: str, currency: str, lead: int, drawing, name: str):
    return client.post(
        f"/deals/needs/{need_id}/answer",
        data={
            "kind": "quote",
            "unit_price": price,
            "currency": currency,
            "min_order_qty": "500",
            "lead_time_days": str(lead),
            "capacity_per_month": "20000",
            "valid_until": (vietnam_today() + timedelta(days=30)).isoformat(),
            "note": "Khuôn tính riêng",
            "files": [(io.BytesIO(drawing), name)],
        },
        content_type="multipart/form-data",
    )


def test_from_a_posted_need_to_a_purchase_order(app, people, api_as, client_as):
    buyer_api, officer_api = api_as("buyer"), api_as("officer")

    # The buyer posts a need (English: a foreign-invested assembler).
    posted = buyer_api.post(
        "/api/v1/needs",
        json={
            "title": "Injection moulded ABS housing for a charger",
            "description": "ABS housings, 10,000 pcs/month, delivery Phu Tho.",
            "process": "process.injection_molding",
            "quantity_per_year": 120000,
            "delivery_province": "PT",
            "visibility": "registered",
        },
    )
    assert posted.status_code == 201, posted.json
    need_id = posted.json["id"]

    # Two more suppliers with their own users and an injection-moulding capability each
    # (found by the matcher, so the learner has their features): a Vietnamese workshop
    # in Bắc Ninh writing in Vietnamese, and one whose user reads English.
    made = {}
    with app.app_context():
        for key, name, province in (
            ("second", "Công ty Nhựa Đường Đi Hai", "PT"),
            ("third", "Xưởng Nhựa Đường Đi Ba", "BN"),
        ):
            firm = make_supplier(
                db.session,
                name,
                [{"title": "Ép phun vỏ nhựa ABS", "process": "process.injection_molding"}],
                province=province,
            )
            user = accounts.create_user(db.session, f"{key}@walk.test", PASSWORD, name, firm=firm)
            made[key] = (firm.id, user.id)
        db.session.remove()
    clients = {}
    for key, lang in (("second", "vi"), ("third", "en")):
        clients[key] = app.test_client()
        login(clients[key], made[key][1])
        clients[key].get(f"/lang/{lang}")
    second_id, third_id = made["second"][0], made["third"][0]
    other, third_client = clients["second"], clients["third"]

    # One message, two quotations with a drawing.
    supplier = client_as("supplier")
    supplier.get("/lang/vi")
    answered = supplier.post(
        f"/deals/needs/{need_id}/answer",
        data={"kind": "interest", "message": "Chúng tôi ép được vỏ ABS này."},
    )
    assert answered.status_code == 302
    assert _quote(other, need_id, "11800", "VND", 21, STEP, "vo.step").status_code == 302
    assert _quote(third_client, need_id, "0.48", "USD", 30, DXF, "vo.dxf").status_code == 302

    # The buyer compares them: by price (0.48 USD ≈ 12,000 đ, after 11,800 đ), with the
    # message's firm listed without a price.
    rows = buyer_api.get(f"/api/v1/needs/{need_id}/quotes?sort=price").json["items"]
    firms = [r["supplier_id"] for r in rows]
    assert firms[:2] == [second_id, third_id]
    assert firms[2] == people.firms["supplier"]
    buyer = client_as("buyer")
    for lang, heading in (("vi", "So sánh"), ("en", "Compare")):
        buyer.get(f"/lang/{lang}")
        page = buyer.get(f"/deals/needs/{need_id}/compare").get_data(as_text=True)
        assert heading in page and "Xưởng Nhựa Đường Đi Ba" in page
    sheet = buyer.get(f"/deals/needs/{need_id}/compare.xlsx")
    book = load_workbook(io.BytesIO(sheet.data))
    assert sum(1 for _ in book.active.iter_rows(min_row=2)) == 3

    # A question to the firm with the lowest price, a sample approved, a purchase order.
    with app.app_context():
        deal_id = db.session.scalar(
            select(Deal.id).where(Deal.need_id == need_id, Deal.supplier_id == second_id)
        )
        db.session.remove()
    asked = buyer_api.post(
        f"/api/v1/deals/{deal_id}/messages", json={"body": "Can you keep ±0.05 mm on the clips?"}
    )
    assert asked.status_code == 201
    reply = other.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "Can you keep ±0.05 mm on the clips?" in reply and "vo.step" in reply
    sample = buyer_api.post(
        f"/api/v1/deals/{deal_id}/stages",
        json={"stage": "sample_approved", "ppap_level": 3, "first_article": True},
    )
    assert sample.status_code == 200, sample.json
    order = buyer_api.post(
        f"/api/v1/deals/{deal_id}/orders", json={"value": 354000000, "currency": "VND"}
    )
    assert order.status_code == 201, order.json
    shown = buyer_api.get(f"/api/v1/deals/{deal_id}").json
    assert shown["stage"] == "purchase_order"
    assert [s["stage"] for s in shown["steps"]] == ["quoted", "sample_approved", "purchase_order"]

    with app.app_context():
        session = db.session
        link = session.scalar(
            select(SupplyRelationship).where(
                SupplyRelationship.supplier_id == second_id,
                SupplyRelationship.buyer_id == people.firms["buyer"],
            )
        )
        assert link is not None and link.source == "deal" and link.tier == 1
        # The learner: one graded judgement per supplier, the order above the quote
        # above the message, and training examples for this need.
        grades = latest_grades(session)[need_id]
        assert grades[second_id] > grades[third_id] > grades[people.firms["supplier"]]
        need = session.get(Need, need_id)
        examples = runtime().engine.judged_examples(session, need, grades)
        assert sorted(e.grade for e in examples) == sorted(grades.values())
        db.session.remove()

    # The officer: the funnel through the API and on the dashboard, then the report.
    period = Period.current("quarter")
    funnel = officer_api.get("/api/v1/funnel?province=PT").json
    assert funnel["first_orders"] >= 1 and funnel["first_order_value_vnd"] >= 354000000
    assert funnel["needs_answered"] >= 1 and funnel["quotes_received"] >= 2
    officer = client_as("officer")
    officer.get("/lang/vi")
    dashboard = officer.get("/dashboard/?province=PT").get_data(as_text=True)
    assert "Từ kết nối đến đơn hàng đầu tiên" in dashboard
    assert officer.post(f"/dashboard/reports?province=PT&period={period.label}").status_code == 302
    page = officer.get(f"/dashboard/?province=PT&period={period.label}").get_data(as_text=True)
    job = page.split('data-status="/dashboard/reports/')[1].split(".json")[0]
    book = load_workbook(io.BytesIO(officer.get(f"/dashboard/reports/{job}.xlsx").data))
    assert "Phễu kết nối" in book.sheetnames
    orders = [" ".join(str(c) for c in row) for row in book["Đơn hàng đầu tiên"].values]
    assert any("Injection moulded ABS housing" in row for row in orders), orders
    pdf = officer.get(f"/dashboard/reports/{job}.pdf")
    assert pdf.data.startswith(b"%PDF")

    # The officer does not read the conversation, unless a side asks them in.
    assert officer.get(f"/deals/{deal_id}").status_code == 403
    other.post(f"/deals/{deal_id}/officers")
    assert officer.get(f"/deals/{deal_id}").status_code == 200

    # Every call above is in the OpenAPI document.
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/needs",
        "/api/v1/needs/{need_id}/quotes",
        "/api/v1/deals/{deal_id}/messages",
        "/api/v1/deals/{deal_id}/stages",
        "/api/v1/deals/{deal_id}/orders",
        "/api/v1/deals/{deal_id}",
        "/api/v1/funnel",
    ):
        assert path in paths, path
