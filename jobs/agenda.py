"""Event outputs: a participant's calendar file and the master schedule workbook.

The calendar uses the event's local time (Asia/Ho_Chi_Minh) so phones show meetings at
the hour printed on the agenda; each meeting keeps a stable UID, so importing a revised
agenda updates the entries instead of duplicating them. Every text in it is stored
text written as iCalendar TEXT (``_text``): commas, semicolons, backslashes and line
breaks escaped, so a name can never end a property or start another, and characters
no file should carry dropped (rows stored before validation refused them may hold them).
A meeting names the need it is about only to a reader who may read that need
(``shown``: ids from ``catalog.visibility.readable_ids``): the buyer chose the need, the
other side or an organiser may not be allowed to read it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, vText
from icalendar import Event as CalendarEvent

from catalog.events import schedulable, slot_label
from catalog.export import to_xlsx
from catalog.models import Event, Meeting, Registration
from catalog.text import literal_text

from .reports import Table, tables_pdf

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _moment(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=VIETNAM)


def _text(value: str) -> vText:
    """A TEXT value: escaped by icalendar even in an X- property (which it would write
    raw), without the characters no file should carry."""
    return vText(literal_text(value))


def _about(meeting: Meeting, shown: Collection[int]) -> str:
    """The title of the need a meeting is about, if the reader may read it."""
    return meeting.need.title if meeting.need is not None and meeting.need_id in shown else ""


def agenda_ics(
    event: Event, reg: Registration, meetings: list[Meeting], *, shown: Collection[int]
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//KetNoi//matchmaking agenda//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _text(f"{event.name} — {reg.firm.display_name}"))
    for m in meetings:
        slot = event.slots[m.slot]
        other = m.supplier if reg.id == m.buyer_id else m.buyer
        item = CalendarEvent()
        item.add("uid", f"event-{event.id}-meeting-{m.id}@ketnoi")
        item.add("summary", _text(f"{other.firm.display_name} · {event.name}"))
        item.add("dtstart", _moment(slot["day"], slot["start"]))
        item.add("dtend", _moment(slot["day"], slot["end"]))
        table = "" if m.table is None else f" · {m.table + 1}"
        item.add("location", _text(f"{event.venue}{table}".strip(" ·")))
        if _about(m, shown):
            item.add("description", _text(_about(m, shown)))
        item.add("dtstamp", datetime.now(VIETNAM))
        cal.add_component(item)
    return cal.to_ical()


SCHEDULE_HEADERS = (
    "Slot",
    "Time",
    "Table",
    "Buyer",
    "Supplier",
    "Need",
    "Mutual request",
    "Locked",
    "Status",
    "Outcome",
)


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
                _about(m, shown),
            ]
        )
    title = f"{event.name} — {reg.firm.display_name}"
    table = Table(
        f"{event.venue} · {event.starts_on.isoformat()}", headers, rows, [0.22, 0.08, 0.35, 0.35]
    )
    return tables_pdf(title, [table], empty)


def schedule_rows(event: Event, *, shown: Collection[int]) -> list[list]:
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
                _about(m, shown),
                "✓" if m.mutual else "",
                "✓" if m.locked else "",
                m.status.value,
                m.outcome.value if m.outcome else "",
            ]
        )
    return rows


def schedule_xlsx(event: Event, *, shown: Collection[int]) -> bytes:
    """The master schedule: one row per placed meeting, in slot and table order."""
    return to_xlsx(list(SCHEDULE_HEADERS), schedule_rows(event, shown=shown), title="Schedule")
