"""Buyers rate a supplier after a purchase order; who sees what of the ratings; the
ratings as a feature of the learned reranker (never a fixed bonus), and a reranker
saved with the previous features refused without breaking matching."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import select

from catalog.deals import orders, pipeline, ratings
from catalog.models import Firm, Need, NeedStatus, SupplierRating, User
from catalog.validation import ValidationError
from jobs.runtime import runtime
from matching.firm_facts import FirmFactsCache
from matching.learning import retrain_if_due
from matching.reranker import FEATURES, rating_features
from tests.factories import make_supplier


def _needs_of_distinct_buyers(session, people, count: int) -> list[Need]:
    found: dict[int, Need] = {}
    for need in session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id.desc())
    ):
        if need.buyer_id != people.firms["buyer"] and need.buyer_id not in found:
            found[need.buyer_id] = need
        if len(found) == count:
            break
    return list(found.values())


def _ordered_deal(session, need: Need, supplier: Firm, user: User):
    deal = pipeline.deal_for(session, need, supplier)
    orders.record_order(session, deal, user)
    session.commit()
    return deal


def test_a_rating_needs_an_order_valid_scores_and_replaces_the_previous(session, people):
    admin = session.get(User, people.users["admin"])
    need = _needs_of_distinct_buyers(session, people, 1)[0]
    supplier = make_supplier(session, "Cơ khí Đánh Giá Một", [])
    deal = pipeline.deal_for(session, need, supplier)
    session.commit()
    with pytest.raises(ValidationError) as refused:
        ratings.rate(session, deal, admin, 4, 4, 4)
    assert "deal" in refused.value.errors
    session.rollback()
    orders.record_order(session, deal, admin)
    session.commit()  # the caller commits (catalog.deals flushes)
    with pytest.raises(ValidationError) as bad:
        ratings.rate(session, deal, admin, 6, 0, "x", ppm=-1, on_time_pct=101)
    assert set(bad.value.errors) == {"quality", "on_time", "communication", "ppm", "on_time_pct"}
    session.rollback()
    ratings.rate(session, deal, admin, 2, 3, 4, ppm="120", on_time_pct="95.5")
    ratings.rate(session, deal, admin, 5, 5, 4, comment="Giao đúng hẹn")
    kept = session.scalars(select(SupplierRating).where(SupplierRating.deal_id == deal.id)).all()
    assert [(r.quality, r.on_time, r.communication, r.ppm) for r in kept] == [(5, 5, 4, None)]


def test_the_aggregate_is_shown_to_other_buyers_from_three_buyers(
    session, people, api_as, client_as
):
    admin = session.get(User, people.users["admin"])
    supplier = make_supplier(session, "Cơ khí Được Đánh Giá", [])
    needs = _needs_of_distinct_buyers(session, people, 3)
    assert len(needs) == 3
    for need, score in zip(needs[:2], (5, 3), strict=True):
        ratings.rate(session, _ordered_deal(session, need, supplier, admin), admin, score, 4, 4)
    path = f"/api/v1/firms/{supplier.id}/rating"
    # Two buyers: another buyer sees nothing, the officers see every rating.
    assert api_as("buyer").get(path).json == {
        "visible": "none",
        "min_buyers": 3,
        "aggregate": None,
        "ratings": [],
    }
    officer = api_as("officer").get(path).json  # the supplier is in the officer's province
    assert officer["visible"] == "all" and len(officer["ratings"]) == 2
    assert api_as("other_officer").get(path).json["visible"] == "none"
    assert 'id="rating-aggregate"' not in client_as("buyer").get(
        f"/suppliers/{supplier.id}"
    ).get_data(as_text=True)
    # A third buyer: the aggregate, and only it.
    ratings.rate(session, _ordered_deal(session, needs[2], supplier, admin), admin, 4, 4, 4)
    seen = api_as("buyer").get(path).json
    assert seen["visible"] == "aggregate" and seen["ratings"] == []
    assert seen["aggregate"]["buyers"] == 3 and seen["aggregate"]["quality"] == 4.0
    assert api_as("anonymous").get(path).json["visible"] == "none"
    page = client_as("buyer").get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert 'id="rating-aggregate"' in page and 'id="ratings-per-buyer"' not in page
    # The latest rating of each buyer counts once.
    agg = ratings.aggregate(session, supplier.id)
    assert agg.buyers == 3 and agg.counts and round(agg.mean, 4) == round((4 + 4 + 4) / 3, 4)

    # The reranker reads it from the firm's facts: centred mean, and "rated".
    assert FEATURES[-2:] == ("rating", "rated")
    facts = FirmFactsCache().get(session, [supplier.id])[supplier.id]
    assert facts.rating_buyers == 3
    assert rating_features(facts) == ((agg.mean - 3) / 2, 1.0)
    unrated = make_supplier(session, "Cơ khí Chưa Đánh Giá", [])
    assert rating_features(FirmFactsCache().get(session, [unrated.id])[unrated.id]) == (0.0, 0.0)


@pytest.fixture()
def clean_reranker(app):
    yield
    with app.app_context():
        shutil.rmtree(runtime().engine.reranker_path.parent, ignore_errors=True)


def test_a_reranker_saved_with_the_previous_features_is_not_used(session, clean_reranker):
    engine = runtime().engine
    path = engine.reranker_path
    old = [f for f in FEATURES if f not in ("rating", "rated")]
    n = len(old)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "features": old,
                "mean": [0.0] * n,
                "scale": [1.0] * n,
                "coef": [[1.0] * n],
                "intercept": [0.0],
                "meta": {"features": old, "judgements": 999},
            }
        )
    )
    assert engine.reranker() is None  # refused, not a crash
    need = session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)).first()
    matches = engine.match_need(session, need, limit=5)
    assert matches and not any(r["kind"] == "learned" for r in matches[0].reasons)
    # Retraining is due at once; without enough evidence the unusable file goes.
    result = retrain_if_due(session, engine)
    assert result["action"] in ("kept", "published")
    assert not path.exists() or engine.reranker() is not None
