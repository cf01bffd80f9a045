"""The scope of writes: the session refuses, in requests as in jobs, any change to a
firm the acting user may not edit; refusals are alerts that the province concerned
reads; a firm's move is logged for both provinces; a firm changing its identity loses
its verification; and the audit log shows what changed in words, not ids."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import inspect, select

from catalog import accounts, services, verification
from catalog.access import OutOfScope
from catalog.access.audit import ALERT, ENTITIES, IGNORED, PRIVATE, field_label, set_actor
from catalog.models import AuditEntry, Firm, Province, User
from tests.conftest import PASSWORD, login
from tests.factories import make_supplier
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _province(session, code: str) -> Province:
    return session.scalar(select(Province).where(Province.code == code))


def _member_of(session, firm: Firm) -> User:
    email = f"member-{uuid.uuid4().hex[:8]}@scope.test"
    return accounts.create_user(session, email, PASSWORD, "Member", firm=firm)


def _alerts(session, province: Province) -> list[AuditEntry]:
    session.expire_all()
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == ALERT, AuditEntry.province_id == province.id)
        .order_by(AuditEntry.id)
    ).all()


def test_the_session_refuses_writes_outside_the_actor_s_scope(session, people):
    """What a job writes for a user is held to that user's rules, whatever the route."""
    tag = uuid.uuid4().hex[:6]
    casting = [{"title": "Đúc nhôm áp lực"}]
    victim = make_supplier(session, f"Đúc Bắc Ninh {tag}", casting, province="BN")
    own = make_supplier(session, f"Cơ khí Vĩnh Phúc {tag}", [], province="VP")
    cap_id = victim.capabilities[0].id
    seen = max([a.id for a in _alerts(session, _province(session, "BN"))], default=0)
    officer = session.get(User, people.users["officer"])  # Vĩnh Phúc
    set_actor(session, officer)
    victim.contact_email = "attacker@evil.test"
    with pytest.raises(OutOfScope):
        session.flush()
    session.rollback()
    with pytest.raises(OutOfScope):
        services.add_capability(session, victim, {"title": "Tiện CNC"})
    session.rollback()
    with pytest.raises(OutOfScope):
        services.delete_capability(session, victim.capabilities[0])
    session.rollback()
    # A firm of one's own province moved to another is refused too.
    with pytest.raises(OutOfScope):
        services.update_firm(session, own, {"province": "BN"})
    session.rollback()
    # Its own province's officer, and the system (no actor), may.
    services.update_firm(session, own, {"employees": 42})
    set_actor(session, session.get(User, people.users["other_officer"]))
    services.update_firm(session, victim, {"employees": 77})
    set_actor(session, None)
    services.update_firm(session, victim, {"employees": 78})
    session.expire_all()
    assert victim.contact_email != "attacker@evil.test" and len(victim.capabilities) == 1
    assert own.province.code == "PT" and own.employees == 42 and victim.employees == 78
    # Each refusal is an alert for the province whose firm it was (a move: both).
    alerts = [a for a in _alerts(session, _province(session, "BN")) if a.id > seen]
    assert [(a.changes["target"], a.entity_id, a.changes["attempt"]) for a in alerts] == [
        ("firm", victim.id, "update"),
        ("capability", None, "create"),
        ("capability", cap_id, "delete"),
        ("firm", own.id, "update"),
    ]
    assert {a.actor_id for a in alerts} == {officer.id}
    assert alerts[0].changes["fields"] == ["contact_email"]
    assert [a.entity_id for a in _alerts(session, _province(session, "PT"))][-1] == own.id


def test_a_firm_user_cannot_move_the_firm_out_of_its_province(app, session, people, api_as):
    tag = uuid.uuid4().hex[:6]
    firm = make_supplier(session, f"Xưởng Dời Tỉnh {tag}", [], province="VP")
    member = _member_of(session, firm)
    client = app.test_client()
    login(client, member.id)
    values = {"role": "supplier", "name_vi": firm.name_vi, "tax_code": firm.tax_code}
    resp = client.post(f"/firms/{firm.id}/edit", data={**values, "province": "BN"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Chỉ cán bộ của cả hai tỉnh mới có thể chuyển doanh nghiệp sang tỉnh khác." in page
    session.expire_all()
    assert firm.province.code == "PT"
    # Other changes still save.
    resp = client.post(
        f"/firms/{firm.id}/edit", data={**values, "province": "VP", "employees": "60"}
    )
    assert resp.status_code == 302
    # Through the API: a firm user, and an officer of one of the two provinces only.
    supplier_firm = people.firms["supplier"]
    resp = api_as("supplier").patch(f"/api/v1/firms/{supplier_firm}", json={"province": "BN"})
    assert resp.status_code == 403 and "refused" in resp.json["message"]
    resp = api_as("officer").patch(f"/api/v1/firms/{firm.id}", json={"province": "BN"})
    assert resp.status_code == 403
    session.expire_all()
    assert firm.province.code == "PT" and session.get(Firm, supplier_firm).province.code == "PT"
    # The officers of both provinces are alerted: the one it would have left, and the
    # one it would have gone to.
    for code in ("PT", "BN"):
        moves = [a for a in _alerts(session, _province(session, code)) if a.entity_id == firm.id]
        assert moves and moves[-1].changes["fields"] == ["province_id"]
    # An admin may move it; the change is in the log of both provinces.
    resp = api_as("admin").patch(f"/api/v1/firms/{firm.id}", json={"province": "BN"})
    assert resp.status_code == 200 and resp.json["province"] == "BN"
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "firm",
            AuditEntry.entity_id == firm.id,
            AuditEntry.actor_id == people.users["admin"],
        )
    ).all()
    filed = {e.province_id for e in entries}
    assert filed == {_province(session, "PT").id, _province(session, "BN").id}


def test_the_province_a_firm_left_reads_its_move_in_the_audit_log(session, api_as, client_as):
    tag = uuid.uuid4().hex[:6]
    firm = make_supplier(session, f"Xưởng Chuyển Đi {tag}", [], province="VP")
    resp = api_as("admin").patch(
        f"/api/v1/firms/{firm.id}", json={"province": "BN", "sectors": ["sector.electronics"]}
    )
    assert resp.status_code == 200, resp.json
    page = client_as("officer").get("/admin/audit?entity=firm").get_data(as_text=True)
    # Field names in the reader's language, names instead of ids: "Tỉnh: Phú Thọ → Bắc Ninh"
    # (and its former province, Vĩnh Phúc, left behind), for every change of the move (the
    # sectors are written by a flush of their own).
    rows = _rows_about(page, firm.name_vi)
    assert any("<b>Tỉnh/thành</b>: Phú Thọ → Bắc Ninh" in r for r in rows), rows
    assert any("<b>Tỉnh cũ</b>: Vĩnh Phúc → —" in r for r in rows), rows
    assert any("<b>Ngành</b>: + Điện tử" in r for r in rows), rows
    assert not any("province_id" in r or "&lt;" in r or "sector." in r for r in rows)
    other = client_as("other_officer").get("/admin/audit?entity=firm").get_data(as_text=True)
    rows = _rows_about(other, firm.name_vi)
    assert any("Phú Thọ → Bắc Ninh" in r for r in rows)
    assert any("+ Điện tử" in r for r in rows)
    # A new record reads as one, in the reader's language.
    created = _rows_about(page, firm.name_vi)[-1]
    assert "Tạo mới" in created and "<b>Mã số thuế</b>: " + firm.tax_code in created


def _rows_about(page: str, text: str) -> list[str]:
    """The audit table's rows that mention ``text``, newest first."""
    return [row for row in page.split("<tr")[1:] if text in row]


def test_an_officer_refused_for_another_province_is_an_alert_there(session, people, client_as):
    firm_id = people.firms["supplier"]  # Phú Thọ (former Vĩnh Phúc)
    intruder = client_as("other_officer")  # Bắc Ninh
    before = len(_alerts(session, _province(session, "PT")))
    assert intruder.post(f"/firms/{firm_id}/edit", data={"name_vi": "Chiếm"}).status_code == 403
    alerts = _alerts(session, _province(session, "PT"))
    assert len(alerts) == before + 1
    assert alerts[-1].actor_id == people.users["other_officer"]
    assert alerts[-1].entity_id == firm_id and alerts[-1].changes["target"] == "firm"
    assert session.get(Firm, firm_id).name_vi != "Chiếm"
    # Vĩnh Phúc's officer reads it, among the alerts; Bắc Ninh's own log does not hold it.
    page = client_as("officer").get("/admin/audit?entity=alert").get_data(as_text=True)
    assert "other.officer@people.test" in page and "⚠" in page
    assert "Bị từ chối: ngoài các tỉnh của người thực hiện" in page
    assert f"POST /firms/{firm_id}/edit" in page
    other = client_as("other_officer").get("/admin/audit?entity=alert").get_data(as_text=True)
    assert f"POST /firms/{firm_id}/edit" not in other


def test_a_firm_that_changes_its_name_loses_its_verification(app, session, people, client_as):
    tag = uuid.uuid4().hex[:6]
    firm = make_supplier(
        session, f"Cao Su Đã Xác Minh {tag}", [{"title": "Ép cao su EPDM"}], province="VP"
    )
    check = verification.record(
        session,
        firm,
        firm.capabilities[0],
        {"method": "site_visit", "result": "confirmed", "checked_on": date.today().isoformat()},
        officer=None,
    )
    officer = client_as("officer")
    assert officer.post(f"/firms/{firm.id}/verify", data={"verified": "1"}).status_code == 302
    public = client_as("anonymous").get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert "✓ Đã xác minh tại nhà máy" in public
    # An officer's own correction keeps it (they vouch for it)...
    values = {"role": "supplier", "tax_code": firm.tax_code, "province": "VP"}
    resp = officer.post(f"/firms/{firm.id}/edit", data={**values, "name_vi": f"{firm.name_vi} A"})
    assert resp.status_code == 302
    session.expire_all()
    assert firm.verified_at is not None and check.is_current()
    # ... a firm user's rename does not.
    member = app.test_client()
    login(member, _member_of(session, firm).id)
    resp = member.post(f"/firms/{firm.id}/edit", data={**values, "name_vi": f"Tên Mới {tag}"})
    assert resp.status_code == 302
    session.expire_all()
    assert firm.verified_at is None and not check.is_current()
    public = client_as("anonymous").get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert "✓ Đã xác minh tại nhà máy" not in public
    lapses = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "lapse").order_by(AuditEntry.id.desc())
    ).all()[:2]
    assert {(e.entity, e.entity_id) for e in lapses} == {
        ("firm", firm.id),
        ("verification", check.id),
    }
    assert all(e.changes["lapsed_by"] == ["name_vi"] for e in lapses)
    page = officer.get("/admin/audit").get_data(as_text=True)
    assert "Xác minh hết hiệu lực" in page
    assert "<b>Mất hiệu lực do thay đổi</b>: Tên tiếng Việt" in page


def test_an_alert_stays_though_what_it_reports_is_rolled_back(session):
    """``catalog.access.audit.alert``: written in a transaction of its own."""
    from catalog.access.audit import alert

    firm = make_supplier(session, f"Xưởng Cảnh Báo {uuid.uuid4().hex[:6]}", [], province="VP")
    vp = _province(session, "PT")
    vp_id, firm_id = vp.id, firm.id
    seen = max([a.id for a in _alerts(session, vp)], default=0)
    firm.employees = 5
    session.flush()  # the session holds the write lock (SQLite) until it ends
    alert(session, "lockout", "someone@example.test", vp_id, "203.0.113.9", {"failures": 5})
    session.rollback()
    session.close()  # no transaction now: the next alert is written at once
    alert(session, "lockout", "someone@example.test", [vp_id], "203.0.113.9", {"failures": 6})
    alerts = [a for a in _alerts(session, _province(session, "PT")) if a.id > seen]
    assert [(a.action, a.actor_label, a.changes) for a in alerts] == [
        ("lockout", "203.0.113.9", {"failures": 5}),
        ("lockout", "203.0.113.9", {"failures": 6}),
    ]
    assert session.get(Firm, firm_id).employees is None


def test_every_audited_column_has_a_name_in_the_log():
    from catalog.access.audit import VALUE_LABELS  # noqa: F401  (the page's value names)

    for model, entity in ENTITIES.items():
        mapper = inspect(model)
        missing = {
            c.key
            for c in mapper.column_attrs
            if field_label(entity, c.key) == c.key
            and c.key not in IGNORED | PRIVATE.get(model, frozenset())
            and c.key != "id"
        }
        assert not missing, (entity, missing)
