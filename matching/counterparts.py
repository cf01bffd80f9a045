"""Whom to meet at an event: the other side's participants, ranked by the matcher.

A buyer is matched on the needs it brings (or, if it brings none, its open needs):
suppliers are ranked by their best match score over those needs, as on the buyer's
match page. A supplier sees the buyers whose needs fit it best, scored the same way
from its side (``matching.opportunities``). Participants the matcher finds nothing
for are listed after, unranked, so nobody is hidden from anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Need, NeedStatus, Registration, RegistrationStatus

from .engine import MatchEngine
from .opportunities import opportunities


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


def suggest(
    session: Session, engine: MatchEngine, reg: Registration, limit: int = 50
) -> list[Suggestion]:
    """The approved participants of the other side, best match first."""
    others = [
        r
        for r in reg.event.registrations
        if r.side != reg.side and r.status == RegistrationStatus.APPROVED
    ]
    by_firm = {r.firm_id: r for r in others}
    best: dict[int, Suggestion] = {}
    if reg.side == "buyer":
        for need in _buyer_needs(session, reg):
            for m in engine.match_need(session, need, limit=200):
                other = by_firm.get(m.firm_id)
                if other is not None and (
                    m.firm_id not in best or m.score > (best[m.firm_id].score or 0)
                ):
                    best[m.firm_id] = Suggestion(other, m.score, need, m.reasons, m.checks)
    else:
        wanted = {n.id for r in others for n in (r.needs or _buyer_needs(session, r))}
        for o in opportunities(session, engine, reg.firm, limit=None):
            other = by_firm.get(o.need.buyer_id)
            if other is None or o.need.id not in wanted:
                continue
            if o.need.buyer_id not in best or o.score > (best[o.need.buyer_id].score or 0):
                best[o.need.buyer_id] = Suggestion(other, o.score, o.need, o.reasons, o.checks)
    ranked = sorted(best.values(), key=lambda s: -(s.score or 0))
    rest = [Suggestion(r, None) for r in others if r.firm_id not in best]
    rest.sort(key=lambda s: s.registration.firm.display_name)
    return (ranked + rest)[:limit]
