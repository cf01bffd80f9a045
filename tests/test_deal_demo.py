"""The demo's deals, as ``make run`` loads them into an empty database: the walk on the
demo buyer's first need, and deals at every stage on needs of buyers in the demo
officers' provinces, so each of them sees a funnel; loaded once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from catalog.accounts.demo import load_demo_accounts
from catalog.dashboard import vietnam_today
from catalog.deals.demo import load_demo_deals
from catalog.deals.funnel import funnel
from catalog.demo import load_demo_catalog
from catalog.models import Deal, PurchaseOrder, Stage, SupplierRating, SupplyRelationship, User
from catalog.reference_data import load_reference_data
from tests.conftest import TEST_DATABASE_URL, app_of_its_own
from webapp.extensions import db


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the demo runs on its own SQLite file")
def test_the_demo_has_deals_at_every_stage_and_a_funnel_per_officer(tmp_path):
    overrides = {
        "DATA_DIR": str(tmp_path),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
        "REDIS_URL": None,
        "CELERY": {"task_always_eager": True},
    }
    with app_of_its_own(overrides) as app, app.app_context():
        upgrade()
        session = db.session
        load_reference_data(session)
        load_demo_catalog(session)
        load_demo_accounts(session)
        made = load_demo_deals(session)
        assert made["deals_created"] >= 6
        stages = set(session.scalars(select(Deal.stage)))
        assert {Stage.INTEREST, Stage.QUOTED, Stage.PURCHASE_ORDER} <= stages
        # The walk: three answers on the demo buyer's need, one ordered and rated.
        buyer = session.scalar(select(User).where(User.email == "buyer@ketnoi.local"))
        first = session.scalar(select(Deal).where(Deal.buyer_id == buyer.firm_id).order_by(Deal.id))
        walk = session.scalars(select(Deal).where(Deal.need_id == first.need_id)).all()
        assert len(walk) == 3
        assert sum(1 for d in walk if d.stage == Stage.PURCHASE_ORDER) == 1
        assert session.scalar(select(func.count(SupplierRating.id))) == 1
        assert session.scalar(select(func.count(PurchaseOrder.id))) == 2
        assert (
            session.scalar(
                select(func.count(SupplyRelationship.id)).where(SupplyRelationship.source == "deal")
            )
            == 2
        )
        # Every deal's stage date is that of its furthest step, never later.
        for deal in session.scalars(select(Deal)):
            assert deal.stage_on == max(s.reached_on for s in deal.steps if s.stage == deal.stage)
        # An officer of the demo sees a first order and a stalled need in their funnel.
        officer = session.scalar(select(User).where(User.email == "officer.tn@ketnoi.local"))
        today = vietnam_today()  # the dashboard's day
        seen = funnel(session, sorted(officer.province_ids), today - timedelta(days=90), today)
        assert len(seen.first_orders) == 1 and seen.quotes_received >= 1
        assert seen.stalled
        # Loaded once.
        assert load_demo_deals(session) == {"deals_existing": made["deals_created"]}
