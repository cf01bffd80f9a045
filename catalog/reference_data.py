"""Load the administrative map, industrial zones and the bilingual taxonomy from the
packaged JSON.

The map (``catalog/data/administrative_map.json``) is the one in force since 1 July 2025:
34 provincial-level units, each with the pre-2025 provinces it absorbed and their zones.
Loading is an upsert keyed by natural keys (province code, former province code, zone
name within a province, concept id), so running it again changes only what the files
changed and never duplicates a row.

It is written with SQLAlchemy Core statements that name their columns, not with the ORM
models, because the migrations call it too (``b16a01a2b3c4`` and any later one that
changes the data): a migration must work on the schema of its own revision, which lacks
the columns later revisions add to the models.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .models import Concept
from .text import nfc

CERTIFICATION_KIND = "certification"
MAP_FILE = "administrative_map.json"

# The tables as the loader writes them: only the columns it names exist for it.
_provinces = sa.table(
    "provinces",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("region", sa.String),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
)
_former = sa.table(
    "former_provinces",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("province_id", sa.Integer),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
    sa.column("aliases", sa.JSON),
    sa.column("places", sa.JSON),
)
_zones = sa.table(
    "industrial_zones",
    sa.column("id", sa.Integer),
    sa.column("province_id", sa.Integer),
    sa.column("former_province_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("name", sa.String),
    sa.column("name_en", sa.String),
    sa.column("district", sa.String),
)
_concepts = sa.table(
    "concepts",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("sector_id", sa.String),
    sa.column("terms", sa.JSON),
)


def _read(name: str) -> Any:
    return json.loads(resources.files("catalog").joinpath("data", name).read_text("utf-8"))


@cache
def map_data() -> dict[str, Any]:
    """The administrative map file as read (``provinces``: the current units)."""
    return _read(MAP_FILE)


@cache
def province_data() -> list[dict[str, Any]]:
    """The 34 current units, each with its ``former`` provinces."""
    return map_data()["provinces"]


@cache
def former_province_data() -> dict[str, dict[str, Any]]:
    """Every pre-2025 province by its code, each entry with ``province``: the code of the
    current unit it belongs to (what old files, the demo and the devset still name)."""
    return {f["code"]: {**f, "province": p["code"]} for p in province_data() for f in p["former"]}


@cache
def taxonomy_data() -> list[dict[str, Any]]:
    return _read("taxonomy.json")


def load_reference_data(bind: Session | Connection) -> dict[str, int]:
    """Insert or update reference rows; return how many rows of each kind were created.

    ``bind`` is an ORM session (committed here, as ``flask seed`` and the tests want) or a
    migration's connection (left to the migration's transaction).
    """
    is_session = not isinstance(bind, Connection)  # a Session or a scoped_session
    conn = bind.connection() if is_session else bind
    counts = _load_map(conn)
    counts["concepts"] = _upsert_concepts_core(conn, taxonomy_data())
    if is_session:
        bind.info.pop("places_index", None)  # catalog.places rebuilds its index
        bind.commit()
    return counts


def _upsert(
    conn: Connection, table: sa.TableClause, key: dict[str, Any], values: dict[str, Any]
) -> tuple[Any, bool]:
    """Update the row with the natural ``key`` or insert it; (its id, created)."""
    where = [table.c[k] == v for k, v in key.items()]
    row_id = conn.execute(sa.select(table.c.id).where(*where)).scalar()
    if row_id is None:
        inserted = sa.insert(table).values(**key, **values).returning(table.c.id)
        return conn.execute(inserted).scalar_one(), True
    conn.execute(sa.update(table).where(table.c.id == row_id).values(**values))
    return row_id, False


def _load_map(conn: Connection) -> dict[str, int]:
    counts = {"provinces": 0, "former_provinces": 0, "zones": 0}
    for item in province_data():
        province_id, created = _upsert(
            conn,
            _provinces,
            {"code": item["code"]},
            {
                "name_vi": nfc(item["name_vi"]),
                "name_en": nfc(item["name_en"]),
                "region": item.get("region", ""),
                "lat": item.get("lat"),
                "lon": item.get("lon"),
            },
        )
        counts["provinces"] += created
        for former in item["former"]:
            former_id, created = _upsert(
                conn,
                _former,
                {"code": former["code"]},
                {
                    "name_vi": nfc(former["name_vi"]),
                    "name_en": nfc(former["name_en"]),
                    "province_id": province_id,
                    "lat": former.get("lat"),
                    "lon": former.get("lon"),
                    "aliases": [nfc(a) for a in former.get("aliases", [])],
                    "places": [nfc(p) for p in former.get("places", [])],
                },
            )
            counts["former_provinces"] += created
            for zone in former.get("zones", []):
                _, created = _upsert(
                    conn,
                    _zones,
                    {"province_id": province_id, "name": nfc(zone["name"])},
                    {
                        "former_province_id": former_id,
                        "kind": zone["kind"],
                        "name_en": nfc(zone.get("name_en", "")),
                        "district": nfc(zone.get("district", "")),
                    },
                )
                counts["zones"] += created
    return counts


def _upsert_concepts_core(conn: Connection, records: list[dict[str, Any]]) -> int:
    """The taxonomy's concepts by id (Core, see the module's docstring); how many new."""
    known = set(conn.execute(sa.select(_concepts.c.id)).scalars())
    created = 0
    for item in records:
        values = {
            "kind": item["kind"],
            "name_vi": nfc(item["name_vi"]),
            "name_en": nfc(item["name_en"]),
            "sector_id": item.get("sector"),
            "terms": list(dict.fromkeys(nfc(t) for t in item.get("terms", []))),
        }
        if item["id"] in known:
            conn.execute(sa.update(_concepts).where(_concepts.c.id == item["id"]).values(**values))
        else:
            conn.execute(sa.insert(_concepts).values(id=item["id"], **values))
            known.add(item["id"])
            created += 1
    return created


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
    concepts = {c.id: c for c in session.scalars(sa.select(Concept))}
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
