"""What a task needs from the running application, registered by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from matching.encoder import Encoder
from matching.engine import MatchEngine
from matching.store import IndexStore

EXTENSION_KEY = "ketnoi"


@dataclass
class Runtime:
    session: Callable[[], Session]
    store: IndexStore
    encoder: Encoder
    engine: MatchEngine


def runtime() -> Runtime:
    """The runtime of the current Flask application."""
    return current_app.extensions[EXTENSION_KEY]
