"""The gloss: what the vocabulary understands of a text, in the reader's language, in the
text's order, with the words it did not understand left visible and never guessed."""

from __future__ import annotations

import pytest

from matching.translation import load_provider
from matching.translation.gloss import GlossProvider, default_provider, make_gloss, recognise

DIE_CASTING_VI = (
    "Công ty chuyên đúc áp lực nhôm ADC12 vỏ đèn LED cho khách hàng Nhật Bản. "
    "Dung sai ±0.1 mm. Năng lực 90.000 sản phẩm/tháng. Máy Toshiba, xưởng Quớtzy."
)


@pytest.fixture(scope="module")
def gloss():
    return default_provider().gloss


def _index(parts, text):
    return [p.text for p in parts].index(text)


def test_vietnamese_die_casting_text_in_english_in_the_texts_order(gloss):
    parts = gloss.parts(DIE_CASTING_VI, "en")
    understood = [p.text for p in parts if p.understood]
    order = [
        "Aluminium die casting",  # process
        "ADC12 die-casting aluminium",  # material grade
        "LED lamp housings and lenses",  # part family
        "±0.1 mm",  # tolerance
        "90,000/month",  # capacity, written the English way
    ]
    assert [understood.index(t) for t in order] == sorted(understood.index(t) for t in order)
    # Words it did not understand stay as written, marked so, where the text has them.
    unknown = [p.text for p in parts if not p.understood]
    assert unknown == ["Toshiba", "Quớtzy"]
    assert _index(parts, "Toshiba") > _index(parts, "90,000/month")
    # Nothing Vietnamese is left among the understood parts.
    assert not any(ch in "ăâđêôơư" for text in understood for ch in text.lower())


def test_english_text_in_vietnamese(gloss):
    parts = gloss.parts(
        "Powder coating of steel parts, tolerance ±0.05 mm, 20,000 pcs/month, "
        "IATF 16949 certified, Frobnicator line.",
        "vi",
    )
    understood = [p.text for p in parts if p.understood]
    assert understood[0] == "Sơn tĩnh điện"
    assert "±0,05 mm" in understood and "20.000/tháng" in understood
    assert "IATF 16949" in understood
    assert [p.text for p in parts if not p.understood] == ["Frobnicator"]
    # The English words the vocabulary knows are gone from the rendering.
    rendered = " · ".join(understood).lower()
    for english in ("powder", "coating", "steel", "tolerance", "month", "certified", "line"):
        assert english not in rendered.split()


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("50k pcs/year", "en", "50,000/year"),
        ("5.000 sp/tháng", "en", "5,000/month"),
        ("200,000 pcs per year", "vi", "200.000/năm"),
        ("20 tấn/tháng", "en", "20 t/month"),
        ("dung sai ±0,01 mm", "en", "±0.01 mm"),
        ("Ø12 x 80 mm", "vi", "Ø12 × 80 mm"),
        ("25 năm kinh nghiệm", "en", "25 years' experience"),
        ("Founded in 2005", "vi", "thành lập năm 2005"),
        ("3.500 pcs", "vi", "3.500 sản phẩm"),
    ],
)
def test_figures_are_written_the_readers_way(text, lang, expected):
    assert expected in [rendered for _, _, rendered in recognise(text, lang)]


def test_a_year_keeps_its_digits(gloss):
    parts = gloss.parts("thành lập năm 2005 tại Bắc Ninh", "en")
    assert [p.text for p in parts] == ["founded 2005", "Bac Ninh"]


def test_unaccented_vietnamese_is_understood_where_unambiguous(gloss):
    parts = [p.text for p in gloss.parts("tien cnc truc inox 304, 50k pcs/year", "en")]
    assert parts[0] == "CNC turning" and "Stainless steel 304" in parts
    assert "50,000/year" in parts


def test_coverage_counts_content_words_only(gloss):
    covered, total = gloss.coverage("Đúc nhôm ADC12 và Quớtzy", "en")
    assert (covered, total) == (3, 4)  # "và" is a function word; "Quớtzy" is not understood


def test_the_providers_name_follows_its_vocabulary():
    built_in = default_provider()
    assert built_in.name.startswith("gloss:")
    assert built_in.name == GlossProvider().name
    smaller = make_gloss(lexicon={"phrases": [], "stopwords": {"vi": [], "en": []}})
    assert GlossProvider(smaller, "x").name != built_in.name
    rendering = built_in.translate(DIE_CASTING_VI, "vi", "en")
    assert rendering.machine_made and rendering.provider == built_in.name
    assert rendering.text.startswith("company · specialising in · Aluminium die casting")


def test_the_gloss_is_the_default_provider_and_a_bad_setting_is_named():
    assert load_provider(None).name.startswith("gloss:")
    with pytest.raises(ValueError, match="package.module:factory"):
        load_provider("matching.translation.gloss")
    with pytest.raises(ValueError, match="cannot import"):
        load_provider("no_such_module_here:make")
    with pytest.raises(ValueError, match="no factory"):
        load_provider("matching.translation.gloss:nothing_here")
