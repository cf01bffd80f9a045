"""Officers' checks of declared capabilities: recording, evidence, badges, ranking,
expiry, notices and the audit trail, with the real database, index, model and SMTP."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog import services, verification
from catalog.models import AuditEntry, Verification
from catalog.validation import ValidationError
from jobs.notices import cleanup_uploads, send_expiry_notices
from jobs.runtime import runtime
from tests.factories import make_buyer, make_need, make_supplier, png_bytes

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = png_bytes()

BELLOWS = {
    "title": "Ép cao su lưu hóa chụp chống bụi, ống gen cao su EPDM",
    "description": "Ép khuôn cao su lưu hóa chụp bụi, ống bellows EPDM và NBR cho ô tô, xe máy.",
}


def _evidence_root(app) -> Path:
    return Path(app.config["DATA_DIR"]) / "uploads" / "evidence"


def _record(session, app, firm, item, **data):
    values = {"method": "site_visit", "result": "confirmed", "checked_on": date.today()}
    values.update(data)
    return verification.record(
        session,
        firm,
        item,
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()},
        officer=None,
        uploads=[verification.Upload("visit.pdf", PDF)],
        evidence_root=_evidence_root(app),
    )


def test_officer_records_a_site_visit_with_evidence_and_the_firm_is_told(
    app, session, people, client_as, smtp_server
):
    firm = make_supplier(session, "Cao Su Kiểm Chứng Vĩnh Yên", [BELLOWS])
    cap = firm.capabilities[0]
    owner = client_as("supplier")  # a member of another firm: told nothing
    officer = client_as("officer")
    page = officer.get(f"/firms/{firm.id}/verifications/new?item=capability:{cap.id}")
    assert page.status_code == 200
    assert re.search(rf'value="capability:{cap.id}"\s+selected', page.get_data(as_text=True))

    response = officer.post(
        f"/firms/{firm.id}/verifications/new",
        data={
            "item": f"capability:{cap.id}",
            "method": "site_visit",
            "result": "confirmed",
            "checked_on": date.today().isoformat(),
            "note": "Xem 4 máy ép 200 tấn",
            "evidence": [(io.BytesIO(PDF), "biên bản.pdf"), (io.BytesIO(PNG), "xưởng.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    check = session.scalars(select(Verification).where(Verification.firm_id == firm.id)).one()
    assert check.valid_until == date.today() + verification.DEFAULT_VALIDITY
    assert [e.content_type for e in check.evidence] == ["application/pdf", "image/png"]
    assert [e.filename for e in check.evidence] == ["biên bản.pdf", "xưởng.png"]
    assert verification.evidence_path(_evidence_root(app), check.evidence[0]).read_bytes() == PDF

    shown = officer.get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert "✓ Đã xác minh tại nhà máy" in shown
    assert "biên bản.pdf" in shown
    download = officer.get(f"/verifications/evidence/{check.evidence[0].id}")
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    # The public sees the badge, not the evidence.
    anonymous = client_as("anonymous").get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert "✓ Đã xác minh tại nhà máy" in anonymous and "biên bản.pdf" not in anonymous
    assert owner.get(f"/verifications/evidence/{check.evidence[0].id}").status_code == 403

    # The newest entry about this id (SQLite reuses the ids of deleted rows).
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "verification", AuditEntry.entity_id == check.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).one()
    assert entry.action == "create" and entry.actor_id == people.users["officer"]
    assert entry.changes["result"] == "confirmed"
    assert smtp_server.messages == []  # the new firm has no users yet


def test_the_firm_users_are_told_the_result_in_their_language(
    app, session, people, client_as, smtp_server
):
    from catalog.models import Firm, User

    firm = session.get(Firm, people.firms["supplier"])
    user = session.get(User, people.users["supplier"])
    user.locale = "en"
    session.commit()
    cert = services.add_certification(session, firm, {"standard": "ISO 14001"})
    response = client_as("officer").post(
        f"/firms/{firm.id}/verifications/new",
        data={
            "item": f"certification:{cert.id}",
            "method": "documents",
            "result": "partly",
            "checked_on": date.today().isoformat(),
        },
    )
    assert response.status_code == 302
    mail = "\n".join(smtp_server.messages)
    assert f"To: {user.email}" in mail
    assert "checked ISO 14001" in mail and "partly confirmed" in mail
    user.locale = "vi"
    session.commit()


@pytest.mark.parametrize(
    ("data", "files", "field", "message"),
    [
        ({"checked_on": "2099-01-01"}, [], "checked_on", "tương lai"),
        ({"valid_until": "2020-01-01", "checked_on": "2024-01-01"}, [], "valid_until", "sau"),
        ({"method": "telepathy"}, [], "method", "Phải là một trong: documents, site_visit"),
        ({}, [(b"<html><script>alert(1)</script>", "scan.pdf")], "evidence", "không phải"),
    ],
)
def test_bad_checks_are_refused_with_a_reason_and_nothing_is_written(
    session, people, client_as, data, files, field, message
):
    firm = make_supplier(session, "Cao Su Từ Chối Phúc Yên", [BELLOWS])
    before = session.scalar(select(Verification.id).order_by(Verification.id.desc()).limit(1))
    form = {
        "item": f"capability:{firm.capabilities[0].id}",
        "method": "documents",
        "result": "confirmed",
        "checked_on": date.today().isoformat(),
        **data,
        "evidence": [(io.BytesIO(body), name) for body, name in files],
    }
    response = client_as("officer").post(
        f"/firms/{firm.id}/verifications/new", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'has-error">\s*<label for="f-{field}"', page), page[:2000]
    assert message in page
    after = session.scalar(select(Verification.id).order_by(Verification.id.desc()).limit(1))
    assert after == before


def test_an_item_of_another_firm_cannot_be_checked(app, session):
    firm = make_supplier(session, "Cao Su Một", [BELLOWS])
    other = make_supplier(session, "Cao Su Hai", [BELLOWS])
    with pytest.raises(ValidationError) as err:
        _record(session, app, firm, other.capabilities[0])
    assert "item" in err.value.errors
    session.rollback()


def test_a_verified_capability_ranks_above_the_same_unverified_one_and_says_why(app, session):
    caps = {
        "title": "Dập vuốt sâu cốc inox 304 cho bình đun siêu tốc",
        "description": "Dập vuốt sâu thân bình, cốc inox 304 dày 0,5 mm, máy dập thủy lực 300 tấn.",
        "capacity_per_month": 80000,
    }
    plain = make_supplier(session, "Dập Vuốt Chưa Xác Minh", [caps])
    checked = make_supplier(session, "Dập Vuốt Đã Xác Minh", [caps])
    assert checked.id > plain.id  # a tie would put ``plain`` first
    _record(session, app, checked, checked.capabilities[0])
    need = make_need(
        session,
        make_buyer(session),
        title="Deep drawn stainless steel 304 cups for electric kettles",
        description="Deep drawing of 0.5 mm SUS304 kettle bodies, 500k pcs/year.",
    )
    matches = runtime().engine.match_need(session, need, limit=20)
    order = [m.firm_id for m in matches]
    assert checked.id in order and plain.id in order, order
    assert order.index(checked.id) < order.index(plain.id)
    badge = [c for c in matches[order.index(checked.id)].checks if c.name == "verification"]
    assert badge and badge[0].status == "ok"
    assert not [c for c in matches[order.index(plain.id)].checks if c.name == "verification"]


def test_checks_lapse_and_firms_are_warned_once_before(app, session, people, smtp_server):
    from catalog.models import Firm

    firm = session.get(Firm, people.firms["supplier"])
    cap = services.add_capability(session, firm, {"title": "Hàn TIG khung inox"})
    today = date.today()
    soon = _record(
        session,
        app,
        firm,
        cap,
        checked_on=today - timedelta(days=700),
        valid_until=today + timedelta(days=10),
    )
    assert ("capability", cap.id) in firm.current_checks(today)
    # Lapsed on the day after valid_until: no badge.
    assert ("capability", cap.id) not in firm.current_checks(today + timedelta(days=11))

    assert send_expiry_notices.apply(args=[today.isoformat()]).get() >= 1
    session.expire_all()
    assert session.get(Verification, soon.id).expiry_notice_on == today
    # Each of the firm's users is warned once (other tests add users to this firm).
    to_supplier = f"To: {people.emails['supplier']}\n"
    warned = [m for m in smtp_server.messages if "Hàn TIG khung inox" in m]
    mine = [m for m in warned if m.startswith(to_supplier)]
    assert len(mine) == 1 and "hết hạn" in mine[0]
    assert len({m.split(chr(10), 1)[0] for m in warned}) == len(warned)
    # Idempotent: a second run tells nobody again.
    send_expiry_notices.apply(args=[today.isoformat()]).get()
    assert len([m for m in smtp_server.messages if "Hàn TIG khung inox" in m]) == len(warned)
    # A renewed check silences the old one's warning.
    cap2 = services.add_capability(session, firm, {"title": "Mài phẳng chi tiết thép"})
    _record(
        session,
        app,
        firm,
        cap2,
        checked_on=today - timedelta(days=700),
        valid_until=today + timedelta(days=5),
    )
    _record(session, app, firm, cap2)
    due = verification.due_for_expiry_notice(session, today)
    assert all(c.capability_id != cap2.id for c in due)


def test_a_withdrawn_check_removes_the_badge(app, session, client_as):
    firm = make_supplier(session, "Cao Su Rút Lại", [BELLOWS])
    check = _record(session, app, firm, firm.capabilities[0])
    assert client_as("officer").post(f"/verifications/{check.id}/delete").status_code == 302
    session.expire_all()
    assert firm.current_checks() == {}


def test_old_uploads_are_cleaned_up(app, ctx):
    folder = Path(app.config["DATA_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    old, new = folder / "old.upload", folder / "new.upload"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    import os
    import time

    os.utime(old, (time.time() - 8 * 86400,) * 2)
    assert cleanup_uploads.apply().get() >= 1
    assert not old.exists() and new.exists()
