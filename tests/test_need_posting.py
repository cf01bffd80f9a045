"""Which firm posts a need: one rule (``catalog.access.posting_firm``) for the page and
the API, so that both answer the same request the same way."""

from __future__ import annotations

from sqlalchemy import func, select

from catalog.access import posting_firm
from catalog.models import Firm, Need, User
from webapp.extensions import db


def _needs_of(app, firm_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Need.id)).where(Need.buyer_id == firm_id))
        db.session.remove()
    return count


def test_the_rule(session, people):
    buyer = session.get(User, people.users["buyer"])
    officer = session.get(User, people.users["officer"])
    own, other = buyer.firm, session.get(Firm, people.firms["other_supplier"])
    assert posting_firm(buyer, None) is own
    assert posting_firm(buyer, own) is own
    assert posting_firm(buyer, other) is other  # then refused: firm.edit on it
    assert posting_firm(officer, None) is None
    assert posting_firm(officer, own) is own


def test_a_firm_user_naming_another_firm_is_refused_on_the_page_and_in_the_api(
    app, people, client_as, api_as
):
    """The page used to post such a need for the user's own firm; the API refused it."""
    own, other = people.firms["buyer"], people.firms["other_supplier"]
    before = _needs_of(app, own), _needs_of(app, other)
    page = client_as("buyer").post("/needs/new", data={"buyer": other, "title": "Vỏ hộp"})
    assert page.status_code == 403
    api = api_as("buyer").post("/api/v1/needs", json={"buyer_id": other, "title": "Vỏ hộp"})
    assert api.status_code == 403
    assert (_needs_of(app, own), _needs_of(app, other)) == before


def test_a_firm_user_posts_for_their_own_firm_named_or_not(app, people, client_as, api_as):
    own = people.firms["buyer"]
    before = _needs_of(app, own)
    page = client_as("buyer").post("/needs/new", data={"title": "Khung thép hàn"})
    assert page.status_code == 302
    named = client_as("buyer").post("/needs/new", data={"buyer": own, "title": "Khung thép"})
    assert named.status_code == 302
    api = api_as("buyer").post("/api/v1/needs", json={"title": "Khung thép hàn"})
    assert api.status_code == 201
    assert _needs_of(app, own) == before + 3


def test_staff_must_name_the_buyer(api_as, client_as):
    page = client_as("officer").post("/needs/new", data={"title": "Khung thép"})
    assert page.status_code == 422
    api = api_as("officer").post("/api/v1/needs", json={"title": "Khung thép"})
    assert api.status_code == 422 and "buyer_id" in api.json["errors"]
