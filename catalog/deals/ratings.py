"""Buyers rate a supplier after deliveries: quality, on-time delivery, communication.

A rating belongs to a deal that reached a purchase order (rating what was never
delivered would be hearsay), one per deal: rating again replaces it. What a reader
sees of a supplier's ratings:

- the supplier's own users, the officers of its province and admins: every rating,
  per buyer, with its figures (ppm, on-time percentage) and comment;
- other buyers: only the aggregate (averages over the latest rating of each buyer
  firm) and only once ``MIN_RATING_BUYERS`` distinct buyers rated, so that no single
  buyer's judgement can be read off it;
- anyone else: nothing.

The same aggregate is a feature of the learned reranker (``matching.reranker``,
"rating" and "rated"), never a fixed bonus in the score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Deal, Firm, FirmRole, PurchaseOrder, Side, SupplierRating, User, UserRole
from ..notifications.deals import DEAL_RATING, deal_notice
from ..validation import ValidationError, _Checker, clean_field, integer

MIN_RATING_BUYERS = 3
SCORES = ("quality", "on_time", "communication")


def _non_negative(value: Any) -> float:
    try:
        number = float(str(value).replace(",", ".").strip())
    except ValueError:
        raise ValueError(N_("Must be a number.")) from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(N_("Must be zero or more."))
    return number


def _percentage(value: Any) -> float:
    number = _non_negative(value)
    if number > 100:
        raise ValueError(N_("Must be between %(low)s and %(high)s.", low=0, high=100))
    return number


def rate(
    session: Session,
    deal: Deal,
    user: User | None,
    quality: Any,
    on_time: Any,
    communication: Any,
    ppm: Any = None,
    on_time_pct: Any = None,
    comment: str = "",
) -> SupplierRating:
    """The buyer's rating of the supplier on ``deal`` (1-5 each, optional figures);
    refused before a purchase order; rating the deal again replaces its rating."""
    ordered = session.scalar(
        select(func.count(PurchaseOrder.id)).where(PurchaseOrder.deal_id == deal.id)
    )
    if not ordered:
        raise ValidationError(
            {"deal": N_("A supplier can be rated only after a purchase order on this deal.")}
        )
    c = _Checker(
        {
            "quality": quality,
            "on_time": on_time,
            "communication": communication,
            "ppm": ppm,
            "on_time_pct": on_time_pct,
        }
    )
    for name in SCORES:
        c.run(name, integer(1, 5), required=True)
    c.run("ppm", _non_negative)
    c.run("on_time_pct", _percentage)
    try:
        comment = clean_field("comment", comment or "", multiline=True).strip()
        if len(comment) > 2000:
            raise ValidationError(
                {
                    "comment": N_(
                        "Must be at most %(max)s characters (got %(got)s).",
                        max=2000,
                        got=len(comment),
                    )
                }
            )
    except ValidationError as exc:
        c.errors.update(exc.errors)
    clean = c.finish()
    rating = session.scalar(select(SupplierRating).where(SupplierRating.deal_id == deal.id))
    if rating is None:
        rating = SupplierRating(deal=deal, supplier_id=deal.supplier_id, buyer_id=deal.buyer_id)
        session.add(rating)
    for name in (*SCORES, "ppm", "on_time_pct"):
        setattr(rating, name, clean.get(name))
    rating.comment = comment
    rating.rated_by_id = user.id if user else None
    deal_notice(session, deal, DEAL_RATING, to=Side.SUPPLIER)
    session.flush()
    return rating


@dataclass(frozen=True)
class Aggregate:
    """A supplier's ratings averaged over the latest rating of each buyer firm."""

    supplier_id: int
    buyers: int = 0
    quality: float | None = None
    on_time: float | None = None
    communication: float | None = None
    ppm: float | None = None  # mean over the ratings that gave one
    on_time_pct: float | None = None
    per_buyer: tuple[SupplierRating, ...] = field(default=(), compare=False, repr=False)

    @property
    def mean(self) -> float | None:
        """The mean of the three scores (1-5)."""
        values = [v for v in (self.quality, self.on_time, self.communication) if v is not None]
        return sum(values) / len(values) if values else None

    @property
    def counts(self) -> bool:
        """Enough buyers rated for the aggregate to be shown to other buyers (and to be
        a reranker feature)."""
        return self.buyers >= MIN_RATING_BUYERS

    def as_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return round(v, 2) if v is not None else None

        return {
            "supplier_id": self.supplier_id,
            "buyers": self.buyers,
            "mean": r(self.mean),
            "quality": r(self.quality),
            "on_time": r(self.on_time),
            "communication": r(self.communication),
            "ppm": r(self.ppm),
            "on_time_pct": r(self.on_time_pct),
        }


def _avg(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def aggregates(session: Session, supplier_ids: Iterable[int]) -> dict[int, Aggregate]:
    """supplier id → its aggregate (only suppliers with ratings), in one query."""
    ids = sorted(set(supplier_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(SupplierRating)
        .where(SupplierRating.supplier_id.in_(ids))
        .order_by(SupplierRating.updated_at, SupplierRating.id)
    )
    latest: dict[int, dict[int, SupplierRating]] = {}
    for rating in rows:  # later ones replace earlier ones of the same buyer
        latest.setdefault(rating.supplier_id, {})[rating.buyer_id] = rating
    out = {}
    for supplier_id, by_buyer in latest.items():
        kept = list(by_buyer.values())
        out[supplier_id] = Aggregate(
            supplier_id=supplier_id,
            buyers=len(kept),
            quality=_avg(r.quality for r in kept),
            on_time=_avg(r.on_time for r in kept),
            communication=_avg(r.communication for r in kept),
            ppm=_avg(r.ppm for r in kept),
            on_time_pct=_avg(r.on_time_pct for r in kept),
            per_buyer=tuple(kept),
        )
    return out


def aggregate(session: Session, supplier_id: int) -> Aggregate:
    """A supplier's aggregate (``buyers`` 0 when nobody rated it)."""
    return aggregates(session, [supplier_id]).get(supplier_id) or Aggregate(supplier_id)


def sees_all_ratings(user: User | None, supplier: Firm) -> bool:
    """The supplier's own users, the officers of its province and admins."""
    if user is None:
        return False
    if user.role == UserRole.ADMIN:
        return True
    if user.role == UserRole.OFFICER:
        return supplier.province_id in user.province_ids
    return user.firm_id == supplier.id


@dataclass(frozen=True)
class Visible:
    """What ``user`` may see of a supplier's ratings: the aggregate (or None) and,
    for the supplier and its officers, every rating."""

    aggregate: Aggregate | None
    ratings: tuple[SupplierRating, ...] = ()
    all: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "visible": "all" if self.all else ("aggregate" if self.aggregate else "none"),
            "min_buyers": MIN_RATING_BUYERS,
            "aggregate": self.aggregate.as_dict() if self.aggregate else None,
            "ratings": [rating_dict(r) for r in self.ratings],
        }


def visible_ratings(session: Session, user: User | None, supplier: Firm) -> Visible:
    """The part of ``supplier``'s ratings ``user`` may read (see the module's text)."""
    agg = aggregate(session, supplier.id)
    if sees_all_ratings(user, supplier):
        return Visible(agg if agg.buyers else None, agg.per_buyer, True)
    buyer = (
        user is not None
        and user.role == UserRole.MEMBER
        and user.firm is not None
        and user.firm.role in (FirmRole.BUYER, FirmRole.BOTH)
        and user.firm_id != supplier.id
    )
    if buyer and agg.counts:
        return Visible(agg)
    return Visible(None)


def deal_rating(session: Session, deal: Deal) -> SupplierRating | None:
    return session.scalar(select(SupplierRating).where(SupplierRating.deal_id == deal.id))


def rating_dict(rating: SupplierRating) -> dict[str, Any]:
    return {
        "id": rating.id,
        "deal_id": rating.deal_id,
        "supplier_id": rating.supplier_id,
        "buyer_id": rating.buyer_id,
        "quality": rating.quality,
        "on_time": rating.on_time,
        "communication": rating.communication,
        "ppm": rating.ppm,
        "on_time_pct": rating.on_time_pct,
        "comment": rating.comment,
    }
