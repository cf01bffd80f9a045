"""The authorisation matrix: every role against every route and method.

Each (endpoint, method) of the app has a row here saying which roles are allowed; the
others must be refused (401/403, or a redirect to sign-in for anonymous visitors on
pages). A route added without a row fails ``test_every_route_has_a_row``. The expected
role sets are written out literally here, independently of the rules in the code.

Targets (see ``tests.conftest.People``): the supplier's firm and the buyer's firm are
in Vĩnh Phúc, where ``officer`` works; ``other_supplier`` and ``other_officer`` are in
Bắc Ninh. The need is the buyer's, visible to officers only. Anything a request could
destroy (a capability, a firm, a token, an account) is created fresh for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import current_app, url_for

from catalog import (
    accounts,
    claims,
    events,
    introductions,
    photos,
    relationships,
    services,
    verification,
)
from catalog.files import Upload
from catalog.models import Event, EventStatus, Firm, Need, NeedPhoto, User
from jobs.sync import index_sync_paused
from tests.conftest import ROLES, fresh_tax_code
from tests.factories import png_bytes
from webapp.extensions import db

ALL = frozenset(ROLES)
SIGNED_IN = ALL - {"anonymous"}
STAFF = frozenset({"officer", "other_officer", "admin"})
FIRM_EDITORS = frozenset({"supplier", "officer", "admin"})  # supplier's firm, in VP
NEED_MANAGERS = frozenset({"buyer", "officer", "admin"})  # buyer's need, in VP
# The need is for officers only, but the supplier was asked for an introduction about it.
NEED_READERS = NEED_MANAGERS | {"supplier"}
OFFICERS_HERE = frozenset({"officer", "admin"})
BUYERS_AND_STAFF = frozenset({"buyer"}) | STAFF
SUPPLIER_ONLY = frozenset({"supplier"})
FIRM_USERS = frozenset({"supplier", "other_supplier", "buyer"})


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    args: Callable[[dict], dict] = lambda t: {}
    body: Callable[[dict], dict] = lambda t: {}


def _firm(t):
    return {"firm_id": t["firm"]}


def _cap(t):
    return {"cap_id": t["cap"]}


def _cert(t):
    return {"cert_id": t["cert"]}


def _need(t):
    return {"need_id": t["need"]}


def _event(t):
    return {"event_id": t["event"]}


def _supplier_body(t):
    return {"firm_id": t["firm"]}


MATRIX: dict[tuple[str, str], Row] = {
    # public pages
    ("main.home", "GET"): Row(ALL),
    ("main.healthz", "GET"): Row(ALL),
    ("directory.index", "GET"): Row(ALL),
    ("directory.show", "GET"): Row(ALL, _firm),
    ("needs.index", "GET"): Row(ALL),
    ("needs.export", "GET"): Row(ALL, lambda t: {"fmt": "csv"}),
    ("directory.export", "GET"): Row(ALL, lambda t: {"fmt": "xlsx"}),
    ("i18n.switch", "GET"): Row(ALL, lambda t: {"code": "en"}),
    ("accounts.login", "GET"): Row(ALL),
    ("accounts.login", "POST"): Row(ALL),
    ("accounts.register", "GET"): Row(ALL),
    ("accounts.register", "POST"): Row(ALL),
    ("accounts.reset_request", "GET"): Row(ALL),
    ("accounts.reset_request", "POST"): Row(ALL),
    ("accounts.reset", "GET"): Row(ALL, lambda t: {"token": "not-a-token"}),
    ("accounts.reset", "POST"): Row(ALL, lambda t: {"token": "not-a-token"}),
    # one's own account
    ("accounts.show", "GET"): Row(SIGNED_IN),
    ("accounts.logout", "POST"): Row(SIGNED_IN),
    ("accounts.create_token", "POST"): Row(SIGNED_IN),
    ("accounts.invite_colleague", "POST"): Row(FIRM_USERS),
    ("accounts.revoke_token", "POST"): Row(SUPPLIER_ONLY, lambda t: {"token_id": t["token"]}),
    ("accounts.password", "GET"): Row(SIGNED_IN),
    ("accounts.password", "POST"): Row(SIGNED_IN),
    ("accounts.login_code", "GET"): Row(ALL),
    ("accounts.login_code", "POST"): Row(ALL),
    ("accounts.two_factor", "GET"): Row(STAFF),
    ("accounts.two_factor", "POST"): Row(STAFF),
    ("accounts.disable_two_factor", "POST"): Row(STAFF),
    ("introductions.index", "GET"): Row(SIGNED_IN),
    ("introductions.decide", "POST"): Row(
        SUPPLIER_ONLY, lambda t: {"intro_id": t["intro"], "decision": "accept"}
    ),
    # firms
    ("firms.create", "GET"): Row(STAFF),
    ("firms.create", "POST"): Row(STAFF),
    ("firms.edit", "GET"): Row(FIRM_EDITORS, _firm),
    ("firms.edit", "POST"): Row(FIRM_EDITORS, _firm),
    ("firms.add_capability", "GET"): Row(FIRM_EDITORS, _firm),
    ("firms.add_capability", "POST"): Row(FIRM_EDITORS, _firm),
    ("firms.edit_capability", "GET"): Row(FIRM_EDITORS, _cap),
    ("firms.edit_capability", "POST"): Row(FIRM_EDITORS, _cap),
    ("firms.delete_capability", "POST"): Row(FIRM_EDITORS, _cap),
    ("firms.add_certification", "GET"): Row(FIRM_EDITORS, _firm),
    ("firms.add_certification", "POST"): Row(FIRM_EDITORS, _firm),
    ("firms.delete_certification", "POST"): Row(FIRM_EDITORS, _cert),
    ("firms.verify", "POST"): Row(OFFICERS_HERE, _firm),
    ("firms.add_relationship", "POST"): Row(FIRM_EDITORS, _firm),
    ("firms.delete_relationship", "POST"): Row(FIRM_EDITORS, lambda t: {"link_id": t["link"]}),
    ("firms.delete", "POST"): Row(OFFICERS_HERE, lambda t: {"firm_id": t["spare_firm"]}),
    # the programme dashboard and reports (unknown jobs are 404 for staff)
    ("dashboard.index", "GET"): Row(STAFF),
    ("dashboard.chart", "GET"): Row(STAFF, lambda t: {"name": "verification"}),
    ("dashboard.create_report", "POST"): Row(STAFF),
    ("dashboard.report_status", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("dashboard.report_file", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job", "fmt": "pdf"}),
    # events: the event is in Vĩnh Phúc, open; the buyer asked the supplier for a meeting
    ("events.index", "GET"): Row(ALL),
    ("events.create", "GET"): Row(STAFF),
    ("events.create", "POST"): Row(STAFF),
    ("events.show", "GET"): Row(ALL, _event),
    ("events.edit", "GET"): Row(OFFICERS_HERE, _event),
    ("events.edit", "POST"): Row(OFFICERS_HERE, _event),
    ("events.set_status", "POST"): Row(OFFICERS_HERE, _event, lambda t: {"status": "closed"}),
    ("events.register", "POST"): Row(FIRM_USERS, _event),
    ("events.decide", "POST"): Row(
        OFFICERS_HERE, lambda t: {"reg_id": t["supplier_reg"]}, lambda t: {"decision": "approve"}
    ),
    ("events.send_request", "POST"): Row(
        FIRM_USERS, _event, lambda t: {"receiver": t["buyer_reg"], "priority": "2"}
    ),
    ("events.answer", "POST"): Row(
        SUPPLIER_ONLY, lambda t: {"req_id": t["meeting_request"]}, lambda t: {"decision": "accept"}
    ),
    ("events.schedule", "GET"): Row(OFFICERS_HERE, _event),
    ("events.solve", "POST"): Row(OFFICERS_HERE, _event, lambda t: {"time_limit": "5"}),
    ("events.solve_status", "GET"): Row(
        OFFICERS_HERE, lambda t: {"event_id": t["event"], "job_id": "no-such-job"}
    ),
    ("events.add_meeting", "POST"): Row(
        OFFICERS_HERE,
        _event,
        lambda t: {"buyer": t["buyer_reg"], "supplier": t["supplier_reg"]},
    ),
    ("events.move", "POST"): Row(
        OFFICERS_HERE,
        lambda t: {"meeting_id": t["meeting"]},
        lambda t: {"slot": "1", "table": "1", "action": "move"},
    ),
    ("events.schedule_export", "GET"): Row(OFFICERS_HERE, _event),
    ("events.table_sheets", "GET"): Row(OFFICERS_HERE, _event),
    ("events.agenda", "GET"): Row(FIRM_EDITORS, lambda t: {"reg_id": t["supplier_reg"]}),
    ("events.agenda_document", "GET"): Row(FIRM_EDITORS, lambda t: {"reg_id": t["supplier_reg"]}),
    ("events.agenda_calendar", "GET"): Row(FIRM_EDITORS, lambda t: {"reg_id": t["supplier_reg"]}),
    ("events.attendance", "POST"): Row(
        OFFICERS_HERE, lambda t: {"reg_id": t["supplier_reg"]}, lambda t: {"present": "1"}
    ),
    ("events.outcome", "POST"): Row(
        OFFICERS_HERE, lambda t: {"meeting_id": t["meeting"]}, lambda t: {"outcome": "follow_up"}
    ),
    # a supplier's opportunities and gaps: its own users and its province's officers
    ("opportunities.mine", "GET"): Row(FIRM_USERS),
    ("opportunities.show", "GET"): Row(FIRM_EDITORS, _firm),
    # officers' checks of declared capabilities; evidence for the firm and its officers
    ("verifications.create", "GET"): Row(OFFICERS_HERE, _firm),
    ("verifications.create", "POST"): Row(
        OFFICERS_HERE,
        _firm,
        lambda t: {
            "item": f"capability:{t['cap']}",
            "method": "documents",
            "result": "confirmed",
            "checked_on": "2026-01-05",
        },
    ),
    ("verifications.delete", "POST"): Row(OFFICERS_HERE, lambda t: {"check_id": t["check"]}),
    ("verifications.evidence", "GET"): Row(FIRM_EDITORS, lambda t: {"evidence_id": t["evidence"]}),
    # needs
    ("needs.create", "GET"): Row(BUYERS_AND_STAFF),
    ("needs.create", "POST"): Row(BUYERS_AND_STAFF),
    ("needs.show", "GET"): Row(NEED_READERS, _need),
    ("needs.edit", "GET"): Row(NEED_MANAGERS, _need),
    ("needs.edit", "POST"): Row(NEED_MANAGERS, _need),
    ("needs.shortlist_add", "POST"): Row(NEED_MANAGERS, _need, _supplier_body),
    ("needs.shortlist_remove", "POST"): Row(
        NEED_MANAGERS, lambda t: {"need_id": t["need"], "firm_id": t["firm"]}
    ),
    ("needs.shortlist_export", "GET"): Row(
        NEED_MANAGERS, lambda t: {"need_id": t["need"], "fmt": "csv"}
    ),
    ("needs.matches_export", "GET"): Row(
        NEED_MANAGERS, lambda t: {"need_id": t["need"], "fmt": "xlsx"}
    ),
    ("needs.record_outcome", "POST"): Row(
        NEED_MANAGERS, _need, lambda t: {"firm_id": t["firm"], "outcome": "rejected"}
    ),
    ("needs.request_introduction", "POST"): Row(NEED_MANAGERS, _need, _supplier_body),
    ("needs.invite", "POST"): Row(NEED_MANAGERS, _need, _supplier_body),
    ("needs.add_photos", "POST"): Row(NEED_MANAGERS, _need),
    ("needs.photo", "GET"): Row(NEED_READERS, lambda t: {"photo_id": t["photo"]}),
    ("needs.delete_photo", "POST"): Row(NEED_MANAGERS, lambda t: {"photo_id": t["photo"]}),
    # imports (officers and admins; unknown uploads and jobs are 404 for them)
    ("imports.upload", "GET"): Row(STAFF),
    ("imports.upload", "POST"): Row(STAFF),
    ("imports.preview", "GET"): Row(STAFF, lambda t: {"token": "0" * 32}),
    ("imports.preview", "POST"): Row(STAFF, lambda t: {"token": "0" * 32}),
    ("imports.job", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("imports.job_status", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("imports.job_errors", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    # administration
    ("admin.users", "GET"): Row(STAFF),
    ("admin.create_user", "POST"): Row(STAFF),
    ("admin.update_user", "POST"): Row(OFFICERS_HERE, lambda t: {"user_id": t["user"]}),
    ("admin.edit_user", "GET"): Row(OFFICERS_HERE, lambda t: {"user_id": t["user"]}),
    ("admin.edit_user", "POST"): Row(OFFICERS_HERE, lambda t: {"user_id": t["user"]}),
    ("admin.audit", "GET"): Row(STAFF),
    # claims on firms (a claim on the supplier's firm, in VP; none of the roles is a
    # firm user without a firm, the only one who may file a claim)
    ("claims.mine", "GET"): Row(SIGNED_IN),
    ("claims.file_claim", "POST"): Row(frozenset(), body=lambda t: {"tax_code": t["tax_code"]}),
    ("claims.index", "GET"): Row(STAFF),
    ("claims.show", "GET"): Row(OFFICERS_HERE, lambda t: {"claim_id": t["claim"]}),
    ("claims.decide", "POST"): Row(
        OFFICERS_HERE,
        lambda t: {"claim_id": t["claim"]},
        lambda t: {"decision": "reject", "reason": "Không phải người của doanh nghiệp"},
    ),
    # API
    ("api.openapi", "GET"): Row(ALL),
    ("api.list_firms", "GET"): Row(ALL),
    ("api.get_firm", "GET"): Row(ALL, _firm),
    ("api.list_capabilities", "GET"): Row(ALL, _firm),
    ("api.get_capability", "GET"): Row(ALL, _cap),
    ("api.list_needs", "GET"): Row(ALL),
    ("api.create_firm", "POST"): Row(STAFF),
    ("api.update_firm", "PATCH"): Row(FIRM_EDITORS, _firm),
    ("api.delete_firm", "DELETE"): Row(OFFICERS_HERE, lambda t: {"firm_id": t["spare_firm"]}),
    ("api.create_capability", "POST"): Row(FIRM_EDITORS, _firm),
    ("api.update_capability", "PATCH"): Row(FIRM_EDITORS, _cap),
    ("api.delete_capability", "DELETE"): Row(FIRM_EDITORS, _cap),
    ("api.create_certification", "POST"): Row(FIRM_EDITORS, _firm),
    ("api.delete_certification", "DELETE"): Row(FIRM_EDITORS, _cert),
    ("api.create_need", "POST"): Row(BUYERS_AND_STAFF),
    ("api.get_need", "GET"): Row(NEED_READERS, _need),
    ("api.update_need", "PATCH"): Row(NEED_MANAGERS, _need),
    ("api.need_matches", "GET"): Row(NEED_MANAGERS, _need),
    ("api.record_outcome", "POST"): Row(
        NEED_MANAGERS, _need, lambda t: {"firm_id": t["firm"], "outcome": "rejected"}
    ),
    ("api.create_introduction", "POST"): Row(NEED_MANAGERS, _need, _supplier_body),
    ("api.list_introductions", "GET"): Row(SIGNED_IN),
    ("api.decide", "POST"): Row(
        SUPPLIER_ONLY, lambda t: {"intro_id": t["intro"], "decision": "decline"}
    ),
    ("api.adhoc_matches", "POST"): Row(SIGNED_IN),
}

CASES = [(endpoint, method, role) for (endpoint, method) in MATRIX for role in ROLES]


def _routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    routes = _routes(app)
    assert routes - set(MATRIX) == set(), "routes without a row in the access matrix"
    assert set(MATRIX) - routes == set(), "rows for routes that no longer exist"


def test_every_view_declares_a_rule(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "access_rule", None) is None
    ]
    assert missing == []


@pytest.fixture(scope="module")
def shared(app, people) -> dict:
    """Targets that requests do not destroy: one need (officers only), the supplier's
    firm and, on it, a capability and a certification for reading."""
    with app.app_context(), index_sync_paused(db.session):
        buyer = db.session.get(Firm, people.firms["buyer"])
        need = services.create_need(
            db.session, buyer, {"title": "Vỏ nhựa ABS cho bộ sạc", "visibility": "officers"}
        )
        return {"need": need.id, "firm": people.firms["supplier"]}


def _fresh_targets(people, shared: dict) -> dict:
    """Per request: things a request may delete or change for good."""
    session = db.session
    with index_sync_paused(session):
        supplier = session.get(Firm, people.firms["supplier"])
        cap = services.add_capability(session, supplier, {"title": "Dập thép tấm SPCC"})
        cert = services.add_certification(session, supplier, {"standard": "ISO 9001"})
        spare = services.create_firm(
            session,
            {
                "role": "supplier",
                "name_vi": "Xưởng Dự Phòng",
                "tax_code": fresh_tax_code(),
                "province": "VP",
            },
        )
        need = session.get(Need, shared["need"])
        intro = introductions.request_introduction(session, need, supplier, None)
        if intro.status.value != "requested":  # answered by an earlier request: ask anew
            session.delete(intro)
            session.commit()
            intro = introductions.request_introduction(session, need, supplier, None)
        link = relationships.declare(
            session, supplier, session.get(Firm, people.firms["buyer"]), {"tier": 1}
        )
        member = accounts.create_user(
            session, f"member-{fresh_tax_code()}@people.test", None, firm=supplier
        )
        claimant = accounts.create_user(
            session, f"claimant-{fresh_tax_code()}@people.test", None, firm=supplier
        )
        claimant.firm = None
        claim = claims.file_claim(session, claimant, supplier, "Tôi là giám đốc")
        token, _plain = accounts.issue_api_token(
            session, session.get(User, people.users["supplier"]), "matrix"
        )
        check = verification.record(
            session,
            supplier,
            cap,
            {"method": "site_visit", "result": "confirmed", "checked_on": "2026-01-05"},
            officer=None,
            uploads=[verification.Upload("visit.pdf", b"%PDF-1.4 site visit\n%%EOF\n")],
            evidence_root=Path(current_app.config["DATA_DIR"]) / "uploads" / "evidence",
        )
        need = session.get(Need, shared["need"])
        (photo,) = photos.add_photos(
            session,
            need,
            [Upload("part.png", png_bytes())],
            Path(current_app.config["DATA_DIR"]) / "uploads" / "photos",
        )
        event = events.create_event(
            session,
            {
                "name": "Ngày kết nối thử quyền",
                "mode": "matchmaking",
                "starts_on": "2027-03-02",
                "day_start": "09:00",
                "day_end": "11:00",
                "meeting_minutes": "20",
                "tables": "3",
            },
            session.get(Firm, people.firms["buyer"]).province,
            None,
        )
        events.set_status(session, event, EventStatus.OPEN)
        buyer_reg = events.register(session, event, session.get(Firm, people.firms["buyer"]))
        supplier_reg = events.register(session, event, supplier)
        asked = events.request_meeting(session, buyer_reg, supplier_reg, priority=3)
        meeting = events.add_meeting(session, buyer_reg, supplier_reg)
        return {
            **shared,
            "event": event.id,
            "photo": photo.id,
            "buyer_reg": buyer_reg.id,
            "supplier_reg": supplier_reg.id,
            "meeting_request": asked.id,
            "meeting": meeting.id,
            "cap": cap.id,
            "cert": cert.id,
            "spare_firm": spare.id,
            "intro": intro.id,
            "user": member.id,
            "claimant": claimant.id,
            "claim": claim.id,
            "tax_code": supplier.tax_code,
            "token": token.id,
            "link": link.id,
            "check": check.id,
            "evidence": check.evidence[0].id,
        }


def _clean_up(app, targets: dict) -> None:
    """Remove what ``_fresh_targets`` made, so the supplier's firm stays small."""
    from catalog.models import ApiToken, Capability, Certification

    with app.app_context(), index_sync_paused(db.session):
        for model, key in (
            (Capability, "cap"),
            (Certification, "cert"),
            (Firm, "spare_firm"),
            (User, "user"),
            (User, "claimant"),
            (ApiToken, "token"),
            (Event, "event"),
            (NeedPhoto, "photo"),
        ):
            obj = db.session.get(model, targets[key])
            if obj is not None:
                db.session.delete(obj)
        db.session.commit()
        db.session.remove()


def _refused(response, role: str, api: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return (
        role == "anonymous"
        and not api
        and response.status_code == 302
        and "/account/login?next=" in location
    )


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_access(app, people, shared, client_as, api_as, endpoint, method, role):
    row = MATRIX[(endpoint, method)]
    api = endpoint.startswith("api.")
    with app.app_context():
        targets = _fresh_targets(people, shared)
        with app.test_request_context():
            path = url_for(endpoint, **row.args(targets))
        db.session.remove()
    client = api_as(role) if api else client_as(role)
    body = row.body(targets)
    if api:
        response = client.open(path, method=method, json=body if method != "GET" else None)
    else:
        response = client.open(path, method=method, data=body if method != "GET" else None)
    _clean_up(app, targets)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    refused = _refused(response, role, api)
    if role in row.allowed:
        assert not refused, f"{role} refused {method} {path}: {response.status_code}"
    else:
        assert refused, f"{role} allowed {method} {path}: {response.status_code}"
