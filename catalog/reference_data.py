"""Load provinces, industrial zones and the bilingual taxonomy from the packaged JSON.

Loading is an upsert keyed by natural keys (province code, zone name within a
province, concept id), so running it on every start is safe and picks up edits.
"""

from __future__ import annotations

import json
import re
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
    counts["concepts"] = upsert_concepts(session, taxonomy_data())["created"]
    session.commit()
    return counts


CONCEPT_KINDS = ("sector", "process", "material", "part_family", "certification")
_ID_RE = re.compile(r"^(sector|process|material|part_family|certification)\.[a-z0-9_]+$")


def validate_concepts(records: list[dict[str, Any]], known: set[str]) -> dict[str, str]:
    """Problems per record ("#3 id": message) in a vocabulary file; empty when fine."""
    errors: dict[str, str] = {}
    ids = set(known) | {r.get("id") for r in records if isinstance(r, dict)}
    for n, rec in enumerate(records, start=1):
        where = f"#{n} {rec.get('id', '?') if isinstance(rec, dict) else '?'}"
        if not isinstance(rec, dict):
            errors[where] = "must be an object"
            continue
        if not _ID_RE.match(str(rec.get("id", ""))):
            errors[where] = (
                "id must look like kind.snake_case (kinds: " + ", ".join(CONCEPT_KINDS) + ")"
            )
        elif rec.get("kind") != rec["id"].split(".")[0]:
            errors[where] = "kind must match the id's prefix"
        elif not nfc(str(rec.get("name_vi", ""))) or not nfc(str(rec.get("name_en", ""))):
            errors[where] = "name_vi and name_en are required"
        elif not isinstance(rec.get("terms", []), list) or not all(
            isinstance(t, str) and t.strip() for t in rec.get("terms", [])
        ):
            errors[where] = "terms must be a list of non-empty strings"
        elif rec.get("sector") and rec["sector"] not in ids:
            errors[where] = f"unknown sector {rec['sector']!r}"
    return errors


def upsert_concepts(session: Session, records: list[dict[str, Any]]) -> dict[str, int]:
    """Insert or update concepts (no commit). New terms apply after the next re-index."""
    concepts = {c.id: c for c in session.scalars(select(Concept))}
    counts = {"created": 0, "updated": 0}
    for item in records:
        concept = concepts.get(item["id"])
        if concept is None:
            concept = Concept(id=item["id"])
            session.add(concept)
            concepts[concept.id] = concept
            counts["created"] += 1
        else:
            counts["updated"] += 1
        concept.kind = item["kind"]
        concept.name_vi = nfc(item["name_vi"])
        concept.name_en = nfc(item["name_en"])
        concept.sector_id = item.get("sector")
        concept.terms = list(dict.fromkeys(nfc(t) for t in item.get("terms", [])))
    return counts


def certification_standards() -> list[str]:
    """Standard names known to the taxonomy, e.g. "ISO 9001", "IATF 16949"."""
    return [c["name_en"] for c in taxonomy_data() if c["kind"] == CERTIFICATION_KIND]
