"""The last localisation-gap analysis of each province and period, kept on disk.

Matching every open need takes seconds to a minute, too long for a page view; the
report job computes it and leaves it here, and the dashboard shows the latest one with
the time it was computed. Written atomically, so a page never reads half a file.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from pathlib import Path

from catalog.dashboard import Period
from matching.localisation import Localisation


def _path(root: Path, province_code: str | None, period: Period) -> Path:
    return Path(root) / "dashboard" / f"{province_code or 'ALL'}-{period.label}.pickle"


def save(root: Path, localisation: Localisation) -> None:
    path = _path(root, localisation.province, localisation.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(localisation, fh)
    os.replace(tmp, path)


def load(
    root: Path, province_code: str | None, period: Period
) -> tuple[Localisation, float] | None:
    """The snapshot and when it was computed (epoch seconds), or None."""
    path = _path(root, province_code, period)
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh), path.stat().st_mtime
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None


def age_minutes(computed_at: float) -> int:
    return int((time.time() - computed_at) // 60)
