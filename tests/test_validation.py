"""Validation: what the catalog refuses, and the messages it gives per field."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.schemas import validate_capability, validate_firm, validate_need
from catalog.text import detect_language, fold, nfc
from catalog.validation import ValidationError, canonical_standard
from tests.conftest import fresh_tax_code  # noqa: F401


def firm_data(**overrides):
    data = {
        "role": "supplier",
        "name_vi": "Công ty TNHH Kiểm Thử Validation",
        "tax_code": fresh_tax_code(),
        "province": "TN",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "tax_code",
    ["0100233487", "12345", "01002334880", "abcdefghij", "0100233488-1", "0100233488-0012"],
)
def test_bad_tax_codes_are_refused(session, tax_code):
    with pytest.raises(ValidationError) as exc:
        validate_firm(session, firm_data(tax_code=tax_code))
    assert "tax_code" in exc.value.errors


@pytest.mark.parametrize("tax_code", ["0100233488", "0100233488-001", "0100233488001"])
def test_good_tax_codes_pass_including_branches(session, tax_code):
    clean = validate_firm(session, firm_data(tax_code=tax_code))
    assert clean["tax_code"].startswith("0100233488")


def test_empty_names_and_unknown_province_report_every_field(session):
    with pytest.raises(ValidationError) as exc:
        validate_firm(session, firm_data(name_vi="   ", province="XX", role="vendor"))
    assert set(exc.value.errors) >= {"name_vi", "province", "role"}


def test_over_long_fields_are_refused(session):
    with pytest.raises(ValidationError) as exc:
        validate_capability(session, {"title": "x" * 201, "description": "y" * 5001})
    assert set(exc.value.errors) == {"title", "description"}
    assert "200" in exc.value.errors["title"]


@pytest.mark.parametrize("quantity", [0, -5, 10**12, "lots", 1.5, True])
def test_absurd_quantities_are_refused(session, quantity):
    with pytest.raises(ValidationError) as exc:
        validate_need(session, {"title": "Brackets", "quantity_per_year": quantity})
    assert "quantity_per_year" in exc.value.errors


def test_vietnamese_thousands_separators_are_understood(session):
    clean = validate_need(session, {"title": "Bu lông M6", "quantity_per_year": "120.000"})
    assert clean["quantity_per_year"] == 120_000


def test_empty_capability_text_is_refused(session):
    with pytest.raises(ValidationError) as exc:
        validate_capability(session, {"title": " \n\t "})
    assert exc.value.errors["title"] == "This field is required."


def test_concepts_are_found_by_name_without_diacritics(session):
    clean = validate_capability(
        session, {"title": "Ép nhựa", "process": "ep phun nhua", "materials": "ABS, PP"}
    )
    assert clean["process"] == "process.injection_molding"
    assert len(clean["materials"]) == 2


def test_zone_must_belong_to_the_province(session):
    with pytest.raises(ValidationError) as exc:
        validate_firm(session, firm_data(province="TB", zone="Yên Bình"))
    assert "zone" in exc.value.errors
    clean = validate_firm(session, firm_data(province="TN", zone="KCN Yen Binh"))
    assert clean["zone"]


def test_duplicate_tax_code_is_refused(session):
    data = firm_data()
    services.create_firm(session, data)
    with pytest.raises(ValidationError) as exc:
        services.create_firm(session, firm_data(tax_code=data["tax_code"], name_vi="Khác"))
    assert "tax_code" in exc.value.errors


def test_text_is_stored_in_nfc(session):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Công ty Cơ khí Đức Thịnh")
    firm = services.create_firm(session, firm_data(name_vi=nfd))
    assert firm.name_vi == unicodedata.normalize("NFC", nfd)


def test_standards_are_canonicalised():
    assert canonical_standard("iso 9001:2015") == "ISO 9001"
    assert canonical_standard("IATF16949") == "IATF 16949"


def test_folding_and_language_detection():
    assert fold("Ép nhựa ĐỨC") == "ep nhua duc"
    assert nfc("  a \n b ") == "a b"
    assert detect_language("Gia công cơ khí chính xác") == "vi"
    assert detect_language("gia cong co khi chinh xac cho khach hang") == "vi"
    assert detect_language("Precision CNC turning of shafts") == "en"


def test_legacy_encoded_input_is_converted(session):
    clean = validate_capability(
        session, {"title": "C«ng ty TNHH C¬ khÝ", "description": "Coâng ty coå phaàn"}
    )
    assert clean["title"] == "Công ty TNHH Cơ khí"
    assert clean["description"] == "Công ty cổ phần"
