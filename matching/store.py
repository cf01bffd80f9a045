"""Index bundles on disk: versioned folders published with an atomic pointer swap.

A bundle (dense vectors, lexical matrix, concept tagger, per-document digests and
metadata) is written into a fresh folder, flushed, and only then made current by
atomically replacing the ``CURRENT`` pointer file. A crash at any point leaves the
previous version intact and current; readers in other processes notice a new
version by reading the pointer and reload.

The folder is shared by every machine and read by every web process, so what is in
it is checked before it is used:

* ``meta.json`` records each file's size and SHA-256 digest at publication. A load
  checks that every file is there with its size and its digest (a changed byte in the
  lexical matrix's index arrays would be read out of bounds) before mapping anything;
  any difference makes the version unusable (``IndexDamaged``), which the engine
  treats as a missing index: it answers lexically from the database and asks the
  worker for a rebuild. Digests are computed once per file per process
  (``_DIGESTS``): 0.45 s for the 343 MB of a 100k-capability version, against 1.1 s
  for the mapped load itself, paid once per version by each web worker, in the
  background reload thread where that is on (docs/index-scale.md, "Integrity").
* A mapped version keeps its files open (``OpenFiles``); every request checks their
  size and modification time first, so a file truncated or rewritten in place under
  a running process is noticed before it is read again (a mapped file cut short kills
  its reader with SIGBUS at the next read of a page past the cut).
* Nothing is pickled: arrays are ``.npy`` read with ``allow_pickle=False``, the rest
  JSON. Anyone who can write to the folder can make search wrong until the next
  rebuild, but cannot run code in the processes that read it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .concepts import ConceptTagger
from .lexical import LexicalIndex
from .vector_index import VectorIndex

# 2: the lexical matrix as mappable arrays; 3: and its postings; 4: no pickle (JSON and
# .npy only), each file's size and digest in meta.json; 5: the documents' texts (for
# merges) and the last change of the log folded in (``through``). Older versions are
# rebuilt, never read.
FORMAT_VERSION = 5
KEEP_VERSIONS = 3
VECTORS = "vectors.faiss"
DOCS = "docs.json"
TEXTS = "texts.json"  # read by merges only, never by web processes
META = "meta.json"
#: The files a version must have, each listed in its meta.json with size and digest.
FILES = (VECTORS, DOCS, TEXTS, *LexicalIndex.FILES)


class IndexUnavailable(RuntimeError):
    """No usable index on disk (missing, unreadable, damaged or built by another model)."""


class IndexDamaged(IndexUnavailable):
    """A published version's files are not the ones that were published: missing,
    of another size, or with another digest."""


# SHA-256 digests this process computed, by file identity and state (device, inode,
# size, modification and change times): a file is hashed once per process unless it
# changes. Bounded: entries of versions long gone are dropped first.
_DIGESTS: dict[tuple[int, int, int, int, int], str] = {}
_DIGESTS_KEPT = 512
_digests_lock = threading.Lock()


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def sha256_of(fd: int) -> str:
    """The SHA-256 of an open file's whole content (read from its start)."""
    with open(os.dup(fd), "rb") as fh:
        fh.seek(0)
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _digest(fd: int, st: os.stat_result, again: bool) -> str:
    key = _identity(st)
    with _digests_lock:
        known = None if again else _DIGESTS.get(key)
    if known is not None:
        return known
    digest = sha256_of(fd)
    with _digests_lock:
        _DIGESTS[key] = digest
        while len(_DIGESTS) > _DIGESTS_KEPT:
            del _DIGESTS[next(iter(_DIGESTS))]
    return digest


class OpenFiles:
    """A loaded version's files, kept open, with the size and modification time each had
    when it was checked.

    ``problem()`` tells whether one of them has changed since (``fstat`` on the open
    file: a few microseconds for all of them). A mapped file truncated in place kills
    the process at its next read of a page past the new end (SIGBUS); rewritten in
    place, its mapped pages change under the reader. The engine asks before each use
    and drops a version that has changed. An old version deleted by garbage
    collection is not a change: its open files stay as they were.
    """

    def __init__(self, version: str, fds: dict[str, int]):
        self.version = version
        self._fds = fds
        self._seen = {name: _state(os.fstat(fd)) for name, fd in fds.items()}
        self._finalizer = weakref.finalize(self, _close_all, list(fds.values()))

    def problem(self) -> str | None:
        for name, fd in self._fds.items():
            try:
                now = _state(os.fstat(fd))
            except OSError as exc:
                return f"{name} cannot be checked: {exc}"
            if now != self._seen[name]:
                size, _ = self._seen[name]
                if now[0] != size:
                    return f"{name} changed on disk: {now[0]} bytes instead of {size}"
                return f"{name} was rewritten on disk"
        return None

    def same_as(self, folder: Path) -> bool:
        """Whether the folder's paths still name these files (nothing was swapped in
        between the check and the load)."""
        for name, fd in self._fds.items():
            try:
                on_disk, held = os.stat(folder / name), os.fstat(fd)
            except OSError:
                return False
            if (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino):
                return False
        return True

    def close(self) -> None:
        self._finalizer()


def _published_at(folder: Path) -> tuple[int, str]:
    try:
        return (folder / META).stat().st_mtime_ns, folder.name
    except OSError:
        return 0, folder.name


def _state(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


@dataclass
class IndexBundle:
    vectors: VectorIndex
    lexical: LexicalIndex
    tagger: ConceptTagger
    model_name: str
    digests: dict[int, str] = field(default_factory=dict)  # capability id → text digest
    firm_of: dict[int, int] = field(default_factory=dict)  # capability id → firm id
    # capability id → {concept id: the words that named it}, for explanations
    concepts: dict[int, dict[str, str]] = field(default_factory=dict)
    built_at: str = ""
    updated_at: str = ""
    version: str = ""
    # The newest firm stamp (Firm.updated_at, ISO) the database had when this version
    # read it: firms stamped later are looked at by the next update (``indexing``).
    catalog_stamp: str = ""
    # The version's files, open, when they are mapped (``OpenFiles``).
    files: OpenFiles | None = field(default=None, repr=False, compare=False)
    # The last change of the log (``matching.changes``) this state includes.
    through: int = 0
    # capability id → document text: what a merge refits the lexical index on. Filled
    # when a bundle is built or read by a writer (``IndexStore.load_texts``).
    texts: dict[int, str] | None = field(default=None, repr=False, compare=False)
    # For a state served with changes of the log over it: the base (``Layers.bundle``).
    base: IndexBundle | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.digests)

    def meta(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "model": self.model_name,
            "dimension": self.vectors.dimension,
            "documents": len(self),
            "built_at": self.built_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "catalog_stamp": self.catalog_stamp,
            "through": self.through,
        }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IndexStore:
    def __init__(self, root: str | os.PathLike, ship: bool = False):
        """``ship``: every base this process publishes is also copied into the database
        (``matching.shipping``), for machines that share no disk with it."""
        self.root = Path(root)
        self.ship = ship

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_version(self) -> str | None:
        try:
            return self.pointer.read_text().strip() or None
        except FileNotFoundError:
            return None

    def read_meta(self) -> dict[str, Any] | None:
        version = self.current_version()
        if not version:
            return None
        try:
            return json.loads((self.root / version / "meta.json").read_text())
        except (OSError, ValueError):
            return None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers across processes (several Celery workers on one disk)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self._remove_leftovers()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _meta(self, version: str, model_name: str | None = None) -> dict[str, Any]:
        """A version's ``meta.json``, if it is of this format (and model, when given)."""
        try:
            meta = json.loads((self.root / version / META).read_text())
        except (OSError, ValueError) as exc:
            raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise IndexUnavailable(f"index format {found} is not supported")
        if model_name is not None and meta.get("model") != model_name:
            raise IndexUnavailable(
                f"index was built with {meta.get('model')!r}, the service uses {model_name!r}"
            )
        return meta

    def _open_checked(self, version: str, meta: dict[str, Any], again: bool) -> OpenFiles:
        """Open every file of a version and check it against what ``meta.json`` recorded
        at publication: present, a regular file, of its size (all of them first: that
        is cheap), then of its digest (hashed once per process unless ``again``)."""
        listed = meta.get("files")
        if not isinstance(listed, dict) or not set(FILES) <= set(listed):
            raise IndexDamaged(f"index {version} does not record its files")
        folder = self.root / version
        fds: dict[str, int] = {}
        try:
            for name in FILES:
                try:
                    fds[name] = os.open(folder / name, os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:
                    raise IndexDamaged(f"index {version} is damaged: {name} is missing") from None
            stats = {name: os.fstat(fd) for name, fd in fds.items()}
            for name, st in stats.items():
                size = listed[name].get("size") if isinstance(listed[name], dict) else None
                if not stat.S_ISREG(st.st_mode) or st.st_size != size:
                    raise IndexDamaged(
                        f"index {version} is damaged: {name} has {st.st_size} bytes, "
                        f"{size} were published"
                    )
            for name, st in stats.items():
                if _digest(fds[name], st, again) != listed[name].get("sha256"):
                    raise IndexDamaged(
                        f"index {version} is damaged: {name} is not the file that was "
                        "published (its SHA-256 differs)"
                    )
        except OSError as exc:
            _close_all(list(fds.values()))
            raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
        except BaseException:
            _close_all(list(fds.values()))
            raise
        return OpenFiles(version, fds)

    def verify(self, model_name: str | None = None) -> dict[str, Any]:
        """Check the current version's files against their recorded sizes and digests,
        hashing every one of them again (the periodic check: it is there to notice a
        file that changed without its size or times changing). Loads nothing; returns
        the version's meta or raises ``IndexUnavailable``."""
        version = self.current_version()
        if not version:
            raise IndexUnavailable("no index has been built yet")
        meta = self._meta(version, model_name)
        self._open_checked(version, meta, again=True).close()
        return meta

    def load_docs(self, model_name: str) -> tuple[dict[str, Any], dict[int, str], dict[int, int]]:
        """(meta, digests, firm_of) of the current version, without its vectors and
        lexical matrix: enough to tell whether some firms' documents changed, at a
        sixth of a full load's cost (0.35 s against 2.3 s at 100k capabilities)."""
        version = self.current_version()
        if not version:
            raise IndexUnavailable("no index has been built yet")
        meta = self._meta(version, model_name)
        try:
            docs = json.loads((self.root / version / DOCS).read_text())
            digests = {int(k): str(v) for k, v in docs["digests"].items()}
            firm_of = {int(k): int(v) for k, v in docs["firm_of"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
        return meta, digests, firm_of

    def load(self, model_name: str | None = None, *, mmap: bool = False) -> IndexBundle:
        """The current version, its files checked first; with ``mmap``, its vectors and
        lexical arrays are mapped, not read.

        Readers (web workers) map: every process serving the same version shares its
        pages in the page cache, so a worker's own memory does not grow with the
        catalogue's vectors. Writers read (the index copies a mapping before changing
        it anyway). Published files are never rewritten in place, which keeps mappings
        valid; a deleted old version stays readable to processes that still map it.
        A mapped bundle keeps its files open (``IndexBundle.files``) so that its reader
        can tell whether one of them changed under it.
        """
        version = self.current_version()
        if not version:
            raise IndexUnavailable("no index has been built yet")
        folder = self.root / version
        meta = self._meta(version, model_name)
        files = self._open_checked(version, meta, again=False)
        try:
            docs = json.loads((folder / DOCS).read_text())
            vectors = VectorIndex.load(str(folder / VECTORS), mmap=mmap)
            lexical = LexicalIndex.load(folder, mmap=mmap)
            if not files.same_as(folder):
                raise IndexDamaged(f"index {version} changed while it was being loaded")
            digests = {int(k): str(v) for k, v in docs["digests"].items()}
            firm_of = {int(k): int(v) for k, v in docs["firm_of"].items()}
            concepts = {int(k): dict(v) for k, v in docs.get("concepts", {}).items()}
        except IndexUnavailable:
            files.close()
            raise
        except Exception as exc:  # any unreadable part means the bundle is unusable
            files.close()
            raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc
        if len(vectors) != len(digests) or len(lexical) != len(digests):
            files.close()
            raise IndexUnavailable(f"index {version} is inconsistent with itself")
        if not mmap:
            files.close()  # read into memory: nothing on disk is used any more
        return IndexBundle(
            vectors=vectors,
            lexical=lexical,
            tagger=lexical.analyzer.tagger or ConceptTagger(),
            model_name=meta["model"],
            digests=digests,
            firm_of=firm_of,
            concepts=concepts,
            built_at=meta.get("built_at", ""),
            updated_at=meta.get("updated_at", ""),
            version=version,
            catalog_stamp=meta.get("catalog_stamp", ""),
            files=files if mmap else None,
            through=int(meta.get("through", 0)),
        )

    def load_texts(self, version: str) -> dict[int, str]:
        """A version's document texts (what a merge refits the lexical index on)."""
        try:
            texts = json.loads((self.root / version / TEXTS).read_text("utf-8"))
            return {int(k): str(v) for k, v in texts.items()}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise IndexUnavailable(f"index {version} is unreadable: {exc}") from exc

    def publish(self, bundle: IndexBundle) -> str:
        """Write ``bundle`` as a new version and make it current; return the version.

        Every file's size and SHA-256 go into the version's ``meta.json``, read back
        from the files as written (from the page cache: 0.45 s at 100k capabilities),
        so that readers can tell a damaged file from the one that was published."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = f"v{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = self.root / f"tmp-{version}"
        tmp.mkdir()
        try:
            texts = bundle.texts
            if texts is None and bundle.version:  # a loaded version, published again
                texts = self.load_texts(bundle.version)
            if texts is None or not set(bundle.digests) <= set(texts):
                raise ValueError("a bundle is published with the text of each document")
            texts = {cid: texts[cid] for cid in bundle.digests}
            bundle.version = version
            bundle.updated_at = now_iso()
            bundle.vectors.save(str(tmp / VECTORS))
            bundle.lexical.save(tmp)
            docs = {
                "digests": bundle.digests,
                "firm_of": bundle.firm_of,
                "concepts": bundle.concepts,
            }
            (tmp / DOCS).write_text(json.dumps(docs))
            (tmp / TEXTS).write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
            files = {}
            for f in sorted(tmp.iterdir()):
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
                    files[f.name] = {
                        "size": os.fstat(fh.fileno()).st_size,
                        "sha256": sha256_of(fh.fileno()),
                    }
            (tmp / META).write_text(json.dumps({**bundle.meta(), "files": files}, indent=1))
            with open(tmp / META, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.root / version)
            pointer_tmp = self.root / f"CURRENT.{version}.tmp"
            pointer_tmp.write_text(version)
            with open(pointer_tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(pointer_tmp, self.pointer)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._collect_garbage(version)
        return version

    def _remove_leftovers(self) -> None:
        """What a writer killed mid-publish left (a half-written folder, a pointer not yet
        swapped in): with the lock held, no live writer can own them."""
        for tmp in self.root.glob("tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        for pointer in self.root.glob("CURRENT.*.tmp"):
            pointer.unlink(missing_ok=True)

    def _collect_garbage(self, current: str) -> None:
        # Oldest first by when each was published (its meta.json is written last):
        # names alone do not order versions published within the same second.
        versions = sorted((p for p in self.root.glob("v*") if p.is_dir()), key=_published_at)
        for old in versions[:-KEEP_VERSIONS]:
            if old.name != current:
                shutil.rmtree(old, ignore_errors=True)
