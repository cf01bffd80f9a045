"""A refusal (``catalog.validation.ValidationError``) a view lets through is answered by
one handler (``webapp.errors``): nothing of the request is kept, the messages are flashed
in the reader's language, and the user goes back to the page the view names, else to the
same-site page the form was on; the API answers 422 with each field's message."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.models import Firm, Need
from webapp.errors import _back, back_to
from webapp.extensions import db


@pytest.fixture()
def need_id(app, people) -> int:
    with app.app_context():
        buyer = db.session.get(Firm, people.firms["buyer"])
        need = services.create_need(db.session, buyer, {"title": "Bạc lót đồng thau"})
        need_id = need.id
        db.session.remove()
    return need_id


@pytest.mark.parametrize(
    ("lang", "message"),
    [("en", "Only suppliers can be invited."), ("vi", "Chỉ có thể mời nhà cung cấp.")],
)
def test_a_refused_form_is_flashed_in_the_readers_language_and_sent_back(
    app, people, client_as, need_id, lang, message
):
    buyer = client_as("buyer")
    buyer.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    # A buyer firm cannot be invited to read a need (only suppliers can).
    resp = buyer.post(f"/needs/{need_id}/invitations", data={"firm_id": people.firms["buyer"]})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/needs/{need_id}"
    page = buyer.get(resp.headers["Location"]).get_data(as_text=True)
    assert message in page
    with app.app_context():
        assert db.session.get(Need, need_id).invited == []  # nothing kept
        db.session.remove()


def test_the_api_answers_422_naming_the_field(api_as, people, need_id):
    resp = api_as("buyer").post(
        f"/api/v1/needs/{need_id}/outcomes",
        json={"firm_id": people.firms["supplier"], "outcome": "maybe"},
    )
    assert resp.status_code == 422
    assert resp.json["error"] == "Unprocessable Entity" and resp.json["status"] == 422
    assert set(resp.json["errors"]) == {"outcome"}


@pytest.mark.parametrize(
    ("referrer", "back"),
    [
        ("http://localhost/events/3?tab=requests", "/events/3?tab=requests"),
        ("/needs/7", "/needs/7"),
        ("https://evil.example/needs/7", "/"),
        ("http://localhost//evil.example/x", "/"),
        (None, "/"),
    ],
)
def test_without_a_named_page_a_refusal_goes_back_to_a_same_site_page(app, referrer, back):
    headers = {"Referer": referrer} if referrer else {}
    with app.test_request_context("/needs/7/invitations", method="POST", headers=headers):
        assert _back() == back


def test_the_page_a_view_names_comes_first(app):
    headers = {"Referer": "http://localhost/elsewhere"}
    with app.test_request_context("/x", method="POST", headers=headers):
        assert back_to("/needs/7#photos") == "/needs/7#photos"
        assert _back() == "/needs/7#photos"
