"""Create, change and remove catalog records from validated input.

Every function validates its input against the record's declared fields
(``catalog.schemas``), applies it, and commits.
Committing here, rather than in views, keeps one transaction per user action: the
search index follows commits, so it sees whole actions and never half of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .i18n import N_
from .models import (
    Capability,
    Certification,
    Firm,
    FirmRole,
    MatchJudgement,
    Need,
    NeedStatus,
    NeedVisibility,
    Outcome,
    Ownership,
    ShortlistEntry,
    Side,
    User,
    utcnow,
)
from .schemas import (
    CapabilitySchema,
    CertificationSchema,
    FirmSchema,
    NeedSchema,
    validate_capability,
    validate_certification,
    validate_firm,
    validate_need,
)
from .text import detect_language
from .validation import ValidationError, clean_field


def _check_tax_code_free(session: Session, tax_code: str | None, firm_id: int | None) -> None:
    if not tax_code:
        return
    other = session.scalar(select(Firm).where(Firm.tax_code == tax_code))
    if other is not None and other.id != firm_id:
        raise ValidationError({"tax_code": N_("A firm with this tax code is already registered.")})


def _apply_firm(session: Session, firm: Firm, clean: Mapping[str, Any]) -> None:
    FirmSchema(session).assign(firm, clean)
    if firm.ownership is None:
        firm.ownership = Ownership.DOMESTIC


def _done(session: Session, commit: bool) -> None:
    """Commit one user action; or only flush when the caller (a bulk import) commits."""
    if commit:
        session.commit()
    else:
        session.flush()


def create_firm(
    session: Session, data: Mapping[str, Any], commit: bool = True, tax_code_required: bool = True
) -> Firm:
    clean = validate_firm(session, data, tax_code_required=tax_code_required)
    _check_tax_code_free(session, clean.get("tax_code"), None)
    firm = Firm(role=clean["role"])
    _apply_firm(session, firm, clean)
    session.add(firm)
    _done(session, commit)
    return firm


def update_firm(session: Session, firm: Firm, data: Mapping[str, Any], commit: bool = True) -> Firm:
    data = dict(data)
    data.setdefault("_current_province_id", firm.province_id)
    clean = validate_firm(session, data, partial=True)
    # A change of some fields is checked against the others as they stay: clearing both
    # names (each alone may be cleared) would leave a firm nobody can name.
    names = [clean[f] if f in clean else getattr(firm, f) for f in ("name_vi", "name_en")]
    if not any(names):
        raise ValidationError({"name_vi": N_("Give the firm's name in Vietnamese or English.")})
    _check_tax_code_free(session, clean.get("tax_code"), firm.id)
    _apply_firm(session, firm, clean)
    _done(session, commit)
    return firm


def set_verified(session: Session, firm: Firm, user: Any, verified: bool = True) -> Firm:
    """An officer's confirmation that the firm and its profile are real."""
    firm.verified_at = utcnow() if verified else None
    firm.verified_by_id = getattr(user, "id", None) if verified else None
    session.commit()
    return firm


def delete_firm(session: Session, firm: Firm) -> None:
    session.delete(firm)
    session.commit()


def _apply_capability(session: Session, cap: Capability, clean: Mapping[str, Any]) -> None:
    CapabilitySchema(session).assign(cap, clean)
    cap.language = detect_language(f"{cap.title} {cap.description}")


def add_capability(
    session: Session, firm: Firm, data: Mapping[str, Any], commit: bool = True
) -> Capability:
    if not firm.is_supplier:
        raise ValidationError({"firm": N_("Only supplier firms can declare capabilities.")})
    clean = validate_capability(session, data)
    cap = Capability(firm=firm)
    _apply_capability(session, cap, clean)
    session.add(cap)
    _done(session, commit)
    return cap


def update_capability(
    session: Session, cap: Capability, data: Mapping[str, Any], commit: bool = True
) -> Capability:
    clean = validate_capability(session, data, partial=True)
    _apply_capability(session, cap, clean)
    _done(session, commit)
    return cap


def delete_capability(session: Session, cap: Capability) -> None:
    session.delete(cap)
    session.commit()


def add_certification(
    session: Session, firm: Firm, data: Mapping[str, Any], commit: bool = True
) -> Certification:
    clean = validate_certification(data)
    cert = Certification(firm=firm)
    CertificationSchema(session).assign(cert, clean)
    session.add(cert)
    _done(session, commit)
    return cert


def delete_certification(session: Session, cert: Certification) -> None:
    session.delete(cert)
    session.commit()


def _apply_need(session: Session, need: Need, clean: Mapping[str, Any]) -> None:
    NeedSchema(session).assign(need, clean)


def create_need(session: Session, buyer: Firm, data: Mapping[str, Any]) -> Need:
    if buyer.role not in (FirmRole.BUYER, FirmRole.BOTH):
        raise ValidationError({"buyer": N_("Only buyer firms can post needs.")})
    clean = validate_need(session, data)
    need = Need(buyer=buyer, status=NeedStatus.OPEN, visibility=NeedVisibility.REGISTERED)
    _apply_need(session, need, clean)
    session.add(need)
    session.commit()
    return need


def update_need(session: Session, need: Need, data: Mapping[str, Any]) -> Need:
    clean = validate_need(session, data, partial=True)
    _apply_need(session, need, clean)
    session.commit()
    return need


def shortlist_add(
    session: Session,
    need: Need,
    firm: Firm,
    capability_id: int | None = None,
    score: float | None = None,
    note: str = "",
) -> ShortlistEntry:
    """Keep a supplier for a need; adding it again updates the note and score."""
    if not firm.is_supplier:
        raise ValidationError({"firm": N_("Only suppliers can be shortlisted.")})
    note = clean_field("note", note)
    if len(note) > 500:
        raise ValidationError({"note": N_("Must be at most 500 characters.")})
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.need_id == need.id, ShortlistEntry.firm_id == firm.id
        )
    )
    if entry is None:
        entry = ShortlistEntry(need=need, firm=firm)
        session.add(entry)
    entry.capability_id = capability_id
    entry.score = score
    entry.note = note
    _judge(session, need, firm.id, capability_id, Outcome.SHORTLISTED, "buyer")
    session.commit()
    return entry


def shortlist_remove(session: Session, need: Need, firm_id: int) -> bool:
    entry = session.scalar(
        select(ShortlistEntry).where(
            ShortlistEntry.need_id == need.id, ShortlistEntry.firm_id == firm_id
        )
    )
    if entry is None:
        return False
    session.delete(entry)
    session.commit()
    return True


def _judge(
    session: Session,
    need: Need,
    firm_id: int,
    capability_id: int | None,
    outcome: Outcome,
    source: str,
) -> MatchJudgement:
    judgement = MatchJudgement(
        need=need, firm_id=firm_id, capability_id=capability_id, outcome=outcome, source=source
    )
    session.add(judgement)
    return judgement


def record_outcome(
    session: Session,
    need: Need,
    firm: Firm,
    outcome: str,
    capability_id: int | None = None,
    source: str = "buyer",
    user: User | None = None,
) -> MatchJudgement:
    """Record what happened to a suggested supplier as a judgement.

    "rejected" and "shortlisted" are judgements of the match card. The others are
    stages of the deal of the need and the supplier (begun by the buyer if there is
    none: ``catalog.deals.pipeline``), so the stage, its judgement and anything it
    makes are written once: "introduced" and "meeting" (and the stage names) reach
    that stage (source "recorded"); "deal" (and "purchase_order", "repeat_order")
    record a purchase order without a value (``catalog.deals.orders.record_order``),
    which makes the tier-1 supply relationship. Returns the judgement written."""
    try:
        value = Outcome(str(outcome).lower())
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise ValidationError(
            {"outcome": N_("Must be one of: %(allowed)s.", allowed=allowed)}
        ) from None
    if not firm.is_supplier:
        raise ValidationError({"firm_id": N_("Only suppliers can be judged as matches.")})
    if capability_id is not None and session.get(Capability, capability_id) is None:
        raise ValidationError(
            {"capability_id": N_("No capability with id %(id)s.", id=capability_id)}
        )
    if value in (Outcome.REJECTED, Outcome.SHORTLISTED):
        judgement = _judge(session, need, firm.id, capability_id, value, source[:20])
        session.commit()
        return judgement
    from .deals import orders, pipeline  # built on this module's models

    deal = pipeline.deal_for(session, need, firm, started_by=Side.BUYER)
    if value in (Outcome.DEAL, Outcome.PURCHASE_ORDER, Outcome.REPEAT_ORDER):
        orders.record_order(session, deal, user)
    else:
        stage = {o: s for s, o in pipeline.STAGE_OUTCOMES.items()}[value]
        pipeline.reach(session, deal, stage, source="recorded", user=user)
    judgement = session.scalar(
        select(MatchJudgement)
        .where(MatchJudgement.need_id == need.id, MatchJudgement.firm_id == firm.id)
        .order_by(MatchJudgement.id.desc())
        .limit(1)
    )
    if capability_id is not None:
        judgement.capability_id = capability_id
    session.commit()
    return judgement
