"""Index bases reach machines that share no disk, through the database.

A base published in one index folder (a worker's) is pushed into the database and
pulled into another, empty, folder (a web machine's), which then loads it as it would
a version published there: same version, same files, same vectors. Damage on the way
is refused and leaves the pulling machine on the version it had.
"""

from __future__ import annotations

import filecmp
import json

import numpy as np
import pytest
from sqlalchemy import delete, func, select, text, update

from jobs.runtime import runtime
from matching import shipping
from matching.shipping import IndexVersionFile, IndexVersionRecord, current_shipped, pull, push
from matching.store import META, IndexDamaged, IndexStore, IndexUnavailable

#: Small chunks, so that every file of the demo index travels in several of them.
CHUNK = 64 * 1024


def _clear(session) -> None:
    session.execute(delete(IndexVersionFile))
    session.execute(delete(IndexVersionRecord))
    session.commit()


@pytest.fixture()
def shipped(session):
    """Nothing shipped before the test, nothing left after it."""
    _clear(session)
    yield session
    session.rollback()
    _clear(session)


@pytest.fixture()
def worker_store(tmp_path):
    """A worker's own index folder, with ``publish()`` giving a new version of the demo
    index there (the catalogue's real vectors, encoded by the test encoder)."""
    rt = runtime()
    store = IndexStore(tmp_path / "worker")

    def publish() -> str:
        bundle = rt.store.load(rt.encoder.model_name)
        load_texts = getattr(rt.store, "load_texts", None)
        if load_texts is not None:  # a base carries its documents' texts (for merges)
            bundle.texts = load_texts(bundle.version)
        with store.lock():
            return store.publish(bundle)

    store.publish_copy = publish  # type: ignore[attr-defined]
    return store


def _ship(session, store: IndexStore, **kwargs) -> str:
    version = store.publish_copy()  # type: ignore[attr-defined]
    push(session, store, version, chunk_size=CHUNK, **kwargs)
    session.commit()
    return version


def _chunks(session, version: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(IndexVersionFile)
        .where(IndexVersionFile.version == version)
    )


def test_a_pushed_base_is_pulled_whole_into_an_empty_folder(shipped, worker_store, tmp_path):
    session, model = shipped, runtime().encoder.model_name
    version = _ship(session, worker_store)
    files = json.loads((worker_store.root / version / META).read_text())["files"]
    assert current_shipped(session) == version
    assert _chunks(session, version) > len(files)  # the vectors alone take several

    web = IndexStore(tmp_path / "web")
    assert pull(session, web) == version
    assert web.current_version() == version
    for name in files:
        assert filecmp.cmp(worker_store.root / version / name, web.root / version / name, False)
    assert not list(web.root.glob("tmp-*")) and not list(web.root.glob("CURRENT.*"))

    original, copy = worker_store.load(model), web.load(model, mmap=True)
    assert copy.version == original.version == version
    assert copy.digests == original.digests and copy.firm_of == original.firm_of
    assert copy.concepts == original.concepts
    ids = sorted(original.digests)
    assert np.array_equal(copy.vectors.vectors(ids), original.vectors.vectors(ids))
    assert web.verify(model)["files"] == files

    # Already current: nothing is downloaded again (the same files stay in place).
    first_file = web.root / version / sorted(files)[0]
    inode = first_file.stat().st_ino
    assert pull(session, web) == version
    assert first_file.stat().st_ino == inode


def test_a_new_base_moves_the_pulled_copy_to_it(shipped, worker_store, tmp_path):
    session, model = shipped, runtime().encoder.model_name
    web = IndexStore(tmp_path / "web")
    first = _ship(session, worker_store)
    assert pull(session, web) == first
    second = _ship(session, worker_store)
    assert second != first and current_shipped(session) == second
    assert pull(session, web) == second
    assert web.load(model).version == second
    assert (web.root / first).is_dir()  # kept: a process may still map it


@pytest.mark.parametrize("damage", ["changed byte", "missing chunk", "extra bytes"])
def test_a_damaged_chunk_is_refused_and_the_previous_version_stays(
    shipped, worker_store, tmp_path, damage
):
    session, model = shipped, runtime().encoder.model_name
    web = IndexStore(tmp_path / "web")
    first = _ship(session, worker_store)
    assert pull(session, web) == first
    second = _ship(session, worker_store)
    where = (
        IndexVersionFile.version == second,
        IndexVersionFile.name == "vectors.faiss",
        IndexVersionFile.chunk == 1,
    )
    data = session.scalar(select(IndexVersionFile.data).where(*where))
    if damage == "changed byte":
        changed = bytes([data[100] ^ 0xFF])
        session.execute(
            update(IndexVersionFile).where(*where).values(data=data[:100] + changed + data[101:])
        )
    elif damage == "missing chunk":
        session.execute(delete(IndexVersionFile).where(*where))
    else:
        session.execute(update(IndexVersionFile).where(*where).values(data=data + b"\0"))
    session.commit()

    with pytest.raises(IndexDamaged):
        pull(session, web)
    session.rollback()
    assert web.current_version() == first
    assert not (web.root / second).exists() and not list(web.root.glob("tmp-*"))
    assert web.load(model).version == first


def test_a_shipped_name_cannot_reach_outside_the_index_folder(shipped, worker_store, tmp_path):
    session = shipped
    version = _ship(session, worker_store)
    meta = session.scalar(
        select(IndexVersionRecord.meta).where(IndexVersionRecord.version == version)
    )
    files = dict(meta["files"])
    files["../escaped"] = files.pop("docs.json")
    session.execute(
        update(IndexVersionRecord)
        .where(IndexVersionRecord.version == version)
        .values(meta={**meta, "files": files})
    )
    session.commit()
    web = IndexStore(tmp_path / "web" / "index")
    with pytest.raises(IndexDamaged):
        pull(session, web)
    assert not (tmp_path / "web" / "escaped").exists()
    assert [p.name for p in web.root.iterdir()] == [".lock"]  # no folder, no pointer


def test_a_base_of_another_model_is_not_downloaded(shipped, worker_store, tmp_path):
    session = shipped
    _ship(session, worker_store)
    web = IndexStore(tmp_path / "web")
    with pytest.raises(IndexUnavailable):
        pull(session, web, model_name="another-model")
    assert web.current_version() is None


def test_a_damaged_local_version_is_never_pushed(shipped, worker_store):
    session = shipped
    version = worker_store.publish_copy()
    path = worker_store.root / version / "docs.json"
    text = path.read_text()
    path.write_text(text.replace("{", "[", 1))  # same size, another digest
    with pytest.raises(IndexDamaged):
        push(session, worker_store, version, chunk_size=CHUNK)
    session.rollback()
    assert current_shipped(session) is None
    assert session.scalar(select(func.count()).select_from(IndexVersionFile)) == 0


def test_only_the_newest_pushed_versions_are_kept(shipped, worker_store):
    session = shipped
    versions = [_ship(session, worker_store, keep=2) for _ in range(4)]
    assert shipping.shipped_versions(session) == versions[:1:-1]
    assert current_shipped(session) == versions[-1]
    kept = set(session.scalars(select(IndexVersionFile.version).distinct()))
    assert kept == set(versions[2:])
    # Pushing a kept older version again makes it current, without sending it again.
    before = _chunks(session, versions[2])
    push(session, worker_store, versions[2], keep=2)
    session.commit()
    assert current_shipped(session) == versions[2]
    assert _chunks(session, versions[2]) == before
    assert (
        session.scalar(
            select(func.count()).select_from(IndexVersionRecord).where(IndexVersionRecord.current)
        )
        == 1
    )


def test_nothing_shipped_pulls_nothing(shipped, tmp_path):
    web = IndexStore(tmp_path / "web")
    assert current_shipped(shipped) is None
    assert pull(shipped, web) is None
    assert not web.root.exists()


def test_chunks_are_stored_uncompressed_on_postgresql(session):
    """Vectors and hashed arrays do not compress: PostgreSQL keeps the chunks out of
    line without trying (STORAGE EXTERNAL, set by the migration)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    storage = session.scalar(
        text(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'index_version_files'::regclass AND attname = 'data'"
        )
    )
    assert storage == "e"


@pytest.mark.no_database
def test_index_sharing_is_disk_unless_the_environment_says_database(tmp_path, monkeypatch):
    from webapp.config import load_config

    monkeypatch.delenv("INDEX_SHARING", raising=False)
    assert load_config({"DATA_DIR": str(tmp_path)})["INDEX_SHARING"] == "disk"
    monkeypatch.setenv("INDEX_SHARING", " Database ")
    assert load_config({"DATA_DIR": str(tmp_path)})["INDEX_SHARING"] == "database"
    monkeypatch.setenv("INDEX_SHARING", "nfs")
    with pytest.raises(ValueError, match="INDEX_SHARING"):
        load_config({"DATA_DIR": str(tmp_path)})
