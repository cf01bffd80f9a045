"""Tax codes cannot be squatted: registering with a tax code the catalogue holds files a
claim on that firm for its province's officers, who approve or reject it; a firm
registered with someone else's tax code is disputed and handed to its real owner."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from catalog import services
from catalog.models import AuditEntry, ClaimStatus, Firm, FirmClaim, User
from tests.conftest import PASSWORD, fresh_tax_code
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _register(client, email: str, tax_code: str, **extra):
    data = {
        "firm_role": "supplier",
        "firm_name": f"Công ty {email.split('@')[0]}",
        "province": "VP",
        "tax_code": tax_code,
        "name": "Trần Thị Bình",
        "email": email,
        "password": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post("/account/register", data=data)


def _listed_firm(session, name: str) -> Firm:
    """A firm an officer put in the catalogue (a survey import), with nobody acting for it."""
    return services.create_firm(
        session,
        {
            "role": "supplier",
            "name_vi": name,
            "tax_code": fresh_tax_code(),
            "province": "VP",
            "contact_name": "Chị Hoa",
            "contact_email": "lien-he.bi-mat@xuong.test",
        },
    )


def _firm_count(session) -> int:
    return session.scalar(select(func.count(Firm.id)))


def _claim(session, user: User) -> FirmClaim:
    session.expire_all()
    return session.scalar(select(FirmClaim).where(FirmClaim.user_id == user.id))


def test_a_claim_on_a_listed_firm_waits_for_its_provinces_officers(
    app, session, people, client_as, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    firm = _listed_firm(session, f"Cơ Khí Được Nhận {tag}")
    firms_before = _firm_count(session)
    # SQLite reuses the id of a claim deleted by an earlier test: read this test's entries.
    audit_before = session.scalar(select(func.max(AuditEntry.id))) or 0
    claimant = app.test_client()
    email = f"binh.{tag}@co-khi.test"
    response = _register(
        claimant, email, firm.tax_code, claim_message="Tôi là giám đốc, gọi 0912 345 678"
    )
    # Neither refused nor a second firm: an account and a claim.
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/claims")
    assert _firm_count(session) == firms_before
    user = session.scalar(select(User).where(User.email == email))
    assert user.firm_id is None and user.locale == "vi"
    claim = _claim(session, user)
    assert (claim.firm_id, claim.status) == (firm.id, ClaimStatus.REQUESTED)
    assert claim.message == "Tôi là giám đốc, gọi 0912 345 678"
    page = claimant.get("/account/claims").get_data(as_text=True)
    assert "Chờ cán bộ của tỉnh xét" in page and firm.display_name in page
    # The province's officer is told, with a link on the configured public address.
    officer_mail = next(m for m in smtp_server.messages if people.emails["officer"] in m)
    assert f"{app.config['PUBLIC_URL']}/admin/claims/{claim.id}" in officer_mail
    assert not any(people.emails["other_officer"] in m for m in smtp_server.messages)

    # Pending, the claimant acts for nothing and sees nothing private of the firm.
    assert claimant.get(f"/firms/{firm.id}/edit").status_code == 403
    assert "lien-he.bi-mat@xuong.test" not in claimant.get(f"/suppliers/{firm.id}").get_data(
        as_text=True
    )
    assert claimant.post("/needs/new", data={"title": "x"}).status_code == 403

    # An officer of another province neither sees nor decides it.
    other = client_as("other_officer")
    assert f"claim-{claim.id}" not in other.get("/admin/claims").get_data(as_text=True)
    assert other.get(f"/admin/claims/{claim.id}").status_code == 403
    refused = other.post(f"/admin/claims/{claim.id}", data={"decision": "approve"})
    assert refused.status_code == 403
    assert _claim(session, user).status == ClaimStatus.REQUESTED

    # The province's officer does, and the claimant is told in their language.
    officer = client_as("officer")
    assert f"claim-{claim.id}" in officer.get("/admin/claims?status=requested").get_data(
        as_text=True
    )
    page = officer.get(f"/admin/claims/{claim.id}").get_data(as_text=True)
    assert email in page and "Tôi là giám đốc" in page
    approved = officer.post(
        f"/admin/claims/{claim.id}", data={"decision": "approve", "reason": "Đã gọi điện xác nhận"}
    )
    assert approved.status_code == 302
    claim = _claim(session, user)
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by_id == people.users["officer"]
    assert session.get(User, user.id).firm_id == firm.id
    told = next(m for m in smtp_server.messages if m.startswith(f"To: {email}"))
    assert "đã chấp thuận" in told and f"{app.config['PUBLIC_URL']}/firms/{firm.id}/edit" in told

    # Now the claimant edits the firm.
    assert claimant.get(f"/firms/{firm.id}/edit").status_code == 200
    saved = claimant.post(
        f"/firms/{firm.id}/edit",
        data={
            "role": "supplier",
            "name_vi": firm.name_vi,
            "tax_code": firm.tax_code,
            "province": "VP",
            "employees": "85",
        },
    )
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(Firm, firm.id).employees == 85
    # Every step is in the province's audit log.
    actions = set(
        session.execute(
            select(AuditEntry.action, AuditEntry.province_id).where(
                AuditEntry.entity == "firm_claim",
                AuditEntry.entity_id == claim.id,
                AuditEntry.id > audit_before,
            )
        )
    )
    assert actions == {("create", firm.province_id), ("approved", firm.province_id)}


def test_a_squatted_firm_is_disputed_and_passes_to_its_real_owner(
    app, session, people, client_as, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    tax_code = fresh_tax_code()
    squatter = app.test_client()
    assert _register(squatter, f"squatter.{tag}@mao-danh.test", tax_code).status_code == 302
    firm = session.scalar(select(Firm).where(Firm.tax_code == tax_code))
    squatter_user = session.scalar(select(User).where(User.firm_id == firm.id))
    assert squatter.get(f"/firms/{firm.id}/edit").status_code == 200

    # The real owner is no longer refused: their claim disputes the squatter's firm.
    owner = app.test_client()
    owner.get("/lang/en")
    owner_email = f"owner.{tag}@real-firm.test"
    response = _register(owner, owner_email, tax_code, claim_message="I am the director.")
    assert response.status_code == 302
    owner_user = session.scalar(select(User).where(User.email == owner_email))
    assert owner_user.locale == "en"
    claim = _claim(session, owner_user)
    assert claim.firm_id == firm.id

    officer = client_as("officer")
    page = officer.get(f"/admin/claims/{claim.id}").get_data(as_text=True)
    assert squatter_user.email in page  # the firm's current users, to judge the dispute
    approved = officer.post(
        f"/admin/claims/{claim.id}",
        data={"decision": "approve", "remove_others": "1", "reason": "Giấy phép kinh doanh"},
    )
    assert approved.status_code == 302
    session.expire_all()
    assert session.get(User, owner_user.id).firm_id == firm.id
    assert session.get(User, squatter_user.id).firm_id is None
    assert _claim(session, owner_user).removed_users == [
        {"id": squatter_user.id, "email": squatter_user.email}
    ]
    assert squatter.get(f"/firms/{firm.id}/edit").status_code == 403
    assert owner.get(f"/firms/{firm.id}/edit").status_code == 200
    told = next(m for m in smtp_server.messages if m.startswith(f"To: {owner_email}"))
    assert "approved your claim" in told  # in the owner's language
    # A decided claim is not decided again.
    again = officer.post(f"/admin/claims/{claim.id}", data={"decision": "reject", "reason": "x"})
    assert again.status_code == 422
    assert _claim(session, owner_user).status == ClaimStatus.APPROVED


def test_a_rejected_claim_says_why_and_the_claimant_may_try_again(
    app, session, people, client_as, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    firm = _listed_firm(session, f"Nhựa Bị Nhận Nhầm {tag}")
    claimant = app.test_client()
    email = f"nham.{tag}@nhua.test"
    assert _register(claimant, email, firm.tax_code).status_code == 302
    user = session.scalar(select(User).where(User.email == email))
    claim = _claim(session, user)
    officer = client_as("officer")
    # A rejection needs a reason: the claimant is told it.
    assert officer.post(f"/admin/claims/{claim.id}", data={"decision": "reject"}).status_code == 422
    rejected = officer.post(
        f"/admin/claims/{claim.id}",
        data={"decision": "reject", "reason": "Số điện thoại không phải của doanh nghiệp"},
    )
    assert rejected.status_code == 302
    assert _claim(session, user).status == ClaimStatus.REJECTED
    assert session.get(User, user.id).firm_id is None
    told = next(m for m in smtp_server.messages if m.startswith(f"To: {email}"))
    assert "Số điện thoại không phải của doanh nghiệp" in told
    page = claimant.get("/account/claims").get_data(as_text=True)
    assert "Bị cán bộ từ chối" in page and "Số điện thoại không phải của doanh nghiệp" in page
    # With more to go on, they claim again; a second open claim is refused.
    again = claimant.post(
        "/account/claims", data={"tax_code": firm.tax_code, "message": "Đây là giấy ủy quyền"}
    )
    assert again.status_code == 302
    twice = claimant.post("/account/claims", data={"tax_code": firm.tax_code})
    assert twice.status_code == 422
    unknown = claimant.post("/account/claims", data={"tax_code": fresh_tax_code()})
    assert unknown.status_code in (403, 422)
    # A firm's own user cannot claim another firm.
    assert (
        client_as("supplier").post("/account/claims", data={"tax_code": firm.tax_code}).status_code
        == 403
    )
