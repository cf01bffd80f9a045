"""Marking messages for translation without depending on the web layer.

``N_("…")`` marks a fixed message so that ``pybabel extract -k N_`` finds it and returns
it unchanged. ``N_("Must be between %(low)s and %(high)s.", low=1, high=100)`` returns a
``Message``: the English text (what the JSON API and logs show) that also remembers its
msgid and parameters, so that the interface can translate it and format the numbers the
reader's way ("12.500" in Vietnamese) when it shows it.
"""

from __future__ import annotations

from typing import Any


def _english(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return value


class Message(str):
    """English text with the msgid and parameters it was made from."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any]) -> Message:
        text = msgid % {key: _english(value) for key, value in params.items()}
        obj = super().__new__(cls, text)
        obj.msgid = msgid
        obj.params = params
        return obj

    def __reduce__(self):  # pickles (and copies) as the message, not a plain str
        return (Message, (self.msgid, self.params))


def N_(msgid: str, **params: Any) -> str:  # noqa: N802  (gettext's conventional name)
    return Message(msgid, params) if params else msgid
