"""What a province's programme counts: the funnel from a match to the first orders.

The provincial CNHT programmes are judged on local sourcing and contracts signed, so
the funnel counts the needs of the province's *buyers* (a buyer firm located in one
of the provinces asked for) and asks, at each stage, how many of them got there and
how many got there with a *local* supplier (a supplier firm in the buyer's own
province). Suppliers of the province selling elsewhere are not counted here: that is
the province's suppliers' success, not its assemblers' local sourcing.

Counting rules, chosen so that a past period's report never changes afterwards:

* The needs counted are those *posted or active in the period*: posted in it (by the
  Vietnamese calendar day, drafts excluded), or with a step of one of their deals
  dated in it.
* A step counts when it is dated on or before the period's last day. Each deal's
  *furthest stage* is the furthest it reached by then (a closed deal keeps what it
  reached before closing); a need's is the furthest of its deals. A stage's figures
  count needs (and deals) that reached that stage *or a later one*: the funnel never
  widens, even when a pipeline skipped a stage (an order without a sample).
* Every step counts whatever its source, so meetings at events (``source="meeting"``),
  accepted introductions, quotes and orders all feed the same funnel. An invitation
  to quote (an "rfq" interest step) is the buyer's move, not an answer: it dates the
  match, but a need is *answered* only by a step the supplier's side brought about.
* Quotes received are the quotes sent by the period's end (a quote replaced by a newer
  one on the same deal counts once). First orders are each deal's first purchase order
  dated by the period's end; the days from the match run from the deal's first step.
* A need has *stalled* when it is open, has no purchase order, and nothing moved on
  any of its deals for more than ``stall_days`` days (or nobody answered it within
  that time after it was posted), judged on the period's last day (today while the
  period runs).

Who sees what: the caller passes the provinces of the reader (``province_ids`` None:
every province, for admins), as the dashboard does; needs are read as an officer of
those provinces reads them (``catalog.access.visibility``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..access.visibility import Reader, needs_clause
from ..dashboard import VIETNAM_TZ, _day_start_utc, vietnam_today
from ..models import (
    Concept,
    Deal,
    DealStep,
    Firm,
    FormerProvince,
    Need,
    NeedStatus,
    Province,
    PurchaseOrder,
    Quote,
    QuoteStatus,
    Stage,
    as_utc,
    firm_sectors,
)
from ..models.reference import place_label

# The stages of the funnel, in order (closing is not a stage forward).
STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s != Stage.CLOSED)
STALL_DAYS = 30


@dataclass
class StageCount:
    """How many needs (and deals) reached ``stage`` or a later one, and how many of
    those needs reached it with a supplier of the buyer's own province."""

    stage: Stage
    needs: int
    deals: int
    local_needs: int
    local_deals: int

    @property
    def local_share(self) -> float | None:
        return self.local_needs / self.needs if self.needs else None


@dataclass
class FirstOrder:
    """A deal's first purchase order."""

    deal_id: int
    need_id: int
    need_title: str
    buyer_id: int
    buyer_name: str
    supplier_id: int
    supplier_name: str
    local: bool
    ordered_on: date
    value_vnd: int | None
    days_from_match: int


@dataclass
class StalledNeed:
    """An open need on which nothing moved: ``stage`` is the furthest any of its deals
    reached (None: nobody answered), ``since`` the last move (or the day it was posted)."""

    need_id: int
    title: str
    buyer_id: int
    buyer_name: str
    stage: Stage | None
    since: date
    days: int


@dataclass
class FunnelGroup:
    """The funnel of one sector (of the need) or one former province (of the
    supplier): counts of needs, and the first orders with their value. ``needs`` is the
    needs posted or active in the period (sectors only: a former province has none)."""

    key: Any
    name_vi: str
    name_en: str
    needs: int | None = None
    answered: int = 0
    quoted: int = 0
    sample_approved: int = 0
    ordered: int = 0
    first_orders: int = 0
    value_vnd: int = 0

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass
class Funnel:
    start: date
    end: date
    as_of: date  # the day stalls are judged on: the period's end, or today if earlier
    stall_days: int
    needs_posted: int  # needs posted in the period
    needs_counted: int  # needs posted or active in the period
    quotes_received: int
    stages: list[StageCount]
    first_orders: list[FirstOrder]
    by_sector: list[FunnelGroup]
    by_former_province: list[FunnelGroup]
    stalled: list[StalledNeed]
    deals_from_meetings: int  # deals with a step from a meeting at an event
    sector: str | None = None
    former_province: str | None = None
    province_ids: list[int] | None = field(default=None)

    def stage(self, stage: Stage | str) -> StageCount:
        stage = Stage(stage)
        return next(s for s in self.stages if s.stage == stage)

    @property
    def needs_answered(self) -> int:
        return self.stage(Stage.INTEREST).needs

    @property
    def samples_ordered(self) -> int:
        """Deals that reached a sample order (or further)."""
        return self.stage(Stage.SAMPLE_ORDERED).deals

    @property
    def samples_approved(self) -> int:
        return self.stage(Stage.SAMPLE_APPROVED).deals

    @property
    def first_order_value_vnd(self) -> int:
        return sum(o.value_vnd or 0 for o in self.first_orders)

    @property
    def median_days_to_order(self) -> float | None:
        days = [o.days_from_match for o in self.first_orders]
        return float(statistics.median(days)) if days else None

    @property
    def empty(self) -> bool:
        """Nothing to show beyond the needs posted: no deal, no stalled need."""
        return not self.needs_answered and not self.stalled

    def as_dict(self) -> dict[str, Any]:
        """The funnel for the API and JSON files (ids and figures, no labels)."""

        def group(g: FunnelGroup) -> dict[str, Any]:
            return {
                "key": g.key,
                "name_vi": g.name_vi,
                "name_en": g.name_en,
                "needs": g.needs,
                "answered": g.answered,
                "quoted": g.quoted,
                "sample_approved": g.sample_approved,
                "ordered": g.ordered,
                "first_orders": g.first_orders,
                "value_vnd": g.value_vnd,
            }

        median = self.median_days_to_order
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "sector": self.sector,
            "former_province": self.former_province,
            "needs_posted": self.needs_posted,
            "needs_counted": self.needs_counted,
            "needs_answered": self.needs_answered,
            "quotes_received": self.quotes_received,
            "samples_ordered": self.samples_ordered,
            "samples_approved": self.samples_approved,
            "first_orders": len(self.first_orders),
            "first_order_value_vnd": self.first_order_value_vnd,
            "median_days_to_order": median,
            "deals_from_meetings": self.deals_from_meetings,
            "stages": [
                {
                    "stage": s.stage.value,
                    "needs": s.needs,
                    "deals": s.deals,
                    "local_needs": s.local_needs,
                    "local_deals": s.local_deals,
                    "local_share": s.local_share,
                }
                for s in self.stages
            ],
            "orders": [
                {
                    "deal_id": o.deal_id,
                    "need_id": o.need_id,
                    "buyer_id": o.buyer_id,
                    "supplier_id": o.supplier_id,
                    "local": o.local,
                    "ordered_on": o.ordered_on.isoformat(),
                    "value_vnd": o.value_vnd,
                    "days_from_match": o.days_from_match,
                }
                for o in self.first_orders
            ],
            "by_sector": [group(g) for g in self.by_sector],
            "by_former_province": [group(g) for g in self.by_former_province],
            "stalled": [
                {
                    "need_id": n.need_id,
                    "buyer_id": n.buyer_id,
                    "stage": n.stage.value if n.stage else None,
                    "since": n.since.isoformat(),
                    "days": n.days,
                }
                for n in self.stalled
            ],
            "stall_days": self.stall_days,
        }


@dataclass
class _DealState:
    deal_id: int
    need_id: int
    supplier_id: int
    local: bool
    furthest: int = -1  # rank of the furthest stage reached (-1: none)
    first_step: date | None = None
    last_step: date | None = None
    from_meeting: bool = False


def _vietnam_day(moment) -> date:
    return as_utc(moment).astimezone(VIETNAM_TZ).date()


def funnel(
    session: Session,
    province_ids: Iterable[int] | None,
    start: date,
    end: date,
    *,
    sector: str | None = None,
    former_province: str | int | None = None,
    stall_days: int = STALL_DAYS,
    today: date | None = None,
) -> Funnel:
    """The funnel of the needs of buyers in ``province_ids`` (None: all provinces)
    posted or active from ``start`` to ``end`` (inclusive days), see the module's
    rules. ``sector`` keeps the needs of one sector (a concept id, "sector.…");
    ``former_province`` (a former province's code or id) keeps the deals of suppliers
    from that former province."""
    ids = sorted(set(province_ids)) if province_ids is not None else None
    today = today or vietnam_today()
    as_of = min(end, today)
    start_at, end_at = _day_start_utc(start), _day_start_utc(end + timedelta(days=1))

    # The needs: posted or active in the period, and the open ones (for stalls).
    active = (
        select(Deal.need_id)
        .join(DealStep, DealStep.deal_id == Deal.id)
        .where(DealStep.reached_on >= start, DealStep.reached_on <= end)
    )
    query = (
        select(Need, Firm)
        .join(Firm, Firm.id == Need.buyer_id)
        .where(
            Need.status != NeedStatus.DRAFT,
            Need.created_at < end_at,
            or_(
                Need.created_at >= start_at,
                Need.id.in_(active),
                Need.status == NeedStatus.OPEN,
            ),
        )
        .order_by(Need.id)
    )
    if ids is not None:
        query = query.where(Firm.province_id.in_(ids or [-1]), needs_clause(Reader.officer_of(ids)))
    rows = session.execute(query).all()
    active_ids = set(session.scalars(active.where(Deal.need_id.in_([n.id for n, _ in rows]))))
    needs = {need.id: need for need, _ in rows}
    buyers = {need.id: buyer for need, buyer in rows}

    sectors = _need_sectors(session, list(needs.values()))
    if sector is not None:
        needs = {i: n for i, n in needs.items() if sectors[i] == sector}
    counted = {
        i for i, n in needs.items() if i in active_ids or start_at <= as_utc(n.created_at) < end_at
    }

    # Their deals, with their suppliers (of one former province when asked).
    deal_rows = session.execute(
        select(Deal.id, Deal.need_id, Deal.supplier_id).where(Deal.need_id.in_(list(needs)))
    ).all()
    suppliers = {
        f.id: f
        for f in session.scalars(select(Firm).where(Firm.id.in_({s for _, _, s in deal_rows})))
    }
    former = _former(session, former_province)
    deals: dict[int, _DealState] = {}
    for deal_id, need_id, supplier_id in deal_rows:
        supplier = suppliers[supplier_id]
        if former_province is not None and (
            former is None or supplier.former_province_id != former.id
        ):
            continue
        local = supplier.province_id == buyers[need_id].province_id
        deals[deal_id] = _DealState(deal_id, need_id, supplier_id, local)
    steps = session.execute(
        select(DealStep.deal_id, DealStep.stage, DealStep.reached_on, DealStep.source).where(
            DealStep.deal_id.in_(list(deals)), DealStep.reached_on <= end
        )
    ).all()
    for deal_id, stage, on, source in steps:
        state = deals[deal_id]
        state.first_step = on if state.first_step is None else min(state.first_step, on)
        if on <= as_of:
            state.last_step = on if state.last_step is None else max(state.last_step, on)
        state.from_meeting |= source == "meeting"
        stage = Stage(stage)
        if stage == Stage.CLOSED or (stage == Stage.INTEREST and source == "rfq"):
            continue
        state.furthest = max(state.furthest, stage.rank)

    by_need: dict[int, list[_DealState]] = {}
    for state in deals.values():
        by_need.setdefault(state.need_id, []).append(state)
    counted_deals = [d for d in deals.values() if d.need_id in counted]

    stages = []
    for stage in STAGES:
        reached = [d for d in counted_deals if d.furthest >= stage.rank]
        stages.append(
            StageCount(
                stage,
                needs=len({d.need_id for d in reached}),
                deals=len(reached),
                local_needs=len({d.need_id for d in reached if d.local}),
                local_deals=sum(1 for d in reached if d.local),
            )
        )

    quotes = session.scalar(
        select(func.count(Quote.id)).where(
            Quote.deal_id.in_([d.deal_id for d in counted_deals]),
            Quote.created_at < end_at,
            Quote.status != QuoteStatus.SUPERSEDED,
        )
    )
    orders = _first_orders(session, counted_deals, needs, buyers, suppliers, end)
    return Funnel(
        start=start,
        end=end,
        as_of=as_of,
        stall_days=stall_days,
        needs_posted=sum(1 for i in counted if start_at <= as_utc(needs[i].created_at) < end_at),
        needs_counted=len(counted),
        quotes_received=quotes or 0,
        stages=stages,
        first_orders=orders,
        by_sector=_by_sector(session, counted, sectors, by_need, orders),
        by_former_province=_by_former(session, counted_deals, suppliers, orders),
        stalled=_stalled(needs, buyers, by_need, as_of, stall_days),
        deals_from_meetings=sum(1 for d in counted_deals if d.from_meeting),
        sector=sector,
        former_province=former.code if former is not None else None,
        province_ids=ids,
    )


def _former(session: Session, value: str | int | None) -> FormerProvince | None:
    if value is None:
        return None
    if isinstance(value, int) or str(value).isdigit():
        return session.get(FormerProvince, int(value))
    return session.scalar(select(FormerProvince).where(FormerProvince.code == str(value)))


def _need_sectors(session: Session, needs: list[Need]) -> dict[int, str | None]:
    """Each need's sector: its process's, else its buyer's first (as the localisation
    gaps count a need that names no part family: ``matching.localisation``)."""
    processes = {n.process_id for n in needs if n.process_id}
    of_process = dict(
        session.execute(
            select(Concept.id, Concept.sector_id).where(Concept.id.in_(processes))
        ).all()
    )
    buyer_sector: dict[int, str] = {}
    for firm_id, concept_id in session.execute(
        select(firm_sectors.c.firm_id, firm_sectors.c.concept_id)
        .where(firm_sectors.c.firm_id.in_({n.buyer_id for n in needs}))
        .order_by(firm_sectors.c.firm_id, firm_sectors.c.concept_id)
    ):
        buyer_sector.setdefault(firm_id, concept_id)
    return {n.id: of_process.get(n.process_id) or buyer_sector.get(n.buyer_id) for n in needs}


def _first_orders(
    session: Session,
    deals: list[_DealState],
    needs: dict[int, Need],
    buyers: dict[int, Firm],
    suppliers: dict[int, Firm],
    end: date,
) -> list[FirstOrder]:
    states = {d.deal_id: d for d in deals}
    first: dict[int, tuple[date, int, int | None]] = {}
    for deal_id, on, order_id, value in session.execute(
        select(
            PurchaseOrder.deal_id,
            PurchaseOrder.ordered_on,
            PurchaseOrder.id,
            PurchaseOrder.value_vnd,
        ).where(PurchaseOrder.deal_id.in_(list(states)), PurchaseOrder.ordered_on <= end)
    ):
        if deal_id not in first or (on, order_id) < first[deal_id][:2]:
            first[deal_id] = (on, order_id, value)
    out = []
    for deal_id, (on, _order_id, value) in first.items():
        state = states[deal_id]
        need = needs[state.need_id]
        match = min(state.first_step or on, on)
        out.append(
            FirstOrder(
                deal_id=deal_id,
                need_id=need.id,
                need_title=need.title,
                buyer_id=need.buyer_id,
                buyer_name=buyers[need.id].display_name,
                supplier_id=state.supplier_id,
                supplier_name=suppliers[state.supplier_id].display_name,
                local=state.local,
                ordered_on=on,
                value_vnd=value,
                days_from_match=(on - match).days,
            )
        )
    out.sort(key=lambda o: (o.ordered_on, o.deal_id))
    return out


def _tally(group: FunnelGroup, states: list[_DealState]) -> None:
    """Counts of needs reaching each stage through ``states``."""

    def needs_at(stage: Stage) -> int:
        return len({d.need_id for d in states if d.furthest >= stage.rank})

    group.answered = needs_at(Stage.INTEREST)
    group.quoted = needs_at(Stage.QUOTED)
    group.sample_approved = needs_at(Stage.SAMPLE_APPROVED)
    group.ordered = needs_at(Stage.PURCHASE_ORDER)


def _by_sector(
    session: Session,
    counted: set[int],
    sectors: dict[int, str | None],
    by_need: dict[int, list[_DealState]],
    orders: list[FirstOrder],
) -> list[FunnelGroup]:
    keys = {sectors[i] for i in counted}
    names = {
        c.id: (c.name_vi, c.name_en)
        for c in session.scalars(select(Concept).where(Concept.id.in_({k for k in keys if k})))
    }
    out = []
    for key in keys:
        vi, en = names.get(key, (key, key)) if key else ("", "")
        members = {i for i in counted if sectors[i] == key}
        group = FunnelGroup(key, vi, en, needs=len(members))
        _tally(group, [d for i in members for d in by_need.get(i, [])])
        mine = [o for o in orders if o.need_id in members]
        group.first_orders, group.value_vnd = len(mine), sum(o.value_vnd or 0 for o in mine)
        out.append(group)
    out.sort(key=lambda g: (-g.needs, g.key is None, g.key or ""))
    return out


def _by_former(
    session: Session,
    deals: list[_DealState],
    suppliers: dict[int, Firm],
    orders: list[FirstOrder],
) -> list[FunnelGroup]:
    """By the supplier's former province (the map before 2025): where in the merged
    provinces the answering and winning suppliers are."""
    answering = [d for d in deals if d.furthest >= 0]
    keys = {suppliers[d.supplier_id].former_province_id for d in answering}
    formers = {
        f.id: f
        for f in session.scalars(
            select(FormerProvince).where(FormerProvince.id.in_({k for k in keys if k}))
        )
    }
    units = {
        p.id: p
        for p in session.scalars(
            select(Province).where(Province.id.in_({f.province_id for f in formers.values()}))
        )
    }
    out = []
    for key in keys:
        if key is None:
            group = FunnelGroup(None, "", "")
        else:
            former = formers[key]
            unit = units.get(former.province_id)
            group = FunnelGroup(
                former.code, place_label(unit, former, "vi"), place_label(unit, former, "en")
            )
        members = [d for d in answering if suppliers[d.supplier_id].former_province_id == key]
        _tally(group, members)
        ids = {d.deal_id for d in members}
        mine = [o for o in orders if o.deal_id in ids]
        group.first_orders, group.value_vnd = len(mine), sum(o.value_vnd or 0 for o in mine)
        out.append(group)
    out.sort(key=lambda g: (-g.answered, g.key is None, g.name_vi))
    return out


def _stalled(
    needs: dict[int, Need],
    buyers: dict[int, Firm],
    by_need: dict[int, list[_DealState]],
    as_of: date,
    stall_days: int,
) -> list[StalledNeed]:
    out = []
    for need_id, need in needs.items():
        if need.status != NeedStatus.OPEN:
            continue
        posted = _vietnam_day(need.created_at)
        if posted > as_of:
            continue
        states = by_need.get(need_id, [])
        furthest = max((d.furthest for d in states), default=-1)
        if furthest >= Stage.PURCHASE_ORDER.rank:
            continue  # ordered: what the need was for
        moves = [d.last_step for d in states if d.last_step is not None]
        since = max(moves) if moves else posted
        days = (as_of - since).days
        if days <= stall_days:
            continue
        out.append(
            StalledNeed(
                need_id,
                need.title,
                need.buyer_id,
                buyers[need_id].display_name,
                STAGES[furthest] if furthest >= 0 else None,
                since,
                days,
            )
        )
    out.sort(key=lambda n: (-n.days, n.need_id))
    return out


__all__ = [
    "STAGES",
    "STALL_DAYS",
    "FirstOrder",
    "Funnel",
    "FunnelGroup",
    "StageCount",
    "StalledNeed",
    "funnel",
]
