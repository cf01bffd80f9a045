"""A deal's pipeline to the first purchase order: stages from the records they come
from (introductions, meetings), stages a buyer records, purchase orders and their
supply relationship, closing, the grades the reranker learns from, the match card's
"Follow up" and the pages and API that record them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from catalog import events, services
from catalog.deals import orders, pipeline
from catalog.introductions import decide_introduction, request_introduction
from catalog.models import (
    Concept,
    Deal,
    Firm,
    MatchJudgement,
    Need,
    NeedStatus,
    Stage,
    SupplyRelationship,
    User,
)
from catalog.models.base import vietnam_today
from catalog.validation import ValidationError
from matching.learning import latest_grades
from tests.conftest import PASSWORD, login
from tests.factories import make_supplier
from tests.test_events import _event


def _need(session, offset: int) -> Need:
    """A demo need (its text is encoded already), one per test."""
    return session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id).offset(offset)
    ).first()


def _judgements(session, need: Need, firm: Firm) -> list[str]:
    rows = session.scalars(
        select(MatchJudgement)
        .where(MatchJudgement.need_id == need.id, MatchJudgement.firm_id == firm.id)
        .order_by(MatchJudgement.id)
    )
    return [j.outcome.value for j in rows]


def _deal(session, need: Need, supplier: Firm) -> Deal:
    return pipeline.deal_for(session, need, supplier)


def test_an_accepted_introduction_is_the_stage_introduced_with_one_judgement(session, people):
    need = _need(session, 1)
    supplier = make_supplier(session, "Cơ khí Giới Thiệu Pipeline", [])
    intro = request_introduction(session, need, supplier, None)
    decide_introduction(session, intro, session.get(User, people.users["admin"]), True)
    deal = pipeline.find_deal(session, need, supplier)
    assert deal is not None and deal.stage == Stage.INTRODUCED
    assert deal.started_by.value == "buyer"
    assert [(s.stage, s.source, s.ref_id) for s in deal.steps] == [
        (Stage.INTRODUCED, "introduction", intro.id)
    ]
    assert _judgements(session, need, supplier) == ["introduced"]


def test_a_meeting_with_a_sample_order_is_met_and_sample_ordered(session):
    event = _event(session)
    need = _need(session, 2)
    supplier = make_supplier(session, "Dập Mẫu Pipeline", [])
    b = events.register(session, event, need.buyer, needs=[need])
    s = events.register(session, event, supplier)
    meeting = events.add_meeting(session, b, s)
    events.record_meeting_outcome(session, meeting, "sample_order", "")
    deal = pipeline.find_deal(session, need, supplier)
    assert [(x.stage, x.source, x.ref_id) for x in deal.steps] == [
        (Stage.MET, "meeting", meeting.id),
        (Stage.SAMPLE_ORDERED, "meeting", meeting.id),
    ]
    assert deal.stage == Stage.SAMPLE_ORDERED
    assert _judgements(session, need, supplier) == ["meeting", "sample_ordered"]


def test_stages_orders_and_the_supply_relationship(session, people):
    need = _need(session, 3)
    supplier = make_supplier(session, "Ép Nhựa Đơn Hàng Pipeline", [])
    buyer_user = session.get(User, people.users["admin"])
    deal = _deal(session, need, supplier)
    # A sample approved, recorded a week late, with its PPAP level.
    week_ago = vietnam_today() - timedelta(days=7)
    step = orders.record_stage(
        session,
        deal,
        "sample_approved",
        buyer_user,
        on=week_ago.isoformat(),
        ppap_level="3",
        first_article="1",
    )
    assert (step.ppap_level, step.first_article, step.reached_on) == (3, True, week_ago)
    assert deal.stage == Stage.SAMPLE_APPROVED
    # Met recorded later still: an earlier stage, the deal keeps its furthest one.
    orders.record_stage(session, deal, "met", buyer_user, on=(week_ago - timedelta(days=3)))
    assert deal.stage == Stage.SAMPLE_APPROVED
    # Never in the future; only the stages a person records.
    for bad in ({"stage": "met", "on": vietnam_today() + timedelta(days=1)}, {"stage": "quoted"}):
        try:
            orders.record_stage(session, deal, bad["stage"], buyer_user, on=bad.get("on"))
        except ValidationError as exc:
            assert set(exc.errors) <= {"reached_on", "stage"}
        else:
            raise AssertionError(f"accepted {bad}")
    session.rollback()
    family = session.scalar(
        select(Concept).where(Concept.kind == "part_family").order_by(Concept.id)
    )
    first = orders.record_order(
        session, deal, buyer_user, value="125000000", currency="VND", part_family_ids=[family.id]
    )
    assert deal.stage == Stage.PURCHASE_ORDER and first.value_vnd == 125_000_000
    link = session.scalar(
        select(SupplyRelationship).where(
            SupplyRelationship.supplier_id == supplier.id,
            SupplyRelationship.buyer_id == need.buyer_id,
        )
    )
    assert link is not None and (link.tier, link.source, link.need_id) == (1, "deal", need.id)
    assert family in link.part_families
    second = orders.record_order(session, deal, buyer_user, value="100", currency="USD")
    assert deal.stage == Stage.REPEAT_ORDER
    assert second.value_vnd == 2_600_000  # the quotations' indicative rate
    stages = [s.stage for s in deal.steps if s.source == "purchase_order"]
    assert stages == [Stage.PURCHASE_ORDER, Stage.REPEAT_ORDER]
    # One relationship, extended, not two.
    assert (
        session.scalar(
            select(func.count(SupplyRelationship.id)).where(
                SupplyRelationship.supplier_id == supplier.id
            )
        )
        == 1
    )
    # Grades: the furthest stage.
    assert latest_grades(session)[need.id][supplier.id] == 5


def test_grades_follow_the_stages_and_closing_for_the_wrong_match(session, people):
    user = session.get(User, people.users["admin"])
    need = _need(session, 4)
    quoted, approved, ordered, wrong, pricey = (
        make_supplier(session, f"Xưởng Điểm {n} Pipeline", []) for n in range(5)
    )
    for firm, stage in ((quoted, Stage.QUOTED), (wrong, Stage.QUOTED), (pricey, Stage.QUOTED)):
        pipeline.reach(session, _deal(session, need, firm), stage)
    pipeline.reach(session, _deal(session, need, approved), Stage.SAMPLE_APPROVED)
    session.commit()
    orders.record_order(session, _deal(session, need, ordered), user)
    orders.close_deal(session, _deal(session, need, wrong), "certification", user)
    orders.close_deal(session, _deal(session, need, pricey), "price", user)
    grades = latest_grades(session)[need.id]
    assert grades[quoted.id] == 3 < grades[approved.id] == 4 < grades[ordered.id] == 5
    assert grades[wrong.id] == 0  # closed for certification: the match was wrong
    assert grades[pricey.id] == 3  # closed for price: keeps what it reached
    # A stage reached after the rejection counts again.
    pipeline.reach(session, _deal(session, need, wrong), Stage.SAMPLE_ORDERED)
    session.commit()
    assert latest_grades(session)[need.id][wrong.id] == 3


def test_a_deal_outcome_over_the_api_records_a_purchase_order(session, people, api_as):
    need = session.scalars(
        select(Need).where(Need.buyer_id == people.firms["buyer"]).order_by(Need.id)
    ).first() or services.create_need(
        session, session.get(Firm, people.firms["buyer"]), {"title": "Vỏ nhựa ABS pipeline"}
    )
    supplier = make_supplier(session, "Nhựa API Pipeline", [])
    resp = api_as("buyer").post(
        f"/api/v1/needs/{need.id}/outcomes", json={"firm_id": supplier.id, "outcome": "deal"}
    )
    assert resp.status_code == 201, resp.json
    assert (resp.json["outcome"], resp.json["grade"]) == ("purchase_order", 5)
    session.expire_all()
    deal = pipeline.find_deal(session, need, supplier)
    assert deal.stage == Stage.PURCHASE_ORDER and len(deal.orders) == 1
    assert deal.orders[0].value is None
    assert _judgements(session, need, supplier) == ["purchase_order"]
    # "introduced" over the API is the stage, recorded.
    other = make_supplier(session, "Nhựa API Giới Thiệu Pipeline", [])
    resp = api_as("buyer").post(
        f"/api/v1/needs/{need.id}/outcomes", json={"firm_id": other.id, "outcome": "introduced"}
    )
    assert resp.status_code == 201 and resp.json["outcome"] == "introduced"
    session.expire_all()
    steps = pipeline.find_deal(session, need, other).steps
    assert [(s.stage, s.source) for s in steps] == [(Stage.INTRODUCED, "recorded")]


def _buyer_need(session, people) -> Need:
    buyer = session.get(Firm, people.firms["buyer"])
    need = session.scalars(select(Need).where(Need.buyer_id == buyer.id).order_by(Need.id)).first()
    return need or services.create_need(session, buyer, {"title": "Vỏ nhựa ABS pipeline"})


def test_the_buyer_follows_up_from_the_match_card_and_records_an_order(
    app, session, people, client_as, api_as
):
    need = _buyer_need(session, people)
    supplier = make_supplier(session, "Cơ khí Theo Dõi Pipeline", [])
    buyer = client_as("buyer")
    resp = buyer.post(f"/deals/needs/{need.id}/follow/{supplier.id}")
    assert resp.status_code == 302
    deal = pipeline.find_deal(session, need, supplier)
    assert deal is not None and resp.location.endswith(f"/deals/{deal.id}#pipeline")
    # The supplier may read the deal's stages, not record them.
    from catalog import accounts

    supplier_user = accounts.create_user(
        session, "pipeline.supplier@people.test", PASSWORD, "Supplier", firm=supplier
    )
    seller = app.test_client()
    login(seller, supplier_user.id)
    assert seller.post(f"/deals/{deal.id}/orders", data={}).status_code == 403
    assert api_as("supplier").post(f"/api/v1/deals/{deal.id}/orders", json={}).status_code == 403
    # A rating before any order is refused, in Vietnamese on the page.
    resp = buyer.post(
        f"/deals/{deal.id}/rating",
        data={"quality": "4", "on_time": "4", "communication": "4"},
        headers={"Accept-Language": "vi"},
        follow_redirects=True,
    )
    assert "đánh giá nhà cung cấp sau khi có đơn đặt hàng" in resp.get_data(as_text=True)
    api = api_as("buyer").post(
        f"/api/v1/deals/{deal.id}/rating", json={"quality": 4, "on_time": 4, "communication": 4}
    )
    assert api.status_code == 422 and "deal" in api.json["errors"]
    # The purchase order, through the page's form.
    resp = buyer.post(
        f"/deals/{deal.id}/orders",
        data={"value": "5000000", "currency": "VND", "reference": "PO-1"},
    )
    assert resp.status_code == 302
    session.expire_all()
    deal = session.get(Deal, deal.id)
    assert deal.stage == Stage.PURCHASE_ORDER and deal.orders[0].reference == "PO-1"
    page = buyer.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'id="rating-form"' in page and 'id="order-' in page
    # The supplier sees the stages, without the forms; another supplier nothing.
    page = seller.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'id="pipeline-timeline"' in page and 'id="order-form"' not in page
    assert client_as("other_supplier").get(f"/deals/{deal.id}").status_code == 403
    # Closing and stages through the API.
    resp = api_as("buyer").post(
        f"/api/v1/deals/{deal.id}/stages",
        json={"stage": "sample_approved", "ppap_level": 2, "first_article": True},
    )
    assert resp.status_code == 200, resp.json
    assert any(s["ppap_level"] == 2 for s in resp.json["steps"])
    resp = api_as("buyer").post(f"/api/v1/deals/{deal.id}/close", json={"reason": "nonsense"})
    assert resp.status_code == 422
    # The match card links to the deal now.
    card = buyer.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'href="/deals/{deal.id}#pipeline"' in card or "follow-up" in card


def test_the_audit_log_follows_a_deal_without_its_prices(session, people, client_as, api_as):
    """Stages, orders and ratings are filed under both firms' provinces and shown in the
    reader's language; a quotation's price stays between the two firms."""
    from catalog.models import AuditEntry

    need = _buyer_need(session, people)
    supplier_firm = session.get(Firm, people.firms["other_supplier"])  # in Bắc Ninh
    valid = (vietnam_today() + timedelta(days=10)).isoformat()
    supplier_user = people.users["other_supplier"]
    quoted = api_as("other_supplier").post(
        f"/api/v1/needs/{need.id}/answers",
        json={"quote": {"unit_price": "98765", "currency": "VND", "valid_until": valid}},
    )
    if quoted.status_code == 403:  # the need is not readable from Bắc Ninh: make it public
        need.visibility = "public"
        session.commit()
        quoted = api_as("other_supplier").post(
            f"/api/v1/needs/{need.id}/answers",
            json={"quote": {"unit_price": "98765", "currency": "VND", "valid_until": valid}},
        )
    assert quoted.status_code == 201, quoted.get_json()
    deal_id = quoted.get_json()["id"]
    ordered = api_as("buyer").post(
        f"/api/v1/deals/{deal_id}/orders", json={"value": "15000000", "currency": "VND"}
    )
    assert ordered.status_code == 201, ordered.get_json()
    session.expire_all()
    entries = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity.in_(("deal", "quote", "purchase_order")),
                AuditEntry.entity_id.is_not(None),
            )
        )
    )
    mine = [e for e in entries if e.summary.endswith(supplier_firm.display_name)]
    assert {e.entity for e in mine} >= {"deal", "quote", "purchase_order"}
    buyer_province = session.get(Firm, people.firms["buyer"]).province_id
    assert {e.province_id for e in mine if e.entity == "deal"} == {
        buyer_province,
        supplier_firm.province_id,
    }
    assert all("98765" not in str(e.changes) for e in mine)
    assert any(e.actor_id == supplier_user for e in mine if e.entity == "quote")

    for role, lang, words in (
        ("officer", "vi", ("Giao dịch với nhà cung cấp", "Đơn đặt hàng")),
        ("other_officer", "en", ("Deal with a supplier", "Purchase order")),
    ):
        client = client_as(role)
        client.get(f"/lang/{lang}")
        page = client.get("/admin/audit").get_data(as_text=True)
        assert all(w in page for w in words), (role, lang)
        assert "98765" not in page and "98.765" not in page
