"""What a support application tells the firm and the officers: an application filed
(to the programme's officers), the decision, a payment, the completion.

Filed with ``catalog.notifications.notify`` (kind and ids, never rendered text),
rendered here in the reader's language, linked to the application only while the
reader may still open it (``catalog.access.view_application``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Notification, SupportApplication, SupportLine, User
from . import Rendered, _firm_name, firm_users, notify, province_officers

SUPPORT_APPLIED = "support.applied"  # to the programme's officers
SUPPORT_APPROVED = "support.approved"
SUPPORT_REJECTED = "support.rejected"
SUPPORT_PAID = "support.paid"
SUPPORT_COMPLETED = "support.completed"
KINDS = (SUPPORT_APPLIED, SUPPORT_APPROVED, SUPPORT_REJECTED, SUPPORT_PAID, SUPPORT_COMPLETED)


def support_notice(
    session: Session,
    application: SupportApplication,
    kind: str,
    params: dict[str, Any] | None = None,
) -> list[Notification]:
    """Tell the firm's users (or, for a new application, the programme's officers)."""
    if kind not in KINDS:
        raise ValueError(f"unknown support notification {kind!r}")
    session.flush()
    line = application.line
    if kind == SUPPORT_APPLIED:
        recipients = province_officers(session, line.programme.province_id)
    else:
        recipients = firm_users(session, application.firm_id)
    values = {"firm_id": application.firm_id, "line_id": line.id, **(params or {})}
    return notify(session, recipients, kind, application, values)


def render(session: Session, note: Notification, reader: User) -> Rendered:
    """What a support notification says to ``reader`` now."""
    from ..access import view_application

    p = note.params or {}
    line = session.get(SupportLine, p.get("line_id")) if p.get("line_id") else None
    firm = _firm_name(session, p.get("firm_id"))
    line_name = line.name if line is not None else ""
    titles = {
        SUPPORT_APPLIED: N_("%(firm)s applied for support: %(line)s", firm=firm, line=line_name),
        SUPPORT_APPROVED: N_("Your application was approved: %(line)s", line=line_name),
        SUPPORT_REJECTED: N_("Your application was not approved: %(line)s", line=line_name),
        SUPPORT_PAID: N_("A payment of your support was recorded: %(line)s", line=line_name),
        SUPPORT_COMPLETED: N_("Your support is completed: %(line)s", line=line_name),
    }
    title = titles.get(note.kind, N_("Notification"))
    lines: list[Any] = []
    if note.kind == SUPPORT_APPROVED and p.get("amount") is not None:
        lines.append(N_("Amount approved: %(amount)s VND.", amount=p["amount"]))
    if note.kind == SUPPORT_PAID and p.get("amount") is not None:
        lines.append(N_("Amount paid: %(amount)s VND.", amount=p["amount"]))
    application = session.get(SupportApplication, note.subject_id) if note.subject_id else None
    if application is not None and view_application(reader, application):
        return Rendered(title, lines, "programmes.application", {"application_id": application.id})
    return Rendered(title, lines)
