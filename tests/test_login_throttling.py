"""Sign-in throttling: attackers are slowed down, the owner of an
account is never locked out, spraying from one client address is limited, and nothing
tells which addresses have accounts.

Every test signs in from addresses of its own (documentation ranges), so the
per-address allowances of other tests are untouched. Waits are observed by the sleep
function handed to ``catalog.accounts`` (never timed); pages use a tiny
``LOGIN_DELAY_MAX`` so that the real waits stay short.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from catalog import accounts
from catalog.models import AuditEntry, Province, UserRole, utcnow
from catalog.models.accounts import SignInFailure
from tests.conftest import PASSWORD, login
from webapp.extensions import apply_proxy_fix, proxy_hops

THROTTLE = accounts.Throttle(free=3, base=1.0, cap=4.0)


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, email: str, password: str, **kwargs):
    return client.post("/account/login", data={"email": email, "password": password}, **kwargs)


def _answer(response) -> tuple[int, str]:
    """What a failed sign-in shows: its status and its message."""
    found = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return response.status_code, found.group(1) if found else ""


@pytest.fixture()
def short_waits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_DELAY_MAX", 0.01)


def test_the_owner_signs_in_with_the_right_password_after_an_attackers_failures(
    app, session, short_waits
):
    owner = accounts.create_user(
        session, "owner.throttle@people.test", PASSWORD, role=UserRole.ADMIN
    )
    attacker = _client(app, "198.51.100.10")
    for attempt in range(9):
        assert _sign_in(attacker, owner.email, f"guess number {attempt}").status_code == 200
    # The owner, elsewhere, with the right password: in at once (after a short wait).
    browser = _client(app, "203.0.113.20")
    resp = _sign_in(browser, owner.email, PASSWORD)
    assert resp.status_code == 302
    assert browser.get("/account/").status_code == 200
    # A complete sign-in forgets the failures.
    assert accounts.recent_failures(session, owner.email) == 0


def test_each_attempt_waits_a_capped_delay_that_grows_with_failures(session):
    user = accounts.create_user(session, "delays@people.test", PASSWORD, role=UserRole.ADMIN)
    waits: list[float] = []
    for attempt in range(8):
        found = accounts.authenticate(
            session, user.email, f"wrong {attempt}", THROTTLE, sleep=waits.append
        )
        assert found is None
    # Three free failures, then 1 s doubling per failure up to the 4 s cap.
    assert waits == [1.0, 2.0, 4.0, 4.0, 4.0]
    # The right password is never refused: it waits its turn and signs in.
    found = accounts.authenticate(session, user.email, PASSWORD, THROTTLE, sleep=waits.append)
    assert found is not None and found.id == user.id and waits[-1] == 4.0
    accounts.record_sign_in(session, found)
    waits.clear()
    accounts.authenticate(session, user.email, "one typo", THROTTLE, sleep=waits.append)
    assert waits == []


def test_failures_are_forgotten_after_the_window(session):
    """One wrong try after the window does not bring the wait back."""
    user = accounts.create_user(session, "window@people.test", PASSWORD, role=UserRole.ADMIN)
    for attempt in range(6):
        accounts.authenticate(session, user.email, f"wrong {attempt}", THROTTLE, sleep=lambda s: 0)
    session.execute(
        update(SignInFailure).values(last_at=utcnow() - THROTTLE.window - timedelta(seconds=1))
    )
    session.commit()
    waits: list[float] = []
    assert accounts.authenticate(session, user.email, "late typo", THROTTLE, waits.append) is None
    assert waits == [] and accounts.recent_failures(session, user.email, THROTTLE) == 1
    assert accounts.authenticate(session, user.email, PASSWORD, THROTTLE, waits.append) is not None
    assert waits == []


def test_unknown_and_known_addresses_get_the_same_answer_and_the_same_waits(
    app, session, short_waits
):
    known = accounts.create_user(session, "known.same@people.test", PASSWORD, role=UserRole.ADMIN)
    answers = {}
    for n, email in enumerate((known.email, "nobody.same@people.test")):
        client = _client(app, f"198.51.100.{30 + n}")
        answers[email] = [
            _answer(_sign_in(client, email, f"guess {attempt}")) for attempt in range(8)
        ]
    assert answers[known.email] == answers["nobody.same@people.test"]
    assert {status for status, _msg in answers[known.email]} == {200}
    assert len({message for _status, message in answers[known.email]}) == 1
    # The same waits too, whether the address has an account, has no password yet
    # (an invitation not followed) or is deactivated.
    invited = accounts.create_user(session, "invited.same@people.test", None, role=UserRole.ADMIN)
    gone = accounts.create_user(session, "gone.same@people.test", PASSWORD, role=UserRole.ADMIN)
    gone.active = False
    session.commit()
    waits: dict[str, list[float]] = {}
    for email in ("known2.same@people.test", "nobody2.same@people.test", invited.email, gone.email):
        if email.startswith("known2"):
            accounts.create_user(session, email, PASSWORD, role=UserRole.ADMIN)
        waits[email] = []
        for attempt in range(7):
            accounts.authenticate(session, email, f"guess {attempt}", THROTTLE, waits[email].append)
    assert len({tuple(w) for w in waits.values()}) == 1 and waits[gone.email]
    # A deactivated account's right password is a failure like any other.
    assert accounts.authenticate(session, gone.email, PASSWORD, THROTTLE, lambda s: 0) is None


def test_spraying_many_addresses_from_one_client_is_limited(app, session):
    limit = 10  # LOGIN_RATE_LIMIT: 10 per minute
    sprayer = _client(app, "198.51.100.77")
    statuses = [
        _sign_in(sprayer, f"victim{n}.spray@people.test", "Summer2026!!").status_code
        for n in range(limit + 2)
    ]
    assert statuses == [200] * limit + [429, 429]
    # Other clients are not held back by it, not even for the same addresses.
    assert (
        _sign_in(_client(app, "203.0.113.77"), "victim0.spray@people.test", "x").status_code == 200
    )
    # One alert for the address, however long the spraying goes on.
    alerts = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "sign_in_rate_limited", AuditEntry.actor_label == "198.51.100.77"
        )
    ).all()
    assert len(alerts) == 1 and alerts[0].province_id is None


def test_only_failures_use_up_a_clients_allowance(app, session):
    """An office behind one address signs in all morning: successes do not count."""
    user = accounts.create_user(session, "office@people.test", PASSWORD, role=UserRole.ADMIN)
    for _ in range(15):
        assert _sign_in(_client(app, "198.51.100.88"), user.email, PASSWORD).status_code == 302


def test_throttled_accounts_are_alerted_to_their_provinces_officers(app, session, short_waits):
    bg = session.scalar(select(Province).where(Province.code == "BN"))  # with former Bắc Giang
    officer = accounts.create_user(
        session, "alert.throttle@people.test", PASSWORD, role=UserRole.OFFICER, provinces=[bg]
    )
    attacker = _client(app, "198.51.100.99")
    free = 5  # failures before sign-in slows down (catalog.accounts.Throttle)
    for attempt in range(free):
        _sign_in(attacker, officer.email, f"guess {attempt}")
    (entry,) = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "sign_in_throttled", AuditEntry.province_id == bg.id
        )
    ).all()
    assert officer.email in entry.summary and entry.actor_label == "198.51.100.99"
    assert entry.changes["failures"] == free == accounts.DEFAULT_THROTTLE.free
    # The province's officer reads it in Vietnamese, every detail labelled.
    reader = app.test_client()
    login(reader, officer.id)
    reader.get("/lang/vi")
    page = reader.get("/admin/audit?entity=alert").get_data(as_text=True)
    assert "Số lần thử sai</b>: 5" in page and "Kết nối từ</b>: 198.51.100.99" in page
    assert "failures" not in page and "account</b>" not in page


def test_the_client_address_comes_from_trusted_proxies_only(app, monkeypatch, short_waits):
    # No proxy declared: X-Forwarded-For is the client's own writing and changes nothing.
    spoofer = _client(app, "198.51.100.120")
    statuses = [
        _sign_in(
            spoofer, "spoof@people.test", "x", headers={"X-Forwarded-For": f"192.0.2.{n}"}
        ).status_code
        for n in range(11)
    ]
    assert statuses[-1] == 429
    # One trusted proxy (KETNOI_PROXY_FIX=1): the address it saw is the client's.
    monkeypatch.setitem(app.config, "PROXY_FIX", "1")
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    apply_proxy_fix(app)
    proxy = _client(app, "127.0.0.9")
    through = [
        _sign_in(proxy, "proxied@people.test", "x", headers={"X-Forwarded-For": "192.0.2.50"})
        for _ in range(11)
    ]
    assert [r.status_code for r in through] == [200] * 10 + [429]
    other = _sign_in(proxy, "proxied@people.test", "x", headers={"X-Forwarded-For": "192.0.2.51"})
    assert other.status_code == 200


def test_proxy_fix_setting(monkeypatch, tmp_path):
    from webapp.config import load_config

    assert [proxy_hops(v) for v in (None, "", "0", "false", "1", "true", "2")] == [
        0,
        0,
        0,
        0,
        1,
        1,
        2,
    ]
    monkeypatch.delenv("KETNOI_PROXY_FIX", raising=False)
    assert proxy_hops(load_config({"DATA_DIR": str(tmp_path)})["PROXY_FIX"]) == 0
    monkeypatch.setenv("KETNOI_PROXY_FIX", "2")
    assert proxy_hops(load_config({"DATA_DIR": str(tmp_path)})["PROXY_FIX"]) == 2
