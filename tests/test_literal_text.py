"""Stored text is literal text in every file, and text no file can carry is never stored.

A firm named with dollars ("Cơ khí $x^2$") is an ordinary name: matplotlib must not
read it as mathtext in an agenda or a report PDF, and the spreadsheets, CSV and calendar
files carry it as written. Control, NUL, bidirectional-override characters, noncharacters
and unpaired surrogates are refused wherever text enters (validators, API, forms,
imports), and rows stored before that rule (written here with SQL) still render in every
format, without those characters.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import update

from catalog import accounts, services
from catalog import events as service
from catalog.dashboard import Period
from catalog.imports import import_table, read_table
from catalog.introductions import request_introduction
from catalog.models import EventStatus, Firm, Introduction, Need
from catalog.schemas import (
    validate_capability,
    validate_certification,
    validate_firm,
    validate_need,
)
from catalog.validation import ValidationError
from documents import report as reports
from jobs.i18n import document_language
from jobs.runtime import runtime
from tests.conftest import PASSWORD, fresh_tax_code, login
from tests.factories import make_need, pdf_text
from tests.test_dashboard import firm, new_province
from tests.test_reports import HEAT_SINK_NEED

DAY = date.today() + timedelta(days=30)
# Every "$…$" a mathtext parser would typeset (or fail on: \foo is no TeX command).
MATH = ("$x^2$", "$\\frac{a}{b}$", "$\\foo$", "$\\sqrt{2}$")
# What no stored text may hold; a name with any of them is refused.
REFUSED = ("\x00", "\x1b", "\x07", "\x7f", "\x9b", "\u202e", "\u2066", "\ufffe", "\ud800")


@pytest.fixture()
def scene(app, session):
    """A buyer and a supplier named with dollars, in a province of their own, who meet at
    an event about the buyer's open need (which no local supplier can make: a gap)."""
    tag = uuid.uuid4().hex[:6]
    province = new_province(session)
    buyer = firm(session, province, role="buyer", name_vi=f"Cơ khí $x^2$ $\\frac{{a}}{{b}}$ {tag}")
    supplier = firm(session, province, name_vi=f"Cơ khí $\\foo$ giá $5 {tag}")
    need = make_need(
        session,
        buyer,
        **{**HEAT_SINK_NEED, "title": f"Tản nhiệt $\\sqrt{{2}}$ {tag}", "visibility": "public"},
    )
    event = service.create_event(
        session,
        {
            "name": f"Ngày gặp {tag}",
            "mode": "matchmaking",
            "venue": "Hội trường A, tầng 2; phòng 3",
            "starts_on": DAY.isoformat(),
            "day_start": "09:00",
            "day_end": "10:00",
            "meeting_minutes": "30",
            "tables": "2",
        },
        province,
        None,
    )
    service.set_status(session, event, EventStatus.OPEN)
    b = service.register(session, event, buyer, needs=[need])
    s = service.register(session, event, supplier)
    req = service.request_meeting(session, b, s, priority=3, need=need)
    meeting = service.answer_request(session, req, accept=True)
    service.move_meeting(session, event, meeting, 0, 0)
    user = accounts.create_user(session, f"literal-{tag}@firm.test", PASSWORD, firm=supplier)
    client = app.test_client()
    login(client, user.id)
    return SimpleNamespace(
        province=province,
        buyer=buyer,
        supplier=supplier,
        need=need,
        registration=s,
        client=client,
        ids=(buyer.id, supplier.id, need.id),
    )


def _outputs(scene, session) -> dict:
    """Every file the scene's text appears in, as the service produces it."""
    client, reg = scene.client, scene.registration
    agenda = client.get(f"/events/registrations/{reg.id}/agenda.pdf")
    ics = client.get(f"/events/registrations/{reg.id}/agenda.ics")
    xlsx = client.get(f"/needs/export.xlsx?buyer={scene.buyer.id}")
    csv_ = client.get(f"/needs/export.csv?buyer={scene.buyer.id}")
    for response in (agenda, ics, xlsx, csv_):
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with document_language("vi") as t:
        report = reports.build_report(
            session, runtime().engine, scene.province.code, Period.current(), t
        )
        needs_sheet = t("Open needs")
    return {
        "agenda": agenda.data,
        "ics": Calendar.from_ical(ics.data),
        "needs_xlsx": list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True)),
        "needs_csv": list(csv.reader(io.StringIO(csv_.data.decode("utf-8-sig")))),
        "report_xlsx": list(
            load_workbook(io.BytesIO(report["xlsx"]))[needs_sheet].iter_rows(values_only=True)
        ),
        "report_pdf": report["pdf"],
    }


def test_dollars_in_names_are_literal_text_in_every_file(session, scene):
    out = _outputs(scene, session)
    buyer, supplier, need = scene.buyer.name_vi, scene.supplier.name_vi, scene.need.title

    # The agenda PDF: the supplier's own name in the title, whom and what in the row.
    # (Table cells wrap at spaces: each "$…$" is a word, found whole.)
    agenda = pdf_text(out["agenda"])
    for token in MATH:
        assert token in agenda, (token, agenda)
    assert supplier in agenda

    entry = next(iter(out["ics"].walk("VEVENT")))
    assert str(entry["summary"]).startswith(f"{buyer} · ")
    assert str(entry["description"]) == need
    assert str(entry["location"]) == "Hội trường A, tầng 2; phòng 3 · 1"

    # The needs export: title and buyer exactly as stored, in both formats.
    assert out["needs_xlsx"][1][:2] == (need, buyer)
    assert out["needs_csv"][1][:2] == [need, buyer]

    # The province report: the need (a gap) in the spreadsheet and in the PDF's list.
    assert [row[1:3] for row in out["report_xlsx"][1:]] == [(need, buyer)]
    report = pdf_text(out["report_pdf"])
    for token in ("$x^2$", "$\\frac{a}{b}$", "$\\sqrt{2}$"):
        assert token in report, (token, report[-2000:])


def test_rows_stored_before_the_cleaning_still_render(session, scene):
    """Text written with SQL, bypassing validation, as rows stored before it refused
    these characters: every file still renders, without them (and formula-safe)."""
    tag = scene.need.title.rsplit(" ", 1)[1]
    dirty_buyer = f"\x1b=1+1 Cơ khí \x1b[31mĐỏ \u202eTrái\u202c $\\foo$ \x7f{tag}"
    dirty_need = f"Tấm\x0bnhôm\x1f \x08\ufffe$x^2$ {tag}"
    clean = (scene.buyer.name_vi, scene.need.title)
    session.execute(update(Firm).where(Firm.id == scene.buyer.id).values(name_vi=dirty_buyer))
    session.execute(update(Need).where(Need.id == scene.need.id).values(title=dirty_need))
    session.commit()
    try:
        session.expire_all()
        out = _outputs(scene, session)
        buyer = f"=1+1 Cơ khí [31mĐỏ Trái $\\foo$ {tag}"
        need = f"Tấm nhôm  $x^2$ {tag}"
        assert out["needs_xlsx"][1][:2] == (need, "'" + buyer)  # text, never a formula
        assert out["needs_csv"][1][:2] == [need, "'" + buyer]
        assert [row[1:3] for row in out["report_xlsx"][1:]] == [(need, "'" + buyer)]
        entry = next(iter(out["ics"].walk("VEVENT")))
        assert str(entry["summary"]).startswith(f"{buyer} · ")
        assert str(entry["description"]) == need
        assert "$\\foo$" in pdf_text(out["agenda"])
        assert pdf_text(out["report_pdf"])
        # The pages show it too, without the override that would reverse "Trái".
        page = scene.client.get(f"/suppliers/{scene.buyer.id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Trái" in html and "\u202e" not in html and "\x1b" not in html
    finally:
        session.execute(update(Firm).where(Firm.id == scene.buyer.id).values(name_vi=clean[0]))
        session.execute(update(Need).where(Need.id == scene.need.id).values(title=clean[1]))
        session.commit()


# -- refused where it enters ---------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED)
def test_every_validator_refuses_text_no_file_can_carry(session, char):
    firm_data = {"role": "supplier", "tax_code": fresh_tax_code(), "province": "VP"}
    with pytest.raises(ValidationError) as caught:
        validate_firm(session, {**firm_data, "name_vi": f"Cơ khí{char}An", "address": "x"})
    assert set(caught.value.errors) == {"name_vi"}
    assert f"U+{ord(char):04X}" in caught.value.errors["name_vi"]
    cases = [
        (lambda v: validate_firm(session, {**firm_data, "name_vi": "A", "description": v})),
        (lambda v: validate_capability(session, {"title": v})),
        (lambda v: validate_certification({"standard": "ISO 9001", "issuer": v})),
        (lambda v: validate_certification({"standard": v})),
        (lambda v: validate_need(session, {"title": "Vỏ nhựa", "required_certifications": [v]})),
        (lambda v: validate_need(session, {"title": v})),
        (lambda v: service.validate_event(session, {"name": v, "mode": "matchmaking"})),
    ]
    for case in cases:
        with pytest.raises(ValidationError) as caught:
            case(f"Chữ{char}")
        assert any(f"U+{ord(char):04X}" in m for m in caught.value.errors.values())


def test_messages_notes_and_names_outside_validators_are_cleaned_too(session, people):
    supplier = session.get(Firm, people.firms["supplier"])
    need = make_need(session, session.get(Firm, people.firms["buyer"]), title="Vỏ hộp ép nhựa")
    for call in (
        lambda: request_introduction(session, need, supplier, None, "Xin chào\u202e"),
        lambda: services.shortlist_add(session, need, supplier, note="ghi chú\x00"),
        lambda: accounts.create_user(
            session, f"{uuid.uuid4().hex}@x.test", None, "An\x1b", firm=supplier
        ),
        lambda: accounts.create_user(
            session, f"an\u202e{uuid.uuid4().hex}@x.test", None, "An", firm=supplier
        ),
        lambda: accounts.issue_api_token(
            session, accounts.find_user(session, "admin@people.test"), "t\x07"
        ),
    ):
        with pytest.raises(ValidationError):
            call()
        session.rollback()
    # Multi-line text keeps its lines (whatever their line breaks); dollars are text.
    intro = request_introduction(session, need, supplier, None, "Chào $x$,\r\n\r\nDòng 2\t!")
    assert session.get(Introduction, intro.id).message == "Chào $x$,\n\nDòng 2 !"
    # White space controls are white space in a single-line field, as before.
    assert validate_capability(session, {"title": "Ép\x0bnhựa\x1c ABS"})["title"] == "Ép nhựa ABS"


def test_api_forms_and_imports_refuse_control_characters(session, api_as, client_as, people):
    api = api_as("officer")
    base = {"role": "supplier", "province": "VP"}
    for name in ("$\\frac{1}{0}$ \x00", "Cơ khí \x1b[2J", "Cơ khí \u202eAB"):
        r = api.post("/api/v1/firms", json={**base, "name_vi": name, "tax_code": fresh_tax_code()})
        assert r.status_code == 422, r.get_data(as_text=True)
        assert set(r.get_json()["errors"]) == {"name_vi"}
    # Dollars alone are ordinary text, stored as written.
    r = api.post(
        "/api/v1/firms",
        json={**base, "name_vi": "$\\frac{1}{0}$ Cơ khí", "tax_code": fresh_tax_code()},
    )
    assert r.status_code == 201 and r.get_json()["name_vi"] == "$\\frac{1}{0}$ Cơ khí"
    # A field no validator reads is refused all the same.
    need = make_need(session, session.get(Firm, people.firms["buyer"]), title="Vỏ nhôm")
    r = api_as("buyer").post(
        f"/api/v1/needs/{need.id}/introductions",
        json={"firm_id": people.firms["supplier"], "message": "a\u2066b"},
    )
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"message"}

    # A form shows the field's error and stores nothing.
    firm_id = people.firms["supplier"]
    before = session.get(Firm, firm_id).name_vi
    page = client_as("supplier").post(
        f"/firms/{firm_id}/edit",
        data={"role": "supplier", "name_vi": "Cơ khí\x1b", "province": "VP"},
    )
    assert page.status_code == 422
    assert "U+001B" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Firm, firm_id).name_vi == before

    # An import cell goes through the same validators: the row is rejected, with why.
    data = (
        "Tên doanh nghiệp,Mã số thuế,Tỉnh,Năng lực\r\n"
        f"Cơ khí Nhập\x1b {uuid.uuid4().hex[:6]},{fresh_tax_code()},VP,Tiện CNC\r\n"
        f"Cơ khí Sạch {uuid.uuid4().hex[:6]},{fresh_tax_code()},VP,Tiện\u202e CNC\r\n"
    ).encode()
    result = import_table(session, read_table(data, "survey.csv"), dry_run=True)
    assert (result.created, result.rejected) == (0, 2)
    assert set(result.problems[0].reasons) == {"name_vi"}
    assert set(result.problems[1].reasons) == {"title"}
