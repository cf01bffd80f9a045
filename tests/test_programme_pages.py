"""The issue's walk through the pages: an officer sets up the province's programme with
three lines and budgets (in Vietnamese); a supplier whose gap view shows a missing
IATF 16949 applies from that view (in English); the officer approves, pays in two steps
and records the certificate, which appears on the firm's profile and opens the need it
was missing; the officers' audit log and the firm's notifications follow it."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from catalog import accounts
from catalog.models import (
    ApplicationStatus,
    AuditEntry,
    Firm,
    Notification,
    Programme,
    SupportApplication,
    SupportLine,
)
from catalog.models.base import vietnam_today
from tests.conftest import PASSWORD, login
from tests.factories import make_buyer, make_need, make_supplier
from webapp.extensions import db

# A stamping shop of Phú Thọ, and an automotive buyer's need it fits but for IATF 16949.
STAMPING_VI = {
    "title": "Dập nguội giá đỡ, pát thép tấm cho phụ tùng xe máy và ô tô",
    "description": (
        "Xưởng dập nguội thép tấm SPCC, SPHC dày 0,8-4 mm: giá đỡ, pát bắt, tấm gia cố. "
        "8 máy dập 60-200 tấn, khuôn liên hoàn."
    ),
    "process": "process.stamping",
    "materials": ["material.spcc"],
    "capacity_per_month": 80000,
}


@dataclass
class Stamping:
    supplier: int
    user: int
    need: int


@pytest.fixture(scope="module")
def scenario(app) -> Stamping:
    with app.app_context():
        session = db.session
        tag = uuid.uuid4().hex[:6]
        supplier = make_supplier(session, f"Công ty TNHH Dập Chương Trình {tag}", [STAMPING_VI])
        user = accounts.create_user(
            session, f"prog-{tag}@people.test", PASSWORD, "Dập", firm=supplier
        )
        buyer = make_buyer(session, f"Testbuyer Auto Brackets {tag} Co., Ltd")
        need = make_need(
            session,
            buyer,
            title="Cold-stamped steel brackets for motorbike frames (automotive plant)",
            description="SPCC sheet brackets, 2 mm, progressive die stamping, zinc plated.",
            process="process.stamping",
            materials=["material.spcc"],
            quantity_per_year=240_000,
            required_certifications=["IATF 16949"],
            visibility="public",
        )
        ids = Stamping(supplier.id, user.id, need.id)
        db.session.remove()
    return ids


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post(client, url: str, data: dict, **kw):
    kw.setdefault("follow_redirects", False)
    return client.post(url, data=data, **kw)


def _officer_client(app, people, lang: str):
    client = app.test_client()
    login(client, people.users["officer"])
    client.get(f"/lang/{lang}")
    return client


def test_programme_from_set_up_to_certificate(app, people, scenario):
    year = vietnam_today().year
    officer = _officer_client(app, people, "vi")
    name = f"Chương trình CNHT Phú Thọ {uuid.uuid4().hex[:6]}"
    created = _post(
        officer,
        "/programmes/new",
        {"name": name, "legal_basis": "QĐ 99/QĐ-UBND", "start_year": year, "end_year": year + 2},
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.name == name))
        programme_id = programme.id
    # A bad line is shown again with its messages, in Vietnamese.
    bad = _post(
        officer,
        f"/programmes/{programme_id}/lines/new",
        {"kind": "", "name": "", "share_pct": "300", f"budget-{year}-provincial": "nhiều"},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Bắt buộc" in page or "bắt buộc" in page
    lines = [
        {
            "kind": "management_system",
            "name": "Hỗ trợ áp dụng IATF 16949",
            "share_pct": "50",
            "ceiling_vnd": "60.000.000",
            "standards": "IATF 16949, ISO 9001",
            f"budget-{year}-provincial": "600.000.000",
            f"budget-{year}-central": "200000000",
            "target-1-measure": "certifications",
            "target-1-value": "10",
        },
        {
            "kind": "training",
            "name": "Đào tạo lao động",
            "share_pct": "70",
            f"budget-{year}-provincial": "300000000",
            "target-1-measure": "workers_trained",
            "target-1-value": "420",
        },
        {"kind": "fair", "name": "Hội chợ", "share_pct": "100", f"budget-{year + 1}-firms": "5"},
    ]
    for data in lines:
        saved = _post(officer, f"/programmes/{programme_id}/lines/new", data)
        assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    shown = officer.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Hỗ trợ áp dụng IATF 16949" in shown and "800.000.000" in shown

    # The supplier (English) sees the line beside its IATF 16949 gap and applies there.
    supplier = app.test_client()
    login(supplier, scenario.user)
    supplier.get("/lang/en")
    gaps = supplier.get(f"/opportunities/{scenario.supplier}").get_data(as_text=True)
    assert "IATF 16949" in gaps and "Hỗ trợ áp dụng IATF 16949" in gaps
    link = re.search(r'href="(/programmes/lines/(\d+)/apply\?gap=certification:IATF[^"]*)"', gaps)
    assert link, "no Apply link beside the gap"
    apply_url = link.group(1).replace("&amp;", "&")
    form = supplier.get(apply_url).get_data(as_text=True)
    assert 'value="certification:IATF 16949"' in form
    too_much = _post(
        supplier,
        apply_url,
        {
            "purpose": "IATF",
            "gap": "certification:IATF 16949",
            "cost_vnd": "100000000",
            "requested_vnd": "90000000",
        },
    )
    assert too_much.status_code == 422 and "at most 50%" in too_much.get_data(as_text=True)
    sent = _post(
        supplier,
        apply_url,
        {
            "purpose": "Consulting and certification audit for IATF 16949",
            "gap": "certification:IATF 16949",
            "cost_vnd": "100000000",
            "requested_vnd": "50000000",
            "files": [(io.BytesIO(PDF), "consultant-quote.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    application_url = sent.headers["Location"]
    application_id = int(application_url.rstrip("/").rsplit("/", 1)[-1])

    # Another province's officer and another firm cannot read it.
    outsider = app.test_client()
    login(outsider, people.users["other_officer"])
    assert outsider.get(f"/programmes/applications/{application_id}").status_code == 403
    other_firm = app.test_client()
    login(other_firm, people.users["other_supplier"])
    assert other_firm.get(f"/programmes/applications/{application_id}").status_code == 403
    assert (
        _post(
            outsider, f"/programmes/applications/{application_id}/decision", {"decision": "approve"}
        ).status_code
        == 403
    )
    assert (
        _post(
            supplier, f"/programmes/applications/{application_id}/decision", {"decision": "approve"}
        ).status_code
        == 403
    )

    # The officer approves, pays in two steps, and records the certificate.
    base = f"/programmes/applications/{application_id}"
    assert (
        _post(
            officer,
            f"{base}/decision",
            {
                "decision": "approve",
                "score": "80",
                "approved_vnd": "50000000",
                "criteria": "Đủ điều kiện",
            },
        ).status_code
        == 302
    )
    assert _post(officer, f"{base}/payments", {"amount_vnd": "20000000"}).status_code == 302
    over = _post(officer, f"{base}/payments", {"amount_vnd": "40000000"}, follow_redirects=True)
    assert "30.000.000" in over.get_data(as_text=True)  # what is left, in the flashed message
    assert (
        _post(
            officer, f"{base}/payments", {"amount_vnd": "30000000", "source": "central"}
        ).status_code
        == 302
    )
    done = _post(
        officer,
        f"{base}/completion",
        {
            "result_note": "Đạt chứng nhận IATF 16949:2016",
            "standard": "IATF 16949",
            "issuer": "TÜV Rheinland",
            "certificate_no": "TR-44021",
            "valid_until": f"{year + 3}-06-30",
            "files": [(io.BytesIO(PDF), "chung-nhan.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    result = officer.get(base).get_data(as_text=True)
    assert "Đã hoàn thành" in result and "TR-44021" in result and "50.000.000" in result

    with app.app_context():
        application = db.session.get(SupportApplication, application_id)
        assert application.status == ApplicationStatus.COMPLETED
        assert application.disbursed_vnd == 50_000_000
        firm = db.session.get(Firm, scenario.supplier)
        assert [c.standard for c in firm.certifications if c.standard == "IATF 16949"]
        kinds = {
            n.kind
            for n in db.session.scalars(
                select(Notification).where(Notification.user_id == scenario.user)
            )
        }
        assert {"support.approved", "support.paid", "support.completed"} <= kinds
        logged = db.session.scalars(
            select(AuditEntry.entity).where(
                AuditEntry.entity.in_(
                    ("programme", "support_line", "support_application", "support_payment")
                )
            )
        ).all()
        assert {"programme", "support_line", "support_application", "support_payment"} <= set(
            logged
        )
        db.session.remove()

    # The profile shows the certificate and the support; the IATF need is open to it now.
    profile = supplier.get(f"/suppliers/{scenario.supplier}").get_data(as_text=True)
    assert "IATF 16949" in profile and "Hỗ trợ áp dụng IATF 16949" in profile
    after = supplier.get(f"/opportunities/{scenario.supplier}").get_data(as_text=True)
    assert not re.search(r"apply\?gap=certification:IATF", after)

    # The programme page counts it: committed, disbursed, the target's actual.
    figures_page = officer.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "50.000.000" in figures_page and "<strong>1</strong> / 10" in figures_page
    # The English page says the same in English.
    officer.get("/lang/en")
    english = officer.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert "Certificates obtained" in english and "Chứng nhận" not in english


def test_a_line_closed_takes_no_application(app, people):
    officer = _officer_client(app, people, "en")
    year = vietnam_today().year
    created = _post(
        officer,
        "/programmes/new",
        {"name": f"Closed {uuid.uuid4().hex[:6]}", "start_year": year, "end_year": year},
    )
    programme_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    _post(
        officer,
        f"/programmes/{programme_id}/lines/new",
        {"kind": "promotion", "name": "Brand", "share_pct": "30"},
    )
    with app.app_context():
        line = db.session.scalar(
            select(SupportLine).where(SupportLine.programme_id == programme_id)
        )
        line_id = line.id
        db.session.remove()
    edit = _post(
        officer,
        f"/programmes/lines/{line_id}/edit",
        {"kind": "promotion", "name": "Brand", "share_pct": "30", "status": "closed"},
    )
    assert edit.status_code == 302
    supplier = app.test_client()
    login(supplier, people.users["supplier"])
    assert supplier.get(f"/programmes/lines/{line_id}/apply").status_code == 403
    assert (
        _post(
            supplier, f"/programmes/lines/{line_id}/apply", {"purpose": "x", "requested_vnd": "1"}
        ).status_code
        == 403
    )
