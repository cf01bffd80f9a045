"""Recording officers' checks of declared capabilities and certifications.

A check is kept as evidence for years and read by buyers who rely on it, so it is
validated strictly, its files are checked by their bytes (not their names) and stored
by content digest, and every check lapses: a capability seen on a site visit two years
ago says little about today. The newest check of an item decides its badge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .files import Upload, check_uploads, safe_name, store, stored_path
from .i18n import N_
from .models import (
    Capability,
    Certification,
    EvidenceFile,
    Firm,
    User,
    Verification,
    VerificationMethod,
    VerificationResult,
    latest_checks,
)
from .validation import ValidationError, _Checker, choice, iso_date, text

# How long a check stands when the officer does not say: the usual interval between
# a province's capability surveys.
DEFAULT_VALIDITY = timedelta(days=2 * 365)
# Firms are told this long before a check of theirs lapses.
EXPIRY_NOTICE = timedelta(days=30)
MAX_EVIDENCE_FILES = 10
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def evidence_path(root: Path, evidence: EvidenceFile) -> Path:
    return stored_path(root, evidence.sha256)


def record(
    session: Session,
    firm: Firm,
    item: Capability | Certification,
    data: Mapping[str, Any],
    *,
    officer: User | None,
    uploads: Iterable[Upload] = (),
    evidence_root: Path | None = None,
    today: date | None = None,
) -> Verification:
    """Record one check of ``item`` (a capability or certification of ``firm``).

    ``data`` holds method, result, checked_on, valid_until (optional: defaults to
    two years, and never beyond the certificate's own expiry) and note. Raises
    ``ValidationError`` with every problem at once; nothing is written then.
    """
    today = today or date.today()
    c = _Checker(data)
    c.run("method", choice(VerificationMethod), required=True)
    c.run("result", choice(VerificationResult), required=True)
    c.run("checked_on", iso_date, required=True)
    c.run("valid_until", iso_date)
    c.run("note", text(2000))
    errors = dict(c.errors)
    clean = c.clean
    if item.firm_id != firm.id:
        errors["item"] = N_("This item belongs to another firm.")
    checked_on = clean.get("checked_on")
    if checked_on and checked_on > today:
        errors["checked_on"] = N_("A check cannot be dated in the future.")
    valid_until = clean.get("valid_until")
    if checked_on and valid_until and valid_until <= checked_on:
        errors["valid_until"] = N_("The check must stay valid after the day it was made.")
    try:
        accepted = check_uploads(uploads, most=MAX_EVIDENCE_FILES, max_bytes=MAX_EVIDENCE_BYTES)
    except ValueError as exc:
        errors["evidence"] = exc.args[0]
        accepted = []
    if accepted and evidence_root is None:
        raise RuntimeError("evidence_root is required to store evidence files")
    if errors:
        raise ValidationError(errors)
    if valid_until is None:
        valid_until = checked_on + DEFAULT_VALIDITY
        if isinstance(item, Certification) and item.valid_until:
            valid_until = min(valid_until, item.valid_until)
    check = Verification(
        firm=firm,
        capability=item if isinstance(item, Capability) else None,
        certification=item if isinstance(item, Certification) else None,
        method=clean["method"],
        result=clean["result"],
        checked_on=checked_on,
        valid_until=valid_until,
        officer=officer,
        note=clean.get("note") or "",
    )
    for upload, content_type in accepted:
        check.evidence.append(
            EvidenceFile(
                filename=safe_name(upload.filename),
                content_type=content_type,
                size=len(upload.data),
                sha256=store(evidence_root, upload.data),
            )
        )
    session.add(check)
    session.commit()
    return check


def remove(session: Session, check: Verification) -> None:
    """Withdraw a check recorded in error (the audit log keeps that it existed)."""
    session.delete(check)
    session.commit()


def history(session: Session, firm: Firm) -> list[Verification]:
    """Every check of the firm's items, newest first."""
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.firm_id == firm.id)
            .options(
                selectinload(Verification.evidence),
                selectinload(Verification.officer),
                selectinload(Verification.capability),
                selectinload(Verification.certification),
            )
            .order_by(Verification.checked_on.desc(), Verification.id.desc())
        )
    )


def due_for_expiry_notice(session: Session, today: date | None = None) -> list[Verification]:
    """Current checks lapsing within ``EXPIRY_NOTICE`` whose firm has not been told.

    Only the newest check of an item counts: a renewed check silences the old one.
    """
    today = today or date.today()
    soon = session.scalars(
        select(Verification)
        .where(
            Verification.valid_until.is_not(None),
            Verification.valid_until >= today,
            Verification.valid_until <= today + EXPIRY_NOTICE,
            Verification.expiry_notice_on.is_(None),
            Verification.result != VerificationResult.NOT_CONFIRMED,
        )
        .options(selectinload(Verification.firm))
    ).all()
    if not soon:
        return []
    firm_ids = {c.firm_id for c in soon}
    latest = latest_checks(
        session.scalars(select(Verification).where(Verification.firm_id.in_(firm_ids)))
    )
    newest = {c.id for c in latest.values()}
    return [c for c in soon if c.id in newest]
