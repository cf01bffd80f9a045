"""The opportunities page's kept candidates (each need's best rows of the base, kept per
base) give ``MatchEngine.retrieve`` exactly, after edits hid some of those rows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from catalog import services
from catalog.models import Capability, Need, NeedStatus
from jobs.runtime import runtime
from matching import indexing
from matching import opportunities as opp
from matching.documents import need_text
from matching.engine import CANDIDATES
from matching.fusion import weights_for
from tests.factories import make_need, make_supplier

# A theme no demo firm has, so that these capabilities lead their needs' lists.
HYPOID = [
    {
        "title": f"Mài bánh răng hypoid cầu sau xe tải, lô {n}",
        "description": (
            f"Mài và lắp cặp bánh răng hypoid cho cầu sau xe tải {n} tấn trên máy Gleason "
            "Phoenix, kiểm tra vết tiếp xúc, mô-đun 4-9."
        ),
        "process": "process.gear_cutting",
    }
    for n in (3, 5, 8, 10, 15)
]
THEMED = [
    "hypoid gear grinding for truck rear axles on Gleason Phoenix machines",
    "mài bánh răng hypoid cầu sau xe tải",
]
REFILLED = ["cặp bánh răng hypoid Gleason kiểm tra vết tiếp xúc", "hypoid ring and pinion sets"]


def _same(mine, theirs) -> None:
    """The same hits with the same scores, in the same order of scores. Capabilities
    with equal scores (the suite's other modules add copies of the same texts) may come
    in either order, and so may their dense ranks."""
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a.fused == pytest.approx(b.fused, abs=1e-5)
    assert sorted(h.capability_id for h in mine) == sorted(h.capability_id for h in theirs)
    by_id = {h.capability_id: h for h in theirs}
    for a in mine:
        b = by_id[a.capability_id]
        assert a.firm_id == b.firm_id
        assert a.fused == pytest.approx(b.fused, abs=1e-5)
        assert a.dense == pytest.approx(b.dense, abs=1e-6)
        assert a.lexical == pytest.approx(b.lexical, abs=1e-6)
        tied = sum(1 for h in theirs if abs(h.dense - b.dense) <= 1e-6)
        if tied == 1:
            assert a.dense_rank == b.dense_rank


def test_kept_candidates_drop_hidden_rows_as_retrieve_does(session, monkeypatch):
    rt = runtime()
    engine = rt.engine
    firm = make_supplier(session, "Công ty TNHH Bánh Răng Hypoid Giữ Sẵn", HYPOID)
    caps = [c.id for c in firm.capabilities]
    assert indexing.merge(session, rt.store, rt.encoder) is not None  # now rows of a base
    demo = session.scalars(
        select(Need)
        .where(Need.status == NeedStatus.OPEN, Need.demo_key.isnot(None))
        .order_by(Need.id)
        .limit(4)
    ).all()
    texts = THEMED + REFILLED + [need_text(n) for n in demo]

    bundle = engine.bundle()
    space = opp._space(bundle)
    base = space.base or space
    for text in list(base.tops):
        base.tops.pop(text)
    margin = opp.MARGIN
    opp._candidates(engine, bundle, space, THEMED + texts[4:])  # kept CANDIDATES + MARGIN
    monkeypatch.setattr(opp, "MARGIN", 1)
    opp._candidates(engine, bundle, space, REFILLED)  # kept CANDIDATES + 1 only
    row = {c: int(space.row[c]) for c in caps}
    for text in THEMED + REFILLED:
        # The firm's rows lead each themed need's lists, before any edit.
        assert set(row.values()) <= set(base.tops[text].dense[:20].tolist()), text
        assert set(row.values()) <= set(base.tops[text].lexical[:20].tolist()), text
    assert len(base.tops[REFILLED[0]].dense) == CANDIDATES + 1

    # Three replaced by a text about something else, one deleted, one left as it was.
    for cid in caps[:3]:
        services.update_capability(
            session,
            session.get(Capability, cid),
            {
                "title": f"Nhuộm vải cotton {uuid.uuid4().hex[:6]}",
                "description": "Nhuộm và hoàn tất vải dệt kim cotton, máy nhuộm cao áp.",
                "process": "process.dyeing_finishing",
            },
        )
    services.delete_capability(session, session.get(Capability, caps[3]))
    layered = engine.bundle()
    assert layered.base is bundle and set(caps[:4]) <= set(layered.vectors.hidden.tolist())

    now = opp._space(layered)
    assert now.base is base and now.hidden[[row[c] for c in caps[:4]]].all()
    found = opp._candidates(engine, layered, now, texts)
    weights = weights_for(layered.model_name)
    for i, text in enumerate(texts):
        mine = opp._retrieve_one(now, found, i, weights)
        theirs = engine.retrieve(session, text, stored=True)
        _same(mine, theirs)
    # The kept lists were thinned, not scored again (MARGIN was not patched for them) …
    assert len(base.tops[THEMED[0]].dense) == CANDIDATES + margin
    assert row[caps[0]] in base.tops[THEMED[0]].dense.tolist()
    # … those kept one longer than CANDIDATES were (four of their rows are hidden).
    assert len(base.tops[REFILLED[0]].dense) > CANDIDATES + 1
    # The replaced capabilities are found by their new text only, the deleted one not.
    themed = [h.capability_id for h in opp._retrieve_one(now, found, 0, weights)]
    assert caps[3] not in themed and caps[4] in themed[:3]
    assert not set(caps[:3]) & set(themed[:20])

    # And the page: the need the unchanged capability still fits is offered with the
    # engine's score.
    need = make_need(
        session,
        demo[0].buyer,
        title=THEMED[0],
        description="Rear-axle hypoid gear pairs, ground and lapped.",
        visibility="public",
        process="process.gear_cutting",
    )
    offered = {o.need.id: o for o in opp.opportunities(session, engine, firm, limit=None)}
    want = {
        h.capability_id: h.fused
        for h in engine.retrieve(session, need_text(need), stored=True)
        if h.firm_id == firm.id
    }
    assert offered[need.id].capability.id == caps[4]
    assert offered[need.id].relevance == pytest.approx(want[caps[4]], abs=1e-6)
    # Leave the index as other tests expect it: the log folded into a base.
    assert indexing.merge(session, rt.store, rt.encoder) is not None


def test_a_warm_up_keeps_every_open_needs_lists(session):
    """What a web worker's warm-up can call: the first page then scores no need
    against the whole base."""
    rt = runtime()
    space = opp._space(rt.engine.bundle())
    base = space.base or space
    base.tops.clear()
    open_needs = session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)).all()
    assert opp.warm_candidates(session, rt.engine) == len(open_needs) > 0
    assert {need_text(n) for n in open_needs} <= set(base.tops)
