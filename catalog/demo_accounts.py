"""Demo accounts, so that a first ``make run`` can be explored in every role.

All use the password ``DEMO_PASSWORD``; the README lists them. Seeding is idempotent:
an address that already has an account is left alone. Never used outside the demo.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import create_user, find_user
from .models import Firm, FirmRole, Province, UserRole

DEMO_PASSWORD = "ketnoi-demo"
SEED_PROVINCES = ("BN", "BG", "TN", "VP")


def load_demo_accounts(session: Session) -> dict[str, str]:
    """Create the demo accounts; returns {email: description} of those that exist."""
    made: dict[str, str] = {}

    def ensure(email: str, description: str, **kwargs) -> None:
        if find_user(session, email) is None:
            create_user(session, email, DEMO_PASSWORD, commit=False, **kwargs)
        made[email] = description

    ensure("admin@ketnoi.local", "administrator", name="Quản trị KetNoi", role=UserRole.ADMIN)
    for code in SEED_PROVINCES:
        province = session.scalar(select(Province).where(Province.code == code))
        if province is None:
            continue
        ensure(
            f"officer.{code.lower()}@ketnoi.local",
            f"officer, {province.name_vi}",
            name=f"Cán bộ Sở Công Thương {province.name_vi}",
            role=UserRole.OFFICER,
            provinces=[province],
        )
    for role, email in ((FirmRole.SUPPLIER, "supplier"), (FirmRole.BUYER, "buyer")):
        firm = session.scalar(
            select(Firm).where(Firm.role == role, Firm.demo_key.is_not(None)).order_by(Firm.id)
        )
        if firm is not None:
            ensure(
                f"{email}@ketnoi.local",
                f"{email} user of {firm.display_name}",
                name=firm.contact_name,
                firm=firm,
            )
    session.commit()
    return made
