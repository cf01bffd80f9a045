"""The officer's pages speak Vietnamese only: every page and every generated file.

One walker signs in as each role (``tests.conftest.ROLES``) with the Vietnamese
interface, opens every GET route of ``app.url_map`` it can fill (URL parameters taken
from records made here: a need with matches, an accepted introduction, a checked
capability, a claim, an event scheduled by the solver and published, …), and reads
what a user sees:

- pages: HTML text nodes and the attributes users read (``title``, ``placeholder``,
  ``aria-label``, ``alt``, the ``value`` of buttons);
- files: XLSX cell values, PDF text (``pdftotext``), ``.ics`` SUMMARY/DESCRIPTION/
  LOCATION, CSV cells, and the mails written to the outbox for Vietnamese readers.

It fails on (a) English from the code's own catalogue (a msgid of three words or more,
or a status/label word alone in a text node) and (b) internal identifiers: concept ids
(``process.cnc_machining``), enum values (``follow_up``), object representations
(``<Firm 12>``), file paths (``seeds/004_….txt``), Python/JSON artefacts, and bare
province codes where a name belongs. The English interface is walked too, for (b).

Routes it cannot fill are skipped and printed; the test fails when fewer than
``MIN_COVERAGE`` of the GET routes were rendered by some role, so pages added later are
walked (or at least named) without editing this file.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import url_for
from sqlalchemy import select

from catalog.models import Firm, IndustrialZone, Meeting, Province, Registration, User
from tests.conftest import ROLES, fresh_tax_code, login
from tests.factories import make_need
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "webapp" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
MIN_COVERAGE = 0.8

# Routes that answer with something no reader reads as text, or not an interface page.
NOT_TEXT = {
    "static": "files of the site",
    "i18n.switch": "a redirect",
    "main.healthz": "JSON for monitoring",
    "dashboard.chart": "a PNG image",
    "needs.photo": "an image",
    "verifications.evidence": "the evidence file as uploaded",
}
# Pages walked and printed without failing this test until they are clean.
# Empty this once they are.
OWNED_ELSEWHERE = {
    "imports.": "the survey import (part 4)",
    "dashboard.report_": "the quarterly report (part 6)",
}

# (a) English UI words that are wrong alone in a Vietnamese text node (a status, a label).
ENGLISH_WORDS = {
    "approved", "pending", "rejected", "optimal", "feasible", "infeasible", "introduced",
    "accepted", "declined", "requested", "confirmed", "draft", "open", "closed", "published",
    "planned", "cancelled", "awarded", "shortlisted", "meeting", "deal", "documents",
    "site_visit", "supplier", "buyer", "officer", "admin", "yes", "no", "none", "true",
    "false", "null", "status", "score", "name", "province", "sector", "process", "total",
    "not_solved", "time_limit", "error", "unknown", "follow_up", "sample_order",
}  # fmt: skip

# What is legitimately the same in both languages. A text containing one of these is
# not English because of it: they are cut out of the text before it is checked.
ALLOWED = [
    r"\bKetNoi\b",  # the service's name
    r"\b(ISO|IATF|IEC|TCVN|JIS|ASTM)\s?[\d:\-]+",  # standards: "ISO 9001", "IATF 16949"
    r"\b(CNC|PCB|PCBA|SMT|EMS|EDM|FDI|KCN|CCN|CNHT|QC|OEM|ODM|API|PDF|XLSX|CSV|TOTP|VND|"
    r"RoHS|REACH|ABS|PP|PC|PA66|POM|SPCC|SPHC|SS400|S45C|FR4|ADC12|SKD11)\b",
    r"\b\d+(\.\d+)?\s?(kg|mm|µm|km|m²|t|%)\b",  # units
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+",  # e-mail addresses
    r"https?://\S+",  # addresses (links in mail, otpauth://)
    r"/api/v1/\S+",  # the API's address, named on the account page
    r"otpauth://\S+",
    r"\bkn_[\w-]+…?",  # the first characters of an API token, shown to tell tokens apart
]
ALLOWED_RE = re.compile("|".join(f"(?:{p})" for p in ALLOWED))

# (b) internal identifiers, in any language.
CONCEPT_ID = re.compile(r"\b(sector|process|material|part_family|certification)\.[a-z0-9_]+\b")
SNAKE = re.compile(r"(?<![\w/.@-])[a-z]+(?:_[a-z0-9]+)+(?![\w/.@-])")
REPR = re.compile(r"<[A-Z][A-Za-z]+(\s+\d+|\s+[a-z_]+=|\.[A-Z_]+:|\s*>)")
FILE_PATH = re.compile(r"\b(seeds|catalog|matching|webapp|documents|jobs)/\S+|\S+\.(txt|py|json)\b")
ARTEFACT = re.compile(r"\{'|'\}|\[\]|\{\}|\bNone\b|\bTrue\b|\bFalse\b|\[\s*'|'\s*\]")


def _catalogue() -> tuple[list[str], set[str]]:
    """Fragments of English msgids worth looking for, and the Vietnamese texts."""
    with open(CATALOGUE, "rb") as f:
        catalog = read_po(f, locale="vi")
    fragments: set[str] = set()
    vietnamese: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else message.string[0]
        vietnamese.add(msgstr)
        if msgstr == msgid:
            continue  # the same in both languages ("KetNoi", "Email", "ISO 9001")
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|\n", msgid):
            piece = piece.strip(" .,:;()·—-…?!\"'«»")
            words = re.findall(r"[A-Za-z][A-Za-z'’-]*", piece)
            if len(words) >= 3 and len(piece) >= 12 and piece not in msgstr:
                fragments.add(piece)
    return sorted(fragments, key=len, reverse=True), vietnamese


class _Visible(HTMLParser):
    """Text nodes and the attributes users read, one entry per node."""

    SKIP = {"script", "style", "template"}
    READ = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        a = dict(attrs)
        for name in self.READ:
            if a.get(name):
                self.nodes.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
            self.nodes.append(a["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(" ".join(data.split()))


def html_nodes(body: str) -> list[str]:
    parser = _Visible()
    parser.feed(body)
    return parser.nodes


def xlsx_nodes(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    nodes = []
    for sheet in book.worksheets:
        nodes.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            nodes.extend(str(v) for v in row if v is not None and str(v).strip())
    return nodes


def pdf_nodes(data: bytes, tmp: Path) -> list[str]:
    path = tmp / "page.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [
        " ".join(cell.split())
        for line in text.splitlines()
        for cell in re.split(r"\s{3,}", line)
        if cell.strip()
    ]


def ics_nodes(data: bytes) -> list[str]:
    from icalendar import Calendar

    nodes = []
    for component in Calendar.from_ical(data).walk():
        for key in ("SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME"):
            if key in component:
                nodes.extend(
                    line.strip() for line in str(component[key]).splitlines() if line.strip()
                )
    return nodes


def csv_nodes(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell.strip()]


def mail_nodes(path: Path) -> tuple[str, list[str]]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    nodes = [str(message["Subject"])] + [line.strip() for line in text.splitlines() if line.strip()]
    return str(message["To"]), nodes


# English statuses that are wrong even inside a Vietnamese sentence ("Lần chạy: optimal").
STATUS_IN_TEXT = re.compile(
    r"\b(approved|pending|rejected|optimal|feasible|infeasible|introduced|accepted|declined|"
    r"requested|confirmed|shortlisted|awarded|cancelled|published|withdrawn)\b"
)


@dataclass
class Checker:
    fragments: list[str]
    vietnamese: set[str]
    province_codes: set[str]
    data_texts: set[str]  # names and texts from the records (firm names, need titles …)
    concepts_en: re.Pattern  # English concept names that differ from the Vietnamese
    concepts_vi: re.Pattern  # Vietnamese concept names (wrong on English pages)

    def problems(self, nodes: list[str], english: bool) -> list[str]:
        found = []
        for node in nodes:
            if node.strip() in self.data_texts:
                continue  # a firm name, a need title: data, shown as entered
            found_here = self._problems(node, english)
            if found_here:  # data inside a sentence is not the interface's: cut it out
                cut = node
                for text in sorted(self.data_texts, key=len, reverse=True):
                    if len(text) >= 4 and text in cut:
                        cut = cut.replace(text, " ¶ ")
                if cut != node:
                    found_here = self._problems(cut, english)
            found += found_here
        return found

    def _problems(self, node: str, english: bool) -> list[str]:
        found = []
        # Quoted terms are the words a match found in a firm's or a need's own text.
        clean = re.sub(r"“[^”]*”", " ", ALLOWED_RE.sub(" ", node))
        found += [f"concept id {m.group(0)!r} in {node!r}" for m in CONCEPT_ID.finditer(clean)]
        found += [f"enum value {m.group(0)!r} in {node!r}" for m in SNAKE.finditer(clean)]
        found += [f"object repr in {node!r}" for _ in REPR.finditer(node)][:1]
        found += [f"file path {m.group(0)!r} in {node!r}" for m in FILE_PATH.finditer(clean)]
        found += [f"artefact {m.group(0)!r} in {node!r}" for m in ARTEFACT.finditer(clean)]
        if node.strip() in self.province_codes or any(
            f"({code})" in clean for code in self.province_codes
        ):
            found.append(f"province code in {node!r} where its name belongs")
        if english:
            found += [f"Vietnamese concept name {m.group(0)!r} in {node!r}"
                      for m in self.concepts_vi.finditer(clean)][:1]  # fmt: skip
            return found
        for part in re.split(r"[·;|]", clean):
            bare = re.sub(r"[\s:,.()\d—–-]+$", "", part.strip()).strip().lower()
            if bare in ENGLISH_WORDS:
                found.append(f"English word {node!r}")
                break
        else:
            found += [f"English status {m.group(0)!r} in {node!r}"
                      for m in STATUS_IN_TEXT.finditer(clean)][:1]  # fmt: skip
        found += [f"English concept name {m.group(0)!r} in {node!r}"
                  for m in self.concepts_en.finditer(clean)][:1]  # fmt: skip
        if node in self.vietnamese:
            return found
        for fragment in self.fragments:
            if fragment in clean:
                found.append(f"English message {fragment!r} in {node!r}")
                break
        return found


@dataclass
class World:
    ids: dict = field(default_factory=dict)
    outbox_before: set = field(default_factory=set)


def _client(app, people, role: str, lang: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, people.users[role])
    client.get(f"/lang/{lang}")  # also the account's language, which mails follow
    return client


@pytest.fixture(scope="module")
def world(app, people, data_dir) -> World:
    """Records in every state a page can show, made mostly through the pages themselves
    (so the mails they send are written too), all by Vietnamese readers."""
    from catalog import claims, events, verification
    from catalog.accounts import create_user
    from catalog.models import EventStatus

    found = World()
    outbox = data_dir / "outbox"
    found.outbox_before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    officer = _client(app, people, "officer", "vi")
    buyer = _client(app, people, "buyer", "vi")
    supplier = _client(app, people, "supplier", "vi")
    for role in ("admin", "other_officer", "other_supplier"):
        _client(app, people, role, "vi")
    ids = found.ids
    with app.app_context():
        session = db.session
        buyer_firm = session.get(Firm, people.firms["buyer"])
        supplier_firm = session.get(Firm, people.firms["supplier"])
        need = make_need(
            session,
            buyer_firm,
            title="Vỏ hộp nhựa ABS ép phun cho bộ điều khiển",
            description="Ép phun nhựa ABS, PP cho vỏ hộp điện tử, 10.000 chiếc/tháng",
            process="process.injection_molding",
            materials=["material.abs", "material.pa66"],
            quantity_per_year="120000",
            tolerance_mm="0.05",
            delivery_province="VP",
            required_certifications=["ISO 9001"],
            deadline=(date.today() + timedelta(days=90)).isoformat(),
            visibility="public",
        )
        ids["need"] = need.id
        cap = supplier_firm.capabilities[0]
        ids["cap"] = cap.id
        from catalog import services

        cert = services.add_certification(session, supplier_firm, {"standard": "ISO 9001"})
        ids["cert"] = cert.id
        check = verification.record(
            session,
            supplier_firm,
            cap,
            {"method": "site_visit", "result": "confirmed", "checked_on": date.today().isoformat()},
            officer=session.get(User, people.users["officer"]),
            uploads=[verification.Upload("visit.pdf", b"%PDF-1.4 site visit\n%%EOF\n")],
            evidence_root=Path(app.config["DATA_DIR"]) / "uploads" / "evidence",
        )
        ids["evidence"] = check.evidence[0].id
        claimant = create_user(
            session, f"claimant-{fresh_tax_code()}@people.test", None, firm=supplier_firm
        )
        claimant.firm = None
        claimant.locale = "vi"
        ids["claim"] = claims.file_claim(session, claimant, supplier_firm, "Tôi là giám đốc").id
        member = create_user(
            session, f"member-{fresh_tax_code()}@people.test", None, firm=supplier_firm
        )
        ids["user"] = member.id
        ids["officer_user"] = people.users["officer"]
        session.commit()
        db.session.remove()

    # Through the pages: a match shortlisted, an introduction asked and accepted.
    buyer.post(f"/needs/{ids['need']}/shortlist", data={"firm_id": people.firms["supplier"]})
    buyer.post(
        f"/needs/{ids['need']}/introductions",
        data={"firm_id": people.firms["supplier"], "message": "Xin giới thiệu"},
    )
    with app.app_context():
        from catalog.models import Introduction

        intro = db.session.scalar(select(Introduction).where(Introduction.need_id == ids["need"]))
        ids["intro"] = intro.id if intro else None
        db.session.remove()
    if ids["intro"]:
        supplier.post(f"/introductions/{ids['intro']}/accept")
    officer.post(f"/firms/{people.firms['supplier']}/verify")

    # A deal: the supplier quotes with a drawing, the buyer writes back and asks the
    # officers in, requests a quotation behind an NDA, records a purchase order and
    # rates the deliveries; the supplier accepts the NDA.
    step = b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n"
    resp = supplier.post(
        f"/deals/needs/{ids['need']}/answer",
        data={
            "kind": "quote",
            "unit_price": "12500",
            "currency": "VND",
            "min_order_qty": "1000",
            "lead_time_days": "21",
            "capacity_per_month": "12000",
            "valid_until": (date.today() + timedelta(days=30)).isoformat(),
            "note": "Giá đã gồm khuôn",
            "files": [(io.BytesIO(step), "vo-hop.step")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    deal_id = ids["deal"] = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    buyer.post(f"/deals/{deal_id}/messages", data={"body": "Cho hỏi dung sai lắp ráp?"})
    buyer.post(f"/deals/{deal_id}/officers")
    buyer.post(
        f"/deals/needs/{ids['need']}/request",
        data={
            "firm": str(people.firms["supplier"]),
            "deadline": (date.today() + timedelta(days=10)).isoformat(),
            "message": "Xin báo giá lô thử",
            "nda_text": "Bên nhận giữ bí mật bản vẽ.",
            "files": [(io.BytesIO(b"%PDF-1.4 ban ve\n%%EOF\n"), "ban-ve.pdf")],
        },
        content_type="multipart/form-data",
    )
    buyer.post(
        f"/deals/{deal_id}/stages",
        data={"stage": "sample_approved", "ppap_level": "3", "first_article": "1"},
    )
    buyer.post(f"/deals/{deal_id}/orders", data={"value": "250000000", "currency": "VND"})
    buyer.post(
        f"/deals/{deal_id}/rating",
        data={"quality": "5", "on_time": "4", "communication": "4", "ppm": "120"},
    )
    with app.app_context():
        from catalog.models import DealFile, Quote, QuoteRequestRecipient

        ids["deal_file"] = db.session.scalar(
            select(DealFile.id).where(DealFile.deal_id == deal_id).limit(1)
        )
        ids["quote"] = db.session.scalar(select(Quote.id).where(Quote.deal_id == deal_id))
        ids["recipient"] = db.session.scalar(
            select(QuoteRequestRecipient.id).where(QuoteRequestRecipient.deal_id == deal_id)
        )
        db.session.remove()
    if ids["recipient"]:
        supplier.post(f"/deals/requests/{ids['recipient']}/nda")

    # An event, scheduled by the solver and published.
    day = date.today() + timedelta(days=40)
    resp = officer.post(
        "/events/new",
        data={
            "name": "Ngày kết nối cung cầu Vĩnh Phúc (kiểm tra ngôn ngữ)",
            "mode": "matchmaking",
            "province": "VP",
            "venue": "Trung tâm Hội nghị tỉnh",
            "starts_on": day.isoformat(),
            "day_start": "09:00",
            "day_end": "11:00",
            "breaks": "10:00-10:20",
            "meeting_minutes": "20",
            "tables": "4",
            "max_meetings": "4",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    event_id = ids["event"] = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    officer.post(f"/events/{event_id}/status", data={"status": "open"})
    buyer.post(
        f"/events/{event_id}/register",
        data={"available": ["0", "1", "2", "3", "4"], "needs": [str(ids["need"])]},
    )
    supplier.post(f"/events/{event_id}/register", data={"available": ["1", "2", "3"]})
    with app.app_context():
        regs = {
            r.firm_id: r.id
            for r in db.session.scalars(
                select(Registration).where(Registration.event_id == event_id)
            )
        }
        db.session.remove()
    ids["supplier_reg"], ids["buyer_reg"] = (
        regs[people.firms["supplier"]],
        regs[people.firms["buyer"]],
    )
    buyer.post(
        f"/events/{event_id}/requests",
        data={"receiver": str(ids["supplier_reg"]), "priority": "3", "message": "Xin gặp"},
    )
    received = supplier.get(f"/events/{event_id}").get_data(as_text=True)
    if "/events/requests/" in received:
        req_id = int(received.split("/events/requests/")[1].split("/answer")[0])
        supplier.post(f"/events/requests/{req_id}/answer", data={"decision": "accept"})
    officer.post(f"/events/{event_id}/solve", data={"time_limit": "5"})
    officer.post(f"/events/{event_id}/status", data={"status": "published"})
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.event_id == event_id))
        ids["meeting"] = meeting.id if meeting else None
        # A second, draft event in the province, so lists show more than one state.
        draft = events.create_event(
            db.session,
            {
                "name": "Triển lãm ngược nháp",
                "mode": "reverse",
                "starts_on": day.isoformat(),
                "day_start": "09:00",
                "day_end": "10:00",
                "meeting_minutes": "30",
                "tables": "2",
            },
            db.session.scalar(select(Province).where(Province.code == "PT")),
            None,
        )
        assert draft.status == EventStatus.DRAFT
        db.session.commit()
        db.session.remove()
    if ids["meeting"]:
        officer.post(
            f"/events/meetings/{ids['meeting']}/move",
            data={"slot": "3", "table": "2", "action": "move"},
        )
        officer.post(f"/events/registrations/{ids['buyer_reg']}/attendance", data={"present": "1"})
        officer.post(f"/events/meetings/{ids['meeting']}/outcome", data={"outcome": "sample_order"})
    # The claim is rejected by the officer (a decision mailed to the claimant).
    officer.post(
        f"/admin/claims/{ids['claim']}",
        data={"decision": "reject", "reason": "Không phải người của doanh nghiệp"},
    )
    # A support programme with a line, and the supplier's application taken through the
    # pages to its certificate (its notifications are written too).
    year = date.today().year
    created = officer.post(
        "/programmes/new",
        data={
            "name": "Chương trình CNHT kiểm tra ngôn ngữ",
            "start_year": year,
            "end_year": year + 1,
        },
    )
    ids["programme"] = int(created.headers["Location"].rstrip("/").split("/")[-1])
    officer.post(
        f"/programmes/{ids['programme']}/lines/new",
        data={
            "kind": "management_system",
            "name": "Hỗ trợ áp dụng ISO 9001",
            "share_pct": "50",
            "ceiling_vnd": "60000000",
            "standards": "ISO 9001",
            f"budget-{year}-provincial": "500000000",
            "target-1-measure": "certifications",
            "target-1-value": "5",
        },
    )
    with app.app_context():
        from catalog.models import SupportLine

        ids["line"] = db.session.scalar(
            select(SupportLine.id).where(SupportLine.programme_id == ids["programme"])
        )
        db.session.remove()
    applied = supplier.post(
        f"/programmes/lines/{ids['line']}/apply",
        data={"purpose": "Tư vấn ISO 9001", "cost_vnd": "80000000", "requested_vnd": "40000000"},
    )
    ids["application"] = int(applied.headers["Location"].rstrip("/").split("/")[-1])
    base = f"/programmes/applications/{ids['application']}"
    officer.post(f"{base}/decision", data={"decision": "approve", "score": "80"})
    officer.post(f"{base}/payments", data={"amount_vnd": "40000000"})
    officer.post(
        f"{base}/completion",
        data={"result_note": "Đạt chứng nhận", "standard": "ISO 9001", "issuer": "Quacert"},
    )
    return found


def _value_for(name: str, rule, ids: dict, people) -> object:
    """A value for URL argument ``name`` of ``rule`` (KeyError when there is none)."""
    converter = rule._converters.get(name)
    items = getattr(converter, "items", None)
    if items:  # ``any(csv, xlsx)``: the richer format
        for preferred in ("xlsx", "pdf", "csv"):
            if preferred in items:
                return preferred
        return sorted(items)[0]
    values = {
        "firm_id": people.firms["supplier"],
        "cap_id": ids.get("cap"),
        "cert_id": ids.get("cert"),
        "need_id": ids.get("need"),
        "event_id": ids.get("event"),
        "reg_id": ids.get("supplier_reg"),
        "claim_id": ids.get("claim"),
        "user_id": ids.get("user"),
        "intro_id": ids.get("intro"),
        "meeting_id": ids.get("meeting"),
        "evidence_id": ids.get("evidence"),
        "deal_id": ids.get("deal"),
        "quote_id": ids.get("quote"),
        "file_id": ids.get("deal_file"),
        "recipient_id": ids.get("recipient"),
        "programme_id": ids.get("programme"),
        "line_id": ids.get("line"),
        "application_id": ids.get("application"),
        "token": "not-a-token",
    }
    value = values[name]
    if value is None:
        raise KeyError(name)
    return value


@dataclass
class Walk:
    rendered: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    pages: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, str] = field(default_factory=dict)
    problems: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    elsewhere: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _nodes(response, tmp: Path) -> tuple[str, list[str]] | None:
    kind = response.mimetype or ""
    data = response.get_data()
    if kind == "text/html":
        return "page", html_nodes(data.decode())
    if "spreadsheetml" in kind:
        return "xlsx", xlsx_nodes(data)
    if kind == "application/pdf":
        return "pdf", pdf_nodes(data, tmp)
    if kind == "text/calendar":
        return "ics", ics_nodes(data)
    if kind == "text/csv":
        return "csv", csv_nodes(data)
    return None


def _owner(endpoint: str) -> str | None:
    return next(
        (who for prefix, who in OWNED_ELSEWHERE.items() if endpoint.startswith(prefix)), None
    )


def walk(app, people, world: World, checker: Checker, lang: str, tmp: Path) -> Walk:
    done = Walk()
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in NOT_TEXT and not r.endpoint.startswith("api.")
    ]
    for role in ROLES:
        client = _client(app, people, role, lang)
        for rule in rules:
            try:
                args = {name: _value_for(name, rule, world.ids, people) for name in rule.arguments}
            except KeyError as missing:
                done.skipped[rule.endpoint] = f"no value for <{missing.args[0]}>"
                continue
            with app.test_request_context():
                path = url_for(rule.endpoint, **args)
            response = client.get(path)
            assert response.status_code < 500, (role, path, response.get_data(as_text=True)[:800])
            if response.status_code != 200:
                continue  # refused, not found for this role, or a redirect
            got = _nodes(response, tmp)
            if got is None:
                done.skipped.setdefault(rule.endpoint, f"answers {response.mimetype}")
                continue
            kind, nodes = got
            done.rendered[rule.endpoint].add(role)
            (done.pages if kind == "page" else done.files)[role] += 1
            target = done.elsewhere if _owner(rule.endpoint) else done.problems
            for problem in checker.problems(nodes, english=lang == "en"):
                target[problem].add(f"{role} {path}")
    return done


def _words(names: set[str]) -> re.Pattern:
    names = sorted((n for n in names if n), key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)" if names else r"(?!)"
    )


def _checker(app, people, world: World) -> Checker:
    from catalog.models import Capability, Concept, Event, Need

    fragments, vietnamese = _catalogue()
    with app.app_context():
        session = db.session
        codes = {p.code for p in session.scalars(select(Province))}
        data = set()
        for firm in session.scalars(select(Firm)):
            data |= {firm.name_vi, firm.name_en, firm.display_name, firm.contact_name,
                     firm.address, firm.description}  # fmt: skip
        for cap in session.scalars(select(Capability)):
            data |= {cap.title, cap.description}
        for need in session.scalars(select(Need)):
            data |= {need.title, need.description}
        data |= {e.name for e in session.scalars(select(Event))}
        data |= {e.venue for e in session.scalars(select(Event))}
        data |= {u.name for u in session.scalars(select(User))}
        data |= {z.name for z in session.scalars(select(IndustrialZone))}  # proper names
        concepts = list(session.scalars(select(Concept)))
        # Certification standards are proper names, the same in both languages.
        data |= {n for c in concepts if c.kind == "certification" for n in (c.name_en, c.name_vi)}
        # Certification standards keep their proper names ("Better Cotton", "BSCI") in
        # both languages, as do names the Vietnamese one contains ("Nhựa ASA").
        english = {
            c.name_en
            for c in concepts
            if c.name_en
            and c.kind != "certification"
            and c.name_en not in c.name_vi
            and re.search(r"[a-z]{3}", c.name_en)
        }
        native = {
            c.name_vi
            for c in concepts
            if c.name_vi != c.name_en and len(c.name_vi.split()) >= 2 and not c.name_vi.isascii()
        }
        session.remove()
    return Checker(
        fragments, vietnamese, codes, {d for d in data if d}, _words(english), _words(native)
    )


def _report(title: str, found: dict[str, set[str]]) -> str:
    lines = [title]
    for problem, where in sorted(found.items()):
        lines.append(f"  {problem}\n      at {', '.join(sorted(where)[:4])}")
    return "\n".join(lines)


def _mail_problems(app, world: World, checker: Checker, data_dir: Path) -> tuple[int, dict]:
    outbox = data_dir / "outbox"
    found: dict[str, set[str]] = defaultdict(set)
    with app.app_context():
        vietnamese = {
            u.email for u in db.session.scalars(select(User)) if (u.locale or "vi") == "vi"
        }
        db.session.remove()
    read = 0
    for path in sorted(set(outbox.glob("*.eml")) - world.outbox_before) if outbox.exists() else []:
        to, nodes = mail_nodes(path)
        if to not in vietnamese:
            continue
        read += 1
        for problem in checker.problems(nodes, english=False):
            found[problem].add(f"mail to {to}: {nodes[0]}")
    return read, found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_vietnamese_pages_and_files_show_no_english_and_no_internal_ids(
    app, people, world, data_dir, tmp_path
):
    checker = _checker(app, people, world)
    done = walk(app, people, world, checker, "vi", tmp_path)
    mails, mail_found = _mail_problems(app, world, checker, data_dir)
    for problem, where in mail_found.items():
        done.problems[problem] |= where

    routes = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in NOT_TEXT and not r.endpoint.startswith("api.")
    }
    unrendered = sorted(routes - set(done.rendered))
    print(f"\nrendered {len(done.rendered)} of {len(routes)} GET routes in Vietnamese")
    for role in ROLES:
        print(f"  {role}: {done.pages[role]} pages, {done.files[role]} files")
    print(f"  mails to Vietnamese readers: {mails}")
    print(
        "not rendered by any role: "
        + ", ".join(
            f"{e} ({done.skipped.get(e, 'refused or redirected for every role')})"
            for e in unrendered
        )
    )
    if done.elsewhere:
        print(_report("owned by other parts (not failing here):", done.elsewhere))
    assert len(done.rendered) >= MIN_COVERAGE * len(routes), unrendered
    assert mails > 0, "no mail to a Vietnamese reader was written"
    assert not done.problems, _report(
        "English or internal identifiers on Vietnamese pages:", done.problems
    )


def test_english_pages_show_no_internal_ids(app, people, world, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    checker = _checker(app, people, world)
    done = walk(app, people, world, checker, "en", tmp_path)
    for role in ROLES:
        print(f"  {role}: {done.pages[role]} pages, {done.files[role]} files (English)")
    assert not done.problems, _report("internal identifiers on English pages:", done.problems)


def test_the_checker_finds_what_it_looks_for(app, people, world):
    """The walker's eyes, on known bad and good texts (so a blind checker cannot pass)."""
    checker = _checker(app, people, world)
    bad = [
        "Công nghệ process.aluminium_die_casting: đúng năng lực này",
        "approved",
        "introduced: 1",
        "seeds/004_3d70e0ce932b7b1b.txt",
        "<Firm 12>",
        "{'a': 1}",
        sorted(checker.province_codes)[0],  # a bare code where a name belongs
        "follow_up",
    ]
    for text in bad:
        assert checker.problems([text], english=False), text
    # A message with no record's text in it: the checker cuts data out before it looks,
    # and records made by other tests (a user called "Supplier") may be anywhere.
    english_message = next(
        fragment
        for fragment in checker.fragments[len(checker.fragments) // 2 :]
        if not any(len(text) >= 4 and text in fragment for text in checker.data_texts)
    )
    assert checker.problems([english_message], english=False)
    good = ["ISO 9001", "Chứng nhận IATF 16949", "Phay CNC 5 trục, 120 kg", "officer@people.test",
            "KetNoi", "Vĩnh Phúc", "Đã duyệt"]  # fmt: skip
    for text in good:
        assert not checker.problems([text], english=False), text
