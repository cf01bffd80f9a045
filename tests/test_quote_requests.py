"""Requests for quotation: a buyer asks chosen suppliers to quote by a deadline, with
the need's drawings behind a non-disclosure agreement; each supplier is told, can read
the need, and opens the drawings only once its firm accepted the agreement."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalog import services
from catalog.access.visibility import may_read
from catalog.deals import requests
from catalog.models import (
    Deal,
    DealFile,
    Firm,
    Need,
    Notification,
    QuoteRequest,
    QuoteRequestRecipient,
    Side,
    User,
)
from catalog.models.base import vietnam_today
from catalog.notifications.deals import DEAL_REQUEST
from jobs.sync import index_sync_paused
from webapp.extensions import db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
NDA = "Bên nhận không tiết lộ bản vẽ cho bên thứ ba."


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture()
def need_id(app, people) -> int:
    """An open need of the buyer shown to invited suppliers only."""
    with app.app_context():
        session = db.session
        with index_sync_paused(session):
            need = services.create_need(
                session,
                session.get(Firm, people.firms["buyer"]),
                {"title": f"Bánh răng thép C45 {uuid.uuid4().hex[:6]}", "visibility": "invited"},
            )
        found = need.id
        session.remove()
        return found


def _send(client, need_id: int, firms: list[int], deadline: date, **extra):
    data = {
        "firm": [str(f) for f in firms],
        "deadline": deadline.isoformat(),
        "message": "Xin báo giá cho 10.000 chiếc/năm",
        **extra,
    }
    return client.post(
        f"/deals/needs/{need_id}/request", data=data, content_type="multipart/form-data"
    )


def test_a_request_to_two_suppliers_begins_their_deals_and_tells_them(
    app, people, client_as, need_id
):
    buyer = client_as("buyer")
    suppliers = [people.firms["supplier"], people.firms["other_supplier"]]
    with app.app_context():
        need = db.session.get(Need, need_id)
        for role in ("supplier", "other_supplier"):
            assert not may_read(db.session.get(User, people.users[role]), need)
        db.session.remove()
    # The form comes with the suppliers ticked on the match list.
    form = buyer.get(
        f"/deals/needs/{need_id}/request?firm={suppliers[0]}&firm={suppliers[1]}&score-{suppliers[0]}=0.8123"
    )
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "Kiểm Thử VP" in page and "Kiểm Thử BN" in page
    assert f'name="score-{suppliers[0]}" value="0.8123"' in page

    deadline = vietnam_today() + timedelta(days=10)
    sent = _send(buyer, need_id, suppliers, deadline, **{f"score-{suppliers[0]}": "0.8123"})
    assert sent.status_code == 302
    with app.app_context():
        session = db.session
        need = session.get(Need, need_id)
        (rfq,) = session.scalars(select(QuoteRequest).where(QuoteRequest.need_id == need_id))
        assert rfq.deadline == deadline and rfq.nda_text == ""
        assert sorted(r.supplier_id for r in rfq.recipients) == sorted(suppliers)
        deals = {
            d.supplier_id: d for d in session.scalars(select(Deal).where(Deal.need_id == need_id))
        }
        assert set(deals) == set(suppliers)
        assert all(d.started_by == Side.BUYER for d in deals.values())
        assert deals[suppliers[0]].match_score == pytest.approx(0.8123)
        # Each supplier's users are told, with the deadline; the need opened to them.
        for role in ("supplier", "other_supplier"):
            user = session.get(User, people.users[role])
            notes = session.scalars(
                select(Notification).where(
                    Notification.user_id == user.id,
                    Notification.kind == DEAL_REQUEST,
                    Notification.subject_id == deals[user.firm_id].id,
                )
            ).all()
            assert len(notes) == 1 and notes[0].params["deadline"] == deadline.isoformat()
            assert may_read(user, need)
        assert [r.deal_id for r in requests.open_requests_for(session, suppliers[0])] == [
            deals[suppliers[0]].id
        ]
        # The deal page lists the open request for its supplier.
        deal_id = deals[suppliers[0]].id
        recipient_id = next(r.id for r in rfq.recipients if r.supplier_id == suppliers[0])
    supplier = client_as("supplier")
    nda_page = supplier.get(f"/deals/requests/{recipient_id}/nda")
    assert nda_page.status_code == 200
    assert "Xin báo giá cho 10.000 chiếc/năm" in nda_page.get_data(as_text=True)
    assert client_as("other_supplier").get(f"/deals/requests/{recipient_id}/nda").status_code == 403
    assert buyer.get(f"/deals/requests/{recipient_id}/nda").status_code == 403
    with app.app_context():
        from flask import render_template_string

        with app.test_request_context():
            from flask_login import login_user

            login_user(db.session.get(User, people.users["supplier"]))
            snippet = render_template_string(
                '{% include "deals/_requests.html" %}', deal=db.session.get(Deal, deal_id)
            )
        assert f"/deals/requests/{recipient_id}/nda" in snippet


def test_the_drawings_stay_closed_until_the_agreement_is_accepted(app, people, client_as, need_id):
    buyer = client_as("buyer")
    data = {
        "firm": [str(people.firms["supplier"])],
        "deadline": (vietnam_today() + timedelta(days=5)).isoformat(),
        "message": "Bản vẽ kèm theo",
        "nda_text": NDA,
        "files": [(io.BytesIO(PDF), "ban-ve-banh-rang.pdf")],
    }
    sent = buyer.post(
        f"/deals/needs/{need_id}/request", data=data, content_type="multipart/form-data"
    )
    assert sent.status_code == 302
    with app.app_context():
        session = db.session
        (drawing,) = session.scalars(select(DealFile).where(DealFile.need_id == need_id))
        assert drawing.deal_id is None and drawing.content_type == "application/pdf"
        recipient = session.scalar(
            select(QuoteRequestRecipient).join(QuoteRequest).where(QuoteRequest.need_id == need_id)
        )
        file_id, recipient_id, deal_id = drawing.id, recipient.id, recipient.deal_id
    supplier = client_as("supplier")
    # Before: the deadline, the message and the agreement, not the file nor its name.
    assert supplier.get(f"/deals/files/{file_id}").status_code == 403
    page = supplier.get(f"/deals/requests/{recipient_id}/nda").get_data(as_text=True)
    assert NDA in page and "ban-ve-banh-rang" not in page
    for url in (f"/needs/{need_id}", f"/deals/{deal_id}"):
        shown = supplier.get(url)
        assert shown.status_code == 200 and "ban-ve-banh-rang" not in shown.get_data(as_text=True)
    # The deal page lists the open request, with its agreement still to accept.
    deal_page = supplier.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert f"/deals/requests/{recipient_id}/nda" in deal_page
    # Another supplier accepts nothing for it.
    assert (
        client_as("other_supplier").post(f"/deals/requests/{recipient_id}/nda").status_code == 403
    )
    # After: the supplier's user accepts for its firm; the drawing opens.
    accepted = supplier.post(f"/deals/requests/{recipient_id}/nda")
    assert accepted.status_code == 302
    assert supplier.get(f"/deals/files/{file_id}").status_code == 200
    page = supplier.get(f"/deals/requests/{recipient_id}/nda").get_data(as_text=True)
    assert "ban-ve-banh-rang.pdf" in page
    with app.app_context():
        recipient = db.session.get(QuoteRequestRecipient, recipient_id)
        assert recipient.nda_accepted_by_id == people.users["supplier"]
        assert recipient.nda_accepted_at is not None
    # The buyer reads its own drawing all along; other firms never.
    assert buyer.get(f"/deals/files/{file_id}").status_code == 200
    assert client_as("other_supplier").get(f"/deals/files/{file_id}").status_code == 403


def test_a_deadline_in_the_past_is_refused_in_the_users_language(
    app, people, client_as, api_as, need_id
):
    buyer = client_as("buyer")
    yesterday = vietnam_today() - timedelta(days=1)
    refused = buyer.post(
        f"/deals/needs/{need_id}/request",
        data={"firm": [str(people.firms["supplier"])], "deadline": yesterday.isoformat()},
        headers={"Accept-Language": "vi"},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Hạn chót không thể là một ngày đã qua." in page
    assert "The deadline cannot be in the past." not in page
    too_far = _send(buyer, need_id, [people.firms["supplier"]], vietnam_today() + timedelta(400))
    assert too_far.status_code == 422
    nobody = _send(buyer, need_id, [], vietnam_today())
    assert nobody.status_code == 422
    own = _send(buyer, need_id, [people.firms["buyer"]], vietnam_today())
    assert own.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(select(QuoteRequest).where(QuoteRequest.need_id == need_id)) is None
        )
    api = api_as("buyer")
    answer = api.post(
        f"/api/v1/needs/{need_id}/quote-requests",
        json={"firm_ids": [people.firms["supplier"]], "deadline": yesterday.isoformat()},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["deadline"] == "The deadline cannot be in the past."


def test_api_round_trip(app, people, api_as, need_id):
    buyer = api_as("buyer")
    suppliers = [people.firms["supplier"], people.firms["other_supplier"]]
    created = buyer.post(
        f"/api/v1/needs/{need_id}/quote-requests",
        json={
            "firm_ids": suppliers,
            "deadline": vietnam_today().isoformat(),
            "message": "Báo giá trước thứ Sáu",
            "nda_text": NDA,
        },
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["nda"] is True and body["deadline"] == vietnam_today().isoformat()
    by_firm = {r["supplier_id"]: r for r in body["recipients"]}
    assert set(by_firm) == set(suppliers)
    mine = by_firm[people.firms["supplier"]]
    assert mine["nda_accepted_at"] is None
    for role in ("buyer", "other_supplier", "officer"):
        assert api_as(role).post(f"/api/v1/quote-requests/{mine['id']}/nda").status_code == 403
    accepted = api_as("supplier").post(f"/api/v1/quote-requests/{mine['id']}/nda")
    assert accepted.status_code == 200 and accepted.get_json()["nda_accepted_at"] is not None
    # Suppliers only, and no more than thirty.
    assert (
        buyer.post(
            f"/api/v1/needs/{need_id}/quote-requests",
            json={"firm_ids": "1", "deadline": vietnam_today().isoformat()},
        ).status_code
        == 422
    )
    # Ids no database column can hold are a bad request, not a server error (seen on
    # PostgreSQL, whose integer keys stop at 2**31 - 1).
    for ids in ([81511849092565, 151], [2**31], ["١٢"], [True]):
        refused = buyer.post(
            f"/api/v1/needs/{need_id}/quote-requests",
            json={"firm_ids": ids, "deadline": vietnam_today().isoformat()},
        )
        assert refused.status_code == 422, ids
        assert "firm_ids" in refused.get_json()["errors"]
    assert (
        api_as("supplier")
        .post(
            f"/api/v1/needs/{need_id}/quote-requests",
            json={"firm_ids": suppliers, "deadline": vietnam_today().isoformat()},
        )
        .status_code
        == 403
    )


def test_a_supplier_without_a_user_is_its_officers_charge(app, people, client_as, need_id):
    """Most surveyed firms have no user yet: the request goes to the officers of the
    supplier's province, who contact the firm or invite it to claim its profile."""
    from catalog.notifications import render
    from catalog.notifications.deals import DEAL_REQUEST_NO_USER
    from tests.factories import make_supplier

    with app.app_context():
        with index_sync_paused(db.session):
            surveyed = make_supplier(db.session, "Xưởng Khảo Sát Chưa Có Tài Khoản", [])
        surveyed_id = surveyed.id
        db.session.remove()
    deadline = vietnam_today() + timedelta(days=7)
    assert _send(client_as("buyer"), need_id, [surveyed_id], deadline).status_code == 302
    with app.app_context():
        session = db.session
        notes = session.scalars(
            select(Notification).where(
                Notification.kind == DEAL_REQUEST_NO_USER,
                Notification.params["supplier_id"].as_integer() == surveyed_id,
            )
        ).all()
        # The province's officers (other tests may have added some), no one else.
        told = [session.get(User, n.user_id) for n in notes]
        assert people.users["officer"] in {u.id for u in told}
        province = session.get(Firm, surveyed_id).province_id
        assert all(u.role.value == "officer" and province in u.province_ids for u in told)
        officer = session.get(User, people.users["officer"])
        shown = render(session, notes[0], officer)
        assert "Xưởng Khảo Sát Chưa Có Tài Khoản" in shown.title
        assert shown.endpoint == "notifications.invite_form"
        assert shown.values == {"firm_id": surveyed_id}
        note_id = notes[0].id
        session.remove()
    page = client_as("officer")
    page.get("/lang/vi")
    listed = page.get("/notifications/").get_data(as_text=True)
    assert "đề nghị Xưởng Khảo Sát Chưa Có Tài Khoản báo giá" in listed
    opened = page.get(f"/notifications/{note_id}")
    assert opened.headers["Location"].endswith(f"/firms/{surveyed_id}/claim-invitation")
