"""The dense vector index: FAISS inner product over normalised vectors, exact or IVF.

FAISS ids are capability ids, so adding, replacing and removing one firm's capabilities
needs no side table, and search results map straight back to database rows.

The index type follows the catalogue's size (measurements: docs/index-scale.md):

* below ``EXACT_THRESHOLD`` vectors, exact search: ``IndexIDMap2(IndexFlatIP)``. A scan of
  every vector costs about 0.065 ms per thousand vectors on one core (384 dimensions):
  p95 3.3 ms at 50k, so below it exact search is cheap and gives up no recall.
* from the threshold on, an inverted file, ``IndexIVFFlat`` (``nlist`` ≈ 2·√n k-means
  cells, ``nprobe`` of them searched per query). IVF rather than HNSW because it does
  everything the service needs natively: ``remove_ids`` and ``reconstruct`` by id (with a
  hash-table direct map), incremental ``add_with_ids``, and memory-mapped loading. HNSW
  cannot remove (deleted vectors would have to be masked and the graph rebuilt from time
  to time), took 372 s to build at 1M on two cores against 26 s, and reached recall@10
  0.951 there at efSearch 512 where IVF's default gives 0.998 at the same p95 (~3.3 ms,
  well inside the 20 ms budget). Codes stay uncompressed floats (IVF-Flat): the stored
  vectors are returned by ``vectors()`` to score candidates found by the lexical
  retriever, and must equal what the encoder produced.

The type changes by itself: ``add`` promotes an exact index that reaches the threshold
(k-means trained on the vectors present), ``remove`` demotes an approximate index that
falls below half of it (hysteresis, so a catalogue hovering at the threshold does not
flip), and an IVF index whose size has moved far from what its ``nlist`` was chosen for
(a factor of ~4 either way) is retrained from its own vectors.

``load(path, mmap=True)`` maps the file instead of reading it (``IO_FLAG_MMAP_IFC``,
FAISS's zero-copy mapping of flat codes and IVF lists): every web process that loads the
same published version shares the same page-cache pages, so the memory a worker adds is
only its private part (id maps: 43 MiB at 1M), not the vectors (1.5 GB at 1M). A mapped
index is read-only in FAISS (resizing a mapped vector aborts the process); this class
copies it into memory before the first change instead. Published files are never
rewritten in place (the store writes new versions, and ``save`` writes a temporary file
and renames it), which is what makes the mapping safe: a file truncated under a mapping
crashes its readers (SIGBUS). Against damage from outside, the store checks each file's
size and digest before it is mapped and its size and modification time before each use
(``matching.store``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Literal

import faiss
import numpy as np

#: Vectors from which the index is approximate (IVF); exact below. Exact p95 on one core:
#: 3.3 ms at 50k, 7.5 ms at 100k, 70 ms at 1M; IVF at 50k: 0.14 ms at recall@10 0.994.
EXACT_THRESHOLD = 50_000
#: k-means cells per √n: nlist ≈ 2·√n rounded to a power of two (2048 cells at 1M). 4·√n
#: (the other usual rule) gave the same recall at the same fraction of cells searched,
#: but took 2.5× as long to build at 1M (k-means cost grows with nlist²).
CELLS_PER_ROOT = 2
#: FAISS warns below 39 training points per cell; never make cells smaller than that.
MIN_POINTS_PER_CELL = 39
#: Training sample per cell (FAISS's default is 256): k-means on 64·nlist points gives
#: the same recall here and trains several times faster.
TRAIN_POINTS_PER_CELL = 64
#: Fraction of the cells searched by default: nprobe = nlist / 32 (at least 8), so about
#: 3% of the vectors are scanned; recall@10 against exact search 0.991 to 0.998 on the
#: benchmark catalogues from 50k to 1M, p95 3.3 ms at 1M on one core.
PROBE_FRACTION = 32
MIN_NPROBE = 8

Kind = Literal["exact", "ivf"]

#: Zero-copy mapping of flat codes and IVF lists where FAISS has it (the installed 1.15
#: does); older versions only map IVF lists (``IO_FLAG_MMAP``, read-only on-disk lists).
_MMAP_FLAG: int = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)


def nlist_for(n: int) -> int:
    """Number of IVF cells for ``n`` vectors: a power of two near 2·√n, cells ≥ 39 points."""
    target = _target_cells(n)
    nlist = 2 ** max(0, round(math.log2(target)))
    while nlist > 1 and nlist * MIN_POINTS_PER_CELL > n:
        nlist //= 2
    return nlist


def nprobe_for(nlist: int) -> int:
    """Cells searched per query by default for an index of ``nlist`` cells."""
    return min(nlist, max(MIN_NPROBE, nlist // PROBE_FRACTION))


def _target_cells(n: int) -> float:
    return max(1.0, min(CELLS_PER_ROOT * math.sqrt(max(n, 1)), n / MIN_POINTS_PER_CELL))


def _selector(ids: np.ndarray) -> faiss.IDSelectorArray:
    # The IVF hash-table direct map only accepts an IDSelectorArray (the plain numpy
    # argument becomes an IDSelectorBatch, which it refuses). The caller keeps ``ids``
    # alive while the selector is used: it points into the array.
    return faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))


class VectorIndex:
    """Vectors by capability id; exact below ``exact_threshold``, IVF from it on.

    ``nprobe`` fixes the cells searched per query in IVF mode (default: ``nprobe_for``
    the number of cells); it is saved with the index.
    """

    def __init__(
        self,
        dimension: int,
        *,
        exact_threshold: int = EXACT_THRESHOLD,
        nprobe: int | None = None,
    ):
        self.dimension = dimension
        self.exact_threshold = exact_threshold
        self._nprobe = nprobe
        self._mapped_from: str | None = None
        self.index: faiss.Index = self._new_exact()

    # -- what kind of index ---------------------------------------------------------------
    @property
    def kind(self) -> Kind:
        return "ivf" if isinstance(self.index, faiss.IndexIVF) else "exact"

    @property
    def approximate(self) -> bool:
        return self.kind == "ivf"

    @property
    def mapped(self) -> bool:
        """True while the vectors are read from a memory-mapped file (shared pages)."""
        return self._mapped_from is not None

    @property
    def nlist(self) -> int | None:
        return int(self.index.nlist) if self.approximate else None

    @property
    def nprobe(self) -> int | None:
        return int(self.index.nprobe) if self.approximate else None

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        """Cells searched per query (IVF): more is slower and closer to exact."""
        self._nprobe = int(value)
        if self.approximate:
            self.index.nprobe = min(int(value), self.index.nlist)

    def describe(self) -> dict[str, int | str | bool | None]:
        return {
            "kind": self.kind,
            "vectors": len(self),
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "mapped": self.mapped,
        }

    def __len__(self) -> int:
        return int(self.index.ntotal)

    # -- reading --------------------------------------------------------------------------
    def ids(self) -> np.ndarray:
        if not self.approximate:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        return self._contents(with_vectors=False)[0]

    def search(self, vector: np.ndarray, k: int = 100) -> list[tuple[int, float]]:
        """The ``k`` nearest ids by inner product, best first, on one OpenMP thread.

        One query is not worth a parallel region: with FAISS's default of one thread per
        core, exact search over 100k vectors took p95 8.4 ms instead of 6.7 on an idle
        machine, and 32 ms instead of 6.9 with the other core busy (another worker), as
        OpenMP waits for a core that is taken. ``omp_set_num_threads`` applies to the
        calling thread only, and is restored after the call: builds keep every core.
        """
        if not len(self):
            return []
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(q, min(k, len(self)))
        finally:
            faiss.omp_set_num_threads(threads)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def vector(self, id_: int) -> np.ndarray:
        return self.index.reconstruct(int(id_))

    def vectors(self, ids: list[int]) -> np.ndarray:
        """Stored vectors for ``ids`` (to score candidates another retriever found)."""
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = np.ascontiguousarray(ids, dtype=np.int64)
        return self.index.reconstruct_batch(keys)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) block by block, as read-only views of the index's own storage.

        For scoring many queries against every stored vector without a private copy of
        the catalogue in each process (with ``mmap``, the views are the shared file
        pages): one block for the exact index, one per non-empty cell for IVF. The views
        are valid while this index lives and is not changed.
        """
        n, d = len(self), self.dimension
        if not n:
            return
        if not self.approximate:
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            flat = faiss.downcast_index(self.index.index)
            vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
            vectors.setflags(write=False)
            yield ids, vectors
            return
        invlists = self.index.invlists
        for list_no in range(invlists.nlist):
            size = invlists.list_size(list_no)
            if not size:
                continue
            ids = faiss.rev_swig_ptr(invlists.get_ids(list_no), size)
            codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * d * 4)
            vectors = codes.view(np.float32).reshape(size, d)
            ids.setflags(write=False)
            vectors.setflags(write=False)
            yield ids, vectors

    # -- changes --------------------------------------------------------------------------
    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        """Add or replace vectors for ``ids``; promote to IVF when the threshold is reached."""
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected {len(ids)}×{self.dimension} vectors, got {vectors.shape}")
        keys = np.ascontiguousarray(ids, dtype=np.int64)
        self._writable()
        self._remove(keys)
        if not self.approximate and len(self) + len(keys) >= self.exact_threshold:
            # Train on everything at once rather than filling the flat index first: one
            # copy of the vectors less at the peak.
            if len(self):
                old_ids, old_vectors = self._contents()
                keys = np.concatenate([old_ids, keys])
                vectors = np.concatenate([old_vectors, vectors])
            self.index = self._new_ivf(keys, vectors)
            return
        self.index.add_with_ids(vectors, keys)
        self._reorganise_if_needed()

    def remove(self, ids: list[int]) -> int:
        """Remove ``ids`` (unknown ids are ignored); return how many were removed."""
        if not len(ids) or not len(self):
            return 0
        self._writable()
        removed = self._remove(np.ascontiguousarray(ids, dtype=np.int64))
        if removed:
            self._reorganise_if_needed()
        return removed

    def rebuild(self) -> None:
        """Choose the type for the current size again and, for IVF, retrain from scratch.

        Incremental adds go to the cells trained earlier; if what the catalogue talks about
        shifts, cells get unbalanced. Publishing a full rebuild (``matching.indexing``)
        builds a new index anyway; this does the same in place.
        """
        self._writable()
        ids, vectors = self._contents()
        self.index = self._build(ids, vectors)

    # -- files ----------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write to a temporary file and rename it over ``path``.

        Never truncates a file in place: another process (or this one) may have it mapped.
        """
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            faiss.write_index(self.index, tmp)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(
        cls,
        path: str,
        mmap: bool = False,
        *,
        exact_threshold: int = EXACT_THRESHOLD,
        nprobe: int | None = None,
    ) -> VectorIndex:
        """Read an index; with ``mmap``, map it so that processes share the vector pages.

        ``exact_threshold`` is a setting of the service, not of the file: it decides what
        happens at the next change. ``nprobe`` overrides the value saved with an IVF index.
        """
        index = faiss.read_index(path, _MMAP_FLAG if mmap else 0)
        if not isinstance(index, faiss.IndexIDMap2 | faiss.IndexIVFFlat):
            raise ValueError(f"{path}: unexpected index type {type(index).__name__}")
        obj = cls.__new__(cls)
        obj.index = index
        obj.dimension = index.d
        obj.exact_threshold = exact_threshold
        obj._nprobe = nprobe
        obj._mapped_from = path if mmap else None
        if obj.approximate:
            if nprobe is not None:
                obj.index.nprobe = min(nprobe, obj.index.nlist)
            elif obj.index.nprobe != nprobe_for(obj.index.nlist):
                obj._nprobe = int(obj.index.nprobe)  # chosen by hand: keep it on retraining
        return obj

    # -- internals ------------------------------------------------------------------------
    def _writable(self) -> None:
        """Copy a memory-mapped index into this process's memory before changing it."""
        if self._mapped_from is not None:
            self.index = faiss.deserialize_index(faiss.serialize_index(self.index))
            self._mapped_from = None

    def _remove(self, keys: np.ndarray) -> int:
        if not len(self):
            return 0
        if self.approximate:
            return int(self.index.remove_ids(_selector(keys)))
        return int(self.index.remove_ids(keys))

    def _reorganise_if_needed(self) -> None:
        n = len(self)
        if not self.approximate:
            if n >= self.exact_threshold:
                self.rebuild()
            return
        if n < self.exact_threshold // 2:
            self.rebuild()  # back to exact
            return
        ratio = _target_cells(n) / self.index.nlist
        if ratio > 2 or ratio < 0.5:
            self.rebuild()

    def _build(self, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
        if len(ids) >= self.exact_threshold:
            return self._new_ivf(ids, vectors)
        index = self._new_exact()
        if len(ids):
            index.add_with_ids(vectors, ids)
        return index

    def _new_exact(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _new_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> faiss.IndexIVFFlat:
        """An IVF-Flat index trained on (a sample of) ``vectors``, holding all of them."""
        n = len(ids)
        nlist = nlist_for(n)
        quantizer = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.own_fields = True
        quantizer.this.disown()
        # Centroids on the unit sphere, like the vectors: cells by cosine, not by norm.
        index.cp.spherical = True
        index.cp.max_points_per_centroid = TRAIN_POINTS_PER_CELL
        sample = min(n, nlist * TRAIN_POINTS_PER_CELL)
        rows = np.random.default_rng(n).choice(n, sample, replace=False) if sample < n else None
        index.train(vectors if rows is None else vectors[np.sort(rows)])
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # remove and reconstruct by id
        index.add_with_ids(vectors, ids)
        wanted = self._nprobe if self._nprobe is not None else nprobe_for(nlist)
        index.nprobe = min(wanted, nlist)
        return index

    def _contents(self, with_vectors: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Every id and (a copy of) its vector."""
        d = self.dimension
        parts = list(self.blocks())
        ids = np.concatenate([i for i, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        if not with_vectors or not parts:
            return ids.astype(np.int64, copy=False), np.zeros((0, d), dtype=np.float32)
        return ids.astype(np.int64, copy=False), np.concatenate([v for _, v in parts])
