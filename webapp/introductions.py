"""Introductions: suppliers accept or decline buyers' requests; both sides follow them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from catalog.introductions import decide_introduction, introductions_query
from catalog.models import Introduction
from catalog.validation import ValidationError
from jobs.tasks import learn_from_outcomes

from .access import actor, rule
from .extensions import db
from .helpers import flash_errors

bp = Blueprint("introductions", __name__, url_prefix="/introductions")


@bp.get("/")
@rule("signed_in")
def index():
    page = db.paginate(
        introductions_query(actor()), page=request.args.get("page", 1, type=int), per_page=50
    )
    return render_template("introductions/index.html", page=page)


@bp.post("/<int:intro_id>/<any(accept, decline):decision>")
@rule("introduction.decide", Introduction)
def decide(intro: Introduction, decision: str):
    try:
        decide_introduction(db.session, intro, actor(), accept=decision == "accept")
    except ValidationError as exc:
        db.session.rollback()
        flash_errors(exc.errors)
    else:
        if decision == "accept":
            learn_from_outcomes()
            flash(_("Introduction accepted: you now see each other's contact person."), "success")
        else:
            flash(_("Introduction declined."), "success")
    return redirect(url_for("introductions.index"))
