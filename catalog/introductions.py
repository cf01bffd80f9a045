"""Introductions with consent, and invitations to read a need.

A buyer (or an officer for it) asks to be introduced to a supplier about a need. The
supplier's users accept or decline; only after acceptance does each side see the
other's contact person (``catalog.access.see_contact``). Accepting moves the deal of
the need and the supplier to the stage "introduced" (``reach_introduced``), a graded
judgement the reranker learns from.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import notifications
from .deals.pipeline import deal_for, reach
from .i18n import N_
from .models import (
    Firm,
    Introduction,
    IntroductionStatus,
    Need,
    NeedVisibility,
    Side,
    Stage,
    User,
    UserRole,
    utcnow,
)
from .validation import ValidationError, clean_field


def request_introduction(
    session: Session, need: Need, supplier: Firm, user: User | None, message: str = ""
) -> Introduction:
    if not supplier.is_supplier:
        raise ValidationError({"firm_id": N_("Only suppliers can be introduced.")})
    if supplier.id == need.buyer_id:
        raise ValidationError({"firm_id": N_("A firm cannot be introduced to itself.")})
    existing = session.scalar(
        select(Introduction).where(
            Introduction.need_id == need.id, Introduction.supplier_id == supplier.id
        )
    )
    if existing is not None:
        return existing
    intro = Introduction(
        need=need,
        supplier=supplier,
        buyer_id=need.buyer_id,
        message=clean_field("message", message, multiline=True)[:1000],
        requested_by_id=user.id if user else None,
    )
    if supplier not in need.invited and need.visibility == NeedVisibility.INVITED:
        need.invited.append(supplier)  # the supplier must be able to read the need
    session.add(intro)
    notifications.introduction_requested(session, intro)
    session.commit()
    return intro


def decide_introduction(
    session: Session, intro: Introduction, user: User | None, accept: bool
) -> Introduction:
    if intro.status != IntroductionStatus.REQUESTED:
        raise ValidationError({"status": N_("This introduction was already answered.")})
    intro.status = IntroductionStatus.ACCEPTED if accept else IntroductionStatus.DECLINED
    intro.decided_by_id = user.id if user else None
    intro.decided_at = utcnow()
    session.flush()
    notifications.introduction_decided(session, intro)
    if accept:
        reach_introduced(session, intro)
    session.commit()
    return intro


def reach_introduced(session: Session, intro: Introduction) -> None:
    """An accepted introduction is the stage "introduced" of the deal of its need and
    supplier (begun by the buyer if there is none), dated the day it was accepted: one
    step and one judgement, whoever accepted it (the firm, or an officer for it).
    Flushed, not committed."""
    deal = deal_for(session, intro.need, intro.supplier, started_by=Side.BUYER)
    on = (intro.decided_at or utcnow()).date()
    reach(
        session,
        deal,
        Stage.INTRODUCED,
        source="introduction",
        ref_id=intro.id,
        on=min(on, date.today()),
        user=session.get(User, intro.decided_by_id) if intro.decided_by_id else None,
        side=Side.SUPPLIER,
    )


def invite(session: Session, need: Need, supplier: Firm) -> None:
    if not supplier.is_supplier:
        raise ValidationError({"firm_id": N_("Only suppliers can be invited.")})
    if supplier not in need.invited:
        need.invited.append(supplier)
    session.commit()


def need_introductions(session: Session, need: Need) -> list[Introduction]:
    return list(session.scalars(select(Introduction).where(Introduction.need_id == need.id)))


def introductions_query(user: User | None):
    """The introductions a user takes part in: their firm's on either side; an officer's
    provinces'; all for an admin. Newest first."""
    query = select(Introduction).order_by(Introduction.id.desc())
    if user is None:
        return query.where(Introduction.id.is_(None))
    if user.role == UserRole.MEMBER:
        query = query.where(
            or_(Introduction.supplier_id == user.firm_id, Introduction.buyer_id == user.firm_id)
        )
    elif user.role == UserRole.OFFICER:
        firms = select(Firm.id).where(Firm.province_id.in_(user.province_ids or {-1}))
        query = query.where(
            or_(Introduction.supplier_id.in_(firms), Introduction.buyer_id.in_(firms))
        )
    return query


def introductions_with(session: Session, user: User | None, firm: Firm) -> list[Introduction]:
    """Introductions between the user's firm and ``firm``, for the firm page."""
    if user is None or user.firm_id is None or user.firm_id == firm.id:
        return []
    pair = or_(
        (Introduction.supplier_id == firm.id) & (Introduction.buyer_id == user.firm_id),
        (Introduction.supplier_id == user.firm_id) & (Introduction.buyer_id == firm.id),
    )
    return list(session.scalars(select(Introduction).where(pair)))
