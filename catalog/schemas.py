"""Each record's fields, declared once.

A firm's, a capability's, a certification's and a need's fields used to be listed in
eight places (validators, services, forms, serialisers, page templates, the OpenAPI
document …), and a field added to one list and forgotten in another was accepted by
the API and lost by the form, or saved and never shown. Here each record is one
marshmallow schema, and every use reads it:

- ``load`` checks raw input (form strings, JSON values, survey cells) with the parsers
  of ``catalog.validation`` and reports one message per failed field
  (``ValidationError``), all fields at once;
- ``assign`` writes the checked values to the record (a concept by id, a cleared text
  as "" and a cleared number as NULL, as the column allows);
- ``dump`` is the record as the JSON API and the match cards show it;
- each field's ``label``, ``widget`` and ``options`` make the edit form
  (``webapp/templates/_macros.html``, ``form_fields``), its ``fact`` the line the firm
  page shows, and its ``openapi`` the request and response schemas of the API document.

Adding a field to a capability is therefore the model's column, one line here and a
migration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import marshmallow as ma
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from .i18n import N_
from .models import (
    Capability,
    Certification,
    Concept,
    Firm,
    FirmRole,
    IndustrialZone,
    Need,
    NeedStatus,
    NeedVisibility,
    Ownership,
    as_utc,
)
from .places import former_of
from .text import fold
from .validation import (
    MAX_EMAIL,
    MAX_PRICE_VND,
    MAX_QUANTITY,
    MAX_TEXT,
    MAX_WEBSITE,
    ValidationError,
    choice,
    clean_text,
    concept_list,
    concept_ref,
    decimal,
    email,
    get_by_id,
    hs_codes,
    integer,
    iso_date,
    province_ref,
    standards,
    string_list,
    tax_code,
    text,
    website,
)

Parser = Callable[[Any], Any]

REQUIRED = N_("This field is required.")
PLAIN = "%(value)s"  # a record page shows the value as it is


# -- fields ---------------------------------------------------------------------------


class Declared(ma.fields.Field):
    """A field of a record: how input becomes a value, how the value is written to and
    read from the record, and how a form, a page and the API document present it.

    Input is cleaned as every stored text is (``catalog.validation.clean_text``); an
    empty text is no value, and ``required`` refuses no value; a list where one value
    belongs is refused rather than stored (a database would refuse ``[]`` as a number).
    """

    many = False

    def __init__(
        self,
        parse: Parser | None = None,
        *,
        label: str = "",
        help: str = "",  # noqa: A002  (a form's help text)
        widget: str = "text",
        options: tuple[str, str] | list[tuple[str, str]] | None = None,
        form: str = "always",
        fact: str | None = None,
        fact_label: str = "",
        api: dict[str, Any] | None = None,
        card: bool = False,
        contact: bool = False,
        wide: bool = False,
        starred: bool = False,
        headers: tuple[str, ...] = (),
        **kwargs: Any,
    ):
        kwargs["metadata"] = {"card": card, "contact": contact}
        self.wide = wide or widget in ("textarea", "checks")  # a form line of its own
        self.starred = starred or kwargs.get("required", False)  # marked * on the form
        self.headers = headers  # a survey's names of the column (folded), besides its own
        kwargs.setdefault("allow_none", not kwargs.get("required", False))
        kwargs.setdefault("error_messages", {"required": REQUIRED, "null": REQUIRED})
        super().__init__(**kwargs)
        self.parse = parse
        self.label = label
        self.help = help
        self.widget = widget
        self.options = options  # (choices key, value attribute) or fixed (value, label) pairs
        self.form = form  # "always", "edit" (only when changing a record) or "never"
        self.fact = fact  # the record page's line: a msgid with %(value)s, or None
        self.fact_label = fact_label or label
        self._api = api or {}

    # input --------------------------------------------------------------------------

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if isinstance(value, str):
            try:
                value = clean_text(value)
            except ValueError as exc:
                raise ma.ValidationError(exc.args[0]) from None
            if value == "":
                value = None
        if value == []:
            if not self.many:
                raise ma.ValidationError(N_("Give one value, not a list."))
            if self.required:
                raise ma.ValidationError(REQUIRED)
            return []
        return super().deserialize(value, attr, data, **kwargs)

    def parser(self) -> Parser:
        return self.parse or (lambda value: value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return self.parser()(value)
        except (ValueError, TypeError) as exc:
            message = exc.args[0] if exc.args else ""
            raise ma.ValidationError(
                message if isinstance(message, str) and message else N_("Invalid value.")
            ) from None

    @property
    def session(self) -> Session:
        return self.root.session  # type: ignore[attr-defined]

    # the record ---------------------------------------------------------------------

    @property
    def column(self) -> str:
        return self.attribute or self.name

    def assign(self, record: Any, value: Any) -> None:
        """Write a checked value; a cleared value as the column can hold it."""
        if value is None:
            column = sa_inspect(type(record)).columns.get(self.column)
            if column is not None and not column.nullable:
                value = [] if self.many else ""
        setattr(record, self.column, value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def form_value(self, record: Any) -> Any:
        """The value an edit form starts with."""
        value = getattr(record, self.column)
        return value.value if hasattr(value, "value") else value

    # the API document ---------------------------------------------------------------

    def openapi(self, direction: str) -> dict[str, Any]:
        """The field's schema in a request (``"in"``) or a response (``"out"``)."""
        return dict(self._api)


class Text(Declared):
    def __init__(self, max_length: int, parse: Parser | None = None, **kwargs: Any):
        kwargs.setdefault("api", {"type": "string", "maxLength": max_length})
        super().__init__(parse or text(max_length), **kwargs)


class Whole(Declared):
    def __init__(self, low: int, high: int | Callable[[], int], **kwargs: Any):
        self.low, self._high = low, high
        kwargs.setdefault("widget", "number")
        super().__init__(**kwargs)

    @property
    def high(self) -> int:
        return self._high() if callable(self._high) else self._high

    def parser(self) -> Parser:
        return integer(self.low, self.high)

    def openapi(self, direction: str) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high, **self._api}


class Decimal(Declared):
    def __init__(self, above: float, high: float, **kwargs: Any):
        kwargs.setdefault(
            "api", {"type": "number", "minimum": above, "exclusiveMinimum": True, "maximum": high}
        )
        super().__init__(decimal(above, high), **kwargs)


class Day(Declared):
    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", "date")
        kwargs.setdefault("api", {"type": "string", "format": "date"})
        super().__init__(iso_date, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return iso(value)


class Choice(Declared):
    """One value of an enumeration; no value leaves the record's as it is."""

    def __init__(self, enum_cls: type, labels: Mapping[str, str], **kwargs: Any):
        self.enum_cls = enum_cls
        kwargs.setdefault("widget", "select")
        kwargs.setdefault("options", list(labels.items()))
        super().__init__(choice(enum_cls), **kwargs)

    def assign(self, record: Any, value: Any) -> None:
        if value:
            setattr(record, self.column, value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value.value if value is not None else None

    def openapi(self, direction: str) -> dict[str, Any]:
        return {"type": "string", "enum": [m.value for m in self.enum_cls], **self._api}


class Texts(Declared):
    """A list of short texts (a form may send it comma-separated); [] clears it."""

    many = True

    def __init__(self, parse: Parser = string_list, item: dict[str, Any] | None = None, **kw):
        self.item = item or {"type": "string"}
        super().__init__(parse, **kw)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return list(value or [])

    def form_value(self, record: Any) -> Any:
        values = list(getattr(record, self.column) or [])
        return values if self.widget == "checks" else ", ".join(values)

    def openapi(self, direction: str) -> dict[str, Any]:
        return {"type": "array", "items": self.item, "maxItems": 50}


def concept_dict(concept: Concept | None) -> dict[str, str] | None:
    if concept is None:
        return None
    return {"id": concept.id, "name_vi": concept.name_vi, "name_en": concept.name_en}


class ConceptRef(Declared):
    """A concept of the vocabulary, given by id or by any of its names."""

    def __init__(self, kind: str, **kwargs: Any):
        self.kind = kind
        kwargs.setdefault("widget", "select")
        super().__init__(**kwargs)

    def parser(self) -> Parser:
        return concept_ref(self.session, self.kind)

    @property
    def column(self) -> str:
        return f"{self.name}_id"

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return concept_dict(value)

    def form_value(self, record: Any) -> Any:
        return getattr(record, self.column) or ""

    def openapi(self, direction: str) -> dict[str, Any]:
        if direction == "out":
            return {"$ref": "#/components/schemas/Concept"}
        return {"type": "string", "description": f"{self.kind.capitalize()} concept id or name."}


class Concepts(Declared):
    """Concepts of one kind; the API shows them as concepts, or as ids (``ids``)."""

    many = True

    def __init__(self, kind: str, ids: bool = False, **kwargs: Any):
        self.kind, self.ids = kind, ids
        kwargs.setdefault("widget", "checks")
        super().__init__(**kwargs)

    def parser(self) -> Parser:
        return concept_list(self.session, self.kind)

    def assign(self, record: Any, value: Any) -> None:
        with self.session.no_autoflush:  # the record may not be in the session yet
            concepts = [self.session.get(Concept, i) for i in value or []]
        setattr(record, self.column, concepts)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return [c.id if self.ids else concept_dict(c) for c in value or []]

    def form_value(self, record: Any) -> Any:
        return [c.id for c in getattr(record, self.column)]

    def openapi(self, direction: str) -> dict[str, Any]:
        if direction == "out":
            item = (
                {"type": "string", "description": f"{self.kind.capitalize()} concept id."}
                if self.ids
                else {"$ref": "#/components/schemas/Concept"}
            )
            return {"type": "array", "items": item}
        item = {"type": "string", "description": f"{self.kind.capitalize()} id or name."}
        return {"type": "array", "items": item, "maxItems": 50}


class ProvinceRef(Declared):
    """A province by code, name or id, of today's map or the one before 2025 (the
    firm's former province is then set too, see ``FirmSchema.assign``); shown by its
    code."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", "select")
        kwargs.setdefault("options", ("provinces", "code"))
        super().__init__(**kwargs)

    def parser(self) -> Parser:
        return province_ref(self.session)

    @property
    def column(self) -> str:
        return f"{self.name}_id"

    def assign(self, record: Any, value: Any) -> None:
        if value is not None or sa_inspect(type(record)).columns[self.column].nullable:
            setattr(record, self.column, value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value.code if value is not None else None

    def form_value(self, record: Any) -> Any:
        """The code of the former province a firm is recorded in, when it is now part of
        a unit of another name (the form offers both), else the unit's code."""
        province = getattr(record, self.name)
        if province is None:
            return ""
        former = getattr(record, "former_province", None) if self.name == "province" else None
        if former is not None and former.province_id == province.id:
            return former.code
        return province.code

    def openapi(self, direction: str) -> dict[str, Any]:
        if direction == "out":
            return {"type": "string", "description": "Province code (2025 map), e.g. `PT`."}
        return {
            "oneOf": [{"type": "string"}, {"type": "integer"}],
            "description": (
                "Province code (e.g. `PT`), name or id; the names and codes of the "
                'provinces before the 2025 map (`VP`, "Vinh Phuc") land in today\'s.'
            ),
        }


class ZoneRef(Declared):
    """An industrial zone or cluster by id or name ("KCN Khai Quang"), which must lie in
    the firm's province: checked by ``FirmSchema.check_across`` once the province is known."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("widget", "select")
        kwargs.setdefault("options", ("zones", "id"))
        super().__init__(**kwargs)

    @property
    def column(self) -> str:
        return "zone_id"

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return {"id": value.id, "name": value.label} if value is not None else None

    def form_value(self, record: Any) -> Any:
        return record.zone_id or ""

    def openapi(self, direction: str) -> dict[str, Any]:
        if direction == "out":
            return {"$ref": "#/components/schemas/Zone"}
        return {
            "oneOf": [{"type": "string"}, {"type": "integer"}],
            "description": "Industrial zone id or name.",
        }


def zone_ref(session: Session, value: Any, province_id: int | None) -> int:
    zone = None
    if isinstance(value, int) or str(value).isdigit():
        zone = get_by_id(session, IndustrialZone, value)
    else:
        key = fold(re.sub(r"^(KCN|CCN)\s+", "", str(value), flags=re.I))
        query = select(IndustrialZone)
        if province_id:
            query = query.where(IndustrialZone.province_id == province_id)
        zone = next((z for z in session.scalars(query) if fold(z.name) == key), None)
    if zone is None:
        raise ValueError(N_("Unknown industrial zone or cluster: %(value)s.", value=repr(value)))
    if province_id and zone.province_id != province_id:
        raise ValueError(N_("This industrial zone is not in the chosen province."))
    return zone.id


class Shown(ma.fields.Field):
    """A value the record computes or stamps (an id, a date of change): shown, never
    taken from input."""

    def __init__(
        self,
        api: dict[str, Any],
        read: Callable[[Any], Any] | None = None,
        nullable: bool = False,
        card: bool = False,
        **kw: Any,
    ):
        kw.setdefault("dump_only", True)
        kw["metadata"] = {"nullable": nullable, "card": card}
        super().__init__(**kw)
        self._api, self.read = api, read

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        if self.read is not None:
            return self._serialize(self.read(obj), attr, obj)
        return super().serialize(attr, obj, accessor, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return iso(value) if isinstance(value, date | datetime) else value

    def openapi(self, direction: str) -> dict[str, Any]:
        return dict(self._api)


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = as_utc(value)
    return value.isoformat()


ID = {"type": "integer", "minimum": 1}
TIMESTAMP = {"type": "string", "format": "date-time"}


# -- schemas --------------------------------------------------------------------------


class RecordSchema(ma.Schema):
    """A record's declared fields. ``load`` needs the session that concepts, provinces
    and zones are looked up in; unknown keys are ignored, as forms and surveys carry
    more than a record holds."""

    model: type

    class Meta:
        unknown = ma.EXCLUDE
        ordered = True

    def __init__(self, session: Session | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.session = session

    def declared(self) -> list[Declared]:
        """The fields input may set, in the order forms show them."""
        return [f for f in self.fields.values() if isinstance(f, Declared)]

    def check_across(
        self, clean: dict[str, Any], data: Mapping[str, Any], errors: dict[str, str], partial: bool
    ) -> None:
        """Rules across fields, after each field is checked on its own."""

    def clean(self, data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
        """The cleaned fields of ``data``, or a ``ValidationError`` naming every field
        that failed. Without ``partial`` a missing field is cleared (None)."""
        try:
            clean = dict(self.load(data, partial=partial))
            errors: dict[str, str] = {}
        except ma.ValidationError as exc:
            clean = dict(exc.valid_data or {})
            errors = {
                key: (messages[0] if isinstance(messages, list) else str(messages))
                for key, messages in exc.normalized_messages().items()
            }
        if not partial:
            for field in self.declared():
                clean.setdefault(field.name, None)
        self.check_across(clean, data, errors, partial)
        if errors:
            raise ValidationError(errors)
        return clean

    def assign(self, record: Any, clean: Mapping[str, Any]) -> None:
        """Write cleaned values (``clean``) to the record."""
        for field in self.declared():
            if field.name in clean:
                field.assign(record, clean[field.name])

    def form_values(self, record: Any) -> dict[str, Any]:
        """What the record's edit form starts with."""
        return {field.name: field.form_value(record) for field in self.declared()}

    def facts(self, record: Any) -> list[tuple[str, str, dict[str, Any]]]:
        """(label, msgid, parameters) of each field the record's page shows and the
        record has a value for; a msgid may name other fields (``%(capacity_unit)s``)."""
        out = []
        for field in self.declared():
            value = getattr(record, field.name, None)
            if field.fact and value not in (None, "", []):
                params = {"value": value}
                for name in re.findall(r"%\((\w+)\)s", field.fact):
                    if name != "value":
                        params[name] = getattr(record, name)
                out.append((field.fact_label, field.fact, params))
        return out

    def nullable(self, field: ma.fields.Field) -> bool:
        """Whether the API may show the field as null: as its column allows."""
        if not isinstance(field, Declared) or field.many:
            return bool(field.metadata.get("nullable"))
        column = sa_inspect(self.model).columns.get(field.column)
        return column is not None and column.nullable

    def openapi(self, direction: str, partial: bool = False) -> dict[str, Any]:
        """The object schema of a request (``"in"``) or a response (``"out"``): every
        key of a response is always there; a request's optional field takes null,
        which clears it."""
        properties, required = {}, []
        for name, field in self.fields.items():
            if direction == "in" and not isinstance(field, Declared):
                continue
            schema = field.openapi(direction)  # type: ignore[attr-defined]
            if direction == "out":
                schema = as_stored(schema)
            if (
                direction == "in"
                and not field.required
                or (direction == "out" and self.nullable(field))
            ):
                schema = nullable(schema)
            properties[name] = schema
            if direction == "out" or field.required and not partial:
                required.append(name)
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:  # OpenAPI 3.0 forbids an empty list
            result["required"] = required
        return result


# What input must satisfy but a stored value need not: rows older than a rule, a text
# cleared to "" (not an e-mail address), a tax code a survey left as it was.
_INPUT_ONLY = {"pattern", "maxLength", "minimum", "maximum", "exclusiveMinimum", "maxItems"}


def as_stored(schema: dict[str, Any]) -> dict[str, Any]:
    """A request field's schema as a response shows the value: its type (and date
    formats, enumerations, items), without the limits only input is held to."""
    out = {k: v for k, v in schema.items() if k not in _INPUT_ONLY}
    if out.get("format") not in (None, "date", "date-time"):
        del out["format"]
    if isinstance(out.get("items"), dict):
        out["items"] = as_stored(out["items"])
    return out


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null. OpenAPI 3.0 ignores siblings of ``$ref``, hence the ``allOf``."""
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


class Held(Shown):
    """A firm's certifications: in full on its page, as the standards it holds today on
    its card."""

    def __init__(self, **kw: Any):
        super().__init__({}, **kw)

    def serialize(self, attr: str, firm: Any, accessor: Any = None, **kwargs: Any) -> Any:
        if self.parent.detail:  # type: ignore[union-attr]
            return CertificationSchema(many=True).dump(firm.certifications)
        return sorted({c.standard for c in firm.valid_certifications()})

    def openapi(self, direction: str) -> dict[str, Any]:
        if self.parent.detail:  # type: ignore[union-attr]
            return {"type": "array", "items": {"$ref": "#/components/schemas/Certification"}}
        item = {"type": "string", "description": "Standard of a currently valid certification."}
        return {"type": "array", "items": item}


def _label(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


class FirmSchema(RecordSchema):
    model = Firm

    id = Shown(ID, card=True)
    role = Choice(
        FirmRole,
        _label(
            [("supplier", N_("Supplier")), ("buyer", N_("Buyer (assembler)")), ("both", N_("Both"))]
        ),
        card=True,
        headers=("loai", "vai tro"),
        label=N_("Role"),
        required=True,
    )
    ownership = Choice(
        Ownership,
        _label(
            [("domestic", N_("Domestic")), ("fdi", "FDI"), ("joint_venture", N_("Joint venture"))]
        ),
        card=True,
        headers=("loai hinh", "so huu"),
        label=N_("Ownership"),
    )
    name_vi = Text(
        200,
        card=True,
        headers=(
            "ten doanh nghiep",
            "ten cong ty",
            "ten dn",
            "doanh nghiep",
            "ten",
            "company name",
            "company",
            "firm",
            "name",
        ),
        label=N_("Name in Vietnamese"),
        starred=True,
    )
    name_en = Text(
        200,
        card=True,
        headers=("ten tieng anh", "ten giao dich", "english name", "name (en)"),
        label=N_("Name in English"),
    )
    tax_code = Text(
        14,
        tax_code,
        card=True,
        headers=("ma so thue", "mst", "tax code", "tax id"),
        label=N_("Tax code"),
        help=N_("10 digits, or 10-3 for a branch"),
        api={
            "type": "string",
            "pattern": r"^\d{10}(-?\d{3})?$",
            "description": "Vietnamese tax code (mã số thuế), check digit included.",
        },
    )
    country_of_origin = Text(
        60, headers=("quoc gia", "nuoc dau tu", "country"), label=N_("Country of origin (FDI)")
    )
    province = ProvinceRef(
        card=True,
        headers=("tinh", "tinh/thanh", "tinh/thanh pho", "tinh thanh"),
        label=N_("Province"),
        required=True,
    )
    province_name = Shown(
        {"type": "string"},
        lambda firm: firm.province.name_vi if firm.province else None,
        nullable=True,
        card=True,
    )
    former_province = Shown(
        {
            "type": "string",
            "description": "Code of the province before the 2025 map, kept as a region "
            "of today's (e.g. `VP` in `PT`).",
        },
        lambda firm: firm.former_province.code if firm.former_province else None,
        nullable=True,
        card=True,
    )
    former_province_name = Shown(
        {"type": "string"},
        lambda firm: firm.former_province.name_vi if firm.former_province else None,
        nullable=True,
        card=True,
    )
    zone = ZoneRef(
        card=True,
        headers=("kcn", "kcn/ccn", "khu cong nghiep", "cum cong nghiep", "industrial zone"),
        label=N_("Industrial zone or cluster"),
    )
    address = Text(300, headers=("dia chi",), label=N_("Address"))
    employees = Whole(
        1,
        1_000_000,
        card=True,
        headers=("so lao dong", "lao dong", "so nhan vien", "headcount"),
        label=N_("Employees"),
    )
    year_founded = Whole(
        1900,
        lambda: date.today().year,
        card=True,
        headers=("nam thanh lap", "year founded", "founded"),
        label=N_("Year founded"),
    )
    website = Text(MAX_WEBSITE, website, headers=("trang web", "web"), label=N_("Website"))
    contact_name = Text(
        120,
        contact=True,
        headers=("nguoi lien he", "lien he", "contact", "contact person"),
        label=N_("Contact person"),
    )
    contact_email = Text(
        MAX_EMAIL,
        email,
        contact=True,
        headers=("email", "e-mail", "thu dien tu"),
        label=N_("Email"),
        widget="email",
        api={"type": "string", "maxLength": MAX_EMAIL, "format": "email"},
    )
    contact_phone = Text(
        40, contact=True, headers=("dien thoai", "so dien thoai", "sdt", "phone"), label=N_("Phone")
    )
    sectors = Concepts(
        "sector",
        ids=True,
        card=True,
        headers=("nganh", "linh vuc", "nganh nghe", "sector"),
        label=N_("Sectors"),
        options=("sectors", "id"),
    )
    description = Text(
        MAX_TEXT, headers=("gioi thieu", "mo ta"), label=N_("About the firm"), widget="textarea"
    )
    certifications = Held(card=True)
    verified = Shown({"type": "boolean"}, lambda firm: firm.verified_at is not None, card=True)
    capabilities = Shown(
        {"type": "array", "items": {"$ref": "#/components/schemas/Capability"}},
        lambda firm: CapabilitySchema(many=True).dump(firm.capabilities),
    )
    created_at = Shown(TIMESTAMP, nullable=True)
    updated_at = Shown(TIMESTAMP, nullable=True)

    def __init__(
        self, session: Session | None = None, detail: bool = True, contact: bool = False, **kw
    ):
        """``detail``: the firm's page, else its card in a list; ``contact``: the
        contact person is shown (``catalog.access`` decides), else null."""
        if not detail:
            kw["only"] = [n for n, f in self._declared_fields.items() if f.metadata.get("card")]
        super().__init__(session, **kw)
        self.detail, self.contact = detail, contact

    @ma.post_dump
    def _hide_contact(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if not self.contact:
            for name, field in self.fields.items():
                if field.metadata.get("contact") and name in data:
                    data[name] = None
        return data

    def nullable(self, field: ma.fields.Field) -> bool:
        return field.metadata.get("contact") or super().nullable(field)

    def assign(self, record: Any, clean: Mapping[str, Any]) -> None:
        """Also place the firm in a former province when its province or zone is set:
        "Vĩnh Phúc" puts it in Phú Thọ, region former Vĩnh Phúc (``catalog.places``)."""
        super().assign(record, clean)
        if "province" in clean or "zone" in clean:
            record.former_province_id = former_of(
                self.session,
                record.province_id,
                named=getattr(clean.get("province"), "former_id", None),
                zone_id=record.zone_id,
                kept=record.former_province_id,
            )

    def check_across(self, clean, data, errors, partial):
        if not partial and not (clean.get("name_vi") or clean.get("name_en")):
            errors.setdefault("name_vi", N_("Give the firm's name in Vietnamese or English."))
        zone = clean.get("zone")
        if zone is not None and "zone" not in errors:
            province_id = clean.get("province") or data.get("_current_province_id")
            try:
                clean["zone"] = zone_ref(self.session, zone, province_id)
            except ValueError as exc:
                errors["zone"] = str(exc)


class CapabilitySchema(RecordSchema):
    model = Capability

    id = Shown(ID)
    firm_id = Shown(ID)
    title = Text(
        200, label=N_("Title"), required=True, wide=True, help=N_("e.g. Precision CNC turning")
    )
    description = Text(MAX_TEXT, label=N_("Description (Vietnamese or English)"), widget="textarea")
    process = ConceptRef(
        "process",
        label=N_("Main process"),
        options=("processes", "id"),
        fact=PLAIN,
        fact_label=N_("Process"),
    )
    products = Text(500, label=N_("Products"), fact=PLAIN)
    equipment = Text(500, label=N_("Equipment"), fact=PLAIN)
    hs_codes = Texts(
        hs_codes,
        {"type": "string", "pattern": r"^\d{4}(\.?\d{2}){0,3}$"},
        label=N_("HS codes"),
        help=N_("comma separated"),
        fact=PLAIN,
    )
    tolerance_mm = Decimal(
        0,
        100,
        label=N_("Tolerance (mm)"),
        help=N_("e.g. 0.01"),
        fact=N_("±%(value)s mm"),
        fact_label=N_("Tolerance"),
    )
    capacity_per_month = Whole(
        1,
        MAX_QUANTITY,
        label=N_("Capacity per month"),
        widget="text",
        fact=N_("%(value)s %(capacity_unit)s/month"),
        fact_label=N_("Capacity"),
    )
    capacity_unit = Text(20, label=N_("Unit"))
    min_order_qty = Whole(
        1, MAX_QUANTITY, label=N_("Minimum order"), widget="text", fact=PLAIN, fact_label=N_("MOQ")
    )
    lead_time_days = Whole(
        1,
        365,
        label=N_("Lead time (days)"),
        widget="text",
        help=N_("From order to delivery"),
        fact=N_("%(value)s days"),
        fact_label=N_("Lead time"),
    )
    materials = Concepts("material", label=N_("Materials"), options=("materials", "id"), fact=PLAIN)
    language = Shown({"type": "string"})
    updated_at = Shown(TIMESTAMP, nullable=True)


class CertificationSchema(RecordSchema):
    model = Certification

    id = Shown(ID)
    standard = Text(
        40,
        lambda v: standards([v])[0],
        label=N_("Standard"),
        required=True,
        widget="suggest",
        options=("standards", ""),
        api={"type": "string", "maxLength": 40, "description": "e.g. `ISO 9001`, `IATF 16949`."},
    )
    issuer = Text(120, label=N_("Certification body"))
    certificate_no = Text(60, label=N_("Certificate no."))
    valid_until = Day(label=N_("Valid until"))
    valid = Shown({"type": "boolean"}, lambda cert: cert.is_valid())


class NeedSchema(RecordSchema):
    model = Need

    id = Shown(ID)
    buyer_id = Shown(ID)
    buyer_name = Shown(
        {"type": "string"},
        lambda need: need.buyer.display_name if need.buyer else None,
        nullable=True,
    )
    title = Text(
        200,
        label=N_("Title"),
        required=True,
        wide=True,
        help=N_("e.g. PC/ABS injection moulded housings for set-top boxes"),
    )
    description = Text(MAX_TEXT, label=N_("Description (any language)"), widget="textarea")
    process = ConceptRef("process", label=N_("Process"), options=("processes", "id"))
    quantity_per_year = Whole(1, MAX_QUANTITY, label=N_("Quantity per year"), widget="text")
    target_price_vnd = Whole(
        1,
        MAX_PRICE_VND,
        label=N_("Target unit price (VND)"),
        widget="text",
        help=N_("Optional; shared with matched suppliers who can see this need."),
    )
    tolerance_mm = Decimal(0, 100, label=N_("Tolerance (mm)"))
    delivery_province = ProvinceRef(label=N_("Delivery province"))
    deadline = Day(label=N_("Deadline"))
    status = Choice(
        NeedStatus,
        _label(
            [
                ("open", N_("Open")),
                ("closed", N_("Closed")),
                ("awarded", N_("Awarded")),
                ("draft", N_("Draft")),
            ]
        ),
        label=N_("Status"),
        form="edit",
    )
    visibility = Choice(
        NeedVisibility,
        _label(
            [
                ("public", N_("Everyone")),
                ("registered", N_("Registered users")),
                ("officers", N_("Officers only")),
                ("invited", N_("Invited suppliers only")),
            ]
        ),
        label=N_("Who can see this need"),
    )
    materials = Concepts("material", label=N_("Materials"), options=("materials", "id"))
    required_certifications = Texts(
        standards,
        {"type": "string", "maxLength": 40, "description": "e.g. `ISO 9001`."},
        label=N_("Required certifications"),
        widget="checks",
        options=("standards", ""),
    )
    created_at = Shown(TIMESTAMP, nullable=True)


# -- what the rest of the code calls ---------------------------------------------------

# The records whose fields are declared here, as the audit log names them.
RECORDS: dict[str, type[RecordSchema]] = {
    "firm": FirmSchema,
    "capability": CapabilitySchema,
    "certification": CertificationSchema,
    "need": NeedSchema,
}


def field_labels() -> dict[tuple[str, str], str]:
    """(record, column) → the field's label: how the audit log names a change."""
    return {
        (entity, field.column): field.label
        for entity, schema in RECORDS.items()
        for field in schema().declared()
    }


def value_labels() -> dict[tuple[str, str], dict[str, str]]:
    """(record, column) → label of each value of a choice (a need's status …)."""
    return {
        (entity, field.column): dict(field.options)  # type: ignore[arg-type]
        for entity, schema in RECORDS.items()
        for field in schema().declared()
        if isinstance(field, Choice)
    }


def validate_firm(
    session: Session, data: Mapping[str, Any], partial: bool = False, tax_code_required: bool = True
) -> dict[str, Any]:
    """A firm's fields. Survey imports may lack the tax code (``tax_code_required``):
    such firms are matched by name and province instead."""
    schema = FirmSchema(session)
    schema.fields["tax_code"].required = tax_code_required
    schema.fields["tax_code"].allow_none = not tax_code_required
    return schema.clean(data, partial)


def validate_capability(
    session: Session, data: Mapping[str, Any], partial: bool = False
) -> dict[str, Any]:
    return CapabilitySchema(session).clean(data, partial)


def validate_certification(data: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
    return CertificationSchema().clean(data, partial)


def validate_need(session: Session, data: Mapping[str, Any], partial: bool = False) -> dict:
    return NeedSchema(session).clean(data, partial)
