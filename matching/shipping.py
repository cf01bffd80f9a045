"""Index bases shipped through the database, for machines that share no disk.

A base is a published version folder of ``matching.store`` (vectors, lexical matrix,
document digests, ``meta.json`` with each file's size and SHA-256). Edits after it
travel as rows of the change log (``matching.models``); the base itself travels here:
the machine that publishes it (a worker) copies its files into ``index_version_files``
in chunks of a few MB and marks it current in ``index_versions`` (``push``); every other
machine copies the current one into its own index folder and swaps its ``CURRENT``
pointer exactly as a local publish would (``pull``). Each machine then serves from its
own folder, so a database that stops answering for a while leaves it serving the copy
it has (the caller of ``pull`` logs the error and tries again later).

Nothing read from the database is trusted more than a file in a shared folder: every
file is checked against the sizes and digests the publishing machine recorded, file
names and versions must be plain names (a row cannot write outside the index folder),
and a download that fails leaves neither a folder nor a changed pointer behind.

Memory stays bounded by one chunk: files are read and written chunk by chunk on both
sides (a base of 100k capabilities is about 350 MB).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalog.models import Base
from catalog.models.base import utcnow

from .store import KEEP_VERSIONS, META, IndexDamaged, IndexStore, IndexUnavailable, sha256_of

#: Bytes per stored chunk: large enough that a 350 MB base is ~90 rows, small enough
#: that neither side holds more than a few MB of it at a time.
CHUNK_BYTES = 4 * 1024 * 1024
#: What a version or file name read from the database may look like before it names a
#: path in the index folder: one plain name, no separators, no leading dot.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class IndexVersionRecord(Base):
    """A base shipped through the database: its ``meta.json`` (with every file's size
    and SHA-256) and whether it is the one machines should serve.

    ``current`` is set on one row by ``push``; should two pushes race so that two rows
    carry it, readers take the most recently pushed of them (``published_at``, then
    the version name), and the next push clears both.
    """

    __tablename__ = "index_versions"
    __table_args__ = {"info": {"derived": True}}  # not backed up (catalog.backup)

    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    meta: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class IndexVersionFile(Base):
    """One chunk of one file of a shipped base (``chunk`` counts from 0)."""

    __tablename__ = "index_version_files"
    __table_args__ = {"info": {"derived": True}}  # not backed up (catalog.backup)

    version: Mapped[str] = mapped_column(
        String(100), ForeignKey("index_versions.version", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name) or name.startswith("tmp-"):
        raise IndexDamaged(f"shipped index names a {what} that is not a plain name: {name!r}")
    return name


def _listed_files(version: str, meta: Any) -> dict[str, dict[str, Any]]:
    """The files a version's meta lists, each with an integer size and a digest."""
    listed = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(listed, dict) or not listed:
        raise IndexDamaged(f"index {version} does not record its files")
    for name, entry in listed.items():
        _check_name(name, "file")
        if name == META:
            raise IndexDamaged(f"index {version} lists its own {META} among its files")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise IndexDamaged(f"index {version} records no size or digest for {name}")
    return listed


def current_shipped(session: Session) -> str | None:
    """The version machines should serve, or None when none was shipped: one small
    query, cheap enough for a poller to ask every few seconds."""
    return session.scalar(
        select(IndexVersionRecord.version)
        .where(IndexVersionRecord.current.is_(True))
        .order_by(IndexVersionRecord.published_at.desc(), IndexVersionRecord.version.desc())
        .limit(1)
    )


def _shipped_meta(session: Session, version: str) -> Any:
    """A shipped version's meta (a column query: never an ORM object the session could
    hand back stale later in the same transaction)."""
    return session.scalar(
        select(IndexVersionRecord.meta).where(IndexVersionRecord.version == version)
    )


def shipped_versions(session: Session) -> list[str]:
    """Every shipped version, most recently pushed first (for status pages and tests)."""
    return list(
        session.scalars(
            select(IndexVersionRecord.version).order_by(
                IndexVersionRecord.published_at.desc(), IndexVersionRecord.version.desc()
            )
        )
    )


def push(
    session: Session,
    store: IndexStore,
    version: str,
    keep: int = 3,
    chunk_size: int = CHUNK_BYTES,
) -> None:
    """Ship a version published in ``store`` and make it the current one; drop shipped
    versions beyond the ``keep`` most recently pushed (never the current one).

    Each file listed in the version's ``meta.json`` is checked against its recorded
    size and SHA-256 before anything is sent (a damaged local copy is never shipped:
    ``IndexDamaged``), then sent chunk by chunk from the same open file, hashed again
    on the way so that a file rewritten in between is refused too. A version already
    shipped with the same meta (all its chunks came in the same transaction) is only
    marked current again.

    The caller commits (or rolls back): the rows become visible to other machines
    whole or not at all, in the same transaction as anything else the caller records
    with them (the change log's position the base includes, for instance).
    """
    if keep < 1:
        raise ValueError("keep at least the version being pushed")
    folder = store.root / _check_name(version, "version")
    try:
        meta = json.loads((folder / META).read_text())
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
    listed = _listed_files(version, meta)
    shipped = _shipped_meta(session, version)
    if shipped != meta:
        if shipped is not None:  # another copy under this name: ship this one instead
            session.execute(delete(IndexVersionFile).where(IndexVersionFile.version == version))
            session.execute(delete(IndexVersionRecord).where(IndexVersionRecord.version == version))
        fds = _open_verified(folder, version, listed)
        try:
            session.execute(
                insert(IndexVersionRecord).values(
                    version=version,
                    model=str(meta.get("model", "")),
                    meta=meta,
                    published_at=utcnow(),
                    current=False,
                )
            )
            for name in sorted(listed):
                _send(session, version, name, fds[name], listed[name], chunk_size)
        finally:
            for fd in fds.values():
                os.close(fd)
    else:
        session.execute(
            update(IndexVersionRecord)
            .where(IndexVersionRecord.version == version)
            .values(published_at=utcnow())
        )
    session.execute(
        update(IndexVersionRecord)
        .where(IndexVersionRecord.current.is_(True), IndexVersionRecord.version != version)
        .values(current=False)
    )
    session.execute(
        update(IndexVersionRecord).where(IndexVersionRecord.version == version).values(current=True)
    )
    _prune(session, version, keep)


def _open_verified(folder: Path, version: str, listed: dict[str, dict]) -> dict[str, int]:
    """Every listed file, open, of its recorded size and digest."""
    fds: dict[str, int] = {}
    try:
        for name, entry in listed.items():
            try:
                fd = fds[name] = os.open(folder / name, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise IndexDamaged(f"index {version} is damaged: {name} is missing") from None
            size = os.fstat(fd).st_size
            if size != entry["size"]:
                raise IndexDamaged(
                    f"index {version} is damaged: {name} has {size} bytes, "
                    f"{entry['size']} were published"
                )
            if sha256_of(fd) != entry["sha256"]:
                raise IndexDamaged(
                    f"index {version} is damaged: {name} is not the file that was published"
                )
    except OSError as exc:
        for fd in fds.values():
            os.close(fd)
        raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
    except BaseException:
        for fd in fds.values():
            os.close(fd)
        raise
    return fds


def _send(session: Session, version: str, name: str, fd: int, entry: dict, chunk_size: int) -> None:
    digest, size, number = hashlib.sha256(), 0, 0
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        data = os.read(fd, chunk_size)
        if not data and number > 0:
            break
        digest.update(data)
        size += len(data)
        session.execute(
            insert(IndexVersionFile).values(version=version, name=name, chunk=number, data=data)
        )
        number += 1
        if not data:  # an empty file is one empty chunk
            break
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise IndexDamaged(f"index {version}: {name} changed while it was being shipped")


def _prune(session: Session, current: str, keep: int) -> None:
    versions = shipped_versions(session)
    dropped = [v for v in versions[keep:] if v != current]
    if dropped:
        session.execute(delete(IndexVersionFile).where(IndexVersionFile.version.in_(dropped)))
        session.execute(delete(IndexVersionRecord).where(IndexVersionRecord.version.in_(dropped)))


def pull(session: Session, store: IndexStore, model_name: str | None = None) -> str | None:
    """Make the database's current version the current one of ``store``; return the
    version now current there (None when nothing was shipped).

    Nothing is read when the local ``CURRENT`` already names it and its folder exists.
    Otherwise its files are streamed chunk by chunk into ``tmp-<version>``, each checked
    against the shipped sizes and digests, the folder renamed to ``<version>`` and the
    pointer swapped atomically, as ``IndexStore.publish`` does. The whole of it runs
    under the store's lock: the lock's holder removes any ``tmp-*`` it finds (what a
    killed writer left), so a download outside it could be removed under it, and the
    web processes of one machine that all notice a new base download it once (the
    others find it current when they get the lock). Old local versions beyond the
    store's ``KEEP_VERSIONS`` are removed afterwards.

    The database's version wins over whatever the folder holds: call it on machines
    that do not publish (web machines), not on a worker whose own newer version is
    still being pushed.

    With ``model_name``, a base built by another model is refused (``IndexUnavailable``)
    before anything is downloaded. Damaged or missing chunks raise ``IndexDamaged``;
    database errors propagate. Either way no folder is left and the previous pointer
    stays, so the machine goes on serving its local copy.
    """
    version = current_shipped(session)
    if version is None:
        return None
    if _is_current(store, version):
        return version
    with store.lock():
        if _is_current(store, version):  # another process of this machine got it first
            return version
        meta = _shipped_meta(session, version)
        if meta is None:  # pruned between the two queries: the next poll takes the newer
            raise IndexUnavailable(f"shipped index {version} disappeared while being pulled")
        _check_name(version, "version")
        if not isinstance(meta, dict) or meta.get("version", version) != version:
            raise IndexDamaged(f"shipped index {version} does not describe itself")
        if model_name is not None and meta.get("model") != model_name:
            raise IndexUnavailable(
                f"shipped index {version} was built with {meta.get('model')!r}, "
                f"this process uses {model_name!r}"
            )
        listed = _listed_files(version, meta)
        _download(session, store, version, meta, listed)
        _swap_pointer(store, version)
        _prune_local(store, version)
    return version


def _is_current(store: IndexStore, version: str) -> bool:
    return store.current_version() == version and (store.root / version / META).is_file()


def _download(
    session: Session, store: IndexStore, version: str, meta: dict, listed: dict[str, dict]
) -> None:
    tmp = store.root / f"tmp-{version}"
    final = store.root / version
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for name in sorted(listed):
            _receive(session, version, name, listed[name], tmp / name)
        with open(tmp / META, "w") as fh:
            fh.write(json.dumps(meta, indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        if final.exists():  # left by a pull that died before its pointer swap
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _chunks(session: Session, version: str, name: str) -> Iterator[bytes]:
    """A shipped file's chunks in order, one query each (one chunk in memory at a
    time, on any driver); a gap in the numbering is damage."""
    numbers = list(
        session.scalars(
            select(IndexVersionFile.chunk)
            .where(IndexVersionFile.version == version, IndexVersionFile.name == name)
            .order_by(IndexVersionFile.chunk)
        )
    )
    if numbers != list(range(len(numbers))) or not numbers:
        raise IndexDamaged(f"shipped index {version} is damaged: chunks of {name} are missing")
    for number in numbers:
        data = session.scalar(
            select(IndexVersionFile.data).where(
                IndexVersionFile.version == version,
                IndexVersionFile.name == name,
                IndexVersionFile.chunk == number,
            )
        )
        if data is None:
            raise IndexDamaged(f"shipped index {version}: chunk {number} of {name} vanished")
        yield bytes(data)


def _receive(session: Session, version: str, name: str, entry: dict, path: Path) -> None:
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as fh:
        for data in _chunks(session, version, name):
            size += len(data)
            if size > entry["size"]:
                raise IndexDamaged(
                    f"shipped index {version} is damaged: {name} is longer than published"
                )
            digest.update(data)
            fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    if size != entry["size"]:
        raise IndexDamaged(
            f"shipped index {version} is damaged: {name} has {size} bytes, "
            f"{entry['size']} were published"
        )
    if digest.hexdigest() != entry["sha256"]:
        raise IndexDamaged(
            f"shipped index {version} is damaged: {name} is not the file that was published "
            "(its SHA-256 differs)"
        )


def _swap_pointer(store: IndexStore, version: str) -> None:
    """``CURRENT`` names ``version``, replaced atomically (as ``IndexStore.publish``)."""
    pointer_tmp = store.root / f"CURRENT.{version}.tmp"
    try:
        pointer_tmp.write_text(version)
        with open(pointer_tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, store.pointer)
    except BaseException:
        pointer_tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(store.root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)  # the renames themselves survive a crash of the machine
    finally:
        os.close(dir_fd)


def _prune_local(store: IndexStore, current: str, keep: int = KEEP_VERSIONS) -> None:
    """Remove pulled versions beyond the ``keep`` newest (by when they arrived), never
    the current one. Processes still mapping a removed version keep reading it from
    their open files (``matching.store.OpenFiles``)."""
    folders = [
        p
        for p in store.root.iterdir()
        if p.is_dir() and not p.name.startswith("tmp-") and (p / META).is_file()
    ]
    folders.sort(key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    for old in folders[keep:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def shipped_size(session: Session, version: str) -> int:
    """Bytes stored for a shipped version's files (for logs and benchmarks)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(func.length(IndexVersionFile.data)), 0)).where(
                IndexVersionFile.version == version
            )
        )
        or 0
    )
