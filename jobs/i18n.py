"""Catalog and matcher messages in a reader's language, for pages and for workers.

``catalog.i18n.Message`` carries a msgid and its parameters; this looks it up in the
web interface's catalogue with numbers formatted the reader's way. Workers have no
request to take a language from, so they wrap calls in ``flask_babel.force_locale``
with the language saved on the account they write for.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, gettext

from catalog.i18n import Message


def translate(text: Any) -> str:
    """A ``Message`` or plain msgid in the current locale ('' for nothing)."""
    if not text:
        return ""
    if isinstance(text, Message):
        params = {
            key: format_decimal(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
            for key, value in text.params.items()
        }
        return gettext(text.msgid, **params)
    return gettext(str(text))
