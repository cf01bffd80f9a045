"""Match quality regression check on the bilingual development set.

Floors sit a little under the measured values (docs/match-quality.md), so that a
change that makes matching clearly worse fails CI while noise does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.runtime import runtime
from matching.eval import Harness, load_dataset

DEVSET = Path(__file__).resolve().parent.parent / "matching" / "data" / "devset"
# The harness ranks the development set's own documents in memory (the app gives it
# only the encoder and its cache): the database does not matter, so one pass is enough.
pytestmark = pytest.mark.no_database


@pytest.fixture(scope="module")
def results(app):
    with app.app_context():
        encoder = runtime().encoder  # shares the embedding cache with the session index
        harness = Harness(load_dataset(DEVSET), encoder, progress=False)
        return harness.evaluate(["bm25", "lexical", "dense", "hybrid", "full"])


def test_devset_is_large_and_bilingual():
    data = load_dataset(DEVSET)
    languages = [q["metadata"]["language"] for q in data.queries.values()]
    assert len(data.queries) >= 150 and languages.count("en") >= 75 and languages.count("vi") >= 75
    assert sum(len(r) for r in data.qrels.values()) >= 1500


def test_full_ranking_meets_the_floor(results):
    assert results["full"]["ndcg@10"] >= 0.85, results["full"]
    assert results["full"]["recall@100"] >= 0.87, results["full"]


def test_full_beats_every_single_retriever_by_ten_percent(results):
    best_single = max(results[r]["ndcg@10"] for r in ("bm25", "lexical", "dense"))
    assert results["full"]["ndcg@10"] >= 1.08 * best_single, results


def test_cross_lingual_is_close_to_same_language(results):
    by_lang = results["full"]["ndcg@10_by_language"]
    assert by_lang["en->vi"] >= 0.90 * by_lang["vi->vi"], by_lang
    assert by_lang["vi->en"] >= 0.90 * by_lang["en->en"], by_lang
