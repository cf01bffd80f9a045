"""Demo accounts, so that a first ``make run`` can be explored in every role.

All use the password ``DEMO_PASSWORD``; the README lists them. Their addresses and names
are in ``catalog/data/demo/accounts.json``. Seeding is idempotent: an address that
already has an account is left alone. Never used outside the demo.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..demo import demo_data
from ..models import Firm, FirmRole, UserRole
from ..places import resolve_place
from . import create_user, find_user

DEMO_PASSWORD = "ketnoi-demo"


def load_demo_accounts(session: Session) -> dict[str, str]:
    """Create the demo accounts; returns {email: description} of those that exist."""
    made: dict[str, str] = {}
    spec = demo_data("accounts")

    def ensure(email: str, description: str, **kwargs) -> None:
        if find_user(session, email) is None:
            create_user(session, email, DEMO_PASSWORD, commit=False, **kwargs)
        made[email] = description

    admin = spec["admin"]
    ensure(admin["email"], "administrator", name=admin["name"], role=UserRole.ADMIN)
    officer = spec["officer"]
    for code in officer["provinces"]:
        # The demo's codes are those of the old map: the Vĩnh Phúc officer acts for Phú Thọ.
        place = resolve_place(session, code)
        if place is None:
            continue
        province = place.province
        ensure(
            officer["email"].format(code=code.lower()),
            f"officer, {province.name_vi}",
            name=officer["name"].format(province=province.name_vi),
            role=UserRole.OFFICER,
            provinces=[province],
        )
    for role, email in spec["firm_users"].items():
        firm = session.scalar(
            select(Firm)
            .where(Firm.role == FirmRole(role), Firm.demo_key.is_not(None))
            .order_by(Firm.id)
        )
        if firm is not None:
            ensure(email, f"{role} user of {firm.display_name}", name=firm.contact_name, firm=firm)
    session.commit()
    return made
