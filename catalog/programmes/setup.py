"""Officers set up a province's programme: its decision and period, its support lines
with eligibility, their yearly budgets by source and their counted targets.

Inputs come as form strings or JSON values and are parsed by ``catalog.validation``;
a line's budgets and targets arrive as lists of small mappings (``{"year": 2026,
"source": "provincial", "planned_vnd": 600000000}``) and replace the line's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..access import OutOfScope, manage_programme
from ..i18n import N_
from ..models import (
    Concept,
    FirmSize,
    FormerProvince,
    FundingSource,
    LineStatus,
    Programme,
    Province,
    SupportBudget,
    SupportKind,
    SupportLine,
    SupportTarget,
    TargetMeasure,
    User,
)
from ..validation import (
    ValidationError,
    _Checker,
    choice,
    concept_list,
    integer,
    standards,
    text,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_VND = 10**15  # a province's whole budget over decades stays far below


def _rows(value: Any, field: str) -> list[Mapping[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValidationError({field: N_("Give a list.")})
    return value


def create_programme(session: Session, user: User | None, data: Mapping[str, Any]) -> Programme:
    """A programme of a province the user serves (``province_id``; an officer of one
    province may leave it out)."""
    c = _Checker(data)
    c.run("name", text(300), required=True)
    c.run("legal_basis", text(500))
    c.run("description", text(5000))
    c.run("start_year", integer(FIRST_YEAR, LAST_YEAR), required=True)
    c.run("end_year", integer(FIRST_YEAR, LAST_YEAR), required=True)
    c.run("province_id", integer(1, 2**31 - 1))
    clean = c.finish()
    if clean["end_year"] < clean["start_year"]:
        raise ValidationError({"end_year": N_("The last year cannot be before the first.")})
    province_id = clean.get("province_id")
    if province_id is None and user is not None and len(user.province_ids) == 1:
        province_id = next(iter(user.province_ids))
    province = session.get(Province, province_id) if province_id else None
    if province is None:
        raise ValidationError({"province_id": N_("Choose the province.")})
    programme = Programme(
        province_id=province.id,
        name=clean["name"],
        legal_basis=clean.get("legal_basis") or "",
        description=clean.get("description") or "",
        start_year=clean["start_year"],
        end_year=clean["end_year"],
        created_by_id=user.id if user else None,
    )
    if user is not None and not manage_programme(user, programme):
        raise OutOfScope(N_("You do not serve this province."), {province.id}, programme)
    session.add(programme)
    session.flush()
    return programme


def save_line(
    session: Session,
    programme: Programme,
    user: User | None,
    data: Mapping[str, Any],
    line: SupportLine | None = None,
) -> SupportLine:
    """Add a support line to ``programme`` (or change ``line``), with its eligibility,
    budgets and targets; every problem is reported at once, per field."""
    if user is not None and not manage_programme(user, programme):
        raise OutOfScope(N_("You do not serve this province."), {programme.province_id}, programme)
    c = _Checker(data)
    c.run("kind", choice(SupportKind), required=True)
    c.run("name", text(300), required=True)
    c.run("description", text(5000))
    c.run("share_pct", integer(1, 100), required=True)
    c.run("ceiling_vnd", integer(0, MAX_VND))
    c.run("sizes", _sizes)
    c.run("sectors", concept_list(session, "sector"))
    c.run("processes", concept_list(session, "process"))
    c.run("standards", standards)
    c.run("former_province_id", integer(1, 2**31 - 1))
    c.run("status", choice(LineStatus))
    budgets = targets = []
    try:
        budgets = _budgets(_rows(data.get("budgets"), "budgets"), programme)
    except ValidationError as exc:
        c.errors.update(exc.errors)
    try:
        targets = _targets(_rows(data.get("targets"), "targets"), programme)
    except ValidationError as exc:
        c.errors.update(exc.errors)
    clean = c.finish()
    former = None
    if clean.get("former_province_id"):
        former = session.get(FormerProvince, clean["former_province_id"])
        if former is None or former.province_id != programme.province_id:
            raise ValidationError(
                {"former_province_id": N_("Choose a former province of this province.")}
            )
    if line is None:
        line = SupportLine(programme=programme)
        session.add(line)
    line.kind = clean["kind"]
    line.name = clean["name"]
    line.description = clean.get("description") or ""
    line.share_pct = clean["share_pct"]
    line.ceiling_vnd = clean.get("ceiling_vnd")
    line.sizes = [s.value for s in clean.get("sizes") or []]
    line.standards = clean.get("standards") or []
    line.former_province = former
    line.status = clean.get("status") or LineStatus.OPEN
    line.sectors = [session.get(Concept, cid) for cid in clean.get("sectors") or []]
    line.processes = [session.get(Concept, cid) for cid in clean.get("processes") or []]
    if "budgets" in data:
        line.budgets = [SupportBudget(**b) for b in budgets]
    if "targets" in data:
        line.targets = [SupportTarget(**t) for t in targets]
    session.flush()
    return line


def _sizes(value: Any) -> list[FirmSize]:
    items = value if isinstance(value, list) else str(value).split(",")
    parse = choice(FirmSize)
    return list(dict.fromkeys(parse(v.strip() if isinstance(v, str) else v) for v in items if v))


_sizes.many = True  # type: ignore[attr-defined]


def _budgets(rows: Iterable[Mapping[str, Any]], programme: Programme) -> list[dict[str, Any]]:
    out: dict[tuple[int, FundingSource], dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        c = _Checker(row)
        c.run("year", integer(programme.start_year, programme.end_year), required=True)
        c.run("source", choice(FundingSource), required=True)
        c.run("planned_vnd", integer(0, MAX_VND), required=True)
        try:
            clean = c.finish()
        except ValidationError as exc:
            for field, message in exc.errors.items():
                errors[f"budgets.{n}.{field}"] = message
            continue
        key = (clean["year"], clean["source"])
        if key in out:
            errors[f"budgets.{n}.year"] = N_("This year and source are already budgeted.")
            continue
        out[key] = clean
    if errors:
        raise ValidationError(errors)
    return list(out.values())


def _targets(rows: Iterable[Mapping[str, Any]], programme: Programme) -> list[dict[str, Any]]:
    out = []
    errors: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        c = _Checker(row)
        c.run("measure", choice(TargetMeasure), required=True)
        c.run("value", integer(1, 10**9), required=True)
        c.run("year", integer(programme.start_year, programme.end_year))
        try:
            out.append(c.finish())
        except ValidationError as exc:
            for field, message in exc.errors.items():
                errors[f"targets.{n}.{field}"] = message
    if errors:
        raise ValidationError(errors)
    return out
