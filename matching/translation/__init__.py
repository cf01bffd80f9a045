"""Texts rendered in the reader's language, machine-made and marked so.

``provider`` holds the interface (``Rendering``, ``TranslationProvider``, a provider
loaded from a "package.module:factory" setting, renderings cached in the catalog);
``gloss`` the built-in provider: what the bilingual vocabulary understands of a text,
in the order the text gives it, with the words it did not understand left as written.
"""

from .provider import (
    Part,
    Rendering,
    TranslationProvider,
    load_provider,
    translate_cached,
)

__all__ = ["Part", "Rendering", "TranslationProvider", "load_provider", "translate_cached"]
