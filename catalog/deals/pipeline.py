"""The pipeline of one need and one supplier: where it stands, and how it moves.

Every stage is reached once per source: ``reach`` is idempotent for a stage coming
from a record (an accepted introduction, a meeting, a quote, a purchase order), so the
code that creates that record calls it and nobody enters the stage again by hand.
Stages recorded by a person (sample ordered, sample approved, met outside an event)
name that person. Each stage reached is also a graded judgement for the reranker
(``MatchJudgement``, ``catalog.models.needs.GRADES``): quoted < sample approved <
purchase order. A deal closed for capacity or certification says the match was wrong
(grade 0); one closed for price, quality, lead time or silence keeps what it reached.

Functions here flush and never commit: they are part of the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import (
    CloseReason,
    Deal,
    DealStep,
    Firm,
    MatchJudgement,
    Need,
    Outcome,
    Side,
    Stage,
    User,
    UserRole,
)
from ..models.base import vietnam_today
from ..validation import ValidationError

# The judgement each stage is for the reranker.
STAGE_OUTCOMES: dict[Stage, Outcome] = {
    Stage.INTEREST: Outcome.INTEREST,
    Stage.INTRODUCED: Outcome.INTRODUCED,
    Stage.MET: Outcome.MEETING,
    Stage.QUOTED: Outcome.QUOTED,
    Stage.SAMPLE_ORDERED: Outcome.SAMPLE_ORDERED,
    Stage.SAMPLE_APPROVED: Outcome.SAMPLE_APPROVED,
    Stage.PURCHASE_ORDER: Outcome.PURCHASE_ORDER,
    Stage.REPEAT_ORDER: Outcome.REPEAT_ORDER,
}
# Closing for these reasons says the supplier could not make the part as needed.
WRONG_MATCH = frozenset({CloseReason.CAPACITY, CloseReason.CERTIFICATION})

STAGE_LABELS: dict[Stage, str] = {
    Stage.INTEREST: N_("Interest"),
    Stage.INTRODUCED: N_("Introduced"),
    Stage.MET: N_("Meeting held"),
    Stage.QUOTED: N_("Quoted"),
    Stage.SAMPLE_ORDERED: N_("Sample ordered"),
    Stage.SAMPLE_APPROVED: N_("Sample approved"),
    Stage.PURCHASE_ORDER: N_("Purchase order"),
    Stage.REPEAT_ORDER: N_("Repeat orders"),
    Stage.CLOSED: N_("Closed"),
}
CLOSE_REASON_LABELS: dict[CloseReason, str] = {
    CloseReason.PRICE: N_("Price"),
    CloseReason.QUALITY: N_("Quality"),
    CloseReason.CAPACITY: N_("Capacity"),
    CloseReason.CERTIFICATION: N_("Certification"),
    CloseReason.LEAD_TIME: N_("Lead time"),
    CloseReason.NO_ANSWER: N_("No answer"),
    CloseReason.OTHER: N_("Other"),
}
# The stages a person may record on the pipeline; the others come from their records.
RECORDED_STAGES = (Stage.MET, Stage.SAMPLE_ORDERED, Stage.SAMPLE_APPROVED)


def find_deal(session: Session, need: Need | int, supplier: Firm | int) -> Deal | None:
    need_id = need if isinstance(need, int) else need.id
    supplier_id = supplier if isinstance(supplier, int) else supplier.id
    return session.scalar(
        select(Deal).where(Deal.need_id == need_id, Deal.supplier_id == supplier_id)
    )


def side_of(user: User | None, deal: Deal) -> Side | None:
    """The side ``user`` acts for on ``deal``: their firm's, "officer" for officers and
    admins, None for anyone else. Who may act is the caller's rule."""
    if user is None:
        return None
    if user.role in (UserRole.OFFICER, UserRole.ADMIN):
        return Side.OFFICER
    if user.firm_id == deal.supplier_id:
        return Side.SUPPLIER
    if user.firm_id == deal.buyer_id:
        return Side.BUYER
    return None


def deal_for(
    session: Session,
    need: Need,
    supplier: Firm,
    started_by: Side = Side.SUPPLIER,
    match_score: float | None = None,
) -> Deal:
    """The deal of ``need`` and ``supplier``, begun now if there is none."""
    if not supplier.is_supplier:
        raise ValidationError({"firm_id": N_("Only suppliers can answer needs.")})
    if supplier.id == need.buyer_id:
        raise ValidationError({"firm_id": N_("A firm cannot answer its own need.")})
    deal = find_deal(session, need, supplier)
    if deal is None:
        deal = Deal(
            need=need,
            supplier=supplier,
            buyer_id=need.buyer_id,
            started_by=started_by,
            stage=Stage.INTEREST,
            stage_on=vietnam_today(),
            match_score=match_score,
        )
        session.add(deal)
        session.flush()
    elif match_score is not None and deal.match_score is None:
        deal.match_score = match_score
    return deal


def reach(
    session: Session,
    deal: Deal,
    stage: Stage | str,
    *,
    on: date | None = None,
    source: str = "recorded",
    ref_id: int | None = None,
    user: User | None = None,
    side: Side = Side.BUYER,
    note: str = "",
    ppap_level: int | None = None,
    first_article: bool = False,
) -> DealStep:
    """Record that ``deal`` reached ``stage`` (on ``on``, today by default). A stage
    from a record (``source``, ``ref_id``) is recorded once; a later stage than the
    deal's moves it forward (a closed deal is reopened by any stage reached)."""
    stage = Stage(stage)
    if stage == Stage.CLOSED:
        raise ValueError("close a deal with close()")
    on = on or vietnam_today()
    if on > vietnam_today():
        raise ValidationError({"reached_on": N_("The date cannot be in the future.")})
    if ppap_level is not None and not 1 <= ppap_level <= 5:
        raise ValidationError({"ppap_level": N_("PPAP levels run from 1 to 5.")})
    if ref_id is not None:
        existing = session.scalar(
            select(DealStep).where(
                DealStep.deal_id == deal.id,
                DealStep.stage == stage,
                DealStep.source == source,
                DealStep.ref_id == ref_id,
            )
        )
        if existing is not None:
            return existing
    step = DealStep(
        deal=deal,
        stage=stage,
        reached_on=on,
        source=source[:20],
        ref_id=ref_id,
        user_id=user.id if user else None,
        side=side,
        note=note[:1000],
        ppap_level=ppap_level,
        first_article=first_article,
    )
    session.add(step)
    if deal.stage == Stage.CLOSED or stage.rank > deal.stage.rank:
        deal.stage, deal.stage_on, deal.closed_reason = stage, on, None
    elif stage == deal.stage and on < deal.stage_on:
        deal.stage_on = on  # the stage was reached earlier than first recorded
    session.add(
        MatchJudgement(
            need_id=deal.need_id,
            firm_id=deal.supplier_id,
            outcome=STAGE_OUTCOMES[stage],
            source="deal",
        )
    )
    session.flush()
    return step


def close(
    session: Session,
    deal: Deal,
    reason: CloseReason | str,
    *,
    user: User | None = None,
    side: Side = Side.BUYER,
    note: str = "",
    on: date | None = None,
) -> DealStep:
    """End the deal with a reason; closing for capacity or certification is judged a
    wrong match (grade 0), the other reasons keep the grade of what it reached."""
    try:
        reason = CloseReason(reason)
    except ValueError:
        raise ValidationError({"reason": N_("Choose why the deal is closed.")}) from None
    on = on or vietnam_today()
    step = DealStep(
        deal=deal,
        stage=Stage.CLOSED,
        reached_on=on,
        source="recorded",
        close_reason=reason,
        user_id=user.id if user else None,
        side=side,
        note=note[:1000],
    )
    session.add(step)
    deal.stage, deal.stage_on, deal.closed_reason = Stage.CLOSED, on, reason
    if reason in WRONG_MATCH:
        session.add(
            MatchJudgement(
                need_id=deal.need_id,
                firm_id=deal.supplier_id,
                outcome=Outcome.REJECTED,
                source="deal",
            )
        )
    session.flush()
    return step


@dataclass(frozen=True)
class StageView:
    """One stage of a deal's timeline: reached (on a date, from what) or not yet."""

    stage: Stage
    label: str
    reached_on: date | None
    steps: tuple[DealStep, ...]

    @property
    def reached(self) -> bool:
        return self.reached_on is not None


def timeline(deal: Deal) -> list[StageView]:
    """Every stage of the pipeline in order, each with the first date it was reached
    and the steps that reached it; a closed deal ends with its closing."""
    by_stage: dict[Stage, list[DealStep]] = {}
    for step in deal.steps:
        by_stage.setdefault(step.stage, []).append(step)
    out = []
    for stage in Stage:
        steps = tuple(by_stage.get(stage, ()))
        if stage == Stage.CLOSED and deal.stage != Stage.CLOSED:
            continue
        first = min((s.reached_on for s in steps), default=None)
        out.append(StageView(stage, STAGE_LABELS[stage], first, steps))
    return out


def first_reached(session: Session, deal_ids: list[int]) -> dict[int, dict[Stage, date]]:
    """deal id → stage → the first date it was reached (for the funnel and reports)."""
    out: dict[int, dict[Stage, date]] = {}
    if not deal_ids:
        return out
    rows = session.execute(
        select(DealStep.deal_id, DealStep.stage, DealStep.reached_on).where(
            DealStep.deal_id.in_(deal_ids)
        )
    )
    for deal_id, stage, on in rows:
        seen = out.setdefault(deal_id, {})
        if stage not in seen or on < seen[stage]:
            seen[stage] = on
    return out


def as_dict(deal: Deal) -> dict[str, Any]:
    """A deal for the API: its ids, stage and dated steps (no people, no texts)."""
    return {
        "id": deal.id,
        "need_id": deal.need_id,
        "supplier_id": deal.supplier_id,
        "buyer_id": deal.buyer_id,
        "stage": deal.stage.value,
        "stage_on": deal.stage_on.isoformat(),
        "closed_reason": deal.closed_reason.value if deal.closed_reason else None,
        "match_score": deal.match_score,
        "officers_asked": deal.officers_asked_at is not None,
        "steps": [
            {
                "stage": s.stage.value,
                "reached_on": s.reached_on.isoformat(),
                "source": s.source,
                "ppap_level": s.ppap_level,
                "first_article": s.first_article,
                "close_reason": s.close_reason.value if s.close_reason else None,
            }
            for s in deal.steps
        ],
    }
