"""Lexical retrieval: TF-IDF (scikit-learn) over diacritics-folded Vietnamese/English.

Each text becomes features of three kinds:

* folded words and folded word bigrams (Vietnamese compounds are syllable pairs:
  "khuôn mẫu", "ép phun"), so "khuon mau" and "khuôn mẫu" are the same feature;
* the exact lower-cased word with its diacritics, so that writing the diacritics
  right is still preferred over a bare syllable that collides with another word;
* one feature per taxonomy concept found in the text, shared by both languages:
  "ép phun" and "injection molding" both give ``c:process.injection_molding``,
  which is what lets an English need find a Vietnamese profile lexically.

The vocabulary is fixed when the index is built; adding or changing documents later
only transforms the new texts, so updates are incremental.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from catalog.text import fold, nfc

from .concepts import ConceptTagger, normalize_token

_WORD_RE = re.compile(r"[a-z0-9]+(?:[.\-/][a-z0-9]+)*")
_EXACT_RE = re.compile(r"\w+", re.UNICODE)
_STOPWORD_TEXT = """
a an and are as at be by for from in is it of on or the to with we our us can
per pcs part parts need needs looking supplier suppliers require required
va cac cho cua voi la co duoc the nhung mot nhu tai theo tu den tren trong
san xuat cung cap chung toi khach hang yeu cau gia cong cong ty
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
CONCEPT_WEIGHT = 2  # a concept counts as much as two occurrences of a word
# The vectorizer's settings saved with an index (those that shape its weights).
_SETTINGS = ("sublinear_tf", "norm", "use_idf", "smooth_idf", "binary", "min_df")


def _check_csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, major: int, folder: Path
) -> None:
    """Refuse compressed-sparse arrays that disagree with each other or with their shape
    (scipy trusts them and would read out of bounds)."""
    nnz = len(data)
    if (
        data.ndim != 1
        or data.dtype.kind != "f"
        or indices.shape != (nnz,)
        or indices.dtype.kind != "i"
        or indptr.shape != (major + 1,)
        or indptr.dtype.kind != "i"
        or int(indptr[0]) != 0
        or int(indptr[-1]) != nnz
    ):
        raise ValueError(f"{folder}: the lexical matrix's arrays do not fit together")


def top_positive(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (id, score) pairs with a positive score, best first."""
    k = min(k, int((scores > 0).sum()))
    if k == 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(ids[i]), float(scores[i])) for i in top]


class Analyzer:
    """Callable analyzer for ``TfidfVectorizer``."""

    def __init__(self, tagger: ConceptTagger | None, exact: bool = True):
        self.tagger = tagger
        self.exact = exact

    def __call__(self, text: str) -> list[str]:
        text = nfc(text)
        words = [normalize_token(w) for w in _WORD_RE.findall(fold(text)) if w not in STOPWORDS]
        features = list(words)
        features += [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False) if a != b]
        if getattr(self, "exact", True):
            features += [
                "=" + w for w in _EXACT_RE.findall(text.lower()) if fold(w) != w and len(w) > 1
            ]
        if self.tagger is not None:
            for hit in self.tagger.tag(text):
                features += ["c:" + hit.concept_id] * CONCEPT_WEIGHT
        return features


class LexicalIndex:
    """A TF-IDF matrix over documents keyed by integer ids."""

    def __init__(self, tagger: ConceptTagger | None = None):
        self.analyzer = Analyzer(tagger)
        self.vectorizer = TfidfVectorizer(
            analyzer=self.analyzer, sublinear_tf=True, min_df=1, dtype=np.float32
        )
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = sparse.csr_matrix((0, 0), dtype=np.float32)
        self.fitted = False

    def __len__(self) -> int:
        return len(self.ids)

    # -- on disk ----------------------------------------------------------------------
    #: Bumped when what ``save`` writes changes; ``load`` refuses any other.
    FORMAT = 1
    _ARRAYS = (
        "ids",
        "data",
        "indices",
        "indptr",
        "postings-data",
        "postings-indices",
        "postings-indptr",
    )
    #: Every file ``save`` writes into a folder (the index store checks each of them).
    FILES = ("lexical.json", "lexical-idf.npy", *(f"lexical-{n}.npy" for n in _ARRAYS))

    def save(self, folder: Path) -> None:
        """The ids, the matrix and the idf as ``.npy`` arrays; the vocabulary, the
        vectorizer's settings and the concept tagger as JSON.

        The arrays are what grows with the catalogue, and plain arrays can be mapped:
        web workers that load with ``mmap`` share their pages instead of each holding
        a copy. Nothing is pickled: the index folder is shared by every machine, and
        reading a pickle runs whatever code it names, so anyone able to write there
        would run code in every web process. JSON and ``.npy`` (read with
        ``allow_pickle=False``) can only ever give back data.
        """
        postings = self._postings_matrix()
        vectorizer = self.vectorizer
        arrays = {
            "ids": self.ids,
            "data": self.matrix.data,
            "indices": self.matrix.indices,
            "indptr": self.matrix.indptr,
            "postings-data": postings.data,
            "postings-indices": postings.indices,
            "postings-indptr": postings.indptr,
            "idf": vectorizer.idf_ if self.fitted else np.zeros(0, dtype=np.float32),
        }
        for name, array in arrays.items():
            np.save(folder / f"lexical-{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        vocabulary: list[str] = []
        if self.fitted:
            vocabulary = [""] * len(vectorizer.vocabulary_)
            for term, column in vectorizer.vocabulary_.items():
                vocabulary[column] = term
        head = {
            "format": self.FORMAT,
            "fitted": self.fitted,
            "shape": list(self.matrix.shape),
            "exact": bool(getattr(self.analyzer, "exact", True)),
            "settings": {name: vectorizer.get_params()[name] for name in _SETTINGS},
            "dtype": np.dtype(vectorizer.dtype).name,
            "tagger": None if self.analyzer.tagger is None else self.analyzer.tagger.state(),
            "vocabulary": vocabulary,
        }
        (folder / "lexical.json").write_text(json.dumps(head, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> LexicalIndex:
        """Read what ``save`` wrote; with ``mmap`` the arrays are mapped read-only (every
        change builds new arrays, so a mapped index is never written through).

        What the files say is checked for shape and type before use (a sparse matrix
        whose index arrays disagree with its shape would be read out of bounds); no
        file is read in a way that could run code.
        """
        head = json.loads((folder / "lexical.json").read_text("utf-8"))
        if not isinstance(head, dict) or head.get("format") != cls.FORMAT:
            raise ValueError(f"{folder}: not a lexical index of format {cls.FORMAT}")
        tagger = None if head["tagger"] is None else ConceptTagger.from_state(head["tagger"])
        index = cls(tagger)
        index.analyzer.exact = bool(head["exact"])
        settings = head["settings"]
        if set(settings) != set(_SETTINGS) or head["dtype"] not in ("float32", "float64"):
            raise ValueError(f"{folder}: unexpected vectorizer settings")
        index.vectorizer.set_params(**settings, dtype=np.dtype(head["dtype"]).type)
        rows, columns = (int(n) for n in head["shape"])
        mode = "r" if mmap else None
        arrays = {
            n: np.load(folder / f"lexical-{n}.npy", mmap_mode=mode, allow_pickle=False)
            for n in cls._ARRAYS
        }
        _check_csr(arrays["data"], arrays["indices"], arrays["indptr"], rows, folder)
        _check_csr(
            arrays["postings-data"],
            arrays["postings-indices"],
            arrays["postings-indptr"],
            columns,
            folder,
        )
        if arrays["ids"].shape != (rows,) or arrays["ids"].dtype != np.int64:
            raise ValueError(f"{folder}: ids do not match the matrix")
        if head["fitted"]:
            vocabulary = {str(term): column for column, term in enumerate(head["vocabulary"])}
            idf = np.load(folder / "lexical-idf.npy", allow_pickle=False)
            if len(vocabulary) != columns or idf.shape != (columns,) or idf.dtype.kind != "f":
                raise ValueError(f"{folder}: the vocabulary does not match the matrix")
            index.vectorizer.set_params(vocabulary=vocabulary)
            index.vectorizer.idf_ = idf
            index.fitted = True
        index.ids = arrays["ids"]
        index.matrix = sparse.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]),
            shape=(rows, columns),
            copy=False,
        )
        index._postings = sparse.csc_matrix(
            (arrays["postings-data"], arrays["postings-indices"], arrays["postings-indptr"]),
            shape=(rows, columns),
            copy=False,
        )
        return index

    def _postings_matrix(self) -> sparse.csc_matrix:
        """The matrix by column: each feature's postings (documents and weights), so a
        query touches only the documents that share one of its features, not all rows.
        Built once per change (``save`` stores it; readers map it)."""
        postings = getattr(self, "_postings", None)
        if postings is None or postings.shape != self.matrix.shape:
            postings = self._postings = self.matrix.tocsc()
        return postings

    def fit(self, ids: list[int], texts: list[str]) -> None:
        """Learn the vocabulary and weights from the whole corpus and index it."""
        if texts:
            self.matrix = self.vectorizer.fit_transform(texts).tocsr()
            self.fitted = True
        self._postings = None
        self.ids = np.asarray(ids, dtype=np.int64)

    def remove(self, ids: list[int]) -> None:
        if not len(self.ids) or not ids:
            return
        keep = ~np.isin(self.ids, np.asarray(ids, dtype=np.int64))
        self.ids = self.ids[keep]
        self.matrix = self.matrix[np.flatnonzero(keep)]
        self._postings = None

    def upsert(self, ids: list[int], texts: list[str]) -> None:
        if not ids:
            return
        if not self.fitted:
            self.fit([*self.ids.tolist(), *ids], texts)
            return
        self.remove(ids)
        rows = self.vectorizer.transform(texts).tocsr()
        self.matrix = sparse.vstack([self.matrix, rows], format="csr")
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self._postings = None

    def query_vector(self, text: str) -> sparse.csr_matrix | None:
        if not self.fitted:
            return None
        return self.vectorizer.transform([text]).tocsr()

    def search(self, text: str, k: int = 100) -> list[tuple[int, float]]:
        """Top ``k`` (id, cosine) pairs with a positive score."""
        q = self.query_vector(text)
        if q is None or q.nnz == 0 or not len(self.ids):
            return []
        # An inverted index: only the postings of the query's features are read.
        postings = self._postings_matrix()[:, q.indices]
        return top_positive(self.ids, postings @ q.data, k)

    def score(self, text: str, ids: list[int]) -> list[tuple[int, float]]:
        """Cosine of ``text`` with the given documents (those not indexed are skipped)."""
        q = self.query_vector(text)
        if q is None or not ids or not len(self.ids):
            return []
        position = self._positions()
        rows = [(i, position[i]) for i in ids if i in position]
        if not rows:
            return []
        sub = self.matrix[[r for _, r in rows]]
        scores = (sub @ q.T).toarray().ravel()
        return [(i, float(s)) for (i, _), s in zip(rows, scores, strict=True)]

    def _positions(self) -> dict[int, int]:
        cached = getattr(self, "_position_cache", None)
        if cached is None or cached[0] != len(self.ids) or cached[1] is not self.ids:
            cached = (len(self.ids), self.ids, {int(d): i for i, d in enumerate(self.ids)})
            self._position_cache = cached
        return cached[2]

    def features(self, text: str) -> set[str]:
        """The plain word features of a text (no concepts, no exact-diacritic copies)."""
        return {f for f in self.analyzer(text) if not f.startswith(("c:", "="))}

    def shared_terms(self, query_features: set[str], doc_id: int, limit: int = 6) -> list[str]:
        """Words a query shares with an indexed document, most informative first."""
        if not self.fitted:
            return []
        row = self._positions().get(int(doc_id))
        if row is None:
            return []
        names = getattr(self, "_names", None)
        if names is None or len(names) != len(self.vectorizer.vocabulary_):
            names = self._names = self.vectorizer.get_feature_names_out()
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        doc = {names[j] for j in self.matrix.indices[start:end]}
        idf = self.vectorizer.idf_
        vocab = self.vectorizer.vocabulary_
        common = [f for f in query_features & doc if len(f) > 1 and not f.startswith(("c:", "="))]
        common.sort(key=lambda f: -idf[vocab[f]])
        return [f.replace("_", " ") for f in common[:limit]]
