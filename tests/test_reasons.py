"""Reasons a buyer can trust: each one shown is true of both texts."""

from __future__ import annotations

import pytest

from jobs.runtime import runtime
from matching.eval import taxonomy_tagger
from matching.explanations import Explainer, evaluate, same_word, shared_words
from tests.factories import make_buyer, make_need, make_supplier


@pytest.fixture(scope="module")
def tagger():
    return taxonomy_tagger()


def test_reasons_shown_are_true_on_the_labelled_set():
    report = evaluate()
    assert report["labelled"] >= 300
    new = report["new"]
    # Every reason the explainer shows has been judged: a new kind of reason is judged
    # (matching/data/reasons/README.md) before it is trusted.
    assert not new["unjudged"], new["unjudged"][:10]
    assert new["precision"] >= 0.95, new
    # The explainer it replaced showed false reasons on the same pairs.
    assert report["old"]["precision"] < new["precision"]


def test_machines_are_not_cnc_machining(tagger):
    explain = Explainer("CNC machined aluminium brackets, 5,000 pcs/month", tagger)
    reasons = explain(1, "Gia công cơ khí. Machines: 4 lathes, 2 presses. Steel brackets")
    concepts = {r["concept"]: r for r in reasons if r["kind"] == "concept"}
    assert "process.cnc_machining" not in concepts, reasons
    # Where the capability names it, CNC machining is a reason, in its own words.
    reasons = explain(1, "Gia công CNC / CNC machining. Machines: 4 lathes")
    cnc = next(r for r in reasons if r["kind"] == "concept")
    assert (cnc["concept"], cnc["need_term"], cnc["capability_term"]) == (
        "process.cnc_machining",
        "CNC machined",
        "Gia công CNC",
    )


def test_reasons_of_two_texts_are_kept_and_each_caller_gets_its_own(tagger):
    """A need's page explains the same capabilities on every visit: the second time the
    reasons come from what the tagger keeps, equal, and a caller changing its list (the
    engine appends the learned reason) changes no one else's."""
    query = "Injection moulded ABS housings, ISO 9001"
    text = "Ép phun nhựa ABS / plastic injection molding of housings"
    first = Explainer(query, tagger)(1, text)
    assert (query, text) in tagger.__dict__["_text_reasons"]
    assert {r["kind"] for r in first} >= {"concept", "keywords"}
    first.append({"kind": "learned"})
    next(r for r in first if r["kind"] == "keywords")["terms"].append("mutated")
    again = Explainer(query, tagger)(1, text)
    assert {"kind": "learned"} not in again
    assert "mutated" not in next(r for r in again if r["kind"] == "keywords")["terms"]
    first_terms = next(r for r in first if r["kind"] == "keywords")["terms"]
    assert next(r for r in again if r["kind"] == "keywords")["terms"] == first_terms[:-1]


def test_shared_words_are_words_as_written(tagger):
    need = "Die-cast housings for LED lamps. Nhôm / Aluminium"
    capability = "Vỏ đèn LED đúc áp lực, die-cast housing. Nhôm / Aluminium"
    reasons = Explainer(need, tagger)(1, capability)
    words = [t for r in reasons if r["kind"] == "keywords" for t in r["terms"]]
    assert "hous" not in words and "nhom aluminum" not in words
    assert "housing" in words  # the capability's own word
    # Aluminium is a concept reason, so not repeated as a word.
    assert "nhôm" not in words and "aluminium" not in words


def test_what_counts_as_the_same_word():
    assert same_word("machined", "machining") and same_word("housings", "housing")
    assert same_word("aluminium", "aluminum")
    assert not same_word("machines", "machining") and not same_word("plates", "plating")
    assert shared_words("ép nhựa vỏ hộp", "vỏ hộp nhựa ABS") == ["vỏ hộp", "nhựa"]
    # Diacritics are part of a Vietnamese word; numbers and units are no reason.
    assert shared_words("dap 500 mm", "dập 500 mm") == []


def test_need_page_shows_reasons_in_the_reader_language(session, client_as):
    firm = make_supplier(
        session,
        "Công ty TNHH Đúc Nhôm Lý Do",
        [
            {
                "title": "Đúc áp lực vỏ đèn LED bằng nhôm ADC12",
                "description": "Đúc áp lực nhôm ADC12, vỏ đèn LED, die-cast housing.",
                "process": "process.aluminium_die_casting",
                "materials": ["material.aluminium_adc12"],
            }
        ],
    )
    buyer = make_buyer(session)
    need = make_need(
        session,
        buyer,
        title="Die-cast aluminium LED lamp housing",
        description="ADC12 die-cast housing for LED street lamps.",
    )
    matches = runtime().engine.match_need(session, need, limit=20)
    assert any(m.firm_id == firm.id for m in matches)
    client = client_as("admin")
    for lang, phrase in (("en", "Both mention: "), ("vi", "Cùng nhắc đến: ")):
        client.get(f"/lang/{lang}")
        body = client.get(f"/needs/{need.id}").get_data(as_text=True)
        assert phrase in body
        assert "Shared words" not in body and "↔" not in body
