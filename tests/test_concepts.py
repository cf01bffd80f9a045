"""The concept tagger bridges Vietnamese and English and respects diacritics."""

from __future__ import annotations

import pytest

from matching.indexing import build_tagger


@pytest.fixture()
def tagger(session):
    return build_tagger(session)


def test_vietnamese_and_english_terms_meet_in_one_concept(tagger):
    vi = tagger.concept_ids("Nhận ép phun linh kiện nhựa ABS cho điện tử")
    en = tagger.concept_ids("Injection moulded ABS housings for electronics")
    assert "process.injection_molding" in vi & en


def test_text_without_diacritics_is_tagged(tagger):
    assert "process.injection_molding" in tagger.concept_ids("nhan ep phun nhua ky thuat")


def test_abbreviations_are_case_sensitive(tagger):
    assert "process.injection_molding" in tagger.concept_ids("IM parts for printers")
    assert "process.injection_molding" not in tagger.concept_ids("im lặng")


def test_single_syllable_requires_its_diacritics(tagger):
    hits = {h.concept_id: h.term for h in tagger.tag("dập vỏ thép")}
    stamping = [c for c in hits if "stamping" in c]
    assert stamping, hits
    assert not [c for c in tagger.concept_ids("đập vỡ") if "stamping" in c]
