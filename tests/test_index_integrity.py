"""The index on disk cannot crash or own the processes that read it.

Every file of a published version is recorded with its size and SHA-256 and checked
before it is mapped; a damaged version is answered around (lexically, from the
database), reported in /healthz and repaired by the worker's periodic check. Nothing in
the index folder or the data folder is read with pickle: a planted pickle never runs.
(A file truncated under a running web server, the SIGBUS case, is in test_faults.py.)
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import pickle
from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from catalog.dashboard import Period
from catalog.models import Need
from documents import snapshots
from jobs import tasks
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import indexing
from matching.engine import MatchEngine
from matching.lexical import LexicalIndex
from matching.localisation import (
    GapGroup,
    Localisation,
    LocalMatch,
    NeedLocalisation,
    SectorGap,
)
from matching.reranker import FEATURES, Example, Reranker, train
from matching.store import FORMAT_VERSION, IndexDamaged, IndexUnavailable
from tests.conftest import eventually
from tests.factories import make_supplier

SEARCH = "ép phun nhựa ABS vỏ hộp"
QUERIES = (
    SEARCH,
    "injection moulded ABS housings for electronics",
    "gia cong CNC nhom dung sai 0,01",
    "mạ kẽm nhúng nóng kết cấu thép",
    "khuôn dập liên hoàn IATF 16949",
)
# The fallback's notice on the supplier search (webapp/templates/directory/index.html).
FALLBACK_EN = "Semantic search is unavailable right now; results use keywords only"


@pytest.fixture()
def rt(ctx):
    """The app's runtime; whatever a test leaves damaged, the index is whole after it."""
    runtime_ = runtime()
    yield runtime_
    try:
        runtime_.store.verify(runtime_.encoder.model_name)
    except IndexUnavailable:
        tasks.ensure_index.apply().get()


def _publish_copy(rt) -> pathlib.Path:
    """The current index published again as a new version (new files, never read by
    this process yet), as a worker's update would; its folder."""
    with rt.store.lock():
        version = rt.store.publish(rt.store.load(rt.encoder.model_name))
    return rt.store.root / version


def _flip_byte(path: pathlib.Path) -> None:
    """Change one byte in the middle of a file, in place (same size, same inode)."""
    with open(path, "r+b") as fh:
        fh.seek(os.path.getsize(path) // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))


def _damage(folder: pathlib.Path, how: str) -> None:
    if how == "truncated vectors":
        os.truncate(folder / "vectors.faiss", os.path.getsize(folder / "vectors.faiss") // 2)
    elif how == "a byte of the lexical matrix":
        _flip_byte(folder / "lexical-indices.npy")
    elif how == "a deleted file":
        (folder / "lexical-postings-data.npy").unlink()
    else:
        raise AssertionError(how)


# -- what a version records ------------------------------------------------------------


def test_a_published_version_records_each_file_with_its_size_and_digest(rt):
    folder = rt.store.root / rt.store.current_version()
    meta = json.loads((folder / "meta.json").read_text())
    files = {p.name for p in folder.iterdir()} - {"meta.json"}
    assert set(meta["files"]) == files
    for name, recorded in meta["files"].items():
        data = (folder / name).read_bytes()
        assert recorded == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # Nothing a reader loads can hold code: JSON, arrays without objects, FAISS.
    assert not [name for name in files if name.endswith((".pkl", ".pickle"))]
    for name in files:
        if name.endswith(".npy"):
            assert np.load(folder / name, allow_pickle=False).dtype != object
        elif name.endswith(".json"):
            json.loads((folder / name).read_text())
        else:
            assert name == "vectors.faiss"


# -- a damaged version -----------------------------------------------------------------


@pytest.mark.parametrize(
    "how", ["truncated vectors", "a byte of the lexical matrix", "a deleted file"]
)
def test_a_damaged_version_is_answered_lexically_reported_and_repaired(
    rt, client, admin_client, admin_api, session, how
):
    documents = len(indexing.load_current(session, rt.store, rt.encoder.model_name))
    folder = _publish_copy(rt)
    _damage(folder, how)
    with pytest.raises(IndexDamaged, match="damaged"):
        rt.store.load(rt.encoder.model_name, mmap=True)

    # The web app checks the new version before mapping anything, and answers around it.
    english = {"Accept-Language": "en"}
    page = client.get("/suppliers/", query_string={"q": SEARCH}, headers=english)
    assert page.status_code == 200 and 'class="result"' in page.text
    assert FALLBACK_EN in page.text
    need_id = session.scalar(select(Need.id).order_by(Need.id))
    api = admin_api.get(f"/api/v1/needs/{need_id}/matches")
    assert api.status_code == 200 and api.json["index"] == "degraded" and api.json["items"]
    assert all(m["scores"]["dense"] is None for m in api.json["items"])  # lexical only
    health = client.get("/healthz").json["index"]
    assert health["status"] == "degraded" and health["repair"] == "requested"
    detail = admin_client.get("/healthz").json["index"]["detail"]  # why: for admins
    assert folder.name in detail and "damaged" in detail

    # The periodic check (Celery beat, every few minutes) rebuilds it.
    result = tasks.check_index.apply().get()
    assert result["action"] == "rebuilt" and result["documents"] == documents
    assert rt.store.current_version() != folder.name
    health = client.get("/healthz").json["index"]
    assert health["status"] == "ok" and "repair" not in health
    page = client.get("/suppliers/", query_string={"q": SEARCH}, headers=english)
    assert page.status_code == 200 and FALLBACK_EN not in page.text
    assert indexing.consistency(session, rt.store.load()) == {
        "missing": 0,
        "stale": 0,
        "extra": 0,
    }
    # Asked again (as every web process that saw the damage does), it does nothing.
    assert tasks.check_index.apply().get()["action"] == "none"


def test_a_file_rewritten_under_a_loaded_version_is_noticed_before_it_is_read(rt, session):
    """A mapped file changed in place changes under its readers (truncated: SIGBUS at the
    next read; see test_faults.py): a reader checks its open files before each use."""
    folder = _publish_copy(rt)
    web = MatchEngine(rt.store, rt.encoder)
    assert web.bundle().version == folder.name and web.bundle().files is not None
    _flip_byte(folder / "lexical-data.npy")
    assert web.bundle() is None
    health = web.health()
    assert health["status"] == "degraded" and "lexical-data.npy" in health["detail"]
    hits = web.retrieve(session, SEARCH, 10)
    assert hits and all(h.dense is None for h in hits)
    assert tasks.check_index.apply().get()["action"] == "rebuilt"
    assert web.health()["status"] == "ok"


def test_a_web_worker_reloading_in_the_background_does_not_retry_a_damaged_version(rt):
    """It goes on serving the version it has, does not hash the damaged one again at
    every request, and asks for the repair once."""
    asked: list[str] = []
    web = MatchEngine(
        rt.store,
        rt.encoder,
        reload_in_background=True,
        request_repair=asked.append,
        poll_seconds=0,  # the pointer read at every request, not once a poll
    )
    serving = web.bundle().version
    folder = _publish_copy(rt)
    _damage(folder, "a byte of the lexical matrix")
    for _ in range(20):
        assert web.bundle().version == serving
        assert _eventually(lambda: not web._loading)
    assert len(asked) == 1 and folder.name in asked[0]
    assert web.health()["status"] == "ok" and folder.name in web.health()["detail"]
    assert tasks.check_index.apply().get()["action"] == "rebuilt"
    assert _eventually(lambda: web.bundle().version == rt.store.current_version())
    assert web.health()["detail"] == "ok"


# -- the periodic check ----------------------------------------------------------------


def test_the_periodic_check_is_scheduled_every_few_minutes(app):
    schedule = app.config["CELERY"]["beat_schedule"]
    checks = [e for e in schedule.values() if e["task"] == "ketnoi.check_index"]
    assert len(checks) == 1 and checks[0]["schedule"] <= 10 * 60


def test_the_periodic_check_does_nothing_when_all_is_well(rt, session):
    before = rt.store.current_version()
    result = tasks.check_index.apply().get()
    documents = len(indexing.load_current(session, rt.store, rt.encoder.model_name))
    assert result == {"action": "none", "documents": documents, "version": before}
    assert rt.store.current_version() == before


def test_the_periodic_check_updates_firms_the_index_missed(rt, session):
    cap = {"title": "Đúc áp lực nhôm ADC12", "description": "Đúc áp lực vỏ hộp số bằng nhôm."}
    with index_sync_paused(session):  # as if the worker died with the update queued
        firm = make_supplier(session, "Công ty TNHH Đúc Bỏ Sót Định Kỳ", [cap])

    def current():
        return indexing.load_current(session, rt.store, rt.encoder.model_name)

    assert firm.capabilities[0].id not in current().digests
    result = tasks.check_index.apply().get()
    assert (result["action"], result["firms"], result["encoded"]) == ("repaired", 1, 1), result
    assert firm.capabilities[0].id in current().digests
    assert tasks.check_index.apply().get()["action"] == "none"


# -- no pickle -------------------------------------------------------------------------


class _Payload:
    """What an attacker would plant: unpickling it runs code (here: creates a file)."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture()
def planted(tmp_path):
    """(pickle bytes that create ``marker`` when unpickled, marker)."""
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Payload(marker))
    pickle.loads(payload)  # it does what it says…
    assert marker.exists()
    marker.unlink()  # …and from here on must never run again
    return payload, marker


def test_a_pickle_planted_in_the_index_folder_never_runs(rt, session, planted):
    payload, marker = planted
    folder = _publish_copy(rt)
    # Where the lexical index and the reranker used to be read from, and where they are.
    (folder / "lexical.pkl").write_bytes(payload)
    reranker = rt.store.root / "reranker"
    reranker.mkdir(exist_ok=True)
    kept = {p: p.read_bytes() for p in reranker.iterdir()}
    (reranker / "current.pkl").write_bytes(payload)
    (reranker / "model.json").write_bytes(payload)
    try:
        bundle = rt.store.load(rt.encoder.model_name, mmap=True)  # extra files are ignored
        assert bundle.version == folder.name
        engine = MatchEngine(rt.store, rt.encoder)
        assert engine.match_need(session, session.scalars(select(Need)).first(), limit=5)
        assert engine.reranker() is None
        assert tasks.check_index.apply().get()["action"] == "none"
        assert not marker.exists()
    finally:
        for path in reranker.iterdir():
            path.unlink()
        for path, data in kept.items():
            path.write_bytes(data)


def test_an_old_version_with_a_pickled_lexical_index_is_rebuilt_never_read(rt, planted):
    payload, marker = planted
    folder = _publish_copy(rt)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format": 3}))
    (folder / "lexical.pkl").write_bytes(payload)
    with pytest.raises(IndexUnavailable, match="format 3 is not supported"):
        rt.store.load(rt.encoder.model_name)
    assert MatchEngine(rt.store, rt.encoder).health()["status"] == "degraded"
    assert tasks.check_index.apply().get()["action"] == "rebuilt"
    meta = json.loads((rt.store.root / rt.store.current_version() / "meta.json").read_text())
    assert meta["format"] == FORMAT_VERSION == 5
    assert not marker.exists()


def test_an_array_file_holding_objects_is_refused_even_with_its_digest_recorded(rt, planted):
    """Someone who can write the folder can also rewrite meta.json: the digests then
    match, and the arrays must still be read as data only."""
    payload, marker = planted
    folder = _publish_copy(rt)
    path = folder / "lexical-ids.npy"
    np.save(path, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    meta = json.loads((folder / "meta.json").read_text())
    data = path.read_bytes()
    meta["files"][path.name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(IndexUnavailable, match="unreadable"):
        rt.store.load(rt.encoder.model_name, mmap=True)
    assert tasks.check_index.apply().get()["action"] == "rebuilt"
    assert not marker.exists()


def test_a_pickle_planted_as_a_dashboard_snapshot_never_runs(tmp_path, planted):
    payload, marker = planted
    period = Period(2026, 1)
    folder = tmp_path / "dashboard"
    folder.mkdir()
    for name in ("ALL-2026-Q1.pickle", "ALL-2026-Q1.json"):
        (folder / name).write_bytes(payload)
    assert snapshots.load(tmp_path, None, period) is None
    assert not marker.exists()


# -- saved and loaded, the same scores -------------------------------------------------


def test_a_saved_lexical_index_loads_with_exactly_the_same_scores(rt, tmp_path):
    original = rt.store.load(rt.encoder.model_name).lexical
    original.save(tmp_path)
    ids = sorted(int(i) for i in original.ids[:: max(1, len(original) // 50)])
    for mmap in (False, True):
        loaded = LexicalIndex.load(tmp_path, mmap=mmap)
        for query in QUERIES:
            assert loaded.search(query, 100) == original.search(query, 100)
            assert loaded.score(query, ids) == original.score(query, ids)
            features = original.features(query)
            assert loaded.features(query) == features
            assert [loaded.shared_terms(features, i) for i in ids[:10]] == [
                original.shared_terms(features, i) for i in ids[:10]
            ]
            assert loaded.analyzer.tagger.tag(query) == original.analyzer.tagger.tag(query)
    # New texts are weighted alike too (updates transform with the saved vocabulary).
    text = "Ép phun nhựa ABS, PC cho vỏ hộp điện tử, khuôn 2 lòng"
    loaded = LexicalIndex.load(tmp_path)
    for index in (original, loaded):
        index.upsert([10_000_001], [text])
    assert loaded.search(SEARCH, 50) == original.search(SEARCH, 50)


def test_a_saved_reranker_loads_with_exactly_the_same_scores(tmp_path):
    rng = np.random.default_rng(3)
    dense = FEATURES.index("dense")
    examples = []
    for need in range(40):
        for _ in range(10):
            features = rng.random(len(FEATURES))
            examples.append(Example(f"n{need}", int(features[dense] * 4), features))
    reranker = train(examples).reranker
    assert reranker is not None
    path = tmp_path / "model.json"
    reranker.save(path)
    loaded = Reranker.load(path)
    features = np.vstack([e.features for e in examples])
    assert np.array_equal(loaded.scores(features), reranker.scores(features))
    assert loaded.meta == reranker.meta
    json.loads(path.read_text())  # plain JSON


def test_a_dashboard_snapshot_is_kept_as_json_and_read_back_whole(tmp_path):
    need = NeedLocalisation(
        need_id=7,
        title="Vỏ hộp nhựa ABS",
        buyer_id=3,
        buyer_name="Test Assembly Vietnam",
        buyer_province="VP",
        delivery_province="BN",
        posted=date(2026, 2, 3),
        process_id="process.injection_molding",
        part_families=["part.housing"],
        sectors=["sector.electronics"],
        local_provinces=["VP"],
        best_local=LocalMatch(11, "Nhựa Kiểm Thử", "VP", 41, 0.52, False, True),
        has_local_match=False,
        reason="below_threshold",
        best_score=0.71,
    )
    localisation = Localisation(
        province="VP",
        period=Period(2026, 1),
        threshold=0.6,
        limit=20,
        needs=[need],
        by_part_family=[
            GapGroup("part.housing", "part_family", "Vỏ", "Housing", None, 1, 1, 0, [7], [need])
        ],
        by_sector=[SectorGap("sector.electronics", "Điện tử", "Electronics", 1, 1, [7], [need])],
        index_status="ok",
        seconds=1.5,
        names={"part.housing": ("Vỏ", "Housing")},
    )
    snapshots.save(tmp_path, localisation)
    [written] = (tmp_path / "dashboard").iterdir()
    assert written.name == "VP-2026-Q1.json" and json.loads(written.read_text())
    loaded, _computed_at = snapshots.load(tmp_path, "VP", Period(2026, 1))
    assert loaded == localisation


def _eventually(predicate, timeout: float = 60.0) -> bool:
    return eventually(predicate, timeout)
