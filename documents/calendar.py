"""A participant's agenda as a calendar file (.ics), for their phone or mail client.

The calendar uses the event's local time (Asia/Ho_Chi_Minh) so phones show meetings at
the hour printed on the agenda; each meeting keeps a stable UID, so importing a revised
agenda updates the entries instead of duplicating them. Every text in it is stored
text written as iCalendar TEXT (``_text``): commas, semicolons, backslashes and line
breaks escaped, so a name can never end a property or start another, and characters
no file should carry dropped (rows stored before validation refused them may hold them).
A meeting names its need only to a reader who may read it (``agenda.about``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, vText
from icalendar import Event as CalendarEvent

from catalog.models import Event, Meeting, Registration
from catalog.text import literal_text

from .agenda import about

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _moment(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=VIETNAM)


def _text(value: str) -> vText:
    """A TEXT value: escaped by icalendar even in an X- property (which it would write
    raw), without the characters no file should carry."""
    return vText(literal_text(value))


def agenda_ics(
    event: Event, reg: Registration, meetings: list[Meeting], *, shown: Collection[int]
) -> bytes:
    """A participant's meetings at an event as an iCalendar file, one entry per meeting."""
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
        if about(m, shown):
            item.add("description", _text(about(m, shown)))
        item.add("dtstamp", datetime.now(VIETNAM))
        cal.add_component(item)
    return cal.to_ical()
