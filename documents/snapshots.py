"""The last localisation-gap analysis of each province and period, kept on disk.

Matching every open need takes seconds to a minute, too long for a page view; the
report job computes it and leaves it here, and the dashboard shows the latest one with
the time it was computed. Written atomically, so a page never reads half a file.
It lives beside the report (``documents.report``) because it is the slow part of a
report's figures (``ReportData.localisation``) kept between the job that computes it and
the page that draws its charts; it has no Flask and no Celery, so both layers use it.

Kept as JSON, never as a pickle: the data folder is a volume shared by every machine
in production, and reading a pickle runs whatever code it names, so anyone able to
write a file there would run code in every web process. A JSON file can only give back
data; one that does not describe a snapshot is ignored, as a missing one is.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from catalog.dashboard import Period
from matching.localisation import (
    GapGroup,
    Localisation,
    LocalMatch,
    NearMiss,
    NeedLocalisation,
    SectorGap,
)

FORMAT = 1


def _path(root: Path, province_code: str | None, period: Period) -> Path:
    return Path(root) / "dashboard" / f"{province_code or 'ALL'}-{period.label}.json"


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not kept in a snapshot")


def save(root: Path, localisation: Localisation) -> None:
    path = _path(root, localisation.province, localisation.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format": FORMAT, "localisation": dataclasses.asdict(localisation)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False, default=_plain)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _need(d: dict[str, Any]) -> NeedLocalisation:
    best = d["best_local"]
    posted = d["posted"]
    return NeedLocalisation(
        **{
            **d,
            "best_local": None if best is None else LocalMatch(**best),
            "posted": None if posted is None else date.fromisoformat(posted),
            # Snapshots written before near misses were kept have none.
            "near_misses": [NearMiss(**m) for m in d.get("near_misses", [])],
        }
    )


def _decode(d: dict[str, Any]) -> Localisation:
    return Localisation(
        **{
            **d,
            "period": Period(**d["period"]),
            "needs": [_need(n) for n in d["needs"]],
            "by_part_family": [
                GapGroup(**{**g, "examples": [_need(n) for n in g["examples"]]})
                for g in d["by_part_family"]
            ],
            "by_sector": [
                SectorGap(**{**g, "examples": [_need(n) for n in g["examples"]]})
                for g in d["by_sector"]
            ],
            "names": {k: (v[0], v[1]) for k, v in d["names"].items()},
        }
    )


def load(
    root: Path, province_code: str | None, period: Period
) -> tuple[Localisation, float] | None:
    """The snapshot and when it was computed (epoch seconds), or None."""
    path = _path(root, province_code, period)
    try:
        body = json.loads(path.read_text("utf-8"))
        if body.get("format") != FORMAT:
            return None
        return _decode(body["localisation"]), path.stat().st_mtime
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def age_minutes(computed_at: float) -> int:
    return int((time.time() - computed_at) // 60)
