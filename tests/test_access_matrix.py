"""The authorisation matrix: every role against every rule, route and method.

Two tables, each written out literally here, independently of the rules in the code:

- ``ACCESS``: every rule of ``catalog.access`` asked directly, role × action × record
  (no request, no commit). A rule added without a row fails ``test_every_rule_has_a_row``.
- ``MATRIX``: each (endpoint, method) of the app says which roles are allowed; the
  others must be refused (401/403, or a redirect to sign-in for anonymous visitors on
  pages). One HTTP sweep makes every request. A route added without a row fails
  ``test_every_route_has_a_row``.

Targets (see ``tests.conftest.People``): the supplier's firm and the buyer's firm are
in Vĩnh Phúc, where ``officer`` works; ``other_supplier`` and ``other_officer`` are in
Bắc Ninh. The need is the buyer's, visible to officers only. Anything a request could
destroy (a capability, a firm, a token, an account) is made once for the module and made
again only after a request changed it (``Targets``), so each request meets it as made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import current_app, url_for
from sqlalchemy import inspect as sa_inspect

from catalog import (
    access,
    accounts,
    claims,
    events,
    introductions,
    photos,
    relationships,
    services,
    verification,
)
from catalog.access.visibility import ALL_NEEDS
from catalog.deals import pipeline
from catalog.files import Upload
from catalog.models import (
    ApiToken,
    Capability,
    Certification,
    Deal,
    DealFile,
    DealMessage,
    Event,
    EventStatus,
    EvidenceFile,
    Firm,
    FirmClaim,
    Introduction,
    IntroductionStatus,
    Meeting,
    MeetingRequest,
    Need,
    NeedPhoto,
    Notification,
    Programme,
    Quote,
    QuoteRequest,
    QuoteRequestRecipient,
    Registration,
    Side,
    Stage,
    SupplyRelationship,
    SupportApplication,
    SupportFile,
    SupportLine,
    User,
    Verification,
    utcnow,
)
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
DEAL_SIDES = frozenset({"supplier", "buyer"})
APPLICATION_READERS = frozenset({"supplier", "officer", "admin"})  # supplier's, in VP


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


def _deal(t):
    return {"deal_id": t["deal"]}


def _quote(t):
    return {"quote_id": t["quote"]}


def _recipient(t):
    return {"recipient_id": t["recipient"]}


def _programme(t):
    return {"programme_id": t["programme"]}


def _line(t):
    return {"line_id": t["line"]}


def _application(t):
    return {"application_id": t["application"]}


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
    ("needs.understood", "POST"): Row(NEED_MANAGERS, _need, lambda t: {"dismiss": "cert:UL"}),
    ("needs.add_photos", "POST"): Row(NEED_MANAGERS, _need),
    ("needs.photo", "GET"): Row(NEED_READERS, lambda t: {"photo_id": t["photo"]}),
    ("needs.delete_photo", "POST"): Row(NEED_MANAGERS, lambda t: {"photo_id": t["photo"]}),
    # deals: the supplier's deal on the buyer's need (readable by the supplier: it was
    # asked for an introduction), with a message and its file, a quote, a drawing of the
    # need and a request for quotation; officers open a deal only once asked in
    ("deals.index", "GET"): Row(SIGNED_IN),
    ("deals.answer", "GET"): Row(SUPPLIER_ONLY, _need),
    ("deals.answer", "POST"): Row(SUPPLIER_ONLY, _need, lambda t: {"body": "Chúng tôi làm được"}),
    ("deals.show", "GET"): Row(DEAL_SIDES, _deal),
    ("deals.post_message", "POST"): Row(DEAL_SIDES, _deal, lambda t: {"body": "Xin báo giá"}),
    ("deals.ask_officers", "POST"): Row(DEAL_SIDES, _deal),
    ("deals.withdraw_quote", "POST"): Row(SUPPLIER_ONLY, _quote),
    ("deals.file", "GET"): Row(DEAL_SIDES, lambda t: {"file_id": t["deal_file"]}),
    ("deals.compare", "GET"): Row(NEED_MANAGERS, _need),
    ("deals.compare_export", "GET"): Row(NEED_MANAGERS, _need),
    ("deals.request_quotes", "GET"): Row(NEED_MANAGERS, _need),
    ("deals.request_quotes", "POST"): Row(NEED_MANAGERS, _need),
    ("deals.quote_shortlist", "POST"): Row(NEED_MANAGERS, _quote),
    ("deals.quote_decline", "POST"): Row(NEED_MANAGERS, _quote, lambda t: {"reason": "price"}),
    ("deals.request_nda", "GET"): Row(SUPPLIER_ONLY, _recipient),
    ("deals.request_nda", "POST"): Row(SUPPLIER_ONLY, _recipient),
    ("deals.record_stage", "POST"): Row(NEED_MANAGERS, _deal, lambda t: {"stage": "met"}),
    ("deals.record_order", "POST"): Row(NEED_MANAGERS, _deal),
    ("deals.close", "POST"): Row(NEED_MANAGERS, _deal, lambda t: {"reason": "price"}),
    ("deals.rate", "POST"): Row(NEED_MANAGERS, _deal),
    ("deals.follow", "POST"): Row(
        NEED_MANAGERS, lambda t: {"need_id": t["need"], "firm_id": t["firm"]}
    ),
    # imports (officers and admins; unknown uploads and jobs are 404 for them)
    ("imports.upload", "GET"): Row(STAFF),
    ("imports.upload", "POST"): Row(STAFF),
    ("imports.preview", "GET"): Row(STAFF, lambda t: {"token": "0" * 32}),
    ("imports.preview", "POST"): Row(STAFF, lambda t: {"token": "0" * 32}),
    ("imports.job", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("imports.job_status", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("imports.job_errors", "GET"): Row(STAFF, lambda t: {"job_id": "no-such-job"}),
    ("imports.history", "GET"): Row(STAFF),
    ("imports.template", "GET"): Row(STAFF),
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
    # notifications (one for the supplier's user), consent recorded by officers and
    # claim invitations (the supplier's firm has users: consent and an unconfirmed
    # invitation are refused there with 422, after the rule let the officers through)
    ("notifications.index", "GET"): Row(SIGNED_IN),
    ("notifications.open", "GET"): Row(SUPPLIER_ONLY, lambda t: {"notification_id": t["note"]}),
    ("notifications.mark_read", "POST"): Row(
        SUPPLIER_ONLY, lambda t: {"notification_id": t["note"]}
    ),
    ("notifications.mark_all_read", "POST"): Row(SIGNED_IN),
    ("notifications.preference", "POST"): Row(SIGNED_IN, body=lambda t: {"mail_mode": "immediate"}),
    ("notifications.consent_form", "GET"): Row(OFFICERS_HERE, lambda t: {"intro_id": t["intro"]}),
    ("notifications.record_consent", "POST"): Row(
        OFFICERS_HERE,
        lambda t: {"intro_id": t["intro"]},
        lambda t: {"consent_by": "Chị Hoa", "consent_method": "phone"},
    ),
    ("notifications.invite_form", "GET"): Row(OFFICERS_HERE, _firm),
    ("notifications.invite", "POST"): Row(
        OFFICERS_HERE, _firm, lambda t: {"email": "moi.nhan@xuong.test"}
    ),
    ("notifications.accept_invitation", "GET"): Row(ALL, lambda t: {"token": "not-a-token"}),
    ("notifications.accept_invitation", "POST"): Row(ALL, lambda t: {"token": "not-a-token"}),
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
    ("api.deals_list", "GET"): Row(SIGNED_IN),
    ("api.deal_show", "GET"): Row(DEAL_SIDES, _deal),
    ("api.deal_answer", "POST"): Row(SUPPLIER_ONLY, _need, lambda t: {"message": "Làm được"}),
    ("api.deal_post_message", "POST"): Row(DEAL_SIDES, _deal, lambda t: {"body": "Xin chào"}),
    ("api.deal_file", "GET"): Row(DEAL_SIDES, lambda t: {"file_id": t["deal_file"]}),
    ("api.quotes_compare", "GET"): Row(NEED_MANAGERS, _need),
    ("api.quotes_shortlist", "POST"): Row(NEED_MANAGERS, _quote),
    ("api.quotes_decline", "POST"): Row(NEED_MANAGERS, _quote, lambda t: {"reason": "price"}),
    ("api.rfq_create", "POST"): Row(NEED_MANAGERS, _need, lambda t: {"firm_ids": [t["firm"]]}),
    ("api.rfq_accept_nda", "POST"): Row(SUPPLIER_ONLY, _recipient),
    ("api.pipeline_stage", "POST"): Row(NEED_MANAGERS, _deal, lambda t: {"stage": "met"}),
    ("api.pipeline_order", "POST"): Row(NEED_MANAGERS, _deal),
    ("api.pipeline_close", "POST"): Row(NEED_MANAGERS, _deal, lambda t: {"reason": "price"}),
    ("api.pipeline_rate", "POST"): Row(NEED_MANAGERS, _deal),
    ("api.pipeline_firm_rating", "GET"): Row(ALL, _firm),
    # the funnel: an officer without a province named gets their own provinces' figures
    ("api.funnel_show", "GET"): Row(STAFF),
    # support programmes: Phú Thọ's (the officer's), an open line, the supplier's
    # application with its file; forms posted empty are refused by validation, not rules
    ("programmes.index", "GET"): Row(ALL),
    ("programmes.new", "GET"): Row(STAFF),
    ("programmes.new", "POST"): Row(STAFF),
    ("programmes.show", "GET"): Row(ALL, _programme),
    ("programmes.new_line", "GET"): Row(OFFICERS_HERE, _programme),
    ("programmes.new_line", "POST"): Row(OFFICERS_HERE, _programme),
    ("programmes.edit_line", "GET"): Row(OFFICERS_HERE, _line),
    ("programmes.edit_line", "POST"): Row(OFFICERS_HERE, _line),
    ("programmes.apply", "GET"): Row(FIRM_USERS, _line),
    ("programmes.apply", "POST"): Row(FIRM_USERS, _line),
    ("programmes.given", "GET"): Row(OFFICERS_HERE, _line),
    ("programmes.given", "POST"): Row(OFFICERS_HERE, _line),
    ("programmes.applications_list", "GET"): Row(SIGNED_IN),
    ("programmes.application", "GET"): Row(APPLICATION_READERS, _application),
    ("programmes.decide", "POST"): Row(OFFICERS_HERE, _application),
    ("programmes.disburse", "POST"): Row(OFFICERS_HERE, _application),
    ("programmes.complete", "POST"): Row(OFFICERS_HERE, _application),
    ("programmes.withdraw", "POST"): Row(SUPPLIER_ONLY, _application),
    ("programmes.file", "GET"): Row(APPLICATION_READERS, lambda t: {"file_id": t["support_file"]}),
    ("programmes.candidates", "GET"): Row(STAFF),
    ("api.programmes_list", "GET"): Row(ALL),
    ("api.programme_show", "GET"): Row(ALL, _programme),
    ("api.programme_create", "POST"): Row(STAFF),
    ("api.programme_line_create", "POST"): Row(OFFICERS_HERE, _programme),
    ("api.support_line_update", "PUT"): Row(OFFICERS_HERE, _line),
    ("api.support_apply", "POST"): Row(FIRM_USERS, _line),
    ("api.support_given", "POST"): Row(OFFICERS_HERE, _line),
    ("api.support_applications_list", "GET"): Row(SIGNED_IN),
    ("api.support_application_show", "GET"): Row(APPLICATION_READERS, _application),
    ("api.support_decision", "POST"): Row(OFFICERS_HERE, _application),
    ("api.support_disburse", "POST"): Row(OFFICERS_HERE, _application),
    ("api.support_complete", "POST"): Row(OFFICERS_HERE, _application),
    ("api.support_withdraw", "POST"): Row(SUPPLIER_ONLY, _application),
    ("api.support_file", "GET"): Row(APPLICATION_READERS, lambda t: {"file_id": t["support_file"]}),
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


# --- The rules as a table: role × action × record, asked of ``catalog.access`` -------
#
# No request and no commit: the records are the sweep's shared targets (below) and the
# people of ``tests.conftest``, loaded once; each row asks ``access.can`` for every role.
# A row's record is the target of that name; ``None`` for actions that take no record.

FIRM_HERE = frozenset({"other_supplier", "other_officer", "admin"})  # other_supplier's, BN

ACCESS: dict[tuple[str, str | None], frozenset[str]] = {
    ("anyone", None): ALL,
    ("signed_in", None): SIGNED_IN,
    ("firm.member", None): FIRM_USERS,
    ("firm.create", None): STAFF,
    ("firm.edit", "supplier_firm"): FIRM_EDITORS,
    ("firm.edit", "other_supplier_firm"): FIRM_HERE,
    ("firm.edit", "cap"): FIRM_EDITORS,
    ("firm.edit", "cert"): FIRM_EDITORS,
    ("firm.edit", "link"): FIRM_EDITORS,
    ("firm.edit", "need"): NEED_MANAGERS,
    ("firm.manage", "supplier_firm"): OFFICERS_HERE,
    ("firm.manage", "other_supplier_firm"): frozenset({"other_officer", "admin"}),
    ("firm.manage", "spare_firm"): OFFICERS_HERE,
    # contact people: own users and the province's officers; the other side of an
    # accepted introduction too (the spare firm has no users and no introduction)
    ("firm.contact", "spare_firm"): OFFICERS_HERE,
    ("firm.contact", "introduced_firm"): OFFICERS_HERE | {"buyer"},
    ("verification.manage", "supplier_firm"): OFFICERS_HERE,
    ("verification.manage", "check"): OFFICERS_HERE,
    ("verification.view", "check"): FIRM_EDITORS,
    ("verification.view", "evidence"): FIRM_EDITORS,
    ("dashboard.view", None): STAFF,
    ("event.create", None): STAFF,
    ("event.manage", "event"): OFFICERS_HERE,
    ("event.manage", "supplier_reg"): OFFICERS_HERE,
    ("event.manage", "meeting"): OFFICERS_HERE,
    ("event.manage", "meeting_request"): OFFICERS_HERE,
    ("event.view", "event"): ALL,
    ("event.view", "draft_event"): OFFICERS_HERE,
    ("event.take_part", "event"): FIRM_USERS,
    ("event.take_part", "draft_event"): frozenset(),
    ("registration.own", "supplier_reg"): FIRM_EDITORS,
    ("registration.own", "buyer_reg"): NEED_MANAGERS,  # the buyer's firm, in VP
    ("request.answer", "meeting_request"): SUPPLIER_ONLY,
    ("need.post", None): BUYERS_AND_STAFF,
    ("need.view", "need"): NEED_READERS,
    ("need.manage", "need"): NEED_MANAGERS,
    ("need_photo.view", "photo"): NEED_READERS,
    ("need_photo.manage", "photo"): NEED_MANAGERS,
    ("introduction.view", "intro"): frozenset({"supplier", "buyer", "officer", "admin"}),
    ("introduction.decide", "intro"): SUPPLIER_ONLY,
    ("introduction.consent", "intro"): OFFICERS_HERE,
    ("claim.invite", "supplier_firm"): OFFICERS_HERE,
    ("claim.invite", "other_supplier_firm"): frozenset({"other_officer", "admin"}),
    ("notification.own", "note"): SUPPLIER_ONLY,
    ("users.manage", None): STAFF,
    ("user.manage", "member"): OFFICERS_HERE,
    ("user.manage", "officer_user"): OFFICERS_HERE,
    ("user.manage", "other_officer_user"): frozenset({"other_officer", "admin"}),
    ("user.manage", "admin_user"): frozenset({"admin"}),
    ("audit.view", None): STAFF,
    # only a firm user without a firm may claim one: none of the roles
    ("claim.file", None): frozenset(),
    ("claims.review", None): STAFF,
    ("claim.decide", "claim"): OFFICERS_HERE,
    ("token.own", "token"): SUPPLIER_ONLY,
    ("job.own", "supplier_job"): SUPPLIER_ONLY,
    # an admin's survey import that landed in VP: its officers follow it too
    ("job.own", "vp_import_job"): OFFICERS_HERE,
    ("two_factor.use", None): STAFF,
    # deals: the supplier answered the buyer's need (which it may read: it was asked for
    # an introduction); officers read a deal only once one side asked them in
    ("need.answer", "need"): SUPPLIER_ONLY,
    ("deal.view", "deal"): DEAL_SIDES,
    ("deal.view", "asked_deal"): frozenset({"supplier", "buyer", "officer", "admin"}),
    ("deal.supply", "deal"): SUPPLIER_ONLY,
    ("deal.manage", "deal"): NEED_MANAGERS,
    ("deal_file.view", "deal_file"): DEAL_SIDES,
    # the need's drawing: its managers, and the supplier a request for quotation (with
    # no NDA to accept) sent it to
    ("deal_file.view", "need_file"): NEED_MANAGERS | {"supplier"},
    # support programmes: Phú Thọ's programme and open line, the supplier's application
    ("programme.view", "programme"): ALL,
    ("programme.manage", None): STAFF,
    ("programme.manage", "programme"): OFFICERS_HERE,
    ("programme.manage", "line"): OFFICERS_HERE,
    ("support.apply", "line"): FIRM_USERS,
    ("support.view", "application"): APPLICATION_READERS,
    ("support.view", "support_file"): APPLICATION_READERS,
    ("support.decide", "application"): OFFICERS_HERE,
    ("support.own", "application"): SUPPLIER_ONLY,
}


def _record(session, people, targets: dict, name: str | None):
    """The record a row of ``ACCESS`` names, as the view's decorator would load it."""
    if name is None:
        return None
    if name.endswith("_firm") and name.removesuffix("_firm") in people.firms:
        return session.get(Firm, people.firms[name.removesuffix("_firm")])
    if name.endswith("_user"):
        return session.get(User, people.users[name.removesuffix("_user")])
    if name == "supplier_job":  # never added to the session: the rule reads its owner
        from catalog.models.jobs import BackgroundJob

        return BackgroundJob(id="matrix-job", owner_id=people.users["supplier"])
    if name == "vp_import_job":  # never added to the session either
        from catalog.models.jobs import BackgroundJob, JobKind

        vp = session.get(Firm, people.firms["supplier"]).province_id
        return BackgroundJob(
            id="matrix-import",
            owner_id=people.users["admin"],
            kind=JobKind.IMPORT,
            params={"provinces": [vp]},
        )
    if name == "draft_event":  # unflushed, and undone by the row's rollback
        event = session.get(Event, targets["event"])
        event.status = EventStatus.DRAFT
        return event
    if name == "asked_deal":  # unflushed, and undone by the row's rollback
        deal = session.get(Deal, targets["deal"])
        deal.officers_asked_at = utcnow()
        return deal
    if name == "introduced_firm":  # flushed, never committed: the row rolls it back
        spare = session.get(Firm, targets["spare_firm"])
        session.add(
            Introduction(
                need_id=targets["need"],
                supplier_id=spare.id,
                buyer_id=people.firms["buyer"],
                status=IntroductionStatus.ACCEPTED,
            )
        )
        session.flush()
        return spare
    model, key = {
        "spare_firm": (Firm, "spare_firm"),
        "cap": (Capability, "cap"),
        "cert": (Certification, "cert"),
        "link": (SupplyRelationship, "link"),
        "check": (Verification, "check"),
        "evidence": (EvidenceFile, "evidence"),
        "need": (Need, "need"),
        "photo": (NeedPhoto, "photo"),
        "intro": (Introduction, "intro"),
        "event": (Event, "event"),
        "supplier_reg": (Registration, "supplier_reg"),
        "buyer_reg": (Registration, "buyer_reg"),
        "meeting": (Meeting, "meeting"),
        "meeting_request": (MeetingRequest, "meeting_request"),
        "member": (User, "user"),
        "claim": (FirmClaim, "claim"),
        "token": (ApiToken, "token"),
        "note": (Notification, "note"),
        "deal": (Deal, "deal"),
        "deal_file": (DealFile, "deal_file"),
        "need_file": (DealFile, "need_file"),
        "programme": (Programme, "programme"),
        "line": (SupportLine, "line"),
        "application": (SupportApplication, "application"),
        "support_file": (SupportFile, "support_file"),
    }[name]
    return session.get(model, targets[key], execution_options={ALL_NEEDS: True})


def test_every_rule_has_a_row():
    assert set(access.RULES) - {action for action, _record in ACCESS} == set()


@pytest.mark.parametrize(("action", "record"), list(ACCESS))
def test_rule(app, people, targets, action, record):
    with app.app_context():
        session = db.session
        try:
            target = _record(session, people, targets.ids, record)
            allowed = {
                role
                for role in ROLES
                if access.can(
                    session.get(User, people.users[role]) if role != "anonymous" else None,
                    action,
                    target,
                )
            }
        finally:
            session.rollback()
            db.session.remove()
    assert allowed == ACCESS[(action, record)]


# --- One HTTP sweep: every route, method and role, on targets made once ------------


class Targets:
    """The records the sweep's requests act on, made once for the module.

    A request that an allowed role may make can delete or change its target for good
    (delete a capability, decide an introduction, move a meeting, revoke a token). After
    every request each group of targets is compared with what it was when made (every
    column of every record, and whether it still exists); a group that differs is made
    again, so every request meets the targets as first made, as when they were made
    fresh for each request, at a fraction of the cost.
    """

    def __init__(self, app, people) -> None:
        self.app = app
        self.people = people
        self.ids: dict = {}
        self._prints: dict[str, tuple] = {}
        with app.app_context(), index_sync_paused(db.session):
            buyer = db.session.get(Firm, people.firms["buyer"])
            need = services.create_need(
                db.session, buyer, {"title": "Vỏ nhựa ABS cho bộ sạc", "visibility": "officers"}
            )
            supplier = db.session.get(Firm, people.firms["supplier"])
            self.ids.update(need=need.id, firm=supplier.id, tax_code=supplier.tax_code)
            for group in GROUPS:
                self._make(group)
            db.session.remove()

    def _objects(self, group: str) -> list:
        return [
            db.session.get(MODELS[key], self.ids[key], populate_existing=True)
            for key in GROUPS[group]
        ]

    def _print(self, group: str) -> tuple:
        return tuple(
            None
            if obj is None
            else tuple(getattr(obj, a.key) for a in sa_inspect(obj).mapper.column_attrs)
            for obj in self._objects(group)
        )

    def _make(self, group: str) -> None:
        self.ids.update(BUILDERS[group](db.session, self.people, self.ids))
        db.session.commit()
        self._prints[group] = self._print(group)

    def _remove(self, group: str) -> None:
        for obj in reversed(self._objects(group)):
            if obj is not None and group not in KEPT:
                db.session.delete(obj)
                db.session.flush()
        db.session.commit()

    def restore(self) -> None:
        """Make again each group a request changed or deleted."""
        with self.app.app_context(), index_sync_paused(db.session):
            for group in GROUPS:
                if self._print(group) != self._prints[group]:
                    self._remove(group)
                    self._make(group)
            db.session.remove()

    def remove_all(self) -> None:
        """Remove what was made, so the supplier's firm stays small for later modules."""
        with self.app.app_context(), index_sync_paused(db.session):
            for group in GROUPS:
                self._remove(group)
            db.session.remove()


def _supplier(session, people):
    return session.get(Firm, people.firms["supplier"])


def _buyer(session, people):
    return session.get(Firm, people.firms["buyer"])


def _make_check(session, people, ids):
    supplier = _supplier(session, people)
    cap = services.add_capability(session, supplier, {"title": "Dập thép tấm SPCC"})
    check = verification.record(
        session,
        supplier,
        cap,
        {"method": "site_visit", "result": "confirmed", "checked_on": "2026-01-05"},
        officer=None,
        uploads=[verification.Upload("visit.pdf", b"%PDF-1.4 site visit\n%%EOF\n")],
        evidence_root=Path(current_app.config["DATA_DIR"]) / "uploads" / "evidence",
    )
    return {"cap": cap.id, "check": check.id, "evidence": check.evidence[0].id}


def _make_cert(session, people, ids):
    cert = services.add_certification(session, _supplier(session, people), {"standard": "ISO 9001"})
    return {"cert": cert.id}


def _make_spare(session, people, ids):
    spare = services.create_firm(
        session,
        {"role": "supplier", "name_vi": "Xưởng Dự Phòng", "tax_code": fresh_tax_code()}
        | {"province": "VP"},
    )
    return {"spare_firm": spare.id}


def _make_intro(session, people, ids):
    need = session.get(Need, ids["need"])
    supplier = _supplier(session, people)
    intro = introductions.request_introduction(session, need, supplier, None)
    if intro.status.value != "requested":  # answered by an earlier request: ask anew
        session.delete(intro)
        session.commit()
        intro = introductions.request_introduction(session, need, supplier, None)
    return {"intro": intro.id}


def _make_link(session, people, ids):
    link = relationships.declare(
        session, _supplier(session, people), _buyer(session, people), {"tier": 1}
    )
    return {"link": link.id}


def _make_member(session, people, ids):
    member = accounts.create_user(
        session,
        f"member-{fresh_tax_code()}@people.test",
        None,
        firm=_supplier(session, people),
    )
    return {"user": member.id}


def _make_claim(session, people, ids):
    supplier = _supplier(session, people)
    claimant = accounts.create_user(
        session, f"claimant-{fresh_tax_code()}@people.test", None, firm=supplier
    )
    claimant.firm = None
    claim = claims.file_claim(session, claimant, supplier, "Tôi là giám đốc")
    return {"claimant": claimant.id, "claim": claim.id}


def _make_note(session, people, ids):
    note = Notification(
        user_id=people.users["supplier"],
        kind="introduction.requested",
        params={"need_id": ids["need"], "buyer_id": people.firms["buyer"]},
        subject_type="introduction",
        mailed_at=utcnow(),
    )
    session.add(note)
    session.flush()
    return {"note": note.id}


def _make_token(session, people, ids):
    token, _plain = accounts.issue_api_token(
        session, session.get(User, people.users["supplier"]), "matrix"
    )
    return {"token": token.id}


def _make_photo(session, people, ids):
    (photo,) = photos.add_photos(
        session,
        session.get(Need, ids["need"]),
        [Upload("part.png", png_bytes())],
        Path(current_app.config["DATA_DIR"]) / "uploads" / "photos",
    )
    return {"photo": photo.id}


def _make_event(session, people, ids):
    buyer = _buyer(session, people)
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
        buyer.province,
        None,
    )
    events.set_status(session, event, EventStatus.OPEN)
    buyer_reg = events.register(session, event, buyer)
    supplier_reg = events.register(session, event, _supplier(session, people))
    asked = events.request_meeting(session, buyer_reg, supplier_reg, priority=3)
    meeting = events.add_meeting(session, buyer_reg, supplier_reg)
    return {
        "event": event.id,
        "buyer_reg": buyer_reg.id,
        "supplier_reg": supplier_reg.id,
        "meeting_request": asked.id,
        "meeting": meeting.id,
    }


def _make_deal(session, people, ids):
    """The supplier's answer to the need: a deal with a message, a file and a quote, and
    a drawing the buyer attached to the need (sent by no request yet)."""
    need = session.get(Need, ids["need"])
    deal = pipeline.deal_for(session, need, _supplier(session, people))
    message = DealMessage(deal=deal, side=Side.SUPPLIER, kind="interest", body="Chúng tôi làm được")
    session.add(message)
    session.flush()
    pipeline.reach(session, deal, Stage.INTEREST, source="message", ref_id=message.id)
    digest = "0" * 64
    deal_file = DealFile(
        deal=deal, message=message, filename="ban-ve.pdf", content_type="application/pdf"
    )
    need_file = DealFile(need=need, filename="part.step", content_type="model/step")
    for f in (deal_file, need_file):
        f.size, f.sha256 = 10, digest
    quote = Quote(deal=deal, unit_price=12500, currency="VND", unit_price_vnd=12500)
    asked = QuoteRequest(need=need, deadline=date(2099, 1, 1))
    recipient = QuoteRequestRecipient(request=asked, supplier_id=deal.supplier_id, deal=deal)
    session.add_all([deal_file, need_file, quote, asked, recipient])
    session.flush()
    return {
        "deal": deal.id,
        "message": message.id,
        "deal_file": deal_file.id,
        "need_file": need_file.id,
        "quote": quote.id,
        "rfq": asked.id,
        "recipient": recipient.id,
    }


def _make_programme(session, people, ids):
    """Phú Thọ's programme with an open line, and the supplier's application to it with
    a file (its bytes are never read by the rules)."""
    from catalog.programmes import setup

    officer = session.get(User, people.users["officer"])
    programme = setup.create_programme(
        session, officer, {"name": "Chương trình thử quyền", "start_year": 2026, "end_year": 2030}
    )
    line = setup.save_line(
        session, programme, officer, {"kind": "training", "name": "Đào tạo", "share_pct": 50}
    )
    application = SupportApplication(
        line=line, firm_id=people.firms["supplier"], purpose="Đào tạo thợ", requested_vnd=1000
    )
    support_file = SupportFile(
        application=application,
        filename="de-nghi.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    session.add_all([application, support_file])
    session.flush()
    return {
        "programme": programme.id,
        "line": line.id,
        "application": application.id,
        "support_file": support_file.id,
    }


MODELS = {
    "programme": Programme,
    "line": SupportLine,
    "application": SupportApplication,
    "support_file": SupportFile,
    "deal": Deal,
    "message": DealMessage,
    "deal_file": DealFile,
    "need_file": DealFile,
    "quote": Quote,
    "rfq": QuoteRequest,
    "recipient": QuoteRequestRecipient,
    "cap": Capability,
    "check": Verification,
    "evidence": EvidenceFile,
    "cert": Certification,
    "spare_firm": Firm,
    "intro": Introduction,
    "link": SupplyRelationship,
    "user": User,
    "claimant": User,
    "claim": FirmClaim,
    "token": ApiToken,
    "note": Notification,
    "photo": NeedPhoto,
    "event": Event,
    "buyer_reg": Registration,
    "supplier_reg": Registration,
    "meeting_request": MeetingRequest,
    "meeting": Meeting,
}
# Each group is made together (in this order) and made again together.
GROUPS: dict[str, tuple[str, ...]] = {
    "check": ("cap", "check", "evidence"),
    "cert": ("cert",),
    "spare": ("spare_firm",),
    "intro": ("intro",),
    "link": ("link",),
    "member": ("user",),
    "claim": ("claimant", "claim"),
    "token": ("token",),
    "note": ("note",),
    "photo": ("photo",),
    "event": ("event", "buyer_reg", "supplier_reg", "meeting_request", "meeting"),
    "deal": ("deal", "message", "deal_file", "need_file", "quote", "rfq", "recipient"),
    "programme": ("programme", "line", "application", "support_file"),
}
BUILDERS = {
    "check": _make_check,
    "cert": _make_cert,
    "spare": _make_spare,
    "intro": _make_intro,
    "link": _make_link,
    "member": _make_member,
    "claim": _make_claim,
    "token": _make_token,
    "note": _make_note,
    "photo": _make_photo,
    "event": _make_event,
    "deal": _make_deal,
    "programme": _make_programme,
}
# Made again in place: an introduction is asked anew, a relationship declared again.
KEPT = frozenset({"intro", "link"})


@pytest.fixture(scope="module")
def targets(app, people):
    made = Targets(app, people)
    yield made
    made.remove_all()


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
def test_access(app, targets, client_as, api_as, endpoint, method, role):
    row = MATRIX[(endpoint, method)]
    api = endpoint.startswith("api.")
    with app.test_request_context():
        path = url_for(endpoint, **row.args(targets.ids))
    client = api_as(role) if api else client_as(role)
    body = row.body(targets.ids)
    if api:
        response = client.open(path, method=method, json=body if method != "GET" else None)
    else:
        response = client.open(path, method=method, data=body if method != "GET" else None)
    targets.restore()
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    refused = _refused(response, role, api)
    if role in row.allowed:
        assert not refused, f"{role} refused {method} {path}: {response.status_code}"
    else:
        assert refused, f"{role} allowed {method} {path}: {response.status_code}"


# --- Background jobs ------------------------------------------------------------------
#
# Every Celery task, with whom it acts for. ``SYSTEM`` tasks change only derived data
# (the search index, the reranker, caches, files past their retention) or send what a
# committed record already decided (mails and notices to its recipients): no user's
# rights are involved. ``ACTOR`` tasks write for the user who asked (an ``actor_id``
# argument): the session's write guard (``catalog.access.scope``) holds them to what
# that user may change, as a request would; the view that queues them checks the rule
# named here first. A task added without a row fails ``test_every_job_has_a_row``.

SYSTEM, ACTOR = "system", "actor"
JOBS: dict[str, tuple[str, str | None]] = {
    "ketnoi.reindex_firms": (SYSTEM, None),
    "ketnoi.merge_index": (SYSTEM, None),
    "ketnoi.rebuild_index": (SYSTEM, None),
    "ketnoi.ensure_index": (SYSTEM, None),
    "ketnoi.check_index": (SYSTEM, None),
    "ketnoi.warm_needs": (SYSTEM, None),
    "ketnoi.train_reranker": (SYSTEM, None),
    "ketnoi.cleanup_uploads": (SYSTEM, None),
    "ketnoi.send_email": (SYSTEM, None),
    "ketnoi.mail_notifications": (SYSTEM, None),
    "ketnoi.send_notification_digest": (SYSTEM, None),
    "ketnoi.notify_verification": (SYSTEM, None),
    "ketnoi.notify_schedule_change": (SYSTEM, None),
    "ketnoi.send_expiry_notices": (SYSTEM, None),
    "ketnoi.remind_unanswered_requests": (SYSTEM, None),
    # Reads for the officer's provinces only: the view checks the rule, the report's
    # figures are the province's (``documents.report.collect``).
    "ketnoi.province_report": (SYSTEM, "dashboard.view"),
    "ketnoi.import_firms": (ACTOR, "firm.create"),
    "ketnoi.schedule_event": (ACTOR, "event.manage"),
}


def test_every_job_has_a_row(app):
    import inspect

    celery = app.extensions["celery"]
    tasks = {name: task for name, task in celery.tasks.items() if name.startswith("ketnoi.")}
    assert set(tasks) - set(JOBS) == set(), "jobs without a row in the matrix"
    assert set(JOBS) - set(tasks) == set(), "rows for jobs that no longer exist"
    for name, (kind, rule) in JOBS.items():
        takes_actor = "actor_id" in inspect.signature(tasks[name].run).parameters
        assert takes_actor == (kind == ACTOR), name
        assert rule is None or rule in access.RULES, (name, rule)
