"""The firm facts a match keeps between requests: stamped, checked, equal to the rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from catalog import services, verification
from catalog.models import Firm, Need, NeedStatus
from catalog.queries import firms_by_ids
from jobs.runtime import runtime
from matching.documents import need_text
from matching.firm_facts import FirmFacts
from tests.factories import make_buyer, make_need, make_supplier

BRAKE_PADS = {
    "title": "Dập và mạ kẽm má phanh xe máy",
    "description": "Dập tấm thép, mài và mạ kẽm má phanh cho xe máy; dung sai ±0,05 mm.",
    "process": "process.stamping",
    "capacity_per_month": 30000,
}


def _stamp(session, firm_id: int):
    session.expire_all()
    return session.get(Firm, firm_id).updated_at


def test_a_firm_is_stamped_when_anything_it_declares_changes(session):
    firm = make_supplier(session, "Công ty TNHH Dập Kiểm Thử Tem", [BRAKE_PADS])
    stamps = [_stamp(session, firm.id)]

    cap = session.get(Firm, firm.id).capabilities[0]
    services.update_capability(session, cap, {**BRAKE_PADS, "capacity_per_month": 45000})
    stamps.append(_stamp(session, firm.id))

    cert = services.add_certification(
        session, session.get(Firm, firm.id), {"standard": "IATF 16949"}
    )
    stamps.append(_stamp(session, firm.id))

    verification.record(
        session,
        session.get(Firm, firm.id),
        cert,
        {"method": "documents", "result": "confirmed", "checked_on": date.today().isoformat()},
        officer=None,
    )
    stamps.append(_stamp(session, firm.id))

    services.update_firm(session, session.get(Firm, firm.id), {"sectors": ["sector.electronics"]})
    stamps.append(_stamp(session, firm.id))  # a link table's rows only: the API card shows them

    services.delete_capability(session, session.get(Firm, firm.id).capabilities[0])
    stamps.append(_stamp(session, firm.id))

    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False)), stamps


def test_facts_score_exactly_as_the_rows_do(session):
    """Every match of the demo's open needs, scored again from the firms' rows."""
    engine = runtime().engine
    needs = session.scalars(
        select(Need).where(Need.status == NeedStatus.OPEN).order_by(Need.id).limit(12)
    ).all()
    compared = 0
    for need in needs:
        hits = engine.retrieve(session, need_text(need), 200, stored=True)
        by_firm = {}
        for h in hits:
            by_firm.setdefault(h.firm_id, []).append(h)
        rows = firms_by_ids(session, list(by_firm)[:30])
        for firm_id, firm in rows.items():
            from_row = engine.score_firm(need, firm, by_firm[firm_id])
            from_facts = engine.score_firm(need, FirmFacts.of(firm), by_firm[firm_id])
            assert from_facts.checks == from_row.checks
            assert (from_facts.capability_id, from_facts.score) == (
                from_row.capability_id,
                from_row.score,
            )
            compared += 1
    assert compared > 100


def test_a_match_sees_an_edit_at_once_and_reuses_what_did_not_change(session):
    firm = make_supplier(session, "Công ty TNHH Má Phanh Kiểm Thử Tem", [BRAKE_PADS])
    need = make_need(
        session,
        make_buyer(session),
        title="Stamped and zinc-plated brake pads for motorbikes",
        description="Steel brake pad backing plates, stamped, ground and zinc plated.",
        process="process.stamping",
        required_certifications=["IATF 16949"],
    )
    engine = runtime().engine

    def certification_check():
        match = next(m for m in engine.match_need(session, need, limit=40) if m.firm_id == firm.id)
        return next(c.detail for c in match.checks if c.name == "certification")

    assert "missing" in str(certification_check())
    before = engine.firms.stats()
    assert "missing" in str(certification_check())
    after = engine.firms.stats()
    assert after["misses"] == before["misses"] and after["hits"] > before["hits"]

    # Another process's commit would do the same: the stamp moves, the facts reload.
    services.add_certification(session, session.get(Firm, firm.id), {"standard": "IATF 16949"})
    assert "held" in str(certification_check())


def test_facts_read_as_columns_equal_the_facts_of_the_rows(session):
    """``load_facts`` (columns) and ``FirmFacts.of`` (rows) agree on every supplier of
    the demo and on one with every kind of part: materials, certificates, checks."""
    from catalog.deals.ratings import aggregates
    from catalog.models import FirmRole
    from matching.firm_facts import load_facts

    firm = make_supplier(
        session,
        "Công ty TNHH Đủ Loại Kiểm Thử Tem",
        [
            {**BRAKE_PADS, "materials": ["material.spcc", "material.ss400"]},
            {"title": "Ép phun vỏ nhựa", "process": "process.injection_molding",
             "materials": ["material.abs"], "min_order_qty": 500, "tolerance_mm": 0.05},
        ],
        employees=120,
    )  # fmt: skip
    cert = services.add_certification(session, firm, {"standard": "ISO 9001"})
    services.add_certification(session, firm, {"standard": "IATF 16949"})
    for item in (cert, firm.capabilities[1]):
        verification.record(
            session,
            firm,
            item,
            {"method": "documents", "result": "confirmed", "checked_on": date.today().isoformat()},
            officer=None,
        )
    session.commit()
    ids = list(
        session.scalars(select(Firm.id).where(Firm.role.in_([FirmRole.SUPPLIER, FirmRole.BOTH])))
    )
    assert firm.id in ids and len(ids) > 100
    loaded = load_facts(session, ids)
    rows = firms_by_ids(session, ids)
    ratings = aggregates(session, ids)
    assert set(loaded) == set(rows)
    for firm_id, row in rows.items():
        stamp, facts = loaded[firm_id]
        assert stamp == row.updated_at
        assert facts == FirmFacts.of(row, ratings.get(firm_id)), row.display_name
    mine = loaded[firm.id][1]
    assert [len(c.materials) for c in mine.capabilities] == [2, 1]
    assert [c.standard for c in mine.certifications] == ["IATF 16949", "ISO 9001"]
    assert len(mine.checks) == 2


def test_cards_are_made_for_the_firms_shown_and_follow_edits(session):
    from catalog.serialize import firm_dict
    from matching.firm_facts import FirmFactsCache

    firm = make_supplier(session, "Công ty TNHH Thẻ Kiểm Thử Tem", [BRAKE_PADS])
    session.commit()
    cache = FirmFactsCache()
    assert cache.cards(session, [firm.id, 10**9]) == {firm.id: firm_dict(firm)}
    services.update_firm(session, firm, {"employees": 77})
    session.commit()
    card = cache.cards(session, [firm.id])[firm.id]
    assert card["employees"] == 77 and card == firm_dict(session.get(Firm, firm.id))
