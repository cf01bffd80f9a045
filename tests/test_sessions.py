"""Sessions that end: a copied session cookie dies on sign-out, on a
password change or reset, after the idle and absolute lifetimes; a reset revokes the
API tokens; the owner is told by mail, in their language, with links on the public URL.
"""

from __future__ import annotations

import re

import pytest
from flask_login.utils import encode_cookie

from catalog import accounts
from catalog.models import User, UserRole
from tests.conftest import PASSWORD
from webapp.sessions import AUTH_AT, SEEN_AT

NEW_PASSWORD = "a brand new passphrase"


def _signed_in(app, email: str, password: str = PASSWORD, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    resp = client.post("/account/login", data={"email": email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def _stolen(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _in(client) -> bool:
    resp = client.get("/account/")
    assert resp.status_code in (200, 302)
    return resp.status_code == 200


@pytest.fixture()
def user(session):
    def make(email: str, **kwargs) -> User:
        return accounts.create_user(session, email, PASSWORD, role=UserRole.ADMIN, **kwargs)

    return make


def test_a_copied_cookie_dies_when_its_owner_signs_out(app, user):
    owner = user("logout.cookie@people.test")
    browser = _signed_in(app, owner.email)
    thief = _stolen(app, browser)
    assert _in(thief)  # a copy works while the session lives
    browser.post("/account/logout")
    assert not _in(browser)
    assert not _in(thief)


def test_a_password_reset_ends_every_session_and_revokes_the_tokens(
    app, session, user, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://ketnoi.example.vn")
    owner = user("reset.cookie@people.test")
    owner.locale = "en"
    session.commit()
    _token, plain = accounts.issue_api_token(session, owner, "sync")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/introductions", headers=headers).status_code == 200
    thief = _stolen(app, _signed_in(app, owner.email))
    assert _in(thief)
    link = "/account/reset/" + accounts.reset_token(owner, app.config["SECRET_KEY"])
    resp = app.test_client().post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert resp.status_code == 302
    assert not _in(thief)
    assert api.get("/api/v1/introductions", headers=headers).status_code == 401
    mail = smtp_server.messages[-1]
    assert f"To: {owner.email}" in mail and "was reset" in mail and "revoked (1)" in mail
    # Its only link is on the configured public address, never the request's host.
    assert re.findall(r"https?://\S+", mail) == ["https://ketnoi.example.vn/account/reset"]
    assert _in(_signed_in(app, owner.email, NEW_PASSWORD))


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    app, session, user, smtp_server
):
    owner = user("change.cookie@people.test")
    here = _signed_in(app, owner.email)
    there = _signed_in(app, owner.email, address="192.0.2.11")
    form = {"current_password": "not my password", "password": NEW_PASSWORD}
    resp = here.post("/account/password", data={**form, "password2": NEW_PASSWORD})
    assert resp.status_code == 422 and 'id="f-current_password"' in resp.get_data(as_text=True)
    assert _in(there)  # a refused change changes nothing
    form["current_password"] = PASSWORD
    resp = here.post("/account/password", data={**form, "password2": "something else"})
    assert resp.status_code == 422
    resp = here.post("/account/password", data={**form, "password2": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _in(here) and not _in(there)
    assert accounts.authenticate(session, owner.email, NEW_PASSWORD) is not None
    # Told in their language: Vietnamese unless they chose English.
    mail = smtp_server.messages[-1]
    assert f"To: {owner.email}" in mail and "Mật khẩu" in mail and "was changed" not in mail


def test_a_session_ends_after_the_idle_lifetime(app, user):
    owner = user("idle.cookie@people.test")
    browser = _signed_in(app, owner.email)
    idle = int(app.config.get("SESSION_IDLE_MINUTES", 120) * 60)
    with browser.session_transaction() as sess:
        sess[SEEN_AT] -= idle // 2
    assert _in(browser)  # used within the idle time: alive, and its stamp renewed
    with browser.session_transaction() as sess:
        assert sess[SEEN_AT] >= sess[AUTH_AT]
        sess[SEEN_AT] -= idle + 1
    assert not _in(browser)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, user):
    owner = user("lifetime.cookie@people.test")
    browser = _signed_in(app, owner.email)
    lifetime = int(app.config.get("SESSION_LIFETIME_HOURS", 12) * 3600)
    with browser.session_transaction() as sess:
        sess[AUTH_AT] -= lifetime + 1
    assert not _in(browser)


def test_remember_me_cookies_sign_no_one_in(app, user):
    owner = user("remember.cookie@people.test")
    with app.test_request_context():
        cookies = [encode_cookie(str(owner.id)), encode_cookie(owner.get_id())]
    for cookie in cookies:
        client = app.test_client()
        client.set_cookie("remember_token", cookie)
        assert not _in(client)
        assert client.get_cookie("remember_token") is None  # and the browser forgets it


def test_a_deactivated_account_is_signed_out_at_once(app, session, user):
    owner = user("deactivated.cookie@people.test")
    browser = _signed_in(app, owner.email)
    owner.active = False
    session.commit()
    assert not _in(browser)
