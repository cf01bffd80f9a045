"""An event from the officer's and the firms' side, through the web pages, with the real
matcher, the real solver (as an eagerly run job), mail over SMTP, and the CLI solver."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

from catalog.models import Event, Firm, Meeting, Registration
from tests.factories import make_need, png_bytes

DAY = date.today() + timedelta(days=40)


def _create_event(officer) -> int:
    resp = officer.post(
        "/events/new",
        data={
            "name": "Ngày kết nối cung cầu linh kiện Vĩnh Phúc",
            "mode": "matchmaking",
            "province": "VP",
            "venue": "Trung tâm Hội nghị tỉnh",
            "starts_on": DAY.isoformat(),
            "day_start": "09:00",
            "day_end": "11:00",
            "breaks": "10:00-10:20",
            "meeting_minutes": "20",
            "tables": "4",
            "max_meetings": "4",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    event_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    assert officer.post(f"/events/{event_id}/status", data={"status": "open"}).status_code == 302
    return event_id


def test_an_event_from_registration_to_outcomes(app, session, people, client_as, smtp_server):
    officer, buyer, supplier = client_as("officer"), client_as("buyer"), client_as("supplier")
    event_id = _create_event(officer)
    event = session.get(Event, event_id)
    assert len(event.slots) == 5  # 09:00–11:00 in 20 minutes, less the break

    need = make_need(
        session,
        session.get(Firm, people.firms["buyer"]),
        title="Metal stamping of SPCC steel brackets",
        description="Stamped SPCC brackets, 0.8 mm, 20,000 pcs/month.",
        visibility="public",
    )
    page = buyer.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Slots you can attend" in page or "Khung giờ bạn có thể tham dự" in page
    r = buyer.post(
        f"/events/{event_id}/register",
        data={"available": ["0", "1", "2", "3", "4"], "needs": [str(need.id)]},
    )
    assert r.status_code == 302
    assert (
        supplier.post(f"/events/{event_id}/register", data={"available": ["1", "2"]}).status_code
        == 302
    )
    session.expire_all()
    regs = {
        r.firm_id: r
        for r in session.scalars(select(Registration).where(Registration.event_id == event_id))
    }
    b, s = regs[people.firms["buyer"]], regs[people.firms["supplier"]]
    assert s.available == [1, 2]

    # The buyer sees the supplier among those to meet, and asks for a meeting.
    page = buyer.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Nên gặp ai" in page and session.get(Firm, people.firms["supplier"]).display_name in page
    buyer.post(
        f"/events/{event_id}/requests",
        data={"receiver": str(s.id), "priority": "3", "message": "Xin gặp về giá đỡ dập"},
    )
    received = supplier.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Xin gặp về giá đỡ dập" in received
    req_id = int(received.split("/events/requests/")[1].split("/answer")[0])
    assert (
        supplier.post(f"/events/requests/{req_id}/answer", data={"decision": "accept"}).status_code
        == 302
    )

    # The officer schedules it with the solver (a job run eagerly here).
    assert officer.post(f"/events/{event_id}/solve", data={"time_limit": "5"}).status_code == 302
    session.expire_all()
    meeting = session.scalars(select(Meeting).where(Meeting.event_id == event_id)).one()
    assert meeting.slot in (1, 2)  # where the supplier can come
    event = session.get(Event, event_id)
    assert event.solver_report["status"] in ("optimal", "feasible")
    grid = officer.get(f"/events/{event_id}/schedule").get_data(as_text=True)
    assert f"M{meeting.id}" in grid

    # Outputs: the supplier's agenda as a calendar file, the master schedule.
    ics = Calendar.from_ical(supplier.get(f"/events/registrations/{s.id}/agenda.ics").data)
    entries = [c for c in ics.walk("VEVENT")]
    assert len(entries) == 1 and "Trung tâm Hội nghị tỉnh" in str(entries[0]["location"])
    book = load_workbook(io.BytesIO(officer.get(f"/events/{event_id}/schedule.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == meeting.slot + 1
    # In the reader's language, headings and values alike.
    officer.get("/lang/vi")
    book = load_workbook(io.BytesIO(officer.get(f"/events/{event_id}/schedule.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Khung giờ" and rows[1][8] == "Đã xếp lịch", rows
    assert book.active.title == "Lịch gặp"
    officer.get("/lang/en")
    book = load_workbook(io.BytesIO(officer.get(f"/events/{event_id}/schedule.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Slot" and rows[1][8] == "Planned", rows

    # After publication a hand move is checked and both sides are told.
    officer.post(f"/events/{event_id}/status", data={"status": "published"})
    other = 2 if meeting.slot == 1 else 1
    busy = officer.post(
        f"/events/meetings/{meeting.id}/move", data={"slot": "1", "table": "1", "action": "move"}
    )
    assert busy.status_code == 302
    session.expire_all()
    assert session.get(Meeting, meeting.id).slot != 0  # the supplier cannot come in slot 1
    officer.post(
        f"/events/meetings/{meeting.id}/move",
        data={"slot": str(other + 1), "table": "2", "action": "move"},
    )
    session.expire_all()
    moved = session.get(Meeting, meeting.id)
    assert (moved.slot, moved.table, moved.locked) == (other, 1, True)
    told = [m for m in smtp_server.messages if "bàn 2" in m or "table 2" in m]
    assert len(told) >= 2  # the buyer's and the supplier's users

    # On the day: check-in, then the outcome becomes a judgement.
    officer.post(f"/events/registrations/{b.id}/attendance", data={"present": "1"})
    officer.post(f"/events/meetings/{meeting.id}/outcome", data={"outcome": "sample_order"})
    session.expire_all()
    assert session.get(Meeting, meeting.id).outcome.value == "sample_order"
    assert session.get(Registration, b.id).checked_in_at is not None


def test_drafts_are_only_for_organisers_and_registration_rules_hold(session, client_as):
    officer = client_as("officer")
    resp = officer.post(
        "/events/new",
        data={
            "name": "Triển lãm ngược linh kiện điện tử",
            "mode": "reverse",
            "province": "VP",
            "starts_on": DAY.isoformat(),
            "day_start": "09:00",
            "day_end": "10:00",
            "meeting_minutes": "30",
            "tables": "2",
            "provinces": ["BN"],
        },
    )
    event_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    assert client_as("anonymous").get(f"/events/{event_id}").status_code in (302, 403)
    assert client_as("buyer").get(f"/events/{event_id}").status_code == 403
    officer.post(f"/events/{event_id}/status", data={"status": "open"})
    # The supplier is in Vĩnh Phúc; the event is for Bắc Ninh firms.
    supplier = client_as("supplier")
    resp = supplier.post(f"/events/{event_id}/register", data={})
    assert resp.status_code == 302
    flashed = supplier.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Sự kiện này dành cho doanh nghiệp các tỉnh khác." in flashed
    assert session.scalar(select(Registration).where(Registration.event_id == event_id)) is None


def test_bad_event_forms_say_what_is_wrong(client_as):
    resp = client_as("officer").post(
        "/events/new",
        data={
            "name": "",
            "mode": "matchmaking",
            "province": "VP",
            "starts_on": "31/12/2026",
            "day_start": "9h",
            "day_end": "17:00",
            "meeting_minutes": "20",
            "tables": "-1",
        },
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Trường này là bắt buộc." in page or "bắt buộc" in page
    assert "Phải là giờ viết dạng HH:MM." in page


def test_the_solver_command_solves_an_instance_file(app, tmp_path):
    instance = {
        "slots": 3,
        "tables": 1,
        "participants": [{"id": "B1"}, {"id": "S1", "available": [2]}, {"id": "S2"}],
        "meetings": [
            {"id": "M1", "a": "B1", "b": "S1", "weight": 2.0},
            {"id": "M2", "a": "B1", "b": "S2", "weight": 1.5, "pinned": {"slot": 0, "table": 0}},
        ],
    }
    path, out = tmp_path / "instance.json", tmp_path / "schedule.json"
    path.write_text(json.dumps(instance))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["events", "solve", str(path), "--out", str(out), "--time-limit", "5"]
    )
    assert result.exit_code == 0, result.output
    schedule = json.loads(out.read_text())
    assert schedule["status"] == "optimal" and schedule["objective"] == 3.5
    assert {(a["meeting"], a["slot"]) for a in schedule["assignments"]} == {("M1", 2), ("M2", 0)}
    instance["meetings"][0]["b"] = "S9"
    path.write_text(json.dumps(instance))
    result = runner.invoke(args=["events", "solve", str(path), "--out", str(out)])
    assert result.exit_code != 0 and "S9" in result.output


def test_unanswered_requests_are_recalled_and_agendas_print_as_pdf(
    session, people, client_as, smtp_server
):
    from catalog import events as service
    from catalog.models import EventStatus, MeetingRequest, utcnow
    from jobs.notices import remind_unanswered_requests

    vp = session.get(Firm, people.firms["buyer"]).province
    event = service.create_event(
        session,
        {
            "name": "Ngày gặp nhắc việc",
            "mode": "matchmaking",
            "starts_on": DAY.isoformat(),
            "day_start": "09:00",
            "day_end": "10:00",
            "meeting_minutes": "30",
            "tables": "2",
        },
        vp,
        None,
    )
    service.set_status(session, event, EventStatus.OPEN)
    b = service.register(session, event, session.get(Firm, people.firms["buyer"]))
    s = service.register(session, event, session.get(Firm, people.firms["supplier"]))
    req = service.request_meeting(session, b, s, priority=2)
    # The request itself is notified at once (jobs.notifications); reminders come later.
    asked = [m for m in smtp_server.messages if "đề nghị gặp bạn tại Ngày gặp nhắc việc\n" in m]
    assert len(asked) == 1 and "supplier@people.test" in asked[0].split("\n")[0]
    remind_unanswered_requests.apply().get()
    reminder = "Ngày gặp nhắc việc. Hãy nhận lời"
    assert not [m for m in smtp_server.messages if reminder in m]  # too recent
    req = session.get(MeetingRequest, req.id)
    req.created_at = utcnow() - timedelta(days=3)
    session.commit()
    remind_unanswered_requests.apply().get()
    recalled = [m for m in smtp_server.messages if reminder in m]
    assert len(recalled) == 1 and "supplier@people.test" in recalled[0].split("\n")[0]
    remind_unanswered_requests.apply().get()  # not again so soon
    assert len([m for m in smtp_server.messages if reminder in m]) == 1

    meeting = service.answer_request(session, req, accept=True)
    service.move_meeting(session, event, meeting, 1, 0)
    pdf = client_as("supplier").get(f"/events/registrations/{s.id}/agenda.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_buyers_show_photos_of_the_parts_they_display(session, people, client_as):
    from catalog import events as service
    from catalog.models import EventStatus, NeedPhoto

    buyer = client_as("buyer")
    need = make_need(
        session,
        session.get(Firm, people.firms["buyer"]),
        title="Vỏ nhôm đúc áp lực cho bộ điều khiển",
        visibility="public",
    )
    png = png_bytes()
    refused = buyer.post(
        f"/needs/{need.id}/photos",
        data={"photos": [(io.BytesIO(b"%PDF-1.4 not an image"), "vo-nhom.jpg")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "vo-nhom.jpg không phải ảnh JPEG, PNG hay WebP." in refused.get_data(as_text=True)
    assert session.scalars(select(NeedPhoto).where(NeedPhoto.need_id == need.id)).all() == []
    buyer.post(
        f"/needs/{need.id}/photos",
        data={"photos": [(io.BytesIO(png), "vo-nhom.png")]},
        content_type="multipart/form-data",
    )
    photo = session.scalars(select(NeedPhoto).where(NeedPhoto.need_id == need.id)).one()
    image = client_as("supplier").get(f"/needs/photos/{photo.id}")
    assert image.data == png and image.headers["Content-Type"] == "image/png"

    vp = session.get(Firm, people.firms["buyer"]).province
    event = service.create_event(
        session,
        {
            "name": "Triển lãm ngược thử ảnh",
            "mode": "reverse",
            "starts_on": DAY.isoformat(),
            "day_start": "09:00",
            "day_end": "11:00",
            "meeting_minutes": "30",
            "tables": "4",
        },
        vp,
        None,
    )
    service.set_status(session, event, EventStatus.OPEN)
    service.register(session, event, session.get(Firm, people.firms["buyer"]), needs=[need])
    page = client_as("supplier").get(f"/events/{event.id}").get_data(as_text=True)
    assert "Linh kiện trưng bày" in page and f"/needs/photos/{photo.id}" in page
