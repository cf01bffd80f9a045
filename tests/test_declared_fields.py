"""A field declared in a record's schema reaches every place that shows or takes it.

``catalog.schemas`` is the one declaration of a firm's, capability's, certification's
and need's fields. These tests walk each declared field through the API document, the
edit form, the API's answers and the record's page, so a field added there (as
``lead_time_days`` was, with its model column and migration and nothing else) is
checked everywhere without a test of its own.
"""

from __future__ import annotations

import re

import pytest

from catalog.schemas import (
    CapabilitySchema,
    CertificationSchema,
    Declared,
    FirmSchema,
    NeedSchema,
    Shown,
)

SCHEMAS = {
    "Firm": FirmSchema,
    "Capability": CapabilitySchema,
    "Certification": CertificationSchema,
    "Need": NeedSchema,
}
CREATE = {
    "Firm": "FirmCreate",
    "Capability": "CapabilityCreate",
    "Certification": "CertificationCreate",
    "Need": "NeedCreate",
}


def _declared(schema_cls) -> list[str]:
    return [name for name, f in schema_cls._declared_fields.items() if isinstance(f, Declared)]


@pytest.mark.parametrize("record", sorted(SCHEMAS))
def test_the_api_document_has_every_declared_field(client, record):
    components = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    request = components[CREATE[record]]["properties"]
    response = components[record]["properties"]
    for name in _declared(SCHEMAS[record]):
        assert name in request, (record, name)
        assert name in response, (record, name)
    update = components.get(f"{record}Update", {"properties": {}})["properties"]
    shown = [n for n, f in SCHEMAS[record]._declared_fields.items() if isinstance(f, Shown)]
    for name in shown:  # what the record computes or stamps: answered, never taken
        assert name in response and name not in update, (record, name)


def test_a_capability_field_goes_from_the_form_to_the_page_and_the_api(client_as, api_as, people):
    """``lead_time_days``: on the form, saved from it, shown on the firm's page in both
    languages, answered by the API, and refused out of its range with a message."""
    web = client_as("supplier")
    firm_id = people.firms["supplier"]
    form = web.get(f"/firms/{firm_id}/capabilities/new").get_data(as_text=True)
    for name in _declared(CapabilitySchema):
        assert f'name="{name}"' in form, name
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    resp = web.post(
        f"/firms/{firm_id}/capabilities/new",
        data={"csrf_token": csrf, "title": "Dập khuôn tấm thép", "lead_time_days": "21"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    caps = api_as("supplier").get(f"/api/v1/firms/{firm_id}/capabilities").json["items"]
    cap = next(c for c in caps if c["title"] == "Dập khuôn tấm thép")
    assert cap["lead_time_days"] == 21
    web.get("/lang/vi")
    page_vi = web.get(f"/suppliers/{firm_id}").get_data(as_text=True)
    assert "Thời gian giao hàng" in page_vi and "21 ngày" in page_vi
    web.get("/lang/en")
    page_en = web.get(f"/suppliers/{firm_id}").get_data(as_text=True)
    assert "Lead time" in page_en and "21 days" in page_en

    api = api_as("supplier")
    resp = api.patch(f"/api/v1/capabilities/{cap['id']}", json={"lead_time_days": 400})
    assert resp.status_code == 422
    assert resp.json["errors"] == {"lead_time_days": "Must be between 1 and 365."}
    resp = api.patch(f"/api/v1/capabilities/{cap['id']}", json={"lead_time_days": None})
    assert resp.status_code == 200 and resp.json["lead_time_days"] is None
    assert api.delete(f"/api/v1/capabilities/{cap['id']}").status_code == 204


@pytest.fixture()
def client(admin_api):
    return admin_api
