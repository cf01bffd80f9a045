"""Suppliers answer needs: interest with a message or a quotation with drawings checked
by their bytes; both firms talk on the deal's page, each message telling the other side;
nobody else reads it until one side asks the province's officers in; and the same
through the API."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from catalog import files, services
from catalog.deals import quotes
from catalog.files import Upload
from catalog.models import (
    Capability,
    Deal,
    DealFile,
    DealStep,
    Firm,
    Need,
    Notification,
    Quote,
    QuoteStatus,
    Stage,
)
from catalog.models.base import vietnam_today
from jobs.sync import index_sync_paused
from webapp.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STEP = (
    b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('bracket'),'2;1');\nENDSEC;\nDATA;\n"
    b"#1=CARTESIAN_POINT('',(0.,0.,0.));\nENDSEC;\nEND-ISO-10303-21;\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def _iges(*records: tuple[str, str]) -> bytes:
    counts: dict[str, int] = {}
    lines = []
    for section, text in records:
        counts[section] = counts.get(section, 0) + 1
        lines.append(text.ljust(72) + section + str(counts[section]).rjust(7))
    return ("\r\n".join(lines) + "\r\n").encode()


IGES = _iges(
    ("S", "Bracket drawn for KetNoi tests"),
    ("G", "1H,,1H;,4HPART,8Hpart.igs;"),
    ("D", "     110       1       0       0       0       0       0       000000000"),
    ("D", "     110       0       0       1       0                               0"),
    ("P", "110,0.,0.,0.,10.,0.,0.;"),
    ("T", "S      1G      1D      2P      1"),
)
DXF = b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n  0\r\nENDSEC\r\n  0\r\nEOF\r\n"
DXF_BINARY = (
    b"AutoCAD Binary DXF\r\n\x1a\x00" + b"\x00SECTION\x00\x02HEADER\x00\x00ENDSEC\x00\x00EOF\x00"
)


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _need(session, people, title: str, visibility: str = "public", firm: str = "buyer") -> Need:
    with index_sync_paused(session):
        buyer = session.get(Firm, people.firms[firm])
        if firm != "buyer":  # a supplier's own need (as a firm that both buys and sells)
            need = Need(buyer=buyer, title=title, status="open", visibility=visibility)
            session.add(need)
            session.commit()
            return need
        return services.create_need(
            session, buyer, {"title": title, "visibility": visibility, "status": "open"}
        )


def _notes(session, user_id: int, kind: str) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _interest(client, need_id: int, message: str = "Chúng tôi ép được vỏ hộp này.", **extra):
    return client.post(
        f"/deals/needs/{need_id}/answer", data={"kind": "interest", "message": message, **extra}
    )


def _deal_of(session, need_id: int, people) -> Deal:
    session.expire_all()
    return session.scalar(
        select(Deal).where(Deal.need_id == need_id, Deal.supplier_id == people.firms["supplier"])
    )


# -- the files ------------------------------------------------------------------------------


def test_drawings_are_recognised_by_their_bytes_and_must_be_whole():
    cases = {
        "part.step": (STEP, "model/step"),
        "part.igs": (IGES, "model/iges"),
        "plan.dxf": (DXF, "image/vnd.dxf"),
        "plan-binary.dxf": (DXF_BINARY, "image/vnd.dxf"),
        "offer.pdf": (PDF, "application/pdf"),
    }
    for name, (data, content_type) in cases.items():
        assert files.check_attachment(Upload(name, data)) == content_type, name
    # A STEP file with leading white space, and a DXF starting with a comment group.
    assert files.sniff_drawing(b"\n  " + STEP) == files.STEP
    assert files.sniff_drawing(b"999\nmade by CAD\n  0\nSECTION\n") == files.DXF
    refused = {
        "page.step": HTML,  # the name says STEP, the bytes say HTML
        "cut.step": STEP[:-20],  # no END-ISO-10303-21;
        "cut.igs": IGES.rsplit(b"\r\n", 2)[0],  # no Terminate record
        "wide.igs": IGES.replace(b"G      1", b"X      1"),  # column 73 is not a section
        "first.igs": _iges(("G", "no start section"), ("T", "S      0")),
        "cut.dxf": DXF[:-8],  # no EOF group
        "notes.txt": b"just text",
    }
    for name, data in refused.items():
        with pytest.raises(ValueError):
            files.check_attachment(Upload(name, data))
    # Evidence and photos keep their own types: a drawing is not evidence.
    assert files.sniff(STEP) is None
    with pytest.raises(ValueError):
        files.check_uploads([Upload("part.step", STEP)], most=3, max_bytes=10**6)


def test_reference_rates_only_sort_and_an_unknown_currency_has_none():
    assert quotes.price_in_vnd(Decimal("1.25"), "USD") == 32_500
    assert quotes.price_in_vnd(Decimal("12500"), "VND") == 12_500
    assert quotes.price_in_vnd(Decimal("3"), "XAU") is None
    assert set(quotes.CURRENCIES) <= set(quotes.REFERENCE_RATES_VND)


# -- answering --------------------------------------------------------------------------------


def test_a_supplier_answers_a_readable_need_and_the_buyer_is_told(session, people, client_as):
    tag = uuid.uuid4().hex[:6]
    need = _need(session, people, f"Vỏ hộp nhựa ABS {tag}")
    supplier = client_as("supplier")
    page = supplier.get(f"/needs/{need.id}", headers={"Accept-Language": "vi"})
    assert f"/deals/needs/{need.id}/answer" in page.get_data(as_text=True)
    form = supplier.get(f"/deals/needs/{need.id}/answer", headers={"Accept-Language": "vi"})
    assert form.status_code == 200 and "Gửi báo giá" in form.get_data(as_text=True)

    response = _interest(supplier, need.id)
    assert response.status_code == 302
    deal = _deal_of(session, need.id, people)
    assert response.headers["Location"].endswith(f"/deals/{deal.id}")
    assert deal.buyer_id == people.firms["buyer"] and deal.stage == Stage.INTEREST
    (step,) = deal.steps
    assert step.stage == Stage.INTEREST and step.source == "message"
    assert step.ref_id == deal.messages[0].id and deal.messages[0].kind == "interest"

    (note,) = [
        n
        for n in _notes(session, people.users["buyer"], "deal.interest")
        if n.subject_id == deal.id
    ]
    buyer = client_as("buyer")
    english = buyer.get("/notifications/", headers={"Accept-Language": "en"})
    text = english.get_data(as_text=True)
    assert "Công ty TNHH Cơ khí Kiểm Thử VP answered your need" in text
    vietnamese = buyer.get("/notifications/", headers={"Accept-Language": "vi"})
    assert f"notification-{note.id}" in vietnamese.get_data(as_text=True)
    opened = buyer.get(f"/notifications/{note.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/deals/{deal.id}")
    # The buyer reads the answer; no contact person is shown before an introduction.
    shown = buyer.get(f"/deals/{deal.id}", headers={"Accept-Language": "vi"})
    body = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Chúng tôi ép được vỏ hộp này." in body and tag in body
    assert "Công ty TNHH Cơ khí Kiểm Thử VP" in body and "Test Assembly Vietnam" in body
    assert "Người liên hệ supplier" not in body and "supplier@firm.test" not in body
    # The need's page now offers the supplier its deal.
    again = supplier.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/deals/{deal.id}" in again
    # My deals lists it on both sides, with the other firm.
    mine = supplier.get("/deals/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"deal-{deal.id}" in mine and "Test Assembly Vietnam" in mine and tag in mine
    theirs = buyer.get("/deals/").get_data(as_text=True)
    assert f"deal-{deal.id}" in theirs
    assert f"deal-{deal.id}" not in client_as("other_supplier").get("/deals/").get_data(
        as_text=True
    )


def test_a_supplier_may_not_answer_a_need_it_cannot_read_nor_its_own(session, people, client_as):
    hidden = _need(session, people, f"Khuôn dập {uuid.uuid4().hex[:6]}", visibility="invited")
    own = _need(session, people, f"Bulong {uuid.uuid4().hex[:6]}", firm="supplier")
    supplier = client_as("supplier")
    before = _count(session, Deal)
    for need in (hidden, own):
        assert supplier.get(f"/deals/needs/{need.id}/answer").status_code == 403
        assert _interest(supplier, need.id).status_code == 403
    open_need = _need(session, people, f"Trục thép {uuid.uuid4().hex[:6]}")
    assert client_as("buyer").get(f"/deals/needs/{open_need.id}/answer").status_code == 403
    assert client_as("officer").get(f"/deals/needs/{open_need.id}/answer").status_code == 403
    assert _count(session, Deal) == before


def test_a_quote_with_a_drawing_is_stored_and_a_fake_drawing_is_refused(
    app, session, people, client_as
):
    need = _need(session, people, f"Giá đỡ thép {uuid.uuid4().hex[:6]}")
    supplier = client_as("supplier")
    capability = session.get(Firm, people.firms["supplier"]).capabilities[0]
    valid = (vietnam_today() + timedelta(days=30)).isoformat()
    fields = {
        "kind": "quote",
        "unit_price": "1,25",
        "currency": "USD",
        "min_order_qty": "500",
        "lead_time_days": "21",
        "capacity_per_month": "20000",
        "valid_until": valid,
        "capability_ids": str(capability.id),
        "note": "Giá FOB Hải Phòng.",
    }
    quotes_before, files_before = _count(session, Quote), _count(session, DealFile)
    # A page of HTML named .step: refused with a message naming it, nothing kept.
    refused = supplier.post(
        f"/deals/needs/{need.id}/answer",
        data={**fields, "files": [(io.BytesIO(HTML), "bracket.step")]},
        headers={"Accept-Language": "vi"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "bracket.step không phải là tệp PDF, ảnh (JPEG, PNG, WebP) hay bản vẽ" in page
    assert _count(session, Quote) == quotes_before and _count(session, DealFile) == files_before
    assert _deal_of(session, need.id, people) is None

    sent = supplier.post(
        f"/deals/needs/{need.id}/answer",
        data={
            **fields,
            "files": [(io.BytesIO(STEP), "bracket.step"), (io.BytesIO(PDF), "offer.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    deal = _deal_of(session, need.id, people)
    (quote,) = deal.quotes
    assert quote.unit_price == Decimal("1.25") and quote.currency == "USD"
    assert quote.unit_price_vnd == 32_500 and quote.lead_time_days == 21
    assert [c.id for c in quote.capabilities] == [capability.id]
    assert sorted((f.filename, f.content_type) for f in quote.files) == [
        ("bracket.step", "model/step"),
        ("offer.pdf", "application/pdf"),
    ]
    with app.test_request_context():
        from webapp.deals.answers import files_root

        stored = files.stored_path(files_root(), quote.files[0].sha256)
    assert stored.read_bytes() in (STEP, PDF)
    assert [(s.stage, s.source, s.ref_id) for s in deal.steps] == [
        (Stage.QUOTED, "quote", quote.id)
    ]
    assert deal.stage == Stage.QUOTED
    assert any(
        n.subject_id == deal.id for n in _notes(session, people.users["buyer"], "deal.quote")
    )
    # The buyer downloads the drawing, as a download with its checked type.
    step_file = next(f for f in quote.files if f.content_type == "model/step")
    download = client_as("buyer").get(f"/deals/files/{step_file.id}")
    assert download.status_code == 200 and download.data == STEP
    assert download.mimetype == "model/step"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert client_as("other_supplier").get(f"/deals/files/{step_file.id}").status_code == 403

    # A newer quote supersedes the older; the supplier may withdraw the newer.
    again = supplier.post(
        f"/deals/needs/{need.id}/answer", data={**fields, "unit_price": "30000", "currency": "VND"}
    )
    assert again.status_code == 302
    deal = _deal_of(session, need.id, people)
    first, second = deal.quotes
    assert first.status == QuoteStatus.SUPERSEDED and second.status == QuoteStatus.SUBMITTED
    assert second.unit_price_vnd == 30_000
    assert client_as("buyer").post(f"/deals/quotes/{second.id}/withdraw").status_code == 403
    assert supplier.post(f"/deals/quotes/{second.id}/withdraw").status_code == 302
    session.expire_all()
    assert session.get(Quote, second.id).status == QuoteStatus.WITHDRAWN


def test_quote_errors_are_named_per_field(session, people, client_as, api_as):
    need = _need(session, people, f"Bạc lót {uuid.uuid4().hex[:6]}")
    other_capability = session.scalar(
        select(Capability).where(Capability.firm_id != people.firms["supplier"]).limit(1)
    )
    yesterday = (vietnam_today() - timedelta(days=1)).isoformat()
    response = api_as("supplier").post(
        f"/api/v1/needs/{need.id}/answers",
        json={
            "quote": {
                "unit_price": 0,
                "currency": "XYZ",
                "valid_until": yesterday,
                "lead_time_days": -3,
                "capability_ids": [other_capability.id],
            }
        },
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {
        "unit_price",
        "currency",
        "valid_until",
        "lead_time_days",
        "capability_ids",
    }
    assert errors["unit_price"] == "Đơn giá phải lớn hơn 0."  # the API speaks Vietnamese too
    assert (
        api_as("supplier")
        .post(f"/api/v1/needs/{need.id}/answers", json={"message": ""})
        .status_code
        == 422
    )
    assert _deal_of(session, need.id, people) is None
    # On the page, the form comes back with the messages in Vietnamese.
    page = client_as("supplier").post(
        f"/deals/needs/{need.id}/answer",
        data={"kind": "quote", "unit_price": "0", "valid_until": yesterday},
        headers={"Accept-Language": "vi"},
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Đơn giá phải lớn hơn 0." in text
    assert "Ngày hiệu lực không được ở trong quá khứ." in text
    assert "The unit price" not in text


# -- the conversation -------------------------------------------------------------------------


def test_the_conversation_belongs_to_the_two_firms_until_they_ask_officers_in(
    session, people, client_as
):
    need = _need(session, people, f"Vỏ nhôm {uuid.uuid4().hex[:6]}")
    supplier, buyer = client_as("supplier"), client_as("buyer")
    assert _interest(supplier, need.id).status_code == 302
    deal = _deal_of(session, need.id, people)
    url = f"/deals/{deal.id}"
    assert supplier.get(url).status_code == 200 and buyer.get(url).status_code == 200
    for role in ("other_supplier", "officer", "other_officer"):
        assert client_as(role).get(url).status_code == 403, role
    assert client_as("anonymous").get(url).status_code == 302

    # The buyer asks a question with a drawing: the supplier is told.
    sent = buyer.post(
        f"{url}/messages",
        data={"body": "Bên anh làm được dung sai ±0,05?", "files": [(io.BytesIO(DXF), "a.dxf")]},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    notes = _notes(session, people.users["supplier"], "deal.message")
    assert any(n.subject_id == deal.id and n.params["from"] == "buyer" for n in notes)
    assert not any(
        n.subject_id == deal.id for n in _notes(session, people.users["buyer"], "deal.message")
    )
    page = supplier.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Bên anh làm được dung sai ±0,05?" in page and "a.dxf" in page
    # An empty message is refused; nobody else may write.
    assert buyer.post(f"{url}/messages", data={"body": "  "}).status_code == 302
    assert len(_deal_of(session, need.id, people).messages) == 2
    assert (
        client_as("other_supplier").post(f"{url}/messages", data={"body": "x"}).status_code == 403
    )

    # An officer may not ask themselves in; a firm of the deal may.
    assert client_as("officer").post(f"{url}/officers").status_code == 403
    assert supplier.post(f"{url}/officers").status_code == 302
    session.expire_all()
    assert session.get(Deal, deal.id).officers_asked_at is not None
    assert any(
        n.subject_id == deal.id
        for n in _notes(session, people.users["officer"], "deal.officers_asked")
    )
    assert client_as("officer").get(url).status_code == 200
    assert client_as("other_officer").get(url).status_code == 403
    assert client_as("other_supplier").get(url).status_code == 403
    # Officers asked in are told of the next message, and may write as officers.
    assert supplier.post(f"{url}/messages", data={"body": "Được ạ."}).status_code == 302
    assert any(
        n.subject_id == deal.id for n in _notes(session, people.users["officer"], "deal.message")
    )
    assert (
        client_as("officer").post(f"{url}/messages", data={"body": "Sở hỗ trợ."}).status_code == 302
    )
    session.expire_all()
    assert session.get(Deal, deal.id).messages[-1].side.value == "officer"
    assert client_as("officer").post(f"{url}/officers").status_code == 403


def test_text_in_the_other_language_is_shown_with_a_rendering(session, people, client_as):
    need = _need(session, people, f"Vỏ hộp {uuid.uuid4().hex[:6]}")
    supplier = client_as("supplier")
    assert _interest(supplier, need.id, "Chúng tôi có máy ép phun nhựa ABS.").status_code == 302
    deal = _deal_of(session, need.id, people)
    english = client_as("buyer").get(f"/deals/{deal.id}", headers={"Accept-Language": "en"})
    text = english.get_data(as_text=True)
    assert "Machine rendering" in text or "Concepts in this text" in text
    # The writer reads its own text as written.
    own = supplier.get(f"/deals/{deal.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Machine rendering" not in own and "Concepts in this text" not in own


# -- the API ----------------------------------------------------------------------------------


def test_deals_through_the_api(session, people, api_as):
    need = _need(session, people, f"Lò xo {uuid.uuid4().hex[:6]}")
    supplier, buyer = api_as("supplier"), api_as("buyer")
    created = supplier.post(
        f"/api/v1/needs/{need.id}/answers", json={"message": "Chúng tôi quan tâm."}
    )
    assert created.status_code == 201
    deal = created.get_json()
    assert deal["need_id"] == need.id and deal["stage"] == "interest"
    assert deal["messages"][0]["kind"] == "interest" and deal["messages"][0]["side"] == "supplier"
    valid = (vietnam_today() + timedelta(days=10)).isoformat()
    quoted = supplier.post(
        f"/api/v1/needs/{need.id}/answers",
        json={"quote": {"unit_price": "4500", "currency": "vnd", "valid_until": valid}},
    )
    assert quoted.status_code == 201
    assert quoted.get_json()["quotes"][0]["unit_price_vnd"] == 4500
    assert quoted.get_json()["stage"] == "quoted"

    reply = buyer.post(f"/api/v1/deals/{deal['id']}/messages", json={"body": "Cảm ơn."})
    assert reply.status_code == 201 and reply.get_json()["side"] == "buyer"
    shown = buyer.get(f"/api/v1/deals/{deal['id']}").get_json()
    assert [m["body"] for m in shown["messages"]] == ["Chúng tôi quan tâm.", "Cảm ơn."]
    assert [s["stage"] for s in shown["steps"]] == ["interest", "quoted"]
    listed = buyer.get("/api/v1/deals?per_page=100").get_json()
    assert deal["id"] in [d["id"] for d in listed["items"]]
    assert deal["id"] not in [
        d["id"]
        for d in api_as("other_supplier").get("/api/v1/deals?per_page=100").get_json()["items"]
    ]
    assert api_as("other_supplier").get(f"/api/v1/deals/{deal['id']}").status_code == 403
    assert api_as("officer").get(f"/api/v1/deals/{deal['id']}").status_code == 403
    assert buyer.post(f"/api/v1/needs/{need.id}/answers", json={"message": "x"}).status_code == 403
    assert api_as("anonymous").get("/api/v1/deals").status_code == 401
    session.expire_all()
    assert (
        session.scalar(
            select(func.count()).select_from(DealStep).where(DealStep.deal_id == deal["id"])
        )
        == 2
    )


def test_files_travel_through_the_api_checked_as_on_the_pages(session, people, api_as):
    """A quotation and a message carry drawings as multipart parts; the other side
    downloads them; a fake drawing is refused with 422 and leaves nothing behind."""
    import json

    need = _need(session, people, f"Giá đỡ API {uuid.uuid4().hex[:6]}")
    supplier, buyer = api_as("supplier"), api_as("buyer")
    valid = (vietnam_today() + timedelta(days=10)).isoformat()
    body = {"quote": {"unit_price": "12.5", "currency": "USD", "valid_until": valid}}
    quoted = supplier.post(
        f"/api/v1/needs/{need.id}/answers",
        data={"json": json.dumps(body), "files": [(io.BytesIO(STEP), "bracket.step")]},
        content_type="multipart/form-data",
    )
    assert quoted.status_code == 201, quoted.get_json()
    deal = quoted.get_json()
    drawing = deal["quotes"][0]["files"][0]
    assert (drawing["filename"], drawing["content_type"]) == ("bracket.step", "model/step")

    # The JSON part may also come as a file part of type application/json.
    reply = buyer.post(
        f"/api/v1/deals/{deal['id']}/messages",
        data={
            "json": (io.BytesIO(json.dumps({"body": "Bản vẽ sửa"}).encode()), "b.json"),
            "files": [(io.BytesIO(PDF), "rev-b.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 201, reply.get_json()
    attached = reply.get_json()["files"][0]

    got = buyer.get(f"/api/v1/deal-files/{drawing['id']}")
    assert got.status_code == 200 and got.data == STEP
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert supplier.get(f"/api/v1/deal-files/{attached['id']}").data == PDF
    for outsider in ("other_supplier", "officer"):
        assert api_as(outsider).get(f"/api/v1/deal-files/{drawing['id']}").status_code == 403
    assert api_as("anonymous").get(f"/api/v1/deal-files/{drawing['id']}").status_code == 401

    files_before, messages_before = _count(session, DealFile), len(deal["messages"]) + 1
    fake = buyer.post(
        f"/api/v1/deals/{deal['id']}/messages",
        data={"json": json.dumps({"body": "x"}), "files": [(io.BytesIO(HTML), "part.step")]},
        content_type="multipart/form-data",
        headers={"Accept-Language": "vi"},
    )
    assert fake.status_code == 422 and "files" in fake.get_json()["errors"]
    assert _count(session, DealFile) == files_before
    shown = buyer.get(f"/api/v1/deals/{deal['id']}").get_json()
    assert len(shown["messages"]) == messages_before
    no_json = buyer.post(
        f"/api/v1/deals/{deal['id']}/messages",
        data={"files": [(io.BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert no_json.status_code == 400
    broken = buyer.post(
        f"/api/v1/deals/{deal['id']}/messages",
        data={"json": "{not json"},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400
