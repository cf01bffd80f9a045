"""Plain-dict views of catalog records, for the JSON API and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Capability, Certification, Concept, Firm, Introduction, Need, as_utc


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = as_utc(value)
    return value.isoformat()


def concept_dict(c: Concept | None) -> dict[str, str] | None:
    if c is None:
        return None
    return {"id": c.id, "name_vi": c.name_vi, "name_en": c.name_en}


def certification_dict(cert: Certification) -> dict[str, Any]:
    return {
        "id": cert.id,
        "standard": cert.standard,
        "issuer": cert.issuer,
        "certificate_no": cert.certificate_no,
        "valid_until": _iso(cert.valid_until),
        "valid": cert.is_valid(),
    }


def capability_dict(cap: Capability) -> dict[str, Any]:
    return {
        "id": cap.id,
        "firm_id": cap.firm_id,
        "title": cap.title,
        "description": cap.description,
        "process": concept_dict(cap.process),
        "materials": [concept_dict(m) for m in cap.materials],
        "products": cap.products,
        "hs_codes": cap.hs_codes or [],
        "equipment": cap.equipment,
        "tolerance_mm": cap.tolerance_mm,
        "capacity_per_month": cap.capacity_per_month,
        "capacity_unit": cap.capacity_unit,
        "min_order_qty": cap.min_order_qty,
        "language": cap.language,
        "updated_at": _iso(cap.updated_at),
    }


def firm_dict(firm: Firm, detail: bool = False, contact: bool = False) -> dict[str, Any]:
    """A firm; the contact person only with ``contact`` (see ``catalog.access``)."""
    data: dict[str, Any] = {
        "id": firm.id,
        "role": firm.role.value,
        "name_vi": firm.name_vi,
        "name_en": firm.name_en,
        "tax_code": firm.tax_code,
        "province": firm.province.code if firm.province else None,
        "province_name": firm.province.name_vi if firm.province else None,
        "zone": {"id": firm.zone.id, "name": firm.zone.label} if firm.zone else None,
        "employees": firm.employees,
        "year_founded": firm.year_founded,
        "ownership": firm.ownership.value,
        "sectors": [s.id for s in firm.sectors],
        "certifications": sorted({c.standard for c in firm.valid_certifications()}),
        "verified": firm.verified_at is not None,
    }
    if detail:
        data.update(
            {
                "address": firm.address,
                "country_of_origin": firm.country_of_origin,
                "contact_name": firm.contact_name if contact else None,
                "contact_email": firm.contact_email if contact else None,
                "contact_phone": firm.contact_phone if contact else None,
                "website": firm.website,
                "description": firm.description,
                "capabilities": [capability_dict(c) for c in firm.capabilities],
                "certifications": [certification_dict(c) for c in firm.certifications],
                "created_at": _iso(firm.created_at),
                "updated_at": _iso(firm.updated_at),
            }
        )
    return data


def need_dict(need: Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "buyer_id": need.buyer_id,
        "buyer_name": need.buyer.display_name if need.buyer else None,
        "title": need.title,
        "description": need.description,
        "process": concept_dict(need.process),
        "materials": [concept_dict(m) for m in need.materials],
        "quantity_per_year": need.quantity_per_year,
        "target_price_vnd": need.target_price_vnd,
        "tolerance_mm": need.tolerance_mm,
        "required_certifications": need.required_certifications or [],
        "delivery_province": need.delivery_province.code if need.delivery_province else None,
        "deadline": _iso(need.deadline),
        "status": need.status.value,
        "visibility": need.visibility.value,
        "created_at": _iso(need.created_at),
    }


def introduction_dict(intro: Introduction) -> dict[str, Any]:
    return {
        "id": intro.id,
        "need_id": intro.need_id,
        "supplier_id": intro.supplier_id,
        "buyer_id": intro.buyer_id,
        "status": intro.status.value,
        "message": intro.message,
        "created_at": _iso(intro.created_at),
        "decided_at": _iso(intro.decided_at),
    }
