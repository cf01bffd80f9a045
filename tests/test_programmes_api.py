"""Support programmes through the JSON API, as each role: an officer sets up Phú Thọ's
programme with three lines and budgets, a firm applies with a PDF, the officer approves,
pays in two steps and completes with a certificate that becomes the firm's; the figures
count it; other provinces' officers, other firms and anonymous callers are refused;
malformed input is answered 400 or 422, in Vietnamese when asked."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date

import pytest

from catalog.models import User
from catalog.models.base import vietnam_today

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YEAR = vietnam_today().year
API = "/api/v1"


@pytest.fixture()
def api(api_as, session, people):
    """``api("officer")``: that role's API client, its interface language cleared so
    that Accept-Language decides."""
    for role in ("officer", "supplier"):
        session.get(User, people.users[role]).locale = None
    session.commit()
    return api_as


def _multipart(client, url: str, body: dict, files: list[tuple[bytes, str]], **kwargs):
    return client.post(
        url,
        data={"json": json.dumps(body), "files": [(io.BytesIO(d), n) for d, n in files]},
        content_type="multipart/form-data",
        **kwargs,
    )


def _programme(officer) -> tuple[dict, dict[str, dict]]:
    """Phú Thọ's programme with three lines, set up through the API."""
    created = officer.post(
        f"{API}/programmes",
        json={
            "name": f"Chương trình phát triển CNHT {uuid.uuid4().hex[:6]}",
            "legal_basis": "Quyết định 1234/QĐ-UBND",
            "start_year": YEAR - 1,
            "end_year": YEAR + 3,
        },
    )
    assert created.status_code == 201, created.get_json()
    programme = created.get_json()
    assert programme["province"] == "PT" and programme["lines"] == []
    bodies = {
        "iso": {
            "kind": "management_system",
            "name": "Hỗ trợ áp dụng ISO 9001",
            "share_pct": 50,
            "ceiling_vnd": 60_000_000,
            "standards": ["ISO 9001", "IATF 16949"],
            "budgets": [
                {"year": YEAR, "source": "provincial", "planned_vnd": 600_000_000},
                {"year": YEAR, "source": "central", "planned_vnd": 200_000_000},
            ],
            "targets": [{"measure": "certifications", "value": 10}],
        },
        "training": {
            "kind": "training",
            "name": "Đào tạo lao động",
            "share_pct": 70,
            "ceiling_vnd": 30_000_000,
            "budgets": [{"year": YEAR, "source": "provincial", "planned_vnd": 400_000_000}],
            "targets": [{"measure": "workers_trained", "value": 420, "year": YEAR}],
        },
        "fair": {"kind": "fair", "name": "Hội chợ triển lãm", "share_pct": 100},
    }
    lines = {}
    for key, body in bodies.items():
        made = officer.post(f"{API}/programmes/{programme['id']}/lines", json=body)
        assert made.status_code == 201, made.get_json()
        lines[key] = made.get_json()
    return programme, lines


def test_from_programme_to_certificate_through_the_api(api, people):
    officer, supplier = api("officer"), api("supplier")
    other_officer, anonymous = api("other_officer"), api("anonymous")

    # Only staff set up programmes, and only in the provinces they serve.
    assert supplier.post(f"{API}/programmes", json={"name": "x"}).status_code == 403
    assert anonymous.post(f"{API}/programmes", json={"name": "x"}).status_code == 401
    programme, lines = _programme(officer)
    pid = programme["id"]
    bn = {"name": "x", "start_year": YEAR, "end_year": YEAR, "province": "PT"}
    assert other_officer.post(f"{API}/programmes", json=bn).status_code == 403
    line_body = {"kind": "fair", "name": "Gian hàng", "share_pct": 50}
    assert other_officer.post(f"{API}/programmes/{pid}/lines", json=line_body).status_code == 403
    assert supplier.post(f"{API}/programmes/{pid}/lines", json=line_body).status_code == 403

    # Anyone reads the programme; the figures are its officers'.
    public = anonymous.get(f"{API}/programmes/{pid}").get_json()
    assert [line["name"] for line in public["lines"]] == [
        "Hỗ trợ áp dụng ISO 9001",
        "Đào tạo lao động",
        "Hội chợ triển lãm",
    ]
    iso_line = public["lines"][0]
    assert iso_line["budgets"] == [
        {"year": YEAR, "source": "central", "planned_vnd": 200_000_000},
        {"year": YEAR, "source": "provincial", "planned_vnd": 600_000_000},
    ]
    assert iso_line["standards"] == ["ISO 9001", "IATF 16949"]
    assert public["figures"] is None and iso_line["eligible"] is None
    assert other_officer.get(f"{API}/programmes/{pid}").get_json()["figures"] is None
    seen_by_firm = supplier.get(f"{API}/programmes/{pid}").get_json()
    assert seen_by_firm["figures"] is None and seen_by_firm["lines"][0]["eligible"] is True
    far = api("other_supplier").get(f"{API}/programmes/{pid}").get_json()["lines"][0]
    assert far["eligible"] is False and far["ineligible_reasons"]
    listed = anonymous.get(f"{API}/programmes?province=PT&per_page=100").get_json()
    assert pid in [p["id"] for p in listed["items"]]
    elsewhere = anonymous.get(f"{API}/programmes?province=BN&per_page=100").get_json()
    assert pid not in [p["id"] for p in elsewhere["items"]]

    # The firm applies with a PDF; a firm of another province is told why it may not.
    ask = {
        "purpose": "Áp dụng ISO 9001:2015 cho xưởng dập",
        "gap": "certification:ISO 9001",
        "cost_vnd": 100_000_000,
        "requested_vnd": 50_000_000,
    }
    iso_url = f"{API}/support-lines/{lines['iso']['id']}/applications"
    applied = _multipart(supplier, iso_url, ask, [(PDF, "bao-gia-tu-van.pdf")])
    assert applied.status_code == 201, applied.get_json()
    application = applied.get_json()
    assert (application["status"], application["firm_id"]) == (
        "submitted",
        people.firms["supplier"],
    )
    assert application["most_vnd"] == 50_000_000
    (sent,) = application["files"]
    assert (sent["role"], sent["content_type"]) == ("application", "application/pdf")
    refused = api("other_supplier").post(iso_url, json=ask)
    assert refused.status_code == 422 and "line" in refused.get_json()["errors"]
    assert officer.post(iso_url, json=ask).status_code == 403  # not a firm's user
    assert anonymous.post(iso_url, json=ask).status_code == 401

    # Only the firm and Phú Thọ's officers read it and its file.
    aid = application["id"]
    app_url = f"{API}/support-applications/{aid}"
    for role in ("other_officer", "other_supplier", "buyer"):
        assert api(role).get(app_url).status_code == 403, role
        assert api(role).get(f"{API}/support-files/{sent['id']}").status_code == 403, role
    assert anonymous.get(app_url).status_code == 401
    assert officer.get(app_url).get_json()["purpose"] == ask["purpose"]
    got = supplier.get(f"{API}/support-files/{sent['id']}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert officer.get(f"{API}/support-files/{sent['id']}").data == PDF
    for role, sees in (("supplier", True), ("officer", True), ("other_officer", False)):
        listed = api(role).get(f"{API}/support-applications?status=submitted&per_page=100")
        assert (aid in [a["id"] for a in listed.get_json()["items"]]) is sees, role
    assert aid not in [
        a["id"] for a in api("buyer").get(f"{API}/support-applications").json["items"]
    ]

    # The officers decide; the firm and other provinces' officers cannot.
    approve = {"decision": "approve", "score": 85, "criteria": "Hồ sơ đầy đủ"}
    assert supplier.post(f"{app_url}/decision", json=approve).status_code == 403
    assert other_officer.post(f"{app_url}/decision", json=approve).status_code == 403
    decided = officer.post(f"{app_url}/decision", json={**approve, "approved_vnd": 50_000_000})
    assert decided.status_code == 200, decided.get_json()
    assert (decided.json["status"], decided.json["approved_vnd"]) == ("approved", 50_000_000)
    assert supplier.post(f"{app_url}/withdraw").status_code == 422  # decided already

    # Paid in two steps; a third payment over the approved amount is refused.
    pay = f"{app_url}/disbursements"
    assert other_officer.post(pay, json={"amount_vnd": 1}).status_code == 403
    assert supplier.post(pay, json={"amount_vnd": 1}).status_code == 403
    first = officer.post(pay, json={"amount_vnd": 20_000_000})
    assert first.status_code == 201, first.get_json()
    second = officer.post(pay, json={"amount_vnd": 30_000_000, "source": "central"})
    assert second.status_code == 201 and second.json["disbursed_vnd"] == 50_000_000
    third = officer.post(pay, json={"amount_vnd": 1_000_000})
    assert third.status_code == 422 and "amount_vnd" in third.json["errors"]
    assert [(d["amount_vnd"], d["source"]) for d in second.json["disbursements"]] == [
        (20_000_000, "provincial"),
        (30_000_000, "central"),
    ]

    # Completed with the certificate and its evidence: the firm holds ISO 9001 now.
    result = {
        "result_note": "Đạt chứng nhận ISO 9001:2015",
        "standard": "ISO 9001",
        "issuer": "Quacert",
        "certificate_no": f"QC-{uuid.uuid4().hex[:6]}",
        "valid_until": date(YEAR + 3, 1, 1).isoformat(),
    }
    done_url = f"{app_url}/completion"
    assert _multipart(other_officer, done_url, result, []).status_code == 403
    done = _multipart(officer, done_url, result, [(PDF, "chung-nhan.pdf")])
    assert done.status_code == 200, done.get_json()
    completed = done.get_json()
    assert completed["status"] == "completed" and completed["certification_id"]
    assert [f["role"] for f in completed["files"]] == ["application", "evidence"]
    firm = anonymous.get(f"{API}/firms/{people.firms['supplier']}").get_json()
    held = [c for c in firm["certifications"] if c["id"] == completed["certification_id"]]
    assert held and held[0]["standard"] == "ISO 9001"
    assert "applied_by" not in completed and "contact_email" not in json.dumps(completed)

    # The figures: planned, committed and paid per year and source; the target's actual.
    shown = officer.get(f"{API}/programmes/{pid}").get_json()
    (fig,) = [f for f in shown["figures"] if f["line_id"] == lines["iso"]["id"]]
    assert fig["planned_vnd"] == 800_000_000
    assert fig["committed"] == [{"year": YEAR, "amount_vnd": 50_000_000}]
    assert fig["disbursed"] == [
        {"year": YEAR, "source": "central", "amount_vnd": 30_000_000},
        {"year": YEAR, "source": "provincial", "amount_vnd": 20_000_000},
    ]
    assert (fig["applications"], fig["approved"], fig["disbursed_vnd"]) == (1, 1, 50_000_000)
    assert [(t["measure"], t["value"], t["actual"]) for t in fig["targets"]] == [
        ("certifications", 10, 1)
    ]
    assert api("admin").get(f"{API}/programmes/{pid}").get_json()["figures"] is not None


def test_lines_close_applications_are_withdrawn_and_support_is_recorded(api, people):
    officer, supplier, other_officer = api("officer"), api("supplier"), api("other_officer")
    programme, lines = _programme(officer)
    fair_url = f"{API}/support-lines/{lines['fair']['id']}"

    # A line closes with its other fields kept; a closed line takes no application.
    assert other_officer.put(fair_url, json={"status": "closed"}).status_code == 403
    closed = officer.put(fair_url, json={"status": "closed"})
    assert closed.status_code == 200, closed.get_json()
    assert (closed.json["status"], closed.json["name"]) == ("closed", "Hội chợ triển lãm")
    ask = {"purpose": "Gian hàng hội chợ", "requested_vnd": 5_000_000}
    assert supplier.post(f"{fair_url}/applications", json=ask).status_code == 403
    # New budgets replace the line's own; the targets stay.
    budget = {"budgets": [{"year": YEAR + 1, "source": "firms", "planned_vnd": 1_000_000}]}
    training_url = f"{API}/support-lines/{lines['training']['id']}"
    changed = officer.put(training_url, json=budget).get_json()
    assert changed["budgets"] == [{"year": YEAR + 1, "source": "firms", "planned_vnd": 1_000_000}]
    assert [t["value"] for t in changed["targets"]] == [420]

    # The firm withdraws an application waiting for assessment; the officer cannot.
    training = {"purpose": "Đào tạo thợ hàn", "cost_vnd": 10_000_000, "requested_vnd": 7_000_000}
    made = supplier.post(f"{training_url}/applications", json=training)
    assert made.status_code == 201, made.get_json()
    withdraw = f"{API}/support-applications/{made.json['id']}/withdraw"
    assert officer.post(withdraw).status_code == 403
    assert api("buyer").post(withdraw).status_code == 403
    gone = supplier.post(withdraw)
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    assert supplier.post(withdraw).status_code == 422

    # Support given outside the flow: recorded approved, for a firm of the province.
    given_url = f"{training_url}/given"
    given = {"firm_id": people.firms["supplier"], "purpose": "Lớp an toàn lao động"}
    assert supplier.post(given_url, json=given).status_code == 403
    assert other_officer.post(given_url, json=given).status_code == 403
    recorded = officer.post(given_url, json={**given, "approved_vnd": 0})
    assert recorded.status_code == 201, recorded.get_json()
    assert (recorded.json["source"], recorded.json["status"]) == ("recorded", "approved")
    far = officer.post(given_url, json={**given, "firm_id": people.firms["other_supplier"]})
    assert far.status_code == 422 and "firm_id" in far.json["errors"]
    assert supplier.get(f"{API}/support-applications/{recorded.json['id']}").status_code == 200


def test_malformed_input_is_refused_in_the_caller_s_language(api, people):
    officer, supplier = api("officer"), api("supplier")
    programme, lines = _programme(officer)
    vi = {"Accept-Language": "vi"}

    not_json = officer.post(f"{API}/programmes", data="{not json", content_type="application/json")
    assert not_json.status_code == 400
    as_form = officer.post(f"{API}/programmes", data={"name": "x"})
    assert as_form.status_code == 400
    bad_line = officer.post(
        f"{API}/programmes/{programme['id']}/lines",
        json={"kind": "lottery", "share_pct": "nhiều"},
        headers=vi,
    )
    assert bad_line.status_code == 422
    errors = bad_line.get_json()["errors"]
    assert errors["share_pct"] == "Phải là số nguyên."
    assert errors["name"] == "Trường này là bắt buộc."
    assert set(errors) >= {"kind", "name", "share_pct"}

    # Money and ids beyond what the database holds are 422, never a server error.
    too_much = [
        (
            officer.post,
            f"{API}/programmes/{programme['id']}/lines",
            {
                "kind": "fair",
                "name": "x",
                "share_pct": 10,
                "ceiling_vnd": 10**30,
                "former_province_id": 2**40,
                "budgets": [{"year": YEAR, "source": "central", "planned_vnd": 10**19}],
                "targets": [{"measure": "firms_supported", "value": 2**33}],
            },
            {"ceiling_vnd", "former_province_id", "budgets.1.planned_vnd", "targets.1.value"},
        ),
        (
            officer.post,
            f"{API}/programmes",
            {"name": "x", "start_year": YEAR, "end_year": YEAR, "province_id": 2**31},
            {"province_id"},
        ),
        (
            officer.post,
            f"{API}/support-lines/{lines['training']['id']}/given",
            {"firm_id": 2**31, "purpose": "x"},
            {"firm_id"},
        ),
        (
            supplier.post,
            f"{API}/support-lines/{lines['iso']['id']}/applications",
            {"purpose": "x", "cost_vnd": 1e300, "requested_vnd": 10**40},
            {"cost_vnd", "requested_vnd"},
        ),
    ]
    for send, url, body, fields in too_much:
        answer = send(url, json=body, headers=vi)
        assert answer.status_code == 422, (url, answer.get_json())
        assert set(answer.get_json()["errors"]) >= fields, answer.get_json()

    applied = supplier.post(
        f"{API}/support-lines/{lines['iso']['id']}/applications",
        json={"purpose": "ISO 9001", "requested_vnd": "1.000.000"},
    )
    assert applied.status_code == 201, applied.get_json()
    app_url = f"{API}/support-applications/{applied.json['id']}"
    huge = officer.post(
        f"{app_url}/decision", json={"decision": "approve", "approved_vnd": 10**30}, headers=vi
    )
    assert huge.status_code == 422 and "approved_vnd" in huge.json["errors"]
    no_reason = officer.post(f"{app_url}/decision", json={"decision": "reject"}, headers=vi)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    unpaid = officer.post(f"{app_url}/disbursements", json={"amount_vnd": 1})
    assert unpaid.status_code == 422  # not approved yet
    assert officer.get(f"{API}/support-applications/{2**31}").status_code == 404
    assert officer.get(f"{API}/programmes/{2**63}").status_code == 404

    # Multipart without its JSON part, a fake PDF, bad paging and statuses.
    url = f"{API}/support-lines/{lines['training']['id']}/applications"
    no_json = supplier.post(
        url, data={"files": [(io.BytesIO(PDF), "a.pdf")]}, content_type="multipart/form-data"
    )
    assert no_json.status_code == 400
    fake = _multipart(
        supplier, url, {"purpose": "x", "requested_vnd": 1}, [(b"<html></html>", "a.pdf")]
    )
    assert fake.status_code == 422 and "files" in fake.get_json()["errors"]
    assert supplier.get(f"{API}/support-applications?status=lost").status_code == 422
    assert supplier.get(f"{API}/support-applications?per_page=1000").status_code == 422
    assert supplier.get(f"{API}/programmes?province=Atlantis").status_code == 422
