"""Learning to rank from outcomes: a pairwise linear model over match features.

Every shortlist, rejection, introduction, meeting and deal recorded on a match is a
graded judgement. Within each need, pairs of suppliers with different grades become
training examples (RankNet-style pairwise logistic regression on feature
differences, scikit-learn), so the model learns which signals — each retriever's
score, concept overlap, constraint fit, distance, size against volume, the buyers'
ratings of the firm — predict what buyers actually chose. Grades come from the deal's
stages (``matching.learning.latest_grades``): quoted < sample approved < purchase order.

A model is trained only from enough evidence (``MIN_JUDGEMENTS`` over ``MIN_NEEDS``
needs, with both positive and negative outcomes), is evaluated on needs held out
from training, and is published only when it ranks those needs better than the
fused score does — and better than the model already in use.
"""

from __future__ import annotations

import json
import math
import os
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

from catalog.deals.ratings import MIN_RATING_BUYERS

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
    "rating",
    "rated",
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
    f["rating"], f["rated"] = rating_features(firm)
    return np.array([f[name] for name in FEATURES], dtype=np.float64)


def rating_features(firm: Any) -> tuple[float, float]:
    """("rating", "rated"): the buyers' mean rating of the firm centred on 0 ((mean −
    3) / 2, in −1..1) and 1.0, once enough buyers rated it for the aggregate to count
    (``catalog.deals.ratings.MIN_RATING_BUYERS``); (0, 0) before. ``firm`` is a
    ``FirmFacts`` (a row has no ratings: (0, 0)). Only the learned model weighs it."""
    buyers = getattr(firm, "rating_buyers", 0) or 0
    mean = getattr(firm, "rating_mean", None)
    if mean is None or buyers < MIN_RATING_BUYERS:
        return 0.0, 0.0
    return (float(mean) - 3.0) / 2.0, 1.0


@dataclass
class Example:
    need: str  # group key: judgements of one need are ranked against each other
    grade: int
    features: np.ndarray


@dataclass
class Reranker:
    """The learned model as plain arrays: standardise each feature, then a linear score,
    ``((x − mean) / scale) · coef + intercept``, computed exactly as scikit-learn's
    ``StandardScaler`` and ``LogisticRegression.decision_function`` compute it.

    Arrays rather than the scikit-learn objects, so that the model is saved as JSON: it
    lives in the index folder, shared by every machine, and unpickling a file runs
    whatever code it names. A JSON file can only give back numbers.
    """

    mean: np.ndarray  # (features,)
    scale: np.ndarray  # (features,)
    coef: np.ndarray  # (1, features)
    intercept: np.ndarray  # (1,)
    meta: dict[str, Any] = field(default_factory=dict)

    FORMAT = 1

    @classmethod
    def fitted(cls, scaler: StandardScaler, model: LogisticRegression) -> Reranker:
        return cls(
            np.array(scaler.mean_, dtype=np.float64),
            np.array(scaler.scale_, dtype=np.float64),
            np.array(model.coef_, dtype=np.float64),
            np.array(model.intercept_, dtype=np.float64),
        )

    def scores(self, features: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        x = (x - self.mean) / self.scale
        return (x @ self.coef.T + self.intercept).reshape(-1)

    def save(self, path: str | os.PathLike) -> None:
        """Write the model as JSON (floats round-trip exactly), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "format": self.FORMAT,
            "features": list(FEATURES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "meta": self.meta,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reranker-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, indent=1, allow_nan=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> Reranker:
        """Read what ``save`` wrote; ``ValueError`` for anything else (another format,
        other features, arrays of the wrong shape or not finite)."""
        body = json.loads(Path(path).read_text("utf-8"))
        if not isinstance(body, dict) or body.get("format") != cls.FORMAT:
            raise ValueError(f"{path}: not a reranker of format {cls.FORMAT}")
        n = len(body.get("features", ()))
        names = ("mean", "scale", "coef", "intercept")
        arrays = [np.array(body[name], dtype=np.float64) for name in names]
        shapes = [(n,), (n,), (1, n), (1,)]
        if any(a.shape != s for a, s in zip(arrays, shapes, strict=True)) or not all(
            np.isfinite(a).all() for a in arrays
        ):
            raise ValueError(f"{path}: the model's arrays do not fit its features")
        meta = body.get("meta")
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta["features"] = [str(f) for f in body["features"]]
        return cls(*arrays, meta=meta)


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
    reranker = Reranker.fitted(scaler, model)
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
    reranker = Reranker.fitted(scaler, model)
    reranker.meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": list(FEATURES),
        **{k: v for k, v in result.summary().items() if k not in ("accepted", "reason")},
    }
    result.accepted, result.reason, result.reranker = True, "better on held-out needs", reranker
    return result
