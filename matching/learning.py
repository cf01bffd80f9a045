"""Turn recorded outcomes into a reranker: gather judgements, train, publish if better."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import MatchJudgement, Need

from .engine import MatchEngine
from .reranker import MIN_NEW_JUDGEMENTS, Example, train

log = logging.getLogger(__name__)


def latest_grades(session: Session) -> dict[int, dict[int, int]]:
    """need id → firm id → grade of the latest outcome recorded for that pair."""
    grades: dict[int, dict[int, int]] = {}
    rows = session.scalars(select(MatchJudgement).order_by(MatchJudgement.id))
    for j in rows:
        grades.setdefault(j.need_id, {})[j.firm_id] = j.grade
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
    if not force and total - seen < MIN_NEW_JUDGEMENTS and not legacy.exists():
        return {"action": "none", "judgements": total, "new": total - seen}
    examples = collect_examples(session, engine)
    result = train(examples, current=engine.reranker())
    if result.accepted and result.reranker is not None:
        result.reranker.save(path)
        log.info("published a new reranker: %s", result.summary())
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "judgements_at_last_attempt": total,
        "attempted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_result": result.summary(),
    }
    state_path.write_text(json.dumps(state, indent=1))
    legacy.unlink(missing_ok=True)
    return {"action": "published" if result.accepted else "kept", **result.summary()}
