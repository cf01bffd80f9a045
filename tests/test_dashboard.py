"""Officer dashboard figures, checked against firms, needs and checks the tests create.

The app's database is shared by the whole test session, so each test works in a fresh
province of its own (the figures of a province nobody else writes to are exact).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalog import services
from catalog.dashboard import (
    Period,
    TargetError,
    dashboard,
    load_targets,
    vietnam_today,
)
from catalog.models import (
    Capability,
    Certification,
    Event,
    EventMode,
    Firm,
    Meeting,
    MeetingOutcome,
    MeetingStatus,
    Province,
    Registration,
    RegistrationStatus,
    SupplyRelationship,
    Verification,
    VerificationMethod,
    VerificationResult,
)
from tests.conftest import fresh_tax_code
from tests.factories import make_need


def new_province(session) -> Province:
    code = "T" + uuid.uuid4().hex[:6].upper()
    province = Province(code=code, name_vi=f"Tỉnh Thử {code}", name_en=f"Test {code}")
    session.add(province)
    session.commit()
    return province


def firm(session, province: Province, role: str = "supplier", **fields):
    data = {
        "role": role,
        "name_vi": fields.pop("name_vi", f"Công ty TNHH Thử {uuid.uuid4().hex[:8]}"),
        "tax_code": fresh_tax_code(),
        "province": province.code,
        **fields,
    }
    return services.create_firm(session, data)


def electronics(session, province, founded: int | None, n: int = 1):
    return [
        firm(session, province, sectors=["sector.electronics"], year_founded=founded)
        for _ in range(n)
    ]


# -- periods ---------------------------------------------------------------------------


def test_periods_parse_and_bound_vietnamese_days():
    q3 = Period.parse("2026-Q3")
    assert (q3.year, q3.quarter, q3.kind) == (2026, 3, "quarter")
    assert (q3.start, q3.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Period.parse("2026q3") == Period.parse(" 2026 Q3 ") == q3
    year = Period.parse("2026")
    assert (year.kind, year.start, year.end, year.label) == (
        "year",
        date(2026, 1, 1),
        date(2026, 12, 31),
        "2026",
    )
    assert Period.parse("2026-Q1").previous() == Period(2025, 4)
    assert [p.label for p in year.quarters()] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    # Midnight in Hà Nội (UTC+7) is 17:00 UTC the day before.
    assert q3.start_at.isoformat() == "2026-06-30T17:00:00+00:00"
    assert q3.end_at.isoformat() == "2026-09-30T17:00:00+00:00"
    for bad in ("2026-Q5", "26", "Q3", "2026-07", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)


# -- firm counts -----------------------------------------------------------------------


def test_firm_counts_follow_founding_year_with_growth(session):
    province = new_province(session)
    electronics(session, province, 2023, 2)
    firm(session, province, sectors=["sector.mechanical"], year_founded=2024)
    before = dashboard(session, province.code, Period(2025))
    series = {s.sector_id: s for s in before.firms.sectors}
    assert series["sector.electronics"].counts[2024] == 2
    assert series["sector.electronics"].counts[2025] == 2
    assert series["sector.electronics"].growth[2025] == 0.0

    electronics(session, province, 2025, 3)
    after = dashboard(session, province.code, Period(2025))
    elec = next(s for s in after.firms.sectors if s.sector_id == "sector.electronics")
    assert elec.counts[2025] - series["sector.electronics"].counts[2025] == 3
    assert elec.counts[2024] == 2  # founded in 2025: not counted in 2024
    assert elec.growth[2025] == pytest.approx(3 / 2)
    assert (elec.counts[2022], elec.counts[2023]) == (0, 2)
    assert (elec.growth[2023], elec.growth[2024]) == (None, 0.0)  # none before 2023
    assert after.firms.total.counts[2025] == 6  # 5 electronics + 1 mechanical
    assert after.firms.new_in_period == 3
    # Largest sector first.
    assert after.firms.sectors[0].sector_id == "sector.electronics"


def test_firm_without_founding_year_counts_from_registration(session):
    province = new_province(session)
    electronics(session, province, None)
    this_year = vietnam_today().year
    board = dashboard(session, province.code, Period(this_year))
    elec = next(s for s in board.firms.sectors if s.sector_id == "sector.electronics")
    assert elec.counts[this_year] == 1
    assert elec.counts[this_year - 1] == 0


def test_buyers_are_not_counted_as_supporting_industry_firms(session):
    province = new_province(session)
    firm(session, province, role="buyer", sectors=["sector.electronics"], year_founded=2020)
    board = dashboard(session, province.code, Period(2025))
    assert board.firms.total.counts[2025] == 0


# -- targets ---------------------------------------------------------------------------


def test_packaged_targets_cite_the_seeds():
    targets = load_targets()
    tn = {t.sector: t for t in targets.for_province("TN")}
    assert tn["sector.electronics"].rate == pytest.approx(0.10)
    assert tn["sector.mechanical"].rate == pytest.approx(0.15)
    assert "tăng trên 10%/năm" in tn["sector.electronics"].source
    vp = sorted(targets.for_province("VP"), key=lambda t: t.by_year)
    assert [(t.count, t.by_year, t.tiers) for t in vp] == [(50, 2025, (1, 2)), (75, 2030, (1, 2))]
    assert all("cấp 1, cấp 2" in t.source for t in vp)


def write_override(tmp_path, code: str, targets: list[dict]):
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"provinces": {code: {"targets": targets}}}), encoding="utf-8")
    return path


GROWTH = {
    "id": "test-electronics",
    "kind": "sector_growth",
    "sector": "sector.electronics",
    "rate": 0.5,
    "base_year": 2024,
    "until": 2026,
    "label_vi": "Điện tử tăng 50%/năm",
    "label_en": "Electronics +50 %/year",
    "source": "test",
}


def test_former_province_targets_count_its_firms_and_the_unit_has_its_own(session, tmp_path):
    """The seeds' targets were set for former provinces: inside the merged unit they
    count the former province's firms only, while the unit's own count all of them."""
    packaged = {t.id: t for t in load_targets().for_province("PT")}
    assert packaged["vp-tier-suppliers-2025"].former == "VP"
    assert packaged["vp-tier-suppliers-2025"].region("vi") == "Phú Thọ — Vĩnh Phúc cũ"
    assert packaged["vp-tier-suppliers-2025"].region("en") == "Phu Tho — former Vinh Phuc"
    path = tmp_path / "targets.json"
    path.write_text(
        json.dumps(
            {
                "provinces": {"PT": {"targets": [{**GROWTH, "id": "pt-own"}]}},
                "former_provinces": {"HB": {"targets": [{**GROWTH, "id": "pt-hb"}]}},
            }
        ),
        encoding="utf-8",
    )
    targets = load_targets(path)
    assert {"pt-own", "pt-hb", "vp-tier-suppliers-2025"} <= {
        t.id for t in targets.for_province("PT")
    }

    def actuals():
        board = dashboard(session, "PT", Period(2025), targets=targets)
        return {s.target.id: s.actual for s in board.targets if s.target.id.startswith("pt-")}

    before = actuals()
    for province in ("Hòa Bình", "Vinh Phuc"):
        services.create_firm(
            session,
            {
                "role": "supplier",
                "name_vi": f"Công ty TNHH Thử {uuid.uuid4().hex[:8]}",
                "tax_code": fresh_tax_code(),
                "province": province,
                "sectors": ["sector.electronics"],
                "year_founded": 2025,
            },
        )
    after = actuals()
    assert after["pt-own"] - before["pt-own"] == 2  # both firms are in Phú Thọ
    assert after["pt-hb"] - before["pt-hb"] == 1  # one of them in former Hòa Bình


def test_target_from_an_override_file_is_applied(session, tmp_path):
    province = new_province(session)
    electronics(session, province, 2024, 2)
    electronics(session, province, 2025, 1)
    tier = {
        "id": "test-tier",
        "kind": "tier_suppliers",
        "count": 2,
        "by_year": 2028,
        "base_year": 2024,
        "comparison": "gte",
        "label_vi": "2 nhà cung ứng cấp 1",
        "label_en": "2 tier-1 suppliers",
        "source": "test",
    }
    targets = load_targets(write_override(tmp_path, province.code, [GROWTH, tier]))
    assert targets.for_province("TN"), "other provinces keep the packaged targets"

    board = dashboard(session, province.code, Period(2025), targets=targets)
    growth, tiers = board.targets
    assert growth.target.id == "test-electronics"
    assert (growth.base_value, growth.target_value, growth.actual) == (2, 3.0, 3)
    # "more than" 3 is asked for: 3 is not enough.
    assert (growth.on_track, growth.final, growth.status) == (False, False, "behind")

    electronics(session, province, 2025, 1)
    board = dashboard(session, province.code, Period(2025), targets=targets)
    assert (board.targets[0].actual, board.targets[0].status) == (4, "on_track")
    assert board.targets[0].actual_rate == pytest.approx(1.0)

    # After its last year a target is met or missed, judged on that year.
    later = dashboard(session, province.code, Period(2030), targets=targets).targets[0]
    assert (later.year, later.final, later.target_value) == (2026, True, 4.5)
    assert later.status == "missed"

    # Tier suppliers: a relationship since 2025 puts the count on the 2028 line.
    assert tiers.actual == 0 and tiers.status == "behind"
    supplier = session.get(Firm, _any_supplier(session, province))
    buyer = firm(session, province, role="buyer")
    session.add(SupplyRelationship(supplier=supplier, buyer=buyer, tier=1, since=date(2025, 5, 1)))
    session.commit()
    tiers = dashboard(session, province.code, Period(2025), targets=targets).targets[1]
    assert (tiers.base_value, tiers.target_value, tiers.actual) == (0, 0.5, 1)
    assert tiers.status == "on_track"
    # The relationship did not exist at the end of 2024.
    assert dashboard(session, province.code, Period(2024), targets=targets).targets[1].actual == 0


def _any_supplier(session, province) -> int:
    return session.scalar(
        select(Firm.id).where(Firm.province_id == province.id, Firm.role == "supplier")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sector": "sector.electronic"}, "targets[0].sector: unknown sector 'sector.electronic'"),
        ({"rate": "10%"}, "targets[0].rate: must be a yearly rate"),
        ({"until": 2020}, "targets[0].until: must be after base_year"),
        ({"source": ""}, "targets[0].source: must be a non-empty text"),
        ({"kind": "revenue"}, "targets[0].kind: must be 'sector_growth' or 'tier_suppliers'"),
    ],
)
def test_a_wrong_target_file_is_refused_with_its_field(tmp_path, change, message):
    path = write_override(tmp_path, "TX", [{**GROWTH, **change}])
    with pytest.raises(TargetError) as caught:
        load_targets(path)
    assert str(path) in str(caught.value)
    assert f"provinces.TX.{message}" in str(caught.value)


def test_unreadable_target_files_are_refused(tmp_path):
    with pytest.raises(TargetError, match="no such file"):
        load_targets(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(TargetError, match="not valid JSON"):
        load_targets(broken)


# -- needs, outcomes, verification -------------------------------------------------------


def test_needs_and_outcomes_of_the_period(session):
    province = new_province(session)
    supplier = firm(session, province, sectors=["sector.mechanical"], year_founded=2010)
    buyer = firm(session, province, role="buyer")
    period = Period.current()
    before = dashboard(session, province.code, period)
    assert (before.needs.posted, before.needs.open) == (0, 0)

    need = make_need(session, buyer, title="Stamped brackets", description="SPCC, 10k pcs/year")
    closed = make_need(session, buyer, title="Old request", description="Already sourced")
    services.update_need(session, closed, {"status": "closed"})
    services.record_outcome(session, need, supplier, "shortlisted")
    services.record_outcome(session, need, supplier, "deal")

    board = dashboard(session, province.code, period)
    assert board.needs.posted == 2
    assert board.needs.open == 1
    assert board.needs.posted_by_status == {"open": 1, "closed": 1}
    assert board.outcomes.judgements == {"shortlisted": 1, "purchase_order": 1}
    assert board.outcomes.relationships_created == 1
    assert board.outcomes.relationships_from_deals == 1
    assert board.outcomes.tier_suppliers == 1
    # Nothing of this happened in the previous period.
    earlier = dashboard(session, province.code, period.previous())
    assert (earlier.needs.posted, earlier.outcomes.judgements) == (0, {})


def test_verification_coverage_uses_the_newest_check_and_lists_expiries(session):
    province = new_province(session)
    checked = firm(session, province)
    firm(session, province)  # never checked
    caps = [services.add_capability(session, checked, {"title": f"CNC line {i}"}) for i in range(3)]
    cert = services.add_certification(
        session, checked, {"standard": "ISO 9001", "valid_until": "2030-01-01"}
    )
    today = vietnam_today()

    def check(item, result, days_valid, checked_days_ago=10):
        kwargs = (
            {"capability_id": item.id}
            if isinstance(item, Capability)
            else {"certification_id": item.id}
        )
        session.add(
            Verification(
                firm_id=checked.id,
                method=VerificationMethod.SITE_VISIT,
                result=result,
                checked_on=today - timedelta(days=checked_days_ago),
                valid_until=today + timedelta(days=days_valid),
                **kwargs,
            )
        )

    check(caps[0], VerificationResult.CONFIRMED, 30)  # lapses within 60 days
    check(caps[1], VerificationResult.PARTLY, 400)
    check(caps[2], VerificationResult.NOT_CONFIRMED, 400)
    check(cert, VerificationResult.CONFIRMED, 400, checked_days_ago=300)
    check(cert, VerificationResult.NOT_CONFIRMED, 400, checked_days_ago=5)  # newest decides
    session.commit()
    assert isinstance(cert, Certification)

    v = dashboard(session, province.code, Period.current(), today=today).verification
    assert (v.supplier_firms, v.firms_verified, v.firm_share) == (2, 1, 0.5)
    assert (v.capabilities, v.capabilities_verified) == (3, 2)
    assert (v.certifications, v.certifications_verified) == (1, 0)
    assert v.checks_in_period >= 1
    assert [(e.item_label, e.days_left) for e in v.expiring] == [("CNC line 0", 30)]
    # Ninety days on, the 30-day check has lapsed and the 400-day one still stands.
    later_day = today + timedelta(days=90)
    later = dashboard(
        session, province.code, Period.containing(later_day), today=later_day
    ).verification
    assert (later.on, later.capabilities_verified, later.firms_verified) == (later_day, 1, 1)
    assert later.expiring == []


def test_events_meetings_and_their_outcomes(session):
    province, elsewhere = new_province(session), new_province(session)
    buyer = firm(session, province, role="buyer")
    suppliers = [firm(session, province) for _ in range(3)]
    period = Period.parse("2026-Q2")

    def event(where, starts_on, mode=EventMode.MATCHMAKING, invited=()):
        e = Event(
            name="Kết nối CNHT",
            province_id=where.id,
            starts_on=starts_on,
            ends_on=starts_on,
            mode=mode,
            provinces=list(invited),
        )
        session.add(e)
        session.flush()
        return e

    day = event(province, date(2026, 5, 20))
    reverse = event(elsewhere, date(2026, 6, 2), EventMode.REVERSE, invited=[province])
    event(province, date(2026, 7, 1))  # next quarter
    event(elsewhere, date(2026, 5, 1))  # another province's, not open to this one
    regs = {}
    for who, side, status in [
        (buyer, "buyer", RegistrationStatus.APPROVED),
        (suppliers[0], "supplier", RegistrationStatus.APPROVED),
        (suppliers[1], "supplier", RegistrationStatus.PENDING),
        (suppliers[2], "supplier", RegistrationStatus.CANCELLED),
    ]:
        regs[who.id] = Registration(event_id=day.id, firm_id=who.id, side=side, status=status)
        session.add(regs[who.id])
    session.add(Registration(event_id=reverse.id, firm_id=buyer.id, side="buyer"))
    for supplier, status, outcome in [
        (suppliers[0], MeetingStatus.HELD, MeetingOutcome.CONTRACT),
        (suppliers[1], MeetingStatus.NO_SHOW, None),
        (suppliers[2], MeetingStatus.HELD, MeetingOutcome.FOLLOW_UP),
    ]:
        session.add(
            Meeting(
                event_id=day.id,
                buyer=regs[buyer.id],
                supplier=regs[supplier.id],
                status=status,
                outcome=outcome,
            )
        )
    session.commit()

    e = dashboard(session, province.code, period).events
    assert (e.events, e.by_mode) == (2, {"matchmaking": 1, "reverse": 1})
    assert e.registrations == {"buyer": 2, "supplier": 2}  # the cancelled one is not counted
    assert e.meetings == {"held": 2, "no_show": 1} and e.meetings_held == 2
    assert e.outcomes == {"contract": 1, "follow_up": 1}
    assert dashboard(session, elsewhere.code, period).events.events == 2
    assert dashboard(session, province.code, Period.parse("2026-Q3")).events.events == 1


def test_dashboard_is_plain_data_for_templates(session):
    province = new_province(session)
    electronics(session, province, 2024)
    board = dashboard(session, province.code, Period.parse("2025-Q2"))
    data = json.loads(json.dumps(board.as_dict()))
    assert data["period"] == {
        "label": "2025-Q2",
        "kind": "quarter",
        "start": "2025-04-01",
        "end": "2025-06-30",
    }
    assert data["province"]["code"] == province.code
    assert data["firms"]["total"]["counts"]["2025"] == 1
    assert "firm_share" in data["verification"]


def test_unknown_province_is_an_error(session):
    with pytest.raises(LookupError):
        dashboard(session, "NOWHERE", Period(2025))
