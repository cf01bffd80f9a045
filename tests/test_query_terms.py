"""Hard terms typed in a query become requirements ("Understood: …")."""

from __future__ import annotations

from catalog.queries import DirectoryFilters
from jobs.runtime import runtime
from matching.directory import search_directory
from matching.query_terms import merge_requirements, need_terms, understand
from tests.factories import make_buyer, make_need

IATF_QUERY = "wire harness IATF 16949"


def _keys(terms):
    return [t.key for t in terms.terms]


def test_terms_are_read_in_both_languages_with_or_without_diacritics(session):
    tagger = runtime().engine.tagger
    en = understand(
        "SUS304 brackets ±0.01 mm, 50k pcs/year, ISO 9001/13485, RoHS, anodizing, "
        "delivered to Bac Ninh",
        tagger,
        session,
    )
    assert en.materials == ["material.stainless_304"]
    assert en.tolerance_mm == 0.01
    assert en.quantity_per_year == 50_000
    assert en.required_certifications == ["ISO 9001", "ISO 13485", "ROHS"]
    assert en.treatments == ["process.anodizing"]
    assert en.delivery_province_id is not None
    vi_text = "Vỏ nhôm ADC12, dung sai 0,02, 10.000 cái/tháng, tỉnh Vĩnh Phúc"
    vi = understand(vi_text, tagger, session)
    plain = understand(
        "Vo nhom ADC12, dung sai 0,02, 10.000 cai/thang, tinh Vinh Phuc", tagger, session
    )
    for terms in (vi, plain):
        assert terms.materials == ["material.aluminium_adc12"]
        assert terms.tolerance_mm == 0.02
        assert terms.quantity_per_year == 120_000
        assert terms.delivery_province_id is not None  # former Vĩnh Phúc, now Phú Thọ
    assert _keys(vi) == _keys(plain)
    iatf = understand(IATF_QUERY, tagger, session).terms
    assert [(t.label_en, t.label_vi) for t in iatf] == [
        ("IATF 16949 required", "Yêu cầu IATF 16949")
    ]


def test_words_that_are_no_requirement_are_not_read_as_one(session):
    tagger = runtime().engine.tagger
    # A field ("thiết bị y tế" names ISO 13485's), a generic material word, durations,
    # a percentage: none is a requirement.
    terms = understand(
        "Linh kiện thiết bị y tế, bó dây điện, 12 months warranty, 3 năm kinh nghiệm, ±5%",
        tagger,
        session,
    )
    assert terms.terms == []


def test_form_wins_and_text_fills_what_the_form_leaves_empty(session):
    need = make_need(
        session,
        make_buyer(session),
        title="Stainless brackets SUS304, IATF 16949",
        description="Tolerance ±0.05 mm, 20k pcs/year.",
        tolerance_mm="0.02",
    )
    terms = need_terms(session, need, runtime().engine.tagger)
    req = merge_requirements(need, terms)
    assert req.tolerance_mm == 0.02  # the form's
    assert req.quantity_per_year == 20_000  # the text's
    assert req.required_certifications == ["IATF 16949"]
    assert [m.id for m in req.materials] == ["material.stainless_304"]


def _holds_iatf(firm) -> bool:
    return any(c.standard == "IATF 16949" and c.is_valid() for c in firm.certifications)


def _harness_maker(firm) -> bool:
    return any(c.process_id == "process.wire_harness" for c in firm.capabilities)


def test_iatf_query_ranks_the_iatf_holders_first(session):
    engine = runtime().engine
    page = search_directory(session, engine, DirectoryFilters(), IATF_QUERY, per_page=20)
    harness = [f for f in page.firms if _harness_maker(f)]
    flags = [_holds_iatf(f) for f in harness]
    # The demo catalogue has harness makers holding IATF 16949 and many without.
    assert any(flags) and not all(flags), [(f.name_vi, _holds_iatf(f)) for f in harness]
    assert _holds_iatf(page.firms[0])
    assert flags == sorted(flags, reverse=True), [(f.name_vi, _holds_iatf(f)) for f in harness]
    # Each card says it, ✓ or ✗.
    for firm in page.firms:
        (check,) = [c for c in page.checks[firm.id] if c.name == "certification"]
        assert (check.status == "ok") == _holds_iatf(firm)
    # Retrieval alone (the term removed) does not: holders are not all first.
    dropped = search_directory(
        session, engine, DirectoryFilters(), IATF_QUERY, per_page=20, dismissed=["cert:IATF 16949"]
    )
    assert not dropped.understood and not dropped.checks
    plain = [_holds_iatf(f) for f in dropped.firms if _harness_maker(f)]
    assert plain != sorted(plain, reverse=True)


def test_directory_page_shows_what_was_understood_and_removes_it(client):
    client.get("/lang/en")
    page = client.get("/suppliers/", query_string={"q": IATF_QUERY}).get_data(as_text=True)
    assert "Understood:" in page and "IATF 16949 required" in page
    assert "drop=cert%3AIATF+16949" in page or "drop=cert:IATF+16949" in page
    assert "✗ IATF 16949 required: missing" in page
    removed = client.get("/suppliers/", query_string={"q": IATF_QUERY, "drop": "cert:IATF 16949"})
    assert "Understood:" not in removed.get_data(as_text=True)
    client.get("/lang/vi")
    vi = client.get("/suppliers/", query_string={"q": IATF_QUERY}).get_data(as_text=True)
    assert "Đã hiểu:" in vi and "Yêu cầu IATF 16949" in vi


def test_a_need_applies_its_text_terms_and_the_buyer_removes_them(client_as, api_as):
    client, api_client = client_as("buyer"), api_as("buyer")
    created = client.post(
        "/needs/new",
        data={"title": "Wire harness for motorbikes", "description": "IATF 16949, 60k pcs/year."},
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    url = created.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "IATF 16949" in page and 'value="cert:IATF 16949"' in page
    api = api_client.get(url.replace("/needs/", "/api/v1/needs/") + "/matches").get_json()
    assert [t["key"] for t in api["understood"]] == ["cert:IATF 16949", "quantity:60000"]
    checks = [c["detail"] for c in api["items"][0]["constraints"]]
    assert any(d.startswith("IATF 16949 required") for d in checks)
    removed = client.post(url + "/understood", data={"dismiss": "cert:IATF 16949"})
    assert removed.status_code == 302
    api = api_client.get(url.replace("/needs/", "/api/v1/needs/") + "/matches").get_json()
    assert [t["key"] for t in api["understood"]] == ["quantity:60000"]
    for item in api["items"]:
        assert not any(c["name"] == "certification" for c in item["constraints"])
    page = client.get(url).get_data(as_text=True)
    assert 'name="restore" value="cert:IATF 16949"' in page


def test_a_certificate_is_named_in_each_language_as_the_vocabulary_names_it(session):
    """The Vietnamese chip names a certificate by its Vietnamese name: no English leaks
    into a Vietnamese page ("Yêu cầu PPAP and APQP")."""
    terms = understand("PPAP and samples within 8 weeks", runtime().engine.tagger, session)
    (ppap,) = [t for t in terms.terms if t.kind == "certification"]
    assert ppap.label("vi") == "Yêu cầu PPAP / APQP"
    assert ppap.label("en") == "PPAP and APQP required"
