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


class Label(str):
    """A name the catalogue holds in both languages (a concept, a province), as a
    message parameter: its text is the English name (what the JSON API and logs show),
    and it keeps the Vietnamese one, so a page or mail in Vietnamese names it in
    Vietnamese ("Công nghệ Đúc nhôm áp lực", not "Aluminium die casting")."""

    vi: str

    def __new__(cls, en: str | None, vi: str | None) -> Label:
        obj = super().__new__(cls, en or vi or "")
        obj.vi = vi or en or ""
        return obj

    def __reduce__(self):  # pickles (and copies) with both names
        return (Label, (str(self), self.vi))

    def join(self, iterable) -> Label:  # type: ignore[override]
        """``Label(", ", ", ").join(labels)``: the names listed in both languages."""
        items = list(iterable)
        return Label(
            str(self).join(str(i) for i in items),
            self.vi.join(getattr(i, "vi", str(i)) for i in items),
        )


def bilingual(obj: Any) -> Label:
    """The ``Label`` of a record with ``name_en`` and ``name_vi``."""
    return Label(getattr(obj, "name_en", None), getattr(obj, "name_vi", None))


def N_(msgid: str, **params: Any) -> str:  # noqa: N802  (gettext's conventional name)
    return Message(msgid, params) if params else msgid
