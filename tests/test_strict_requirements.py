""" "Meets all requirements" is strict and expired certificates count for nothing:
every stated requirement must hold, and undeclared is not met."""

from __future__ import annotations

from datetime import date, timedelta

from catalog import services
from catalog.queries import DirectoryFilters, supplier_query
from jobs.runtime import runtime
from matching.constraints import capability_checks, certification_checks, meets_all
from tests.factories import make_buyer, make_need, make_supplier

STAMPING = {
    "title": "Dập chi tiết thép tấm kiểm thử nghiêm ngặt",
    "description": "Dập liên hoàn chi tiết thép SPCC.",
    "process": "process.stamping",
    "materials": ["material.spcc"],
    "capacity_per_month": 1000,
    "tolerance_mm": "0.05",
}


def _checks(need, firm):
    cap = firm.capabilities[0]
    return certification_checks(need, firm) + capability_checks(need, cap, firm)


def test_a_firm_whose_process_materials_and_capacity_fail_does_not_meet_all(session):
    firm = make_supplier(session, "Công ty Dập Kiểm Thử Nghiêm Ngặt", [STAMPING])
    need = make_need(
        session,
        make_buyer(session),
        title="Injection moulded ABS housings",
        process="process.injection_molding",
        materials=["material.abs"],
        quantity_per_year=600_000,
    )
    checks = _checks(need, firm)
    assert {c.name for c in checks if c.status == "fail"} == {"process", "materials", "capacity"}
    # No certificate is required, so nothing "hard" failed: the old rule let it pass.
    assert not any(c.hard for c in checks)
    assert not meets_all(checks)
    matches = runtime().engine.match_need(session, need, limit=60)
    assert all(m.meets_all_required == meets_all(m.checks) for m in matches)
    mine = [m for m in matches if m.firm_id == firm.id]
    assert not mine or not mine[0].meets_all_required


def test_undeclared_counts_as_not_met_and_all_met_meets_all(session):
    firm = make_supplier(
        session, "Công ty Dập Kiểm Thử Khai Báo Thiếu", [{**STAMPING, "capacity_per_month": None}]
    )
    need = make_need(
        session,
        make_buyer(session),
        title="Stamped SPCC brackets",
        process="process.stamping",
        materials=["material.spcc"],
        quantity_per_year=6_000,
        tolerance_mm="0.1",
    )
    checks = _checks(need, firm)
    assert [c.status for c in checks if c.name == "capacity"] == ["unknown"]
    assert not meets_all(checks)
    full = make_supplier(session, "Công ty Dập Kiểm Thử Đủ Cả", [STAMPING])
    assert meets_all(_checks(need, full))


def test_a_partly_held_material_list_is_not_met(session):
    firm = make_supplier(session, "Công ty Dập Kiểm Thử Một Vật Liệu", [STAMPING])
    need = make_need(
        session,
        make_buyer(session),
        title="Stamped brackets in SPCC and SUS304",
        materials=["material.spcc", "material.stainless_304"],
    )
    checks = [c for c in _checks(need, firm) if c.name == "materials"]
    assert sorted(c.status for c in checks) == ["fail", "ok"]
    assert not meets_all(checks)


def test_an_expired_iso_9001_satisfies_neither_the_filter_nor_the_check(session):
    expired = make_supplier(session, "Công ty Kiểm Thử Chứng Chỉ Hết Hạn", [STAMPING])
    services.add_certification(
        session,
        expired,
        {"standard": "ISO 9001", "valid_until": (date.today() - timedelta(days=1)).isoformat()},
    )
    valid = make_supplier(session, "Công ty Kiểm Thử Chứng Chỉ Còn Hạn", [STAMPING])
    services.add_certification(
        session,
        valid,
        {"standard": "ISO 9001", "valid_until": (date.today() + timedelta(days=30)).isoformat()},
    )
    found = set(session.scalars(supplier_query(DirectoryFilters(certification="ISO 9001"))))
    assert valid in found and expired not in found
    need = make_need(
        session, make_buyer(session), title="Stamped parts", required_certifications=["ISO 9001"]
    )
    (check,) = certification_checks(need, expired)
    assert check.status == "fail" and check.detail == "ISO 9001 required: expired"
    assert not meets_all(_checks(need, expired))
    (check,) = certification_checks(need, valid)
    assert check.status == "ok"
