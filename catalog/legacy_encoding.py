"""Recognise and repair Vietnamese text typed in the legacy TCVN3 (ABC) and VNI encodings.

Provincial officers still keep firm lists in spreadsheets typed with the ".VnTime"
(TCVN3, also called ABC) or "VNI-Times" fonts. Those files store Vietnamese letters as
ordinary 8-bit characters, so once read as Unicode (Windows-1252/Latin-1) they appear as
mojibake: "C«ng ty TNHH" (TCVN3) or "Coâng ty coå phaàn" (VNI) instead of "Công ty TNHH"
and "Công ty cổ phần". Imported firm names and capability texts must be repaired before
they are stored, or the catalog search and the concept tagger would never find them.

* TCVN3 (TCVN 5712:1993, VN3) gives every lower-case Vietnamese letter one byte in
  0xA8-0xFE. Only the capitals Ă Â Đ Ê Ô Ơ Ư have their own bytes (0xA1-0xA7); other
  toned capitals exist only by switching to the upper-case ".VnTimeH" font, which reuses
  the lower-case bytes. A word whose plain letters are all capitals is therefore read as
  upper case ("C«NG" → "CÔNG").
* VNI writes a base letter followed by one mark character ("a" + "ù" → "á",
  "o" + "â" → "ô", "a" + "á" → "ấ"); ơ, ư, đ and the toned i and ỵ are single characters.

Detection is deliberately conservative: genuine Unicode Vietnamese, English, French
("café crème") and text with a few stray symbols are left alone. A candidate encoding is
accepted only if converting turns words that are not Vietnamese into valid Vietnamese
syllables, preferably common ones ("công ty", "sản xuất", "trách nhiệm hữu hạn", ...).
"""

from __future__ import annotations

import re
import unicodedata

TCVN3 = "tcvn3"
VNI = "vni"

# --- TCVN3 (ABC) -------------------------------------------------------------------------
# Byte value → Unicode letter; the byte is read as the Latin-1 character with that code.
_TCVN3_BYTES: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
TCVN3_TO_UNICODE: dict[str, str] = {chr(code): ch for code, ch in _TCVN3_BYTES.items()}
_TCVN3_TABLE = str.maketrans(TCVN3_TO_UNICODE)

# --- VNI ---------------------------------------------------------------------------------
# Marks written after a base vowel, as (lower-case, upper-case) mark characters.
_TONES = ("acute", "grave", "hook", "tilde", "dot")
_VNI_TONE = {"acute": ("ù", "Ù"), "grave": ("ø", "Ø"), "hook": ("û", "Û"),
             "tilde": ("õ", "Õ"), "dot": ("ï", "Ï")}  # fmt: skip
_VNI_CIRCUMFLEX = ("â", "Â")
_VNI_CIRCUMFLEX_TONE = {"acute": ("á", "Á"), "grave": ("à", "À"), "hook": ("å", "Å"),
                        "tilde": ("ã", "Ã"), "dot": ("ä", "Ä")}  # fmt: skip
_VNI_BREVE = ("ê", "Ê")
_VNI_BREVE_TONE = {"acute": ("é", "É"), "grave": ("è", "È"), "hook": ("ú", "Ú"),
                   "tilde": ("ü", "Ü"), "dot": ("ë", "Ë")}  # fmt: skip
# Letters that VNI writes as one character.
_VNI_SINGLE = {
    "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "ñ": "đ", "Ñ": "Đ",
    "í": "í", "Í": "Í", "ì": "ì", "Ì": "Ì", "æ": "ỉ", "Æ": "Ỉ",
    "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ",
}  # fmt: skip
_COMBINING = {
    "acute": "\u0301",
    "grave": "\u0300",
    "hook": "\u0309",
    "tilde": "\u0303",
    "dot": "\u0323",
    "circumflex": "\u0302",
    "breve": "\u0306",
}


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(_COMBINING[m] for m in marks))


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(base: str, mark_pair: tuple[str, str], letter: str) -> None:
        # The mark is normally in the base letter's case; accept either.
        for mark in mark_pair:
            table[base + mark] = letter

    for lower in "aeouy":
        for base in (lower, lower.upper()):
            for tone in _TONES:
                add(base, _VNI_TONE[tone], _compose(base, tone))
    for lower in "aeo":
        for base in (lower, lower.upper()):
            add(base, _VNI_CIRCUMFLEX, _compose(base, "circumflex"))
            for tone in _TONES:
                add(base, _VNI_CIRCUMFLEX_TONE[tone], _compose(base, "circumflex", tone))
    for base in ("a", "A"):
        add(base, _VNI_BREVE, _compose(base, "breve"))
        for tone in _TONES:
            add(base, _VNI_BREVE_TONE[tone], _compose(base, "breve", tone))
    for single, horn in (("ô", "ơ"), ("Ô", "Ơ"), ("ö", "ư"), ("Ö", "Ư")):
        for tone in _TONES:
            add(single, _VNI_TONE[tone], _compose(horn, tone))
    # In VNI ỵ is the single character "î"; "y" + dot is not used.
    for pair in ("yï", "yÏ", "Yï", "YÏ"):
        del table[pair]
    table.update(_VNI_SINGLE)
    return table


VNI_TO_UNICODE: dict[str, str] = _build_vni()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(VNI_TO_UNICODE, key=len, reverse=True)))

# --- Vietnamese plausibility -------------------------------------------------------------
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SYLLABLE_RE = re.compile(
    r"(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?"
    # Nuclei ending in a glide take no final consonant ...
    r"(?:(uya|uyu|iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|"
    r"ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu)"
    # ... the others may have one.
    r"|(uyê|iê|yê|uô|ươ|oa|oă|oe|uâ|uê|uy|uơ|oo|a|ă|â|e|ê|i|o|ô|ơ|u|ư|y)(ch|ng|nh|[cmnpt])?)"
)
# Frequent syllables of firm names, addresses and capability texts.
_COMMON_TEXT = (
    "công ty trách nhiệm hữu hạn cổ phần sản xuất thương mại dịch vụ tỉnh thành phố huyện "
    "xã phường khu cụm nghiệp và của các cho được những người việt nam hà nội thái nguyên "
    "bình hưng yên vĩnh phúc điện tử cơ khí nhựa may mặc giày dép linh kiện phụ tùng gia "
    "chế tạo hỗ trợ doanh số điện thoại địa chỉ đường quốc lộ số lượng chất kỹ thuật máy "
    "đầu tư xuất nhập khẩu một với trong theo đã có là không này tại từ đến năm nhà nước "
    "ủy ban nhân dân quyết định điều kế hoạch phát triển ngành hàng"
)
_COMMON = frozenset(_COMMON_TEXT.split())
_WORD_RE = re.compile(r"(?:[^\W\d_]|[\u00a1-\u00bf\u00d7\u00f7])+")
_VI_ONLY = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9]")


def _is_syllable(word: str) -> bool:
    """True if ``word`` is a well-formed Vietnamese syllable (tone placement not checked).

    A capital after a small letter ("ViÖt", "lÒ") is mojibake, not a syllable.
    """
    if any(c.isupper() for c in word[1:]) and any(c.islower() for c in word):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(ch in _TONE_MARKS for ch in decomposed)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    return _SYLLABLE_RE.fullmatch(bare) is not None


def _nonascii_words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text) if not w.isascii()]


# --- Conversion --------------------------------------------------------------------------
def _upper_words_for_vntimeh(original: str, converted: str) -> str:
    """Upper-case converted letters in words typed in capitals (the ".VnTimeH" font).

    A word counts as capitals if its plain letters are all upper case and there are two
    of them, or if the whole text is written in capitals.
    """
    letters = [c for c in original if c.isascii() and c.isalpha()]
    all_caps = len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        plain = [c for c in original[match.start() : match.end()] if c.isascii() and c.isalpha()]
        if all(c.isupper() for c in plain) and (len(plain) >= 2 or all_caps):
            return word.upper()
        return word

    return _WORD_RE.sub(fix, converted)


def from_tcvn3(text: str) -> str:
    """Convert TCVN3 (ABC) mojibake to NFC Unicode, whether or not it looks like TCVN3."""
    if not text:
        return text
    converted = text.translate(_TCVN3_TABLE)
    # TCVN3 maps one character to one character, so offsets line up.
    converted = _upper_words_for_vntimeh(text, converted)
    return unicodedata.normalize("NFC", converted)


def from_vni(text: str) -> str:
    """Convert VNI mojibake to NFC Unicode, whether or not it looks like VNI."""
    if not text:
        return text
    return unicodedata.normalize("NFC", _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group(0)], text))


_CONVERTERS = {TCVN3: from_tcvn3, VNI: from_vni}


def _score(text: str, converted: str) -> float:
    """How convincingly ``converted`` is Vietnamese that ``text`` was not; 0 = not at all."""
    if converted == text:
        return 0.0
    before = _nonascii_words(text)
    after = _nonascii_words(converted)
    if not after:
        return 0.0
    valid_before = sum(_is_syllable(w) for w in before) / len(before) if before else 0.0
    valid_after_words = [w for w in after if _is_syllable(w)]
    valid_after = len(valid_after_words) / len(after)
    if valid_after < 0.8 or valid_after < valid_before + 0.3:
        return 0.0
    # Evidence: repaired words of two or more letters, and common syllables.
    strong = sum(len(w) >= 2 for w in valid_after_words)
    common = sum(w.lower() in _COMMON for w in valid_after_words)
    score = strong + 2 * common
    # Two repaired words suffice when every repaired word is Vietnamese and none was before.
    needed = 2 if valid_after == 1.0 and valid_before == 0.0 else 3
    return float(score) if score >= needed else 0.0


def detect_legacy(text: str) -> str | None:
    """Return "tcvn3" or "vni" if ``text`` looks like that legacy encoding, else None."""
    if not text or text.isascii():
        return None
    text = unicodedata.normalize("NFC", text)
    if _VI_ONLY.search(text):
        # Letters that only Unicode can hold (ă, ơ, ư, đ, ạ, ...): already Unicode.
        return None
    best, best_score = None, 0.0
    for name, convert in _CONVERTERS.items():
        score = _score(text, convert(text))
        if score > best_score:
            best, best_score = name, score
    return best


def to_unicode_all(texts: list[str]) -> tuple[list[str], str | None]:
    """Convert the cells of one file together: detection on all of them, so short cells
    ("B«ng", "Coâng") are repaired when the file as a whole is clearly legacy text."""
    encoding = detect_legacy("\n".join(texts))
    if encoding is None:
        return [unicodedata.normalize("NFC", t) if t else t for t in texts], None
    return [_CONVERTERS[encoding](t) for t in texts], encoding


def to_unicode(text: str) -> tuple[str, str | None]:
    """Return ``(NFC text, detected encoding)``; text not in a legacy encoding is kept."""
    if not text:
        return text, None
    encoding = detect_legacy(text)
    if encoding is None:
        return unicodedata.normalize("NFC", text), None
    return _CONVERTERS[encoding](text), encoding
