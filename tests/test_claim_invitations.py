"""An officer invites a firm's contact to claim its profile: a signed, expiring,
single-use link makes the invitee the firm's user; forged, expired and reused links
open nothing."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalog import services
from catalog.models import (
    AuditEntry,
    ClaimInvitation,
    Firm,
    Introduction,
    Notification,
    User,
    utcnow,
)
from catalog.notifications import invitations
from jobs.sync import index_sync_paused
from tests.conftest import PASSWORD
from tests.factories import make_surveyed_firm
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _imported_firm(session, tag: str) -> Firm:
    return make_surveyed_firm(session, f"Nhựa Được Mời {tag}", "Chị Lan", f"lan.{tag}@survey.test")


def _link(smtp_server, email: str) -> str:
    mail = [m for m in smtp_server.messages if m.startswith(f"To: {email}")][-1]
    return re.search(r"https?://\S+/claim/(\S+)", mail).group(1)


def test_an_invited_contact_claims_the_firm_once(app, session, people, client_as, smtp_server):
    tag = uuid.uuid4().hex[:6]
    firm = _imported_firm(session, tag)
    with index_sync_paused(session):
        need = services.create_need(
            session,
            session.get(Firm, people.firms["buyer"]),
            {"title": f"Vỏ nhựa PP {tag}", "visibility": "public"},
        )
    client_as("buyer").post(f"/needs/{need.id}/introductions", data={"firm_id": firm.id})
    intro = session.scalar(select(Introduction).where(Introduction.need_id == need.id))

    # Only the province's officers (and admins) invite.
    for role in ("other_officer", "buyer", "supplier"):
        assert client_as(role).get(f"/firms/{firm.id}/claim-invitation").status_code == 403
        refused = client_as(role).post(
            f"/firms/{firm.id}/claim-invitation", data={"email": f"x.{tag}@survey.test"}
        )
        assert refused.status_code == 403
    officer = client_as("officer")
    form = officer.get(f"/firms/{firm.id}/claim-invitation?intro={intro.id}")
    assert f"lan.{tag}@survey.test" in form.get_data(as_text=True)  # the survey's e-mail

    # The officer corrects the address and sends it with the request attached.
    email = f"lan.giamdoc.{tag}@survey.test"
    sent = officer.post(
        f"/firms/{firm.id}/claim-invitation",
        data={"email": email, "intro": intro.id, "locale": "vi"},
    )
    assert sent.status_code == 302
    invitation = session.scalar(select(ClaimInvitation).where(ClaimInvitation.email == email))
    assert invitation.introduction_id == intro.id and invitation.used_at is None
    assert invitation.created_by_id == people.users["officer"]
    mail = [m for m in smtp_server.messages if m.startswith(f"To: {email}")][-1]
    assert f"{app.config['PUBLIC_URL']}/claim/" in mail
    assert "Test Assembly Vietnam" in mail and f"Vỏ nhựa PP {tag}" in mail  # a public need
    assert "14 ngày" in mail
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "claim_invitation", AuditEntry.entity_id == invitation.id
        )
    )
    assert entry.actor_id == people.users["officer"] and "nonce" not in entry.changes

    token = _link(smtp_server, email)
    invitee = app.test_client()
    page = invitee.get(f"/claim/{token}")
    assert page.status_code == 200 and firm.display_name in page.get_data(as_text=True)
    mismatch = invitee.post(
        f"/claim/{token}",
        data={"password": PASSWORD, "password2": "other password!", "locale": "en"},
    )
    assert mismatch.status_code == 422
    done = invitee.post(
        f"/claim/{token}",
        data={
            "name": "Nguyễn Thị Lan",
            "password": PASSWORD,
            "password2": PASSWORD,
            "locale": "en",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/firms/{firm.id}/edit")
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    assert (user.firm_id, user.locale, user.name) == (firm.id, "en", "Nguyễn Thị Lan")
    assert session.get(ClaimInvitation, invitation.id).used_at is not None
    # Signed in, the new user edits the firm and answers the attached request.
    assert invitee.get(f"/firms/{firm.id}/edit").status_code == 200
    assert session.scalar(
        select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "introduction.requested"
        )
    )
    assert invitee.post(f"/introductions/{intro.id}/accept").status_code == 302
    # The officer who invited is told.
    assert session.scalar(
        select(Notification).where(
            Notification.user_id == people.users["officer"],
            Notification.kind == "invitation.accepted",
            Notification.params["email"].as_string() == email,
        )
    )

    # Used once: the same link opens nothing.
    assert app.test_client().get(f"/claim/{token}").status_code == 410
    again = app.test_client().post(
        f"/claim/{token}",
        data={"password": PASSWORD, "password2": PASSWORD, "locale": "vi"},
    )
    assert again.status_code == 410


def test_forged_and_expired_links_open_nothing(app, session, people, client_as):
    tag = uuid.uuid4().hex[:6]
    firm = _imported_firm(session, tag)
    officer = session.get(User, people.users["officer"])
    invitation = invitations.invite(session, firm, officer, f"a.{tag}@survey.test")
    key = app.config["SECRET_KEY"]
    good = invitations.token(invitation, key)
    assert invitations.invitation_for_token(session, good, key).id == invitation.id
    client = app.test_client()
    # Forged: another key, a changed signature, a made-up nonce.
    forged = invitations.token(invitation, "not the secret key")
    assert client.get(f"/claim/{forged}").status_code == 410
    assert client.get(f"/claim/{good[:-2]}xx").status_code == 410
    serializer = invitations._serializer(key)
    guessed = serializer.dumps({"inv": invitation.id, "n": "0" * 32})
    assert client.get(f"/claim/{guessed}").status_code == 410
    # Expired: past its date, and by the signature's age.
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert client.get(f"/claim/{good}").status_code == 410
    assert invitations.invitation_for_token(session, good, key, days=-1) is None
    assert session.scalar(select(User).where(User.email == f"a.{tag}@survey.test")) is None


def test_a_firm_with_a_user_needs_the_officers_confirmation(
    app, session, people, client_as, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    officer = client_as("officer")
    supplier_firm = people.firms["supplier"]
    refused = officer.post(
        f"/firms/{supplier_firm}/claim-invitation", data={"email": f"b.{tag}@survey.test"}
    )
    assert refused.status_code == 422
    assert (
        session.scalar(
            select(ClaimInvitation).where(ClaimInvitation.email == f"b.{tag}@survey.test")
        )
        is None
    )
    confirmed = officer.post(
        f"/firms/{supplier_firm}/claim-invitation",
        data={"email": f"b.{tag}@survey.test", "despite_users": "1"},
    )
    assert confirmed.status_code == 302

    # An invitation to a firm that gained a user since is refused without confirmation.
    firm = _imported_firm(session, tag)
    invitation = invitations.invite(
        session, firm, session.get(User, people.users["officer"]), f"c.{tag}@survey.test"
    )
    token = invitations.token(invitation, app.config["SECRET_KEY"])
    from catalog import accounts

    accounts.create_user(session, f"owner.{tag}@survey.test", PASSWORD, firm=firm)
    answer = app.test_client().post(
        f"/claim/{token}", data={"password": PASSWORD, "password2": PASSWORD, "locale": "vi"}
    )
    assert answer.status_code == 422
    assert session.scalar(select(User).where(User.email == f"c.{tag}@survey.test")) is None
