"""A supplier's opportunities and gap view, over the demo catalog and the real index."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from catalog import accounts, services
from catalog.models import Firm, Need, User
from jobs.runtime import runtime
from matching import opportunities as opp
from matching.constraints import FAIL, Check
from matching.documents import need_text
from matching.engine import FirmMatch, Hit, MatchEngine
from tests.conftest import PASSWORD
from tests.factories import make_buyer, make_need, make_supplier
from webapp.extensions import db

# Both test suppliers mould the same housings: the need texts below name the product
# ("SpO2 oximeter"), the process and the material, in the other language.
MOULDING_VI = {
    "title": "Ép phun vỏ nhựa ABS cho máy đo SpO2 (oximeter) và thiết bị y tế cầm tay",
    "description": (
        "Xưởng ép phun nhựa ABS, PC: vỏ máy đo nồng độ oxy SpO2 kẹp ngón tay, vỏ nhiệt kế "
        "điện tử. 12 máy ép phun 80-250 tấn, khuôn 2-4 lòng."
    ),
    "process": "process.injection_molding",
    "materials": ["material.abs"],
    "capacity_per_month": 50000,
}
HOUSINGS = {
    "description": "Injection moulded ABS shells for fingertip SpO2 pulse oximeters, "
    "two-cavity moulds, glossy finish.",
    "process": "process.injection_molding",
    "materials": ["material.abs"],
}


@dataclass
class Scenario:
    supplier: int  # firm id
    certifying: int  # a second supplier, the one that gets certified
    user: int  # a user of ``supplier``
    own: int  # need ids from here on
    fitting: int
    iatf: int
    iatf_and_volume: int
    pad_printing: int
    unrelated: int
    closed: int
    expired: int
    officers_only: int


@pytest.fixture(scope="module")
def scenario(app) -> Scenario:
    with app.app_context():
        session = db.session
        supplier = make_supplier(
            session, "Công ty TNHH Nhựa Y Tế Cơ Hội", [MOULDING_VI], role="both"
        )
        certifying = make_supplier(session, "Công ty CP Ép Nhựa Chứng Nhận", [MOULDING_VI])
        user = accounts.create_user(
            session, f"opp-{uuid.uuid4().hex[:8]}@people.test", PASSWORD, "Cơ Hội", firm=supplier
        )
        buyer = make_buyer(session, "Testbuyer Medical Devices Vina")
        yesterday = (date.today() - timedelta(days=1)).isoformat()

        def need(title: str, firm: Firm = buyer, **fields) -> int:
            data = {"title": title, "visibility": "public", **HOUSINGS, **fields}
            return make_need(session, firm, **data).id

        ids = Scenario(
            supplier=supplier.id,
            certifying=certifying.id,
            user=user.id,
            own=need("SpO2 oximeter housings, ABS, injection moulded (our own RFQ)", supplier),
            fitting=need("ABS housings for SpO2 pulse oximeters", quantity_per_year=120_000),
            iatf=need(
                "ABS oximeter housings, SpO2 sensor covers (automotive-grade plant)",
                quantity_per_year=60_000,
                required_certifications=["IATF 16949"],
            ),
            iatf_and_volume=need(
                "SpO2 oximeter shells in ABS, high volume",
                quantity_per_year=1_200_000,
                required_certifications=["IATF 16949"],
            ),
            pad_printing=need(
                "Pad printing of logos on ABS SpO2 oximeter housings",
                description="Two-colour pad printing on injection moulded ABS oximeter "
                "shells supplied by us.",
                process="process.pad_printing",
            ),
            unrelated=need(
                "Ring-spun combed cotton yarn Ne 30/1 for knitting",
                description="Combed cotton yarn, ring spinning, 20 tonnes per month.",
                process="process.spinning",
                materials=["material.cotton"],
            ),
            closed=need("SpO2 oximeter housings in ABS (closed RFQ)", status="closed"),
            expired=need("SpO2 oximeter housings in ABS (expired RFQ)", deadline=yesterday),
            officers_only=need(
                "SpO2 oximeter housings in ABS (confidential)", visibility="officers"
            ),
        )
        db.session.remove()
    return ids


def _ids(found) -> list[int]:
    return [o.need.id for o in found]


def _firm(session, firm_id: int) -> Firm:
    return session.get(Firm, firm_id)


def test_fitting_needs_first_and_only_those_the_firm_may_take(session, scenario):
    engine = runtime().engine
    firm, user = _firm(session, scenario.supplier), session.get(User, scenario.user)
    found = opp.opportunities(session, engine, firm, user=user, limit=None)
    ids = _ids(found)
    assert scenario.fitting in ids and scenario.iatf in ids
    # A need with nothing in common with the firm's capabilities is not offered.
    assert scenario.unrelated not in ids
    for hidden in ("own", "closed", "expired", "officers_only"):
        assert getattr(scenario, hidden) not in ids, hidden
    # Best first: the qualified need above the one missing a required certificate.
    assert ids.index(scenario.fitting) < ids.index(scenario.iatf)
    assert [o.score for o in found] == sorted((o.score for o in found), reverse=True)

    fitting = found[ids.index(scenario.fitting)]
    assert fitting.qualified and fitting.meets_all_required
    assert fitting.capability.firm_id == firm.id
    assert fitting.relevance_rank <= 5
    kinds = {r["kind"] for r in fitting.reasons}
    assert "concept" in kinds and "keywords" in kinds, fitting.reasons
    json.dumps([o.as_dict() for o in found[:5]])  # the API can return them as they are

    # Without a user (trusted callers) visibility is not applied; the rest still is.
    everything = _ids(opp.opportunities(session, engine, firm, limit=None))
    assert scenario.officers_only in everything
    assert scenario.own not in everything and scenario.closed not in everything
    # The page's first screen is a prefix of the full list.
    assert _ids(opp.opportunities(session, engine, firm, user=user, limit=3)) == ids[:3]
    qualified = opp.opportunities(session, engine, firm, user=user, qualified_only=True)
    assert scenario.fitting in _ids(qualified) and scenario.iatf not in _ids(qualified)


def test_supplier_sees_the_match_the_buyer_sees(session, scenario):
    engine = runtime().engine
    firm = _firm(session, scenario.supplier)
    found = {o.need.id: o for o in opp.opportunities(session, engine, firm, limit=None)}
    for need_id in (scenario.fitting, scenario.iatf, scenario.pad_printing):
        mine = found[need_id]
        need = session.get(Need, need_id)
        buyer_view = engine.match_need(session, need, limit=60)
        theirs = next(m for m in buyer_view if m.firm_id == firm.id)
        assert mine.capability.id == theirs.capability_id
        assert mine.score == pytest.approx(theirs.score, abs=1e-5)
        assert mine.relevance == pytest.approx(theirs.relevance, abs=1e-5)
        assert [c.as_dict() for c in mine.checks] == [c.as_dict() for c in theirs.checks]
        assert mine.meets_all_required == theirs.meets_all_required
        # The same reasons, bar the learned reranker's note if one is in use.
        assert mine.reasons == [r for r in theirs.reasons if r["kind"] != "learned"]
    assert "IATF 16949 required: missing" in [c.detail for c in found[scenario.iatf].checks]
    assert not found[scenario.iatf].meets_all_required


def test_relevance_is_the_engines_retrieval(session, scenario):
    """The batch scoring reproduces ``MatchEngine.retrieve`` need by need: the same
    capabilities with the same fused scores, and no need above the threshold left out."""
    engine = runtime().engine
    firm = _firm(session, scenario.supplier)
    found = {o.need.id: o for o in opp.opportunities(session, engine, firm, limit=None)}
    needs = [
        session.get(Need, i)
        for i in (scenario.fitting, scenario.iatf, scenario.pad_printing, scenario.unrelated)
    ]
    demo = [o.need for o in found.values() if o.need.demo_key][:3]
    assert demo, "demo injection-moulding needs should fit the firm too"
    for need in needs + demo:
        hits = engine.retrieve(session, need_text(need))
        mine = [h for h in hits if h.firm_id == firm.id]
        best = max((h.fused for h in mine), default=0.0)
        if best < opp.MIN_RELEVANCE:
            assert need.id not in found, need.title
            continue
        o = found[need.id]
        want = {h.capability_id: h.fused for h in mine}
        assert o.match.hit.fused == pytest.approx(want[o.capability.id], abs=1e-5)
        assert set(o.match.other_capabilities) <= set(want)
        # Rank among suppliers as match_need pools them: by best capability.
        order = list(dict.fromkeys(h.firm_id for h in hits if h.firm_id != need.buyer_id))
        assert o.relevance_rank == order.index(firm.id) + 1
    assert scenario.unrelated not in found


def test_gap_view_counts_what_is_missing(session, scenario):
    engine = runtime().engine
    firm, user = _firm(session, scenario.supplier), session.get(User, scenario.user)
    found = opp.opportunities(session, engine, firm, user=user, limit=None)
    gaps = opp.gaps(session, engine, firm, user=user)
    assert [g.as_dict() for g in gaps] == [g.as_dict() for g in opp.gaps_of(found)]
    by_key = {(g.kind, g.key): g for g in gaps}

    iatf = by_key[("certification", "IATF 16949")]
    # The need missing only the certificate would open; the high-volume one also lacks
    # capacity (100,000/month needed, 50,000 declared).
    assert scenario.iatf in iatf.would_open
    assert scenario.iatf_and_volume in iatf.one_of_several
    assert scenario.iatf_and_volume not in iatf.would_open
    only_iatf = {
        o.need.id
        for o in found
        if [(r.kind, r.key) for r in o.missing] == [("certification", "IATF 16949")]
    }
    assert set(iatf.would_open) == only_iatf
    assert iatf.examples[0].id in iatf.would_open and len(iatf.examples) <= opp.EXAMPLES
    assert iatf.label == "Certification IATF 16949"
    assert iatf.label.msgid == "Certification %(standard)s"

    printing = by_key[("process", "process.pad_printing")]
    assert scenario.pad_printing in printing.would_open
    assert printing.label.params == {"process": "Pad printing"}

    capacity = [g for g in gaps if g.kind == "capacity"]
    assert capacity and all(g.value >= 10_000 for g in capacity)
    top = max(capacity, key=lambda g: g.value)
    assert top.value >= 100_000 and scenario.iatf_and_volume in top.one_of_several
    assert top.label.msgid == "Capacity of %(capacity)s/month"

    # Sorted by the needs each would open, then by those it is one of several for.
    weights = [(len(g.would_open), len(g.one_of_several)) for g in gaps]
    assert weights == sorted(weights, reverse=True)
    # Every blocked opportunity is counted under each thing it misses.
    for o in found:
        for r in o.missing:
            if r.kind in ("certification", "process"):
                g = by_key[(r.kind, r.key)]
                assert o.need.id in (g.would_open if len(o.missing) == 1 else g.one_of_several)
    json.dumps([g.as_dict() for g in gaps])


def test_a_certificate_opens_the_needs_it_was_missing_for(session, scenario):
    engine = runtime().engine
    firm = _firm(session, scenario.certifying)
    before = {o.need.id: o for o in opp.opportunities(session, engine, firm, limit=None)}
    assert before[scenario.iatf].missing[0].kind == "certification"
    assert not before[scenario.iatf].meets_all_required
    gap = next(g for g in opp.gaps(session, engine, firm) if g.key == "IATF 16949")
    assert scenario.iatf in gap.would_open

    services.add_certification(session, firm, {"standard": "IATF 16949", "issuer": "TÜV"})
    after = {o.need.id: o for o in opp.opportunities(session, engine, firm, limit=None)}
    opened = after[scenario.iatf]
    assert opened.meets_all_required and opened.qualified and not opened.missing
    assert "IATF 16949 required: held" in [c.detail for c in opened.checks]
    assert opened.score > before[scenario.iatf].score
    # The high-volume need now lacks only capacity, and a capacity level would open it.
    assert [r.kind for r in after[scenario.iatf_and_volume].missing] == ["capacity"]
    gaps = opp.gaps(session, engine, firm)
    assert not any(g.key == "IATF 16949" for g in gaps)
    assert any(g.kind == "capacity" and scenario.iatf_and_volume in g.would_open for g in gaps)


def test_numeric_gaps_become_a_few_levels(session, scenario):
    """Capacity levels count every need they satisfy; tolerance runs the other way."""
    firm = _firm(session, scenario.supplier)
    cap = firm.capabilities[0]
    failed = Check("capacity", FAIL, False, "Capacity too small")

    def opening(need_id: int, kind: str, value) -> opp.Opportunity:
        need = Need(id=need_id, title=f"need {need_id}", buyer_id=0)
        req = opp.Requirement(kind, str(value), "", value, failed)
        match = FirmMatch(firm.id, cap.id, 0.5, 0.5, None, [failed], [], Hit(cap.id, firm.id))
        return opp.Opportunity(need, cap, 0.5, 0.5, None, [failed], [req], 1, match)

    volumes = [10_000, 20_000, 50_000, 80_000, 100_000]
    found = [opening(i, "capacity", v) for i, v in enumerate(volumes, start=1)]
    tolerances = [0.05, 0.02, 0.01]
    found += [opening(10 + i, "tolerance", t) for i, t in enumerate(tolerances)]
    gaps = opp.gaps_of(found, levels=3)
    capacity = sorted((g for g in gaps if g.kind == "capacity"), key=lambda g: g.value)
    assert [(g.value, len(g.would_open)) for g in capacity] == [
        (20_000, 2),
        (80_000, 4),
        (100_000, 5),
    ]
    assert gaps[0].kind == "capacity" and gaps[0].value == 100_000  # opens the most
    assert str(gaps[0].label) == "Capacity of 100,000/month"
    tolerance = sorted((g for g in gaps if g.kind == "tolerance"), key=lambda g: -g.value)
    assert [(g.value, len(g.would_open)) for g in tolerance] == [(0.05, 1), (0.02, 2), (0.01, 3)]
    assert str(tolerance[-1].label) == "Tolerance of ±0.01 mm"


def test_without_an_index_the_lexical_fallback_still_answers(session, scenario):
    """With no usable index the engine answers lexically from the database; so does
    the opportunities page, through the engine's own retrieval."""
    degraded = MatchEngine(None, runtime().encoder)
    assert degraded.bundle() is None
    firm = _firm(session, scenario.supplier)
    found = opp.opportunities(session, degraded, firm, limit=None)
    assert scenario.fitting in _ids(found)
    assert scenario.unrelated not in _ids(found)


def test_warm_needs_encodes_each_text_once(session, scenario):
    engine = runtime().engine
    need = make_need(
        session,
        session.get(Need, scenario.fitting).buyer,
        title=f"ABS oximeter housings, batch {uuid.uuid4().hex[:10]}",
    )
    assert opp.warm_needs(session, engine, [need]) == 1
    assert opp.warm_needs(session, engine, [need]) == 0


def test_the_opportunities_page_lists_fitting_needs_and_gaps(app, scenario):
    from tests.conftest import login

    client = app.test_client()
    login(client, scenario.user)
    resp = client.get("/opportunities/")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/opportunities/{scenario.supplier}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "ABS housings for SpO2 pulse oximeters" in page
    assert "(confidential)" not in page and "cotton yarn" not in page
    # The gap table names the certificate in Vietnamese, with the need it would open.
    gaps = page[page.index('id="gaps"') : page.index("Nhu cầu đang mở phù hợp")]
    assert "Chứng chỉ IATF 16949" in gaps
    assert "automotive-grade plant" in gaps
    client.get("/lang/en")
    english = client.get(f"/opportunities/{scenario.supplier}").get_data(as_text=True)
    assert "Certification IATF 16949" in english and "What would open more needs" in english
