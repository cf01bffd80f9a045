"""Read-side queries of the catalog: directory filters, facets and look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from .models import (
    Capability,
    Certification,
    Concept,
    Firm,
    FirmRole,
    FormerProvince,
    IndustrialZone,
    Need,
    NeedStatus,
    Province,
    capability_materials,
    firm_sectors,
)

SUPPLIER_ROLES = (FirmRole.SUPPLIER, FirmRole.BOTH)
BUYER_ROLES = (FirmRole.BUYER, FirmRole.BOTH)


@dataclass(frozen=True)
class DirectoryFilters:
    """The facets of the supplier directory; empty values mean 'any'."""

    province: str | None = None  # code of a current unit, or of a former province in one
    zone: int | None = None
    sector: str | None = None  # concept ids
    process: str | None = None
    material: str | None = None
    certification: str | None = None  # standard name, e.g. "ISO 9001"
    part: str | None = None  # a concept (part family) found in the firm's capability texts

    def active(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def supplier_query(
    filters: DirectoryFilters, firm_ids: set[int] | None = None
) -> Select[tuple[Firm]]:
    """Suppliers matching every given facet, ordered by name; ``firm_ids`` restricts to
    firms found otherwise (the concept facet, which comes from text tagging)."""
    query = select(Firm).where(Firm.role.in_(SUPPLIER_ROLES))
    if firm_ids is not None:
        query = query.where(Firm.id.in_(firm_ids))
    if filters.province:
        # "VP": the firms of former Vĩnh Phúc, now in Phú Thọ ("PT": all of Phú Thọ's).
        query = query.where(
            or_(
                Firm.province_id.in_(select(Province.id).where(Province.code == filters.province)),
                Firm.former_province_id.in_(
                    select(FormerProvince.id).where(FormerProvince.code == filters.province)
                ),
            )
        )
    if filters.zone:
        query = query.where(Firm.zone_id == filters.zone)
    if filters.sector:
        query = query.where(
            Firm.id.in_(
                select(firm_sectors.c.firm_id).where(firm_sectors.c.concept_id == filters.sector)
            )
        )
    if filters.process:
        query = query.where(
            Firm.id.in_(select(Capability.firm_id).where(Capability.process_id == filters.process))
        )
    if filters.material:
        query = query.where(
            Firm.id.in_(
                select(Capability.firm_id)
                .join(capability_materials)
                .where(capability_materials.c.concept_id == filters.material)
            )
        )
    if filters.certification:
        query = query.where(
            Firm.id.in_(
                # A certificate past its validity is not held (None: without end).
                select(Certification.firm_id).where(
                    Certification.standard == filters.certification,
                    or_(
                        Certification.valid_until.is_(None),
                        Certification.valid_until >= date.today(),
                    ),
                )
            )
        )
    return query.order_by(Firm.name_vi)


def firms_by_ids(
    session: Session, ids: list[int], sectors: bool = True, materials: bool = True
) -> dict[int, Firm]:
    """Load firms with what the directory and match cards show, in one round trip each
    (``sectors=False`` for matching, which does not need them; ``materials=False`` for
    the directory's cards, which show neither a capability's materials nor its process)."""
    if not ids:
        return {}
    # Collections by SELECT … IN; the many-to-one references (process, province, former
    # province, zone) joined into their parent's query: a match loads 40 firms in 5
    # round trips, not 8, and a page's places cost no query per firm.
    options = [
        selectinload(Firm.certifications),
        selectinload(Firm.verifications),
        joinedload(Firm.province),
        joinedload(Firm.former_province),
        joinedload(Firm.zone),
    ]
    if materials:
        options += [
            selectinload(Firm.capabilities).selectinload(Capability.materials),
            selectinload(Firm.capabilities).joinedload(Capability.process),
        ]
    else:
        options.append(selectinload(Firm.capabilities))
    if sectors:
        options.append(selectinload(Firm.sectors))
    rows = session.scalars(select(Firm).where(Firm.id.in_(ids)).options(*options))
    return {f.id: f for f in rows}


def concepts_by_kind(session: Session, kind: str) -> list[Concept]:
    return list(session.scalars(select(Concept).where(Concept.kind == kind).order_by(Concept.id)))


def provinces(session: Session) -> list[Province]:
    """The current units, each with the former provinces inside it (for filters)."""
    return list(
        session.scalars(
            select(Province).options(selectinload(Province.former_provinces)).order_by(Province.id)
        )
    )


def zones(session: Session, province_code: str | None = None) -> list[IndustrialZone]:
    """Zones of a current unit, or of a former province given by its code."""
    query = select(IndustrialZone).join(Province).order_by(Province.id, IndustrialZone.name)
    if province_code:
        former = select(FormerProvince.id).where(FormerProvince.code == province_code)
        query = query.where(
            or_(Province.code == province_code, IndustrialZone.former_province_id.in_(former))
        )
    return list(session.scalars(query))


def newest_firm_stamp(session: Session) -> datetime | None:
    """The newest change of any firm: its own row, or a capability, certificate or
    check of it (``catalog.models.stamps``); one step of ``ix_firms_updated_at``. A
    deletion moves it only when the newest firm goes: what is kept by it must tolerate
    a deleted firm for a while."""
    return session.scalar(select(func.max(Firm.updated_at)))


def certification_names(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Certification.standard)
            .group_by(Certification.standard)
            .order_by(func.count().desc())
        )
    )


def buyers(session: Session) -> list[Firm]:
    return list(
        session.scalars(select(Firm).where(Firm.role.in_(BUYER_ROLES)).order_by(Firm.name_vi))
    )


def open_needs_query(buyer_id: int | None = None) -> Select[tuple[Need]]:
    query = select(Need).where(Need.status == NeedStatus.OPEN)
    if buyer_id:
        query = query.where(Need.buyer_id == buyer_id)
    return query.order_by(Need.created_at.desc(), Need.id.desc())


def counts(session: Session) -> dict[str, int]:
    return {
        "suppliers": session.scalar(
            select(func.count()).select_from(Firm).where(Firm.role.in_(SUPPLIER_ROLES))
        )
        or 0,
        "buyers": session.scalar(
            select(func.count()).select_from(Firm).where(Firm.role.in_(BUYER_ROLES))
        )
        or 0,
        "capabilities": session.scalar(select(func.count()).select_from(Capability)) or 0,
        "open_needs": session.scalar(
            select(func.count()).select_from(Need).where(Need.status == NeedStatus.OPEN)
        )
        or 0,
    }
