"""The JSON API: CRUD, validation errors per field, matches, health."""

from __future__ import annotations

import pytest

from tests.conftest import fresh_tax_code


@pytest.fixture()
def client(admin_api):
    """These tests exercise the API as an admin; access rules are in test_access_matrix."""
    return admin_api


def test_firm_crud_and_capabilities(client):
    resp = client.post(
        "/api/v1/firms",
        json={
            "role": "supplier",
            "name_vi": "Công ty API Kiểm Thử",
            "tax_code": fresh_tax_code(),
            "province": "VP",
            "zone": "Khai Quang",
            "employees": 120,
        },
    )
    assert resp.status_code == 201, resp.json
    firm = resp.json
    assert firm["zone"]["name"] == "KCN Khai Quang"
    resp = client.post(
        f"/api/v1/firms/{firm['id']}/capabilities",
        json={
            "title": "Đúc áp lực nhôm ADC12",
            "description": "Đúc nhôm vỏ hộp số",
            "process": "process.aluminium_die_casting",
            "materials": ["material.aluminium_adc12"],
        },
    )
    assert resp.status_code == 201, resp.json
    cap = resp.json
    assert cap["process"]["id"] == "process.aluminium_die_casting"
    assert (
        client.patch(f"/api/v1/capabilities/{cap['id']}", json={"tolerance_mm": 0.05}).json[
            "tolerance_mm"
        ]
        == 0.05
    )
    assert client.get(f"/api/v1/firms/{firm['id']}").json["capabilities"][0]["id"] == cap["id"]
    assert (
        client.patch(f"/api/v1/firms/{firm['id']}", json={"employees": 130}).json["employees"]
        == 130
    )
    assert client.delete(f"/api/v1/capabilities/{cap['id']}").status_code == 204
    assert client.delete(f"/api/v1/firms/{firm['id']}").status_code == 204
    assert client.get(f"/api/v1/firms/{firm['id']}").status_code == 404


@pytest.mark.parametrize(
    "body, fields",
    [
        (
            {"role": "supplier", "name_vi": "X", "tax_code": "0100233487", "province": "TN"},
            {"tax_code"},
        ),
        (
            {"role": "maker", "tax_code": "1", "province": "ZZ", "employees": -1},
            {"role", "tax_code", "province", "employees", "name_vi"},
        ),
        (
            {
                "role": "supplier",
                "name_vi": "X" * 300,
                "tax_code": "0100233488",
                "province": "TN",
                "contact_email": "not-an-email",
            },
            {"name_vi", "contact_email"},
        ),
    ],
)
def test_invalid_firms_get_422_with_a_message_per_field(client, body, fields):
    resp = client.post("/api/v1/firms", json=body)
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == fields
    assert all(isinstance(m, str) and m for m in resp.json["errors"].values())


def test_what_validation_accepts_fits_its_column_as_stored(client):
    """PostgreSQL refuses a value longer than its column (a 500 there), where SQLite
    stores it whole: so what a validator accepts must fit as it is stored, after what it
    adds (``https://`` before a web address) or changes (lower-casing lengthens "İ")."""
    from catalog.models import Firm

    firm = client.post(
        "/api/v1/firms",
        json={
            "role": "supplier",
            "name_vi": "Cơ khí Độ Dài",
            "tax_code": fresh_tax_code(),
            "province": "VP",
        },
    ).json
    path = f"/api/v1/firms/{firm['id']}"
    too_long = {
        "website": "a" * 190 + ".example",  # 198 characters, 206 with its scheme
        "contact_email": "a" * 186 + "İ@example.test",  # 200 characters, 201 lower-cased
    }
    for field, value in too_long.items():
        resp = client.patch(path, json={field: value})
        assert resp.status_code == 422, (field, resp.status_code, resp.json)
        assert set(resp.json["errors"]) == {field}
    at_limit = {"website": "a" * 184 + ".example", "contact_email": "a" * 187 + "@example.test"}
    resp = client.patch(path, json=at_limit)
    assert resp.status_code == 200, resp.json
    for field in at_limit:
        stored = resp.json[field]
        assert len(stored) == Firm.__table__.c[field].type.length == 200, (field, stored)


def test_a_partial_update_cannot_leave_a_firm_without_a_name(client):
    """Each name may be empty, not both: a partial update is checked against the fields
    it leaves as they are (the fuzzing run cleared both, and the firm had no name)."""
    firm = client.post(
        "/api/v1/firms",
        json={
            "role": "buyer",
            "name_vi": "Cơ khí Tên",
            "tax_code": fresh_tax_code(),
            "province": "VP",
        },
    ).json
    path = f"/api/v1/firms/{firm['id']}"
    for body in ({"name_vi": None, "name_en": None}, {"name_vi": "", "name_en": "  "}):
        resp = client.patch(path, json=body)
        assert resp.status_code == 422 and set(resp.json["errors"]) == {"name_vi"}, resp.json
    assert client.get(path).json["name_vi"] == "Cơ khí Tên"
    resp = client.patch(path, json={"name_vi": "", "name_en": "Name Test Co."})
    assert resp.status_code == 200 and resp.json["name_en"] == "Name Test Co."


def test_an_empty_list_for_a_single_value_is_refused_and_clears_a_list(client, session):
    """``{"delivery_province": []}`` was stored as an empty list and PostgreSQL refused it
    (500; SQLite let it through): where one value belongs an empty list is an error, where
    a list belongs it clears the list."""
    buyer = client.post(
        "/api/v1/firms",
        json={
            "role": "buyer",
            "name_vi": "Lắp ráp Rỗng",
            "tax_code": fresh_tax_code(),
            "province": "BN",
            "certifications": ["ISO 9001"],
        },
    ).json
    need = client.post(
        "/api/v1/needs",
        json={
            "buyer_id": buyer["id"],
            "title": "Stamped brackets",
            "delivery_province": "BN",
            "required_certifications": ["ISO 9001"],
        },
    ).json
    for path, field in (
        (f"/api/v1/needs/{need['id']}", "delivery_province"),
        (f"/api/v1/needs/{need['id']}", "quantity_per_year"),
        (f"/api/v1/firms/{buyer['id']}", "province"),
        (f"/api/v1/firms/{buyer['id']}", "employees"),
        (f"/api/v1/firms/{buyer['id']}", "name_en"),
    ):
        resp = client.patch(path, json={field: []})
        assert resp.status_code == 422 and set(resp.json["errors"]) == {field}, resp.json
    assert client.get(f"/api/v1/needs/{need['id']}").json["delivery_province"] == "BN"
    resp = client.patch(f"/api/v1/needs/{need['id']}", json={"required_certifications": []})
    assert resp.status_code == 200 and resp.json["required_certifications"] == []
    resp = client.patch(f"/api/v1/firms/{buyer['id']}", json={"certifications": []})
    assert resp.status_code == 200, resp.json


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "", "null"])
def test_bodies_that_are_not_objects_get_400(client, data):
    resp = client.post("/api/v1/firms", data=data, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json["status"] == 400


def test_needs_and_matches(client):
    buyer = client.post(
        "/api/v1/firms",
        json={
            "role": "buyer",
            "name_vi": "API Buyer Vina",
            "tax_code": fresh_tax_code(),
            "province": "BN",
            "ownership": "fdi",
        },
    ).json
    resp = client.post(
        "/api/v1/needs", json={"buyer_id": buyer["id"], "title": "", "quantity_per_year": 10**13}
    )
    assert resp.status_code == 422 and set(resp.json["errors"]) == {"title", "quantity_per_year"}
    resp = client.post(
        "/api/v1/needs",
        json={
            "buyer_id": buyer["id"],
            "title": "PCBA for smart meters",
            "description": "SMT assembly, lead-free, AOI and ICT test",
            "process": "SMT",
            "quantity_per_year": 20000,
            "required_certifications": ["ISO 9001"],
        },
    )
    assert resp.status_code == 201, resp.json
    need = resp.json
    matches = client.get(f"/api/v1/needs/{need['id']}/matches?limit=5").json
    assert len(matches["items"]) == 5
    top = matches["items"][0]
    assert top["firm"]["role"] in ("supplier", "both")
    assert {c["name"] for c in top["constraints"]} >= {"certification", "process"}
    assert top["reasons"]
    qualified = client.get(f"/api/v1/needs/{need['id']}/matches?qualified=1&limit=20").json
    assert all(m["meets_all_required"] for m in qualified["items"])
    assert client.get("/api/v1/needs/999999/matches").status_code == 404
    assert client.get(f"/api/v1/needs/{need['id']}/matches?limit=0").status_code == 422


def test_adhoc_match_without_saving(client):
    resp = client.post("/api/v1/matches", json={"title": "dập chi tiết thép tấm SPCC"})
    assert resp.status_code == 200
    assert resp.json["items"]
    assert client.post("/api/v1/matches", json={"title": ""}).status_code == 422


def test_listing_search_and_paging(client):
    page = client.get("/api/v1/firms?per_page=5&page=2").json
    assert len(page["items"]) == 5 and page["total"] > 400
    found = client.get("/api/v1/firms?q=wire+harness&per_page=3").json
    assert found["items"] and "score" in found["items"][0]
    assert client.get("/api/v1/firms?per_page=1000").status_code == 422
    assert client.get("/api/v1/needs?status=bogus").status_code == 422


def test_a_method_an_address_does_not_take_is_405_with_allow(client):
    """RFC 9110: a 405 names the methods the address takes (``Allow``). The site's own
    error body (JSON in the API, a page elsewhere) replaced Werkzeug's and dropped it."""
    for path, methods in (("/api/v1/firms", {"GET", "POST"}), ("/", {"GET"})):
        resp = client.put(path)
        assert resp.status_code == 405, path
        assert methods <= {m.strip() for m in resp.headers.get("Allow", "").split(",")}, path
    assert client.delete("/api/v1/firms").json["status"] == 405


def test_unknown_api_route_is_json_404(client):
    resp = client.get("/api/v1/nothing")
    assert resp.status_code == 404 and resp.json["error"] == "Not Found"


@pytest.mark.parametrize("record", [2**31, 2**63 - 2, 10**30])
def test_ids_beyond_what_a_database_holds_are_unknown_records(admin_api, record):
    """PostgreSQL's integer keys end at 2**31 - 1: a larger id is a 404 or a 422 with
    the field named, never a driver overflow (a 500)."""
    assert admin_api.get(f"/api/v1/firms/{record}").status_code == 404
    assert admin_api.get(f"/api/v1/needs/{record}/matches").status_code == 404
    resp = admin_api.post("/api/v1/needs/1/outcomes", json={"firm_id": record, "outcome": "x"})
    assert resp.status_code == 422 and "firm_id" in resp.json["errors"]


def test_healthz(client):
    body = client.get("/healthz").json
    assert body["database"]["status"] == "ok"
    assert body["index"]["documents"] > 1000
    assert body["index"]["model"] == "embeddinggemma-300m"  # the default, installed
    assert body["index"]["last_update"]
    assert body["worker"]["status"] in ("ok", "down")


def test_anonymous_writes_get_401_whether_or_not_the_record_exists(client, app):
    """Who asks comes before what is asked about: an anonymous DELETE or PATCH of a record
    was answered 401 when it existed and 404 when not, telling which ids exist."""
    firm = client.post(
        "/api/v1/firms",
        json={
            "role": "buyer",
            "name_vi": "Ẩn Danh",
            "tax_code": fresh_tax_code(),
            "province": "VP",
        },
    ).json
    anonymous = app.test_client()
    for method in ("delete", "patch"):
        for firm_id in (firm["id"], 2**40):
            resp = getattr(anonymous, method)(f"/api/v1/firms/{firm_id}", json={"name_en": "X"})
            assert resp.status_code == 401, (method, firm_id, resp.status_code)
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/api/v1/firms/{firm['id']}").json["name_vi"] == "Ẩn Danh"
    # Said in the caller's language, as every other error of the API.
    said = {
        lang: anonymous.delete(f"/api/v1/firms/{firm['id']}", headers={"Accept-Language": lang})
        for lang in ("vi", "en")
    }
    assert said["vi"].json["message"].startswith("Hãy gửi mã truy cập cá nhân")
    assert said["en"].json["message"].startswith("Send a personal access token")
    bad = anonymous.get(
        "/api/v1/firms", headers={"Authorization": "Bearer nope", "Accept-Language": "vi"}
    )
    assert bad.status_code == 401 and bad.json["message"].startswith("Mã truy cập không hợp lệ")


def test_references_to_no_record_are_explained_in_the_callers_language(client, people, session):
    """An API error naming a missing record was English whatever the caller's language."""
    from catalog.models import User

    session.get(User, people.users["admin"]).locale = None  # Accept-Language decides
    session.commit()
    said = {}
    for lang in ("vi", "en"):
        for buyer_id in ("seven", 999_999):
            resp = client.post(
                "/api/v1/needs",
                json={"buyer_id": buyer_id, "title": "Vỏ hộp nhựa"},
                headers={"Accept-Language": lang},
            )
            assert resp.status_code == 422, resp.json
            said[lang, buyer_id] = resp.json["errors"]["buyer_id"]
    assert said["en", "seven"] == "Give the id of the firm."
    assert said["en", 999_999] == "No firm with id 999999."
    assert said["vi", "seven"] == "Nhập mã (id) của doanh nghiệp."
    assert said["vi", 999_999] == "Không có doanh nghiệp nào có mã 999999."


def test_a_firm_given_by_its_old_province_lands_in_today_s_with_its_region(client):
    """A province of before the 2025 map, by name without diacritics, lands in the unit
    it is part of now; the answer names both."""
    body = {
        "role": "supplier",
        "name_vi": "Xưởng Ép Nhựa Vĩnh Yên",
        "tax_code": fresh_tax_code(),
        "province": "Vinh Phuc",
    }
    created = client.post("/api/v1/firms", json=body)
    assert created.status_code == 201, created.json
    firm = client.get(f"/api/v1/firms/{created.json['id']}").json
    assert (firm["province"], firm["former_province"]) == ("PT", "VP")
    assert (firm["province_name"], firm["former_province_name"]) == ("Phú Thọ", "Vĩnh Phúc")
    listed = client.get("/api/v1/firms", query_string={"q": "Xưởng Ép Nhựa Vĩnh Yên"}).json
    assert any(item.get("former_province") == "VP" for item in listed["items"])
