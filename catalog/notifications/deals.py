"""What a deal tells each side: an answer to a need, a message, a quotation, a request
for quotation, a declined quotation, an order, a stage, a rating, officers asked in.

Filed with ``catalog.notifications.notify`` like every notification (kind and ids,
never rendered text; mailed after the commit, at once or in the digest), rendered here
in the reader's language and with the reader's rights at reading time: a need the
reader may no longer read is not named, a deal the reader may no longer open is not
linked. The text the other side wrote is never copied into a notification.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Deal, Notification, Side, Stage, User
from . import Rendered, _firm_name, _need_line, firm_users, notify

DEAL_INTEREST = "deal.interest"
DEAL_MESSAGE = "deal.message"
DEAL_QUOTE = "deal.quote"
DEAL_REQUEST = "deal.rfq"
DEAL_REQUEST_NO_USER = "deal.rfq_no_user"  # to officers: the supplier has no user
DEAL_QUOTE_DECLINED = "deal.quote_declined"
DEAL_STAGE = "deal.stage"
DEAL_ORDER = "deal.order"
DEAL_RATING = "deal.rating"
DEAL_OFFICERS_ASKED = "deal.officers_asked"
KINDS = (
    DEAL_INTEREST,
    DEAL_MESSAGE,
    DEAL_QUOTE,
    DEAL_REQUEST,
    DEAL_REQUEST_NO_USER,
    DEAL_QUOTE_DECLINED,
    DEAL_STAGE,
    DEAL_ORDER,
    DEAL_RATING,
    DEAL_OFFICERS_ASKED,
)


def deal_notice(
    session: Session,
    deal: Deal,
    kind: str,
    to: Side,
    params: dict[str, Any] | None = None,
    *,
    users: list[User] | None = None,
) -> list[Notification]:
    """Tell the users of one side of ``deal`` (or ``users``, for officers) what
    happened; flushed with the event, not committed."""
    session.flush()  # the ids of what was just set through relationships
    if kind not in KINDS:
        raise ValueError(f"unknown deal notification {kind!r}")
    firm_id = deal.buyer_id if to == Side.BUYER else deal.supplier_id
    recipients = users if users is not None else firm_users(session, firm_id)
    values = {
        "need_id": deal.need_id,
        "buyer_id": deal.buyer_id,
        "supplier_id": deal.supplier_id,
        **(params or {}),
    }
    return notify(session, recipients, kind, deal, values)


def render(session: Session, note: Notification, reader: User) -> Rendered:
    """What a deal notification says to ``reader`` now."""
    from ..access import view_deal  # the deal's own rule, at reading time

    p = note.params or {}
    kind = note.kind
    buyer = _firm_name(session, p.get("buyer_id"))
    supplier = _firm_name(session, p.get("supplier_id"))
    need, _readable = _need_line(session, reader, p.get("need_id"))
    titles = {
        DEAL_INTEREST: N_("%(supplier)s answered your need", supplier=supplier),
        DEAL_QUOTE: N_("%(supplier)s sent you a quotation", supplier=supplier),
        DEAL_REQUEST: N_("%(buyer)s asks you to quote", buyer=buyer),
        DEAL_QUOTE_DECLINED: N_("%(buyer)s declined your quotation", buyer=buyer),
        DEAL_ORDER: N_("%(buyer)s placed a purchase order with you", buyer=buyer),
        DEAL_RATING: N_("%(buyer)s rated your deliveries", buyer=buyer),
        DEAL_OFFICERS_ASKED: N_(
            "You are asked to join the conversation of %(buyer)s and %(supplier)s",
            buyer=buyer,
            supplier=supplier,
        ),
    }
    if kind == DEAL_MESSAGE and p.get("from") == Side.OFFICER.value:
        title = N_(
            "A provincial officer wrote in the conversation of %(buyer)s and %(supplier)s",
            buyer=buyer,
            supplier=supplier,
        )
    elif kind == DEAL_MESSAGE:
        writer = supplier if p.get("from") == Side.SUPPLIER.value else buyer
        title = N_("%(firm)s wrote to you", firm=writer)
    elif kind == DEAL_STAGE:
        title = N_("A deal with %(buyer)s moved on", buyer=buyer)
    else:
        title = titles.get(kind, N_("Notification"))
    lines = [need]
    if kind == DEAL_REQUEST_NO_USER:
        title = N_(
            "%(buyer)s asks %(supplier)s to quote, and the firm has no user",
            buyer=buyer,
            supplier=supplier,
        )
        lines.append(
            N_("Contact the firm, or invite it to claim its profile to answer the request.")
        )
        if p.get("deadline"):
            lines.append(N_("Quotations are due by %(date)s.", date=p["deadline"]))
        return Rendered(
            title, lines, "notifications.invite_form", {"firm_id": p.get("supplier_id")}
        )
    if kind == DEAL_STAGE and p.get("stage") in {s.value for s in Stage}:
        from ..deals.pipeline import STAGE_LABELS

        lines.append(STAGE_LABELS[Stage(p["stage"])])
    if kind == DEAL_REQUEST and p.get("deadline"):
        lines.append(N_("Quotations are due by %(date)s.", date=p["deadline"]))
    deal = (
        session.get(Deal, note.subject_id)
        if note.subject_type == "deal" and note.subject_id
        else None
    )
    if deal is not None and view_deal(reader, deal):
        return Rendered(title, lines, "deals.show", {"deal_id": deal.id})
    return Rendered(title, lines)
