"""A firm's support, from its application to its result.

submitted → approved (with an amount) → paid in one or more disbursements → completed
with evidence and a result; or rejected with a reason; or withdrawn by the firm before
a decision. An officer may also record support given outside this flow (a class held, a
fair booth paid for): it starts approved, for the amount given.

The result changes the catalogue where it can: a certificate obtained through the line
becomes the firm's certification (unverified: a candidate for the province's check, with
the certificate among the evidence), workers trained and a fair attended are kept on the
application and shown on the firm's profile, a fair names the event it was.

Amounts are whole đồng. The line's share and per-firm ceiling bound what is requested
and approved; disbursements never exceed the approved amount.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import (
    OutOfScope,
    apply_for_support,
    manage_programme,
    programme_of,
    view_application,
)
from ..files import Upload, check_attachments, safe_name, store
from ..i18n import N_
from ..models import (
    ApplicationStatus,
    Certification,
    Event,
    Firm,
    FundingSource,
    Programme,
    SupportApplication,
    SupportDisbursement,
    SupportFile,
    SupportKind,
    SupportLine,
    User,
    UserRole,
)
from ..models.base import vietnam_today
from ..notifications.support import (
    SUPPORT_APPLIED,
    SUPPORT_APPROVED,
    SUPPORT_COMPLETED,
    SUPPORT_PAID,
    SUPPORT_REJECTED,
    support_notice,
)
from ..validation import (
    ValidationError,
    _Checker,
    canonical_standard,
    choice,
    integer,
    iso_date,
    text,
)
from . import firm_size
from .setup import MAX_VND

MAX_FILES = 5
MAX_FILE_BYTES = 20 * 1024 * 1024


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED)
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.COMPLETED)


def ineligible(line: SupportLine, firm: Firm) -> list[Any]:
    """Why ``firm`` may not receive support from ``line`` (messages; empty: it may)."""
    reasons: list[Any] = []
    if firm.province_id != line.programme.province_id:
        reasons.append(N_("The programme supports firms of its own province."))
    if line.former_province_id and firm.former_province_id != line.former_province_id:
        reasons.append(
            N_(
                "The line supports firms of the former province %(name)s.",
                name=line.former_province.name_vi if line.former_province else "",
            )
        )
    if line.sectors:
        wanted = {c.id for c in line.sectors}
        if not wanted & {c.id for c in firm.sectors}:
            reasons.append(N_("The line supports firms of other sectors."))
    if line.sizes:
        size = firm_size(firm.employees)
        if size is None:
            reasons.append(N_("The line is for firms of some sizes: give your employees."))
        elif size.value not in line.sizes:
            reasons.append(N_("The line supports firms of another size."))
    return reasons


def most_for(line: SupportLine, cost_vnd: int | None) -> int | None:
    """The most the line pays towards ``cost_vnd``: its share, within its ceiling."""
    bounds = []
    if cost_vnd is not None:
        bounds.append(cost_vnd * line.share_pct // 100)
    if line.ceiling_vnd is not None:
        bounds.append(line.ceiling_vnd)
    return min(bounds) if bounds else None


def _check_files(uploads: Iterable[Upload], field: str = "files") -> list[tuple[Upload, str]]:
    try:
        return check_attachments(uploads, most=MAX_FILES, max_bytes=MAX_FILE_BYTES)
    except ValueError as exc:
        raise ValidationError({field: exc.args[0]}) from None


def _store_files(
    session: Session,
    application: SupportApplication,
    checked: list[tuple[Upload, str]],
    root: Path | None,
    user: User | None,
    role: str,
) -> None:
    if checked and root is None:
        raise ValueError("files need the uploads folder")
    for upload, content_type in checked:
        application.files.append(
            SupportFile(
                role=role,
                filename=safe_name(upload.filename),
                content_type=content_type,
                size=len(upload.data),
                sha256=store(root, upload.data),  # type: ignore[arg-type]
                uploaded_by_id=user.id if user else None,
            )
        )


def _amounts(c: _Checker) -> None:
    c.run("cost_vnd", integer(1, MAX_VND))
    c.run("requested_vnd", integer(1, MAX_VND))


def apply(
    session: Session,
    line: SupportLine,
    firm: Firm,
    user: User,
    data: Mapping[str, Any],
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
) -> SupportApplication:
    """The firm applies to ``line``: what for, the cost, the amount requested (at most
    the line's share of the cost, within its ceiling), and its files. The programme's
    officers are told."""
    if user.firm_id != firm.id or not apply_for_support(user, line):
        raise OutOfScope(N_("You cannot apply to this support line."), target=line)
    c = _Checker(data)
    c.run("purpose", text(5000), required=True)
    c.run("gap", text(120))
    _amounts(c)
    try:
        checked = _check_files(files)
    except ValidationError as exc:
        c.errors.update(exc.errors)
        checked = []
    reasons = ineligible(line, firm)
    if reasons:
        c.errors["line"] = reasons[0]
    clean = c.finish()
    if clean.get("requested_vnd") is None:
        raise ValidationError({"requested_vnd": N_("This field is required.")})
    _within(line, clean.get("cost_vnd"), clean["requested_vnd"], "requested_vnd")
    pending = session.scalar(
        select(SupportApplication.id).where(
            SupportApplication.line_id == line.id,
            SupportApplication.firm_id == firm.id,
            SupportApplication.status == ApplicationStatus.SUBMITTED,
        )
    )
    if pending is not None:
        raise ValidationError({"line": N_("Your firm already has an application waiting here.")})
    application = SupportApplication(
        line=line,
        firm=firm,
        purpose=clean["purpose"],
        gap=clean.get("gap") or "",
        cost_vnd=clean.get("cost_vnd"),
        requested_vnd=clean["requested_vnd"],
        applied_by_id=user.id,
        applied_on=vietnam_today(),
    )
    session.add(application)
    _store_files(session, application, checked, root, user, "application")
    session.flush()
    support_notice(session, application, SUPPORT_APPLIED)
    return application


def _within(line: SupportLine, cost: int | None, amount: int, field: str) -> None:
    if cost is not None and amount > cost:
        raise ValidationError({field: N_("The amount cannot exceed the cost.")})
    most = most_for(line, cost)
    if most is not None and amount > most:
        raise ValidationError(
            {
                field: N_(
                    "The line pays at most %(share)s%% of the cost, up to %(ceiling)s VND: "
                    "%(most)s VND here.",
                    share=line.share_pct,
                    ceiling=line.ceiling_vnd if line.ceiling_vnd is not None else "—",
                    most=most,
                )
            }
        )


def withdraw(session: Session, application: SupportApplication, user: User) -> None:
    """The firm takes back an application not yet decided."""
    if not view_application(user, application) or user.firm_id != application.firm_id:
        raise OutOfScope(N_("You cannot withdraw this application."), target=application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError(
            {"status": N_("Only an application waiting for assessment can be withdrawn.")}
        )
    application.status = ApplicationStatus.WITHDRAWN
    session.flush()


def _officer(user: User | None, target: SupportApplication | SupportLine) -> None:
    """Only the officers of the programme's province (and admins) run its support."""
    if user is not None and not manage_programme(user, target):
        raise OutOfScope(
            N_("You do not serve this programme's province."),
            {programme_of(target).province_id},
            target,
        )


def decide(
    session: Session,
    application: SupportApplication,
    user: User | None,
    data: Mapping[str, Any],
) -> SupportApplication:
    """The officers' assessment (``score`` 0–100, ``criteria``, ``comments``) and decision:
    ``decision`` "approve" with ``approved_vnd`` (default: the amount requested), or
    "reject" with a ``reason``. The firm is told."""
    _officer(user, application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"decision": N_("This application is already decided.")})
    c = _Checker(data)
    c.run("decision", choice(Decision), required=True)
    c.run("score", integer(0, 100))
    c.run("criteria", text(5000))
    c.run("comments", text(5000))
    c.run("approved_vnd", integer(1, MAX_VND))
    c.run("reason", text(1000))
    clean = c.finish()
    approve = clean["decision"] == Decision.APPROVE
    if approve:
        amount = clean.get("approved_vnd") or application.requested_vnd
        if amount is None:
            raise ValidationError({"approved_vnd": N_("This field is required.")})
        _within(application.line, application.cost_vnd, amount, "approved_vnd")
    elif not clean.get("reason"):
        raise ValidationError({"reason": N_("Say why the application is not approved.")})
    application.score = clean.get("score")
    application.criteria = clean.get("criteria") or ""
    application.comments = clean.get("comments") or ""
    application.decided_by_id = user.id if user else None
    application.decided_on = vietnam_today()
    if approve:
        application.status = ApplicationStatus.APPROVED
        application.approved_vnd = amount
        support_notice(session, application, SUPPORT_APPROVED, {"amount": amount})
    else:
        application.status = ApplicationStatus.REJECTED
        application.reject_reason = clean["reason"]
        support_notice(session, application, SUPPORT_REJECTED)
    session.flush()
    return application


def record_given(
    session: Session,
    line: SupportLine,
    firm: Firm,
    user: User | None,
    data: Mapping[str, Any],
) -> SupportApplication:
    """Support an officer gave outside the application flow (a class held, a booth paid
    for): recorded as approved for ``approved_vnd`` (it may be nothing: a free class)."""
    _officer(user, line)
    c = _Checker(data)
    c.run("purpose", text(5000), required=True)
    c.run("cost_vnd", integer(1, MAX_VND))
    c.run("approved_vnd", integer(0, MAX_VND))
    c.run("given_on", iso_date)
    reasons = ineligible(line, firm)
    if reasons:
        c.errors["firm_id"] = reasons[0]
    clean = c.finish()
    amount = clean.get("approved_vnd") or 0
    if amount:
        _within(line, clean.get("cost_vnd"), amount, "approved_vnd")
    day = clean.get("given_on") or vietnam_today()
    application = SupportApplication(
        line=line,
        firm=firm,
        source="recorded",
        purpose=clean["purpose"],
        cost_vnd=clean.get("cost_vnd"),
        requested_vnd=amount or None,
        approved_vnd=amount,
        status=ApplicationStatus.APPROVED,
        applied_by_id=user.id if user else None,
        applied_on=day,
        decided_by_id=user.id if user else None,
        decided_on=day,
    )
    session.add(application)
    session.flush()
    return application


def disburse(
    session: Session,
    application: SupportApplication,
    user: User | None,
    data: Mapping[str, Any],
) -> SupportDisbursement:
    """A payment against the approved amount (``amount_vnd``, ``paid_on``, ``source``,
    ``note``); the sum of payments never exceeds what was approved."""
    _officer(user, application)
    if application.status not in DECIDED:
        raise ValidationError({"amount_vnd": N_("Only an approved application can be paid.")})
    c = _Checker(data)
    c.run("amount_vnd", integer(1, MAX_VND), required=True)
    c.run("paid_on", iso_date)
    c.run("source", choice(FundingSource))
    c.run("note", text(1000))
    clean = c.finish()
    paid_on = clean.get("paid_on") or vietnam_today()
    if paid_on > vietnam_today():
        raise ValidationError({"paid_on": N_("A payment cannot be dated in the future.")})
    left = (application.approved_vnd or 0) - application.disbursed_vnd
    if clean["amount_vnd"] > left:
        raise ValidationError(
            {
                "amount_vnd": N_(
                    "Only %(left)s VND of the approved amount is left to pay.", left=left
                )
            }
        )
    payment = SupportDisbursement(
        amount_vnd=clean["amount_vnd"],
        paid_on=paid_on,
        source=clean.get("source") or FundingSource.PROVINCIAL,
        note=clean.get("note") or "",
        recorded_by_id=user.id if user else None,
    )
    application.disbursements.append(payment)
    session.flush()
    support_notice(session, application, SUPPORT_PAID, {"amount": payment.amount_vnd})
    return payment


def complete(
    session: Session,
    application: SupportApplication,
    user: User | None,
    data: Mapping[str, Any],
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
) -> SupportApplication:
    """The support is done: ``result_note``, ``completed_on``, and what it produced —
    ``workers_trained``; a certificate (``standard``, ``issuer``, ``certificate_no``,
    ``valid_until``) that becomes the firm's certification; the ``event_id`` of a fair —
    with the evidence as files (attendance lists, the certificate, photos)."""
    _officer(user, application)
    if application.status != ApplicationStatus.APPROVED:
        raise ValidationError({"status": N_("Only an approved support can be completed.")})
    c = _Checker(data)
    c.run("result_note", text(5000), required=True)
    c.run("completed_on", iso_date)
    c.run("workers_trained", integer(1, 100_000))
    c.run("standard", text(40))
    c.run("issuer", text(120))
    c.run("certificate_no", text(60))
    c.run("valid_until", iso_date)
    c.run("event_id", integer(1, 2**31 - 1))
    try:
        checked = _check_files(files)
    except ValidationError as exc:
        c.errors.update(exc.errors)
        checked = []
    clean = c.finish()
    line = application.line
    if line.kind == SupportKind.MANAGEMENT_SYSTEM and not clean.get("standard"):
        raise ValidationError(
            {"standard": N_("Give the certificate the firm obtained (for example ISO 9001).")}
        )
    if line.kind == SupportKind.TRAINING and not clean.get("workers_trained"):
        raise ValidationError({"workers_trained": N_("Give how many workers were trained.")})
    event = None
    if clean.get("event_id"):
        event = session.get(Event, clean["event_id"])
        if event is None:
            raise ValidationError({"event_id": N_("No such event.")})
    day = clean.get("completed_on") or vietnam_today()
    if day > vietnam_today():
        raise ValidationError({"completed_on": N_("A completion cannot be dated in the future.")})
    if clean.get("standard"):
        application.certification = _certification(session, application.firm, clean)
    application.workers_trained = clean.get("workers_trained")
    application.event = event
    application.result_note = clean["result_note"]
    application.completed_on = day
    application.status = ApplicationStatus.COMPLETED
    _store_files(session, application, checked, root, user, "evidence")
    session.flush()
    support_notice(session, application, SUPPORT_COMPLETED)
    return application


def _certification(session: Session, firm: Firm, clean: Mapping[str, Any]) -> Certification:
    """The firm's certification of ``standard``: the one it declared (updated with the
    new certificate) or a new one. Left unverified: the province checks it as any other."""
    standard = canonical_standard(clean["standard"])
    valid_until: date | None = clean.get("valid_until")
    found = next((c for c in firm.certifications if c.standard == standard), None)
    if found is None:
        found = Certification(firm=firm, standard=standard)
        session.add(found)
    if clean.get("issuer"):
        found.issuer = clean["issuer"]
    if clean.get("certificate_no"):
        found.certificate_no = clean["certificate_no"]
    if valid_until is not None:
        found.valid_until = valid_until
    return found


def applications_query(user: User | None, firm_id: int | None = None):
    """The applications ``user`` may read, newest first: a firm's own, or those of the
    programmes of the provinces an officer serves (every one for admins)."""
    query = (
        select(SupportApplication)
        .join(SupportLine, SupportApplication.line_id == SupportLine.id)
        .join(Programme, SupportLine.programme_id == Programme.id)
        .order_by(SupportApplication.id.desc())
    )
    if firm_id is not None:
        query = query.where(SupportApplication.firm_id == firm_id)
    if user is None:
        return query.where(False)
    if user.role == UserRole.ADMIN:
        return query
    if user.role == UserRole.OFFICER:
        return query.where(Programme.province_id.in_(user.province_ids or {-1}))
    return query.where(SupportApplication.firm_id == (user.firm_id or -1))


def received_support(session: Session, firm: Firm) -> list[SupportApplication]:
    """The support a firm received (approved or completed), for its public profile:
    what and when, and what it produced (never the amounts)."""
    return list(
        session.scalars(
            select(SupportApplication)
            .where(
                SupportApplication.firm_id == firm.id,
                SupportApplication.status.in_(DECIDED),
            )
            .order_by(SupportApplication.decided_on.desc(), SupportApplication.id.desc())
        )
    )
