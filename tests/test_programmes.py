"""Support programmes in the catalogue: an officer sets up a programme with lines,
budgets and targets; a firm applies; the officer approves, pays in steps and records the
result, which becomes the firm's certification; the figures count it; the rules hold
where the records are written."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from catalog.access import OutOfScope
from catalog.access.audit import set_actor
from catalog.files import Upload
from catalog.models import (
    ApplicationStatus,
    AuditEntry,
    Certification,
    Firm,
    FundingSource,
    Programme,
    Province,
    SupportApplication,
    SupportLine,
    User,
)
from catalog.models.base import vietnam_today
from catalog.programmes import applications, figures, offers, setup
from catalog.validation import ValidationError
from tests.factories import make_supplier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _officer(session, people, role: str = "officer") -> User:
    return session.get(User, people.users[role])


def programme_with_lines(session, officer: User) -> tuple[Programme, dict[str, SupportLine]]:
    """Phú Thọ's programme with three lines, as an officer sets it up."""
    year = vietnam_today().year
    programme = setup.create_programme(
        session,
        officer,
        {
            "name": f"Chương trình phát triển CNHT {uuid.uuid4().hex[:6]}",
            "legal_basis": "Quyết định 1234/QĐ-UBND",
            "start_year": str(year - 1),
            "end_year": str(year + 3),
        },
    )
    iso = setup.save_line(
        session,
        programme,
        officer,
        {
            "kind": "management_system",
            "name": "Hỗ trợ áp dụng ISO 9001",
            "share_pct": "50",
            "ceiling_vnd": "60.000.000",
            "standards": "ISO 9001, IATF 16949",
            "budgets": [
                {"year": year, "source": "provincial", "planned_vnd": 600_000_000},
                {"year": year, "source": "central", "planned_vnd": 200_000_000},
            ],
            "targets": [{"measure": "certifications", "value": 10}],
        },
    )
    training = setup.save_line(
        session,
        programme,
        officer,
        {
            "kind": "training",
            "name": "Đào tạo lao động",
            "share_pct": 70,
            "ceiling_vnd": 30_000_000,
            "budgets": [{"year": year, "source": "provincial", "planned_vnd": 400_000_000}],
            "targets": [{"measure": "workers_trained", "value": 420}],
        },
    )
    fair = setup.save_line(
        session,
        programme,
        officer,
        {"kind": "fair", "name": "Hội chợ triển lãm", "share_pct": 100, "sizes": "micro,small"},
    )
    session.commit()
    return programme, {"iso": iso, "training": training, "fair": fair}


def test_a_line_s_budget_and_targets_are_checked_field_by_field(session, people):
    officer = _officer(session, people)
    programme, _lines = programme_with_lines(session, officer)
    with pytest.raises(ValidationError) as bad:
        setup.save_line(
            session,
            programme,
            officer,
            {
                "kind": "lottery",
                "name": "",
                "share_pct": "150",
                "budgets": [
                    {"year": programme.end_year + 5, "source": "provincial", "planned_vnd": 1},
                    {"year": programme.start_year, "source": "bank", "planned_vnd": -3},
                ],
                "targets": [{"measure": "smiles", "value": 0}],
            },
        )
    assert {"kind", "name", "share_pct", "budgets.1.year", "budgets.2.source"} <= set(
        bad.value.errors
    )
    assert {"budgets.2.planned_vnd", "targets.1.measure", "targets.1.value"} <= set(
        bad.value.errors
    )
    session.rollback()
    with pytest.raises(ValidationError) as years:
        setup.create_programme(
            session, officer, {"name": "x", "start_year": 2026, "end_year": 2021}
        )
    assert "end_year" in years.value.errors
    # An officer of another province cannot set up Phú Thọ's programme.
    pt = session.scalar(select(Province).where(Province.code == "PT"))
    with pytest.raises(OutOfScope):
        setup.create_programme(
            session,
            _officer(session, people, "other_officer"),
            {"name": "x", "start_year": 2026, "end_year": 2027, "province_id": pt.id},
        )
    session.rollback()


def test_from_application_to_certificate(session, people, tmp_path):
    officer = _officer(session, people)
    _programme, lines = programme_with_lines(session, officer)
    iso = lines["iso"]
    firm = session.get(Firm, people.firms["supplier"])
    member = session.get(User, people.users["supplier"])

    # Bounds: 50 % of the cost, at most 60 million.
    with pytest.raises(ValidationError) as too_much:
        applications.apply(
            session,
            iso,
            firm,
            member,
            {"purpose": "ISO 9001", "cost_vnd": "100000000", "requested_vnd": "70000000"},
        )
    assert "requested_vnd" in too_much.value.errors
    session.rollback()
    application = applications.apply(
        session,
        iso,
        firm,
        member,
        {
            "purpose": "Áp dụng ISO 9001:2015 cho xưởng dập",
            "gap": "certification:ISO 9001",
            "cost_vnd": "100.000.000",
            "requested_vnd": "50000000",
        },
        [Upload("bao-gia-tu-van.pdf", PDF)],
        root=tmp_path,
    )
    session.commit()
    assert application.status == ApplicationStatus.SUBMITTED
    assert [f.role for f in application.files] == ["application"]

    # A firm user cannot decide; another province's officer cannot either.
    with pytest.raises(OutOfScope):
        applications.decide(session, application, member, {"decision": "approve"})
    with pytest.raises(OutOfScope):
        applications.decide(
            session,
            application,
            _officer(session, people, "other_officer"),
            {"decision": "approve"},
        )
    with pytest.raises(ValidationError):
        applications.decide(session, application, officer, {"decision": "reject"})  # no reason
    session.rollback()
    applications.decide(
        session,
        application,
        officer,
        {
            "decision": "approve",
            "score": "85",
            "criteria": "Hồ sơ đầy đủ",
            "approved_vnd": "50000000",
        },
    )
    session.commit()

    applications.disburse(session, application, officer, {"amount_vnd": "20000000"})
    session.commit()
    with pytest.raises(ValidationError) as over:
        applications.disburse(session, application, officer, {"amount_vnd": "40000000"})
    assert "amount_vnd" in over.value.errors
    session.rollback()
    applications.disburse(
        session, application, officer, {"amount_vnd": "30000000", "source": "central"}
    )
    session.commit()
    assert application.disbursed_vnd == 50_000_000

    with pytest.raises(ValidationError) as no_standard:
        applications.complete(session, application, officer, {"result_note": "Đã xong"})
    assert "standard" in no_standard.value.errors
    session.rollback()
    applications.complete(
        session,
        application,
        officer,
        {
            "result_note": "Đạt chứng nhận ISO 9001:2015",
            "standard": "iso 9001:2015",
            "issuer": "Quacert",
            "certificate_no": "QC-2026-881",
            "valid_until": date(vietnam_today().year + 3, 1, 1).isoformat(),
        },
        [Upload("chung-nhan.pdf", PDF)],
        root=tmp_path,
    )
    session.commit()
    session.expire_all()
    cert = session.scalar(
        select(Certification).where(
            Certification.firm_id == firm.id, Certification.standard == "ISO 9001"
        )
    )
    assert cert is not None and cert.issuer == "Quacert"
    assert application.certification_id == cert.id
    assert application.status == ApplicationStatus.COMPLETED

    (fig,) = figures.line_figures(session, [iso])
    year = vietnam_today().year
    assert fig.planned_vnd(year) == 800_000_000
    assert fig.committed_vnd(year) == 50_000_000
    assert fig.disbursed[year] == {
        FundingSource.PROVINCIAL: 20_000_000,
        FundingSource.CENTRAL: 30_000_000,
    }
    assert [(t.target.value, t.actual) for t in fig.targets] == [(10, 1)]
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = [
        r
        for r in figures.supported_firms(session, None, start, end)
        if r.application.id == application.id
    ]
    assert rows and rows[0].paid_to_date == 50_000_000

    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "support_application", AuditEntry.entity_id == application.id
        )
    ).all()
    assert {e.action for e in entries} >= {"create", "update"}


def test_eligibility_and_offers(session, people):
    officer = _officer(session, people)
    _programme, lines = programme_with_lines(session, officer)
    big = make_supplier(session, f"Cơ khí Lớn {uuid.uuid4().hex[:5]}", [], employees=450)
    far = make_supplier(session, f"Cơ khí Bắc Ninh {uuid.uuid4().hex[:5]}", [], province="BN")
    session.commit()
    assert applications.ineligible(lines["fair"], big)  # micro and small firms only
    assert applications.ineligible(lines["iso"], far)  # another province
    found = offers.offers_for(
        session,
        [("certification", "ISO 9001"), ("certification", "ISO 14001")],
        big.province_id,
        big,
    )
    assert lines["iso"].id in [o.line.id for o in found[("certification", "ISO 9001")]]
    assert lines["training"].id not in [o.line.id for o in found[("certification", "ISO 9001")]]
    assert ("certification", "ISO 14001") not in found

    class Miss:
        def __init__(self, firm_id, key):
            self.firm_id, self.kind, self.key, self.name = firm_id, "certification", key, key

    ranked = offers.one_away(
        session,
        big.province_id,
        [
            (1, Miss(big.id, "ISO 9001")),
            (2, Miss(big.id, "ISO 9001")),
            (3, Miss(far.id, "ISO 9001")),
        ],
    )
    assert [(c.firm.id, c.needs) for c in ranked] == [(big.id, 2)]


def test_the_write_guard_keeps_programmes_to_their_province(session, people):
    officer = _officer(session, people)
    programme, lines = programme_with_lines(session, officer)
    other = _officer(session, people, "other_officer")
    set_actor(session, other)
    try:
        lines["iso"].share_pct = 90
        with pytest.raises(OutOfScope):
            session.flush()
        session.rollback()
        member = session.get(User, people.users["supplier"])
        firm = session.get(Firm, people.firms["supplier"])
        set_actor(session, member)
        application = applications.apply(
            session, lines["iso"], firm, member, {"purpose": "ISO", "requested_vnd": "1000000"}
        )
        session.commit()
        application.status = ApplicationStatus.APPROVED  # not through the officers
        application.approved_vnd = 1_000_000
        with pytest.raises(OutOfScope):
            session.flush()
        session.rollback()
        applications.withdraw(session, application, member)
        session.commit()
        assert session.get(SupportApplication, application.id).status == ApplicationStatus.WITHDRAWN
    finally:
        set_actor(session, None)
