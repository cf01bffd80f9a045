"""The OpenAPI entries of the programme endpoints (``webapp.programmes.api``), merged
into the document by ``webapp.openapi.build``: ``OPERATIONS`` (one per endpoint, keyed by
its view's name) and ``SCHEMAS`` (the request and response bodies they name)."""

from __future__ import annotations

from typing import Any

from ..openapi import Operation

OPERATIONS: dict[str, Operation] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}
