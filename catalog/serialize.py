"""Plain-dict views of catalog records, for the JSON API and exports.

Firms, capabilities, certifications and needs are shown as their schemas declare them
(``catalog.schemas``); the other records, which only the API shows, are written here.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from .models import Capability, Certification, Firm, Introduction, Need
from .schemas import (
    CapabilitySchema,
    CertificationSchema,
    FirmSchema,
    NeedSchema,
    concept_dict,
    iso,
)

__all__ = [
    "capability_dict",
    "certification_dict",
    "concept_dict",
    "firm_cards",
    "firm_dict",
    "introduction_dict",
    "need_dict",
]


@cache
def _shown(schema: type, **options: bool) -> Any:
    """One schema instance per record and options, made once: building a marshmallow
    schema copies its fields (about 0.1 ms), which a list of 20 firms paid per firm.
    Dumping keeps no state, so the instance is shared."""
    return schema(**options)


def certification_dict(cert: Certification) -> dict[str, Any]:
    return _shown(CertificationSchema).dump(cert)


def capability_dict(cap: Capability) -> dict[str, Any]:
    return _shown(CapabilitySchema).dump(cap)


def firm_dict(firm: Firm, detail: bool = False, contact: bool = False) -> dict[str, Any]:
    """A firm; the contact person only with ``contact`` (see ``catalog.access``)."""
    return _shown(FirmSchema, detail=detail, contact=contact).dump(firm)


def firm_cards(session: Session, ids: list[int]) -> dict[int, tuple[datetime, dict[str, Any]]]:
    """(stamp, card) of each firm of ``ids``: ``firm_dict`` of rows loaded with only
    what a card reads (places, zone, sectors, certificates; no capabilities or checks)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(Firm)
        .where(Firm.id.in_(ids))
        .options(
            joinedload(Firm.province),
            joinedload(Firm.former_province),
            joinedload(Firm.zone),
            selectinload(Firm.sectors),
            selectinload(Firm.certifications),
        )
    )
    return {firm.id: (firm.updated_at, firm_dict(firm)) for firm in rows}


def need_dict(need: Need) -> dict[str, Any]:
    return _shown(NeedSchema).dump(need)


def introduction_dict(intro: Introduction) -> dict[str, Any]:
    return {
        "id": intro.id,
        "need_id": intro.need_id,
        "supplier_id": intro.supplier_id,
        "buyer_id": intro.buyer_id,
        "status": intro.status.value,
        "message": intro.message,
        "created_at": iso(intro.created_at),
        "decided_at": iso(intro.decided_at),
    }
