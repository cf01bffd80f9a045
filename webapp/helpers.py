"""Template helpers: filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request


def fmt_number(value: Any) -> str:
    """Thousands with a dot, the Vietnamese way (12.500)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y")


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100):d}%"


def url_with(**changes: Any) -> str:
    """The current URL with some query parameters changed (for filters and paging)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return request.path + ("?" + urlencode(args) if args else "")


def options(items: list[Any], value: str | None = None, text: str | None = None) -> list:
    """(value, text) pairs for a select or checkboxes from objects or plain strings."""
    if value is None:
        return [(i, i) for i in items]
    return [(getattr(i, value), getattr(i, text or value)) for i in items]


def register(app: Flask) -> None:
    app.jinja_env.filters["options"] = options
    app.jinja_env.filters["number"] = fmt_number
    app.jinja_env.filters["date"] = fmt_date
    app.jinja_env.filters["percent"] = fmt_percent
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["today"] = date.today
