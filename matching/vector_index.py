"""The dense vector index: FAISS inner product over normalised vectors.

An ``IndexIDMap2`` around a flat inner-product index keeps FAISS ids equal to
capability ids, so adding, replacing and removing one firm's capabilities needs no
side table, and search results map straight back to database rows.
"""

from __future__ import annotations

import faiss
import numpy as np


class VectorIndex:
    def __init__(self, dimension: int):
        self.dimension = dimension
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        """Add or replace vectors for ``ids``."""
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected {len(ids)}×{self.dimension} vectors, got {vectors.shape}")
        self.remove(ids)
        self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> int:
        if not len(ids) or not len(self):
            return 0
        return int(self.index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def search(self, vector: np.ndarray, k: int = 100) -> list[tuple[int, float]]:
        if not len(self):
            return []
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self.index.search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def vector(self, id_: int) -> np.ndarray:
        return self.index.reconstruct(int(id_))

    def vectors(self, ids: list[int]) -> np.ndarray:
        """Stored vectors for ``ids`` (to score candidates another retriever found)."""
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.index.reconstruct(int(i)) for i in ids])

    def save(self, path: str) -> None:
        faiss.write_index(self.index, path)

    @classmethod
    def load(cls, path: str) -> VectorIndex:
        index = faiss.read_index(path)
        obj = cls.__new__(cls)
        obj.index = index
        obj.dimension = index.d
        return obj
