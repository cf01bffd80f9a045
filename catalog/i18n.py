"""Marking messages for translation without depending on the web layer.

``N_`` marks a string so that ``pybabel extract`` finds it; the string itself is
returned unchanged, and the interface translates it when it shows it to a user.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802  (gettext's conventional name)
    return message
