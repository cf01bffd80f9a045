"""What a task needs from the running application, registered by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class DataFolder:
    """What a deployment keeps outside the database, in one folder (``DATA_DIR``) that is
    backed up whole: one place names each part, so that no caller spells a path."""

    root: Path

    def uploads(self, kind: str = "") -> Path:
        """Evidence files and need photos (``kind``: their sub-folder)."""
        return self.root / "uploads" / kind

    @property
    def imports(self) -> Path:
        """Survey files being imported and their error reports (deleted after a while)."""
        return self.root / "imports"

    @property
    def reports(self) -> Path:
        """Generated report files, one per job and format."""
        return self.root / "reports"

    @property
    def outbox(self) -> Path:
        """Mails written to files when no mail server is configured."""
        return self.root / "outbox"

    @property
    def backups(self) -> Path:
        return self.root / "backups"


def data_folder(config: dict | None = None) -> DataFolder:
    """The data folder of ``config`` (default: the current application's)."""
    return DataFolder(Path((config if config is not None else current_app.config)["DATA_DIR"]))
