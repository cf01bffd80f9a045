"""From gaps to offers: the open support lines that would close what a firm lacks.

A gap is what ``matching.opportunities`` names a missing requirement: its kind and key,
("certification", "ISO 9001") or ("process", "p_cnc_turning"). A management-system line
closes the certifications it lists, a training or technology line the processes it
lists. Lines are offered while they are open and their programme runs this year, to
firms they accept (``applications.ineligible``).

``one_away`` ranks the province's firms that one support would make a good local match
for open needs, from the near misses the localisation analysis found (each a firm, the
one thing it lacked, and the need), by the number of needs it would open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Firm, LineStatus, Programme, SupportLine
from ..models.base import vietnam_today
from .applications import ineligible

CERTIFICATION, PROCESS = "certification", "process"


def closes(line: SupportLine, kind: str, key: str) -> bool:
    """Whether ``line`` helps a firm get what the gap (``kind``, ``key``) names."""
    if kind == CERTIFICATION:
        return key in (line.standards or [])
    if kind == PROCESS:
        return any(c.id == key for c in line.processes)
    return False


def open_lines(session: Session, province_id: int | None) -> list[SupportLine]:
    """The lines firms may apply to now in the province (all provinces: None)."""
    year = vietnam_today().year
    query = (
        select(SupportLine)
        .join(Programme, SupportLine.programme_id == Programme.id)
        .where(
            SupportLine.status == LineStatus.OPEN,
            Programme.start_year <= year,
            Programme.end_year >= year,
        )
        .options(
            selectinload(SupportLine.processes),
            selectinload(SupportLine.sectors),
            selectinload(SupportLine.programme),
        )
        .order_by(SupportLine.id)
    )
    if province_id is not None:
        query = query.where(Programme.province_id == province_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Offer:
    """A line that would close a gap, and the most it pays (None: no bound given)."""

    line: SupportLine
    kind: str
    key: str

    @property
    def share_pct(self) -> int:
        return self.line.share_pct

    @property
    def ceiling_vnd(self) -> int | None:
        return self.line.ceiling_vnd


def offers_for(
    session: Session,
    gaps: Iterable[tuple[str, str]],
    province_id: int | None,
    firm: Firm | None = None,
) -> dict[tuple[str, str], list[Offer]]:
    """For each gap (kind, key), the open lines of the province that close it, and that
    accept ``firm`` when one is given."""
    lines = open_lines(session, province_id)
    out: dict[tuple[str, str], list[Offer]] = {}
    for kind, key in gaps:
        found = [
            Offer(line, kind, key)
            for line in lines
            if closes(line, kind, key) and (firm is None or not ineligible(line, firm))
        ]
        if found:
            out[(kind, key)] = found
    return out


@dataclass
class Candidate:
    """A firm one support away from good local matches: the gap, the lines that close
    it, and the needs it would open."""

    firm: Firm
    kind: str
    key: str
    name: str
    need_ids: list[int] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)

    @property
    def needs(self) -> int:
        return len(self.need_ids)


def one_away(
    session: Session,
    province_id: int | None,
    near_misses: Iterable[tuple[int, Any]],
) -> list[Candidate]:
    """The firms of the province that an open line's support would make good matches
    for open needs, the one opening most needs first. ``near_misses`` are (need id,
    miss) pairs, a miss naming ``firm_id``, ``kind``, ``key`` and ``name``."""
    grouped: dict[tuple[int, str, str], tuple[str, set[int]]] = {}
    for need_id, miss in near_misses:
        entry = grouped.setdefault((miss.firm_id, miss.kind, miss.key), (miss.name, set()))
        entry[1].add(need_id)
    if not grouped:
        return []
    lines = open_lines(session, province_id)
    firms = {
        f.id: f
        for f in session.scalars(
            select(Firm)
            .where(Firm.id.in_({firm_id for firm_id, _, _ in grouped}))
            .options(selectinload(Firm.sectors))
        )
    }
    by_firm: dict[int, list[Candidate]] = defaultdict(list)
    for (firm_id, kind, key), (name, needs) in grouped.items():
        firm = firms.get(firm_id)
        if firm is None or (province_id is not None and firm.province_id != province_id):
            continue
        offers = [
            Offer(line, kind, key)
            for line in lines
            if closes(line, kind, key) and not ineligible(line, firm)
        ]
        if offers:
            by_firm[firm_id].append(Candidate(firm, kind, key, name, sorted(needs), offers))
    found = [c for candidates in by_firm.values() for c in candidates]
    return sorted(found, key=lambda c: (-c.needs, c.firm.display_name, c.key))
