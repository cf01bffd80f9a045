"""Requests for quotation: a buyer invites chosen suppliers to quote on a need, by a
deadline, with the need's files attached and, optionally, behind a non-disclosure
agreement each supplier accepts before it reads them.

Each supplier asked gets the deal of the need and itself (begun by the buyer), a
recipient row that records its acceptance of the agreement, and a notification with
the deadline. A need shown to invited suppliers only is opened to them: they must read
what they are asked to quote on. The need's files are ``DealFile`` rows of the need
(no deal): whoever manages the need reads them, and a supplier only once a request sent
them and, when it has one, its agreement is accepted (``may_read_need_files``, the rule
``deal_file.view`` asks); until then the supplier reads the deadline, the message and
the agreement's text, never the files' names. Functions here flush and never commit:
the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from ..access import OutOfScope, manage_need, supply_deal
from ..files import Upload
from ..i18n import N_
from ..models import (
    DealFile,
    Firm,
    Need,
    NeedStatus,
    NeedVisibility,
    QuoteRequest,
    QuoteRequestRecipient,
    Side,
    User,
    UserRole,
    utcnow,
)
from ..models.base import vietnam_today
from ..notifications import firm_users, province_officers
from ..notifications.deals import DEAL_REQUEST, DEAL_REQUEST_NO_USER, deal_notice
from ..validation import ValidationError, clean_field, iso_date, record_id
from .conversation import check_files, store_files
from .pipeline import deal_for

MAX_SUPPLIERS = 30
MAX_MESSAGE = 4000
MAX_NDA = 20000
LONGEST_DEADLINE = timedelta(days=365)


def may_read_need_files(user: User | None, need) -> bool:
    """Whether ``user``'s firm was sent ``need``'s files by a request for quotation
    (and accepted its non-disclosure agreement, when the request has one)."""
    if user is None or user.role != UserRole.MEMBER or user.firm_id is None:
        return False
    session = object_session(need)
    if session is None:
        return False
    found = session.scalar(
        select(QuoteRequestRecipient.id)
        .join(QuoteRequest, QuoteRequest.id == QuoteRequestRecipient.request_id)
        .where(
            QuoteRequest.need_id == need.id,
            QuoteRequestRecipient.supplier_id == user.firm_id,
            or_(QuoteRequest.nda_text == "", QuoteRequestRecipient.nda_accepted_at.isnot(None)),
        )
        .limit(1)
    )
    return found is not None


def need_files(session: Session, need: Need, user: User | None) -> list[DealFile]:
    """The need's own files as ``user`` may see them listed: all of them for whoever
    manages the need or was sent them (agreement accepted), none otherwise, not even
    their names."""
    if not (manage_need(user, need) or may_read_need_files(user, need)):
        return []
    return list(
        session.scalars(
            select(DealFile)
            .where(DealFile.need_id == need.id, DealFile.deal_id.is_(None))
            .order_by(DealFile.id)
        )
    )


def _deadline(value: Any) -> date:
    if value in (None, ""):
        raise ValidationError({"deadline": N_("Give the date quotations are due.")})
    try:
        day = value if isinstance(value, date) else iso_date(value)
    except (ValueError, TypeError):
        raise ValidationError({"deadline": N_("Must be a date written YYYY-MM-DD.")}) from None
    if day < vietnam_today():
        raise ValidationError({"deadline": N_("The deadline cannot be in the past.")})
    if day > vietnam_today() + LONGEST_DEADLINE:
        raise ValidationError({"deadline": N_("The deadline must be within a year.")})
    return day


def _text(field: str, value: Any, most: int) -> str:
    text = clean_field(field, value, multiline=True).strip()
    if len(text) > most:
        raise ValidationError(
            {
                field: N_(
                    "Must be at most %(max)s characters (got %(got)s).", max=most, got=len(text)
                )
            }
        )
    return text


def suppliers_by_ids(session: Session, ids: Iterable[Any], field: str = "firm_ids") -> list[Firm]:
    """The firms named by ``ids`` (each once, in order), or a ``ValidationError``."""
    out: dict[int, Firm] = {}
    for raw in ids:
        text = str(raw).strip()
        try:
            if isinstance(raw, bool) or not text.isascii():
                raise ValueError(text)
            number = record_id(text)
        except (TypeError, ValueError):
            raise ValidationError({field: N_("Give the ids of the suppliers.")}) from None
        firm = session.get(Firm, number)
        if firm is None:
            raise ValidationError({field: N_("No firm with id %(id)s.", id=text)})
        out.setdefault(firm.id, firm)
    return list(out.values())


def request_quotes(
    session: Session,
    need: Need,
    suppliers: Iterable[Firm],
    user: User | None,
    deadline: date | str | None,
    message: str = "",
    nda_text: str = "",
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
    scores: dict[int, float] | None = None,
) -> QuoteRequest:
    """Ask ``suppliers`` (1 to 30 supplier firms, not the buyer) to quote on ``need``
    by ``deadline`` (today to a year ahead), everything checked before anything is
    written. ``scores`` (firm id → the match's score) are kept on deals begun here."""
    suppliers = list(dict.fromkeys(suppliers))
    files = list(files)
    errors: dict[str, str] = {}
    if need.status != NeedStatus.OPEN:
        errors["need"] = N_("Quotations can be requested on open needs only.")
    elif need.visibility == NeedVisibility.OFFICERS:
        errors["need"] = N_(
            "Suppliers cannot read a need shown to officers only: change its visibility first."
        )
    if not suppliers:
        errors["firm_ids"] = N_("Choose at least one supplier.")
    elif len(suppliers) > MAX_SUPPLIERS:
        errors["firm_ids"] = N_("At most %(count)s suppliers at a time.", count=MAX_SUPPLIERS)
    elif any(not f.is_supplier or f.id == need.buyer_id for f in suppliers):
        errors["firm_ids"] = N_("Only other firms that supply can be asked to quote.")
    for check in (
        lambda: _deadline(deadline),
        lambda: _text("message", message, MAX_MESSAGE),
        lambda: _text("nda_text", nda_text, MAX_NDA),
        lambda: check_files(files),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    checked = check_files(files)
    if checked and root is None:
        raise ValueError("files need the uploads folder")
    request = QuoteRequest(
        need=need,
        deadline=_deadline(deadline),
        message=_text("message", message, MAX_MESSAGE),
        nda_text=_text("nda_text", nda_text, MAX_NDA),
        author_id=user.id if user else None,
    )
    session.add(request)
    store_files(session, checked, root, user=user, need=need)
    for supplier in suppliers:
        score = (scores or {}).get(supplier.id)
        score = min(1.0, max(0.0, float(score))) if score is not None else None
        deal = deal_for(session, need, supplier, started_by=Side.BUYER, match_score=score)
        if need.visibility == NeedVisibility.INVITED and supplier not in need.invited:
            need.invited.append(supplier)  # it must read what it is asked to quote on
        session.add(QuoteRequestRecipient(request=request, supplier=supplier, deal=deal))
        session.flush()
        params = {"deadline": request.deadline.isoformat()}
        if firm_users(session, supplier.id):
            deal_notice(session, deal, DEAL_REQUEST, to=Side.SUPPLIER, params=params)
        else:  # most surveyed firms: their officers contact them or invite them in
            officers = province_officers(session, supplier.province_id)
            deal_notice(session, deal, DEAL_REQUEST_NO_USER, Side.SUPPLIER, params, users=officers)
    session.flush()
    return request


def accept_nda(
    session: Session, recipient: QuoteRequestRecipient, user: User
) -> QuoteRequestRecipient:
    """The supplier accepts the request's non-disclosure agreement (once; accepting
    again changes nothing): its users may read the need's files from now on."""
    if not supply_deal(user, recipient.deal):
        raise OutOfScope(
            N_("Only the supplier's users can accept its agreement."), target=recipient
        )
    if not recipient.request.nda_text:
        raise ValidationError({"nda": N_("This request has no non-disclosure agreement.")})
    if recipient.nda_accepted_at is None:
        recipient.nda_accepted_at = utcnow()
        recipient.nda_accepted_by_id = user.id
        session.flush()
    return recipient


def open_requests_for(session: Session, firm: Firm | int) -> list[QuoteRequestRecipient]:
    """The requests for quotation ``firm`` was sent whose deadline has not passed,
    soonest first."""
    firm_id = firm if isinstance(firm, int) else firm.id
    return list(
        session.scalars(
            select(QuoteRequestRecipient)
            .join(QuoteRequest, QuoteRequest.id == QuoteRequestRecipient.request_id)
            .where(
                QuoteRequestRecipient.supplier_id == firm_id,
                QuoteRequest.deadline >= vietnam_today(),
            )
            .order_by(QuoteRequest.deadline, QuoteRequest.id)
        )
    )


def nda_pending(recipient: QuoteRequestRecipient) -> bool:
    """Whether the supplier must still accept the request's agreement to read its files."""
    return bool(recipient.request.nda_text) and recipient.nda_accepted_at is None


def as_dict(request: QuoteRequest) -> dict[str, Any]:
    """A request for the API: its deadline and whom it went to (no texts of people)."""
    return {
        "id": request.id,
        "need_id": request.need_id,
        "deadline": request.deadline.isoformat(),
        "nda": bool(request.nda_text),
        "recipients": [recipient_dict(r) for r in request.recipients],
    }


def recipient_dict(recipient: QuoteRequestRecipient) -> dict[str, Any]:
    return {
        "id": recipient.id,
        "request_id": recipient.request_id,
        "supplier_id": recipient.supplier_id,
        "deal_id": recipient.deal_id,
        "deadline": recipient.request.deadline.isoformat(),
        "nda": bool(recipient.request.nda_text),
        "nda_accepted_at": recipient.nda_accepted_at.isoformat()
        if recipient.nda_accepted_at
        else None,
    }
