"""Edits reach the index as rows of its change log, applied by every reader over the
mapped base, and folded into a new base by a merge (``matching.changes``)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import create_engine, func, select

from catalog import services
from catalog.models import Capability
from jobs import tasks
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import changes, indexing
from matching.changes import ChainBroken, Layers
from matching.engine import MatchEngine
from matching.models import IndexChangeRecord
from matching.store import IndexStore
from tests.conftest import eventually
from tests.factories import make_supplier

GEARS = {
    "title": "Gia công bánh răng côn xoắn",
    "description": "Cắt bánh răng côn xoắn trên máy Gleason, mô-đun 2-8, cho hộp số.",
    "process": "process.gear_cutting",
}
PLATING = {
    "title": "Mạ kẽm nhúng nóng kết cấu thép",
    "description": "Mạ kẽm nhúng nóng cho cột điện, lan can, kết cấu thép mạ.",
    "process": "process.zinc_plating",
}
QUERIES = [
    "spiral bevel gear cutting on Gleason machines",
    "mạ kẽm nhúng nóng cột điện",
    "ép phun nhựa ABS vỏ sạc",
    "CNC machining aluminium housings",
]


def _log_size(session) -> int:
    return session.scalar(select(func.count()).select_from(IndexChangeRecord))


def _consistent(bundle) -> bool:
    return len(bundle.vectors) == len(bundle.lexical) == len(bundle.firm_of) == len(bundle.digests)


def test_an_edit_is_one_change_in_the_log_not_a_new_base(session):
    rt = runtime()
    version, rows = rt.store.current_version(), _log_size(session)
    web = MatchEngine(
        rt.store, rt.encoder, reload_in_background=True, feed=rt.engine.feed, poll_seconds=0.05
    )
    assert web.bundle().version == version
    firm = make_supplier(session, "Công ty TNHH Bánh Răng Nhật Ký", [GEARS])
    cap = firm.capabilities[0]
    assert rt.store.current_version() == version  # nothing whole was published
    assert _log_size(session) == rows + 1
    row = session.scalars(select(IndexChangeRecord).order_by(IndexChangeRecord.id.desc())).first()
    assert [d["id"] for d in row.documents] == [cap.id] and row.removed == []

    # The process that wrote it reads its own write; a web process within its poll.
    assert cap.id in rt.engine.bundle().digests
    assert _eventually(lambda: cap.id in web.bundle().digests)
    assert web.bundle().version == version and web.health()["changes"] >= 1
    hits = web.retrieve(session, GEARS["description"], 10)
    assert cap.id in [h.capability_id for h in hits]
    assert _consistent(web.bundle())

    services.update_capability(session, cap, PLATING)
    assert _eventually(
        lambda: web.bundle().digests.get(cap.id) == rt.engine.bundle().digests[cap.id]
    )
    hits = web.retrieve(session, PLATING["description"], 10)
    assert cap.id in [h.capability_id for h in hits]
    services.delete_firm(session, firm)
    assert _eventually(lambda: cap.id not in web.bundle().digests)
    assert cap.id not in [h.capability_id for h in web.retrieve(session, PLATING["description"])]
    assert indexing.consistency(session, web.bundle()) == {"missing": 0, "stale": 0, "extra": 0}


def test_the_layered_index_answers_as_the_merged_base_does(session):
    """Added, replaced and deleted documents over the base rank as they do once merged
    (dense scores exactly; lexical ones up to the refit vocabulary statistics)."""
    rt = runtime()
    added = make_supplier(session, "Công ty TNHH Bánh Răng Lớp Trên", [GEARS])
    # A document of the base replaced, and another dropped.
    base = rt.store.load(rt.encoder.model_name)
    first, second = sorted(base.digests)[:2]
    replaced, dropped = session.get(Capability, first), session.get(Capability, second)
    services.update_capability(session, replaced, PLATING)
    services.delete_capability(session, dropped)

    layered = rt.engine.bundle()
    assert _consistent(layered)
    assert second not in layered.digests
    for query in QUERIES:
        vector = rt.encoder.encode_queries([query])[0]
        found = layered.vectors.search(vector, 20)
        assert second not in dict(found)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
        # Exact over what is visible: the best 20 of every visible vector.
        ids = list(layered.digests)
        scores = layered.vectors.vectors(ids) @ vector
        best = sorted(zip(ids, scores, strict=True), key=lambda t: -t[1])[:20]
        if not layered.vectors.approximate:  # equal scores may come in either order
            assert np.allclose([s for _, s in found], [s for _, s in best], atol=1e-5)
        assert second not in dict(layered.lexical.search(query, 50))

    before = {q: [h.capability_id for h in rt.engine.retrieve(session, q, 10)] for q in QUERIES}
    change = indexing.merge(session, rt.store, rt.encoder)
    assert change is not None and change.version != base.version
    merged = rt.engine.bundle()
    assert merged.version == change.version and merged.through == change.through
    assert _consistent(merged) and set(merged.digests) == set(layered.digests)
    assert merged.digests[first] == layered.digests[first] and second not in merged.digests
    assert added.capabilities[0].id in merged.digests
    after = {q: [h.capability_id for h in rt.engine.retrieve(session, q, 10)] for q in QUERIES}
    for query in QUERIES:  # the same suppliers on top; the refit moves lexical scores a bit
        assert len(set(before[query][:5]) & set(after[query][:10])) >= 4, query


def test_a_failed_write_leaves_the_log_and_the_readers_as_they_were(session, monkeypatch):
    rt = runtime()
    through, rows = rt.engine.bundle().through, _log_size(session)
    with index_sync_paused(session):
        firm = make_supplier(session, "Công ty TNHH Bánh Răng Ghi Lỗi", [GEARS])

    def fail(*_a, **_k):
        raise OSError("the database went away")

    monkeypatch.setattr(changes, "record_change", fail)
    with pytest.raises(OSError):
        indexing.reindex_firms(session, rt.store, rt.encoder, [firm.id])
    monkeypatch.undo()
    assert _log_size(session) == rows and rt.engine.bundle().through == through
    indexing.reindex_firms(session, rt.store, rt.encoder, [firm.id])  # tried again
    assert _log_size(session) == rows + 1
    assert rt.engine.bundle().through > through
    assert indexing.consistency(session, rt.engine.bundle()) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }


def test_a_merge_that_crashes_leaves_the_base_and_the_log(session, monkeypatch):
    rt = runtime()
    make_supplier(session, "Công ty TNHH Bánh Răng Gộp Hỏng", [GEARS])
    version, through = rt.store.current_version(), rt.engine.bundle().through
    rows = _log_size(session)

    def full(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(rt.store, "publish", full)
    with pytest.raises(OSError):
        indexing.merge(session, rt.store, rt.encoder)
    monkeypatch.undo()
    assert rt.store.current_version() == version and _log_size(session) == rows
    assert rt.engine.bundle().through == through and _consistent(rt.engine.bundle())
    assert indexing.merge(session, rt.store, rt.encoder) is not None
    assert rt.store.current_version() != version
    assert indexing.merge(session, rt.store, rt.encoder) is None  # nothing left to fold


def test_a_chain_with_a_gap_is_never_applied(session):
    rt = runtime()
    make_supplier(session, "Công ty TNHH Bánh Răng Đứt Chuỗi", [GEARS])
    base = rt.store.load(rt.encoder.model_name)
    chain = changes.changes_after(session, rt.encoder.model_name, base.through)
    assert chain
    layers = Layers.over(base)
    with pytest.raises(ChainBroken):
        layers.apply(chain[1:] if len(chain) > 1 else [_shifted(chain[0])])
    assert layers.apply(chain).through == chain[-1].id


def _shifted(change):
    from dataclasses import replace

    return replace(change, previous=change.previous + 1000)


def test_the_worker_merges_once_the_log_holds_enough(app, session):
    rt = runtime()
    version = rt.store.current_version()
    app.config["INDEX_MERGE_AT"] = 1
    try:
        firm = make_supplier(session, "Công ty TNHH Bánh Răng Đủ Gộp", [GEARS])
    finally:
        app.config["INDEX_MERGE_AT"] = 2000
    assert rt.store.current_version() != version  # the merge task ran (eagerly here)
    bundle = rt.engine.bundle()
    assert firm.capabilities[0].id in bundle.digests
    assert bundle.through == changes.latest_id(session)
    assert tasks.merge_index.apply().get() == {"action": "none"}
    assert np.isfinite(bundle.vectors.vectors([firm.capabilities[0].id])).all()


def test_a_machine_without_the_workers_disk_follows_through_the_database(session, tmp_path):
    """INDEX_SHARING=database: bases are shipped through the database, changes follow
    in its log; a web machine with an empty folder of its own catches up from both,
    and keeps serving its copy when the database cannot be read."""
    rt = runtime()
    rt.store.ship = True
    try:
        indexing.ship(session, rt.store)
        web = MatchEngine(
            IndexStore(tmp_path / "index"),
            rt.encoder,
            feed=rt.engine.feed,
            pull_bases=True,
            poll_seconds=0,
        )
        assert web.bundle().version == rt.store.current_version()
        firm = make_supplier(session, "Công ty TNHH Bánh Răng Máy Khác", [GEARS])
        cap = firm.capabilities[0].id
        assert cap in web.bundle().digests and _consistent(web.bundle())
        merged = indexing.merge(session, rt.store, rt.encoder)
        assert merged is not None
        assert web.bundle().version == merged.version and cap in web.bundle().digests
        assert (tmp_path / "index" / merged.version / "meta.json").is_file()

        # The database unreachable: the local copy goes on serving.
        working, web.feed.engine = web.feed.engine, create_engine("sqlite:////nonexistent/x.db")
        try:
            assert web.bundle().version == merged.version and cap in web.bundle().digests
            assert web.retrieve(session, GEARS["description"], 5)
        finally:
            web.feed.engine = working
    finally:
        rt.store.ship = False


def test_the_opportunities_page_scores_the_log_as_the_engine_does(session):
    """Batch scoring over the base's space with the log's rows appended and the rows
    they hide masked gives the engine's own retrieval, need by need."""
    from catalog.models import Need
    from matching import opportunities as opp
    from matching.documents import need_text

    rt = runtime()
    moulding = {
        "title": "Ép phun nhựa kỹ thuật ABS, PC",
        "description": "Ép phun vỏ nhựa ABS, PC cho thiết bị điện tử và bộ sạc, máy ép 80-450 tấn.",
        "process": "process.injection_molding",
    }
    firm = make_supplier(session, "Công ty TNHH Nhựa Lớp Nhật Ký", [moulding])
    # A document of the base replaced as well: its old row must never be a candidate.
    first = min(rt.store.load(rt.encoder.model_name).digests)
    services.update_capability(session, session.get(Capability, first), moulding)
    bundle = rt.engine.bundle()
    assert bundle.base is not None and first in bundle.vectors.hidden
    found = {o.need.id: o for o in opp.opportunities(session, rt.engine, firm, limit=None)}
    assert found
    for need_id, o in found.items():
        # The need's stored query vector, as the page uses (a fresh encoding of the
        # same text in another batch can differ in the last bits).
        hits = rt.engine.retrieve(session, need_text(session.get(Need, need_id)), stored=True)
        want = {h.capability_id: h.fused for h in hits if h.firm_id == firm.id}
        assert o.match.hit.fused == pytest.approx(want[o.capability.id], abs=1e-5)


def _eventually(predicate, timeout: float = 30.0) -> bool:
    return eventually(predicate, timeout)
