"""Learning to rank from outcomes: a pairwise linear model over match features.

Every shortlist, rejection, introduction, meeting and deal recorded on a match is a
graded judgement. Within each need, pairs of suppliers with different grades become
training examples (RankNet-style pairwise logistic regression on feature
differences, scikit-learn), so the model learns which signals — each retriever's
score, concept overlap, constraint fit, distance, size against volume — predict what
buyers actually chose.

A model is trained only from enough evidence (``MIN_JUDGEMENTS`` over ``MIN_NEEDS``
needs, with both positive and negative outcomes), is evaluated on needs held out
from training, and is published only when it ranks those needs better than the
fused score does — and better than the model already in use.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit
from sklearn.preprocessing import StandardScaler

from .constraints import FAIL, OK, VERIFIED, Check, distance_km

MIN_JUDGEMENTS = 200
MIN_NEEDS = 20
MIN_NEW_JUDGEMENTS = 50
MIN_GAIN = 0.005  # held-out nDCG@10 a new model must add
FEATURES = (
    "score",
    "fused",
    "dense",
    "lexical",
    "dense_rank",
    "lexical_rank",
    "fit",
    "fit_known",
    "concepts_shared",
    "concepts_missing",
    "process_ok",
    "process_fail",
    "materials_ok",
    "materials_fail",
    "capacity_ok",
    "capacity_fail",
    "tolerance_ok",
    "tolerance_fail",
    "hard_fail",
    "verified",
    "distance_100km",
    "log_employees",
    "log_capacity_ratio",
)


def _check_flags(checks: list[Check], name: str) -> tuple[float, float]:
    relevant = [c for c in checks if c.name == name]
    ok = any(c.status == OK for c in relevant)
    return float(ok), float(not ok and any(c.status == FAIL for c in relevant))


def pair_features(
    need: Any,
    cap: Any,
    firm: Any,
    hit: Any,
    checks: list[Check],
    score: float,
    fit: float | None,
    need_concepts: set[str],
    cap_concepts: set[str],
) -> np.ndarray:
    """The feature vector of one (need, capability) pair, in ``FEATURES`` order."""
    f: dict[str, float] = {
        "score": score,
        "fused": hit.fused,
        "dense": hit.dense or 0.0,
        "lexical": hit.lexical or 0.0,
        "dense_rank": 1.0 / (1 + (hit.dense_rank or 1000)),
        "lexical_rank": 1.0 / (1 + (hit.lexical_rank or 1000)),
        "fit": fit if fit is not None else 0.5,
        "fit_known": float(fit is not None),
        "concepts_shared": float(len(need_concepts & cap_concepts)),
        "concepts_missing": float(len(need_concepts - cap_concepts)),
        "hard_fail": float(any(c.hard and c.status == FAIL for c in checks)),
    }
    for name in ("process", "materials", "capacity", "tolerance"):
        f[f"{name}_ok"], f[f"{name}_fail"] = _check_flags(checks, name)
    f["verified"] = max((c.weight for c in checks if c.name == VERIFIED), default=0.0)
    km = distance_km(firm.province, need.delivery_province) if need.delivery_province else None
    f["distance_100km"] = (km or 0.0) / 100
    f["log_employees"] = math.log1p(firm.employees or 0)
    if need.quantity_per_year and cap.capacity_per_month:
        f["log_capacity_ratio"] = math.log(cap.capacity_per_month * 12 / need.quantity_per_year)
    else:
        f["log_capacity_ratio"] = 0.0
    return np.array([f[name] for name in FEATURES], dtype=np.float64)


@dataclass
class Example:
    need: str  # group key: judgements of one need are ranked against each other
    grade: int
    features: np.ndarray


@dataclass
class Reranker:
    scaler: StandardScaler
    model: LogisticRegression
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, features: np.ndarray) -> np.ndarray:
        features = np.atleast_2d(features)
        return self.model.decision_function(self.scaler.transform(features))

    def save(self, path: str | os.PathLike) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reranker-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(self, fh)
        os.replace(tmp, path)
        path.with_suffix(".json").write_text(json.dumps(self.meta, indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Reranker:
        with open(path, "rb") as fh:
            return pickle.load(fh)


def _pairs(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    by_need: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_need[e.need].append(e)
    xs, ys = [], []
    for group in by_need.values():
        for a in group:
            for b in group:
                if a.grade > b.grade:
                    xs += [a.features - b.features, b.features - a.features]
                    ys += [1, 0]
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(xs), np.array(ys)


def ndcg_by_scores(examples: list[Example], scores: np.ndarray, k: int = 10) -> float:
    """Mean nDCG@k over needs, ranking each need's judged suppliers by ``scores``."""
    by_need: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for e, s in zip(examples, scores, strict=True):
        by_need[e.need].append((float(s), e.grade))
    values = []
    for items in by_need.values():
        ranked = [g for _, g in sorted(items, key=lambda t: -t[0])][:k]
        ideal = sorted((g for _, g in items), reverse=True)[:k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        if idcg > 0:
            values.append(sum(g / math.log2(i + 2) for i, g in enumerate(ranked)) / idcg)
    return float(np.mean(values)) if values else 0.0


@dataclass
class TrainingResult:
    accepted: bool
    reason: str
    judgements: int
    needs: int
    heldout_needs: int = 0
    baseline_ndcg: float | None = None
    model_ndcg: float | None = None
    current_ndcg: float | None = None
    reranker: Reranker | None = None

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "reranker"}


def train(
    examples: list[Example], current: Reranker | None = None, seed: int = 0
) -> TrainingResult:
    """Train on most needs, compare on the rest; accept only a real improvement."""
    needs = sorted({e.need for e in examples})
    result = TrainingResult(False, "", len(examples), len(needs))
    if len(examples) < MIN_JUDGEMENTS or len(needs) < MIN_NEEDS:
        result.reason = (
            f"not enough evidence: {len(examples)} judgements over {len(needs)} needs "
            f"(need {MIN_JUDGEMENTS} over {MIN_NEEDS})"
        )
        return result
    if len({e.grade > 0 for e in examples}) < 2:
        result.reason = "judgements are all positive or all negative"
        return result
    groups = [e.need for e in examples]
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
    train_idx, test_idx = next(split.split(np.zeros(len(examples)), groups=groups))
    train_set = [examples[i] for i in train_idx]
    test_set = [examples[i] for i in test_idx]
    x, y = _pairs(train_set)
    if len(set(y.tolist())) < 2:
        result.reason = "no pairs with different grades to learn from"
        return result
    scaler = StandardScaler().fit(np.vstack([e.features for e in train_set]))
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    reranker = Reranker(scaler, model)
    features = np.vstack([e.features for e in test_set])
    result.heldout_needs = len({e.need for e in test_set})
    result.baseline_ndcg = round(ndcg_by_scores(test_set, features[:, 0]), 4)
    result.model_ndcg = round(ndcg_by_scores(test_set, reranker.scores(features)), 4)
    bar = result.baseline_ndcg + MIN_GAIN
    if current is not None:
        result.current_ndcg = round(ndcg_by_scores(test_set, current.scores(features)), 4)
        bar = max(bar, result.current_ndcg + MIN_GAIN)
    if result.model_ndcg < bar:
        result.reason = f"held-out nDCG@10 {result.model_ndcg} does not beat {round(bar, 4)}"
        return result
    # Good enough: refit on everything, keep the held-out figures as its credentials.
    x, y = _pairs(examples)
    scaler = StandardScaler().fit(np.vstack([e.features for e in examples]))
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    reranker = Reranker(scaler, model)
    reranker.meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": list(FEATURES),
        **{k: v for k, v in result.summary().items() if k not in ("accepted", "reason")},
    }
    result.accepted, result.reason, result.reranker = True, "better on held-out needs", reranker
    return result
