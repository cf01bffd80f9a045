"""Event outputs: a participant's agenda as a printable PDF and the master schedule as a
workbook (the agenda's calendar file is ``documents.calendar``).

A meeting names the need it is about only to a reader who may read that need
(``shown``: ids from ``catalog.access.visibility.readable_ids``): the buyer chose the need, the
other side or an organiser may not be allowed to read it. Headings come from the
caller, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Collection

from catalog.events import schedulable, slot_label
from catalog.export import to_xlsx
from catalog.i18n import N_
from catalog.models import Event, Meeting, MeetingOutcome, MeetingStatus, Registration

from .content import Table, Translator
from .pdf import tables_pdf


def about(meeting: Meeting, shown: Collection[int]) -> str:
    """The title of the need a meeting is about, if the reader may read it."""
    return meeting.need.title if meeting.need is not None and meeting.need_id in shown else ""


SCHEDULE_HEADERS = (
    N_("Slot"),
    N_("Time"),
    N_("Table"),
    N_("Buyer"),
    N_("Supplier"),
    N_("Need"),
    N_("Mutual request"),
    N_("Locked"),
    N_("Status"),
    N_("Outcome"),
)
MEETING_STATUS = {
    MeetingStatus.PLANNED: N_("Planned"),
    MeetingStatus.HELD: N_("Held"),
    MeetingStatus.NO_SHOW: N_("No-show"),
    MeetingStatus.CANCELLED: N_("Cancelled"),
}
MEETING_OUTCOME = {
    MeetingOutcome.NO_INTEREST: N_("No interest"),
    MeetingOutcome.FOLLOW_UP: N_("Follow-up"),
    MeetingOutcome.NDA: N_("NDA"),
    MeetingOutcome.SAMPLE_ORDER: N_("Sample order"),
    MeetingOutcome.CONTRACT: N_("Contract"),
}


def agenda_pdf(
    event: Event,
    reg: Registration,
    meetings: list[Meeting],
    headers: list[str],
    empty: str,
    *,
    shown: Collection[int],
) -> bytes:
    """A participant's agenda as a printable PDF: time, table, whom, about what."""
    rows = []
    for m in meetings:
        other = m.supplier if reg.id == m.buyer_id else m.buyer
        rows.append(
            [
                slot_label(event, m.slot),
                (m.table or 0) + 1,
                other.firm.display_name,
                about(m, shown),
            ]
        )
    title = f"{event.name} — {reg.firm.display_name}"
    table = Table(
        f"{event.venue} · {event.starts_on.isoformat()}", headers, rows, [0.22, 0.08, 0.35, 0.35]
    )
    return tables_pdf(title, [table], empty)


def schedule_rows(event: Event, t: Translator, *, shown: Collection[int]) -> list[list]:
    rows = []
    placed = sorted(
        (m for m in schedulable(event) if m.slot is not None), key=lambda m: (m.slot, m.table)
    )
    for m in placed:
        rows.append(
            [
                m.slot + 1,
                slot_label(event, m.slot),
                (m.table or 0) + 1,
                m.buyer.firm.display_name,
                m.supplier.firm.display_name,
                about(m, shown),
                "✓" if m.mutual else "",
                "✓" if m.locked else "",
                t.gettext(MEETING_STATUS[m.status]),
                t.gettext(MEETING_OUTCOME[m.outcome]) if m.outcome else "",
            ]
        )
    return rows


def schedule_xlsx(event: Event, t: Translator, *, shown: Collection[int]) -> bytes:
    """The master schedule in the reader's language: one row per placed meeting, in
    slot and table order."""
    headers = [t.gettext(h) for h in SCHEDULE_HEADERS]
    rows = schedule_rows(event, t, shown=shown)
    return to_xlsx(headers, rows, title=t.gettext("Schedule"))
