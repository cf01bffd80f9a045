"""Officers record document checks and site visits of what firms declare.

The firm is told the result by e-mail; its users and the province's officers can open
the evidence, which is never public (it holds invoices, drawings, factory photos).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from catalog import verification
from catalog.models import (
    Capability,
    Certification,
    EvidenceFile,
    Firm,
    Verification,
)
from catalog.validation import ValidationError, record_id
from jobs.notices import notify_verification

from .access import actor, rule
from .extensions import db
from .helpers import uploads, uploads_dir

bp = Blueprint("verifications", __name__)

FIELDS = ("method", "result", "checked_on", "valid_until", "note")


def evidence_root() -> Path:
    return uploads_dir("evidence")


def _item(firm: Firm, key: str) -> Capability | Certification | None:
    """The firm's item named ``capability:12`` or ``certification:3``, or None."""
    kind, _sep, raw = key.partition(":")
    model = {"capability": Capability, "certification": Certification}.get(kind)
    item_id = record_id(raw) if raw.isdigit() else 0
    item = db.session.get(model, item_id) if model and item_id else None
    return item if item is not None and item.firm_id == firm.id else None


@bp.route("/firms/<int:firm_id>/verifications/new", methods=["GET", "POST"])
@rule("firm.manage", Firm)
def create(firm: Firm):
    """Record a check of one capability or certification, with evidence files."""
    values = {
        "item": request.args.get("item", ""),
        "method": "documents",
        "result": "confirmed",
        "checked_on": date.today().isoformat(),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in (*FIELDS, "item")}
        item = _item(firm, values["item"])
        evidence = uploads("evidence")
        try:
            if item is None:
                raise ValidationError({"item": _("Choose a capability or certification.")})
            check = verification.record(
                db.session,
                firm,
                item,
                {f: values[f] for f in FIELDS},
                officer=actor(),
                uploads=evidence,
                evidence_root=evidence_root(),
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            notify_verification.delay(check.id)
            flash(_("Check recorded."), "success")
            return redirect(url_for("directory.show", firm_id=firm.id, _anchor="verifications"))
    items = [(f"capability:{c.id}", _("Capability") + ": " + c.title) for c in firm.capabilities]
    items += [
        (f"certification:{c.id}", _("Certification") + ": " + c.standard)
        for c in firm.certifications
    ]
    page = render_template(
        "verifications/form.html", firm=firm, items=items, values=values, errors=errors
    )
    return page, 422 if errors else 200


@bp.post("/verifications/<int:check_id>/delete")
@rule("verification.manage", Verification)
def delete(check: Verification):
    firm_id = check.firm_id
    verification.remove(db.session, check)
    flash(_("Check removed."), "success")
    return redirect(url_for("directory.show", firm_id=firm_id, _anchor="verifications"))


@bp.get("/verifications/evidence/<int:evidence_id>")
@rule("verification.view", EvidenceFile)
def evidence(evidence: EvidenceFile):
    """Evidence is served as a download with its checked type, never rendered inline
    as HTML, so an uploaded file cannot run in the site's origin."""
    path = verification.evidence_path(evidence_root(), evidence)
    return send_file(
        path,
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.filename,
        max_age=0,
    )
