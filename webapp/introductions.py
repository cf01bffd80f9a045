"""Introductions: suppliers accept or decline buyers' requests; both sides follow them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from catalog.access.visibility import readable_ids
from catalog.introductions import decide_introduction, introductions_query
from catalog.models import Introduction

from .access import actor, rule
from .errors import back_to
from .extensions import db

bp = Blueprint("introductions", __name__, url_prefix="/introductions")


@bp.get("/")
@rule("signed_in")
def index():
    page = db.paginate(
        introductions_query(actor()), page=request.args.get("page", 1, type=int), per_page=50
    )
    # An officer sees the introductions of their suppliers, but not the need of a buyer
    # elsewhere that they may not read (catalog.access.visibility).
    readable = readable_ids(db.session, actor(), (i.need_id for i in page.items))
    return render_template("introductions/index.html", page=page, readable=readable)


@bp.post("/<int:intro_id>/<any(accept, decline):decision>")
@rule("introduction.decide", Introduction)
def decide(intro: Introduction, decision: str):
    back = back_to(url_for("introductions.index"))
    decide_introduction(db.session, intro, actor(), accept=decision == "accept")
    if decision == "accept":
        flash(_("Introduction accepted: you now see each other's contact person."), "success")
    else:
        flash(_("Introduction declined."), "success")
    return redirect(back)
