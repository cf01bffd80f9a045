"""The index follows the database: add, update, remove; and it survives damage."""

from __future__ import annotations

import fcntl
import uuid

import pytest

from catalog import services
from jobs import tasks
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import indexing
from matching.engine import MatchEngine
from matching.store import IndexUnavailable
from tests.conftest import eventually
from tests.factories import make_supplier

QUERY = "gia công bánh răng côn xoắn bằng máy Gleason cho hộp số máy nông nghiệp"
CAP = {
    "title": "Gia công bánh răng côn xoắn",
    "description": "Cắt bánh răng côn xoắn trên máy Gleason, mô-đun 2-8, "
    "cho hộp số máy nông nghiệp.",
    "process": "process.gear_cutting",
}


def _found(session, text, capability_id) -> bool:
    return any(
        h.capability_id == capability_id for h in runtime().engine.retrieve(session, text, 20)
    )


def test_add_update_remove_keep_search_consistent(session):
    rt = runtime()
    firm = make_supplier(session, "Công ty TNHH Bánh Răng Kiểm Thử", [CAP])
    cap = firm.capabilities[0]
    bundle = rt.engine.bundle()
    assert bundle.digests[cap.id] and bundle.firm_of[cap.id] == firm.id
    assert _found(session, QUERY, cap.id)

    services.update_capability(
        session,
        cap,
        {
            "title": "Mạ kẽm nhúng nóng kết cấu thép",
            "description": "Mạ kẽm nhúng nóng cho cột điện, lan can, kết cấu thép mạ.",
            "process": "process.zinc_plating",
        },
    )
    assert _found(session, "mạ kẽm nhúng nóng kết cấu thép cột điện lan can", cap.id)
    assert indexing.consistency(session, rt.engine.bundle()) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }

    services.delete_capability(session, cap)
    bundle = rt.engine.bundle()
    assert cap.id not in bundle.digests
    assert not _found(session, "mạ kẽm nhúng nóng kết cấu thép cột điện lan can", cap.id)

    services.delete_firm(session, firm)
    assert indexing.consistency(session, rt.engine.bundle()) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }


def test_certification_changes_reach_matching_without_rebuild(session):
    rt = runtime()
    before = rt.engine.bundle().built_at
    firm = make_supplier(session, "Công ty CP Chứng Nhận Kiểm Thử", [CAP])
    services.add_certification(
        session, firm, {"standard": "iatf16949", "valid_until": "2030-01-01"}
    )
    assert [c.standard for c in firm.certifications] == ["IATF 16949"]
    assert rt.engine.bundle().built_at == before  # incremental updates, no full rebuild


def _damage(store, how: str) -> None:
    folder = store.root / store.current_version()
    if how == "deleted":
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
        store.pointer.unlink()
    else:
        (folder / "vectors.faiss").write_bytes(b"not a faiss index")


@pytest.mark.parametrize("how", ["deleted", "corrupt"])
def test_damaged_index_falls_back_then_is_rebuilt(session, how):
    rt = runtime()
    documents = len(rt.engine.bundle())
    _damage(rt.store, how)
    with pytest.raises(IndexUnavailable):
        rt.store.load(rt.encoder.model_name)
    # A process starting now still answers, lexically, and says so.
    fresh = MatchEngine(rt.store, rt.encoder)
    assert fresh.health()["status"] == "degraded"
    hits = fresh.retrieve(session, "ép phun nhựa ABS", 10)
    assert hits and all(h.dense is None for h in hits)
    # The repair task (queued by every worker at start) rebuilds from the database.
    result = tasks.ensure_index.apply().get()
    assert result["action"] == "rebuilt"
    assert rt.engine.health()["status"] == "ok"
    assert fresh.health()["status"] == "ok"
    assert len(rt.engine.bundle()) == documents


def test_ensure_index_does_nothing_when_consistent(session):
    assert tasks.ensure_index.apply().get()["action"] == "none"


def test_crash_while_publishing_keeps_previous_version(session, monkeypatch):
    rt = runtime()
    version = rt.store.current_version()
    bundle = rt.store.load()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(bundle.vectors, "save", boom)
    with pytest.raises(OSError):
        rt.store.publish(bundle)
    assert rt.store.current_version() == version
    assert len(rt.store.load(rt.encoder.model_name)) == len(bundle)
    assert not list(rt.store.root.glob("tmp-*"))


def test_changed_model_is_never_mixed(session):
    rt = runtime()
    with pytest.raises(IndexUnavailable, match="built with"):
        rt.store.load("some-other-model")


def _mapped(array) -> bool:
    """Whether a numpy array's memory is a mapping of a file (``np.load(mmap_mode=…)``)."""
    import numpy as np

    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = getattr(array, "base", None)
    return False


def test_web_processes_map_the_index_and_writers_read_it(session):
    rt = runtime()
    served = rt.store.load(rt.encoder.model_name, mmap=True)  # a web worker's base
    assert rt.engine.bundle().version == served.version
    # What grows with the catalogue is mapped, so web workers share its pages.
    assert served.vectors.mapped
    assert _mapped(served.lexical.ids) and _mapped(served.lexical.matrix.data)
    assert _mapped(served.lexical.matrix.indices) and _mapped(served.lexical._postings.data)
    # A writer's copy is its own, and the same index: same documents, same scores.
    written = rt.store.load(rt.encoder.model_name)
    assert not written.vectors.mapped and not _mapped(written.lexical.matrix.data)
    assert written.lexical.search(QUERY, 10) == served.lexical.search(QUERY, 10)
    query = rt.encoder.encode_queries([QUERY])[0]
    assert written.vectors.search(query, 10) == served.vectors.search(query, 10)
    # Changing a loaded copy never writes through to the published files.
    before = served.lexical.search(QUERY, 5)
    victim = before[0][0]
    written.lexical.remove([victim])
    written.vectors.remove([victim])
    assert victim not in dict(written.lexical.search(QUERY, 50))
    assert rt.store.load(rt.encoder.model_name).lexical.search(QUERY, 5) == before


def test_document_texts_do_not_depend_on_the_order_materials_come_in(session):
    """PostgreSQL returns a many-to-many collection in its plan's order: a text (and so
    its digest and cached vector) must not change with it."""
    from sqlalchemy import select

    from catalog.models import Capability, Concept
    from matching.documents import capability_text

    materials = list(session.scalars(select(Concept).where(Concept.kind == "material").limit(3)))
    assert len(materials) == 3
    texts = {
        capability_text(Capability(title="Ép phun", description="Vỏ hộp", materials=order))
        for order in (materials, materials[::-1], materials[1:] + materials[:1])
    }
    assert len(texts) == 1
    session.expunge_all()


def _current(session):
    """The index as readers serve it: the base with the change log applied."""
    rt = runtime()
    return indexing.load_current(session, rt.store, rt.encoder.model_name)


def test_an_update_takes_in_firms_changed_since_and_their_own_updates_find_nothing(session):
    """Edits queued behind one another are written as one change, and the updates left
    in the queue write nothing."""
    rt = runtime()
    first = make_supplier(session, "Công ty TNHH Bánh Răng Gộp Một", [CAP])
    second = make_supplier(session, "Công ty TNHH Bánh Răng Gộp Hai", [CAP])
    before = _current(session).through
    # Two edits whose own updates have not run yet (as when they wait in the queue).
    with index_sync_paused(session):
        for firm, title in ((first, "Cắt bánh răng trụ răng nghiêng"), (second, "Mài răng")):
            services.update_capability(session, firm.capabilities[0], {**CAP, "title": title})

    change = indexing.reindex_firms(session, rt.store, rt.encoder, [first.id])
    assert change.encoded == 2 and change.through == before + 1
    assert change.version == rt.store.current_version()  # no new base for an edit
    assert indexing.consistency(session, _current(session)) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }
    later = indexing.reindex_firms(session, rt.store, rt.encoder, [second.id])
    assert later.encoded == 0 and later.through == change.through

    # A deletion is still its own business: no stamp is left to find it by.
    services.delete_firm(session, second)
    assert second.capabilities[0].id not in _current(session).digests


def _writers_lock_free(store) -> bool:
    """Whether another writer could take the store's lock now (a lock is per open file,
    so a second open in this process contends with the update's own)."""
    with open(store.root / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


def _unindexed_firms(session, n: int) -> list:
    """``n`` suppliers stamped but not yet in the index, with texts no cache holds."""
    fresh = uuid.uuid4().hex[:8]
    with index_sync_paused(session):
        return [
            make_supplier(
                session,
                f"Công ty TNHH Cơ Khí Mẻ {fresh} {i}",
                [{**CAP, "title": f"Gia công bánh răng côn lô {fresh}-{i}"}],
            )
            for i in range(n)
        ]


def test_an_update_encodes_its_new_texts_without_holding_the_writers_lock(session, monkeypatch):
    """An import's update of many texts must not keep an edit's re-index waiting for the
    lock while the model encodes: the encoding runs before the lock is taken to write."""
    rt = runtime()
    encoded: list[tuple[int, bool]] = []
    real = rt.encoder._encode

    def watched(texts, prompt_name, progress):
        if texts:
            encoded.append((len(texts), _writers_lock_free(rt.store)))
        return real(texts, prompt_name, progress)

    monkeypatch.setattr(rt.encoder, "_encode", watched)
    firms = _unindexed_firms(session, 6)
    change = indexing.reindex_firms(session, rt.store, rt.encoder, [firms[0].id])
    assert change.encoded == 6  # gathered: the other five were stamped since
    assert sum(n for n, _ in encoded) == 6
    assert all(free for _, free in encoded), encoded
    assert indexing.consistency(session, _current(session)) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }


def test_a_large_gathered_update_is_written_as_several_changes(session, monkeypatch):
    """Each change holds at most ``FIRMS_PER_CHANGE`` firms, so the lock is never held
    for one huge write; the last moves the stamp, and what they wrote is complete."""
    rt = runtime()
    monkeypatch.setattr(indexing, "FIRMS_PER_CHANGE", 2)
    firms = _unindexed_firms(session, 5)
    before = _current(session).through
    change = indexing.reindex_firms(session, rt.store, rt.encoder, [firms[0].id])
    assert change.encoded == 5
    assert change.through == before + 3  # 2 + 2 + 1 firms
    assert indexing.consistency(session, _current(session)) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }
    # The stamp moved past them: the next gathering update finds nothing to write.
    again = indexing.reindex_firms(session, rt.store, rt.encoder, [firms[-1].id])
    assert again.encoded == 0 and again.through == change.through


def test_a_web_worker_loads_new_versions_in_the_background_and_serves_on(session):
    rt = runtime()
    web = MatchEngine(rt.store, rt.encoder, reload_in_background=True, feed=rt.engine.feed)
    first = web.bundle().version
    make_supplier(session, "Công ty TNHH Bánh Răng Nạp Nền", [CAP])  # a change in the log
    assert indexing.merge(session, rt.store, rt.encoder) is not None  # a new base
    newer = rt.store.current_version()
    assert newer != first
    assert web.bundle().version == first  # requests go on while it loads
    assert _eventually(lambda: web.bundle().version == newer)

    # A newer version that cannot be read leaves the one in use serving.
    make_supplier(session, "Công ty TNHH Bánh Răng Nạp Hỏng", [CAP])
    assert indexing.merge(session, rt.store, rt.encoder) is not None
    _damage(rt.store, "corrupt")
    assert web.bundle().version == newer
    assert _eventually(lambda: not web._loading)
    assert web.bundle().version == newer and web.health()["status"] == "ok"
    assert tasks.ensure_index.apply().get()["action"] == "rebuilt"  # as a worker would
    assert _eventually(lambda: web.bundle().version == rt.store.current_version())


def test_a_small_drift_is_repaired_by_updating_its_firms_not_by_a_rebuild(session):
    """A worker killed with updates in its queue leaves a few firms behind: the next
    worker's start-up check updates those firms (seconds), not the whole index."""
    with index_sync_paused(session):
        firm = make_supplier(session, "Công ty TNHH Bánh Răng Bỏ Sót", [CAP])
    assert indexing.consistency(session, _current(session))["missing"] == 1
    result = tasks.ensure_index.apply().get()
    assert (result["action"], result["firms"], result["encoded"]) == ("repaired", 1, 1)
    assert firm.capabilities[0].id in _current(session).digests
    assert indexing.consistency(session, _current(session)) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }


def _eventually(predicate, timeout: float = 30.0) -> bool:
    return eventually(predicate, timeout)
