"""Support programmes: set up by a province's officers, applied to by firms, paid and
closed with a result that changes the catalogue.

``setup`` creates programmes and their support lines (budgets by year and source,
counted targets, eligibility); ``applications`` carries a firm's application from
submission through assessment, decision, payments and completion (a certificate
obtained becomes the firm's certification and a verification candidate; workers
trained and fairs attended enter the firm's profile and the line's figures);
``offers`` finds the open lines that would close a gap a firm has; ``figures`` counts
budgets planned, committed and disbursed and targets against what was done.

Like the rest of ``catalog`` these functions flush and never commit: the caller does.
Who may do what is ``catalog.access`` (``programme.*``, ``support.*``); the functions
check it again where they write, and the session's write guard (``catalog.access.scope``)
holds every record to the programme's province.
"""

from __future__ import annotations

from ..i18n import N_
from ..models import (
    ApplicationStatus,
    FirmSize,
    FundingSource,
    LineStatus,
    SupportKind,
    TargetMeasure,
)

KIND_LABELS: dict[SupportKind, str] = {
    SupportKind.TRAINING: N_("Training of workers and managers"),
    SupportKind.CONSULTING: N_("Technical consulting"),
    SupportKind.MANAGEMENT_SYSTEM: N_("Management systems and standards (ISO, IATF …)"),
    SupportKind.TECHNOLOGY_TRANSFER: N_("Technology transfer and advanced machinery"),
    SupportKind.TRIAL_PRODUCTION: N_("Trial production"),
    SupportKind.FAIR: N_("Fairs and exhibitions"),
    SupportKind.PROMOTION: N_("Brand promotion"),
    SupportKind.EXPERT: N_("Hiring experts"),
    SupportKind.MARKET_INFORMATION: N_("Market information"),
}
SOURCE_LABELS: dict[FundingSource, str] = {
    FundingSource.CENTRAL: N_("Central budget"),
    FundingSource.PROVINCIAL: N_("Provincial budget"),
    FundingSource.FIRMS: N_("Firms' contribution"),
}
LINE_STATUS_LABELS: dict[LineStatus, str] = {
    LineStatus.OPEN: N_("Open to applications"),
    LineStatus.CLOSED: N_("Closed"),
}
STATUS_LABELS: dict[ApplicationStatus, str] = {
    ApplicationStatus.SUBMITTED: N_("Waiting for assessment"),
    ApplicationStatus.APPROVED: N_("Approved"),
    ApplicationStatus.REJECTED: N_("Rejected"),
    ApplicationStatus.COMPLETED: N_("Completed"),
    ApplicationStatus.WITHDRAWN: N_("Withdrawn"),
}
MEASURE_LABELS: dict[TargetMeasure, str] = {
    TargetMeasure.FIRMS_SUPPORTED: N_("Firms supported"),
    TargetMeasure.FIRMS_COMPLETED: N_("Firms whose support is completed"),
    TargetMeasure.WORKERS_TRAINED: N_("Workers trained"),
    TargetMeasure.CERTIFICATIONS: N_("Certificates obtained"),
}
SIZE_LABELS: dict[FirmSize, str] = {
    FirmSize.MICRO: N_("Micro (up to 10 employees)"),
    FirmSize.SMALL: N_("Small (up to 100 employees)"),
    FirmSize.MEDIUM: N_("Medium (up to 200 employees)"),
    FirmSize.LARGE: N_("Large (over 200 employees)"),
}


def firm_size(employees: int | None) -> FirmSize | None:
    """The size class of a firm with ``employees`` (None when it did not say)."""
    if employees is None:
        return None
    if employees <= 10:
        return FirmSize.MICRO
    if employees <= 100:
        return FirmSize.SMALL
    if employees <= 200:
        return FirmSize.MEDIUM
    return FirmSize.LARGE
