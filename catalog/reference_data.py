"""Load provinces, industrial zones and the bilingual taxonomy from the packaged JSON.

Loading is an upsert keyed by natural keys (province code, zone name within a
province, concept id), so running it on every start is safe and picks up edits.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Concept, IndustrialZone, Province
from .text import nfc

CERTIFICATION_KIND = "certification"


def _read(name: str) -> Any:
    return json.loads(resources.files("catalog").joinpath("data", name).read_text("utf-8"))


@cache
def province_data() -> list[dict[str, Any]]:
    return _read("provinces.json")


@cache
def taxonomy_data() -> list[dict[str, Any]]:
    return _read("taxonomy.json")


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert or update reference rows; return how many rows of each kind were written."""
    counts = {"provinces": 0, "zones": 0, "concepts": 0}
    provinces = {p.code: p for p in session.scalars(select(Province))}
    for item in province_data():
        prov = provinces.get(item["code"])
        if prov is None:
            prov = Province(code=item["code"])
            session.add(prov)
            provinces[prov.code] = prov
            counts["provinces"] += 1
        prov.name_vi = nfc(item["name_vi"])
        prov.name_en = nfc(item["name_en"])
        prov.region = item.get("region", "")
        prov.lat, prov.lon = item.get("lat"), item.get("lon")
        session.flush()
        zones = {z.name: z for z in prov.zones}
        for z in item.get("zones", []):
            zone = zones.get(nfc(z["name"]))
            if zone is None:
                zone = IndustrialZone(province=prov, name=nfc(z["name"]))
                session.add(zone)
                counts["zones"] += 1
            zone.kind = z["kind"]
            zone.name_en = nfc(z.get("name_en", ""))
            zone.district = nfc(z.get("district", ""))
    concepts = {c.id: c for c in session.scalars(select(Concept))}
    for item in taxonomy_data():
        concept = concepts.get(item["id"])
        if concept is None:
            concept = Concept(id=item["id"])
            session.add(concept)
            counts["concepts"] += 1
        concept.kind = item["kind"]
        concept.name_vi = nfc(item["name_vi"])
        concept.name_en = nfc(item["name_en"])
        concept.sector_id = item.get("sector")
        concept.terms = [nfc(t) for t in item.get("terms", [])]
    session.commit()
    return counts


def certification_standards() -> list[str]:
    """Standard names known to the taxonomy, e.g. "ISO 9001", "IATF 16949"."""
    return [c["name_en"] for c in taxonomy_data() if c["kind"] == CERTIFICATION_KIND]
