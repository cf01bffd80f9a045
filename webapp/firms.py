"""Suppliers and buyers maintain their firm profile, capabilities and certifications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from catalog import relationships, services
from catalog.access import OutOfScope
from catalog.i18n import N_
from catalog.models import Capability, Certification, Firm, SupplyRelationship
from catalog.schemas import CapabilitySchema, CertificationSchema, FirmSchema
from catalog.validation import ValidationError, record_id

from .access import actor, can, rule
from .errors import back_to
from .extensions import db
from .forms import form_page

bp = Blueprint("firms", __name__, url_prefix="/firms")


def _to_firm_page(obj) -> str:
    return url_for("directory.show", firm_id=obj.firm_id if hasattr(obj, "firm_id") else obj.id)


def create_firm_in_scope(values: dict) -> Firm:
    """Officers add firms to their own provinces only (admins anywhere)."""
    try:
        firm = services.create_firm(db.session, values, commit=False)
    except OutOfScope:  # the session's write guard (catalog.access.scope) filed the alert
        firm = None
    if firm is None or not can("firm.manage", firm):
        raise ValidationError({"province": N_("Choose one of your provinces.")})
    db.session.commit()
    return firm


def update_firm_in_scope(firm: Firm, values: dict) -> Firm:
    """Save a profile; a move to another province takes an officer of both provinces
    (the session's write guard refuses it otherwise), said on the province field."""
    try:
        return services.update_firm(db.session, firm, values)
    except OutOfScope:
        raise ValidationError(
            {"province": N_("Only officers of both provinces can move a firm to another province.")}
        ) from None


@bp.route("/new", methods=["GET", "POST"])
@rule("firm.create")
def create():
    return form_page(
        "firms/form.html",
        FirmSchema(),
        None,
        {"role": "supplier", "ownership": "domestic"},
        create_firm_in_scope,
        _("Firm created."),
        _to_firm_page,
        firm=None,
    )


@bp.route("/<int:firm_id>/edit", methods=["GET", "POST"])
@rule("firm.edit", Firm)
def edit(firm: Firm):
    return form_page(
        "firms/form.html",
        FirmSchema(),
        firm,
        {},
        lambda values: update_firm_in_scope(firm, values),
        _("Profile saved."),
        _to_firm_page,
        firm=firm,
    )


@bp.route("/<int:firm_id>/capabilities/new", methods=["GET", "POST"])
@rule("firm.edit", Firm)
def add_capability(firm: Firm):
    return form_page(
        "firms/capability_form.html",
        CapabilitySchema(),
        None,
        {"capacity_unit": "pcs"},
        lambda values: services.add_capability(db.session, firm, values),
        _("Capability added; matches update in a few seconds."),
        _to_firm_page,
        firm=firm,
        cap=None,
    )


@bp.route("/capabilities/<int:cap_id>/edit", methods=["GET", "POST"])
@rule("firm.edit", Capability)
def edit_capability(cap: Capability):
    return form_page(
        "firms/capability_form.html",
        CapabilitySchema(),
        cap,
        {},
        lambda values: services.update_capability(db.session, cap, values),
        _("Capability saved; matches update in a few seconds."),
        _to_firm_page,
        firm=cap.firm,
        cap=cap,
    )


@bp.post("/capabilities/<int:cap_id>/delete")
@rule("firm.edit", Capability)
def delete_capability(cap: Capability):
    firm_id = cap.firm_id
    services.delete_capability(db.session, cap)
    flash(_("Capability removed."), "success")
    return redirect(url_for("directory.show", firm_id=firm_id))


@bp.route("/<int:firm_id>/certifications/new", methods=["GET", "POST"])
@rule("firm.edit", Firm)
def add_certification(firm: Firm):
    return form_page(
        "firms/certification_form.html",
        CertificationSchema(),
        None,
        {},
        lambda values: services.add_certification(db.session, firm, values),
        _("Certification added."),
        _to_firm_page,
        firm=firm,
    )


@bp.post("/certifications/<int:cert_id>/delete")
@rule("firm.edit", Certification)
def delete_certification(cert: Certification):
    firm_id = cert.firm_id
    services.delete_certification(db.session, cert)
    flash(_("Certification removed."), "success")
    return redirect(url_for("directory.show", firm_id=firm_id))


@bp.post("/<int:firm_id>/verify")
@rule("firm.manage", Firm)
def verify(firm: Firm):
    """An officer confirms the firm exists and its profile is true (or withdraws that)."""
    verified = request.form.get("verified", "1") == "1"
    services.set_verified(db.session, firm, actor(), verified)
    flash(_("Firm verified.") if verified else _("Verification withdrawn."), "success")
    return redirect(url_for("directory.show", firm_id=firm.id))


@bp.post("/<int:firm_id>/delete")
@rule("firm.manage", Firm)
def delete(firm: Firm):
    services.delete_firm(db.session, firm)
    flash(_("Firm deleted."), "success")
    return redirect(url_for("directory.index"))


@bp.post("/<int:firm_id>/relationships")
@rule("firm.edit", Firm)
def add_relationship(firm: Firm):
    """Record that this supplier delivers to a buyer (tier, since when, part families)."""
    buyer = db.session.get(Firm, request.form.get("buyer", type=record_id) or 0)
    data = {
        "tier": request.form.get("tier", ""),
        "since": request.form.get("since", ""),
        "part_families": [
            v.strip() for v in request.form.get("part_families", "").split(",") if v.strip()
        ],
    }
    back = back_to(url_for("directory.show", firm_id=firm.id, _anchor="relationships"))
    relationships.declare(db.session, firm, buyer, data)
    flash(_("Supply relationship saved."), "success")
    return redirect(back)


@bp.post("/relationships/<int:link_id>/delete")
@rule("firm.edit", SupplyRelationship)
def delete_relationship(link: SupplyRelationship):
    firm_id = link.supplier_id
    relationships.remove(db.session, link)
    flash(_("Supply relationship removed."), "success")
    return redirect(url_for("directory.show", firm_id=firm_id, _anchor="relationships"))
