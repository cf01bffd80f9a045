"""Vietnamese-aware text normalisation shared by the catalog and the matching engine.

Text enters the product in NFC and NFD, with or without diacritics. Everything stored
is NFC; everything compared lexically can also be compared in a *folded* form (no
diacritics, đ → d, lower case) so that "ep nhua" finds "ép nhựa".

Some characters are never stored (``forbidden_characters``: validation refuses them)
and never written into a file (``literal_text``: every renderer strips them, since rows
written before validation refused them may still hold them).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE_RE = re.compile(r"\s+")
_LINE_SPACE_RE = re.compile(r"[^\S\n]+")
# Characters no stored text may hold, whatever the field: C0 and C1 control characters
# and DEL (tab and line feed aside, which multi-line text keeps), which XML and so XLSX
# refuse, terminals obey and PostgreSQL refuses (NUL); the bidirectional embeddings,
# overrides and isolates U+202A–U+202E and U+2066–U+2069, which make a name read
# otherwise than it is spelt ("Trojan Source"); noncharacters; and unpaired surrogates,
# which no UTF-8 encoder accepts (JSON can carry them as "\ud800").
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
_FORBIDDEN_RE = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff{_NONCHARACTERS}]"
)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
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


def nfc_lines(text: str | None) -> str:
    """Like ``nfc`` for multi-line text (messages): lines are kept, written with "\\n",
    and runs of other white space collapse within each line."""
    if not text:
        return ""
    lines = unicodedata.normalize("NFC", str(text)).splitlines()
    return "\n".join(_LINE_SPACE_RE.sub(" ", line).strip() for line in lines).strip()


def forbidden_characters(text: str) -> list[str]:
    """The characters of ``text`` that no stored text may hold, each once, in order
    (tab and line feed are allowed: single-line fields turn them into spaces)."""
    return list(dict.fromkeys(_FORBIDDEN_RE.findall(text)))


def has_surrogates(text: str) -> bool:
    """True when ``text`` holds an unpaired surrogate: it cannot even be encoded."""
    return _SURROGATE_RE.search(text) is not None


def code_points(chars: list[str]) -> str:
    """ "U+0000, U+202E": characters named so that a message can show invisible ones."""
    return ", ".join(f"U+{ord(ch):04X}" for ch in chars)


def literal_text(text: str) -> str:
    """Stored text as it may be written into any file (PDF, XLSX, CSV, calendar, chart):
    forbidden characters dropped (white-space controls such as a vertical tab become a
    space), an unpaired surrogate shown as U+FFFD. Validation refuses these characters,
    but rows stored before it did may still hold them, and a file must never fail, nor
    carry a control character to its reader, because of one."""
    if not _FORBIDDEN_RE.search(text):
        return text
    return _FORBIDDEN_RE.sub(_literal, text)


def _literal(match: re.Match[str]) -> str:
    char = match.group()
    if has_surrogates(char):
        return "\ufffd"
    return " " if char.isspace() else ""


def fold(text: str | None) -> str:
    """Lower-case text without diacritics: the key for diacritics-insensitive matching."""
    if not text:
        return ""
    text = text if isinstance(text, str) else str(text)
    return _fold_short(text) if len(text) <= SHORT else _fold(text)


SHORT = 32  # a word or a term: the same few thousand folded again and again


@lru_cache(maxsize=1 << 16)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE_RE.sub(" ", stripped.lower()).strip()


def strip_diacritics(text: str | None) -> str:
    """NFC text as typed on a keyboard without diacritics (đ → d), case and spacing kept:
    the demo catalogue writes names and descriptions so, as many firms do."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


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
