"""Supply relationships: declared by firms and officers, or created by a deal.

A deal recorded on a match is the best evidence a local supplier now serves a buyer;
it becomes a tier-1 relationship with the part families the need names, so the
province's count of tier-1/tier-2 suppliers follows what matchmaking achieves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .i18n import N_
from .models import Concept, Firm, Need, SupplyRelationship
from .text import fold
from .validation import ValidationError, validate_relationship


def _existing(session: Session, supplier: Firm, buyer: Firm) -> SupplyRelationship | None:
    return session.scalar(
        select(SupplyRelationship).where(
            SupplyRelationship.supplier_id == supplier.id,
            SupplyRelationship.buyer_id == buyer.id,
        )
    )


def declare(
    session: Session, supplier: Firm, buyer: Firm | None, data: Mapping[str, Any]
) -> SupplyRelationship:
    """Record (or correct) that ``supplier`` delivers to ``buyer``."""
    errors: dict[str, str] = {}
    if not supplier.is_supplier:
        errors["supplier"] = N_("Only suppliers deliver to buyers.")
    if buyer is None or buyer.id == supplier.id:
        errors["buyer"] = N_("Choose the buyer this firm delivers to.")
    try:
        clean = validate_relationship(session, data)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    link = _existing(session, supplier, buyer) or SupplyRelationship(supplier=supplier, buyer=buyer)
    link.tier = clean["tier"]
    link.since = clean.get("since")
    link.part_families = [session.get(Concept, i) for i in clean.get("part_families") or []]
    session.add(link)
    session.commit()
    return link


def part_families_named(session: Session, text: str) -> list[Concept]:
    """The part-family concepts whose names or terms appear in ``text`` (folded)."""
    folded = f" {fold(text)} "
    found = []
    for concept in session.scalars(select(Concept).where(Concept.kind == "part_family")):
        names = [concept.name_vi, concept.name_en, *(concept.terms or [])]
        if any(len(n) > 3 and f" {fold(n)} " in folded for n in names if n):
            found.append(concept)
    return found


def from_deal(
    session: Session,
    need: Need,
    supplier: Firm,
    part_families: list[Concept] | None = None,
    since: date | None = None,
) -> SupplyRelationship:
    """A deal on a need: the supplier now delivers to the need's buyer, at tier 1.
    ``part_families``: those a purchase order names (``catalog.deals.orders``), else
    the ones the need's text names. Flushed, not committed: part of the caller's
    transaction."""
    link = _existing(session, supplier, need.buyer)
    if link is None:
        link = SupplyRelationship(
            supplier=supplier, buyer=need.buyer, tier=1, since=since or date.today(), source="deal"
        )
        link.need_id = need.id
        session.add(link)
    named = part_families or part_families_named(session, f"{need.title} {need.description}")
    link.part_families = list({c.id: c for c in [*link.part_families, *named]}.values())
    session.flush()
    return link


def of_firm(session: Session, firm: Firm) -> list[SupplyRelationship]:
    """Both directions: the buyers a supplier serves and the suppliers a buyer uses."""
    return list(
        session.scalars(
            select(SupplyRelationship)
            .where(
                or_(
                    SupplyRelationship.supplier_id == firm.id,
                    SupplyRelationship.buyer_id == firm.id,
                )
            )
            .order_by(SupplyRelationship.tier, SupplyRelationship.id)
        )
    )


def remove(session: Session, link: SupplyRelationship) -> None:
    session.delete(link)
    session.commit()
