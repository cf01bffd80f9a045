"""Whom to meet at an event: the other side's participants, ranked by the matcher.

A buyer is matched on the needs it brings (or, if it brings none, its open needs):
suppliers are ranked by their best match score over those needs, as on the buyer's
match page. A supplier sees the buyers whose needs fit it best, scored the same way
from its side (``matching.opportunities``). Participants the matcher finds nothing
for are listed after, unranked, so nobody is hidden from anyone.

Only needs the reader may read are scored or shown (``catalog.access.visibility``): a buyer
that brings a need for officers only is still listed to a supplier, but never ranked
on that need, nor named with it. Buyers' needs arrive here through registrations (a
relationship the session's own filter does not reach), so they are filtered here, in
one query for all the event's buyers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from catalog.access.visibility import Reader, needs_clause, readable
from catalog.models import (
    Need,
    NeedStatus,
    Registration,
    RegistrationStatus,
    User,
    registration_needs,
)

from ..engine import MatchEngine
from ..opportunities import opportunities


@dataclass
class Suggestion:
    registration: Registration
    score: float | None  # None: the matcher found no fit
    need: Need | None = None  # the need the score is for
    reasons: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Any] = field(default_factory=list)


def _buyer_needs(session: Session, reg: Registration) -> list[Need]:
    if reg.needs:
        return list(reg.needs)
    return list(
        session.scalars(
            select(Need).where(Need.buyer_id == reg.firm_id, Need.status == NeedStatus.OPEN)
        )
    )


def wanted_needs(
    session: Session, buyers: list[Registration], reader: User | Reader | None
) -> set[int]:
    """The needs the buyers' registrations stand for, among those ``reader`` may read:
    those each buyer brings or, when it brings none, its open needs. Two queries
    whatever the number of buyers."""
    if not buyers:
        return set()
    brought: dict[int, list[int]] = {}
    rows = session.execute(
        select(registration_needs.c.registration_id, registration_needs.c.need_id).where(
            registration_needs.c.registration_id.in_([r.id for r in buyers])
        )
    )
    for reg_id, need_id in rows:
        brought.setdefault(reg_id, []).append(need_id)
    ids = [i for r in buyers for i in brought.get(r.id, [])]
    bare = [r.firm_id for r in buyers if r.id not in brought]
    query = select(Need.id).where(
        or_(
            Need.id.in_(ids),
            and_(Need.buyer_id.in_(bare), Need.status == NeedStatus.OPEN),
        ),
        needs_clause(reader),
    )
    return set(session.scalars(query))


def suggest(
    session: Session,
    engine: MatchEngine,
    reg: Registration,
    reader: User | Reader | None,
    limit: int = 50,
) -> list[Suggestion]:
    """The approved participants of the other side, best match first, as ``reader``
    (the user looking at ``reg``'s page) may see them."""
    others = [
        r
        for r in reg.event.registrations
        if r.side != reg.side and r.status == RegistrationStatus.APPROVED
    ]
    by_firm = {r.firm_id: r for r in others}
    best: dict[int, Suggestion] = {}
    if reg.side == "buyer":
        for need in readable(session, reader, _buyer_needs(session, reg)):
            for m in engine.match_need(session, need, limit=200):
                other = by_firm.get(m.firm_id)
                if other is not None and (
                    m.firm_id not in best or m.score > (best[m.firm_id].score or 0)
                ):
                    best[m.firm_id] = Suggestion(other, m.score, need, m.reasons, m.checks)
    else:
        wanted = wanted_needs(session, others, reader)
        for o in opportunities(session, engine, reg.firm, user=reader, limit=None):
            other = by_firm.get(o.need.buyer_id)
            if other is None or o.need.id not in wanted:
                continue
            if o.need.buyer_id not in best or o.score > (best[o.need.buyer_id].score or 0):
                best[o.need.buyer_id] = Suggestion(other, o.score, o.need, o.reasons, o.checks)
    ranked = sorted(best.values(), key=lambda s: -(s.score or 0))
    rest = [Suggestion(r, None) for r in others if r.firm_id not in best]
    rest.sort(key=lambda s: s.registration.firm.display_name)
    return (ranked + rest)[:limit]
