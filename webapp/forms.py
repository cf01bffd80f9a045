"""Turn submitted HTML forms into the plain dicts the catalog validates.

Validation itself lives in ``catalog.validation``; the CSRF token is checked by
Flask-WTF's ``CSRFProtect`` for every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request

from catalog import queries
from catalog.reference_data import certification_standards
from catalog.validation import ValidationError

from .extensions import db

MULTI = {"materials", "sectors", "required_certifications"}


def submitted(fields: tuple[str, ...]) -> dict[str, Any]:
    """The given fields from ``request.form``; multi-valued ones as lists."""
    data: dict[str, Any] = {}
    for field in fields:
        if field in MULTI:
            values = [v for v in request.form.getlist(field) if v.strip()]
            extra = request.form.get(field + "_other", "")
            values += [v for v in extra.replace(";", ",").split(",") if v.strip()]
            data[field] = values
        elif field in request.form:
            data[field] = request.form.get(field, "")
    return data


def choices() -> dict[str, Any]:
    session = db.session
    return {
        "provinces": queries.provinces(session),
        "zones": queries.zones(session),
        "sectors": queries.concepts_by_kind(session, "sector"),
        "processes": queries.concepts_by_kind(session, "process"),
        "materials": queries.concepts_by_kind(session, "material"),
        "standards": certification_standards(),
        "buyers": queries.buyers(session),
    }


FIRM_FIELDS = (
    "role",
    "name_vi",
    "name_en",
    "tax_code",
    "province",
    "zone",
    "address",
    "employees",
    "year_founded",
    "ownership",
    "country_of_origin",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "description",
    "sectors",
)
CAPABILITY_FIELDS = (
    "title",
    "description",
    "process",
    "materials",
    "products",
    "hs_codes",
    "equipment",
    "tolerance_mm",
    "capacity_per_month",
    "capacity_unit",
    "min_order_qty",
)
CERTIFICATION_FIELDS = ("standard", "issuer", "certificate_no", "valid_until")
NEED_FIELDS = (
    "title",
    "description",
    "process",
    "materials",
    "quantity_per_year",
    "target_price_vnd",
    "tolerance_mm",
    "required_certifications",
    "delivery_province",
    "deadline",
    "status",
    "visibility",
)


def form_page(
    template: str,
    fields: tuple[str, ...],
    initial: dict[str, Any],
    save: Callable[[dict[str, Any]], Any],
    message: str,
    done: Callable[[Any], str],
    **context: Any,
):
    """The one shape of every edit page: show the form; on POST validate and save through
    a catalog service, then flash and redirect, or show the form again with a message
    per field (422) and nothing half-saved."""
    values, errors = dict(initial), {}
    if request.method == "POST":
        values = submitted(fields)
        try:
            result = save(values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(message, "success")
            return redirect(done(result))
    page = render_template(template, values=values, errors=errors, choices=choices(), **context)
    return page, 422 if errors else 200
