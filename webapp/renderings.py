"""Texts written in the other language, rendered in the reader's beside the original.

A capability text, a firm's description, a need or a message is shown as written; when
its language is not the reader's, a machine rendering follows it, marked so ("Machine
rendering" / "Bản dịch máy"), with the words the provider did not understand left as
written. The provider is the built-in gloss unless ``TRANSLATION_PROVIDER`` names a
deployment's own (matching.translation.provider); renderings are cached in the database
per text and provider, so a page renders each text once, ever.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from catalog.text import detect_language
from matching.translation import Rendering, TranslationProvider, load_provider, translate_cached

from .extensions import db
from .i18n import current_locale

log = logging.getLogger(__name__)

EXTENSION_KEY = "ketnoi.translation_provider"


def provider(app: Flask | None = None) -> TranslationProvider:
    """The app's provider, made once (the gloss reads the whole vocabulary)."""
    app = app or current_app
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = load_provider(
            app.config.get("TRANSLATION_PROVIDER")
        )
    return found


def rendering(text: str | None, language: str | None = None) -> Rendering | None:
    """``text`` rendered in the reader's language, or None when it is already in it
    (``language``: the text's, when the catalogue records it; detected otherwise), is
    empty, or the provider failed (the original is then shown alone)."""
    if not text or not text.strip():
        return None
    reader = current_locale()
    source = language if language in ("vi", "en") else detect_language(text)
    if source == reader:
        return None
    try:
        return translate_cached(db.session, provider(), text, source, reader)
    except Exception:  # a deployment's service down must not take the page with it
        log.exception("no rendering of a %s text in %s", source, reader)
        return None


def register(app: Flask) -> None:
    """The ``rendering`` global (templates call it through ``_rendering.html``). A
    provider named by the setting is loaded now, so a mistyped one stops the start."""
    app.jinja_env.globals["rendering"] = rendering
    if app.config.get("TRANSLATION_PROVIDER"):
        provider(app)
