"""Support programmes, in pages: officers set up a province's programme and its lines,
firms apply (from a line, or from the gap it would close), officers assess, decide,
pay and record the result (``catalog.programmes``).

One blueprint; ``pages`` holds its views. The JSON API of the same features is
``webapp.programmes.api`` (routes of the ``api`` blueprint), documented by
``webapp.programmes.openapi``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

from . import pages  # noqa: E402,F401  (the views register on bp)
