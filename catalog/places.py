"""Which current province a text names, whichever map it was written on.

Survey files, API calls and addresses still write the provinces of the map before
1 July 2025 ("Vĩnh Phúc", "Vinh Phuc", "VP"), their towns and districts ("Vĩnh Yên") or
today's units in many spellings ("TP.HCM", "tp hcm", "Ho Chi Minh City", "HCMC").
``resolve_place`` turns any of them into the current unit and, when the text said it, the
former province inside it: a firm of former Vĩnh Phúc lands in Phú Thọ and keeps
"former Vĩnh Phúc" as its region.

Matching ignores case, diacritics, punctuation and spacing, and the prefixes "tỉnh",
"thành phố", "TP." (for towns also "huyện", "thị xã", "quận"). It tries, in order, the
current units (code, names, aliases), the former provinces (code, names, aliases), then
their former towns and districts: the first level that knows the text decides, and a
text that names two different places at that level is ambiguous (None).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .models import FormerProvince, IndustrialZone, Province
from .models.reference import place_label
from .reference_data import province_data
from .text import fold

__all__ = ["Place", "place_key", "place_label", "resolve_place", "former_of"]

_PREFIXES = (
    ("tinh",),
    ("thanh", "pho"),
    ("tp",),
    ("t", "p"),
    ("province", "of"),
    ("city", "of"),
)
_SUFFIXES = (("province",), ("city",))
_TOWN_PREFIXES = (
    ("huyen",),
    ("thi", "xa"),
    ("tx",),
    ("quan",),
    ("thi", "tran"),
    ("tt",),
    ("district",),
    ("town",),
)
_AMBIGUOUS = "ambiguous"
_INDEX_KEY = "places_index"


def _strip(words: list[str], prefixes: tuple[tuple[str, ...], ...]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            n = len(prefix)
            if len(words) > n and tuple(words[:n]) == prefix:
                words, changed = words[n:], True
    return words


def place_key(text: Any, town: bool = False) -> str:
    """The key a name is matched by: "TP. Hồ Chí Minh", "tp hcm" and "Ho Chi Minh City"
    give "hochiminh" / "hcm"; "Tỉnh Vĩnh Phúc" gives "vinhphuc"."""
    return _place_key(str(text), town)


@functools.lru_cache(maxsize=65536)
def _place_key(text: str, town: bool) -> str:
    """Kept per process: each request's place index keys the same thousand names of
    the map (``_build_index``), and matching keys the same words again and again."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    words = _strip(words, _PREFIXES + (_TOWN_PREFIXES if town else ()))
    while len(words) > 1 and (words[-1],) in _SUFFIXES:
        words = words[:-1]
    return "".join(words)


@dataclass(frozen=True)
class Place:
    """A current unit, the former province inside it when the text named one, and the
    text as given."""

    province: Province
    former: FormerProvince | None
    matched: str

    def label(self, lang: str = "vi") -> str:
        return place_label(self.province, self.former, lang)

    @property
    def renamed(self) -> bool:
        """The text named a former province now inside a unit of another name (what an
        import preview tells: "Vĩnh Phúc → Phú Thọ")."""
        return self.former is not None and fold(self.former.name_vi) != fold(self.province.name_vi)


Target = tuple[int, int | None]  # (province id, former province id)


def _add(level: dict[str, Any], key: str, target: Target) -> None:
    if not key:
        return
    known = level.get(key)
    if known is None:
        level[key] = target
    elif known != target:
        level[key] = _AMBIGUOUS


def _packaged_aliases() -> dict[str, list[str]]:
    """Spellings of the current units, which only the map file holds."""
    try:
        return {p["code"]: list(p.get("aliases", [])) for p in province_data()}
    except (OSError, KeyError):
        return {}


def _build_index(session: Session) -> list[dict[str, Any]]:
    current: dict[str, Any] = {}
    former: dict[str, Any] = {}
    towns: dict[str, Any] = {}
    aliases = _packaged_aliases()
    for p in session.scalars(select(Province)):
        for name in (p.code, p.name_vi, p.name_en, *aliases.get(p.code, [])):
            _add(current, place_key(name), (p.id, None))
    for f in session.scalars(select(FormerProvince)):
        target = (f.province_id, f.id)
        for name in (f.code, f.name_vi, f.name_en, *(f.aliases or [])):
            _add(former, place_key(name), target)
        for name in f.places or []:
            _add(towns, place_key(name, town=True), target)
    return [current, former, towns]


def _index(session: Session) -> list[dict[str, Any]]:
    """Built once per session (a request's or a job's); the reference loader drops it."""
    index = session.info.get(_INDEX_KEY)
    if index is None:
        index = session.info[_INDEX_KEY] = _build_index(session)
    return index


@event.listens_for(Session, "after_flush")
def _forget_index(session: Session, _context: Any) -> None:
    """A province or former province written in this session makes its index stale."""
    if _INDEX_KEY not in session.info:
        return
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Province | FormerProvince):
            session.info.pop(_INDEX_KEY, None)
            return


@event.listens_for(Session, "after_rollback")
def _forget_index_on_rollback(session: Session) -> None:
    """What the index read may have been rolled back."""
    session.info.pop(_INDEX_KEY, None)


def resolve_place(session: Session, text: Any) -> Place | None:
    """The place ``text`` names (a code, a name of a current unit or of a former province,
    an alias, a former town or district), or None when unknown or ambiguous."""
    if text is None:
        return None
    given = str(text).strip()
    key, town_key = place_key(given), place_key(given, town=True)
    if not town_key:
        return None
    current, former, towns = _index(session)
    candidates = [(current, key), (former, key), (towns, town_key)]
    if key.startswith("tp") and len(key) > 2:  # "TPHCM", written without a space
        candidates += [(current, key[2:]), (former, key[2:])]
    for level, k in candidates:
        target = level.get(k)
        if target is None:
            continue
        if target == _AMBIGUOUS:
            return None
        province_id, former_id = target
        province = session.get(Province, province_id)
        if province is None:
            return None
        return Place(
            province,
            session.get(FormerProvince, former_id) if former_id is not None else None,
            given,
        )
    return None


def former_of(
    session: Session,
    province_id: int | None,
    named: int | None = None,
    zone_id: int | None = None,
    kept: int | None = None,
) -> int | None:
    """The former province of a firm placed in unit ``province_id``: the one its province
    text ``named``, else its zone's, else the one it had (``kept``), else the only former
    province of an unchanged unit; None when not known. Each must lie in the unit."""
    if province_id is None:
        return None
    inside = set(
        session.scalars(select(FormerProvince.id).where(FormerProvince.province_id == province_id))
    )
    zone_former = None
    if zone_id is not None:
        zone = session.get(IndustrialZone, zone_id)
        zone_former = zone.former_province_id if zone is not None else None
    for candidate in (named, zone_former, kept):
        if candidate is not None and candidate in inside:
            return candidate
    return next(iter(inside)) if len(inside) == 1 else None
