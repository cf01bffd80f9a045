"""Typed SQLAlchemy 2.0 models of the catalog."""

from .accounts import (
    ApiToken,
    AuditEntry,
    Introduction,
    IntroductionStatus,
    User,
    UserRole,
    officer_provinces,
)
from .base import Base, TimestampMixin, as_utc, utcnow
from .firms import (
    Capability,
    Certification,
    Firm,
    FirmRole,
    Ownership,
    capability_materials,
    firm_sectors,
)
from .imports import ImportLayout
from .needs import (
    MatchJudgement,
    Need,
    NeedStatus,
    NeedVisibility,
    Outcome,
    ShortlistEntry,
    need_invitations,
    need_materials,
)
from .reference import Concept, IndustrialZone, Province
from .relationships import SupplyRelationship, relationship_parts
from .verification import (
    EvidenceFile,
    Verification,
    VerificationMethod,
    VerificationResult,
    latest_checks,
)

__all__ = [
    "EvidenceFile",
    "Verification",
    "VerificationMethod",
    "VerificationResult",
    "latest_checks",
    "SupplyRelationship",
    "relationship_parts",
    "ImportLayout",
    "ApiToken",
    "AuditEntry",
    "Introduction",
    "IntroductionStatus",
    "NeedVisibility",
    "User",
    "UserRole",
    "need_invitations",
    "officer_provinces",
    "Base",
    "TimestampMixin",
    "as_utc",
    "utcnow",
    "Capability",
    "Certification",
    "Concept",
    "Firm",
    "FirmRole",
    "IndustrialZone",
    "MatchJudgement",
    "Need",
    "NeedStatus",
    "Outcome",
    "Ownership",
    "Province",
    "ShortlistEntry",
    "capability_materials",
    "firm_sectors",
    "need_materials",
]
