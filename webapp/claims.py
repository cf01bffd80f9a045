"""Claims on firms: a claimant follows theirs, the province's officers decide.

Registering with a tax code the catalogue already holds files a claim on that firm
(``catalog.claims``); so does a firm-less user's own request here. The officers of the
firm's province are mailed that a claim waits; they (and admins) read it next to the
firm's current users and approve it (the claimant becomes the firm's user; in a dispute
the users who held it without right are removed) or reject it with a reason. The
claimant is mailed the decision in their own language. Every step is in the audit log
(``catalog.access.audit`` records the claim and the users' changed firm).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from catalog import claims
from catalog.access import officer_province_ids
from catalog.models import ClaimStatus, FirmClaim
from catalog.validation import ValidationError
from jobs.mail import public_url, send_email

from .access import actor, rule
from .extensions import db
from .helpers import flash_errors

bp = Blueprint("claims", __name__)


def announce(claim: FirmClaim) -> int:
    """Mail the officers of the claimed firm's province that a claim waits for them, each
    in their language; returns how many were told."""
    firm = claim.firm
    officers = [u for u in claims.deciders(db.session, firm) if u.email]
    for officer in officers:
        with force_locale(officer.locale or "vi"):
            subject = _("A claim on %(firm)s awaits your decision", firm=firm.display_name)
            body = "\n\n".join(
                [
                    _(
                        "%(email)s asks to act for %(firm)s (tax code %(tax_code)s), a firm "
                        "of your province. Approve or reject the claim here:",
                        email=claim.user.email,
                        firm=firm.display_name,
                        tax_code=firm.tax_code or "—",
                    ),
                    public_url("claims.show", claim_id=claim.id),
                    "KetNoi",
                ]
            )
        send_email.delay(officer.email, subject, body)
    return len(officers)


def _tell_claimant(claim: FirmClaim) -> None:
    user = claim.user
    firm = claim.firm
    with force_locale(user.locale or "vi"):
        if claim.status == ClaimStatus.APPROVED:
            subject = _("Your claim on %(firm)s was approved", firm=firm.display_name)
            lines = [
                _(
                    "A provincial officer approved your claim: you now act for %(firm)s on "
                    "KetNoi. Complete its profile here:",
                    firm=firm.display_name,
                ),
                public_url("firms.edit", firm_id=firm.id),
            ]
        else:
            subject = _("Your claim on %(firm)s was rejected", firm=firm.display_name)
            lines = [
                _(
                    "A provincial officer rejected your claim to act for %(firm)s.",
                    firm=firm.display_name,
                ),
                _("Reason: %(reason)s", reason=claim.reason),
                public_url("claims.mine"),
            ]
        if claim.status == ClaimStatus.APPROVED and claim.reason:
            lines.append(_("Note from the officer: %(note)s", note=claim.reason))
        body = "\n\n".join([*lines, "KetNoi"])
    send_email.delay(user.email, subject, body)


# The claimant ------------------------------------------------------------------------


@bp.get("/account/claims")
@rule("signed_in")
def mine():
    """One's own claims and their state; a firm-less user may file one here."""
    me = actor()
    return render_template(
        "claims/mine.html",
        claims=claims.claims_of(db.session, me),
        may_claim=claims.may_claim(me) and claims.open_claim(db.session, me) is None,
        values={},
        errors={},
    )


@bp.post("/account/claims")
@rule("claim.file")
def file_claim():
    """Claim a firm by its tax code (after a rejection, with more to go on)."""
    me = actor()
    values = request.form.to_dict()
    errors: dict[str, str] = {}
    firm = claims.firm_with_tax_code(db.session, values.get("tax_code"))
    if firm is None:
        errors["tax_code"] = _("No firm in the catalogue has this tax code.")
    else:
        try:
            claim = claims.file_claim(db.session, me, firm, values.get("message"))
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
    if errors:
        page = render_template(
            "claims/mine.html",
            claims=claims.claims_of(db.session, me),
            may_claim=True,
            values=values,
            errors=errors,
        )
        return page, 422
    announce(claim)
    flash(
        _("Your claim on %(firm)s awaits the province's officers.", firm=firm.display_name),
        "success",
    )
    return redirect(url_for("claims.mine"))


# The officers -------------------------------------------------------------------------


@bp.get("/admin/claims")
@rule("claims.review")
def index():
    """Claims on firms of one's provinces (all for admins), open ones first."""
    status = request.args.get("status")
    chosen = ClaimStatus(status) if status in {s.value for s in ClaimStatus} else None
    query = claims.claims_query(officer_province_ids(actor()), chosen)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50)
    return render_template("claims/index.html", page=page, status=chosen)


def _show(claim: FirmClaim, errors: dict | None = None, status: int = 200):
    page = render_template(
        "claims/show.html",
        claim=claim,
        members=claims.members(db.session, claim.firm),
        errors=errors or {},
        values=request.form.to_dict() if errors else {},
    )
    return page, status


@bp.get("/admin/claims/<int:claim_id>")
@rule("claim.decide", FirmClaim)
def show(claim: FirmClaim):
    """The claim, the claimant's message and the firm's current users, to decide on."""
    return _show(claim)


@bp.post("/admin/claims/<int:claim_id>")
@rule("claim.decide", FirmClaim)
def decide(claim: FirmClaim):
    """Approve (optionally removing the firm's other users) or reject with a reason."""
    decision = request.form.get("decision")
    try:
        if decision == "approve":
            removed = claims.approve(db.session, claim, actor(), request.form)
        elif decision == "reject":
            claims.reject(db.session, claim, actor(), request.form.get("reason"))
            removed = []
        else:
            raise ValidationError({"decision": _("Choose to approve or reject.")})
    except ValidationError as exc:
        db.session.rollback()
        if "decision" in exc.errors:
            flash_errors(exc.errors)
        return _show(claim, exc.errors, 422)
    _tell_claimant(claim)
    if decision == "approve":
        message = _(
            "%(email)s now acts for %(firm)s.", email=claim.user.email, firm=claim.firm.display_name
        )
        if removed:
            message += " " + _(
                "Removed from the firm: %(emails)s.", emails=", ".join(u.email for u in removed)
            )
    else:
        message = _("The claim was rejected; %(email)s is told why.", email=claim.user.email)
    flash(message, "success")
    return redirect(url_for("claims.index"))
