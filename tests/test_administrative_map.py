"""The 2025 administrative map (Resolution 202/2025/QH15) as the data file states it.

Pure checks of catalog/data/administrative_map.json, no database: the 34 current units,
the 63 former provinces each inside the right one, no zone of the old provinces file
lost, and no name an old file may write that could land in two places. The folding here
is the resolver's contract (diacritics, case, spaces and punctuation, and the prefixes
"tỉnh", "thành phố", "TP" ignored), written out again so the file is checked on its own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from importlib import resources
from typing import Any

import pytest

pytestmark = pytest.mark.no_database

UNCHANGED = {
    "Hà Nội": "Hà Nội",
    "Huế": "Thừa Thiên Huế",
    "Lai Châu": "Lai Châu",
    "Điện Biên": "Điện Biên",
    "Sơn La": "Sơn La",
    "Lạng Sơn": "Lạng Sơn",
    "Quảng Ninh": "Quảng Ninh",
    "Thanh Hóa": "Thanh Hóa",
    "Nghệ An": "Nghệ An",
    "Hà Tĩnh": "Hà Tĩnh",
    "Cao Bằng": "Cao Bằng",
}
# Resolution 202/2025/QH15: the current unit keeps the name of the first province listed.
MERGES = {
    "Tuyên Quang": ["Tuyên Quang", "Hà Giang"],
    "Lào Cai": ["Lào Cai", "Yên Bái"],
    "Thái Nguyên": ["Thái Nguyên", "Bắc Kạn"],
    "Phú Thọ": ["Phú Thọ", "Vĩnh Phúc", "Hòa Bình"],
    "Bắc Ninh": ["Bắc Ninh", "Bắc Giang"],
    "Hưng Yên": ["Hưng Yên", "Thái Bình"],
    "Hải Phòng": ["Hải Phòng", "Hải Dương"],
    "Ninh Bình": ["Ninh Bình", "Hà Nam", "Nam Định"],
    "Quảng Trị": ["Quảng Trị", "Quảng Bình"],
    "Đà Nẵng": ["Đà Nẵng", "Quảng Nam"],
    "Quảng Ngãi": ["Quảng Ngãi", "Kon Tum"],
    "Gia Lai": ["Gia Lai", "Bình Định"],
    "Khánh Hòa": ["Khánh Hòa", "Ninh Thuận"],
    "Lâm Đồng": ["Lâm Đồng", "Đắk Nông", "Bình Thuận"],
    "Đắk Lắk": ["Đắk Lắk", "Phú Yên"],
    "TP. Hồ Chí Minh": ["TP. Hồ Chí Minh", "Bình Dương", "Bà Rịa – Vũng Tàu"],
    "Đồng Nai": ["Đồng Nai", "Bình Phước"],
    "Tây Ninh": ["Tây Ninh", "Long An"],
    "Cần Thơ": ["Cần Thơ", "Sóc Trăng", "Hậu Giang"],
    "Vĩnh Long": ["Vĩnh Long", "Bến Tre", "Trà Vinh"],
    "Đồng Tháp": ["Đồng Tháp", "Tiền Giang"],
    "Cà Mau": ["Cà Mau", "Bạc Liêu"],
    "An Giang": ["An Giang", "Kiên Giang"],
}
# The old provinces file's codes and the current unit each now belongs to: old rows map by code.
DEMO_CODES = {
    "TN": "TN", "TB": "HY", "HY": "HY", "VP": "PT", "HN": "HN", "BN": "BN", "HP": "HP",
    "HD": "HP", "BG": "BN", "PT": "PT", "HCM": "HCM", "BD": "HCM", "DN": "DN", "DNG": "DNG",
}  # fmt: skip
# Spellings old files and people actually write, and the former province they mean.
SPELLINGS = {
    "TP.HCM": "HCM", "TPHCM": "HCM", "tp hcm": "HCM", "HCM": "HCM", "HCMC": "HCM",
    "Sài Gòn": "HCM", "Saigon": "HCM", "Ho Chi Minh City": "HCM", "Thành phố Hồ Chí Minh": "HCM",
    "BN": "BN", "VP": "VP", "Vinh Phuc": "VP", "tỉnh Vĩnh Phúc": "VP", "Vinh Yen": "VP",
    "Phúc Yên": "VP", "BRVT": "BRVT", "Vũng Tàu": "BRVT", "Bà Rịa - Vũng Tàu": "BRVT",
    "Bà Rịa – Vũng Tàu": "BRVT", "Thừa Thiên - Huế": "HUE", "TT Huế": "HUE", "Huế": "HUE",
    "Đắc Lắc": "DLK", "Dak Lak": "DLK", "Hoà Bình": "HB", "Hòa Bình": "HB", "Thanh Hoá": "TH",
    "Khánh Hoà": "KH", "Bắc Cạn": "BK", "Hanoi": "HN", "Danang": "DNG", "Kontum": "KT",
    "Đắk Nông": "DNO", "Dak Nong": "DNO", "Thái Bình": "TB", "Tiền Hải": "TB", "Bắc Giang": "BG",
    "Hải Dương": "HD", "Thủ Dầu Một": "BD", "Biên Hòa": "DN",
}  # fmt: skip
# Former provinces whose districts and towns must be known (the seed provinces' units).
WITH_PLACES = ("TN", "BK", "HY", "TB", "PT", "VP", "HB", "BN", "BG", "HP", "HD", "BD", "DN", "HN")
_PREFIX_RE = re.compile(r"^(?:tinh|thanh\s*pho|tp)(?=[\s.\-–]|$)[\s.\-–]*")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_TONE_SWAPS = {"Hòa": "Hoà", "Hóa": "Hoá", "Thủy": "Thuỷ", "Thụy": "Thuỵ"}


def fold(text: str) -> str:
    """The resolver's key: no diacritics (đ → d), lower case, no administrative prefix,
    no spaces or punctuation."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().strip()
    return _NON_ALNUM_RE.sub("", _PREFIX_RE.sub("", text))


def _data(name: str) -> Any:
    return json.loads(resources.files("catalog").joinpath("data", name).read_text("utf-8"))


@pytest.fixture(scope="module")
def units() -> list[dict[str, Any]]:
    doc = _data("administrative_map.json")
    assert doc["version"] >= 1 and doc["about"]
    return doc["provinces"]


@pytest.fixture(scope="module")
def formers(units) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Former province code -> (former province, current unit)."""
    return {f["code"]: (f, unit) for unit in units for f in unit["former"]}


@pytest.fixture(scope="module")
def former_index(units) -> dict[str, set[str]]:
    """Folded code, name, alias or place -> codes of the former provinces it names."""
    index: dict[str, set[str]] = defaultdict(set)
    for unit in units:
        for f in unit["former"]:
            for text in [f["code"], f["name_vi"], f["name_en"], *f["aliases"], *f["places"]]:
                index[fold(text)].add(f["code"])
    return index


def _strings(node: Any):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_34_current_units_with_unique_codes_and_todays_codes_kept(units):
    assert len(units) == 34
    codes = [u["code"] for u in units]
    assert len(set(codes)) == 34
    assert all(re.fullmatch(r"[A-Z]{2,5}", c) for c in codes)
    assert {"TN", "HY", "PT", "HN", "BN", "HP", "HCM", "DN", "DNG"} <= set(codes)
    assert len({u["name_vi"] for u in units}) == 34
    assert set(UNCHANGED) | set(MERGES) == {u["name_vi"] for u in units}
    for unit in units:
        assert unit["name_en"] and unit["name_en"].isascii() and unit["region"]
        assert 8.0 < unit["lat"] < 23.5 and 102.0 < unit["lon"] < 110.0


def test_63_former_provinces_with_unique_codes(units, formers):
    codes = [f["code"] for u in units for f in u["former"]]
    assert len(codes) == 63
    assert len(set(codes)) == 63
    assert all(re.fullmatch(r"[A-Z]{2,5}", c) for c in codes)
    assert len({f["name_vi"] for f, _ in formers.values()}) == 63
    for f, _ in formers.values():
        assert f["name_en"] and f["name_en"].isascii()
        assert 8.0 < f["lat"] < 23.5 and 102.0 < f["lon"] < 110.0


def test_old_codes_land_in_their_current_unit(formers):
    for old_code, current_code in DEMO_CODES.items():
        assert formers[old_code][1]["code"] == current_code, old_code


def test_unchanged_units_have_themselves_as_only_former(units):
    by_name = {u["name_vi"]: u for u in units}
    for name, former_name in UNCHANGED.items():
        assert [f["name_vi"] for f in by_name[name]["former"]] == [former_name], name


def test_merged_units_list_exactly_the_provinces_of_the_resolution(units):
    by_name = {u["name_vi"]: u for u in units}
    for name, former_names in MERGES.items():
        assert [f["name_vi"] for f in by_name[name]["former"]] == former_names, name
    assert sum(len(v) for v in MERGES.values()) + len(UNCHANGED) == 63


def test_current_seat_is_a_former_provinces_seat(units):
    """A merged unit's seat is one of its former provinces' (Phú Thọ at Việt Trì, the new
    Bắc Ninh at the former Bắc Giang's seat…), not a point in between."""
    for unit in units:
        assert any(
            abs(unit["lat"] - f["lat"]) < 0.05 and abs(unit["lon"] - f["lon"]) < 0.05
            for f in unit["former"]
        ), unit["name_vi"]


def test_every_zone_the_demo_places_firms_in_is_under_its_former_province(formers):
    """The demo catalogue names its zones by the province codes of before 2025 (the
    pre-2025 list of 14 provinces and their zones it was written for)."""
    demo = json.loads(
        resources.files("catalog").joinpath("data", "demo", "vocabulary.json").read_text("utf-8")
    )["zones"]
    assert len(demo) == 14
    for code, names in demo.items():
        former, _ = formers[code]
        kept = {z["name"] for z in former["zones"]}
        for name in names:
            assert unicodedata.normalize("NFC", name) in kept, (code, name)


def test_zones_are_well_formed_and_unique_within_a_current_unit(units, formers):
    for unit in units:
        names = [z["name"] for f in unit["former"] for z in f["zones"]]
        assert len(names) == len(set(names)), unit["code"]
        for f in unit["former"]:
            for z in f["zones"]:
                assert set(z) == {"kind", "name", "name_en", "district"}
                assert z["kind"] in ("KCN", "CCN") and z["name"] and z["district"]
                assert z["name_en"].isascii()
    # The zones the seed provinces' programmes speak of, beyond the old file.
    expected = {
        "VP": {"Khai Quang", "Bình Xuyên", "Bình Xuyên II", "Bá Thiện", "Bá Thiện II",
               "Thăng Long Vĩnh Phúc", "Tam Dương II", "Sơn Lôi", "Chấn Hưng"},
        "HB": {"Lương Sơn", "Bờ trái Sông Đà"},
        "PT": {"Thụy Vân", "Phú Hà", "Trung Hà"},
        "TB": {"Tiền Hải", "Cầu Nghìn", "Phúc Khánh", "Gia Lễ", "TBS Sông Trà", "Liên Hà Thái"},
        "BK": {"Thanh Bình"},
    }  # fmt: skip
    for code, names in expected.items():
        assert names <= {z["name"] for z in formers[code][0]["zones"]}, code


def test_no_spelling_resolves_to_two_former_provinces(former_index):
    ambiguous = {key: codes for key, codes in former_index.items() if len(codes) > 1}
    assert not ambiguous
    assert "" not in former_index


def test_current_unit_names_never_name_a_former_province_of_another_unit(units, former_index):
    owner: dict[str, str] = {}
    for unit in units:
        own = {f["code"] for f in unit["former"]}
        for text in [unit["code"], unit["name_vi"], unit["name_en"], *unit.get("aliases", [])]:
            key = fold(text)
            assert owner.setdefault(key, unit["code"]) == unit["code"], text
            assert former_index.get(key, set()) <= own, (unit["code"], text)


def test_the_spellings_of_old_files_resolve_to_the_right_former_province(formers, former_index):
    for text, code in SPELLINGS.items():
        assert former_index.get(fold(text)) == {code}, text
    # Every pre-2025 name, with and without diacritics, and with either tone placement
    # written out where both are in use ("Hòa Bình" / "Hoà Bình").
    for f, _ in formers.values():
        assert former_index[fold(f["name_vi"])] == {f["code"]}
        assert f["name_en"].isascii()
        spelled = {f["name_vi"], *f["aliases"]}
        for new, old in _TONE_SWAPS.items():
            if new in f["name_vi"]:
                assert f["name_vi"].replace(new, old) in spelled, f["name_vi"]


def test_former_districts_and_towns_are_known_for_the_seed_units(formers):
    for code in WITH_PLACES:
        assert len(formers[code][0]["places"]) >= 5, code
    assert {
        "Vĩnh Yên", "Phúc Yên", "Bình Xuyên", "Tam Dương", "Tam Đảo", "Lập Thạch", "Sông Lô",
        "Vĩnh Tường", "Yên Lạc",
    } <= set(formers["VP"][0]["places"])  # fmt: skip


def test_every_string_is_nfc(units):
    for text in _strings(units):
        assert unicodedata.normalize("NFC", text) == text, text
