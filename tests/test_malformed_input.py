"""Malformed input gets a clean 400 or 422 with a message, never a 500.

JSON nested a thousand levels deep (a RecursionError in the parser), an unpaired
surrogate escaped in a JSON string (valid JSON, but no encoder or database takes it),
NaN and numbers too large for a float, bytes that are not UTF-8, a body that is not JSON
at all; and NUL in a query string or a form field (which PostgreSQL refuses even in a
lookup). The API answers in its JSON error shape, pages with an error page.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import fresh_tax_code

FIRMS = "/api/v1/firms"
HEAD = '{"role": "supplier", "province": "VP", '  # the start of a firm's body, as text


def _firm(**fields) -> dict:
    return {"role": "supplier", "province": "VP", "name_vi": "Cơ khí Thử", **fields}


def _json(body: str | bytes, content_type: str = "application/json") -> dict:
    return {"data": body, "headers": {"Content-Type": content_type}}


def _refused(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["status"] == status and body["error"]
    return body


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_refused(api_as, depth):
    api = api_as("officer")
    arrays = (
        json.dumps(_firm(sectors=None))[:-1] + ', "sectors": ' + "[" * depth + "]" * depth + "}"
    )
    objects = '{"a":' * depth + "1" + "}" * depth
    for body in (arrays, objects, "[" * depth + "]" * depth):
        body = _refused(api.post(FIRMS, **_json(body)), 400)
        assert "nested more than 32 levels" in body["message"]


def test_nesting_the_api_needs_is_fine(api_as):
    r = api_as("officer").post(
        FIRMS, json=_firm(tax_code=fresh_tax_code(), sectors=["sector.electronics"])
    )
    assert r.status_code == 201


@pytest.mark.parametrize("escaped", ["\\ud800", "\\udfff", "a\\ud83d", "\\ude00b"])
def test_unpaired_surrogates_are_refused(api_as, escaped):
    api = api_as("officer")
    # Each body is otherwise valid: before, the first was stored, and failed there (500).
    for fields in (
        f'"name_vi": "Cơ khí {escaped}"',
        f'"name_vi": "A", "address": "{escaped}"',
        f'"name_vi": "A", "{escaped}": 1',
    ):
        body = HEAD + fields + f', "tax_code": "{fresh_tax_code()}"}}'
        body = _refused(api.post(FIRMS, **_json(body.encode())), 400)
        assert "unpaired surrogate" in body["message"]
    # A pair is one character, and welcome.
    pair = HEAD + f'"name_vi": "Cơ khí \\ud83d\\ude00", "tax_code": "{fresh_tax_code()}"}}'
    r = api.post(FIRMS, **_json(pair))
    assert r.status_code == 201 and "\U0001f600" in r.get_json()["name_vi"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_that_are_not_finite_are_refused(api_as, number):
    body = HEAD + f'"name_vi": "A", "employees": {number}}}'
    body = _refused(api_as("officer").post(FIRMS, **_json(body)), 400)
    assert number.lstrip("-") in body["message"]


def test_other_malformed_bodies_get_400_or_422(api_as):
    api = api_as("officer")
    huge = "9" * 5000  # beyond Python's 4,300-digit limit for int()
    cases = [
        _json(b'{"name_vi": "\xff\xfe C\xf4ng ty"}'),  # not UTF-8
        _json('{"name_vi": "A",}'),  # not JSON
        _json(HEAD + f'"name_vi": "A", "employees": {huge}}}'),
        _json(json.dumps(_firm()), "text/plain"),  # not said to be JSON
        _json("[1, 2]"),  # not an object
        _json(""),
    ]
    for case in cases:
        _refused(api.post(FIRMS, **case), 400)
    # Large but readable numbers and repeated keys are ordinary input: checked, answered.
    tax = f'"tax_code": "{fresh_tax_code()}"'
    body = HEAD + f'"name_vi": "A", {tax}, "employees": {"9" * 4000}}}'
    assert set(_refused(api.post(FIRMS, **_json(body)), 422)["errors"]) == {"employees"}
    body = '{"role": "buyer", ' + HEAD[1:] + f'"name_vi": "A", {tax}}}'
    r = api.post(FIRMS, **_json(body))
    assert r.status_code == 201 and r.get_json()["role"] == "supplier"


def test_nul_in_queries_and_forms_is_refused(client, api_as, client_as):
    # The API names the parameter, as for any invalid one (422).
    assert _refused(api_as("buyer").get(FIRMS + "?q=%00"), 422)["errors"] == {
        "q": "Must not hold a NUL character or an unpaired surrogate."
    }
    body = _refused(api_as("anonymous").get("/api/v1/needs?status=open%00&page=1"), 422)
    assert set(body["errors"]) == {"status"}
    _refused(api_as("anonymous").get("/api/v1/no-such-route?q=%00"), 422)
    for response in (
        client.get("/suppliers/?q=ep%00nhua"),
        client.post("/account/login", data={"email": "a\x00@people.test", "password": "x"}),
        client.post("/account/reset", data={"email": "\x00"}),
        client.get("/account/reset/abc%00def"),
        client_as("supplier").post("/account/tokens", data={"name": "t\x00"}),
    ):
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert "NUL" in response.get_data(as_text=True)  # the page says why


def test_form_posts_with_control_characters_get_a_form_error(client_as, people):
    page = client_as("officer").post(
        "/firms/new",
        data={
            "role": "supplier",
            "name_vi": "$\\frac{1}{0}$ \x1b",
            "province": "VP",
            "tax_code": fresh_tax_code(),
        },
    )
    assert page.status_code == 422
    assert "U+001B" in page.get_data(as_text=True)
