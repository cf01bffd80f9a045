"""Calibrated match percentages and the directory's relevance threshold.

The percentage shown is the probability that a match is relevant, so it must rise
with every score and must not call an off-topic search's first result strong; the
directory shows only the matches above the threshold, the rest behind "Show weaker
matches", in both languages.
"""

from __future__ import annotations

import re

import pytest

from jobs.runtime import runtime
from matching import calibration
from matching.fusion import Hit

OFF_TOPIC = "wedding photography and bridal flower bouquets"


def current():
    cal = calibration.for_model(runtime().encoder.model_name)
    assert cal is not None, "no calibration fitted for the default encoder"
    return cal


def test_calibration_is_monotone_in_every_score(app):
    with app.app_context():
        cal = current()
    assert all(c >= 0 for c in cal.coefficients)
    assert 0 < cal.threshold < 1
    grid = [i / 10 for i in range(11)]
    for fixed in (0.1, 0.5, 0.9):
        by_score = [cal.probability(s, Hit(1, 1, fixed, fixed)) for s in grid]
        by_dense = [cal.probability(fixed, Hit(1, 1, d, fixed)) for d in grid]
        by_lexical = [cal.probability(fixed, Hit(1, 1, fixed, x)) for x in grid]
        for series in (by_score, by_dense, by_lexical):
            assert series == sorted(series)
    assert cal.probability(0.9, Hit(1, 1, None, 0.5)) is None  # lexical fallback


def _total(body: str) -> int:
    digits = re.search(r"<small>([^<]+)</small>", body).group(1)
    return int(re.sub(r"\D", "", digits))


def _ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a class="firm-name" href="/suppliers/(\d+)"', body)]


def test_off_topic_search_shows_no_strong_match(client):
    body = client.get("/suppliers/", query_string={"q": OFF_TOPIC}).get_data(as_text=True)
    assert _ids(body) == []
    assert "Show weaker matches" in body or "Hiện các kết quả phù hợp kém hơn" in body
    scores = re.findall(r'<span class="score">([^<]*)</span>', body)
    assert scores == []


@pytest.mark.parametrize(
    ("lang", "link", "back"),
    [
        ("en", "Show weaker matches", "Show only strong matches"),
        ("vi", "Hiện các kết quả phù hợp kém hơn", "Chỉ hiện các kết quả phù hợp tốt"),
    ],
)
def test_show_weaker_matches(app, client, lang, link, back):
    client.get(f"/lang/{lang}")
    strong = client.get("/suppliers/", query_string={"q": "ép phun nhựa"}).get_data(as_text=True)
    assert link in strong
    shown = _ids(strong)
    assert shown
    shown_pct = [
        int(p.rstrip("%")) for p in re.findall(r'<span class="score">(\d+)%</span>', strong)
    ]
    with app.app_context():
        threshold = current().threshold
    assert shown_pct and min(shown_pct) >= round(100 * threshold)  # above the line
    assert max(shown_pct) <= 99  # an estimate, never shown as a certainty
    href = re.search(r'<p class="weaker-matches"><a href="([^"]+)"', strong).group(1)
    everything = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert back in everything and link not in everything
    assert _total(everything) > _total(strong)
    assert _ids(everything)[: len(shown)] == shown[:20]
    if lang == "vi":
        assert "Show weaker" not in strong
