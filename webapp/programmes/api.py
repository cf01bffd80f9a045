"""JSON API of support programmes (version 1, routes of the ``api`` blueprint, same
token, errors and access rules as ``webapp.api``). Each route has its entry in
``webapp.programmes.openapi``."""

from __future__ import annotations
