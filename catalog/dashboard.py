"""Figures for a provincial officer's dashboard and periodic reports, from the database.

The provincial CNHT programmes are judged in firm counts and reported quarterly and
yearly (Thái Nguyên 2021, Điều 2.1: reports "trước ngày 10 của tháng cuối Quý và trước
ngày 10/11 hàng năm"; Vĩnh Phúc §IV: yearly by 15 December). This module computes those
figures for one province (or all) and one period, as plain dataclasses that a web
template, a chart and a report can all read; ``as_plain`` turns any of them into
JSON-ready dicts. Nothing here needs the matching engine: which open needs have a
local supplier is ``matching.localisation``.

Counting rules, chosen because the catalog keeps no history of its own:

* A supplier firm counts from the year it was founded (``year_founded``), else from
  the year it was registered here (``created_at``): a survey import in 2026 of a
  workshop opened in 2012 must not look like 2026 growth. Counts are of the firms in
  the catalog today, so a firm deleted since is missing from past years too.
* Firm-count targets are judged per calendar year (founding years are years); a
  quarter shows its year's target and the count so far.
* Needs keep no status history: "open" means open today and posted by the end of
  the period.
* Events count in the period they start in, for the province that organises them
  and the provinces they invite.
* Period boundaries are Vietnamese calendar days (UTC+7, no daylight saving), turned
  into UTC for the stored timestamps.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Integer, and_, cast, distinct, extract, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from .access.visibility import Reader, needs_clause
from .models import (
    Capability,
    Certification,
    Concept,
    Event,
    Firm,
    FirmRole,
    FormerProvince,
    Introduction,
    MatchJudgement,
    Meeting,
    MeetingStatus,
    Need,
    NeedStatus,
    Province,
    Registration,
    RegistrationStatus,
    SupplyRelationship,
    Verification,
    firm_sectors,
    latest_checks,
)
from .models.base import VIETNAM_TZ, vietnam_today
from .models.events import event_provinces
from .models.reference import place_label
from .reference_data import former_province_data, province_data

DATA_DIR = Path(__file__).resolve().parent / "data"
TARGETS_FILE = DATA_DIR / "province_targets.json"
TAXONOMY_FILE = DATA_DIR / "taxonomy.json"

SUPPLIER_ROLES = (FirmRole.SUPPLIER, FirmRole.BOTH)
# How far ahead the dashboard warns of lapsing checks: long enough to plan a round of
# site visits, and twice the 30 days' notice the firms themselves get.
EXPIRY_WINDOW = timedelta(days=60)
DEFAULT_YEARS = 6  # years shown in the firm-count series (the programmes run five)


# --------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*[-/ ]?\s*[Qq]([1-4]))?\s*$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter (``quarter`` 1-4) or a whole year (``quarter`` None)."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"year {self.year} is out of range")
        if self.quarter is not None and self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1 to 4, not {self.quarter}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2026" (a year) or "2026-Q3" (also "2026Q3", "2026 q3")."""
        match = _PERIOD_RE.match(str(text))
        if match is None:
            raise ValueError(f"not a period: {text!r} (expected e.g. '2026' or '2026-Q3')")
        return cls(int(match.group(1)), int(match.group(2)) if match.group(2) else None)

    @classmethod
    def containing(cls, day: date, kind: Literal["quarter", "year"] = "quarter") -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1 if kind == "quarter" else None)

    @classmethod
    def current(cls, kind: Literal["quarter", "year"] = "quarter") -> Period:
        """The period under way in Vietnam now."""
        return cls.containing(vietnam_today(), kind)

    @property
    def kind(self) -> Literal["quarter", "year"]:
        return "year" if self.quarter is None else "quarter"

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        """The first instant of the period in Vietnam, in UTC."""
        return _day_start_utc(self.start)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period in Vietnam, in UTC (exclusive bound)."""
        return _day_start_utc(self.end + timedelta(days=1))

    @property
    def label(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    def __str__(self) -> str:
        return self.label

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        return (
            Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)
        )

    def quarters(self) -> list[Period]:
        """The quarters of a year, or the quarter itself."""
        return [Period(self.year, q) for q in (1, 2, 3, 4)] if self.quarter is None else [self]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM_TZ).astimezone(UTC)


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


class TargetError(ValueError):
    """A targets file that cannot be used; the message names the file and the field."""


TargetKind = Literal["sector_growth", "tier_suppliers"]
_CODE_RE = re.compile(r"^[A-Z0-9]{1,8}$")


@dataclass(frozen=True)
class Target:
    """One programme target of a province, as configured (see province_targets.json)."""

    id: str
    province: str
    kind: TargetKind
    label_vi: str
    label_en: str
    source: str
    base_year: int
    comparison: Literal["gt", "gte"] = "gt"
    # sector_growth
    sector: str | None = None
    rate: float | None = None
    until: int | None = None
    # tier_suppliers
    count: int | None = None
    by_year: int | None = None
    tiers: tuple[int, ...] = (1, 2)
    base_value: float | None = None  # measured from the data when not given
    # Set for a former province (before the 2025 map) inside ``province``: counted over
    # that former province's firms only; its names, as the dashboard shows it.
    former: str | None = None
    region_vi: str = ""
    region_en: str = ""

    def region(self, lang: str = "vi") -> str:
        """ "Phú Thọ — Vĩnh Phúc cũ" for a former province's target, "" for a unit's own."""
        return self.region_vi if lang == "vi" else self.region_en

    @property
    def end_year(self) -> int | None:
        return self.until if self.kind == "sector_growth" else self.by_year

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en

    @property
    def citation(self) -> str:
        """The programme and article the target comes from, as an officer cites it
        ("UBND tỉnh Vĩnh Phúc, Kế hoạch … (2021), II.2 Mục tiêu cụ thể"): ``source`` up
        to the quoted wording, without what it keeps for maintainers (the seed file it
        was read from, how a horizon was read, how the catalogue counts it), which no
        reader of a dashboard or a report should see."""
        cited = re.split(r":? '|; | \((?:seeds|catalog)/", self.source, maxsplit=1)[0]
        return cited.strip(" ,;:")

    def value_for(self, year: int, base_value: float) -> float:
        """The level the target asks for at the end of ``year`` (capped at its end)."""
        end = self.end_year
        year = min(year, end) if end is not None else year
        elapsed = max(0, year - self.base_year)
        if self.kind == "sector_growth":
            return base_value * (1 + float(self.rate or 0.0)) ** elapsed
        span = max(1, (self.by_year or year) - self.base_year)
        return base_value + (float(self.count or 0) - base_value) * min(1.0, elapsed / span)

    def met(self, actual: float, wanted: float) -> bool:
        return actual > wanted if self.comparison == "gt" else actual >= wanted


@dataclass(frozen=True)
class TargetSet:
    """Targets by province code, and where they were read from."""

    by_province: dict[str, tuple[Target, ...]]
    sources: tuple[str, ...]

    def for_province(self, code: str | None) -> tuple[Target, ...]:
        """A current unit's targets: its own, then those of the former provinces inside
        it (a former province's code gives its own only)."""
        every = tuple(t for ts in self.by_province.values() for t in ts)
        if code is None:
            return every
        return tuple(t for t in every if code in (t.province, t.former))


def _sector_ids() -> frozenset[str]:
    return _sector_ids_of(str(TAXONOMY_FILE), TAXONOMY_FILE.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _sector_ids_of(path: str, _mtime: int) -> frozenset[str]:
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return frozenset(r["id"] for r in records if r.get("kind") == "sector")


def _parse_targets(data: Any, where: str, sectors: frozenset[str]) -> dict[str, tuple[Target, ...]]:
    errors: list[str] = []

    def fail(path: str, message: str) -> None:
        errors.append(f"{path}: {message}")

    if not isinstance(data, dict) or not isinstance(data.get("provinces"), dict):
        raise TargetError(f"{where}: expected an object with a 'provinces' object")
    if not isinstance(data.get("former_provinces", {}), dict):
        raise TargetError(f"{where}: 'former_provinces' must be an object")
    out: dict[str, tuple[Target, ...]] = {}
    seen_ids: set[str] = set()
    formers = former_province_data()
    units = {p["code"]: p for p in province_data()}
    entries = [("provinces", code, entry) for code, entry in data["provinces"].items()]
    entries += [
        ("former_provinces", code, entry)
        for code, entry in data.get("former_provinces", {}).items()
    ]
    for section, code, entry in entries:
        base = f"{section}.{code}"
        if not isinstance(code, str) or not _CODE_RE.match(code):
            fail(base, "a province code is 1-8 upper-case letters or digits")
            continue
        place: dict[str, Any] = {}
        if section == "former_provinces":
            former = formers.get(code)
            if former is None:
                fail(base, "not a province of the map before 1 July 2025")
                continue
            unit = units[former["province"]]
            labels = {
                lang: place_label(
                    Province(name_vi=unit["name_vi"], name_en=unit["name_en"]),
                    FormerProvince(name_vi=former["name_vi"], name_en=former["name_en"]),
                    lang,
                )
                for lang in ("vi", "en")
            }
            renamed = labels["vi"] != unit["name_vi"]  # else the unit's own name
            place = {
                "province": unit["code"],
                "former": code,
                "region_vi": labels["vi"] if renamed else "",
                "region_en": labels["en"] if renamed else "",
            }
        items = entry.get("targets") if isinstance(entry, dict) else None
        if not isinstance(items, list):
            fail(base, "expected an object with a 'targets' list")
            continue
        targets = []
        for i, item in enumerate(items):
            path = f"{base}.targets[{i}]"
            target = _parse_target(code, item, path, sectors, fail)
            if target is None:
                continue
            if place:
                target = dataclasses.replace(target, **place)
            if target.id in seen_ids:
                fail(f"{path}.id", f"duplicate id {target.id!r}")
            seen_ids.add(target.id)
            targets.append(target)
        out[code if section == "provinces" else f"{section}.{code}"] = tuple(targets)
    if errors:
        raise TargetError(f"{where}: " + "; ".join(errors))
    return out


def _parse_target(
    code: str, item: Any, path: str, sectors: frozenset[str], fail: Callable[[str, str], None]
) -> Target | None:
    """One target entry, or None after reporting each of its problems to ``fail``."""
    if not isinstance(item, dict):
        fail(path, "expected an object")
        return None
    problems: list[str] = []

    def bad(key: str, message: str) -> None:
        problems.append(key)
        fail(f"{path}.{key}", message)

    def year(key: str, required: bool = True) -> int | None:
        value = item.get(key)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
            bad(key, "must be a year between 1990 and 2100")
            return None
        return value

    def label(key: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            bad(key, "must be a non-empty text")
            return ""
        return value.strip()

    target_id, label_vi, label_en, source = (
        label(k) for k in ("id", "label_vi", "label_en", "source")
    )
    kind = item.get("kind")
    if kind not in ("sector_growth", "tier_suppliers"):
        bad("kind", "must be 'sector_growth' or 'tier_suppliers'")
    comparison = item.get("comparison", "gt")
    if comparison not in ("gt", "gte"):
        bad("comparison", "must be 'gt' (more than) or 'gte' (at least)")
    base_year = year("base_year")
    base_value = item.get("base_value")
    if base_value is not None and (
        isinstance(base_value, bool) or not isinstance(base_value, int | float) or base_value < 0
    ):
        bad("base_value", "must be a number ≥ 0")
    fields: dict[str, Any] = {}
    if kind == "sector_growth":
        sector = item.get("sector")
        if sector not in sectors:
            bad("sector", f"unknown sector {sector!r} (one of {', '.join(sorted(sectors))})")
        rate = item.get("rate")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not -1 < rate <= 10:
            bad("rate", "must be a yearly rate such as 0.10 for +10 %")
        until = year("until")
        if base_year is not None and until is not None and until <= base_year:
            bad("until", "must be after base_year")
        fields = {"sector": sector, "rate": rate, "until": until}
    elif kind == "tier_suppliers":
        count = item.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            bad("count", "must be a whole number of firms ≥ 1")
        by_year = year("by_year")
        if base_year is not None and by_year is not None and by_year <= base_year:
            bad("by_year", "must be after base_year")
        tiers = item.get("tiers", [1, 2])
        if (
            not isinstance(tiers, list)
            or not tiers
            or any(isinstance(t, bool) or t not in (1, 2, 3) for t in tiers)
        ):
            bad("tiers", "must be a list of tiers among 1, 2, 3")
            tiers = [1, 2]
        fields = {"count": count, "by_year": by_year, "tiers": tuple(sorted(set(tiers)))}
    if problems:
        return None
    return Target(
        id=target_id,
        province=code,
        kind=kind,
        label_vi=label_vi,
        label_en=label_en,
        source=source,
        base_year=base_year,
        comparison=comparison,
        base_value=None if base_value is None else float(base_value),
        **fields,
    )


def load_targets(path: str | Path | None = None) -> TargetSet:
    """The packaged targets, with a province's own file laid over them.

    ``path`` is a JSON file of the same shape as ``catalog/data/province_targets.json``;
    each province it lists replaces that province's packaged targets (an empty list
    removes them), the others keep theirs. Both files are validated and any problem
    raises ``TargetError`` naming the file and field, so a mistyped sector or rate is
    refused when configured rather than shown as a wrong figure.
    """
    sources = [str(TARGETS_FILE)]
    by_province = dict(_targets_file(TARGETS_FILE))
    if path is not None:
        override = _targets_file(Path(path))
        clash = {t.id for ts in override.values() for t in ts} & {
            t.id for code, ts in by_province.items() if code not in override for t in ts
        }
        if clash:
            raise TargetError(f"{path}: ids already used by other provinces: {sorted(clash)}")
        by_province.update(override)
        sources.append(str(path))
    return TargetSet(by_province, tuple(sources))


def _targets_file(path: Path) -> dict[str, tuple[Target, ...]]:
    """A targets file, parsed once per version of the file (dashboards ask often)."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise TargetError(f"{path}: no such file") from None
    return _parse_targets_file(str(path), mtime, _sector_ids())


@functools.lru_cache(maxsize=32)
def _parse_targets_file(
    path: str, _mtime: int, sectors: frozenset[str]
) -> dict[str, tuple[Target, ...]]:
    return _parse_targets(_read_json(Path(path)), path, sectors)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TargetError(f"{path}: not valid JSON ({exc})") from None


# --------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------


@dataclass
class ProvinceInfo:
    id: int
    code: str
    name_vi: str
    name_en: str

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass
class SectorSeries:
    """Supplier firms of one sector (``sector_id`` None: no sector declared; "*": all
    firms, each once) counted at the end of each year, with year-on-year growth."""

    sector_id: str | None
    name_vi: str
    name_en: str
    counts: dict[int, int]
    growth: dict[int, float | None]

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en

    @property
    def latest(self) -> int:
        return self.counts[max(self.counts)] if self.counts else 0


@dataclass
class FirmCounts:
    years: list[int]
    sectors: list[SectorSeries]  # largest first in the last year; firms may be in several
    total: SectorSeries
    new_in_period: int  # supplier firms whose counting year is the period's year


@dataclass
class TargetStatus:
    target: Target
    year: int  # the year judged: the period's, or the target's last year once past it
    final: bool  # the target's last year is reached: met or missed, no longer on track
    base_value: float | None
    target_value: float | None
    actual: int
    on_track: bool | None  # None: no baseline (no firms in the base year)
    actual_rate: float | None = None  # yearly growth since the base year (growth targets)

    @property
    def status(self) -> str:
        """met | missed | on_track | behind | no_baseline"""
        if self.on_track is None:
            return "no_baseline"
        if self.final:
            return "met" if self.on_track else "missed"
        return "on_track" if self.on_track else "behind"


@dataclass
class NeedFigures:
    posted: int  # needs posted in the period
    open: int  # open today and posted by the end of the period
    posted_by_status: dict[str, int]  # today's status of the needs posted in the period


@dataclass
class ExpiringCheck:
    verification_id: int
    firm_id: int
    firm_name: str
    item_kind: str  # capability | certification
    item_label: str
    valid_until: date
    days_left: int


@dataclass
class VerificationFigures:
    on: date  # the day coverage is judged: the period's end, or today if earlier
    supplier_firms: int
    firms_verified: int  # with at least one current check
    capabilities: int
    capabilities_verified: int
    certifications: int
    certifications_verified: int
    profiles_confirmed: int  # firms an officer marked as real (Firm.verified_at)
    checks_in_period: int
    expiring: list[ExpiringCheck]

    @property
    def firm_share(self) -> float | None:
        return self.firms_verified / self.supplier_firms if self.supplier_firms else None

    @property
    def capability_share(self) -> float | None:
        return self.capabilities_verified / self.capabilities if self.capabilities else None

    @property
    def certification_share(self) -> float | None:
        return self.certifications_verified / self.certifications if self.certifications else None


@dataclass
class OutcomeFigures:
    judgements: dict[str, int]  # outcome → judgements recorded in the period
    introductions: dict[str, int]  # today's status of introductions requested in the period
    relationships_created: int
    relationships_from_deals: int
    tier_suppliers: int  # local firms with a tier-1/2 relationship at the end of the period


@dataclass
class EventFigures:
    """Matchmaking days and reverse exhibitions starting in the period, held in the
    province or open to its firms, with what came of their 1:1 meetings."""

    events: int
    by_mode: dict[str, int]  # matchmaking | reverse
    registrations: dict[str, int]  # side (buyer | supplier) → approved or pending
    meetings: dict[str, int]  # status → meetings (planned, held, no_show, cancelled)
    outcomes: dict[str, int]  # outcome of held meetings (follow_up … contract)

    @property
    def meetings_held(self) -> int:
        return self.meetings.get("held", 0)


@dataclass
class RegionCount:
    """Supplier firms of one former province inside the unit (None: not known)."""

    code: str | None
    label_vi: str
    label_en: str
    firms: int

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en


@dataclass
class Dashboard:
    province: ProvinceInfo | None
    period: Period
    generated_on: date
    firms: FirmCounts
    targets: list[TargetStatus]
    needs: NeedFigures
    verification: VerificationFigures
    outcomes: OutcomeFigures
    events: EventFigures
    target_sources: tuple[str, ...] = field(default_factory=tuple)
    regions: list[RegionCount] = field(default_factory=list)  # by former province

    def as_dict(self) -> dict[str, Any]:
        return as_plain(self)


def as_plain(value: Any) -> Any:
    """Dataclasses, dates and enums as JSON-ready dicts, lists, strings and numbers;
    ``status``/``share`` properties are included so templates need no logic."""
    if isinstance(value, Period):
        return {
            "label": value.label,
            "kind": value.kind,
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        computed = ("status", "firm_share", "capability_share", "certification_share")
        for name in (*computed, "meetings_held"):
            if hasattr(type(value), name):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [as_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------


def province_info(session: Session, code: str | None) -> ProvinceInfo | None:
    """The province of a code (None for all provinces); an unknown code is an error."""
    if code is None:
        return None
    province = session.scalar(select(Province).where(Province.code == code))
    if province is None:
        raise LookupError(f"unknown province code {code!r}")
    return ProvinceInfo(province.id, province.code, province.name_vi, province.name_en)


def _counting_year():
    """SQL for the year a firm counts from: founded, else registered. An integer, so
    PostgreSQL groups by it with a hash rather than sorting numerics."""
    return func.coalesce(Firm.year_founded, cast(extract("year", Firm.created_at), Integer))


def _start_year_histograms(
    session: Session, province_id: int | None, former_id: int | None = None
) -> dict[str | None, Counter[int]]:
    """Supplier firms by counting year, per sector id (None: no sector; "*": all); of
    one former province's firms when ``former_id`` is given."""
    year = _counting_year().label("year")
    scope = [Firm.role.in_(SUPPLIER_ROLES)]
    if province_id is not None:
        scope.append(Firm.province_id == province_id)
    if former_id is not None:
        scope.append(Firm.former_province_id == former_id)
    hist: dict[str | None, Counter[int]] = {"*": Counter()}
    # (firm, sector) is firm_sectors' primary key, so each firm is one row per sector
    # (one row with no sector) and count(*) counts firms without a DISTINCT sort.
    rows = session.execute(
        select(firm_sectors.c.concept_id, year, func.count())
        .select_from(Firm)
        .outerjoin(firm_sectors, firm_sectors.c.firm_id == Firm.id)
        .where(*scope)
        .group_by(firm_sectors.c.concept_id, year)
    )
    for sector_id, y, n in rows:
        hist.setdefault(sector_id, Counter())[int(y)] += n
    for y, n in session.execute(select(year, func.count(Firm.id)).where(*scope).group_by(year)):
        hist["*"][int(y)] += n
    return hist


def _cumulative(hist: Counter[int], year: int) -> int:
    return sum(n for y, n in hist.items() if y <= year)


def _series(sector_id, name_vi, name_en, hist: Counter[int], years: list[int]) -> SectorSeries:
    counts = {y: _cumulative(hist, y) for y in years}
    growth: dict[int, float | None] = {}
    for y in years:
        before = _cumulative(hist, y - 1)
        growth[y] = (counts[y] - before) / before if before else None
    return SectorSeries(sector_id, name_vi, name_en, counts, growth)


def firm_counts(
    session: Session,
    province_id: int | None,
    period: Period,
    years: int = DEFAULT_YEARS,
    first_year: int | None = None,
) -> FirmCounts:
    """Supplier firms by sector at the end of each year up to the period's year."""
    hist = _start_year_histograms(session, province_id)
    first = period.year - years + 1 if first_year is None else min(first_year, period.year)
    span = list(range(first, period.year + 1))
    names = {
        c.id: (c.name_vi, c.name_en)
        for c in session.scalars(select(Concept).where(Concept.kind == "sector"))
    }
    series = []
    for sector_id, h in hist.items():
        if sector_id == "*":
            continue
        name_vi, name_en = names.get(sector_id, ("Chưa khai báo ngành", "No sector declared"))
        if sector_id is not None and sector_id not in names:
            name_vi = name_en = sector_id
        series.append(_series(sector_id, name_vi, name_en, h, span))
    series.sort(key=lambda s: (-s.latest, s.sector_id is None, s.sector_id or ""))
    total = _series("*", "Tất cả doanh nghiệp CNHT", "All supplier firms", hist["*"], span)
    return FirmCounts(span, series, total, hist["*"].get(period.year, 0))


def _tier_supplier_count(
    session: Session,
    province_id: int | None,
    tiers: Iterable[int],
    on: date,
    former_id: int | None = None,
) -> int:
    """Local supplier firms with a supply relationship at one of ``tiers`` on ``on``
    (since its ``since`` day, else since it was recorded)."""
    query = (
        select(func.count(distinct(SupplyRelationship.supplier_id)))
        .join(Firm, Firm.id == SupplyRelationship.supplier_id)
        .where(
            SupplyRelationship.tier.in_(list(tiers)),
            or_(
                SupplyRelationship.since <= on,
                and_(
                    SupplyRelationship.since.is_(None),
                    SupplyRelationship.created_at < _day_start_utc(on + timedelta(days=1)),
                ),
            ),
        )
    )
    if province_id is not None:
        query = query.where(Firm.province_id == province_id)
    if former_id is not None:
        query = query.where(Firm.former_province_id == former_id)
    return session.scalar(query) or 0


def target_statuses(
    session: Session,
    province: ProvinceInfo | None,
    period: Period,
    targets: Iterable[Target],
) -> list[TargetStatus]:
    """Each target judged for the period: the level it asks for, the actual, on track.

    The actual is counted in the target's own province (targets of all provinces when
    ``province`` is None), at the end of the judged year: the period's year, or the
    target's last year once the period is past it (a 2021-2025 programme is then met or
    missed, not "behind"). A former province's target counts the firms of that former
    province only (``Firm.former_province_id``), a unit's own target all of its firms.
    """
    targets = list(targets)
    codes = {t.province for t in targets}
    rows = session.execute(select(Province.code, Province.id).where(Province.code.in_(codes)))
    ids = {code: province_id for code, province_id in rows}
    former_codes = {t.former for t in targets if t.former}
    rows = session.execute(
        select(FormerProvince.code, FormerProvince.id).where(FormerProvince.code.in_(former_codes))
    )
    former_ids = {code: former_id for code, former_id in rows}
    hists: dict[tuple[int, int | None], dict[str | None, Counter[int]]] = {}
    out = []
    for target in targets:
        province_id = ids.get(target.province)
        former_id = former_ids.get(target.former) if target.former else None
        if province is not None and target.province != province.code:
            continue
        end = target.end_year
        year = min(period.year, end) if end is not None else period.year
        final = end is not None and period.year >= end
        if province_id is None or (target.former and former_id is None):
            # configured for a province the database lacks
            out.append(TargetStatus(target, year, final, None, None, 0, None))
            continue
        if target.kind == "sector_growth":
            key = (province_id, former_id)
            if key not in hists:
                hists[key] = _start_year_histograms(session, province_id, former_id)
            hist = hists[key]
            sector_hist = hist.get(target.sector, Counter())
            base = (
                target.base_value
                if target.base_value is not None
                else float(_cumulative(sector_hist, target.base_year))
            )
            actual = _cumulative(sector_hist, year)
            elapsed = year - target.base_year
            rate = (actual / base) ** (1 / elapsed) - 1 if base and elapsed > 0 else None
        else:
            on = min(date(year, 12, 31), period.end)
            base = (
                target.base_value
                if target.base_value is not None
                else float(
                    _tier_supplier_count(
                        session,
                        province_id,
                        target.tiers,
                        date(target.base_year, 12, 31),
                        former_id,
                    )
                )
            )
            actual = _tier_supplier_count(session, province_id, target.tiers, on, former_id)
            rate = None
        if target.kind == "sector_growth" and not base:
            out.append(TargetStatus(target, year, final, base, None, actual, None, rate))
            continue
        wanted = target.value_for(year, base)
        out.append(
            TargetStatus(
                target, year, final, base, wanted, actual, target.met(actual, wanted), rate
            )
        )
    return out


def needs_in_scope(query, province_id: int | None):
    """Restrict a ``select(Need)`` to the province's needs: posted by one of its buyers
    or to be delivered there, and readable by its officers (``catalog.access.visibility``).

    A province's figures, gap list and reports are shared by all its officers (and
    computed by a job for whichever of them asked), so they hold what any officer of
    the province may read: not a need for officers only, or for invited suppliers, of
    a buyer in another province that merely delivers here. All provinces (None) is
    for admins, who read everything."""
    if province_id is None:
        return query
    # A join on the buyer (one row per need) looks up each need's buyer by key; an
    # IN over the province's firms would read all of them, tens of thousands.
    buyer = aliased(Firm)
    return query.join(buyer, buyer.id == Need.buyer_id).where(
        or_(buyer.province_id == province_id, Need.delivery_province_id == province_id),
        needs_clause(Reader.officer_of([province_id])),
    )


def province_reader(session: Session, province_code: str | None) -> Reader | None:
    """Whose eyes a province's shared report reads needs with: any officer of the
    province (``needs_in_scope``); None for all provinces (admins: every need)."""
    province = province_info(session, province_code)
    return Reader.officer_of([province.id]) if province is not None else None


def open_needs(session: Session, province_id: int | None, period: Period) -> list[Need]:
    """Needs open today that were posted by the end of the period, with what matching
    and the lists read (buyer, its province, process, materials, delivery province)."""
    query = select(Need).where(Need.status == NeedStatus.OPEN, Need.created_at < period.end_at)
    query = needs_in_scope(query, province_id).options(
        selectinload(Need.buyer).selectinload(Firm.province),
        selectinload(Need.process),
        selectinload(Need.materials),
        selectinload(Need.delivery_province),
    )
    return list(session.scalars(query.order_by(Need.created_at, Need.id)))


def need_figures(session: Session, province_id: int | None, period: Period) -> NeedFigures:
    in_period = and_(Need.created_at >= period.start_at, Need.created_at < period.end_at)
    by_status = {
        (s.value if isinstance(s, enum.Enum) else str(s)): n
        for s, n in session.execute(
            needs_in_scope(
                select(Need.status, func.count(Need.id)).where(in_period), province_id
            ).group_by(Need.status)
        )
    }
    open_count = session.scalar(
        needs_in_scope(
            select(func.count(Need.id)).where(
                Need.status == NeedStatus.OPEN, Need.created_at < period.end_at
            ),
            province_id,
        )
    )
    return NeedFigures(sum(by_status.values()), open_count or 0, by_status)


def verification_figures(
    session: Session, province_id: int | None, period: Period, today: date | None = None
) -> VerificationFigures:
    """Coverage of officers' checks on the period's last day (or today, if earlier):
    the share of supplier firms with at least one current check and of capabilities
    and certifications whose newest check stands; and current checks that lapse within
    ``EXPIRY_WINDOW`` of that day, soonest first, for planning the next visits."""
    today = today or vietnam_today()
    on = min(period.end, today)
    firm_scope = [Firm.role.in_(SUPPLIER_ROLES)]
    if province_id is not None:
        firm_scope.append(Firm.province_id == province_id)
    suppliers = select(Firm.id).where(*firm_scope)
    checks = session.scalars(
        select(Verification)
        .where(Verification.firm_id.in_(suppliers), Verification.checked_on <= on)
        .options(
            selectinload(Verification.firm),
            selectinload(Verification.capability),
            selectinload(Verification.certification),
        )
    ).all()
    current = {k: v for k, v in latest_checks(checks).items() if v.is_current(on)}
    horizon = on + EXPIRY_WINDOW
    lapsing = sorted(
        (v for v in current.values() if v.valid_until is not None and v.valid_until <= horizon),
        key=lambda v: (v.valid_until, v.id),
    )
    expiring = [
        ExpiringCheck(
            v.id,
            v.firm_id,
            v.firm.display_name,
            "capability" if v.capability_id is not None else "certification",
            v.item_label,
            v.valid_until,
            (v.valid_until - on).days,
        )
        for v in lapsing
    ]

    # One statement reads the province's supplier firms once for all four counts.
    firms = select(Firm.id, Firm.verified_at).where(*firm_scope).cte("scope")
    confirmed = and_(firms.c.verified_at.is_not(None), firms.c.verified_at < period.end_at)
    counts = session.execute(
        select(
            select(func.count()).select_from(firms).scalar_subquery(),
            select(func.count()).select_from(firms).where(confirmed).scalar_subquery(),
            select(func.count())
            .select_from(Capability)
            .join(firms, firms.c.id == Capability.firm_id)
            .scalar_subquery(),
            select(func.count())
            .select_from(Certification)
            .join(firms, firms.c.id == Certification.firm_id)
            .scalar_subquery(),
        )
    ).one()
    supplier_firms, profiles_confirmed, caps, certs = (n or 0 for n in counts)
    return VerificationFigures(
        on=on,
        supplier_firms=supplier_firms,
        firms_verified=len({r.firm_id for r in current.values()}),
        capabilities=caps,
        capabilities_verified=sum(1 for kind, _ in current if kind == "capability"),
        certifications=certs,
        certifications_verified=sum(1 for kind, _ in current if kind == "certification"),
        profiles_confirmed=profiles_confirmed,
        checks_in_period=session.scalar(
            select(func.count(Verification.id)).where(
                Verification.firm_id.in_(suppliers),
                Verification.checked_on >= period.start,
                Verification.checked_on <= period.end,
            )
        )
        or 0,
        expiring=expiring,
    )


def outcome_figures(session: Session, province_id: int | None, period: Period) -> OutcomeFigures:
    """What matchmaking achieved in the period, where the province took part: outcomes
    recorded on its needs or its suppliers, introductions likewise, and supply
    relationships in which one side is a local firm."""
    in_period = and_(
        MatchJudgement.created_at >= period.start_at, MatchJudgement.created_at < period.end_at
    )
    judgements = select(MatchJudgement.outcome, func.count(MatchJudgement.id)).where(in_period)
    intros = select(Introduction.status, func.count(Introduction.id)).where(
        Introduction.created_at >= period.start_at, Introduction.created_at < period.end_at
    )
    links = select(SupplyRelationship.source, func.count(SupplyRelationship.id)).where(
        SupplyRelationship.created_at >= period.start_at,
        SupplyRelationship.created_at < period.end_at,
    )
    if province_id is not None:
        local = select(Firm.id).where(Firm.province_id == province_id)
        scoped_needs = needs_in_scope(select(Need.id), province_id)
        judgements = judgements.where(
            or_(MatchJudgement.firm_id.in_(local), MatchJudgement.need_id.in_(scoped_needs))
        )
        intros = intros.where(
            or_(Introduction.supplier_id.in_(local), Introduction.need_id.in_(scoped_needs))
        )
        links = links.where(
            or_(SupplyRelationship.supplier_id.in_(local), SupplyRelationship.buyer_id.in_(local))
        )

    def tally(query, column) -> dict[str, int]:
        return {
            (k.value if isinstance(k, enum.Enum) else str(k)): n
            for k, n in session.execute(query.group_by(column))
        }

    by_source = tally(links, SupplyRelationship.source)
    return OutcomeFigures(
        judgements=tally(judgements, MatchJudgement.outcome),
        introductions=tally(intros, Introduction.status),
        relationships_created=sum(by_source.values()),
        relationships_from_deals=by_source.get("deal", 0),
        tier_suppliers=_tier_supplier_count(session, province_id, (1, 2), period.end),
    )


def event_figures(session: Session, province_id: int | None, period: Period) -> EventFigures:
    """Events starting in the period, organised in the province or inviting its firms."""
    events = select(Event.id).where(Event.starts_on >= period.start, Event.starts_on <= period.end)
    if province_id is not None:
        invited = select(event_provinces.c.event_id).where(
            event_provinces.c.province_id == province_id
        )
        events = events.where(or_(Event.province_id == province_id, Event.id.in_(invited)))
    ids = list(session.scalars(events))

    def tally(query) -> dict[str, int]:
        return {
            (k.value if isinstance(k, enum.Enum) else str(k)): n
            for k, n in session.execute(query)
            if k is not None
        }

    if not ids:
        return EventFigures(0, {}, {}, {}, {})
    return EventFigures(
        events=len(ids),
        by_mode=tally(
            select(Event.mode, func.count(Event.id)).where(Event.id.in_(ids)).group_by(Event.mode)
        ),
        registrations=tally(
            select(Registration.side, func.count(Registration.id))
            .where(
                Registration.event_id.in_(ids),
                Registration.status.in_([RegistrationStatus.APPROVED, RegistrationStatus.PENDING]),
            )
            .group_by(Registration.side)
        ),
        meetings=tally(
            select(Meeting.status, func.count(Meeting.id))
            .where(Meeting.event_id.in_(ids))
            .group_by(Meeting.status)
        ),
        outcomes=tally(
            select(Meeting.outcome, func.count(Meeting.id))
            .where(Meeting.event_id.in_(ids), Meeting.status == MeetingStatus.HELD)
            .group_by(Meeting.outcome)
        ),
    )


def dashboard(
    session: Session,
    province_code: str | None,
    period: Period,
    *,
    targets: TargetSet | None = None,
    today: date | None = None,
    years: int = DEFAULT_YEARS,
) -> Dashboard:
    """Every database figure of the officer dashboard for a province (None: all)."""
    today = today or vietnam_today()
    targets = targets if targets is not None else load_targets()
    province = province_info(session, province_code)
    province_id = province.id if province is not None else None
    chosen = targets.for_province(province_code)
    first_year = min(
        [period.year - years + 1, *(t.base_year for t in chosen if t.base_year < period.year)]
    )
    return Dashboard(
        province=province,
        period=period,
        generated_on=today,
        firms=firm_counts(session, province_id, period, years, first_year=first_year),
        targets=target_statuses(session, province, period, chosen),
        needs=need_figures(session, province_id, period),
        verification=verification_figures(session, province_id, period, today),
        outcomes=outcome_figures(session, province_id, period),
        events=event_figures(session, province_id, period),
        target_sources=targets.sources,
        regions=region_counts(session, province_id, period),
    )


def region_counts(session: Session, province_id: int | None, period: Period) -> list[RegionCount]:
    """Supplier firms at the end of the period by former province (the map before
    2025), for a unit that absorbed several; empty for all provinces or an unchanged
    unit."""
    if province_id is None:
        return []
    province = session.get(Province, province_id)
    formers = list(province.former_provinces) if province is not None else []
    if len(formers) < 2:
        return []
    rows = session.execute(
        select(Firm.former_province_id, func.count(Firm.id))
        .where(
            Firm.province_id == province_id,
            Firm.role.in_(SUPPLIER_ROLES),
            _counting_year() <= period.year,
        )
        .group_by(Firm.former_province_id)
    )
    counts = dict(rows.all())
    out = [
        RegionCount(
            f.code,
            place_label(province, f, "vi"),
            place_label(province, f, "en"),
            counts.get(f.id, 0),
        )
        for f in formers
    ]
    if counts.get(None):
        out.append(RegionCount(None, "Chưa rõ tỉnh cũ", "Former province not known", counts[None]))
    return out
