"""Vectors shipped with the code for the texts every installation encodes first.

The demo catalogue and the development set are deterministic, so the vectors of their
texts (capability documents, the demo needs as the engine queries with them, the set's
queries) are encoded once and kept in ``matching/data/demo_vectors/<model>.npz``. An
encoder consults them when its cache misses, so neither ``make run`` nor ``make test``
pays the slow encoder's cost on every start. Each file carries the identity of the
model that made it (weights digest, precision, prompts): a different model or precision
never reads them, and a text not in the file is simply encoded.

Rebuild after a change to the demo catalogue, the vocabulary or the model::

    .venv/bin/python -m matching.packaged_vectors
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).parent / "data" / "demo_vectors"
DEVSET = Path(__file__).parent / "data" / "devset"
_LOCK = threading.Lock()
_LOADED: dict[str, dict[str, np.ndarray] | None] = {}


def path_for(model_name: str) -> Path:
    return FOLDER / f"{model_name}.npz"


def model_identity(model_name: str, model) -> str:
    """What must match for a stored vector to be this model's: name, weights, precision
    and the prompts applied."""
    from .gemma_model import FILES, MODEL_NAME

    weights = FILES["model.safetensors"][1] if model_name == MODEL_NAME else "-"
    dtype = str(next(model.parameters()).dtype)
    prompts = json.dumps(getattr(model, "prompts", {}) or {}, sort_keys=True)
    digest = hashlib.sha256(f"{model_name}|{weights}|{dtype}|{prompts}".encode()).hexdigest()
    return f"{model_name}:{digest[:24]}"


def lookup(model_name: str, identity: str) -> dict[str, np.ndarray]:
    """Stored vectors by cache key for this model, or nothing when none were shipped or
    they were made by another model (``identity``)."""
    with _LOCK:
        if model_name not in _LOADED:
            _LOADED[model_name] = _read(path_for(model_name), identity)
        return _LOADED[model_name] or {}


def _read(path: Path, identity: str) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        if str(data["identity"]) != identity:
            return None
        vectors = data["vectors"].astype(np.float32)  # stored as float16: unit length again
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return dict(zip(data["keys"].tolist(), vectors, strict=True))


def texts() -> dict[str, list[str]]:
    """The texts shipped, by prompt: the demo catalogue's capability documents and needs
    (as the engine queries with them), and the development set's queries."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from catalog.demo import load_demo_catalog
    from catalog.models import Base, Need
    from catalog.reference_data import load_reference_data
    from catalog.text import nfc

    from .concepts import expand_query
    from .documents import capability_documents, need_text
    from .eval import document_text, load_dataset
    from .indexing import build_tagger

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_reference_data(session)
        load_demo_catalog(session)
        tagger = build_tagger(session)
        passages = [d.text for d in capability_documents(session)]
        queries = [expand_query(need_text(n), tagger) for n in session.scalars(select(Need))]
    data = load_dataset(DEVSET)
    passages += [document_text(doc) for doc in data.corpus.values()]
    queries += [expand_query(nfc(q["text"]), tagger) for q in data.queries.values()]
    return {"passage": sorted(set(passages)), "query": sorted(set(queries))}


def build(model_name: str) -> Path:
    """Encode the shipped texts with ``model_name`` and write its file (texts the file
    already holds for this model are not encoded again)."""
    from .embedding_cache import EmbeddingCache
    from .encoder import Encoder

    encoder = Encoder(model_name)
    keys, rows = [], []
    for prompt, items in texts().items():
        # Texts already shipped by this model are kept; only new ones are encoded.
        vectors, encoded = encoder._cached(items, prompt, progress=True)
        print(f"{prompt}: {len(items)} texts, {encoded} encoded")
        keys += [EmbeddingCache.key(model_name, prompt, t) for t in items]
        rows.append(vectors)
    FOLDER.mkdir(parents=True, exist_ok=True)
    target = path_for(model_name)
    np.savez_compressed(
        target,
        identity=np.array(encoder.identity),
        keys=np.array(keys),
        vectors=np.vstack(rows).astype(np.float16),
    )
    return target


def main(argv: list[str] | None = None) -> int:
    from .encoder import default_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: the service's default")
    args = parser.parse_args(argv)
    print(build(args.model or default_model()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
