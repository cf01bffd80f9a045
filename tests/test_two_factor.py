"""Two-factor sign-in (TOTP) for officers and admins: set-up, sign-in with a code or a
recovery code, codes good once, and the setting that requires it of staff. Codes are
made by pyotp from the secret the set-up page shows, as an authenticator app would."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from catalog import accounts
from catalog.models import Province, User, UserRole
from tests.conftest import PASSWORD, login


def _officer(session, email: str) -> User:
    vp = session.scalar(select(Province).where(Province.code == "PT"))
    return accounts.create_user(session, email, PASSWORD, role=UserRole.OFFICER, provinces=[vp])


def _client(app, address: str = "192.0.2.40"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _password_step(client, email: str):
    return client.post("/account/login", data={"email": email, "password": PASSWORD})


def _turn_on(app, session, user: User) -> tuple[str, list[str], object]:
    """Set up the second factor through the pages; returns the secret, the recovery
    codes and the signed-in client."""
    client = _client(app)
    assert _password_step(client, user.email).status_code == 302
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    uri = re.search(r'id="totp-uri">([^<]+)<', html).group(1).replace("&amp;", "&")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == f"/KetNoi:{user.email}"
    assert parse_qs(parts.query)["secret"] == [secret] and "<svg" in html
    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "no-store" in done.headers["Cache-Control"]
    codes = re.findall(
        r"<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code></li>", done.get_data(as_text=True)
    )
    assert len(codes) == accounts.RECOVERY_CODES
    session.refresh(user)
    assert user.two_factor_enabled
    assert not any(code in str(user.recovery_codes) for code in codes)  # stored as digests
    return secret, codes, client


def _next_code(secret: str) -> str:
    """A code of the next time step: later than any used so far, within the drift."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_sign_in_asks_for_a_code_after_the_password(app, session, smtp_server):
    officer = _officer(session, "officer.totp@people.test")
    secret, _codes, setup_client = _turn_on(app, session, officer)
    assert setup_client.get("/account/").status_code == 200  # the set-up session goes on
    assert "Two-factor" in smtp_server.messages[-1] or "hai bước" in smtp_server.messages[-1]
    client = _client(app, "192.0.2.41")
    resp = _password_step(client, officer.email)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/login/code")
    # The right password alone signs no one in.
    assert client.get("/account/").status_code == 302
    assert _client(app).get("/account/login/code").status_code == 302  # nothing pending there
    assert client.post("/account/login/code", data={"code": "123456"}).status_code == 200
    code = _next_code(secret)
    assert client.post("/account/login/code", data={"code": code}).status_code == 302
    assert client.get("/account/").status_code == 200
    # A code is good once: the same code again, even within its 30 seconds, is refused.
    again = _client(app, "192.0.2.42")
    _password_step(again, officer.email)
    assert again.post("/account/login/code", data={"code": code}).status_code == 200
    assert again.get("/account/").status_code == 302


def test_recovery_codes_sign_in_once_each(app, session):
    officer = _officer(session, "officer.recovery@people.test")
    _secret, codes, _client_ = _turn_on(app, session, officer)
    first = _client(app, "192.0.2.43")
    _password_step(first, officer.email)
    resp = first.post("/account/login/code", data={"code": codes[0].upper().replace("-", " ")})
    assert resp.status_code == 302 and first.get("/account/").status_code == 200
    session.refresh(officer)
    assert len(officer.recovery_codes) == accounts.RECOVERY_CODES - 1
    second = _client(app, "192.0.2.44")
    _password_step(second, officer.email)
    assert second.post("/account/login/code", data={"code": codes[0]}).status_code == 200
    assert second.get("/account/").status_code == 302


def test_wrong_codes_send_back_to_the_password(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_MAX", 0.01)
    officer = _officer(session, "officer.tries@people.test")
    secret, _codes, _signed_in = _turn_on(app, session, officer)
    client = _client(app, "192.0.2.45")
    _password_step(client, officer.email)
    for _ in range(4):
        assert "f-code" in client.post("/account/login/code", data={"code": "000000"}).get_data(
            as_text=True
        )
    fifth = client.post("/account/login/code", data={"code": "000000"})
    assert 'id="f-password"' in fifth.get_data(as_text=True)  # the password form again
    # The pending step is gone: even the right code does not sign in now.
    resp = client.post("/account/login/code", data={"code": _next_code(secret)})
    assert resp.status_code == 302 and client.get("/account/").status_code == 302
    assert accounts.recent_failures(session, officer.email) >= 5


def test_turning_it_off_takes_the_password(app, session):
    officer = _officer(session, "officer.off@people.test")
    _secret, _codes, client = _turn_on(app, session, officer)
    assert (
        client.post("/account/two-factor/disable", data={"password": "wrong one!"}).status_code
        == 422
    )
    session.refresh(officer)
    assert officer.two_factor_enabled
    assert (
        client.post("/account/two-factor/disable", data={"password": PASSWORD}).status_code == 302
    )
    session.refresh(officer)
    assert not officer.two_factor_enabled and officer.recovery_codes == []
    assert _password_step(_client(app, "192.0.2.46"), officer.email).headers["Location"] == "/"


def test_firm_users_have_no_second_factor_pages(app, people):
    client = app.test_client()
    login(client, people.users["supplier"])
    assert client.get("/account/two-factor").status_code == 403


@pytest.fixture()
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_2FA_FOR_STAFF", True)


def test_staff_without_a_second_factor_are_sent_to_set_it_up(app, session, people, required):
    officer = _officer(session, "officer.required@people.test")
    client = _client(app, "192.0.2.47")
    resp = _password_step(client, officer.email)
    assert resp.headers["Location"].endswith("/account/two-factor")
    for path in ("/account/", "/dashboard/", "/firms/new"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/two-factor")
    assert client.get("/account/two-factor").status_code == 200
    # Their API tokens wait too; firm users are not concerned.
    _token, plain = accounts.issue_api_token(session, officer, "script")
    api = app.test_client()
    resp = api.get("/api/v1/introductions", headers={"Authorization": f"Bearer {plain}"})
    assert resp.status_code == 403
    firm_user = app.test_client()
    login(firm_user, people.users["buyer"])
    assert firm_user.get("/account/").status_code == 200
    # Once it is on, everything opens, and it cannot be turned off.
    secret, _codes, signed_in = _turn_on(app, session, officer)
    assert signed_in.get("/dashboard/").status_code == 200
    resp = signed_in.post("/account/two-factor/disable", data={"password": PASSWORD})
    assert resp.status_code == 302
    session.refresh(officer)
    assert officer.two_factor_enabled and secret


def test_an_admin_can_turn_off_a_lost_second_factor_from_the_command_line(
    app, session, smtp_server
):
    """Someone who lost both their phone and their recovery codes is not locked out for
    good: an administrator (who checked who they are) turns the second factor off; the
    sessions end, the owner is told by mail, and the password alone signs in again."""
    user = _officer(session, "lost.phone@people.test")
    _secret, _codes, client = _turn_on(app, session, user)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-two-factor", "Lost.Phone@people.test"])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert not user.two_factor_enabled and user.recovery_codes == []
    assert client.get("/account/").status_code == 302  # the session ended
    fresh = _client(app, "192.0.2.41")
    resp = _password_step(fresh, user.email)
    assert resp.status_code == 302 and "/account/login" not in resp.headers["Location"]
    told = [m for m in smtp_server.messages if m.startswith("To: lost.phone@people.test")]
    assert "Quản trị viên đã tắt đăng nhập hai bước" in told[-1], told  # the owner's language
    again = runner.invoke(args=["users", "reset-two-factor", "lost.phone@people.test"])
    assert again.exit_code != 0 and "no account with two-factor" in again.output
