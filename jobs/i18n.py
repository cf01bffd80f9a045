"""Catalog and matcher messages in a reader's language, for pages and for workers.

``catalog.i18n.Message`` carries a msgid and its parameters; this looks it up in the
web interface's catalogue with numbers formatted the reader's way. Workers have no
request to take a language from, so they wrap calls in ``flask_babel.force_locale``
with the language saved on the account they write for. Documents (reports, charts,
which have no Flask) are rendered the same way, through ``document_language``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_babel import force_locale, format_decimal, get_locale, gettext, pgettext

from catalog.i18n import Label, Message
from documents.content import Translator


def translate(text: Any) -> str:
    """A ``Message`` or plain msgid in the current locale ('' for nothing)."""
    if not text:
        return ""
    if isinstance(text, Message):
        vietnamese = str(get_locale() or "").startswith("vi")
        params = {
            key: format_decimal(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else (value.vi if vietnamese else str(value))
            if isinstance(value, Label)
            else value
            for key, value in text.params.items()
        }
        return gettext(text.msgid, **params)
    return gettext(str(text))


def translate_in(context: str, msgid: str) -> str:
    """A msgid of that context (``msgctxt``) in the current locale."""
    return pgettext(context, msgid)


@contextmanager
def document_language(lang: str) -> Iterator[Translator]:
    """Render documents (``documents``) in ``lang`` within the block: the locale is
    forced to it, as for a mail, and the translator the renderers take looks their texts
    up in the interface's catalogue. A language documents are not written in is refused
    (ValueError) before anything is rendered."""
    translator = Translator(lang, translate, translate_in)
    with force_locale(lang):
        yield translator
