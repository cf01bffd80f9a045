"""The demo's support programme: Thái Nguyên's supporting-industry programme with three
lines (management systems, training, fairs), budgets by year and source, counted
targets, and a few supports at different stages, so that every page has something to
show. The demo's own supplier is left without an application: it applies from its gap
view in the walk the README describes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Firm, FirmRole, Programme, Province, User, UserRole
from ..models.base import vietnam_today
from . import applications, setup


def _officer(session: Session, province: Province) -> User | None:
    for user in session.scalars(
        select(User).where(User.role == UserRole.OFFICER).order_by(User.id)
    ):
        if province.id in user.province_ids:
            return user
    return None


def load_demo_programmes(session: Session) -> dict[str, int]:
    """Add the demo programme when there is none; returns counts."""
    existing = session.scalar(select(func.count(Programme.id))) or 0
    if existing:
        return {"programmes_existing": existing}
    province = session.scalar(select(Province).where(Province.code == "TN"))
    if province is None:
        return {"programmes_created": 0}
    officer = _officer(session, province)
    year = vietnam_today().year
    programme = setup.create_programme(
        session,
        None,
        {
            "name": "Chương trình phát triển công nghiệp hỗ trợ tỉnh Thái Nguyên",
            "legal_basis": "Theo Nghị quyết 115/NQ-CP ngày 06/8/2020 của Chính phủ",
            "start_year": year - 1,
            "end_year": year + 4,
            "province_id": province.id,
            "description": (
                "Hỗ trợ doanh nghiệp công nghiệp hỗ trợ áp dụng hệ thống quản lý, đào tạo "
                "nguồn nhân lực và tham gia hội chợ, triển lãm để trở thành nhà cung cấp "
                "cho các tập đoàn đa quốc gia."
            ),
        },
    )
    lines = {
        "iso": setup.save_line(
            session,
            programme,
            None,
            {
                "kind": "management_system",
                "name": "Hỗ trợ áp dụng hệ thống quản lý chất lượng (ISO 9001, IATF 16949)",
                "share_pct": 50,
                "ceiling_vnd": 60_000_000,
                "standards": "ISO 9001, IATF 16949, ISO 14001",
                "budgets": [
                    {"year": year, "source": "provincial", "planned_vnd": 600_000_000},
                    {"year": year, "source": "central", "planned_vnd": 300_000_000},
                    {"year": year + 1, "source": "provincial", "planned_vnd": 700_000_000},
                ],
                "targets": [
                    {"measure": "certifications", "value": 14},
                    {"measure": "firms_supported", "value": 20},
                ],
            },
        ),
        "training": setup.save_line(
            session,
            programme,
            None,
            {
                "kind": "training",
                "name": "Đào tạo lao động kỹ thuật và cán bộ quản lý",
                "share_pct": 70,
                "ceiling_vnd": 30_000_000,
                "budgets": [
                    {"year": year, "source": "provincial", "planned_vnd": 420_000_000},
                    {"year": year, "source": "firms", "planned_vnd": 180_000_000},
                ],
                "targets": [{"measure": "workers_trained", "value": 420}],
            },
        ),
        "fair": setup.save_line(
            session,
            programme,
            None,
            {
                "kind": "fair",
                "name": "Tham gia hội chợ, triển lãm công nghiệp hỗ trợ",
                "share_pct": 100,
                "ceiling_vnd": 20_000_000,
                "sizes": "micro,small,medium",
                "budgets": [{"year": year, "source": "provincial", "planned_vnd": 200_000_000}],
                "targets": [{"measure": "firms_supported", "value": 15}],
            },
        ),
    }
    supplier = session.scalar(select(User.firm_id).where(User.email == "supplier@ketnoi.local"))
    firms = list(
        session.scalars(
            select(Firm)
            .where(
                Firm.province_id == province.id,
                Firm.role != FirmRole.BUYER,
                Firm.id != (supplier or -1),
            )
            .order_by(Firm.id)
            .limit(40)
        )
    )

    def firm_for(line, taken: set[int]) -> Firm | None:
        return next(
            (f for f in firms if f.id not in taken and not applications.ineligible(line, f)),
            None,
        )

    made = 0
    today = vietnam_today()
    chosen: list[Firm] = []
    for key in ("training", "fair", "iso"):
        firm = firm_for(lines[key], {f.id for f in chosen})
        if firm is not None:
            chosen.append(firm)
    firms = chosen
    if len(firms) >= 3:
        trained = applications.record_given(
            session,
            lines["training"],
            firms[0],
            officer,
            {
                "purpose": "Lớp đào tạo thợ vận hành máy CNC (45 học viên)",
                "cost_vnd": 40_000_000,
                "approved_vnd": 28_000_000,
                "given_on": (today - timedelta(days=40)).isoformat(),
            },
        )
        applications.disburse(
            session,
            trained,
            officer,
            {"amount_vnd": 28_000_000, "paid_on": (today - timedelta(days=30)).isoformat()},
        )
        applications.complete(
            session,
            trained,
            officer,
            {"result_note": "45 học viên hoàn thành khóa học", "workers_trained": 45},
        )
        fair = applications.record_given(
            session,
            lines["fair"],
            firms[1],
            officer,
            {"purpose": "Gian hàng tại hội chợ CNHT", "approved_vnd": 15_000_000},
        )
        applications.disburse(session, fair, officer, {"amount_vnd": 8_000_000})
        member = session.scalar(select(User).where(User.firm_id == firms[2].id).limit(1))
        if member is not None:
            applications.apply(
                session,
                lines["iso"],
                firms[2],
                member,
                {
                    "purpose": "Tư vấn và chứng nhận ISO 9001:2015",
                    "cost_vnd": 90_000_000,
                    "requested_vnd": 45_000_000,
                },
            )
            made += 1
        made += 2
    session.commit()
    return {"programmes_created": 1, "supports_created": made}
