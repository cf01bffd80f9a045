"""The default encoder: EmbeddingGemma-300M rebuilt from pinned wheels, its shipped
vectors, and the fall-back to the small model when it cannot be fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matching import gemma_model, packaged_vectors
from matching.embedding_cache import EmbeddingCache
from matching.encoder import GEMMA_MODEL, SMALL_MODEL, Encoder, default_model

# Nothing here reads the database: run in the first pass only (tests/conftest.py).
pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    if not gemma_model.installed():
        pytest.fail("make install did not install EmbeddingGemma-300M (see its message)")
    return Encoder(GEMMA_MODEL)


def test_installed_copy_is_the_pinned_release_with_its_terms():
    folder = gemma_model.target()
    assert default_model() == GEMMA_MODEL
    assert gemma_model.FILES["model.safetensors"][1] == (
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
    )
    assert len(gemma_model.WHEELS) == 25 and len(gemma_model.FILES) == 18
    notice = (folder / gemma_model.NOTICE_FILE).read_text()
    assert "Gemma Terms of Use" in notice and "ai.google.dev/gemma/terms" in notice
    for name, (size, _) in gemma_model.FILES.items():
        assert (folder / name).stat().st_size == size, name


def test_a_folder_with_one_altered_file_is_refused(tmp_path):
    """Every file is checked, not only the weights: a changed configuration is refused."""
    source = gemma_model.target()
    for name in gemma_model.FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).symlink_to(source / name)
    first = next(iter(gemma_model.FILES))
    altered = bytearray((source / first).read_bytes())
    altered[-2] ^= 1  # same size, one bit differs
    (tmp_path / first).unlink()
    (tmp_path / first).write_bytes(bytes(altered))
    with pytest.raises(gemma_model.ModelUnavailable, match="SHA-256"):
        gemma_model.verify(tmp_path)
    assert not gemma_model.installed(tmp_path)


def test_without_the_chunks_the_install_says_so_and_the_small_model_is_used(tmp_path):
    """An index that cannot serve the wheels: the install step does not fail, it names
    the fall-back; the service's default is then the small model."""
    env = {
        **os.environ,
        "KETNOI_MODEL_DIR": str(tmp_path / "models"),
        "PIP_INDEX_URL": (tmp_path / "no-index").as_uri(),
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_NO_CACHE_DIR": "1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "matching.gemma_model"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "EmbeddingGemma-300M is not installed" in run.stderr
    assert "multilingual-e5-small" in run.stderr
    assert not (tmp_path / "models" / GEMMA_MODEL).exists()
    chosen = subprocess.run(
        [
            sys.executable,
            "-c",
            "from matching.encoder import default_model; print(default_model())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert chosen.stdout.strip() == SMALL_MODEL


def test_prompts_dimension_and_normalisation(encoder):
    assert encoder.model.prompts["query"] == "task: search result | query: "
    assert encoder.model.prompts["document"] == "title: none | text: "
    vectors = encoder.encode_documents(["Đúc áp lực nhôm ADC12 vỏ đèn LED"])
    assert vectors.shape == (1, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_english_need_finds_the_vietnamese_description(encoder):
    query = encoder.encode_queries(["aluminium die-cast housings for LED lamps"])[0]
    docs = encoder.encode_documents(
        ["Đúc áp lực nhôm vỏ đèn LED", "May áo sơ mi xuất khẩu", "Mạ kẽm bu lông"]
    )
    scores = docs @ query
    assert scores.argmax() == 0, scores


def test_shipped_vectors_cover_the_demo_and_are_this_models(encoder, tmp_path):
    """The demo's and the development set's texts are all in the shipped file (rebuild it
    with ``python -m matching.packaged_vectors`` when this fails), made by this model."""
    shipped = packaged_vectors.lookup(GEMMA_MODEL, encoder.identity)
    assert shipped, "no vectors shipped for this model, or made by another model"
    wanted = packaged_vectors.texts()
    for prompt, texts in wanted.items():
        missing = [t for t in texts if EmbeddingCache.key(GEMMA_MODEL, prompt, t) not in shipped]
        assert not missing, f"{len(missing)} {prompt} texts not shipped, e.g. {missing[:2]}"
    sample = wanted["passage"][:: max(1, len(wanted["passage"]) // 3)][:3]
    live = encoder._encode(sample, "passage", False)
    stored = np.vstack([shipped[EmbeddingCache.key(GEMMA_MODEL, "passage", t)] for t in sample])
    assert ((live * stored).sum(axis=1) > 0.995).all()
    # A cache miss is served from the file without encoding.
    fresh = Encoder(GEMMA_MODEL, cache=EmbeddingCache(tmp_path / "cache.sqlite"))
    fresh.__dict__["model"] = encoder.model
    calls = []
    fresh._encode = lambda texts, *a: calls.append(texts) or encoder._encode(texts, *a)
    fresh.encode_documents(sample)
    assert calls == []
