"""Okapi BM25 over diacritics-folded words: the classic lexical baseline.

Built on scikit-learn's CountVectorizer with the same word analysis as the lexical
retriever (folded words and syllable bigrams) but without the concept features, so
the evaluation shows what the bilingual vocabulary adds.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from .lexical import Analyzer, top_positive


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.vectorizer = CountVectorizer(analyzer=Analyzer(None, exact=False))
        self.ids = np.zeros(0, dtype=np.int64)
        self.weights = sparse.csr_matrix((0, 0))

    def fit(self, ids: list[int], texts: list[str]) -> None:
        tf = self.vectorizer.fit_transform(texts).tocsr().astype(np.float32)
        n = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        norm = self.k1 * (1 - self.b + self.b * lengths / max(lengths.mean(), 1e-9))
        rows = np.repeat(np.arange(n), np.diff(tf.indptr))
        data = tf.data * (self.k1 + 1) / (tf.data + norm[rows]) * idf[tf.indices]
        self.weights = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape)
        self.ids = np.asarray(ids, dtype=np.int64)

    def search(self, text: str, k: int = 100) -> list[tuple[int, float]]:
        q = self.vectorizer.transform([text])
        if q.nnz == 0:
            return []
        q.data[:] = 1.0
        return top_positive(self.ids, (self.weights @ q.T).toarray().ravel(), k)
