"""The resolver of places (catalog.places): any name, code or town of either map lands in
the current unit, with the former province when the text named one."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from catalog import services
from catalog.models import Firm, FormerProvince, Province
from catalog.places import place_key, resolve_place
from catalog.queries import DirectoryFilters, supplier_query
from catalog.validation import province_ref
from matching.directory import _place_query
from tests.conftest import fresh_tax_code


@pytest.mark.parametrize(
    "text, unit, former",
    [
        ("Vĩnh Phúc", "PT", "VP"),
        ("Vinh Phuc", "PT", "VP"),
        ("VINH PHUC", "PT", "VP"),
        ("VP", "PT", "VP"),
        ("vp", "PT", "VP"),
        ("Tỉnh Vĩnh Phúc", "PT", "VP"),
        ("Vinh Yen", "PT", "VP"),  # a town of former Vĩnh Phúc
        ("Huyện Bình Xuyên", "PT", "VP"),
        ("Thai Binh", "HY", "TB"),
        ("Hải Dương", "HP", "HD"),
        ("Bac Giang", "BN", "BG"),
        ("Bình Dương", "HCM", "BD"),
        ("Bac Kan", "TN", "BK"),
        ("Phú Thọ", "PT", None),  # today's unit: which former province is not said
        ("TP.HCM", "HCM", None),
        ("tp hcm", "HCM", None),
        ("TPHCM", "HCM", None),
        ("Ho Chi Minh City", "HCM", None),
        ("HCMC", "HCM", None),
        ("Thành phố Hà Nội", "HN", None),
        ("Hanoi", "HN", None),
        ("  thai  nguyen ", "TN", None),
    ],
)
def test_names_of_either_map_land_in_the_current_unit(session, text, unit, former):
    place = resolve_place(session, text)
    assert place is not None, text
    assert place.province.code == unit
    assert (place.former.code if place.former else None) == former
    assert place.matched == text.strip()


@pytest.mark.parametrize("text", ["", "   ", "Atlantis", "Tỉnh", "TP.", "Vinh Phuc Yen Bai", None])
def test_unknown_text_is_none(session, text):
    assert resolve_place(session, text) is None


def test_a_name_of_two_places_is_ambiguous(session):
    """A town name two former provinces both list resolves to neither."""
    unit = session.scalar(select(Province).where(Province.code == "TN"))
    assert resolve_place(session, "Vĩnh Yên").former.code == "VP"
    session.add(
        FormerProvince(
            code="ZZ" + uuid.uuid4().hex[:4].upper(),
            name_vi="Tỉnh Thử Nghiệm",
            name_en="Test Former",
            province=unit,
            aliases=[],
            places=["Vĩnh Yên"],
        )
    )
    session.flush()  # a new former province: the index is built again
    try:
        assert resolve_place(session, "Vinh Yen") is None
        assert resolve_place(session, "Tỉnh Thử Nghiệm").province.code == "TN"
    finally:
        session.rollback()
    assert resolve_place(session, "Vinh Yen").former.code == "VP"


def test_labels_say_the_former_province():
    unit = Province(code="PT", name_vi="Phú Thọ", name_en="Phu Tho")
    vp = FormerProvince(code="VP", name_vi="Vĩnh Phúc", name_en="Vinh Phuc")
    same = FormerProvince(code="PT", name_vi="Phú Thọ", name_en="Phu Tho")
    from catalog.places import Place

    assert Place(unit, vp, "VP").label("vi") == "Phú Thọ — Vĩnh Phúc cũ"
    assert Place(unit, vp, "VP").label("en") == "Phu Tho — former Vinh Phuc"
    assert Place(unit, vp, "VP").renamed
    assert Place(unit, same, "Phú Thọ").label("en") == "Phu Tho"
    assert not Place(unit, same, "Phú Thọ").renamed
    assert Place(unit, None, "PT").label("vi") == "Phú Thọ"


def test_keys_ignore_prefixes_marks_and_spacing():
    assert place_key("TP. Hồ Chí Minh") == place_key("thanh pho ho chi minh") == "hochiminh"
    assert place_key("Tỉnh Bà Rịa – Vũng Tàu") == "bariavungtau"
    assert place_key("Huyện Bình Xuyên", town=True) == "binhxuyen"


def test_province_ref_accepts_old_names_and_keeps_its_contract(session):
    parse = province_ref(session)
    pt = session.scalar(select(Province).where(Province.code == "PT"))
    assert parse("Vĩnh Phúc") == parse("Vinh Yen") == parse("PT") == parse(pt.id) == pt.id
    assert parse("TP.HCM") == session.scalar(select(Province.id).where(Province.code == "HCM"))
    with pytest.raises(ValueError):
        parse("Atlantis")


def _firm(session, **fields) -> Firm:
    return services.create_firm(
        session,
        {
            "role": "supplier",
            "name_vi": f"Công ty TNHH Địa Bàn {uuid.uuid4().hex[:8]}",
            "tax_code": fresh_tax_code(),
            **fields,
        },
    )


def test_a_firm_given_an_old_name_keeps_its_former_province(session):
    firm = _firm(session, province="Vinh Phuc")
    assert (firm.province.code, firm.former_province.code) == ("PT", "VP")
    assert firm.place_label("vi") == "Phú Thọ — Vĩnh Phúc cũ"
    # Today's name keeps the former province the firm had.
    services.update_firm(session, firm, {"province": "Phú Thọ"})
    assert firm.former_province.code == "VP"
    # A zone of another former province inside the unit tells where it is.
    services.update_firm(session, firm, {"province": "PT", "zone": "KCN Thụy Vân"})
    assert (firm.zone.name, firm.former_province.code) == ("Thụy Vân", "PT")
    # A zone given by name resolves inside the current unit, whatever map named it.
    other = _firm(session, province="VP", zone="Khai Quang")
    assert (other.province.code, other.zone.name, other.former_province.code) == (
        "PT",
        "Khai Quang",
        "VP",
    )


def test_a_firm_of_an_unchanged_unit_gets_its_only_former_province(session):
    firm = _firm(session, province="HN")
    assert firm.former_province.code == "HN"
    assert firm.place_label("en") == "Ha Noi"
    merged = _firm(session, province="PT")  # three former provinces: not known
    assert merged.former_province is None


def test_the_directory_filters_and_searches_by_an_old_name(client, session):
    firm = _firm(session, province="Thái Bình", name_vi="Công ty TNHH Cơ Khí Đông Hưng Thử")
    found = session.scalars(supplier_query(DirectoryFilters(province="TB"))).all()
    assert firm in found
    assert {f.former_province.code for f in found} == {"TB"}
    assert {f.province.code for f in found} == {"HY"}
    unit = session.scalars(supplier_query(DirectoryFilters(province="HY"))).all()
    assert set(found) < set(unit)  # Hưng Yên holds former Thái Bình and former Hưng Yên
    # A search that is a province's old name filters by it.
    assert _place_query(session, DirectoryFilters(), "thai binh") == (
        DirectoryFilters(province="TB"),
        "",
    )
    assert _place_query(session, DirectoryFilters(), "ép nhựa ABS")[1] == "ép nhựa ABS"
    page = client.get("/suppliers/?province=TB").get_data(as_text=True)
    assert "Hưng Yên — Thái Bình cũ" in page or "Hung Yen — former Thai Binh" in page
    shown = client.get(f"/suppliers/{firm.id}").get_data(as_text=True)
    assert "Hưng Yên — Thái Bình cũ" in shown or "Hung Yen — former Thai Binh" in shown
