"""The index's change log, and a base with the changes applied.

An edit costs in proportion to the edit: a re-index writes one row to the change log
(``matching.models.IndexChangeRecord``) with the documents it adds or replaces (their
vectors encoded once, by the worker) and the ids it drops. Every reader (web and worker
processes, on any machine that reaches the database) applies the rows newer than its
base to an in-memory layer over the mapped base (``Layers``): the base stays as it was
published, the layer holds the changed documents, and the ids the layer replaces or
drops are hidden in the base. Nothing reloads the whole bundle for an edit; a merge
(``matching.indexing.merge``) folds the log into a new base in the background when it
grows, refitting the lexical statistics.

Consistency:

* A row is written in one transaction and names the row before it (``previous``), so a
  reader applies a contiguous chain starting at its base's ``through`` or nothing: a
  gap (rows pruned behind a reader, a log from another database) is noticed, and the
  reader waits for a newer base instead of applying changes to the wrong state.
* Applying builds a new ``Layers`` and the engine swaps it in by reference: a request
  sees the state before a change or after it, never half of it.
* Changed documents are scored lexically with the base's vocabulary and document
  frequencies (``vectorizer.transform``), exactly as incremental updates always were;
  the merge refits them (the drift this leaves before a merge is measured in
  docs/benchmarks.md, "Edits without whole-index publishes").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from .lexical import LexicalIndex, top_positive
from .models import IndexChangeRecord
from .store import IndexBundle


@dataclass(frozen=True)
class ChangedDocument:
    id: int
    firm_id: int
    digest: str
    text: str
    concepts: dict[str, str]


@dataclass(frozen=True)
class Change:
    """One row of the log, decoded."""

    id: int
    previous: int
    stamp: str
    removed: tuple[int, ...]
    documents: tuple[ChangedDocument, ...]
    vectors: np.ndarray  # one row per document

    @property
    def size(self) -> int:
        return len(self.removed) + len(self.documents)


def _decode(row: Any) -> Change:
    docs = tuple(
        ChangedDocument(
            int(d["id"]),
            int(d["firm_id"]),
            str(d["digest"]),
            str(d["text"]),
            {str(k): str(v) for k, v in (d.get("concepts") or {}).items()},
        )
        for d in row.documents or ()
    )
    vectors = np.frombuffer(row.vectors, dtype="<f4")
    if row.dimension <= 0 or vectors.size != len(docs) * row.dimension:
        raise ValueError(f"index change {row.id} has {vectors.size} values for {len(docs)} rows")
    return Change(
        id=int(row.id),
        previous=int(row.previous),
        stamp=row.stamp or "",
        removed=tuple(int(i) for i in row.removed or ()),
        documents=docs,
        vectors=vectors.reshape(len(docs), row.dimension).astype(np.float32),
    )


def latest_id(session: Session) -> int:
    """The newest change's id (0 when the log is empty)."""
    return int(session.scalar(select(func.max(IndexChangeRecord.id))) or 0)


def record_change(
    session: Session,
    model: str,
    previous: int,
    stamp: str,
    removed: Sequence[int],
    documents: Sequence[ChangedDocument],
    vectors: np.ndarray,
) -> int:
    """Add a change after ``previous`` (the newest id, read under the index lock) and
    return its id. The caller commits: until then no reader sees it."""
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    if vectors.shape[0] != len(documents):
        raise ValueError(f"{vectors.shape[0]} vectors for {len(documents)} documents")
    row = IndexChangeRecord(
        model=model,
        previous=previous,
        stamp=stamp,
        dimension=int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 1,
        removed=[int(i) for i in removed],
        documents=[
            {
                "id": d.id,
                "firm_id": d.firm_id,
                "digest": d.digest,
                "text": d.text,
                "concepts": d.concepts,
            }
            for d in documents
        ],
        vectors=vectors.tobytes(),
    )
    session.add(row)
    session.flush()
    return int(row.id)


def changes_after(
    session: Session, model: str, after: int, upto: int | None = None
) -> list[Change]:
    """The chain of changes following ``after`` (up to ``upto``), in order; raises
    ``ChainBroken`` when the first one does not follow ``after`` or the chain has a
    gap. Changes of another model break the chain too (they belong to another index)."""
    query = select(IndexChangeRecord).where(IndexChangeRecord.id > after)
    if upto is not None:
        query = query.where(IndexChangeRecord.id <= upto)
    rows = session.scalars(query.order_by(IndexChangeRecord.id)).all()
    return _chain(rows, model, after)


def _chain(rows: Iterable[Any], model: str, after: int) -> list[Change]:
    out: list[Change] = []
    expected = after
    for row in rows:
        if row.previous != expected or row.model != model:
            raise ChainBroken(f"index change {row.id} follows {row.previous}, not {expected}")
        out.append(_decode(row))
        expected = row.id
    return out


class ChainBroken(RuntimeError):
    """The log does not continue from the state a reader holds: it needs a newer base."""


def prune(session: Session, through: int) -> int:
    """Delete the changes before ``through`` (folded into every base still kept). The
    change ``through`` itself stays: the log's newest id then still tells a base of
    this database (``latest_id`` ≥ its ``through``) from one of another."""
    result = session.execute(delete(IndexChangeRecord).where(IndexChangeRecord.id < through))
    return result.rowcount or 0


class ChangeFeed:
    """Reads the log for a process that has no request session (a web worker's poller):
    short connections from a SQLAlchemy engine."""

    def __init__(self, engine: Engine, model: str):
        self.engine = engine
        self.model = model

    def latest(self) -> int:
        with Session(self.engine) as session:
            return latest_id(session)

    def after(self, after: int) -> list[Change]:
        with Session(self.engine) as session:
            return changes_after(session, self.model, after)

    def pull(self, store) -> str | None:
        """Copy the database's current base into ``store`` (``matching.shipping.pull``)."""
        from .shipping import pull

        with Session(self.engine) as session:
            return pull(session, store, self.model)


# -- a base with changes applied ------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    doc: ChangedDocument
    vector: np.ndarray
    row: sparse.csr_matrix | None  # the text's TF-IDF row in the base's vocabulary


@dataclass
class Layers:
    """A base bundle and the changes applied over it, immutable once built: ``apply``
    returns a new one. ``bundle`` is what the engine serves: the base's own arrays with
    the replaced and dropped ids hidden, plus the changed documents."""

    base: IndexBundle
    through: int
    entries: dict[int, _Entry] = field(default_factory=dict)
    hidden: frozenset[int] = frozenset()  # base ids replaced or dropped
    stamp: str = ""
    applied: int = 0  # changes applied since the base
    _bundle: IndexBundle | None = field(default=None, repr=False)

    @classmethod
    def over(cls, base: IndexBundle) -> Layers:
        return cls(base=base, through=base.through, stamp=base.catalog_stamp)

    @property
    def size(self) -> int:
        """Documents the layer holds or hides: what a merge would fold in."""
        return len(self.entries) + len(self.hidden - self.entries.keys())

    def apply(self, changes: Sequence[Change]) -> Layers:
        """These changes (the chain following ``through``) applied: a new ``Layers``."""
        if not changes:
            return self
        if changes[0].previous != self.through:
            raise ChainBroken(f"change {changes[0].id} does not follow {self.through}")
        entries = dict(self.entries)
        hidden = set(self.hidden)
        base_docs = self.base.digests
        lexical = self.base.lexical
        for change in changes:
            for cid in change.removed:
                entries.pop(cid, None)
                if cid in base_docs:
                    hidden.add(cid)
            rows = None
            if change.documents and lexical.fitted:
                rows = lexical.vectorizer.transform([d.text for d in change.documents]).tocsr()
            for i, doc in enumerate(change.documents):
                entries[doc.id] = _Entry(doc, change.vectors[i], None if rows is None else rows[i])
                if doc.id in base_docs:
                    hidden.add(doc.id)
        return Layers(
            base=self.base,
            through=changes[-1].id,
            entries=entries,
            hidden=frozenset(hidden),
            stamp=changes[-1].stamp or self.stamp,
            applied=self.applied + len(changes),
        )

    @property
    def bundle(self) -> IndexBundle:
        if self._bundle is None:
            self._bundle = self._build()
        return self._bundle

    def _build(self) -> IndexBundle:
        base = self.base
        if not self.entries and not self.hidden:
            return base
        digests = dict(base.digests)
        firm_of = dict(base.firm_of)
        concepts = dict(base.concepts)
        for cid in self.hidden:
            digests.pop(cid, None)
            firm_of.pop(cid, None)
            concepts.pop(cid, None)
        ids = np.fromiter(self.entries.keys(), dtype=np.int64, count=len(self.entries))
        for cid, entry in self.entries.items():
            digests[cid] = entry.doc.digest
            firm_of[cid] = entry.doc.firm_id
            concepts[cid] = entry.doc.concepts
        dim = base.vectors.dimension
        vectors = (
            np.stack([e.vector for e in self.entries.values()]).astype(np.float32)
            if self.entries
            else np.zeros((0, dim), dtype=np.float32)
        )
        hidden = np.fromiter(self.hidden, dtype=np.int64, count=len(self.hidden))
        return IndexBundle(
            vectors=LayeredVectors(base.vectors, hidden, ids, vectors),
            lexical=LayeredLexical(
                base.lexical, hidden, ids, [e.row for e in self.entries.values()]
            ),
            tagger=base.tagger,
            model_name=base.model_name,
            digests=digests,
            firm_of=firm_of,
            concepts=concepts,
            built_at=base.built_at,
            updated_at=base.updated_at,
            version=base.version,
            catalog_stamp=self.stamp,
            files=base.files,
            through=self.through,
            base=base,
        )


class LayeredVectors:
    """The base's vectors without the hidden ids, and the layer's vectors (searched
    exactly: the layer is small until a merge)."""

    def __init__(self, base: Any, hidden: np.ndarray, ids: np.ndarray, vectors: np.ndarray):
        self.base = base
        self.hidden = hidden
        self._hidden = set(hidden.tolist())
        self.layer_ids = ids
        self.layer = vectors
        self._row = {int(c): i for i, c in enumerate(ids)}
        self.dimension = base.dimension

    def __len__(self) -> int:
        return len(self.base) - len(self.hidden) + len(self.layer_ids)

    def __getattr__(self, name: str) -> Any:  # kind, approximate, nprobe, describe …
        return getattr(self.base, name)

    def search(self, vector: np.ndarray, k: int = 100) -> list[tuple[int, float]]:
        # At most len(hidden) of the base's answers are hidden: asking for that many more
        # keeps the base's top k exact among what is visible.
        found = [
            (i, s)
            for i, s in self.base.search(vector, k + len(self.hidden))
            if i not in self._hidden
        ][:k]
        if not len(self.layer_ids):
            return found
        scores = self.layer @ np.asarray(vector, dtype=np.float32).ravel()
        # Ties as FAISS lists them over one flat index: the later-added first (the
        # layer's rows come after the base's, as they do in the merged index).
        layer = top_positive_or_all(self.layer_ids, scores, k)
        return sorted([*layer, *found], key=lambda t: -t[1])[:k]

    def vectors(self, ids: list[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        from_base = [(n, i) for n, i in enumerate(ids) if i not in self._row]
        if from_base:
            out[[n for n, _ in from_base]] = self.base.vectors([i for _, i in from_base])
        for n, i in enumerate(ids):
            row = self._row.get(i)
            if row is not None:
                out[n] = self.layer[row]
        return out

    def ids(self) -> np.ndarray:
        base = self.base.ids()
        return np.concatenate([base[~np.isin(base, self.hidden)], self.layer_ids])

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The base's blocks (views; a block with hidden ids is copied without them),
        then the layer's."""
        for ids, vectors in self.base.blocks():
            if len(self.hidden):
                keep = ~np.isin(ids, self.hidden)
                if not keep.all():
                    ids, vectors = ids[keep], vectors[keep]
            yield ids, vectors
        if len(self.layer_ids):
            yield self.layer_ids, self.layer


def top_positive_or_all(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (id, score) pairs whatever their sign (inner products may be < 0),
    equal scores ordered as FAISS's flat search lists them."""
    k = min(k, len(ids))
    if k == 0:
        return []
    top = np.lexsort((np.arange(len(scores)), -scores))[:k]
    top = top[np.lexsort((-top, -scores[top]))]  # equal scores: the later row first
    return [(int(ids[i]), float(scores[i])) for i in top]


class LayeredLexical:
    """The base's lexical index without the hidden ids, and the layer's rows (in the
    base's vocabulary, weighted by its document frequencies)."""

    def __init__(
        self,
        base: LexicalIndex,
        hidden: np.ndarray,
        ids: np.ndarray,
        rows: list[sparse.csr_matrix | None],
    ):
        self.base = base
        self.analyzer = base.analyzer
        self.vectorizer = base.vectorizer
        self.fitted = base.fitted
        self.layer_ids = ids
        self._layer_row = {int(c): i for i, c in enumerate(ids)}
        width = base.matrix.shape[1]
        present = [r for r in rows if r is not None]
        self.layer = (
            sparse.vstack(present, format="csr")
            if present and len(present) == len(rows)
            else sparse.csr_matrix((len(ids), width), dtype=np.float32)
        )
        position = base._positions()
        self._hidden_rows = np.asarray(
            [position[int(c)] for c in hidden if int(c) in position], dtype=np.int64
        )
        self._hidden = set(hidden.tolist())
        self._matrix: sparse.csr_matrix | None = None
        self._ids: np.ndarray | None = None
        self._position: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.base) - len(self._hidden_rows) + len(self.layer_ids)

    def query_vector(self, text: str) -> sparse.csr_matrix | None:
        return self.base.query_vector(text)

    def features(self, text: str) -> set[str]:
        return self.base.features(text)

    def search(self, text: str, k: int = 100) -> list[tuple[int, float]]:
        q = self.query_vector(text)
        if q is None or q.nnz == 0:
            return []
        found: list[tuple[int, float]] = []
        if len(self.base.ids):
            scores = np.asarray(self.base._postings_matrix()[:, q.indices] @ q.data).ravel()
            if len(self._hidden_rows):
                scores = scores.copy()
                scores[self._hidden_rows] = 0.0
            found = top_positive(self.base.ids, scores, k)
        if len(self.layer_ids):
            layer = np.asarray((self.layer @ q.T).todense()).ravel()
            # Equal scores: the base's rows first, as over one matrix with the layer last.
            found = sorted([*found, *top_positive(self.layer_ids, layer, k)], key=lambda t: -t[1])
            found = found[:k]
        return found

    def score(self, text: str, ids: list[int]) -> list[tuple[int, float]]:
        base_ids = [i for i in ids if i not in self._layer_row and i not in self._hidden]
        out = self.base.score(text, base_ids) if base_ids else []
        mine = [i for i in ids if i in self._layer_row]
        q = self.query_vector(text)
        if mine and q is not None:
            sub = self.layer[[self._layer_row[i] for i in mine]]
            scores = np.asarray((sub @ q.T).todense()).ravel()
            out += [(i, float(s)) for i, s in zip(mine, scores, strict=True)]
        return out

    @property
    def ids(self) -> np.ndarray:
        if self._ids is None:
            keep = np.ones(len(self.base.ids), dtype=bool)
            keep[self._hidden_rows] = False
            self._ids = np.concatenate([self.base.ids[keep], self.layer_ids])
        return self._ids

    @property
    def matrix(self) -> sparse.csr_matrix:
        """Rows in ``ids`` order (built once, when something needs every row at once)."""
        if self._matrix is None:
            keep = np.ones(len(self.base.ids), dtype=bool)
            keep[self._hidden_rows] = False
            base = self.base.matrix
            if len(self._hidden_rows):
                base = base[np.flatnonzero(keep)]
            self._matrix = sparse.vstack([base, self.layer], format="csr")
        return self._matrix

    def _positions(self) -> dict[int, int]:
        """Row of each id in ``matrix`` (built once, as ``matrix`` is)."""
        if self._position is None:
            self._position = {int(d): i for i, d in enumerate(self.ids)}
        return self._position
