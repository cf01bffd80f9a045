"""Structured fit of a supplier capability to a need: hard constraints and soft scores.

A hard constraint (a required certification) that fails does not hide the supplier,
since buyers often accept a firm that is certifying, but it is shown as failed and
costs rank. Soft criteria (process, materials, capacity, tolerance, distance) add up
to a fit score in [0, 1] that is blended with retrieval relevance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from catalog.i18n import N_, Label, bilingual
from catalog.models import Capability, Firm, Need, Province

from .firm_facts import CapabilityFacts, FirmFacts, ProvinceFacts

LIST = Label(", ", ", ")  # joins names listed in a message, in both languages

# Checks read a firm's row or the facts a match keeps of it (the same attribute names).
AnyFirm = Firm | FirmFacts
AnyCapability = Capability | CapabilityFacts

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"
# An officer's current check of the item: shown on the card, counted in ranking by
# ``verified_bonus`` (not in the fit share, which is about what the need asks for).
VERIFIED = "verification"


@dataclass(frozen=True)
class Check:
    name: str  # certification | process | materials | capacity | tolerance | location | treatment
    status: str  # ok | fail | unknown
    hard: bool
    detail: str
    weight: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Requirements:
    """What a match is checked against, read with a need's attribute names: a need's
    form merged with the hard terms of its text, or the terms of a directory search
    (``matching.query_terms``). ``treatments`` have no form field: the text alone."""

    process_id: str | None = None
    process: Any = None
    materials: list[Any] = field(default_factory=list)  # with id, name_vi, name_en
    quantity_per_year: int | None = None
    tolerance_mm: float | None = None
    required_certifications: list[str] = field(default_factory=list)
    delivery_province: Any = None
    delivery_province_id: int | None = None
    treatments: list[Any] = field(default_factory=list)  # process concepts


AnyNeed = Need | Requirements


def distance_km(a: Province | ProvinceFacts | None, b: Province | None) -> float | None:
    if a is None or b is None or None in (a.lat, a.lon, b.lat, b.lon):
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def certification_checks(need: AnyNeed, firm: AnyFirm, today: date | None = None) -> list[Check]:
    today = today or date.today()
    held: dict[str, bool] = {}
    for cert in firm.certifications:
        held[cert.standard] = held.get(cert.standard, False) or cert.is_valid(today)
    checked = firm.current_checks(today)
    verified = {
        cert.standard
        for cert in firm.certifications
        if cert.is_valid(today) and ("certification", cert.id) in checked
    }
    checks = []
    for standard in need.required_certifications or []:
        if standard in verified:
            checks.append(
                Check(
                    "certification",
                    OK,
                    True,
                    N_("%(standard)s required: held, verified by an officer", standard=standard),
                )
            )
        elif held.get(standard):
            checks.append(
                Check(
                    "certification", OK, True, N_("%(standard)s required: held", standard=standard)
                )
            )
        elif standard in held:
            checks.append(
                Check(
                    "certification",
                    FAIL,
                    True,
                    N_("%(standard)s required: expired", standard=standard),
                )
            )
        else:
            checks.append(
                Check(
                    "certification",
                    FAIL,
                    True,
                    N_("%(standard)s required: missing", standard=standard),
                )
            )
    return checks


def capability_checks(need: AnyNeed, cap: AnyCapability, firm: AnyFirm) -> list[Check]:
    checks: list[Check] = []
    if need.process_id:
        firm_processes = {c.process_id for c in firm.capabilities}
        label = bilingual(need.process) if need.process else need.process_id
        if cap.process_id == need.process_id:
            checks.append(
                Check(
                    "process",
                    OK,
                    False,
                    N_("Process %(process)s: this capability", process=label),
                    2.0,
                )
            )
        elif need.process_id in firm_processes:
            checks.append(
                Check(
                    "process",
                    OK,
                    False,
                    N_("Process %(process)s: another line", process=label),
                    1.5,
                )
            )
        else:
            checks.append(
                Check(
                    "process",
                    FAIL,
                    False,
                    N_("Process %(process)s: not declared", process=label),
                    2.0,
                )
            )
    if need.materials:
        have = {m.id for m in cap.materials} | {
            m.id for c in firm.capabilities for m in c.materials
        }
        got = [bilingual(m) for m in need.materials if m.id in have]
        lacking = [bilingual(m) for m in need.materials if m.id not in have]
        if not lacking:
            checks.append(
                Check("materials", OK, False, N_("Materials: %(got)s", got=LIST.join(got)))
            )
        elif got:
            # Each side shown as it is: a material lacking is a requirement not met.
            checks.append(
                Check("materials", OK, False, N_("Materials: %(got)s", got=LIST.join(got)), 0.5)
            )
            checks.append(
                Check(
                    "materials",
                    FAIL,
                    False,
                    N_("Materials %(lacking)s: not declared", lacking=LIST.join(lacking)),
                    0.5,
                )
            )
        else:
            status = FAIL if have else UNKNOWN
            checks.append(
                Check(
                    "materials",
                    status,
                    False,
                    N_("Materials %(lacking)s: not declared", lacking=LIST.join(lacking)),
                )
            )
    if need.quantity_per_year:
        monthly = math.ceil(need.quantity_per_year / 12)
        if cap.capacity_per_month:
            if cap.capacity_per_month >= monthly:
                detail = N_(
                    "Capacity %(have)s/month ≥ %(need)s/month needed",
                    have=cap.capacity_per_month,
                    need=monthly,
                )
                checks.append(Check("capacity", OK, False, detail))
            else:
                detail = N_(
                    "Capacity %(have)s/month < %(need)s/month needed",
                    have=cap.capacity_per_month,
                    need=monthly,
                )
                checks.append(Check("capacity", FAIL, False, detail))
        else:
            checks.append(Check("capacity", UNKNOWN, False, N_("Capacity not declared"), 0.5))
        if cap.min_order_qty and cap.min_order_qty > need.quantity_per_year:
            detail = N_(
                "Minimum order %(moq)s > %(qty)s/year",
                moq=cap.min_order_qty,
                qty=need.quantity_per_year,
            )
            checks.append(Check("capacity", FAIL, False, detail, 0.5))
    if need.tolerance_mm:
        if cap.tolerance_mm is None:
            checks.append(Check("tolerance", UNKNOWN, False, N_("Tolerance not declared"), 0.5))
        elif cap.tolerance_mm <= need.tolerance_mm:
            detail = N_(
                "Tolerance ±%(have)s mm ≤ ±%(need)s mm",
                have=cap.tolerance_mm,
                need=need.tolerance_mm,
            )
            checks.append(Check("tolerance", OK, False, detail))
        else:
            detail = N_(
                "Tolerance ±%(have)s mm > ±%(need)s mm required",
                have=cap.tolerance_mm,
                need=need.tolerance_mm,
            )
            checks.append(Check("tolerance", FAIL, False, detail))
    if need.delivery_province is not None:
        km = distance_km(firm.province, need.delivery_province)
        where = bilingual(need.delivery_province)
        if firm.province_id == need.delivery_province_id:
            checks.append(Check("location", OK, False, N_("In %(where)s", where=where), 0.5))
        elif km is not None and km <= 120:
            checks.append(
                Check(
                    "location",
                    OK,
                    False,
                    N_("%(km)s km from %(where)s", km=round(km), where=where),
                    0.5,
                )
            )
        elif km is not None:
            checks.append(
                Check(
                    "location",
                    FAIL,
                    False,
                    N_("%(km)s km from %(where)s", km=round(km), where=where),
                    0.5,
                )
            )
        else:
            checks.append(
                Check(
                    "location",
                    UNKNOWN,
                    False,
                    N_("Distance to %(where)s unknown", where=where),
                    0.5,
                )
            )
    for treatment in getattr(need, "treatments", None) or []:
        name = bilingual(treatment)
        if any(c.process_id == treatment.id for c in firm.capabilities):
            checks.append(
                Check("treatment", OK, False, N_("Treatment %(name)s: declared", name=name))
            )
        else:
            checks.append(
                Check("treatment", FAIL, False, N_("Treatment %(name)s: not declared", name=name))
            )
    badge = verification_check(cap, firm)
    if badge is not None:
        checks.append(badge)
    return checks


def verification_check(
    cap: AnyCapability, firm: AnyFirm, today: date | None = None
) -> Check | None:
    """The verified badge of a capability, if an officer's check of it still stands."""
    check = firm.current_checks(today).get(("capability", cap.id))
    if check is None:
        return None
    if check.method == "site_visit":
        detail = N_("Verified on a site visit, %(date)s", date=check.checked_on.isoformat())
    else:
        detail = N_("Verified from documents, %(date)s", date=check.checked_on.isoformat())
    if check.result == "partly":
        detail = N_("Partly verified, %(date)s", date=check.checked_on.isoformat())
    return Check(VERIFIED, OK, False, detail, 0.5 if check.result == "partly" else 1.0)


def verified_bonus(checks: list[Check]) -> float:
    """Share of the remaining headroom a verified capability gains (0 if unverified)."""
    return 0.1 * max((c.weight for c in checks if c.name == VERIFIED), default=0.0)


def fit_score(checks: list[Check]) -> float | None:
    """Weighted share of soft criteria met (unknown counts half); None if none apply."""
    soft = [c for c in checks if not c.hard and c.name != VERIFIED]
    if not soft:
        return None
    total = sum(c.weight for c in soft)
    got = sum(
        c.weight * (1.0 if c.status == OK else 0.5 if c.status == UNKNOWN else 0.0) for c in soft
    )
    return got / total


def hard_failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.hard and c.status == FAIL]


def meets_all(checks: list[Check]) -> bool:
    """ "Meets all requirements": every stated requirement holds. A failed check, and
    one the firm has not declared (unknown capacity, tolerance, materials, distance),
    counts as not met. An officer's badge is not a requirement, nor is a surface
    treatment read from the text: no form states one, and a firm names its finishing
    in its description as often as a capability of its own (the check is shown and
    weighs in the fit)."""
    return all(c.status == OK for c in checks if c.name not in (VERIFIED, "treatment"))
