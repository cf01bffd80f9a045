"""What a programme planned, committed and paid, and what it achieved against its
counted targets, for the programme page and the quarterly and annual reports.

* planned: the lines' budgets, by year and source;
* committed: the amounts approved (applications approved or completed, by the year of
  the decision);
* disbursed: the payments, by year and source.

A target counts from the applications' records (``TargetMeasure``): firms with an
approved or completed support, firms whose support completed, workers trained,
certificates obtained; a target with a year counts that year only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    ApplicationStatus,
    FundingSource,
    Programme,
    SupportApplication,
    SupportLine,
    SupportTarget,
    TargetMeasure,
)

DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.COMPLETED)


@dataclass
class TargetFigure:
    target: SupportTarget
    actual: int

    @property
    def share(self) -> float:
        return self.actual / self.target.value if self.target.value else 0.0


@dataclass
class LineFigures:
    line: SupportLine
    planned: dict[int, dict[FundingSource, int]] = field(default_factory=dict)
    committed: dict[int, int] = field(default_factory=dict)  # year of decision → VND
    disbursed: dict[int, dict[FundingSource, int]] = field(default_factory=dict)
    applications: int = 0
    approved: int = 0
    targets: list[TargetFigure] = field(default_factory=list)

    def planned_vnd(self, year: int | None = None) -> int:
        return _sum(self.planned, year)

    def disbursed_vnd(self, year: int | None = None) -> int:
        return _sum(self.disbursed, year)

    def committed_vnd(self, year: int | None = None) -> int:
        if year is None:
            return sum(self.committed.values())
        return self.committed.get(year, 0)


def _sum(table: dict[int, dict[FundingSource, int]], year: int | None) -> int:
    rows = table.values() if year is None else [table.get(year, {})]
    return sum(v for row in rows for v in row.values())


def _applications(session: Session, line_ids: Iterable[int]) -> list[SupportApplication]:
    return list(
        session.scalars(
            select(SupportApplication)
            .where(SupportApplication.line_id.in_(list(line_ids) or [-1]))
            .options(selectinload(SupportApplication.disbursements))
        )
    )


def target_actual(
    target: SupportTarget, applications: Iterable[SupportApplication], by: date | None = None
) -> int:
    """What ``target`` counts from a line's ``applications``: those decided (and, for
    the measures of results, completed) by ``by``, so a past period's report does not
    change with what was done after it (None: everything so far)."""

    def done(day: date | None) -> bool:
        return by is None or (day is not None and day <= by)

    def in_year(day: date | None) -> bool:
        return target.year is None or (day is not None and day.year == target.year)

    decided = [a for a in applications if a.status in DECIDED and done(a.decided_on)]
    measure = target.measure
    if measure == TargetMeasure.FIRMS_SUPPORTED:
        return len({a.firm_id for a in decided if in_year(a.decided_on)})
    completed = [
        a
        for a in decided
        if a.status == ApplicationStatus.COMPLETED
        and done(a.completed_on)
        and in_year(a.completed_on)
    ]
    if measure == TargetMeasure.FIRMS_COMPLETED:
        return len({a.firm_id for a in completed})
    if measure == TargetMeasure.WORKERS_TRAINED:
        return sum(a.workers_trained or 0 for a in completed)
    if measure == TargetMeasure.CERTIFICATIONS:
        return sum(1 for a in completed if a.certification_id is not None)
    return 0


def line_figures(session: Session, lines: Iterable[SupportLine]) -> list[LineFigures]:
    """Budget, commitments, payments and targets of each line, in the lines' order."""
    lines = list(lines)
    apps = _applications(session, [line.id for line in lines])
    by_line: dict[int, list[SupportApplication]] = defaultdict(list)
    for a in apps:
        by_line[a.line_id].append(a)
    out = []
    for line in lines:
        fig = LineFigures(line)
        for b in line.budgets:
            fig.planned.setdefault(b.year, {})[b.source] = b.planned_vnd
        mine = by_line[line.id]
        decided = [a for a in mine if a.status in DECIDED]
        fig.applications = len(mine)
        fig.approved = len(decided)
        for a in decided:
            if a.decided_on is not None and a.approved_vnd:
                year = a.decided_on.year
                fig.committed[year] = fig.committed.get(year, 0) + a.approved_vnd
            for d in a.disbursements:
                row = fig.disbursed.setdefault(d.paid_on.year, {})
                row[d.source] = row.get(d.source, 0) + d.amount_vnd
        fig.targets = [TargetFigure(t, target_actual(t, decided)) for t in line.targets]
        out.append(fig)
    return out


def programme_years(programme: Programme) -> list[int]:
    return list(range(programme.start_year, programme.end_year + 1))


@dataclass
class SupportedFirm:
    """One support given to one firm, as the reports list them."""

    application: SupportApplication
    paid_in_period: int
    paid_to_date: int


def supported_firms(
    session: Session, province_ids: set[int] | None, start: date, end: date
) -> list[SupportedFirm]:
    """The supports approved by ``end`` and still running or completed on or after
    ``start`` (the period's supported firms), in the provinces (None: all), with what
    was paid in the period and to its end."""
    query = (
        select(SupportApplication)
        .join(SupportLine, SupportApplication.line_id == SupportLine.id)
        .join(Programme, SupportLine.programme_id == Programme.id)
        .where(
            SupportApplication.status.in_(DECIDED),
            SupportApplication.decided_on <= end,
        )
        .options(
            selectinload(SupportApplication.disbursements),
            selectinload(SupportApplication.firm),
            selectinload(SupportApplication.line).selectinload(SupportLine.programme),
            selectinload(SupportApplication.certification),
        )
        .order_by(Programme.id, SupportLine.id, SupportApplication.id)
    )
    if province_ids is not None:
        query = query.where(Programme.province_id.in_(province_ids or {-1}))
    out = []
    for a in session.scalars(query):
        if a.completed_on is not None and a.completed_on < start:
            continue
        in_period = sum(d.amount_vnd for d in a.disbursements if start <= d.paid_on <= end)
        to_date = sum(d.amount_vnd for d in a.disbursements if d.paid_on <= end)
        out.append(SupportedFirm(a, in_period, to_date))
    return out
