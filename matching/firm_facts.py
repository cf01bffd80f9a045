"""What a match needs to know about a firm, kept between requests and checked each time.

Loading the 40 firms a need's match pools (capabilities with process and materials,
certifications, officers' checks, province, zone, sectors) through the ORM was half of
a match at 100k capabilities: six round trips and some 600 objects. The same firms come
back need after need, so a process keeps their *facts*: the few fields that structured
fit, the learned reranker and the API's firm card read, as immutable tuples.

Each match asks the database one indexed question: every pooled firm's ``updated_at``,
which moves with anything the firm declares (``catalog.models.stamps``). A firm whose
stamp differs, or that is not kept, is loaded again; so the database stays the source
of truth and nothing scored is older than the request. Reference data a firm points to
(a province's name, a concept's label), the buyers' ratings and the day's date
(certificates lapse) change without stamping firms; facts older than ``max_age``
seconds are loaded again for them.

The facts are read as columns (``load_facts``), not as ORM rows: building the objects
of 100 firms a directory search checks for the first time was most of that search's
tail. The API's firm card (``catalog.serialize.firm_dict``, made from the row) is kept
beside them and only made for the firms a response shows (``FirmFactsCache.cards``).

Tuples of plain values are left alone by Python's cyclic garbage collector: keeping
20,000 firms this way costs memory, not collection time (the same firms as detached
ORM objects made every full collection walk 400k objects, 400 ms).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.deals.ratings import Aggregate, aggregates
from catalog.models import (
    Capability,
    Certification,
    Firm,
    Province,
    Verification,
    capability_materials,
    check_stands,
    firm_name,
    latest_checks,
    still_valid,
)
from catalog.serialize import firm_cards

DEFAULT_SIZE = 20_000  # firms kept per process, a few KB each
DEFAULT_MAX_AGE = 300.0  # seconds

T = TypeVar("T")


class MaterialFacts(NamedTuple):
    id: str


class ProvinceFacts(NamedTuple):
    id: int
    code: str
    name_vi: str
    lat: float | None
    lon: float | None


class CapabilityFacts(NamedTuple):
    id: int
    title: str
    process_id: str | None
    materials: tuple[MaterialFacts, ...]
    capacity_per_month: int | None
    min_order_qty: int | None
    tolerance_mm: float | None

    @classmethod
    def of(cls, c: Capability | Any, materials: list[str]) -> CapabilityFacts:
        """From a capability's row or its columns, and its materials' ids."""
        return cls(
            c.id,
            c.title,
            c.process_id,
            tuple(MaterialFacts(m) for m in sorted(materials)),
            c.capacity_per_month,
            c.min_order_qty,
            c.tolerance_mm,
        )


class CertificationFacts(NamedTuple):
    id: int
    standard: str
    valid_until: date | None

    def is_valid(self, on: date | None = None) -> bool:
        return still_valid(self.valid_until, on)


class CheckFacts(NamedTuple):
    """The newest officer's check of one item (see ``catalog.models.Verification``)."""

    method: str
    result: str
    checked_on: date
    valid_until: date | None

    def is_current(self, on: date | None = None) -> bool:
        return check_stands(self.result, self.valid_until, on)


class FirmFacts(NamedTuple):
    """A firm as ``matching.constraints`` and ``matching.reranker`` read it (the same
    attribute names as ``catalog.models.Firm``). Materials, certifications and checks
    in a fixed order (by id, by standard, by item), so two loads of one firm are equal."""

    id: int
    display_name: str
    employees: int | None
    province_id: int
    province: ProvinceFacts | None
    capabilities: tuple[CapabilityFacts, ...]
    certifications: tuple[CertificationFacts, ...]
    checks: tuple[tuple[tuple[str, int], CheckFacts], ...]  # newest check of each item
    # The buyers' ratings (catalog.deals.ratings.aggregate): the mean of the three
    # scores over each buyer's latest rating, and how many buyers; a reranker feature.
    rating_mean: float | None = None
    rating_buyers: int = 0

    @classmethod
    def of(cls, firm: Firm, rating: Aggregate | None = None) -> FirmFacts:
        """The facts of a loaded row (``load_facts`` reads the same from columns)."""
        p = firm.province
        return cls._made(
            firm,
            firm.display_name,
            ProvinceFacts(p.id, p.code, p.name_vi, p.lat, p.lon) if p else None,
            [CapabilityFacts.of(c, [m.id for m in c.materials]) for c in firm.capabilities],
            firm.certifications,
            firm.verifications,
            rating,
        )

    @classmethod
    def _made(
        cls,
        firm: Firm | Any,
        display_name: str,
        province: ProvinceFacts | None,
        capabilities: list[CapabilityFacts],
        certifications: list[Certification] | list[Any],
        checks: list[Verification] | list[Any],
        rating: Aggregate | None,
    ) -> FirmFacts:
        """From a firm's row or its columns (``id``, ``employees``, ``province_id``) and
        its parts, each kind in its fixed order."""
        return cls(
            id=firm.id,
            display_name=display_name,
            employees=firm.employees,
            province_id=firm.province_id,
            province=province,
            capabilities=tuple(sorted(capabilities)),  # by id, their first field
            certifications=tuple(
                CertificationFacts(c.id, c.standard, c.valid_until)
                for c in sorted(certifications, key=lambda c: (c.standard, c.id))
            ),
            checks=tuple(
                (key, CheckFacts(v.method.value, v.result.value, v.checked_on, v.valid_until))
                for key, v in sorted(latest_checks(checks).items())
            ),
            rating_mean=rating.mean if rating else None,
            rating_buyers=rating.buyers if rating else 0,
        )

    def current_checks(self, on: date | None = None) -> dict[tuple[str, int], CheckFacts]:
        return {key: check for key, check in self.checks if check.is_current(on)}

    def capability(self, capability_id: int) -> CapabilityFacts:
        return next(c for c in self.capabilities if c.id == capability_id)


def load_facts(session: Session, ids: list[int]) -> dict[int, tuple[object, FirmFacts]]:
    """(stamp, facts) of each firm of ``ids``, read as columns in six queries (no ORM
    object is built); the stamp is the loaded row's own, so never older than its content."""
    firms = session.execute(
        select(
            Firm.id,
            Firm.updated_at,
            Firm.name_vi,
            Firm.name_en,
            Firm.employees,
            Firm.province_id,
            Province.code,
            Province.name_vi.label("province_name"),
            Province.lat,
            Province.lon,
        )
        .outerjoin(Province, Province.id == Firm.province_id)
        .where(Firm.id.in_(ids))
    ).all()
    materials: dict[int, list[str]] = {}
    for cap_id, material in session.execute(
        select(capability_materials.c.capability_id, capability_materials.c.concept_id)
        .join(Capability, Capability.id == capability_materials.c.capability_id)
        .where(Capability.firm_id.in_(ids))
    ):
        materials.setdefault(cap_id, []).append(material)
    capabilities: dict[int, list[CapabilityFacts]] = {}
    for c in session.execute(
        select(
            Capability.id, Capability.firm_id, Capability.title, Capability.process_id,
            Capability.capacity_per_month, Capability.min_order_qty, Capability.tolerance_mm,
        ).where(Capability.firm_id.in_(ids))
    ):  # fmt: skip
        capabilities.setdefault(c.firm_id, []).append(
            CapabilityFacts.of(c, materials.get(c.id, []))
        )
    certifications: dict[int, list] = {}
    for c in session.execute(
        select(
            Certification.id, Certification.firm_id, Certification.standard,
            Certification.valid_until,
        ).where(Certification.firm_id.in_(ids))
    ):  # fmt: skip
        certifications.setdefault(c.firm_id, []).append(c)
    checks: dict[int, list] = {}
    for v in session.execute(
        select(
            Verification.id, Verification.firm_id, Verification.capability_id,
            Verification.certification_id, Verification.method, Verification.result,
            Verification.checked_on, Verification.valid_until,
        ).where(Verification.firm_id.in_(ids))
    ):  # fmt: skip
        checks.setdefault(v.firm_id, []).append(v)
    ratings = aggregates(session, ids)
    return {
        f.id: (
            f.updated_at,
            FirmFacts._made(
                f,
                firm_name(f.name_vi, f.name_en),
                ProvinceFacts(f.province_id, f.code, f.province_name, f.lat, f.lon)
                if f.code is not None
                else None,
                capabilities.get(f.id, []),
                certifications.get(f.id, []),
                checks.get(f.id, []),
                ratings.get(f.id),
            ),
        )
        for f in firms
    }


class _Kept(Generic[T]):
    """Values made from firms' rows, each kept with the firm's stamp when it was made
    and the time it was kept (not thread-safe: ``FirmFactsCache`` holds the lock)."""

    def __init__(self, size: int, max_age: float):
        self.size = size
        self.max_age = max_age
        self.values: OrderedDict[int, tuple[object, float, T]] = OrderedDict()

    def fresh(self, stamps: dict[int, object], now: float) -> dict[int, T]:
        """The kept values of the firms whose stamp is still ``stamps``' and not too old."""
        found: dict[int, T] = {}
        for firm_id, stamp in stamps.items():
            kept = self.values.get(firm_id)
            if kept is not None and kept[0] == stamp and now - kept[1] < self.max_age:
                found[firm_id] = kept[2]
                self.values.move_to_end(firm_id)
        return found

    def keep(self, made: dict[int, tuple[object, T]], now: float) -> None:
        for firm_id, (stamp, value) in made.items():
            self.values[firm_id] = (stamp, now, value)
            self.values.move_to_end(firm_id)
        while len(self.values) > self.size:
            self.values.popitem(last=False)


def _own_session(session: Session) -> Session:
    """A session of its own, to be closed at once (its ORM objects are dropped, the
    request's identity map is left as it was), through the request's connection and
    transaction (it sees what the request sees) and never ending that transaction."""
    return Session(bind=session.connection(), join_transaction_mode="rollback_only")


class FirmFactsCache:
    def __init__(self, size: int = DEFAULT_SIZE, max_age: float = DEFAULT_MAX_AGE):
        self.size = size
        self.max_age = max_age
        self._kept: _Kept[FirmFacts] = _Kept(size, max_age)
        self._cards: _Kept[str] = _Kept(size, max_age)  # firm_dict(firm) as JSON
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, session: Session, ids: list[int]) -> dict[int, FirmFacts]:
        """Facts of the firms of ``ids`` that exist, as the database holds them now."""
        return self._through(self._kept, session, ids, self._load, count=True)

    def cards(self, session: Session, ids: list[int]) -> dict[int, dict]:
        """The API's card of each firm of ``ids`` that exists (``firm_dict``), as the
        database holds it now: kept like the facts, made from the row only for the
        firms a response shows."""
        kept = self._through(self._cards, session, ids, self._make_cards)
        return {firm_id: json.loads(card) for firm_id, card in kept.items()}

    def _through(
        self,
        kept: _Kept[T],
        session: Session,
        ids: list[int],
        make: Callable[[Session, list[int]], dict[int, tuple[object, T]]],
        count: bool = False,
    ) -> dict[int, T]:
        """What ``kept`` holds for the firms of ``ids`` whose stamp has not moved, and
        what ``make`` makes for the others (one indexed query for the stamps)."""
        if not ids:
            return {}
        query = select(Firm.id, Firm.updated_at).where(Firm.id.in_(ids))
        stamps = {firm_id: stamp for firm_id, stamp in session.execute(query)}
        now = time.monotonic()
        with self._lock:
            found = kept.fresh(stamps, now)
            if count:
                self.hits += len(found)
                self.misses += len(stamps) - len(found)
        stale = [firm_id for firm_id in stamps if firm_id not in found]
        if stale:
            made = make(session, stale)
            with self._lock:
                kept.keep(made, now)
            found.update((firm_id, value) for firm_id, (_, value) in made.items())
        return found

    @staticmethod
    def _load(session: Session, ids: list[int]) -> dict[int, tuple[object, FirmFacts]]:
        with _own_session(session) as own:  # the ratings are read as ORM rows
            return load_facts(own, ids)

    @staticmethod
    def _make_cards(session: Session, ids: list[int]) -> dict[int, tuple[object, str]]:
        with _own_session(session) as own:
            return {
                firm_id: (stamp, json.dumps(card, ensure_ascii=False))
                for firm_id, (stamp, card) in firm_cards(own, ids).items()
            }

    def clear(self) -> None:
        with self._lock:
            self._kept.values.clear()
            self._cards.values.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"kept": len(self._kept.values), "hits": self.hits, "misses": self.misses}
