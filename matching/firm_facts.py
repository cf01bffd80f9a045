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

Tuples of plain values are left alone by Python's cyclic garbage collector: keeping
20,000 firms this way costs memory, not collection time (the same firms as detached
ORM objects made every full collection walk 400k objects, 400 ms).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.deals.ratings import Aggregate, aggregates
from catalog.models import Firm, check_stands, latest_checks, still_valid
from catalog.queries import firms_by_ids
from catalog.serialize import firm_dict

DEFAULT_SIZE = 20_000  # firms kept per process, a few KB each
DEFAULT_MAX_AGE = 300.0  # seconds


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
    attribute names as ``catalog.models.Firm``), plus its API card as JSON."""

    id: int
    display_name: str
    employees: int | None
    province_id: int
    province: ProvinceFacts | None
    capabilities: tuple[CapabilityFacts, ...]
    certifications: tuple[CertificationFacts, ...]
    checks: tuple[tuple[tuple[str, int], CheckFacts], ...]  # newest check of each item
    card: str  # catalog.serialize.firm_dict(firm), as JSON
    # The buyers' ratings (catalog.deals.ratings.aggregate): the mean of the three
    # scores over each buyer's latest rating, and how many buyers; a reranker feature.
    rating_mean: float | None = None
    rating_buyers: int = 0

    @classmethod
    def of(cls, firm: Firm, rating: Aggregate | None = None) -> FirmFacts:
        p = firm.province
        return cls(
            id=firm.id,
            display_name=firm.display_name,
            employees=firm.employees,
            province_id=firm.province_id,
            province=ProvinceFacts(p.id, p.code, p.name_vi, p.lat, p.lon) if p else None,
            capabilities=tuple(
                CapabilityFacts(
                    c.id,
                    c.title,
                    c.process_id,
                    tuple(MaterialFacts(m.id) for m in c.materials),
                    c.capacity_per_month,
                    c.min_order_qty,
                    c.tolerance_mm,
                )
                for c in firm.capabilities
            ),
            certifications=tuple(
                CertificationFacts(c.id, c.standard, c.valid_until) for c in firm.certifications
            ),
            checks=tuple(
                (key, CheckFacts(v.method.value, v.result.value, v.checked_on, v.valid_until))
                for key, v in latest_checks(firm.verifications).items()
            ),
            card=json.dumps(firm_dict(firm), ensure_ascii=False),
            rating_mean=rating.mean if rating else None,
            rating_buyers=rating.buyers if rating else 0,
        )

    def current_checks(self, on: date | None = None) -> dict[tuple[str, int], CheckFacts]:
        return {key: check for key, check in self.checks if check.is_current(on)}

    def capability(self, capability_id: int) -> CapabilityFacts:
        return next(c for c in self.capabilities if c.id == capability_id)

    def card_dict(self) -> dict:
        return json.loads(self.card)


class FirmFactsCache:
    def __init__(self, size: int = DEFAULT_SIZE, max_age: float = DEFAULT_MAX_AGE):
        self.size = size
        self.max_age = max_age
        self._kept: OrderedDict[int, tuple[object, float, FirmFacts]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, session: Session, ids: list[int]) -> dict[int, FirmFacts]:
        """Facts of the firms of ``ids`` that exist, as the database holds them now."""
        if not ids:
            return {}
        query = select(Firm.id, Firm.updated_at).where(Firm.id.in_(ids))
        stamps = {firm_id: stamp for firm_id, stamp in session.execute(query)}
        now = time.monotonic()
        found: dict[int, FirmFacts] = {}
        with self._lock:
            for firm_id, stamp in stamps.items():
                kept = self._kept.get(firm_id)
                if kept is not None and kept[0] == stamp and now - kept[1] < self.max_age:
                    found[firm_id] = kept[2]
                    self._kept.move_to_end(firm_id)
            self.hits += len(found)
            self.misses += len(stamps) - len(found)
        stale = [firm_id for firm_id in stamps if firm_id not in found]
        if stale:
            loaded = self._load(session, stale)
            with self._lock:
                for firm_id, (stamp, facts) in loaded.items():
                    self._kept[firm_id] = (stamp, now, facts)
                    self._kept.move_to_end(firm_id)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
            found.update((firm_id, facts) for firm_id, (_, facts) in loaded.items())
        return found

    @staticmethod
    def _load(session: Session, ids: list[int]) -> dict[int, tuple[object, FirmFacts]]:
        """(stamp, facts) of each firm, keyed by the loaded row's own stamp, so never
        older than its content. Loaded in a session of its own, closed at once (the
        ORM objects are dropped, the request's identity map is left as it was), through
        the request's connection and transaction (it sees what the request sees) and
        never ending that transaction."""
        with Session(bind=session.connection(), join_transaction_mode="rollback_only") as own:
            ratings = aggregates(own, ids)  # one query for all of them
            return {
                firm_id: (firm.updated_at, FirmFacts.of(firm, ratings.get(firm_id)))
                for firm_id, firm in firms_by_ids(own, ids).items()
            }

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"kept": len(self._kept), "hits": self.hits, "misses": self.misses}
