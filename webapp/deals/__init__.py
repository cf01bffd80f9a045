"""From a match to a purchase order, in pages: suppliers answer needs and quote, both
sides write to each other, buyers compare quotations and request them, and follow each
supplier through samples to orders and ratings (``catalog.deals``).

One blueprint; its views are grouped by who uses them: ``answers`` (the supplier's
answer and the deal's conversation), ``compare`` (the buyer's comparison and requests
for quotation), ``pipeline`` (stages, orders, ratings). The JSON API of the same
features is ``webapp.deals.api`` (routes of the ``api`` blueprint), documented by
``webapp.deals.openapi``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("deals", __name__, url_prefix="/deals")

from . import answers, compare, pipeline  # noqa: E402,F401  (the views register on bp)
