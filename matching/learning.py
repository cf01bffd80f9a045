"""Turn recorded outcomes into a reranker: gather judgements, train, publish if better."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import MatchJudgement, Need, Outcome

from .engine import MatchEngine
from .reranker import MIN_NEW_JUDGEMENTS, Example, train

log = logging.getLogger(__name__)


def latest_grades(session: Session) -> dict[int, dict[int, int]]:
    """need id → firm id → the grade of that pair: the highest grade judged since the
    last "rejected", 0 when "rejected" is the last judgement.

    A deal writes one judgement per stage it reaches (``catalog.deals.pipeline``), so
    the furthest stage is the pair's grade (quoted 3 < sample approved 4 < purchase
    order 5), however the stages were recorded (a sample approval entered late comes
    after the order it led to). A "rejected" — a match card's "Not relevant", a meeting
    without interest, a deal closed for capacity or certification — says the match was
    wrong, and wipes what came before it; what is reached after it counts again."""
    grades: dict[int, dict[int, int]] = {}
    rows = session.execute(
        select(MatchJudgement.need_id, MatchJudgement.firm_id, MatchJudgement.outcome).order_by(
            MatchJudgement.id
        )
    )
    for need_id, firm_id, outcome in rows:
        pairs = grades.setdefault(need_id, {})
        if outcome == Outcome.REJECTED:
            pairs[firm_id] = 0
        else:
            pairs[firm_id] = max(pairs.get(firm_id, 0), Outcome(outcome).grade)
    return grades


def collect_examples(session: Session, engine: MatchEngine) -> list[Example]:
    examples: list[Example] = []
    for need_id, grades in latest_grades(session).items():
        need = session.get(Need, need_id)
        if need is not None:
            examples += engine.judged_examples(session, need, grades)
    return examples


def retrain_if_due(session: Session, engine: MatchEngine, force: bool = False) -> dict[str, Any]:
    path = engine.reranker_path
    state_path = path.parent / "state.json"
    total = session.scalar(select(func.count()).select_from(MatchJudgement)) or 0
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    seen = int(state.get("judgements_at_last_attempt", 0))
    # A model of before index format 4 was pickled: never read, so trained again now
    # (once: the pickle is removed after the attempt).
    legacy = path.parent / "current.pkl"
    # A saved model the engine refuses (trained on another FEATURES list, or not
    # readable) ranks nothing: train again now rather than after 50 more judgements.
    current = engine.reranker()
    unusable = current is None and path.exists()
    if not force and total - seen < MIN_NEW_JUDGEMENTS and not legacy.exists() and not unusable:
        return {"action": "none", "judgements": total, "new": total - seen}
    examples = collect_examples(session, engine)
    result = train(examples, current=current)
    if result.accepted and result.reranker is not None:
        result.reranker.save(path)
        log.info("published a new reranker: %s", result.summary())
    elif unusable:
        path.unlink(missing_ok=True)  # unusable either way; tried once, not again
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "judgements_at_last_attempt": total,
        "attempted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_result": result.summary(),
    }
    state_path.write_text(json.dumps(state, indent=1))
    legacy.unlink(missing_ok=True)
    return {"action": "published" if result.accepted else "kept", **result.summary()}
