"""One visibility rule for needs, for every reader.

A buyer chooses who reads each need. The rule is written once (``catalog.access.visibility``)
as a SQL clause and a Python predicate, which must agree for every visibility and every
kind of reader; the session applies it to every query of a request; and what arrives
through relationships (the needs a buyer brings to an event, the need a meeting or an
introduction is about) is filtered where it is shown.

The leak sweep: a buyer posts needs for officers only, for invited suppliers (one
invited) and for registered users, whose titles carry markers; it brings them to two
announced events (one in its province, one organised by another province), meetings
and introductions are made about them, and mails go out. Then every role that must
not read a need opens every page and API route of the authorisation matrix
(``tests.test_access_matrix``) on these targets, the exports (needs CSV/XLSX, agendas
as page, PDF and calendar, the schedule workbook, opportunities, the dashboard and its
report files) and the mails in the outbox: no marker and no id of a need it may not
read may appear. The same sweep shows the markers to those who may read them, so it
cannot pass by showing nothing.
"""

from __future__ import annotations

import email
import email.policy
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from traceback import format_exc

import pytest
from flask import current_app, url_for
from sqlalchemy import func, select

import webapp.errors
from catalog import accounts, events, introductions, photos, services
from catalog.access.visibility import (
    ALL_NEEDS,
    READER,
    Reader,
    may_read,
    needs_clause,
    readable,
    reading_as,
)
from catalog.dashboard import Period
from catalog.files import Upload
from catalog.models import (
    Event,
    EventStatus,
    Firm,
    MeetingRequest,
    Need,
    NeedStatus,
    NeedVisibility,
    Province,
    Registration,
    User,
    UserRole,
)
from jobs.notices import notify_schedule_change, remind_unanswered_requests
from jobs.runtime import runtime
from matching.opportunities import gaps, opportunities
from tests.conftest import PASSWORD, fresh_tax_code, login
from tests.factories import pdf_text, png_bytes
from tests.test_access_matrix import MATRIX
from webapp.extensions import db

# Markers: short ASCII words, so they survive every renderer (PDF glyph runs, wrapped
# table cells, folded calendar lines) and can be found in its output.
OFF, INV, REG = "QZOFFICERSQZ", "QZINVITEDQZ", "QZREGISTEREDQZ"
SECRET_QUANTITY = 97_531  # the invited need's yearly quantity
QUANTITY = r"(?<![\d.,])97[.,]?531(?![\d.,]?\d)"  # as any page or file writes it

SUPPLIER_TEXT = "Ép phun nhựa PP, ABS cho vỏ hộp điện tử"

# Who must not read each restricted need (roles of ``People`` and of ``Cast``).
FORBIDDEN = {
    OFF: {"anonymous", "supplier", "other_supplier", "other_buyer", "other_officer"},
    INV: {"anonymous", "supplier", "other_supplier", "other_buyer", "other_officer"},
    REG: {"anonymous"},
}
SWEPT_ROLES = sorted(set().union(*FORBIDDEN.values()))


@dataclass
class Cast:
    """The needs, events and extra users of the sweep, by name."""

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    firms: dict[str, int] = field(default_factory=dict)
    needs: dict[str, int] = field(default_factory=dict)  # marker → need id
    agreement: list[int] = field(default_factory=list)  # needs of every visibility
    events: dict[str, int] = field(default_factory=dict)
    regs: dict[tuple[str, str], int] = field(default_factory=dict)  # (event, role) → id
    photo: int = 0
    cap: int = 0
    mails: list[str] = field(default_factory=list)

    def need_ids(self, marker: str) -> int:
        return self.needs[marker]


def _firm(session, role: str, name: str, province: str) -> Firm:
    return services.create_firm(
        session,
        {"role": role, "name_vi": name, "tax_code": fresh_tax_code(), "province": province},
    )


def _user(session, cast: Cast, role: str, firm: Firm) -> None:
    user = accounts.create_user(
        session, f"{role.replace('_', '.')}@visibility.test", PASSWORD, role, firm=firm
    )
    cast.users[role] = user.id
    cast.firms[role] = firm.id
    cast.tokens[role] = accounts.issue_api_token(session, user, "sweep")[1]


def _meet(session, event: Event, buyer: Registration, supplier: Registration, need, slot: int):
    request = events.request_meeting(session, buyer, supplier, priority=3, need=need)
    meeting = events.answer_request(session, request, True)
    table = buyer.booth if buyer.booth is not None else 0
    events.move_meeting(session, event, meeting, slot, table)
    return meeting


@pytest.fixture(scope="module")
def cast(app, people) -> Cast:
    cast = Cast()
    with app.app_context():
        session = db.session
        outbox = Path(current_app.config["DATA_DIR"]) / "outbox"
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        _user(session, cast, "other_buyer", _firm(session, "buyer", "Công ty Mua Khác", "BN"))
        _user(session, cast, "invited_supplier", _firm(session, "supplier", "Xưởng Được Mời", "VP"))
        _user(session, cast, "asked_supplier", _firm(session, "supplier", "Xưởng Được Hỏi", "BN"))
        for role in ("buyer", "supplier", "other_supplier"):
            cast.firms[role] = people.firms[role]
        buyer = session.get(Firm, people.firms["buyer"])
        invited = session.get(Firm, cast.firms["invited_supplier"])
        asked = session.get(Firm, cast.firms["asked_supplier"])
        common = {
            "description": SUPPLIER_TEXT,
            "process": "process.injection_molding",
            "delivery_province": "BN",
        }
        # The supplier's best fit is the need for officers only; the one it may read
        # asks a certification it lacks (so it ranks lower, but is still a fit); the
        # invited one states a quantity and a certification, which the supplier's gap
        # view would count.
        n_off = services.create_need(
            session,
            buyer,
            {"title": f"{OFF} Vỏ hộp nhựa ABS ép phun", "visibility": "officers", **common},
        )
        n_inv = services.create_need(
            session,
            buyer,
            {
                "title": f"{INV} Vỏ hộp điện tử nhựa PP ép phun",
                "visibility": "invited",
                "quantity_per_year": SECRET_QUANTITY,
                "required_certifications": ["ISO 14001"],
                **common,
            },
        )
        n_reg = services.create_need(
            session,
            buyer,
            {
                "title": f"{REG} Nắp nhựa ép phun cho hộp",
                "visibility": "registered",
                "required_certifications": ["IATF 16949"],
                **common,
            },
        )
        introductions.invite(session, n_inv, invited)
        introductions.request_introduction(session, n_off, asked, None)
        cast.needs = {OFF: n_off.id, INV: n_inv.id, REG: n_reg.id}
        (photo,) = photos.add_photos(
            session,
            n_off,
            [Upload("part.png", png_bytes())],
            Path(current_app.config["DATA_DIR"]) / "uploads" / "photos",
        )
        cast.photo = photo.id
        cast.cap = session.get(Firm, people.firms["supplier"]).capabilities[0].id

        # Needs of every visibility for two buyers (closed: they stay out of matching).
        other_buyer = session.get(Firm, cast.firms["other_buyer"])
        for owner, visibility in itertools.product((buyer, other_buyer), NeedVisibility):
            need = services.create_need(
                session,
                owner,
                {"title": f"Quy tắc {visibility.value} {owner.id}", "visibility": visibility},
            )
            if visibility == NeedVisibility.INVITED:
                introductions.invite(session, need, invited)
            if visibility == NeedVisibility.OFFICERS:
                introductions.request_introduction(session, need, asked, None)
            services.update_need(session, need, {"status": "closed"})
            cast.agreement.append(need.id)

        # Two announced events: a reverse exhibition in the buyer's province, and a
        # matchmaking day organised by another province's officer.
        slots = {"day_start": "09:00", "day_end": "11:00", "meeting_minutes": "20"}
        vp, bn = (
            session.scalar(select(Province).where(Province.code == code)) for code in ("PT", "BN")
        )
        e1 = events.create_event(
            session,
            {
                "name": "Triển lãm ngược thử",
                "mode": "reverse",
                "starts_on": "2027-04-06",
                "tables": "3",
                **slots,
            },
            vp,
            None,
        )
        e2 = events.create_event(
            session,
            {
                "name": "Ngày kết nối Bắc Ninh thử",
                "mode": "matchmaking",
                "starts_on": "2027-04-08",
                "tables": "3",
                **slots,
            },
            bn,
            session.get(User, people.users["other_officer"]),
        )
        cast.events = {"E1": e1.id, "E2": e2.id}
        brought = [n_off, n_inv, n_reg]
        for name, event in (("E1", e1), ("E2", e2)):
            events.set_status(session, event, EventStatus.OPEN)
            for role in (
                "buyer",
                "other_buyer",
                "supplier",
                "other_supplier",
                "invited_supplier",
                "asked_supplier",
            ):
                firm = session.get(Firm, cast.firms[role])
                needs = brought if role == "buyer" else []
                cast.regs[(name, role)] = events.register(session, event, firm, needs=needs).id
        reg = {key: session.get(Registration, i) for key, i in cast.regs.items()}
        _meet(session, e1, reg[("E1", "buyer")], reg[("E1", "supplier")], n_off, 0)
        _meet(session, e1, reg[("E1", "buyer")], reg[("E1", "other_supplier")], n_inv, 1)
        _meet(session, e1, reg[("E1", "buyer")], reg[("E1", "invited_supplier")], n_inv, 2)
        _meet(session, e1, reg[("E1", "buyer")], reg[("E1", "asked_supplier")], n_off, 3)
        changed = [
            _meet(session, e2, reg[("E2", "buyer")], reg[("E2", "supplier")], n_off, 0),
            _meet(session, e2, reg[("E2", "buyer")], reg[("E2", "other_supplier")], n_inv, 1),
            _meet(session, e2, reg[("E2", "buyer")], reg[("E2", "asked_supplier")], n_reg, 2),
        ]
        # Requests still waiting, two days old: reminders go out.
        pending = [
            events.request_meeting(
                session, reg[(name, "other_buyer")], reg[(name, role)], priority=1, need=None
            )
            for name in ("E1", "E2")
            for role in ("supplier", "other_supplier")
        ]
        for request in pending:
            request.created_at -= timedelta(days=3)
        session.commit()
        # After publication, moved meetings are mailed to both sides.
        events.set_status(session, e2, EventStatus.PUBLISHED)
        notify_schedule_change(e2.id, [m.id for m in changed])
        remind_unanswered_requests()
        after = set(outbox.glob("*.eml")) if outbox.exists() else set()
        for path in sorted(after - before):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            cast.mails.append(
                f"To: {message['To']}\n{message['Subject']}\n{message.get_body().get_content()}"
            )
        db.session.remove()
    yield cast
    with app.app_context():
        for event_id in cast.events.values():
            db.session.delete(db.session.get(Event, event_id))
        for need_id in cast.needs.values():
            db.session.get(Need, need_id).status = NeedStatus.CLOSED
        db.session.commit()
        db.session.remove()


# -- reading responses ---------------------------------------------------------------------


def text_of(body: bytes) -> str:
    """What a reader gets to see in a response, whatever its format."""
    if body.startswith(b"PK"):  # XLSX
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(
                book.read(n).decode("utf-8", "replace")
                for n in book.namelist()
                if n.endswith(".xml")
            )
    if body.startswith(b"%PDF"):
        return pdf_text(body)
    if body.startswith(b"\x89PNG") or body[:3] == b"\xff\xd8\xff":
        return ""
    text = body.decode("utf-8", "replace")
    if text.startswith("BEGIN:VCALENDAR"):
        text = text.replace("\r\n ", "")  # unfold long lines
    return text


def id_leaks(text: str, need_id: int) -> list[str]:
    """Places where a page names a need by its id: links, forms, JSON."""
    patterns = [
        rf"/needs/{need_id}(?!\d)",
        rf'"need_id":\s*{need_id}\b',
        rf"need_id={need_id}\b",
        rf'name="needs?" value="{need_id}"',
    ]
    return [p for p in patterns if re.search(p, text)]


class _Keys(dict):
    """Records which targets a matrix row's URL takes."""

    def __init__(self):
        super().__init__()
        self.used: list[str] = []

    def __missing__(self, key):
        self.used.append(key)
        return 0


def _client(app, people, cast: Cast, role: str, api: bool):
    client = app.test_client()
    if role == "anonymous":
        return client
    if api:
        token = people.tokens[role] if role in people.tokens else cast.tokens[role]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    else:
        login(client, people.users[role] if role in people.users else cast.users[role])
    return client


def _urls(app, cast: Cast, people) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route of the matrix on the sweep's targets, and the
    exports."""
    regs = sorted(cast.regs.values())
    firms = [cast.firms[r] for r in ("buyer", "supplier", "other_supplier", "asked_supplier")]
    targets = {
        "firm": firms,
        "need": list(cast.needs.values()),
        "event": list(cast.events.values()),
        "supplier_reg": regs,
        "buyer_reg": regs,
        "photo": [cast.photo],
        "cap": [cast.cap],
    }
    found = []
    with app.test_request_context():
        for (endpoint, method), row in sorted(MATRIX.items()):
            if method != "GET":
                continue
            keys = _Keys()
            row.args(keys)
            choices = [targets.get(k, [0]) for k in keys.used]
            for values in itertools.product(*choices):
                args = row.args(dict(zip(keys.used, values, strict=True)))
                found.append((endpoint, url_for(endpoint, **args)))
        buyer = cast.firms["buyer"]
        found += [
            ("needs.export", url_for("needs.export", fmt="xlsx")),
            ("needs.export", url_for("needs.export", fmt="csv", buyer=buyer)),
            ("needs.index", url_for("needs.index", buyer=buyer)),
            ("api.list_needs", url_for("api.list_needs", status="all", per_page=100)),
            ("api.list_needs", url_for("api.list_needs", buyer=buyer, status="all")),
            ("api.list_introductions", url_for("api.list_introductions", per_page=100)),
        ]
    return found


@dataclass
class Seen:
    """What the sweep saw: responses by (role, path)."""

    bodies: dict[tuple[str, str], str] = field(default_factory=dict)
    status: dict[tuple[str, str], int] = field(default_factory=dict)


def _report(client, province: str) -> list[tuple[str, str]]:
    """Prepare the province's yearly report (a job) and fetch its files and the
    dashboard that now shows its gap list."""
    period = Period.current("year").label
    client.post(f"/dashboard/reports?province={province}&period={period}")
    page = client.get(f"/dashboard/?province={province}&period={period}").get_data(as_text=True)
    job = page.split('data-status="/dashboard/reports/')[1].split(".json")[0]  # the newest
    return [
        (f"/dashboard/reports/{job}.xlsx", "dashboard.report_file"),
        (f"/dashboard/reports/{job}.pdf", "dashboard.report_file"),
        (f"/dashboard/?province={province}&period={period}", "dashboard.index"),
    ]


@pytest.fixture(scope="module")
def seen(app, people, cast) -> Seen:
    found = Seen()
    urls = _urls(app, cast, people)
    errors: list[str] = []  # tracebacks of server errors, to say what broke
    patch = pytest.MonkeyPatch()
    patch.setattr(webapp.errors.log, "exception", lambda *a, **k: errors.append(format_exc()))
    for role in SWEPT_ROLES + ["asked_supplier", "invited_supplier"]:
        pages = _client(app, people, cast, role, api=False)
        api = _client(app, people, cast, role, api=True)
        todo = [(path, endpoint) for endpoint, path in urls]
        if role == "other_officer":
            todo += _report(pages, "BN")
        for path, endpoint in todo:
            client = api if endpoint.startswith("api.") else pages
            response = client.get(path)
            assert response.status_code < 500, (role, path, response.status_code, errors)
            found.status[(role, path)] = response.status_code
            found.bodies[(role, path)] = text_of(response.data)
    patch.undo()
    return found


# -- the rule, in its two forms --------------------------------------------------------------


def _readers(session, people, cast: Cast) -> dict[str, Reader]:
    users = {**people.users, **cast.users}
    readers = {role: Reader.of(session.get(User, i)) for role, i in users.items()}
    readers["anonymous"] = Reader.of(None)
    bn = session.scalar(select(Province.id).where(Province.code == "BN"))
    readers["any officer of BN"] = Reader.officer_of([bn])
    readers["officer without provinces"] = Reader(UserRole.OFFICER)
    return readers


def test_clause_and_predicate_agree_for_every_visibility_and_reader(session, people, cast):
    needs = [session.get(Need, i) for i in cast.agreement + list(cast.needs.values())]
    readers = _readers(session, people, cast)
    for name, reader in readers.items():
        selected = set(
            session.scalars(
                select(Need.id).where(Need.id.in_([n.id for n in needs]), needs_clause(reader))
            )
        )
        for need in needs:
            assert may_read(reader, need) == (need.id in selected), (
                name,
                need.visibility.value,
                need.buyer_id,
            )


def test_who_reads_the_buyers_needs(session, people, cast):
    """The rule itself, written out: the Vĩnh Phúc buyer's needs of each visibility."""
    readers = _readers(session, people, cast)
    everyone = set(readers)
    signed_in = everyone - {"anonymous"}
    own_side = {"buyer", "officer", "admin"}
    expected = {
        NeedVisibility.PUBLIC: everyone,
        NeedVisibility.REGISTERED: signed_in,
        # the introduction about it lets the asked supplier read it
        NeedVisibility.OFFICERS: own_side | {"asked_supplier"},
        NeedVisibility.INVITED: own_side | {"invited_supplier"},
    }
    for need in (session.get(Need, i) for i in cast.agreement):
        if need.buyer_id != people.firms["buyer"]:
            continue
        readers_of = {name for name, r in readers.items() if may_read(r, need)}
        assert readers_of == expected[need.visibility], need.visibility


# -- the session's filter --------------------------------------------------------------------


def test_a_session_with_a_reader_reads_only_what_it_may(session, people, cast):
    supplier = session.get(User, people.users["supplier"])
    hidden = {cast.needs[OFF], cast.needs[INV]}
    with reading_as(session, supplier):
        listed = set(session.scalars(select(Need.id).where(Need.id.in_(cast.needs.values()))))
        assert listed == {cast.needs[REG]}
        counted = session.scalar(
            select(func.count()).select_from(Need).where(Need.id.in_(cast.needs.values()))
        )
        assert counted == 1  # aggregates too
        session.expunge_all()
        supplier = session.get(User, people.users["supplier"])
        assert session.get(Need, cast.needs[OFF]) is None
        # An explicit opt-out (the access decorator's load by id, to answer 403).
        opted = session.get(Need, cast.needs[OFF], execution_options={ALL_NEEDS: True})
        assert opted is not None
        # Relationships are not filtered (write paths need them all): lists filter them.
        reg = session.get(Registration, cast.regs[("E1", "buyer")])
        assert {n.id for n in reg.needs} == set(cast.needs.values())
        assert {n.id for n in readable(session, supplier, reg.needs)} == {cast.needs[REG]}
        # What the supplier's gap view counts: only needs it may read.
        engine = runtime().engine
        firm = session.get(Firm, people.firms["supplier"])
        counted_ids = {i for g in gaps(session, engine, firm) for i in g.would_open}
        counted_ids |= {i for g in gaps(session, engine, firm) for i in g.one_of_several}
        assert not counted_ids & hidden
        assert not {o.need.id for o in opportunities(session, engine, firm, limit=None)} & hidden
    assert READER not in session.info  # restored: no reader before, none after
    assert session.get(Need, cast.needs[OFF]) is not None


def test_each_request_reads_with_its_user_and_leaves_no_reader(app, people, cast, client_as):
    with app.app_context():
        assert client_as("supplier").get("/needs/").status_code == 200
        assert READER not in db.session.info
        db.session.remove()


def test_anonymous_home_page_counts_only_public_needs(app, client):
    page = client.get("/").get_data(as_text=True)
    with app.app_context():
        public = db.session.scalar(
            select(func.count())
            .select_from(Need)
            .where(Need.status == NeedStatus.OPEN, Need.visibility == NeedVisibility.PUBLIC)
        )
        everything = db.session.scalar(
            select(func.count()).select_from(Need).where(Need.status == NeedStatus.OPEN)
        )
        db.session.remove()
    counted = int(
        re.search(r"<strong>([\d.,]+)</strong><span>[^<]*nhu cầu", page)[1]
        .replace(".", "")
        .replace(",", "")
    )
    assert public < everything
    assert counted == public


def test_a_need_one_may_not_read_is_refused_not_hidden(people, cast, client_as, api_as):
    """The access decorator loads the record unfiltered: 403 as before, not 404."""
    for marker in (OFF, INV):
        need = cast.needs[marker]
        assert client_as("supplier").get(f"/needs/{need}").status_code == 403
        assert api_as("supplier").get(f"/api/v1/needs/{need}").status_code == 403
        assert client_as("officer").get(f"/needs/{need}").status_code == 200


def test_an_officer_sees_a_suppliers_opportunities_as_the_supplier_does(people, cast, client_as):
    """The gap view counts what the supplier can answer: not a need it may not read,
    even to an officer who may."""
    for role in ("supplier", "officer", "admin"):
        page = client_as(role).get(f"/opportunities/{people.firms['supplier']}")
        text = page.get_data(as_text=True)
        assert REG in text and OFF not in text and INV not in text, role


# -- the sweep ---------------------------------------------------------------------------------


def test_no_role_sees_a_need_it_may_not_read(seen, cast):
    leaks = []
    for (role, path), text in seen.bodies.items():
        for marker, forbidden in FORBIDDEN.items():
            if role not in forbidden:
                continue
            need_id = cast.needs[marker]
            if marker in text:
                leaks.append(f"{role} GET {path}: title {marker}")
            # A page about the need itself names its id in its own links.
            if f"/{need_id}" not in path and f"={need_id}" not in path:
                leaks += [f"{role} GET {path}: id {need_id} ({p})" for p in id_leaks(text, need_id)]
        if role in FORBIDDEN[INV] and re.search(QUANTITY, text):
            leaks.append(f"{role} GET {path}: the hidden need's quantity")
    assert leaks == [], "\n".join(leaks)


def test_no_mail_names_a_need_its_recipient_may_not_read(app, cast):
    """A mail may name a need only to a recipient who may read it (the supplier asked
    for an introduction about it is told of the request: it may read that need)."""
    assert cast.mails, "the sweep sent no mail"
    with app.app_context():
        for mail in cast.mails:
            user = accounts.find_user(db.session, mail.split("\n", 1)[0].removeprefix("To: "))
            for marker in {OFF, INV} & set(re.findall(r"QZ[A-Z]+QZ", mail)):
                need = db.session.get(Need, cast.needs[marker], execution_options={ALL_NEEDS: True})
                assert user is not None and may_read(user, need), mail
        db.session.remove()


def test_the_sweep_sees_what_each_role_may_read(seen, cast):
    """Not vacuous: the same pages show the markers to whoever may read them."""

    def text(role: str, path: str) -> str:
        return seen.bodies[(role, path)]

    e1, e2 = cast.events["E1"], cast.events["E2"]
    # Whom to meet: the supplier is ranked on the need it may read.
    suggestions = text("supplier", f"/events/{e1}")
    assert REG in suggestions and f'name="need" value="{cast.needs[REG]}"' in suggestions
    # Agendas name the need to a supplier that may read it.
    for role, marker in (("asked_supplier", OFF), ("invited_supplier", INV)):
        reg = cast.regs[("E1", role)]
        for suffix in ("", ".pdf", ".ics"):
            assert marker in text(role, f"/events/registrations/{reg}/agenda{suffix}"), suffix
    # The organiser of another province sees the need it may read in its schedule.
    assert REG in text("other_officer", f"/events/{e2}/schedule.xlsx")
    # The province's report holds the delivered need its officers may read.
    report = next(
        p
        for (r, p) in seen.bodies
        if r == "other_officer" and p.endswith(".xlsx") and "/dashboard/reports/" in p
    )
    assert REG in text("other_officer", report)
    assert REG in text("other_officer", report.replace(".xlsx", ".pdf"))
    # The invited supplier finds its need in the lists and the API.
    assert INV in text("invited_supplier", "/needs/export.xlsx")
    assert INV in text("invited_supplier", "/api/v1/needs?status=all&per_page=100")
    # The asked supplier's introductions name the need.
    assert OFF in text("asked_supplier", "/introductions/")


def test_a_meeting_request_cannot_be_about_a_need_the_sender_may_not_read(
    app, people, cast, client_as
):
    """(Last: it adds a request to the sweep's event.) The need a request names becomes
    the meeting's subject, shown on both agendas: only a need the sender may read."""
    e2 = cast.events["E2"]
    sent = client_as("supplier").post(
        f"/events/{e2}/requests",
        data={"receiver": cast.regs[("E2", "buyer")], "need": cast.needs[OFF], "priority": "2"},
    )
    assert sent.status_code == 302
    with app.app_context():
        request = db.session.scalar(
            select(MeetingRequest).where(
                MeetingRequest.sender_id == cast.regs[("E2", "supplier")],
                MeetingRequest.receiver_id == cast.regs[("E2", "buyer")],
            )
        )
        assert request is not None and request.need_id is None
        db.session.remove()
