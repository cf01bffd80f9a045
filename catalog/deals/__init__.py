"""From a match to a purchase order (``catalog.models.deals``).

- ``pipeline``: a deal's stages, reached once each from the record they come from,
  each a graded judgement for the reranker;
- ``conversation``: answers to a need (interest, messages), files, officers asked in;
- ``quotes``: a supplier's quotations and the buyer's comparison of them;
- ``requests``: requests for quotation, with deadlines and non-disclosure agreements;
- ``orders``: samples, purchase orders (a supply relationship), ratings;
- ``funnel``: what the province counts, from interest to first orders.

Who may read and act is ``catalog.access`` ("deal.view", "deal.supply", "deal.manage",
"need.answer"); every list of deals goes through ``deals_query``.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from ..models import Deal, Firm, User, UserRole


def deals_query(user: User | None) -> Select:
    """The deals ``user`` may read (``catalog.access.view_deal`` as SQL): their firm's
    on either side; for officers and admins, those one side asked them in on (in their
    provinces, for officers). Newest first."""
    query = select(Deal).order_by(Deal.id.desc())
    if user is None:
        return query.where(Deal.id.is_(None))
    if user.role == UserRole.MEMBER:
        if user.firm_id is None:
            return query.where(Deal.id.is_(None))
        return query.where(or_(Deal.supplier_id == user.firm_id, Deal.buyer_id == user.firm_id))
    query = query.where(Deal.officers_asked_at.isnot(None))
    if user.role == UserRole.OFFICER:
        firms = select(Firm.id).where(Firm.province_id.in_(user.province_ids or {-1}))
        query = query.where(or_(Deal.supplier_id.in_(firms), Deal.buyer_id.in_(firms)))
    return query
