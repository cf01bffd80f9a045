"""Accounts: registration, sign-in, password reset by real e-mail, API tokens (expiry,
scope, mails), the remembered language, session cookies.

Sign-in throttling is in ``test_login_throttling.py``, sessions that end in
``test_sessions.py``, two-factor sign-in in ``test_two_factor.py``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog import accounts
from catalog.models import ApiToken, AuditEntry, Firm, User, UserRole, as_utc, utcnow
from catalog.validation import ValidationError
from tests.conftest import PASSWORD, fresh_tax_code, login


def _register(client, email: str, role: str = "supplier", **extra):
    data = {
        "firm_role": role,
        "firm_name": f"Công ty {email.split('@')[0]}",
        "province": "BN",
        "tax_code": fresh_tax_code(),
        "name": "Nguyễn Văn An",
        "email": email,
        "password": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post("/account/register", data=data)


def test_register_creates_firm_and_signs_in(app, session):
    client = app.test_client()
    resp = _register(client, "an.nguyen@co-khi-bac-ninh.vn")
    assert resp.status_code == 302 and "/firms/" in resp.headers["Location"]
    user = accounts.find_user(session, "AN.NGUYEN@co-khi-bac-ninh.vn")
    assert user.firm.role.value == "supplier" and user.firm.province.code == "BN"
    assert user.password_hash.startswith("scrypt:")  # a memory-hard KDF, never plain text
    assert PASSWORD not in user.password_hash
    assert client.get(resp.headers["Location"]).status_code == 200  # may edit own firm
    again = _register(app.test_client(), "an.nguyen@co-khi-bac-ninh.vn")
    assert again.status_code == 422
    assert re.search(r'has-error">\s*<label for="f-email"', again.get_data(as_text=True))


def test_register_reports_every_bad_field(app):
    resp = _register(
        app.test_client(), "not-an-email", role="", password2="different", province="", firm_name=""
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert body.count('class="error"') >= 4


def test_login_logout_and_wrong_password(app, people):
    client = app.test_client()
    resp = client.post(
        "/account/login", data={"email": people.emails["buyer"], "password": "wrong password"}
    )
    assert resp.status_code == 200 and 'role="alert"' in resp.get_data(as_text=True)
    resp = client.post(
        "/account/login",
        data={"email": people.emails["buyer"], "password": PASSWORD, "next": "/introductions/"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/introductions/"
    assert client.get("/account/").status_code == 200
    client.post("/account/logout")
    assert client.get("/account/").status_code == 302


def test_login_never_redirects_off_site(app, people):
    resp = app.test_client().post(
        "/account/login",
        data={"email": people.emails["buyer"], "password": PASSWORD, "next": "//evil.example/"},
    )
    assert resp.headers["Location"] == "/"


def test_password_reset_by_emailed_single_use_link(app, session, smtp_server):
    user = accounts.create_user(session, "reset.me@people.test", PASSWORD, role=UserRole.ADMIN)
    client = app.test_client()
    resp = client.post("/account/reset", data={"email": "Reset.Me@people.test"})
    assert resp.status_code == 302
    # Unknown addresses get the same answer and no mail.
    client.post("/account/reset", data={"email": "nobody@people.test"})
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert "To: reset.me@people.test" in mail
    link = re.search(re.escape(app.config["PUBLIC_URL"]) + r"(/account/reset/\S+)", mail).group(1)
    assert client.get(link).status_code == 200
    resp = client.post(link, data={"password": "short", "password2": "short"})
    assert resp.status_code == 422  # too short: nothing changed, link still usable
    new = "a brand new passphrase"
    resp = client.post(link, data={"password": new, "password2": new})
    assert resp.status_code == 302
    assert accounts.authenticate(session, user.email, new) is not None
    # Used once: the same link no longer works.
    resp = client.get(link)
    assert resp.status_code == 302 and "/account/reset" in resp.headers["Location"]
    # Forged and expired links are refused too.
    token = link.rsplit("/", 1)[1]
    secret = app.config["SECRET_KEY"]
    assert accounts.user_for_reset_token(session, token[:-2] + "xx", secret) is None
    fresh = accounts.reset_token(session.get(User, user.id), secret)
    assert accounts.user_for_reset_token(session, fresh, secret) is not None
    assert accounts.user_for_reset_token(session, fresh, secret, max_age=-1) is None


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(app, session, people):
    client = app.test_client()
    login(client, people.users["other_supplier"])
    resp = client.post("/account/tokens", data={"name": "ERP sync"})
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    plain = re.search(r'id="new-token">(kn_[\w-]+)<', resp.get_data(as_text=True)).group(1)
    assert plain not in client.get("/account/").get_data(as_text=True)  # never again
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "ERP sync"))
    assert stored.token_hash != plain and plain not in stored.token_hash
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/introductions", headers=headers).status_code == 200
    client.post(f"/account/tokens/{stored.id}/revoke")
    resp = api.get("/api/v1/introductions", headers=headers)
    assert resp.status_code == 401 and resp.json["status"] == 401
    assert "Bearer" in resp.headers["WWW-Authenticate"]


def test_api_ignores_session_cookies(app, people):
    """Only a token authenticates on the API, so a cross-site request carrying the
    browser's cookie gets nothing (the API is exempt from CSRF tokens for this reason)."""
    client = app.test_client()
    login(client, people.users["admin"])
    assert client.get("/account/").status_code == 200
    assert client.post("/api/v1/firms", json={"name_vi": "X"}).status_code == 401


def test_language_choice_is_remembered_per_user(app, session, people):
    client = app.test_client()
    login(client, people.users["other_officer"])
    client.get("/lang/en")
    assert session.get(User, people.users["other_officer"]).locale == "en"
    fresh = app.test_client()
    fresh.post(
        "/account/login",
        data={"email": people.emails["other_officer"], "password": PASSWORD},
        headers={"Accept-Language": "vi"},
    )
    html = fresh.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    session.get(User, people.users["other_officer"]).locale = None
    session.commit()


def test_session_cookie_flags(app, people):
    client = app.test_client()
    resp = client.post(
        "/account/login", data={"email": people.emails["buyer"], "password": PASSWORD}
    )
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_in_production(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = load_config({"DATA_DIR": str(tmp_path)})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_admin_creates_an_officer_who_is_invited_by_mail(app, session, people, smtp_server):
    client = app.test_client()
    login(client, people.users["admin"])
    resp = client.post(
        "/admin/users",
        data={
            "email": "officer.tn@people.test",
            "name": "Cán bộ TN",
            "role": "officer",
            "provinces": ["TN"],
        },
    )
    assert resp.status_code == 302
    officer = accounts.find_user(session, "officer.tn@people.test")
    assert officer.role.value == "officer" and [p.code for p in officer.provinces] == ["TN"]
    assert "/account/reset/" in smtp_server.messages[-1]
    # An officer may not create an admin, nor an officer for another province.
    officer_client = app.test_client()
    login(officer_client, people.users["officer"])
    resp = officer_client.post("/admin/users", data={"email": "boss@people.test", "role": "admin"})
    assert resp.status_code == 422 and accounts.find_user(session, "boss@people.test") is None
    resp = officer_client.post(
        "/admin/users",
        data={"email": "bn.officer@people.test", "role": "officer", "provinces": ["BN"]},
    )
    assert resp.status_code == 422
    assert accounts.find_user(session, "bn.officer@people.test") is None


def test_firm_users_invite_colleagues_to_their_own_firm(app, session, people, smtp_server):
    client = app.test_client()
    login(client, people.users["buyer"])
    resp = client.post(
        "/account/colleagues", data={"email": "colleague@people.test", "name": "Trần Thị Bình"}
    )
    assert resp.status_code == 302
    colleague = accounts.find_user(session, "colleague@people.test")
    assert colleague.firm_id == people.firms["buyer"] and colleague.role == UserRole.MEMBER
    assert not colleague.password_hash  # unusable until the invitation link is followed
    assert "/account/reset/" in smtp_server.messages[-1]
    assert "colleague@people.test" in client.get("/account/").get_data(as_text=True)


def test_roles_are_changed_within_ones_scope(app, session, people):
    target = accounts.create_user(
        session, "promote.me@people.test", None, firm=session.get(Firm, people.firms["supplier"])
    )
    officer = app.test_client()
    login(officer, people.users["officer"])
    # An officer cannot grant admin, nor officer powers outside their provinces.
    resp = officer.post(f"/admin/users/{target.id}/edit", data={"role": "admin"})
    assert resp.status_code == 422
    resp = officer.post(
        f"/admin/users/{target.id}/edit", data={"role": "officer", "provinces": ["BN"]}
    )
    assert resp.status_code == 422
    resp = officer.post(
        f"/admin/users/{target.id}/edit", data={"role": "officer", "provinces": ["PT"]}
    )
    assert resp.status_code == 302
    session.refresh(target)
    assert target.role == UserRole.OFFICER and [p.code for p in target.provinces] == ["PT"]
    assert target.firm_id is None
    admin = app.test_client()
    login(admin, people.users["admin"])
    assert admin.post(f"/admin/users/{target.id}/edit", data={"role": "admin"}).status_code == 302
    session.refresh(target)
    assert target.role == UserRole.ADMIN and target.provinces == []
    # Nobody changes their own role.
    resp = admin.post(f"/admin/users/{people.users['admin']}/edit", data={"role": "officer"})
    assert resp.status_code == 422
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "user", AuditEntry.entity_id == target.id)
        .order_by(AuditEntry.id)
    ).all()
    # SQLite gives a deleted user's id to the next one: this user's history begins at
    # its own creation.
    created = max(i for i, e in enumerate(entries) if e.action == "create")
    entries = entries[created:]
    assert entries[0].action == "create" and entries[0].changes["role"] == "member"
    assert [e.changes.get("role") for e in entries[1:] if "role" in e.changes] == [
        ["member", "officer"],
        ["officer", "admin"],
    ]


def test_api_tokens_expire_and_are_refused_once_expired(app, session, people, smtp_server):
    user = session.get(User, people.users["buyer"])
    token, plain = accounts.issue_api_token(session, user, "nightly export", days=30, scope="read")
    assert as_utc(token.expires_at) - utcnow() > timedelta(days=29)
    for days, scope, field in ((7, "read", "days"), (90, "admin", "scope")):
        with pytest.raises(ValidationError) as refused:
            accounts.issue_api_token(session, user, "odd", days=days, scope=scope)
        assert set(refused.value.errors) == {field}
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/introductions", headers=headers).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    resp = api.get("/api/v1/introductions", headers={**headers, "Accept-Language": "en"})
    assert resp.status_code == 401 and "expired" in resp.json["message"]
    # Still listed on the account page, marked as expired, with its last use.
    client = app.test_client()
    login(client, user.id)
    row = re.search(
        rf'<tr id="token-{token.id}">.*?</tr>',
        client.get("/account/", headers={"Accept-Language": "en"}).get_data(as_text=True),
        re.S,
    ).group(0)
    assert "expired" in row and "read-only" in row and "—" not in row.split("</td>")[4]


def test_read_only_tokens_only_read(app, session, people):
    admin = session.get(User, people.users["admin"])
    _token, read_only = accounts.issue_api_token(session, admin, "dashboard", scope="read")
    _token, read_write = accounts.issue_api_token(session, admin, "sync", scope="write")
    api = app.test_client()
    reader = {"Authorization": f"Bearer {read_only}"}
    writer = {"Authorization": f"Bearer {read_write}"}
    firm_id = people.firms["supplier"]
    assert api.get(f"/api/v1/firms/{firm_id}", headers=reader).status_code == 200
    for method, path, body in (
        ("POST", "/api/v1/firms", {"name_vi": "Công ty Chỉ Đọc"}),
        ("PATCH", f"/api/v1/firms/{firm_id}", {"website": "https://example.vn"}),
        ("DELETE", f"/api/v1/firms/{firm_id}", None),
    ):
        resp = api.open(path, method=method, json=body, headers=reader)
        assert resp.status_code == 403 and "read-only" in resp.json["message"], (method, path)
    assert session.get(Firm, firm_id) is not None
    resp = api.patch(f"/api/v1/firms/{firm_id}", json={"employees": 120}, headers=writer)
    assert resp.status_code == 200


def test_tokens_are_made_with_a_lifetime_and_scope_and_their_owner_is_told(
    app, session, people, smtp_server
):
    user = session.get(User, people.users["other_officer"])
    user.locale = "en"
    session.commit()
    client = app.test_client()
    login(client, user.id)
    resp = client.post("/account/tokens", data={"name": "ERP read", "days": "365", "scope": "read"})
    assert resp.status_code == 201
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "ERP read"))
    assert stored.scope.value == "read"
    assert timedelta(days=364) < as_utc(stored.expires_at) - utcnow() <= timedelta(days=365)
    mail = smtp_server.messages[-1]
    assert f"To: {user.email}" in mail and '"ERP read"' in mail and "read-only" in mail
    assert app.config["PUBLIC_URL"] + "/account/" in mail
    client.post(f"/account/tokens/{stored.id}/revoke")
    assert "was revoked" in smtp_server.messages[-1]
    # A lifetime not offered is refused and nothing is made.
    resp = client.post("/account/tokens", data={"name": "forever", "days": "10000"})
    assert resp.status_code == 302
    assert session.scalar(select(ApiToken).where(ApiToken.name == "forever")) is None
    user.locale = None
    session.commit()
