"""A firm imported without a user can still be reached: a buyer's introduction request
goes to its province's officers, who record the firm's consent on its behalf (who, when,
how; in the audit log); the buyer is told and sees the contact."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from catalog import services
from catalog.models import (
    AuditEntry,
    Firm,
    Introduction,
    Notification,
    User,
    UserRole,
    officer_provinces,
)
from jobs.sync import index_sync_paused
from tests.factories import make_surveyed_firm
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _imported_firm(session, tag: str) -> Firm:
    return make_surveyed_firm(
        session,
        f"Cơ khí Khảo Sát {tag}",
        "Anh Tuấn",
        f"tuan.{tag}@khao-sat.test",
        contact_phone="0211 3 845 678",
    )


def _request(session, people, client, firm: Firm, tag: str) -> Introduction:
    with index_sync_paused(session):
        need = services.create_need(
            session,
            session.get(Firm, people.firms["buyer"]),
            {"title": f"Trục thép C45 {tag}", "visibility": "public"},
        )
    response = client.post(f"/needs/{need.id}/introductions", data={"firm_id": firm.id})
    assert response.status_code == 302
    session.expire_all()
    return session.scalar(select(Introduction).where(Introduction.need_id == need.id))


def test_officers_answer_for_a_firm_without_a_user(app, session, people, client_as, smtp_server):
    tag = uuid.uuid4().hex[:6]
    firm = _imported_firm(session, tag)
    buyer = client_as("buyer")
    intro = _request(session, people, buyer, firm, tag)

    # The province's officers are told, in their list and by mail; nobody elsewhere.
    notes = session.scalars(
        select(Notification).where(
            Notification.subject_type == "introduction", Notification.subject_id == intro.id
        )
    ).all()
    # (Other tests may have added officers to the province: each of them is told too.)
    officers = set(
        session.scalars(
            select(User.id)
            .join(officer_provinces, officer_provinces.c.user_id == User.id)
            .where(officer_provinces.c.province_id == firm.province_id)
            .where(User.role == UserRole.OFFICER, User.active.is_(True))
        )
    )
    assert people.users["officer"] in officers
    assert people.users["other_officer"] not in officers
    assert {n.user_id for n in notes} == officers
    assert notes[0].kind == "introduction.no_user"
    mail = next(m for m in smtp_server.messages if m.startswith("To: officer@people.test"))
    assert "chưa có người dùng" in mail
    assert f"{app.config['PUBLIC_URL']}/introductions/{intro.id}/consent" in mail
    assert not [m for m in smtp_server.messages if "other.officer@people.test" in m]

    # Before consent the buyer does not see the contact.
    assert f"tuan.{tag}@khao-sat.test" not in buyer.get("/introductions/").get_data(as_text=True)

    # Only the province's officers (and admins) record consent.
    for role in ("other_officer", "buyer", "supplier", "other_supplier"):
        assert client_as(role).get(f"/introductions/{intro.id}/consent").status_code == 403
        refused = client_as(role).post(
            f"/introductions/{intro.id}/consent",
            data={"consent_by": "x", "consent_method": "phone"},
        )
        assert refused.status_code == 403
    officer = client_as("officer")
    page = officer.get(f"/introductions/{intro.id}/consent").get_data(as_text=True)
    assert "0211 3 845 678" in page and "Ghi nhận sự đồng ý" in page
    listed = officer.get("/introductions/").get_data(as_text=True)
    assert f"/introductions/{intro.id}/consent" in listed

    # Who, when and how are required and checked.
    bad = officer.post(
        f"/introductions/{intro.id}/consent",
        data={"consent_method": "carrier pigeon", "consent_at": "2999-01-01T10:00"},
    )
    assert bad.status_code == 422
    session.expire_all()
    assert session.get(Introduction, intro.id).status.value == "requested"

    audit_before = session.scalar(select(func.max(AuditEntry.id))) or 0
    done = officer.post(
        f"/introductions/{intro.id}/consent",
        data={
            "consent_by": "Anh Tuấn, giám đốc",
            "consent_at": "2026-03-04T09:30",
            "consent_method": "phone",
            "consent_note": "Gọi số trên phiếu khảo sát",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    intro = session.get(Introduction, intro.id)
    assert intro.status.value == "accepted" and intro.decided_by_id == people.users["officer"]
    assert (intro.consent_by, intro.consent_method) == ("Anh Tuấn, giám đốc", "phone")
    assert intro.consent_at.strftime("%Y-%m-%d %H:%M") == "2026-03-04 09:30"
    # In the audit log, with the officer as actor and the consent's fields.
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.id > audit_before,
            AuditEntry.entity == "introduction",
            AuditEntry.entity_id == intro.id,
        )
    )
    assert entry.action == "accepted" and entry.actor_id == people.users["officer"]
    assert entry.changes["consent_by"][1] == "Anh Tuấn, giám đốc"
    assert entry.changes["consent_method"][1] == "phone"
    log = officer.get("/admin/audit").get_data(as_text=True)
    assert "Người đồng ý" in log and "qua điện thoại" in log

    # The buyer is told and sees the contact where they work.
    told = session.scalars(
        select(Notification).where(
            Notification.user_id == people.users["buyer"],
            Notification.kind == "introduction.accepted",
            Notification.subject_id == intro.id,
        )
    ).all()
    assert len(told) == 1 and told[0].params["method"] == "phone"
    mail = [m for m in smtp_server.messages if m.startswith("To: buyer@people.test")][-1]
    assert "ghi nhận sự đồng ý của doanh nghiệp, qua điện thoại" in mail
    assert f"tuan.{tag}@khao-sat.test" in buyer.get("/introductions/").get_data(as_text=True)
    assert f"tuan.{tag}@khao-sat.test" in buyer.get(f"/needs/{intro.need_id}").get_data(
        as_text=True
    )
    # Answered once.
    again = officer.post(
        f"/introductions/{intro.id}/consent", data={"consent_by": "x", "consent_method": "email"}
    )
    assert again.status_code == 422


def test_a_firm_with_users_answers_for_itself(app, session, people, client_as):
    tag = uuid.uuid4().hex[:6]
    intro = _request(
        session, people, client_as("buyer"), session.get(Firm, people.firms["supplier"]), tag
    )
    # Its users are told, not the officers.
    kinds = {
        (n.user_id, n.kind)
        for n in session.scalars(select(Notification).where(Notification.subject_id == intro.id))
        if n.subject_type == "introduction"
    }
    assert (people.users["supplier"], "introduction.requested") in kinds
    assert people.users["officer"] not in {u for u, _k in kinds}
    refused = client_as("officer").post(
        f"/introductions/{intro.id}/consent",
        data={"consent_by": "Chị Hoa", "consent_method": "phone"},
    )
    assert refused.status_code == 422
    session.expire_all()
    assert session.get(Introduction, intro.id).status.value == "requested"
    assert session.get(User, people.users["supplier"]).firm_id == people.firms["supplier"]
