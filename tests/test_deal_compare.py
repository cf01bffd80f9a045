"""The buyer compares the answers to a need: quotations side by side (one in dollars,
sorted on their đồng value), interest without a price, shortlisting, declining with a
reason the supplier is told of in its language, the XLSX export of the table, and
nobody but the need's managers opening it."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from catalog import notifications, services
from catalog.deals import comparison
from catalog.deals.pipeline import deal_for, reach
from catalog.models import (
    Certification,
    DealMessage,
    Firm,
    Need,
    Notification,
    Province,
    QuoteStatus,
    ShortlistEntry,
    Side,
    Stage,
    User,
)
from catalog.models.base import vietnam_today
from catalog.notifications.deals import DEAL_QUOTE_DECLINED
from jobs.i18n import translate
from jobs.sync import index_sync_paused
from tests.conftest import fresh_tax_code
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _quote(session, need: Need, firm: Firm, user_id: int | None, **values):
    """A quotation through the supplier side's own function when its firm has a user."""
    from catalog.deals.quotes import submit_quote

    user = session.get(User, user_id)
    return submit_quote(session, need, firm, user, values)


@pytest.fixture()
def scene(app, people):
    """A need of the buyer (delivery in Phú Thọ, 120,000 a year) answered by three
    suppliers: two quotations (one in USD, with an expired certificate and a note that
    looks like a formula) and one firm's interest without a price."""
    with app.app_context():
        session = db.session
        tag = uuid.uuid4().hex[:6]
        with index_sync_paused(session):
            buyer = session.get(Firm, people.firms["buyer"])
            need = services.create_need(
                session,
                buyer,
                {
                    "title": f"Vỏ hộp nhựa ABS {tag}",
                    "visibility": "registered",
                    "quantity_per_year": 120000,
                    "delivery_province": "PT",
                },
            )
            third = services.create_firm(
                session,
                {
                    "role": "supplier",
                    "name_vi": f"Công ty Khuôn mẫu Thứ Ba {tag}",
                    "tax_code": fresh_tax_code(),
                    "province": "HN",
                },
            )
        near = session.get(Firm, people.firms["supplier"])  # Phú Thọ
        far = session.get(Firm, people.firms["other_supplier"])  # Bắc Ninh
        cert = Certification(
            firm=far, standard="ISO 9001", valid_until=vietnam_today() - timedelta(1)
        )
        session.add(cert)
        session.commit()
        q_near = _quote(
            session,
            need,
            near,
            people.users["supplier"],
            unit_price="15000",
            currency="VND",
            lead_time_days=30,
            capacity_per_month=12000,
            min_order_qty=1000,
            valid_until=(vietnam_today() + timedelta(30)).isoformat(),
            note='=HYPERLINK("http://evil.test","bấm")',
        )
        q_far = _quote(
            session,
            need,
            far,
            people.users["other_supplier"],
            unit_price="0.5",
            currency="USD",
            lead_time_days=45,
            capacity_per_month=5000,
            certification_ids=[cert.id],
        )
        deal = deal_for(session, need, third, match_score=0.61)
        message = DealMessage(deal=deal, side=Side.SUPPLIER, kind="interest", body="Quan tâm")
        session.add(message)
        session.flush()
        reach(
            session, deal, Stage.INTEREST, source="message", ref_id=message.id, side=Side.SUPPLIER
        )
        session.commit()
        ids = {
            "need": need.id,
            "q_near": q_near.id,
            "q_far": q_far.id,
            "third": third.id,
            "tag": tag,
        }
        session.remove()
    return ids


def test_rows_sort_by_price_and_lead_time_with_interest_only_listed(app, people, scene):
    with app.app_context():
        session = db.session
        need = session.get(Need, scene["need"])
        buyer = session.get(User, people.users["buyer"])
        by_price = comparison.compare(session, need, buyer, "price")
        # 0.5 USD ≈ 13,000 đ < 15,000 đ; the firm that only showed interest comes last.
        assert [r.quote.id if r.quote else None for r in by_price] == [
            scene["q_far"],
            scene["q_near"],
            None,
        ]
        far, near, third = by_price
        assert far.quote.currency == "USD" and far.unit_price_vnd == 13000
        assert third.supplier.id == scene["third"] and third.unit_price_vnd is None
        assert third.match_score == 0.61 and third.stage == Stage.INTEREST
        # Capacity against 120,000 / 12 = 10,000 a month; the certificate has lapsed.
        assert near.needed_per_month == 10000 and near.capacity_ok and not far.capacity_ok
        assert [(c.standard, c.valid) for c in far.certificates] == [("ISO 9001", False)]
        # Distance from each supplier's province to the delivery province (Phú Thọ).
        assert near.distance_km == pytest.approx(0, abs=1)
        pt, bn = (session.scalar(select(Province).where(Province.code == c)) for c in ("PT", "BN"))
        assert far.distance_km == pytest.approx(comparison.distance_km(bn, pt))
        assert far.distance_km > 20
        by_lead = comparison.compare(session, need, buyer, "lead_time")
        assert [r.quote.id for r in by_lead[:2]] == [scene["q_near"], scene["q_far"]]
        by_distance = comparison.compare(session, need, buyer, "distance")
        assert by_distance[0].quote.id == scene["q_near"]
        with pytest.raises(comparison.ValidationError):
            comparison.compare(session, need, buyer, "colour")


def test_the_page_and_the_api_sort_and_decline_with_a_reason(app, people, scene, client_as, api_as):
    buyer = client_as("buyer")
    page = buyer.get(f"/deals/needs/{scene['need']}/compare?sort=lead_time")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "deal-" in html and "quote_id" not in html
    assert html.index("Công ty Khuôn mẫu Thứ Ba") > html.index("Kiểm Thử BN")
    # The need page links the comparison with its count.
    need_page = buyer.get(f"/needs/{scene['need']}").get_data(as_text=True)
    assert f"/deals/needs/{scene['need']}/compare" in need_page and "(3)" in need_page
    assert 'name="firm" value=' in need_page  # the match cards' "Ask to quote"

    # Decline the dollar quotation for its price: the supplier is told, in Vietnamese.
    answer = buyer.post(
        f"/deals/quotes/{scene['q_far']}/decline", data={"reason": "price", "note": "Cao quá"}
    )
    assert answer.status_code == 302
    with app.app_context():
        session = db.session
        from catalog.models import Quote

        quote = session.get(Quote, scene["q_far"])
        assert quote.status == QuoteStatus.DECLINED and quote.decline_reason.value == "price"
        assert quote.deal.stage != Stage.CLOSED  # the deal itself stays open
        (note,) = session.scalars(
            select(Notification).where(
                Notification.user_id == people.users["other_supplier"],
                Notification.kind == DEAL_QUOTE_DECLINED,
                Notification.subject_id == quote.deal_id,
            )
        ).all()
        shown = notifications.render(
            session, note, session.get(User, people.users["other_supplier"])
        )
        with app.test_request_context(), force_locale("vi"):
            title = translate(shown.title)
        assert "Test Assembly Vietnam" in title and "declined" not in title
        assert "từ chối" in title
        # Declined rows come last, greyed, whatever the sort.
        need = session.get(Need, scene["need"])
        rows = comparison.compare(session, need, session.get(User, people.users["buyer"]), "price")
        assert rows[-1].quote.id == scene["q_far"] and rows[-1].declined
    # An unknown reason is refused; a declined quotation cannot be declined again.
    api = api_as("buyer")
    bad = api.post(f"/api/v1/quotes/{scene['q_near']}/decline", json={"reason": "colour"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    again = api.post(f"/api/v1/quotes/{scene['q_far']}/decline", json={"reason": "price"})
    assert again.status_code == 422

    # The API: the same rows, sorted; shortlisting adds the supplier to the shortlist.
    listed = api.get(f"/api/v1/needs/{scene['need']}/quotes?sort=price").get_json()["items"]
    assert [i["quote_id"] for i in listed] == [scene["q_near"], None, scene["q_far"]]
    assert listed[0]["unit_price"] == "15000" and listed[2]["decline_reason"] == "price"
    assert api.get(f"/api/v1/needs/{scene['need']}/quotes?sort=x").status_code == 422
    done = api.post(f"/api/v1/quotes/{scene['q_near']}/shortlist")
    assert done.status_code == 200 and done.get_json()["status"] == "shortlisted"
    with app.app_context():
        entry = db.session.scalar(
            select(ShortlistEntry).where(
                ShortlistEntry.need_id == scene["need"],
                ShortlistEntry.firm_id == people.firms["supplier"],
            )
        )
        assert entry is not None


def test_xlsx_export_in_the_readers_language_with_literal_values(app, people, scene, client_as):
    buyer = client_as("buyer")
    response = buyer.get(
        f"/deals/needs/{scene['need']}/compare.xlsx", headers={"Accept-Language": "vi"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert "Nhà cung cấp" in headers and "Supplier" not in headers
    assert "Đơn giá" in headers
    by_firm = {r[0]: r for r in rows[1:]}
    near = next(r for name, r in by_firm.items() if "Kiểm Thử VP" in name)
    far = next(r for name, r in by_firm.items() if "Kiểm Thử BN" in name)
    price, currency, vnd = (headers.index(h) for h in ("Đơn giá", "Tiền tệ", "Đơn giá (VND)"))
    assert (near[price], near[currency], near[vnd]) == (15000, "VND", 15000)
    assert (far[price], far[currency], far[vnd]) == (0.5, "USD", 13000)
    # A note that looks like a formula stays text.
    note = near[headers.index("Ghi chú")]
    assert note == '\'=HYPERLINK("http://evil.test","bấm")'
    for cell in sheet[2] + sheet[3] + sheet[4]:
        assert cell.data_type != "f"


@pytest.mark.parametrize("role", ["supplier", "other_supplier", "other_officer", "anonymous"])
def test_only_the_needs_managers_compare(people, scene, client_as, api_as, role):
    client = client_as(role)
    response = client.get(f"/deals/needs/{scene['need']}/compare")
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert client.get(f"/deals/needs/{scene['need']}/compare.xlsx").status_code in (302, 403)
    if role != "anonymous":
        api = api_as(role)
        assert api.get(f"/api/v1/needs/{scene['need']}/quotes").status_code == 403
        assert api.post(f"/api/v1/quotes/{scene['q_near']}/shortlist").status_code == 403
        refused = client.post(f"/deals/quotes/{scene['q_near']}/decline", data={"reason": "price"})
        assert refused.status_code == 403


def test_an_officer_of_the_buyers_province_sees_only_deals_asked_in(people, scene, client_as):
    """The quotations belong to the two firms: the officer who manages the need opens
    the page, without the deals nobody asked them in on."""
    page = client_as("officer").get(f"/deals/needs/{scene['need']}/compare")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kiểm Thử BN" not in html and "Thứ Ba" not in html
