"""The fusion of dense and lexical scores never makes the strong retriever worse.

The dense encoder alone is the bar: per query→document direction of the development
set, the service's combination (``matching.fusion``) must rank at least as well as
dense alone (within noise), and the combination compared in docs/match-quality.md must
stay what the service uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.runtime import runtime
from matching.eval import Harness, compare_fusions, load_dataset
from matching.fusion import WEIGHTS, Hit, best_first, fuse, rrf, weights_for

DEVSET = Path(__file__).resolve().parent.parent / "matching" / "data" / "devset"
TOLERANCE = 0.01  # nDCG@10 per direction

pytestmark = pytest.mark.no_database


def test_fuse_is_a_convex_blend_of_normalised_scores():
    hits = fuse({1: 0.9, 2: 0.5, 3: 0.1}, {1: 0.0, 2: 0.4, 3: 0.2}, (0.75, 0.25))
    assert hits[1].fused == pytest.approx(0.75)
    assert hits[2].fused == pytest.approx(0.75 * 0.5 + 0.25)
    assert (hits[1].dense_rank, hits[2].lexical_rank) == (1, 1)
    assert all(isinstance(h, Hit) for h in hits.values())


def test_scores_equal_but_for_their_last_bits_rank_by_capability_id():
    """One text indexed for two firms is scored by different BLAS paths in a search and
    in a batch; both rankings must put the same one first whichever got the last bit."""
    one, two = 0.6120000000000001, 0.6119999999999999
    for a, b in ((one, two), (two, one)):
        hits = [Hit(capability_id=8, firm_id=2, fused=a), Hit(capability_id=5, firm_id=1, fused=b)]
        assert [h.capability_id for h in best_first(hits)] == [5, 8]
    apart = [
        Hit(capability_id=8, firm_id=2, fused=0.613),
        Hit(capability_id=5, firm_id=1, fused=0.612),
    ]
    assert [h.capability_id for h in best_first(apart)] == [8, 5]


def test_rrf_ranks_by_ranks_only():
    hits = rrf({1: 0.9, 2: 0.8}, {2: 0.9, 1: 0.1})
    assert hits[1].fused == pytest.approx(hits[2].fused)


def test_weights_are_a_convex_pair_per_encoder():
    for model in (*WEIGHTS, "some-other-model"):
        wd, wl = weights_for(model)
        assert wd > 0 and wl >= 0 and wd + wl == pytest.approx(1.0)
    assert weights_for("some-other-model") == (0.5, 0.5)


@pytest.fixture(scope="module")
def comparison(app):
    with app.app_context():
        harness = Harness(load_dataset(DEVSET), runtime().encoder, progress=False)
        return compare_fusions(harness, ["service", "dense only"])


@pytest.mark.parametrize("retriever", ["hybrid", "full"])
def test_fusion_is_not_worse_than_dense_alone_in_any_direction(comparison, retriever):
    service = comparison["service"][retriever]["by_direction"]
    dense = comparison["dense only"][retriever]["by_direction"]
    for direction, measured in dense.items():
        assert service[direction]["ndcg@10"] >= measured["ndcg@10"] - TOLERANCE, (
            direction,
            service,
            dense,
        )
