"""Learning to rank from recorded outcomes: guarded training and publication."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from sqlalchemy import select

from catalog.models import Need, NeedStatus
from jobs.runtime import runtime
from matching.reranker import FEATURES, MIN_JUDGEMENTS, Example, train


@pytest.fixture()
def client(admin_api):
    """These tests exercise features; who may use them is tested in test_access_matrix."""
    return admin_api


def _examples(n_needs: int, per_need: int, grade_of) -> list[Example]:
    rng = np.random.default_rng(7)
    out = []
    for need in range(n_needs):
        for _ in range(per_need):
            f = rng.random(len(FEATURES))
            out.append(Example(f"n{need}", grade_of(f), f))
    return out


def test_a_handful_of_clicks_trains_nothing():
    result = train(_examples(5, 6, lambda f: int(f[1] > 0.5)))
    assert not result.accepted and "not enough evidence" in result.reason
    assert result.reranker is None


def test_a_model_that_cannot_beat_the_current_ranking_is_refused():
    # Outcomes follow the current score exactly: nothing to learn, nothing published.
    result = train(_examples(40, 10, lambda f: int(f[0] * 4)))
    assert result.judgements >= MIN_JUDGEMENTS
    assert not result.accepted and "does not beat" in result.reason


def test_a_learnable_preference_is_learned_and_checked_on_held_out_needs():
    # Buyers choose by a signal the current score ignores (here: feature "dense").
    dense = FEATURES.index("dense")
    result = train(_examples(40, 10, lambda f: int(f[dense] * 4)))
    assert result.accepted, result.summary()
    assert result.model_ndcg > result.baseline_ndcg
    assert result.reranker.meta["heldout_needs"] == result.heldout_needs > 0


@pytest.fixture()
def clean_reranker(app):
    yield
    with app.app_context():
        shutil.rmtree(runtime().engine.reranker_path.parent, ignore_errors=True)


def test_outcomes_recorded_through_the_api_train_a_reranker_the_engine_uses(
    client, session, clean_reranker
):
    """Buyers in this test only ever deal with suppliers in their delivery province;
    the fused score barely knows that, so a model learned from outcomes should."""
    engine = runtime().engine
    needs = list(
        session.scalars(
            select(Need)
            .where(Need.status == NeedStatus.OPEN, Need.delivery_province_id.is_not(None))
            .order_by(Need.id)
            .limit(36)
        )
    )
    train_needs, probe = needs[:30], needs[30:]
    recorded = 0
    for need in train_needs:
        matches = client.get(f"/api/v1/needs/{need.id}/matches?limit=12").json["items"]
        for m in matches:
            near = m["firm"]["province"] == need.delivery_province.code
            resp = client.post(
                f"/api/v1/needs/{need.id}/outcomes",
                json={
                    "firm_id": m["firm_id"],
                    "capability_id": m["capability_id"],
                    "outcome": "deal" if near else "rejected",
                },
            )
            assert resp.status_code == 201, resp.json
            recorded += 1
    assert recorded >= MIN_JUDGEMENTS
    reranker = engine.reranker()
    assert reranker is not None, (engine.reranker_path.parent / "state.json").read_text()
    assert reranker.meta["model_ndcg"] > reranker.meta["baseline_ndcg"]

    def near_share(need, use_model: bool) -> float:
        if not use_model:
            engine.use_reranker(None)
            saved, engine.store.root = engine.store.root, engine.store.root / "none"
        try:
            top = engine.match_need(session, need, limit=10)
        finally:
            if not use_model:
                engine.store.root = saved
        code = need.delivery_province.code
        from catalog.queries import firms_by_ids

        firms = firms_by_ids(session, [m.firm_id for m in top])
        return sum(firms[m.firm_id].province.code == code for m in top) / max(len(top), 1)

    before = np.mean([near_share(n, False) for n in probe])
    after = np.mean([near_share(n, True) for n in probe])
    assert after > before, (before, after)
    top = engine.match_need(session, probe[0], limit=3)
    assert any(r["kind"] == "learned" for r in top[0].reasons)


def test_bad_outcomes_are_refused(client, session):
    need = session.scalars(select(Need)).first()
    assert (
        client.post(
            f"/api/v1/needs/{need.id}/outcomes", json={"firm_id": 1, "outcome": "maybe"}
        ).status_code
        == 422
    )
    assert (
        client.post(f"/api/v1/needs/{need.id}/outcomes", json={"outcome": "deal"}).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/needs/999999/outcomes", json={"firm_id": 1, "outcome": "deal"}
        ).status_code
        == 404
    )
