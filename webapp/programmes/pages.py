"""Pages of support programmes (see the package)."""

from __future__ import annotations

from . import bp  # noqa: F401
