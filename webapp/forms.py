"""Edit forms of the records whose fields ``catalog.schemas`` declares.

The form's fields, their order, labels, widgets and choices come from the record's
schema, and so does the reading of a submitted form into the plain dict the catalog
validates: a field declared there is on the form with nothing else to change.
Validation itself lives in the catalog; the CSRF token is checked by Flask-WTF's
``CSRFProtect`` for every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, flash, redirect, render_template, request
from flask_babel import format_decimal, gettext

from catalog import queries
from catalog.reference_data import certification_standards
from catalog.schemas import PLAIN, CapabilitySchema, Choice, Declared, RecordSchema, Whole
from catalog.validation import ValidationError

from .extensions import db
from .helpers import fmt_number, label, label_options, options, province_options, translate


def submitted(schema: RecordSchema) -> dict[str, Any]:
    """The schema's fields from ``request.form``; multi-valued ones as lists (checked
    boxes plus anything typed in ``<field>_other``, comma or semicolon separated)."""
    data: dict[str, Any] = {}
    for field in schema.declared():
        name = field.name
        if field.many and field.widget == "checks":
            values = [v for v in request.form.getlist(name) if v.strip()]
            extra = request.form.get(name + "_other", "")
            values += [v for v in extra.replace(";", ",").split(",") if v.strip()]
            data[name] = values
        elif name in request.form:
            data[name] = request.form.get(name, "")
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


def _options(field: Declared, choices: dict[str, Any]) -> list[tuple[Any, str]]:
    if isinstance(field.options, list):  # fixed values and their labels
        return [(value, translate(text)) for value, text in field.options]
    if field.options is None:
        return []
    key, attribute = field.options
    items = choices[key]
    if not attribute:
        return options(items)
    if key == "zones":
        return options(items, attribute, "label")
    if key == "provinces":
        return province_options(items)
    return label_options(items, attribute)


def form_fields(schema: RecordSchema, editing: bool) -> list[dict[str, Any]]:
    """The form's fields as its template lays them out, from the record's declaration:
    label, widget, help, choices, and whether the field takes a line of its own."""
    choices_ = choices()
    out = []
    for field in schema.declared():
        if field.form == "never" or field.form == "edit" and not editing:
            continue
        out.append(
            {
                "name": field.name,
                "label": translate(field.label),
                "widget": field.widget,
                "help": translate(field.help) if field.help else "",
                "required": field.starred,
                "wide": field.wide,
                "blank": None if isinstance(field, Choice) else "—",
                "options": _options(field, choices_),
                "attrs": (
                    f"min={field.low} max={field.high}"
                    if isinstance(field, Whole) and field.widget == "number"
                    else ""
                ),
            }
        )
    return out


def form_page(
    template: str,
    schema: RecordSchema,
    record: Any,
    initial: dict[str, Any],
    save: Callable[[dict[str, Any]], Any],
    message: str,
    done: Callable[[Any], str],
    **context: Any,
):
    """The one shape of every edit page: show the form of ``schema``'s fields (with the
    values of ``record`` when it is changed, else ``initial``); on POST validate and save
    through a catalog service, then flash and redirect, or show the form again with a
    message per field (422) and nothing half-saved."""
    values = schema.form_values(record) if record is not None else dict(initial)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = submitted(schema)
        try:
            result = save(values)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(message, "success")
            return redirect(done(result))
    page = render_template(
        template,
        values=values,
        errors=errors,
        choices=choices(),
        fields=form_fields(schema, editing=record is not None),
        **context,
    )
    return page, 422 if errors else 200


def _fact_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_fact_value(v) for v in value)
    if hasattr(value, "name_vi"):  # a concept or a province
        return label(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt_number(value)
    if isinstance(value, float):  # a tolerance: 0,02 in Vietnamese, 0.02 in English
        return format_decimal(value, format="#,##0.######")
    return str(value)


def record_facts(schema: RecordSchema, record: Any) -> list[tuple[str, str]]:
    """(label, text) of the fields a record's page shows, in the reader's language, as
    the record's schema declares them (``fact``)."""
    out = []
    for fact_label, msgid, params in schema.facts(record):
        shown = {key: _fact_value(value) for key, value in params.items()}
        text = msgid % shown if msgid == PLAIN else gettext(msgid, **shown)
        out.append((translate(fact_label), text))
    return out


def register(app: Flask) -> None:
    """Page templates show a capability's declared facts with ``capability_facts``."""
    capabilities = CapabilitySchema()  # reading facts keeps no state: one for every page
    app.jinja_env.globals["capability_facts"] = lambda cap: record_facts(capabilities, cap)
