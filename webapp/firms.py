"""Suppliers and buyers maintain their firm profile, capabilities and certifications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from catalog import services
from catalog.models import Capability, Certification, Firm
from catalog.validation import ValidationError

from .extensions import db
from .forms import CAPABILITY_FIELDS, CERTIFICATION_FIELDS, FIRM_FIELDS, choices, submitted

bp = Blueprint("firms", __name__, url_prefix="/firms")


def _firm_or_404(firm_id: int) -> Firm:
    return db.get_or_404(Firm, firm_id)


def _firm_values(firm: Firm) -> dict:
    return {
        "role": firm.role.value,
        "name_vi": firm.name_vi,
        "name_en": firm.name_en,
        "tax_code": firm.tax_code,
        "province": firm.province.code if firm.province else "",
        "zone": firm.zone_id or "",
        "address": firm.address,
        "employees": firm.employees,
        "year_founded": firm.year_founded,
        "ownership": firm.ownership.value,
        "country_of_origin": firm.country_of_origin,
        "contact_name": firm.contact_name,
        "contact_email": firm.contact_email,
        "contact_phone": firm.contact_phone,
        "website": firm.website,
        "description": firm.description,
        "sectors": [s.id for s in firm.sectors],
    }


def _capability_values(cap: Capability) -> dict:
    return {
        "title": cap.title,
        "description": cap.description,
        "process": cap.process_id or "",
        "materials": [m.id for m in cap.materials],
        "products": cap.products,
        "hs_codes": ", ".join(cap.hs_codes or []),
        "equipment": cap.equipment,
        "tolerance_mm": cap.tolerance_mm,
        "capacity_per_month": cap.capacity_per_month,
        "capacity_unit": cap.capacity_unit,
        "min_order_qty": cap.min_order_qty,
    }


@bp.route("/new", methods=["GET", "POST"])
def create():
    values, errors = {"role": "supplier", "ownership": "domestic"}, {}
    if request.method == "POST":
        values = submitted(FIRM_FIELDS)
        try:
            firm = services.create_firm(db.session, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash("Firm created. / Đã tạo hồ sơ doanh nghiệp.", "success")
            return redirect(url_for("directory.show", firm_id=firm.id))
    return render_template(
        "firms/form.html", values=values, errors=errors, firm=None, choices=choices()
    ), 422 if errors else 200


@bp.route("/<int:firm_id>/edit", methods=["GET", "POST"])
def edit(firm_id: int):
    firm = _firm_or_404(firm_id)
    values, errors = _firm_values(firm), {}
    if request.method == "POST":
        values = submitted(FIRM_FIELDS)
        try:
            services.update_firm(db.session, firm, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash("Profile saved. / Đã lưu hồ sơ.", "success")
            return redirect(url_for("directory.show", firm_id=firm.id))
    return render_template(
        "firms/form.html", values=values, errors=errors, firm=firm, choices=choices()
    ), 422 if errors else 200


@bp.route("/<int:firm_id>/capabilities/new", methods=["GET", "POST"])
def add_capability(firm_id: int):
    firm = _firm_or_404(firm_id)
    values, errors = {"capacity_unit": "pcs"}, {}
    if request.method == "POST":
        values = submitted(CAPABILITY_FIELDS)
        try:
            services.add_capability(db.session, firm, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash("Capability added; matches update in a few seconds.", "success")
            return redirect(url_for("directory.show", firm_id=firm.id))
    return render_template(
        "firms/capability_form.html",
        firm=firm,
        cap=None,
        values=values,
        errors=errors,
        choices=choices(),
    ), 422 if errors else 200


@bp.route("/capabilities/<int:cap_id>/edit", methods=["GET", "POST"])
def edit_capability(cap_id: int):
    cap = db.get_or_404(Capability, cap_id)
    values, errors = _capability_values(cap), {}
    if request.method == "POST":
        values = submitted(CAPABILITY_FIELDS)
        try:
            services.update_capability(db.session, cap, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash("Capability saved; matches update in a few seconds.", "success")
            return redirect(url_for("directory.show", firm_id=cap.firm_id))
    return render_template(
        "firms/capability_form.html",
        firm=cap.firm,
        cap=cap,
        values=values,
        errors=errors,
        choices=choices(),
    ), 422 if errors else 200


@bp.post("/capabilities/<int:cap_id>/delete")
def delete_capability(cap_id: int):
    cap = db.get_or_404(Capability, cap_id)
    firm_id = cap.firm_id
    services.delete_capability(db.session, cap)
    flash("Capability removed.", "success")
    return redirect(url_for("directory.show", firm_id=firm_id))


@bp.route("/<int:firm_id>/certifications/new", methods=["GET", "POST"])
def add_certification(firm_id: int):
    firm = _firm_or_404(firm_id)
    values, errors = {}, {}
    if request.method == "POST":
        values = submitted(CERTIFICATION_FIELDS)
        try:
            services.add_certification(db.session, firm, values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash("Certification added.", "success")
            return redirect(url_for("directory.show", firm_id=firm.id))
    return render_template(
        "firms/certification_form.html",
        firm=firm,
        values=values,
        errors=errors,
        choices=choices(),
    ), 422 if errors else 200


@bp.post("/certifications/<int:cert_id>/delete")
def delete_certification(cert_id: int):
    cert = db.get_or_404(Certification, cert_id)
    firm_id = cert.firm_id
    services.delete_certification(db.session, cert)
    flash("Certification removed.", "success")
    return redirect(url_for("directory.show", firm_id=firm_id))
