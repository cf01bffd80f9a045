"""Legacy TCVN3 (ABC) and VNI text is recognised and repaired; everything else is left alone.

The encoders below are written independently of ``catalog.legacy_encoding`` (a hand
table for TCVN3, the VNI typing rules for VNI), so a round trip checks the module's
tables rather than inverting them.
"""

from __future__ import annotations

import unicodedata

import pytest

from catalog.legacy_encoding import (
    TCVN3_TO_UNICODE,
    VNI_TO_UNICODE,
    detect_legacy,
    from_tcvn3,
    from_vni,
    to_unicode,
    to_unicode_all,
)

# Nothing here reads the database: run in the first pass only (tests/conftest.py).
pytestmark = pytest.mark.no_database

_TONES = {"\u0301": 0, "\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0323": 4}  # á à ả ã ạ
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"

# 67 lower-case letters and 7 capitals, in the order of the code table.
_TCVN3_LETTERS = "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
_TCVN3_CODES = bytes(
    [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE]
    + [0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA]
    + [0xCB, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xDC]
    + [0xDD, 0xDE, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB]
    + [0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA]
    + [0xFB, 0xFC, 0xFD, 0xFE]
).decode("latin-1")
_TCVN3_ENCODE = dict(zip(_TCVN3_LETTERS, _TCVN3_CODES, strict=True))


def _all_vietnamese_letters() -> set[str]:
    letters = {"đ", "Đ"}
    for base in "aăâeêioôơuưy":
        for tone in ("", *_TONES):
            letter = unicodedata.normalize("NFC", base + tone)
            letters |= {letter, letter.upper()}
    return {ch for ch in letters if not ch.isascii()}


def encode_tcvn3(text: str, *, vntimeh: bool = False) -> str:
    """Unicode → TCVN3 as read back through Latin-1.

    With ``vntimeh`` toned capitals use the lower-case code, as typed with the
    upper-case ".VnTimeH" font; without it they are not allowed.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
        elif ch in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch])
        elif vntimeh and ch.lower() in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch.lower()])
        else:
            raise ValueError(f"{ch!r} has no TCVN3 code")
    return "".join(out)


def encode_vni(text: str) -> str:
    """Unicode → VNI (base letter + mark characters) as read back through Latin-1."""
    tone_marks = "ùøûõï"
    circumflex_tone = "áàåãä"
    breve_tone = "éèúüë"
    i_tone = "íìæóò"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
            continue
        if ch in "đĐ":
            out.append("ñ" if ch == "đ" else "Ñ")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        case = str.upper if base.isupper() else str.lower
        tone = next((_TONES[m] for m in marks if m in _TONES), None)
        if base in "iI":
            out.append(case(i_tone[tone]))
        elif base in "yY" and tone == 4:
            out.append(case("î"))
        elif _HORN in marks:
            out.append(case("ô" if base in "oO" else "ö"))
            if tone is not None:
                out.append(case(tone_marks[tone]))
        elif _CIRCUMFLEX in marks:
            out.append(base + case("â" if tone is None else circumflex_tone[tone]))
        elif _BREVE in marks:
            out.append(base + case("ê" if tone is None else breve_tone[tone]))
        else:
            out.append(base + case(tone_marks[tone]))
    return "".join(out)


TCVN3_SENTENCES = [
    "Công ty TNHH Cơ khí chính xác Thái Nguyên",
    "Điều 2. Sở Công Thương tỉnh Hưng Yên chịu trách nhiệm hướng dẫn thực hiện",
    "Khu công nghiệp Tiền Hải, huyện Tiền Hải, tỉnh Thái Bình",
    "Sản xuất linh kiện nhựa ép phun, khuôn mẫu và dập kim loại tấm",
    "Công ty cổ phần may mặc xuất khẩu Vĩnh Phúc",
    "Doanh nghiệp hỗ trợ đạt chứng nhận ISO 9001 năm 2023, ông Nguyễn Văn Đức làm giám đốc",
    "Ăn mòn điện hóa được khắc phục bằng mạ kẽm nhúng nóng; Ơn, Ưng, Âu, Ê-đê",
]
VNI_SENTENCES = [
    *TCVN3_SENTENCES,
    "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN",
    "Ứng dụng công nghệ cao trong sản xuất linh kiện điện tử",
    "Trường Đại học Kỹ thuật Công nghiệp, thị xã Mỹ Hào",
    "Quỳnh Phụ, Kiến Xương, Đông Hưng: ĐẶC ĐIỂM KỸ THUẬT, ỔN ĐỊNH, ỞỠỢỜỚ ỪỬỮỰ ỲỶỸÝỴ",
]


def test_tables_cover_every_vietnamese_letter():
    letters = _all_vietnamese_letters()
    assert len(letters) == 134
    assert set(VNI_TO_UNICODE.values()) == letters
    lower_and_capitals = {ch for ch in letters if ch.islower()} | set("ĂÂĐÊÔƠƯ")
    assert set(TCVN3_TO_UNICODE.values()) == lower_and_capitals
    assert {k: v for v, k in _TCVN3_ENCODE.items()} == TCVN3_TO_UNICODE


@pytest.mark.parametrize("sentence", TCVN3_SENTENCES)
def test_tcvn3_round_trip(sentence):
    legacy = encode_tcvn3(sentence)
    assert legacy != sentence
    assert detect_legacy(legacy) == "tcvn3"
    assert from_tcvn3(legacy) == unicodedata.normalize("NFC", sentence)
    assert to_unicode(legacy) == (sentence, "tcvn3")


@pytest.mark.parametrize(
    "sentence", ["CÔNG TY TNHH SẢN XUẤT NHỰA", "SỞ CÔNG THƯƠNG TỈNH VĨNH PHÚC"]
)
def test_tcvn3_upper_case_font_round_trip(sentence):
    legacy = encode_tcvn3(sentence, vntimeh=True)
    assert to_unicode(legacy) == (sentence, "tcvn3")


@pytest.mark.parametrize("sentence", VNI_SENTENCES)
def test_vni_round_trip(sentence):
    legacy = encode_vni(sentence)
    assert legacy != sentence
    assert detect_legacy(legacy) == "vni"
    assert from_vni(legacy) == unicodedata.normalize("NFC", sentence)
    assert to_unicode(legacy) == (sentence, "vni")


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("C«ng ty TNHH", "Công ty TNHH"),
        ("Tr¸ch nhiÖm h÷u h¹n", "Trách nhiệm hữu hạn"),
        ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
        ("QuyÕt ®Þnh cña UBND tØnh Th¸i Nguyªn", "Quyết định của UBND tỉnh Thái Nguyên"),
        ("§iÒu 1. Phª duyÖt KÕ ho¹ch", "Điều 1. Phê duyệt Kế hoạch"),
        ("Nhµ n\u00adíc", "Nhà nước"),
    ],
)
def test_known_tcvn3_mojibake(legacy, expected):
    assert to_unicode(legacy) == (expected, "tcvn3")


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("Coâng ty coå phaàn", "Công ty cổ phần"),
        ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
        ("Tröôøng ñaïi hoïc kyõ thuaät", "Trường đại học kỹ thuật"),
        ("COÂNG TY TNHH SAÛN XUAÁT", "CÔNG TY TNHH SẢN XUẤT"),
        ("tænh Vónh Phuùc", "tỉnh Vĩnh Phúc"),
    ],
)
def test_known_vni_mojibake(legacy, expected):
    assert to_unicode(legacy) == (expected, "vni")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0123456789",
        "2024-06-01 12:30",
        "Công ty cổ phần Cơ khí Thái Nguyên",
        "Sở Công Thương tỉnh Hưng Yên",
        "Cà phê",
        "Công ty Nam Á",
        "Precision CNC machining of aluminium housings, ISO 9001",
        "café crème",
        "Crème brûlée à la française, déjà vu",
        "naïve résumé",
        "São Paulo, España, Zoë, Müller, Straße",
        "Price: 10 £ (© 2020) ± 0.01 mm",
        "§III.2.4 of the Thái Nguyên plan",
        "«Bonjour»",
    ],
)
def test_other_text_is_left_alone(text):
    assert detect_legacy(text) is None
    assert to_unicode(text) == (text, None)


def test_nfd_unicode_is_not_legacy_and_comes_back_nfc():
    nfd = unicodedata.normalize("NFD", "Khu công nghiệp Cầu Nghìn")
    assert detect_legacy(nfd) is None
    assert to_unicode(nfd) == ("Khu công nghiệp Cầu Nghìn", None)


def test_converters_leave_plain_ascii_alone():
    for convert in (from_tcvn3, from_vni):
        assert convert("Cong ty TNHH ABC, 123") == "Cong ty TNHH ABC, 123"
        assert convert("") == ""


def test_cells_of_one_file_are_detected_together():
    cells = ["Bông", "Mex dựng", "Công ty TNHH Dệt may Hưng Yên", "", "KCN Phố Nối A"]
    assert detect_legacy(encode_tcvn3("Bông")) is None  # too little evidence alone
    assert to_unicode_all([encode_tcvn3(c) for c in cells]) == (cells, "tcvn3")
    assert to_unicode_all([encode_vni(c) for c in cells]) == (cells, "vni")
    assert to_unicode_all(cells) == (cells, None)
