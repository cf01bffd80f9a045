"""Every request reaches someone: in-app notifications with unread counts, mails in the
recipient's language (at once or in a daily digest), nobody reading another's, and a
need the reader may not read never named."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from catalog import events, notifications, services
from catalog.models import EventStatus, Firm, Need, Notification, User
from jobs.notifications import send_notification_digest
from jobs.sync import index_sync_paused
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _clean_session(app):
    yield
    with app.app_context():
        db.session.remove()


def _need(session, people, title: str, visibility: str = "public") -> Need:
    with index_sync_paused(session):
        buyer = session.get(Firm, people.firms["buyer"])
        return services.create_need(session, buyer, {"title": title, "visibility": visibility})


def _notes(session, user_id: int, kind: str | None = None) -> list[Notification]:
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user_id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def _set(session, user_id: int, **values) -> None:
    user = session.get(User, user_id)
    for key, value in values.items():
        setattr(user, key, value)
    session.commit()


def test_an_introduction_request_and_its_answer_reach_the_people_concerned(
    app, session, people, client_as, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    need = _need(session, people, f"Vỏ hộp nhựa ABS {tag}")
    buyer = client_as("buyer")
    supplier = client_as("supplier")
    _set(session, people.users["supplier"], locale="en", mail_mode="immediate")
    _set(session, people.users["buyer"], locale="vi", mail_mode="immediate")
    before_other = len(_notes(session, people.users["other_supplier"]))

    response = buyer.post(
        f"/needs/{need.id}/introductions", data={"firm_id": people.firms["supplier"]}
    )
    assert response.status_code == 302
    (note,) = [
        n
        for n in _notes(session, people.users["supplier"], "introduction.requested")
        if n.params.get("need_id") == need.id
    ]
    # Stored as a kind and ids, not as rendered text.
    assert note.params["buyer_id"] == people.firms["buyer"] and note.read_at is None
    assert note.mailed_at is not None
    # Mailed at once, in the supplier's language, with a link on the public address.
    mail = next(m for m in smtp_server.messages if m.startswith("To: supplier@people.test"))
    assert "asks to be introduced to your firm" in mail and tag in mail
    assert f"{app.config['PUBLIC_URL']}/introductions/#intro-{note.subject_id}" in mail
    # Nobody else is told; nobody else opens it.
    assert len(_notes(session, people.users["other_supplier"])) == before_other
    for role in ("other_supplier", "buyer", "officer", "admin"):
        assert client_as(role).get(f"/notifications/{note.id}").status_code == 403
        assert client_as(role).post(f"/notifications/{note.id}/read").status_code == 403
        page = client_as(role).get("/notifications/").get_data(as_text=True)
        assert f"notification-{note.id}" not in page
    assert session.get(Notification, note.id).read_at is None

    # The header counts it on every page; the list shows it, newest first.
    home = supplier.get("/suppliers/").get_data(as_text=True)
    assert 'id="unread-count"' in home
    page = supplier.get("/notifications/").get_data(as_text=True)
    assert f"notification-{note.id}" in page and tag in page
    opened = supplier.get(f"/notifications/{note.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(
        f"/introductions/#intro-{note.subject_id}"
    )
    assert session.get(Notification, note.id).read_at is not None

    # The supplier accepts: the buyer is told (in Vietnamese) and sees the contact
    # where they work, on the introductions list and on the need page.
    accepted = supplier.post(f"/introductions/{note.subject_id}/accept")
    assert accepted.status_code == 302
    (told,) = [
        n
        for n in _notes(session, people.users["buyer"], "introduction.accepted")
        if n.subject_id == note.subject_id
    ]
    mail = next(m for m in smtp_server.messages if m.startswith("To: buyer@people.test"))
    assert "đã chấp nhận đề nghị giới thiệu" in mail and f"/needs/{need.id}" in mail
    intro_page = buyer.get("/introductions/").get_data(as_text=True)
    assert "supplier@firm.test" in intro_page
    need_page = buyer.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "supplier@firm.test" in need_page
    # Not to someone who is no side of it.
    assert "supplier@firm.test" not in client_as("other_supplier").get("/introductions/").get_data(
        as_text=True
    )

    # Mark all read empties the count.
    assert buyer.post("/notifications/read").status_code == 302
    assert notifications.unread_count(session, session.get(User, people.users["buyer"])) == 0
    assert session.get(Notification, told.id).read_at is not None


def test_a_need_the_reader_may_no_longer_read_is_not_named(app, session, people, client_as):
    tag = uuid.uuid4().hex[:6]
    secret = f"Bản vẽ mật {tag}"
    need = _need(session, people, secret, visibility="officers")
    reader = session.get(User, people.users["other_supplier"])
    (note,) = notifications.notify(
        session,
        [reader],
        notifications.INTRODUCTION_ACCEPTED,
        None,
        {"need_id": need.id, "supplier_id": people.firms["supplier"]},
        mailed=True,
    )
    session.commit()
    page = client_as("other_supplier").get("/notifications/").get_data(as_text=True)
    assert f"notification-{note.id}" in page
    assert secret not in page and str(need.id) not in page.split(f"notification-{note.id}")[1][:400]
    assert "nhu cầu mà bạn không có quyền xem" in page
    # The buyer, who may read it, sees its title in the same kind of notification.
    mine = notifications.notify(
        session,
        [session.get(User, people.users["buyer"])],
        notifications.INTRODUCTION_ACCEPTED,
        None,
        {"need_id": need.id, "supplier_id": people.firms["supplier"]},
        mailed=True,
    )
    session.commit()
    assert secret in notifications.render(session, mine[0]).lines[0]


def test_meeting_requests_and_answers_are_notified(app, session, people):
    vp = session.get(Firm, people.firms["buyer"]).province
    event = events.create_event(
        session,
        {
            "name": f"Ngày kết nối thông báo {uuid.uuid4().hex[:4]}",
            "mode": "matchmaking",
            "starts_on": "2027-05-04",
            "day_start": "09:00",
            "day_end": "10:00",
            "meeting_minutes": "30",
            "tables": "2",
        },
        vp,
        None,
    )
    events.set_status(session, event, EventStatus.OPEN)
    b = events.register(session, event, session.get(Firm, people.firms["buyer"]))
    s = events.register(session, event, session.get(Firm, people.firms["supplier"]))
    req = events.request_meeting(session, b, s, priority=2)
    asked = [n for n in _notes(session, people.users["supplier"], "meeting.requested")]
    assert any(n.subject_id == req.id and n.params["event_id"] == event.id for n in asked)
    events.answer_request(session, req, accept=False)
    declined = _notes(session, people.users["buyer"], "meeting.declined")
    assert any(n.subject_id == req.id for n in declined)
    shown = notifications.render(session, declined[-1])
    assert event.name in shown.title and shown.endpoint == "events.show"


def test_a_digest_reader_gets_one_mail_a_day_and_never_twice(
    app, session, people, client_as, smtp_server
):
    client = client_as("other_supplier")
    assert client.post("/account/notifications", data={"mail_mode": "bogus"}).status_code in (
        302,
        422,
    )
    assert session.get(User, people.users["other_supplier"]).mail_mode == "immediate"
    assert client.post("/account/notifications", data={"mail_mode": "digest"}).status_code == 302
    session.expire_all()
    user = session.get(User, people.users["other_supplier"])
    assert user.mail_mode == "digest"
    user.locale = "vi"
    session.commit()
    send_notification_digest.apply().get()  # whatever was pending before this test
    smtp_server.messages.clear()
    notifications.import_finished(
        session, user.id, "digest-job-1", {"rows_read": 12, "created": 9, "rejected": 3}
    )
    notifications.import_finished(session, user.id, "digest-job-2", {"rows_read": 4})
    # Not mailed at once: the digest takes them.
    assert not [m for m in smtp_server.messages if "other.supplier@people.test" in m]
    assert send_notification_digest.apply().get() == 1
    (mail,) = [m for m in smtp_server.messages if m.startswith("To: other.supplier@people.test")]
    assert mail.count("Việc nhập tệp khảo sát của bạn đã xong") == 2
    assert "Đã đọc 12 dòng: 9 doanh nghiệp mới" in mail
    assert f"{app.config['PUBLIC_URL']}/imports/jobs/digest-job-1" in mail
    assert send_notification_digest.apply().get() == 0
    assert len([m for m in smtp_server.messages if "other.supplier@people.test" in m]) == 1
    # Still unread in the list until opened.
    assert all(n.read_at is None for n in _notes(session, user.id, "import.finished")[-2:])
    user.mail_mode = "immediate"
    session.commit()
