"""The officers' funnel from a match to the first orders (``catalog.deals.funnel``): its
counts, local shares, breakdowns and stalled needs, the officer's scope, and the same
figures on the dashboard, in the report's workbook and PDF, and through the API.

The scenario lives in a fresh province with two former provinces, so its needs and
deals are the only ones the province's figures count.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from catalog import accounts
from catalog.dashboard import Period, vietnam_today
from catalog.deals.funnel import funnel
from catalog.deals.pipeline import deal_for, reach
from catalog.models import (
    FormerProvince,
    Need,
    Province,
    PurchaseOrder,
    Quote,
    Stage,
    UserRole,
)
from documents import report
from jobs.i18n import document_language
from jobs.runtime import runtime
from tests.conftest import PASSWORD, login
from tests.factories import make_need, pdf_text
from tests.test_dashboard import firm, new_province

VALUE = 120_000_000


@dataclass
class Scene:
    province: Province
    formers: list[FormerProvince]
    needs: list[Need]
    officer_id: int
    today: date


def _ago(days: int) -> date:
    return vietnam_today() - timedelta(days=days)


@pytest.fixture()
def scene(session) -> Scene:
    """Three needs of a buyer in a fresh province: one ordered from a local supplier
    (met at an event, quoted, sampled) and quoted by a supplier from elsewhere; one
    answered 45 days ago and not since (stalled); one not answered yet."""
    province, elsewhere = new_province(session), new_province(session)
    tag = province.code
    formers = [
        FormerProvince(code=f"A{tag}", name_vi=f"Cũ A {tag}", name_en=f"Old A {tag}"),
        FormerProvince(code=f"B{tag}", name_vi=f"Cũ B {tag}", name_en=f"Old B {tag}"),
    ]
    for f in formers:
        f.province = province
    session.add_all(formers)
    session.commit()
    buyer = firm(session, province, role="buyer", name_vi="Công ty TNHH Lắp Ráp Phễu")
    local_a = firm(session, province, name_vi="Công ty TNHH Nhựa Phễu A")
    local_b = firm(session, province, name_vi="Công ty TNHH Nhựa Phễu B")
    remote = firm(session, elsewhere, name_vi="Công ty TNHH Nhựa Nơi Khác")
    local_a.former_province_id, local_b.former_province_id = formers[0].id, formers[1].id
    session.commit()
    ordered = make_need(
        session,
        buyer,
        title="Vỏ hộp nhựa ABS ép phun cho bộ sạc",
        description="Ép phun vỏ hộp nhựa ABS cho bộ sạc điện thoại.",
        process="process.injection_molding",
    )
    stalled = make_need(
        session,
        buyer,
        title="Nắp nhựa PP ép phun cho hộp điện",
        description="Ép phun nắp nhựa PP cho hộp điện.",
        process="process.injection_molding",
    )
    quiet = make_need(
        session,
        buyer,
        title="Trục thép phay CNC cho băng tải",
        description="Gia công CNC trục thép cho băng tải.",
        process="process.cnc_machining",
    )

    d1 = deal_for(session, ordered, local_a)
    reach(session, d1, Stage.INTEREST, on=_ago(50), source="message", ref_id=1)
    reach(session, d1, Stage.MET, on=_ago(45), source="meeting", ref_id=987654)
    q1 = Quote(deal=d1, unit_price=Decimal("12000"), currency="VND", unit_price_vnd=12000)
    session.add(q1)
    session.flush()
    reach(session, d1, Stage.QUOTED, on=_ago(40), source="quote", ref_id=q1.id)
    reach(session, d1, Stage.SAMPLE_ORDERED, on=_ago(30))
    reach(session, d1, Stage.SAMPLE_APPROVED, on=_ago(20), ppap_level=3)
    order = PurchaseOrder(deal=d1, ordered_on=_ago(10), value=Decimal(VALUE), value_vnd=VALUE)
    session.add(order)
    session.flush()
    reach(session, d1, Stage.PURCHASE_ORDER, on=_ago(10), source="purchase_order", ref_id=order.id)

    d2 = deal_for(session, ordered, remote)
    reach(session, d2, Stage.INTEREST, on=_ago(48), source="message", ref_id=2)
    q2 = Quote(deal=d2, unit_price=Decimal("11000"), currency="VND", unit_price_vnd=11000)
    session.add(q2)
    session.flush()
    reach(session, d2, Stage.QUOTED, on=_ago(40), source="quote", ref_id=q2.id)

    d3 = deal_for(session, stalled, local_b)
    reach(session, d3, Stage.INTEREST, on=_ago(45), source="message", ref_id=3)
    session.commit()

    officer = accounts.create_user(
        session,
        f"officer.{tag.lower()}@funnel.test",
        PASSWORD,
        "Cán bộ Phễu",
        role=UserRole.OFFICER,
        provinces=[province],
    )
    session.commit()
    return Scene(province, formers, [ordered, stalled, quiet], officer.id, vietnam_today())


def _quarter_funnel(session, scene: Scene):
    period = Period.current()
    return funnel(session, [scene.province.id], period.start, period.end)


def test_the_funnel_counts_needs_and_deals_per_stage(session, scene):
    ordered, stalled, quiet = scene.needs
    f = _quarter_funnel(session, scene)
    assert (f.needs_posted, f.needs_counted, f.needs_answered) == (3, 3, 2)
    assert f.quotes_received == 2
    assert (f.samples_ordered, f.samples_approved) == (1, 1)
    counts = {s.stage: (s.needs, s.deals, s.local_needs, s.local_deals) for s in f.stages}
    assert counts[Stage.INTEREST] == (2, 3, 2, 2)
    # The meeting at an event is a step like any other; a quote counts as past it.
    assert counts[Stage.MET] == (1, 2, 1, 1) and f.deals_from_meetings == 1
    assert counts[Stage.QUOTED] == (1, 2, 1, 1)
    assert counts[Stage.PURCHASE_ORDER] == (1, 1, 1, 1)
    assert counts[Stage.REPEAT_ORDER] == (0, 0, 0, 0)
    assert f.stage(Stage.INTEREST).local_share == 1.0
    assert f.stage(Stage.REPEAT_ORDER).local_share is None

    (first,) = f.first_orders
    assert (first.need_id, first.value_vnd, first.local) == (ordered.id, VALUE, True)
    assert first.ordered_on == _ago(10) and first.days_from_match == 40
    assert f.first_order_value_vnd == VALUE and f.median_days_to_order == 40.0

    # Stalled: answered 45 days ago and nothing since; the ordered need is done, the
    # need posted today has not waited 30 days.
    assert [(n.need_id, n.stage, n.days) for n in f.stalled] == [(stalled.id, Stage.INTEREST, 45)]
    assert quiet.id not in {n.need_id for n in f.stalled}
    # A shorter patience finds the unanswered one too once it waited long enough.
    later = funnel(
        session, [scene.province.id], Period.current().start, Period.current().end, stall_days=60
    )
    assert later.stalled == []


def test_breakdowns_by_sector_and_by_the_supplier_s_former_province(session, scene):
    f = _quarter_funnel(session, scene)
    sectors = {g.key: (g.needs, g.answered, g.quoted, g.ordered, g.value_vnd) for g in f.by_sector}
    assert sectors == {
        "sector.plastics_rubber": (2, 2, 1, 1, VALUE),
        "sector.mechanical": (1, 0, 0, 0, 0),
    }
    formers = {
        g.key: (g.answered, g.quoted, g.sample_approved, g.first_orders, g.value_vnd)
        for g in f.by_former_province
    }
    a, b = (x.code for x in scene.formers)
    assert formers == {a: (1, 1, 1, 1, VALUE), b: (1, 0, 0, 0, 0), None: (1, 1, 0, 0, 0)}
    # Filters: one sector, and suppliers of one former province only.
    period = Period.current()
    only = funnel(
        session, [scene.province.id], period.start, period.end, sector="sector.mechanical"
    )
    assert (only.needs_counted, only.needs_answered) == (1, 0)
    from_b = funnel(session, [scene.province.id], period.start, period.end, former_province=b)
    assert (from_b.needs_answered, from_b.quotes_received, len(from_b.first_orders)) == (1, 0, 0)


def test_a_past_period_is_not_changed_by_later_steps(session, scene):
    """Counted as of the period's last day: a step after it does not count."""
    end = _ago(25)
    f = funnel(session, [scene.province.id], _ago(100), end, today=scene.today)
    assert f.needs_counted == 0  # posted today: after the period, not counted in it
    for need in scene.needs:
        need.created_at = datetime.now(UTC) - timedelta(days=60)
    session.commit()
    f = funnel(session, [scene.province.id], _ago(100), end, today=scene.today)
    assert (f.needs_posted, f.needs_answered) == (3, 2)
    assert f.stage(Stage.SAMPLE_ORDERED).deals == 1
    assert f.stage(Stage.SAMPLE_APPROVED).deals == 0 and f.first_orders == []
    # Judged on the period's last day: the stalled need had waited 20 days, the
    # unanswered one 35.
    assert [(n.need_id, n.stage) for n in f.stalled] == [(scene.needs[2].id, None)]


def test_officers_count_only_their_provinces(session, scene, people):
    from catalog.models import User

    other = session.get(User, people.users["other_officer"])
    period = Period.current()
    f = funnel(session, other.province_ids, period.start, period.end)
    mine = {n.id for n in scene.needs}
    assert not mine & {o.need_id for o in f.first_orders}
    assert not mine & {n.need_id for n in f.stalled}
    everyone = funnel(session, None, period.start, period.end)
    assert {o.need_id for o in everyone.first_orders} >= {scene.needs[0].id}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_dashboard_shows_the_funnel(app, session, scene, lang):
    client = app.test_client()
    login(client, scene.officer_id)
    client.get(f"/lang/{lang}")
    page = client.get(f"/dashboard/?province={scene.province.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    heading = "Từ kết nối đến đơn hàng đầu tiên" if lang == "vi" else "From match to first order"
    assert heading in html and 'id="funnel-stages"' in html
    stalled = scene.needs[1]
    assert f'/needs/{stalled.id}"' in html and stalled.title in html
    assert ("Đơn đặt hàng đầu tiên" if lang == "vi" else "First purchase orders") in html
    assert ("Quan tâm" if lang == "vi" else "Interest") in html
    assert f"Cũ A {scene.province.code}" in html or f"Old A {scene.province.code}" in html
    chart = client.get(
        f"/dashboard/chart/funnel.png?province={scene.province.code}&period="
        f"{Period.current().label}"
    )
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")


def test_another_province_s_officer_is_refused_its_funnel(client_as, scene):
    client = client_as("other_officer")
    assert client.get(f"/dashboard/?province={scene.province.code}").status_code == 403


def test_the_report_has_the_funnel_in_its_workbook_and_pdf(session, scene):
    data = report.collect(session, runtime().engine, scene.province.code, Period.current())
    assert data.funnel is not None and len(data.funnel.first_orders) == 1
    with document_language("vi") as t:
        out = report.render(data, t)
        book = load_workbook(io.BytesIO(out["xlsx"]))
        assert t("Funnel") == "Phễu kết nối" and t("Funnel") in book.sheetnames
        rows = {r[0]: r[1:] for r in book[t("Funnel")].iter_rows(min_row=2, values_only=True)}
        assert rows[t("Purchase order")][:3] == (1, 1, 1)
        assert rows[t("Quoted")][:2] == (1, 2)
        orders = list(book[t("First orders")].iter_rows(min_row=2, values_only=True))
        assert orders[0][0] == scene.needs[0].title and VALUE in orders[0]
        stalled = list(book[t("Stalled needs")].iter_rows(min_row=2, values_only=True))
        assert stalled[0][0] == scene.needs[1].title and stalled[0][-1] == 45
        summary = {r[0]: r[1] for r in book[t("Summary")].iter_rows(values_only=True)}
        assert summary[t("Value of first orders (VND)")] == VALUE
        assert summary[t("Median days from match to first order")] == 40
        text = " ".join(pdf_text(out["pdf"]).split())
        assert "Từ kết nối đến đơn hàng đầu tiên" in text
        assert scene.needs[1].title in text
    with document_language("en") as t:
        book = load_workbook(io.BytesIO(report.render(data, t, formats=("xlsx",))["xlsx"]))
        assert "Funnel" in book.sheetnames and "Stalled needs" in book.sheetnames


def test_the_api_returns_the_function_s_figures(session, scene, api_as, admin_api):
    period = Period.current()
    query = f"from={period.start}&to={period.end}&province={scene.province.code}"
    got = admin_api.get(f"/api/v1/funnel?{query}")
    assert got.status_code == 200, got.get_data(as_text=True)
    expected = funnel(session, [scene.province.id], period.start, period.end).as_dict()
    body = got.get_json()
    assert body["province"] == scene.province.code
    assert {k: v for k, v in body.items() if k != "province"} == expected
    assert body["first_order_value_vnd"] == VALUE and body["median_days_to_order"] == 40

    assert admin_api.get("/api/v1/funnel?from=2026-13-01").status_code == 422
    assert admin_api.get("/api/v1/funnel?from=2026-03-01&to=2026-02-01").status_code == 422
    other = api_as("other_officer")
    assert other.get(f"/api/v1/funnel?province={scene.province.code}").status_code == 403
    own = other.get("/api/v1/funnel").get_json()
    assert scene.needs[1].id not in {n["need_id"] for n in own["stalled"]}
    assert api_as("supplier").get("/api/v1/funnel").status_code == 403
    assert api_as("anonymous").get("/api/v1/funnel").status_code == 401
