"""Vietnamese-aware text normalisation shared by the catalog and the matching engine.

Text enters the product in NFC and NFD, with or without diacritics. Everything stored
is NFC; everything compared lexically can also be compared in a *folded* form (no
diacritics, đ → d, lower case) so that "ep nhua" finds "ép nhựa".
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+")
_VI_SPECIFIC = set("ăâđêôơưĂÂĐÊÔƠƯ")
_VI_TONED = re.compile(r"[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
# Frequent unaccented Vietnamese words of this domain, used to spot Vietnamese typed
# without diacritics.
_VI_PLAIN_WORDS = {
    "cong",
    "ty",
    "gia",
    "san",
    "xuat",
    "linh",
    "kien",
    "nhua",
    "khuon",
    "may",
    "thep",
    "cac",
    "loai",
    "chi",
    "tiet",
    "va",
    "cho",
    "voi",
    "theo",
    "yeu",
    "cau",
    "khach",
    "hang",
    "det",
    "nhuom",
    "soi",
    "vai",
    "dap",
    "tien",
    "phay",
    "han",
    "son",
    "ma",
}


def nfc(text: str | None) -> str:
    """NFC-normalise, trim and collapse runs of white space."""
    if not text:
        return ""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


def fold(text: str | None) -> str:
    """Lower-case text without diacritics: the key for diacritics-insensitive matching."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE_RE.sub(" ", stripped.lower()).strip()


_FOLD_TABLE: dict[int, str] = {}


def _fold_table() -> dict[int, str]:
    """Per-character folding for the Latin ranges Vietnamese uses (computed once)."""
    if not _FOLD_TABLE:
        for code in range(0x00C0, 0x2000):
            ch = chr(code)
            folded = fold(ch)
            if len(folded) == 1 and folded != ch:
                _FOLD_TABLE[code] = folded
    return _FOLD_TABLE


def fold_aligned(text: str) -> str:
    """Like ``fold`` for NFC text, but keeping every character's offset.

    The concept tagger finds phrases in the folded text and reads the original
    surface form at the same offsets, so the two must line up one to one.
    """
    out = text.translate(_fold_table())
    lowered = out.lower()
    return lowered if len(lowered) == len(text) else "".join(c.lower()[:1] for c in out)


def has_diacritics(text: str) -> bool:
    return fold(text) != _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


def detect_language(text: str) -> str:
    """Return "vi" or "en": good enough to label capability texts and pick UI hints."""
    text = nfc(text)
    if not text:
        return "vi"
    if any(ch in _VI_SPECIFIC for ch in text) or _VI_TONED.search(text):
        return "vi"
    words = re.findall(r"[a-z]+", text.lower())
    if not words:
        return "en"
    share = sum(w in _VI_PLAIN_WORDS for w in words) / len(words)
    return "vi" if share >= 0.2 else "en"


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits, keeping things like 'ss400', 'm6', '±0.01')."""
    return re.findall(r"[a-z0-9]+(?:[.\-/][a-z0-9]+)*", fold(text))
