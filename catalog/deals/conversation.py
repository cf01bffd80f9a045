"""A deal's conversation: a supplier's answer to a need, the messages both firms write
to each other, their attachments, and the province's officers asked in.

The conversation belongs to the two firms: the provinces' officers read it only once
one side asks them in (``catalog.access.view_deal``), and nothing here reveals a contact
person: who may see those stays ``catalog.access.see_contact`` (an accepted
introduction). A message is filed as the writer's side (buyer, supplier, or officer
once asked in) and tells the other side; its text is never copied into a notification.

Attachments are judged by their bytes (``catalog.files.check_attachment``: PDFs,
images, STEP/IGES/DXF drawings), kept byte for byte once per content under their
SHA-256 digest in the uploads folder the caller names, and only ever served as
downloads. Everything is checked before anything is written, so a refused file keeps
nothing of the message. Functions here flush and never commit: the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from ..access import OutOfScope, answer_need
from ..files import Upload, check_attachments, safe_name, store
from ..i18n import N_
from ..models import Deal, DealFile, DealMessage, Firm, Need, Quote, Side, Stage, User
from ..models.base import utcnow
from ..notifications import province_officers
from ..notifications.deals import (
    DEAL_INTEREST,
    DEAL_MESSAGE,
    DEAL_OFFICERS_ASKED,
    deal_notice,
)
from ..validation import ValidationError, clean_field
from .pipeline import deal_for, reach
from .pipeline import side_of as pipeline_side

MAX_BODY = 4000
MAX_FILES = 5
MAX_FILE_BYTES = 20 * 1024 * 1024  # a drawing of an assembly in STEP runs to megabytes


def clean_body(value: object, field: str = "body") -> str:
    """A message's text: cleaned like every stored text (NFC, line breaks kept), 1 to
    ``MAX_BODY`` characters; a ``ValidationError`` naming ``field`` otherwise."""
    body = clean_field(field, value, multiline=True).strip()
    if not body:
        raise ValidationError({field: N_("Write a message.")})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {
                field: N_(
                    "Must be at most %(max)s characters (got %(got)s).",
                    max=MAX_BODY,
                    got=len(body),
                )
            }
        )
    return body


def check_files(uploads: Iterable[Upload], field: str = "files") -> list[tuple[Upload, str]]:
    """The attachments with their checked types, or a ``ValidationError`` for ``field``."""
    try:
        return check_attachments(uploads, most=MAX_FILES, max_bytes=MAX_FILE_BYTES)
    except ValueError as exc:
        raise ValidationError({field: exc.args[0]}) from None


def store_files(
    session: Session,
    checked: list[tuple[Upload, str]],
    root: Path | None,
    *,
    user: User | None,
    deal: Deal | None = None,
    message: DealMessage | None = None,
    quote: Quote | None = None,
    need: Need | None = None,
) -> list[DealFile]:
    """Keep checked attachments (``check_files``) under their digest and record them:
    a deal's (of a message or a quote), or a need's own (sent with a request for
    quotation)."""
    if checked and root is None:
        raise ValueError("attachments need the uploads folder")
    added = []
    for upload, content_type in checked:
        row = DealFile(
            deal=deal,
            message=message,
            quote=quote,
            need=need,
            filename=safe_name(upload.filename),
            content_type=content_type,
            size=len(upload.data),
            sha256=store(root, upload.data),  # type: ignore[arg-type]
            uploaded_by_id=user.id if user else None,
        )
        session.add(row)
        added.append(row)
    return added


def side_of(user: User | None, deal: Deal) -> Side | None:
    """The side ``user`` writes for on ``deal``: their firm's, or officer once asked in
    (``None``: they may not write there)."""
    side = pipeline_side(user, deal)
    if side == Side.OFFICER:
        from ..access import view_deal

        return side if view_deal(user, deal) else None
    return side


def _officers(session: Session, deal: Deal) -> list[User]:
    """The active officers of both firms' provinces, each once."""
    found: dict[int, User] = {}
    for province_id in {deal.buyer.province_id, deal.supplier.province_id}:
        for officer in province_officers(session, province_id):
            found.setdefault(officer.id, officer)
    return list(found.values())


def answer(
    session: Session,
    need: Need,
    supplier_firm: Firm,
    user: User,
    body: object,
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
) -> DealMessage:
    """The supplier's interest in ``need``, with a short message (and attachments):
    begins the deal (or adds to it), records the interest stage from this message and
    tells the buyer's users."""
    if user.firm_id != supplier_firm.id or not answer_need(user, need):
        raise OutOfScope(N_("You cannot answer this need."), target=need)
    text = clean_body(body, "message")
    checked = check_files(files)
    deal = deal_for(session, need, supplier_firm, started_by=Side.SUPPLIER)
    message = DealMessage(
        deal=deal, author_id=user.id, side=Side.SUPPLIER, kind="interest", body=text
    )
    session.add(message)
    session.flush()
    store_files(session, checked, root, deal=deal, user=user, message=message)
    reach(
        session,
        deal,
        Stage.INTEREST,
        source="message",
        ref_id=message.id,
        user=user,
        side=Side.SUPPLIER,
    )
    deal_notice(session, deal, DEAL_INTEREST, to=Side.BUYER)
    return message


def post_message(
    session: Session,
    deal: Deal,
    user: User,
    body: object,
    files: Iterable[Upload] = (),
    *,
    root: Path | None = None,
) -> DealMessage:
    """A message in the conversation, as the writer's side; the other side is told
    (both firms, for an officer's), and so are the officers once asked in."""
    side = side_of(user, deal)
    if side is None:
        raise OutOfScope(N_("You cannot write in this conversation."), target=deal)
    text = clean_body(body)
    checked = check_files(files)
    message = DealMessage(deal=deal, author_id=user.id, side=side, body=text)
    session.add(message)
    session.flush()
    store_files(session, checked, root, deal=deal, user=user, message=message)
    params = {"from": side.value}
    for to in (Side.BUYER, Side.SUPPLIER):
        if to != side:
            deal_notice(session, deal, DEAL_MESSAGE, to=to, params=params)
    if deal.officers_asked_at is not None:
        officers = [o for o in _officers(session, deal) if o.id != user.id]
        if officers:
            deal_notice(session, deal, DEAL_MESSAGE, to=side, params=params, users=officers)
    return message


def ask_officers(session: Session, deal: Deal, user: User) -> bool:
    """One firm of the deal asks the officers of both firms' provinces into the
    conversation (they read it from now on and are told). False when they already were."""
    if side_of(user, deal) not in (Side.BUYER, Side.SUPPLIER):
        raise OutOfScope(N_("Only the two firms of a deal can ask the officers in."), target=deal)
    if deal.officers_asked_at is not None:
        return False
    deal.officers_asked_at = utcnow()
    deal.officers_asked_by_id = user.id
    side = side_of(user, deal)
    deal_notice(session, deal, DEAL_OFFICERS_ASKED, to=side, users=_officers(session, deal))
    return True
