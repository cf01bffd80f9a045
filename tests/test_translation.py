"""Renderings in the reader's language: cached per text and provider, a provider plugged
in by configuration, and shown on the pages beside the original, marked machine-made."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from catalog.models import Capability, Firm, Need, Translation
from catalog.translations import stored_rendering
from matching.translation import Rendering, translate_cached
from matching.translation.gloss import default_provider
from webapp.extensions import db
from webapp.renderings import EXTENSION_KEY

RENDERING_BLOCK = re.compile(r'<div class="rendering".*?</div>', re.S)


class CountingProvider:
    """A provider that says what it was asked and counts how often."""

    name = "counting:1"

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, text: str, source_lang: str, target_lang: str) -> Rendering:
        self.calls += 1
        return Rendering(f"[{target_lang}] {text.upper()}", self.name, source_lang, target_lang)


def make_counting_provider() -> CountingProvider:
    """The factory a deployment would name: ``tests.test_translation:make_counting_provider``."""
    return CountingProvider()


def test_the_cache_returns_the_stored_rendering_without_recomputing(ctx):
    provider = CountingProvider()
    text = "Dập vỏ hộp thép SPCC, lô kiểm thử bộ nhớ đệm 7319"
    first = translate_cached(db.session, provider, text, "vi", "en")
    again = translate_cached(db.session, provider, text, "vi", "en")
    assert provider.calls == 1
    assert first == again and again.text == f"[en] {text.upper()}" and again.machine_made
    stored = stored_rendering(db.session, provider.name, "vi", "en", text)
    assert stored is not None and stored.rendering == again.text
    # Another language pair or another text is another rendering.
    translate_cached(db.session, provider, text, "vi", "fr")
    translate_cached(db.session, provider, text + ".", "vi", "en")
    assert provider.calls == 3


def test_the_gloss_is_cached_with_its_parts(ctx):
    provider = default_provider()
    text = "Đúc áp lực nhôm ADC12, dung sai ±0.1 mm, xưởng Quớtzy-cache"
    made = translate_cached(db.session, provider, text, "vi", "en")
    row = db.session.scalar(
        select(Translation)
        .where(Translation.provider == provider.name)
        .order_by(Translation.id.desc())
    )
    assert row.rendering == made.text and row.parts == [[p.text, p.understood] for p in made.parts]
    assert [p.text for p in made.parts if not p.understood] == ["Quớtzy-cache"]
    count = db.session.scalar(select(func.count()).select_from(Translation))
    assert translate_cached(db.session, provider, text, "vi", "en") == made
    assert db.session.scalar(select(func.count()).select_from(Translation)) == count


def _language_pair(session) -> tuple[Capability, Capability]:
    vi = session.scalar(
        select(Capability)
        .join(Firm)
        .where(Capability.language == "vi", Firm.demo_key.is_not(None))
        .where(Capability.description.contains("ung sai"))
        .order_by(Capability.id)
    )
    en = session.scalar(
        select(Capability)
        .join(Firm)
        .where(Capability.language == "en", Firm.demo_key.is_not(None))
        .where(Capability.description.contains("olerance"))
        .order_by(Capability.id)
    )
    return vi, en


def _blocks(html: str) -> list[str]:
    return RENDERING_BLOCK.findall(html)


def _understood(block: str) -> list[str]:
    return re.findall(r"<span>([^<]*)</span>", block)


def test_an_english_reader_sees_a_vietnamese_capability_rendered_beside_it(app, client):
    with app.app_context():
        cap, _ = _language_pair(db.session)
        firm_id, description = cap.firm_id, cap.description
        expected = default_provider().translate(f"{cap.title}. {description}", "vi", "en")
    client.get("/lang/en")
    html = client.get(f"/suppliers/{firm_id}").get_data(as_text=True)
    section = html[html.index(f'id="cap-{cap.id}"') :]
    section = section[: section.index("</section>")]
    assert _escape(description) in section  # the original, always
    (block,) = _blocks(section)
    assert "Machine rendering" in block
    assert _understood(block)[:3] == [_escape(p.text) for p in expected.parts if p.understood][:3]
    assert "±" in block and "mm" in block


def test_a_vietnamese_reader_sees_an_english_capability_in_vietnamese_only(app, client):
    with app.app_context():
        _, cap = _language_pair(db.session)
        firm_id, description = cap.firm_id, cap.description
        process_en, process_vi = cap.process.name_en, cap.process.name_vi
    client.get("/lang/vi")
    html = client.get(f"/suppliers/{firm_id}").get_data(as_text=True)
    section = html[html.index(f'id="cap-{cap.id}"') :]
    section = section[: section.index("</section>")]
    assert _escape(description) in section
    (block,) = _blocks(section)
    assert "Bản dịch máy" in block and "Machine rendering" not in block
    understood = _understood(block)
    assert _escape(process_vi) in understood and _escape(process_en) not in understood
    # No English from the gloss: what it understood is written in Vietnamese; only the
    # words it left as written (marked, in lang="en") may be English.
    english = re.compile(
        r"\b(tolerance|month|capacity|equipment|customers?|drawings?|parts?)\b", re.I
    )
    assert not any(english.search(text) for text in understood)


def test_a_text_in_the_readers_language_gets_no_rendering(app, client):
    with app.app_context():
        vi, _ = _language_pair(db.session)
    client.get("/lang/vi")
    html = client.get(f"/suppliers/{vi.firm_id}").get_data(as_text=True)
    section = html[html.index(f'id="cap-{vi.id}"') :]
    assert not _blocks(section[: section.index("</section>")])


def test_match_cards_show_capabilities_in_the_readers_language(app, admin_client):
    with app.app_context():
        need_id = db.session.scalar(
            select(Need.id)
            .join(Firm, Need.buyer_id == Firm.id)
            .where(Firm.demo_key.is_not(None))
            .order_by(Need.id)
        )
    admin_client.get("/lang/en")
    html = admin_client.get(f"/needs/{need_id}").get_data(as_text=True)
    cards = re.findall(r'<li class="match".*?</li>\s*(?=<li class="match"|</ol>)', html, re.S)
    assert cards
    rendered = [c for c in cards if _blocks(c)]
    assert rendered, "no Vietnamese capability rendered on an English page"
    for card in rendered:
        assert "Machine rendering" in card and 'class="matched-cap"' in card


@pytest.fixture()
def counting_provider(app):
    """The app configured as a deployment would: TRANSLATION_PROVIDER names a factory."""
    saved = app.config.get("TRANSLATION_PROVIDER"), app.extensions.pop(EXTENSION_KEY, None)
    app.config["TRANSLATION_PROVIDER"] = "tests.test_translation:make_counting_provider"
    yield
    app.config["TRANSLATION_PROVIDER"] = saved[0]
    app.extensions.pop(EXTENSION_KEY, None)
    if saved[1] is not None:
        app.extensions[EXTENSION_KEY] = saved[1]


def test_a_configured_provider_is_used_and_marked_machine_made(app, client, counting_provider):
    with app.app_context():
        cap, _ = _language_pair(db.session)
        text = f"{cap.title}. {cap.description}"
    client.get("/lang/en")
    html = client.get(f"/suppliers/{cap.firm_id}").get_data(as_text=True)
    section = html[html.index(f'id="cap-{cap.id}"') :]
    (block,) = _blocks(section[: section.index("</section>")])
    assert 'data-provider="counting:1"' in block and "Machine rendering" in block
    assert _escape(f"[en] {text.upper()}") in block
    assert isinstance(app.extensions[EXTENSION_KEY], CountingProvider)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
