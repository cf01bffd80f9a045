"""Event outputs: a participant's calendar file and the master schedule workbook.

The calendar uses the event's local time (Asia/Ho_Chi_Minh) so phones show meetings at
the hour printed on the agenda; each meeting keeps a stable UID, so importing a revised
agenda updates the entries instead of duplicating them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from catalog.events import schedulable, slot_label
from catalog.export import to_xlsx
from catalog.models import Event, Meeting, Registration

from .reports import Table, tables_pdf

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _moment(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=VIETNAM)


def agenda_ics(event: Event, reg: Registration, meetings: list[Meeting]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//KetNoi//matchmaking agenda//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{event.name} — {reg.firm.display_name}")
    for m in meetings:
        slot = event.slots[m.slot]
        other = m.supplier if reg.id == m.buyer_id else m.buyer
        item = CalendarEvent()
        item.add("uid", f"event-{event.id}-meeting-{m.id}@ketnoi")
        item.add("summary", f"{other.firm.display_name} · {event.name}")
        item.add("dtstart", _moment(slot["day"], slot["start"]))
        item.add("dtend", _moment(slot["day"], slot["end"]))
        table = "" if m.table is None else f" · {m.table + 1}"
        item.add("location", f"{event.venue}{table}".strip(" ·"))
        if m.need is not None:
            item.add("description", m.need.title)
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
    event: Event, reg: Registration, meetings: list[Meeting], headers: list[str], empty: str
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
                m.need.title if m.need else "",
            ]
        )
    title = f"{event.name} — {reg.firm.display_name}"
    table = Table(
        f"{event.venue} · {event.starts_on.isoformat()}", headers, rows, [0.22, 0.08, 0.35, 0.35]
    )
    return tables_pdf(title, [table], empty)


def schedule_rows(event: Event) -> list[list]:
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
                m.need.title if m.need else "",
                "✓" if m.mutual else "",
                "✓" if m.locked else "",
                m.status.value,
                m.outcome.value if m.outcome else "",
            ]
        )
    return rows


def schedule_xlsx(event: Event) -> bytes:
    """The master schedule: one row per placed meeting, in slot and table order."""
    return to_xlsx(list(SCHEDULE_HEADERS), schedule_rows(event), title="Schedule")
