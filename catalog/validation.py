"""The parsers every input goes through, and the error that reports them.

Views, the JSON API and importers all pass raw input (form strings or JSON values)
through these parsers, by way of a record's declared fields (``catalog.schemas``) or
of a small checker (``_Checker``) for records with few fields, and get back clean,
typed values or a ``ValidationError`` with one message per field. Keeping the rules
here means every entry point refuses the same things for the same reasons.

Every text value is cleaned by ``clean_text`` (through a declared field, ``_Checker``,
or ``clean_field`` for a message or a note outside a validator): converted from legacy
encodings, NFC, white space collapsed, and refused (a field error, so the API answers
422 and a form shows the message) when it holds a control character, NUL, a
bidirectional override or isolate, a noncharacter or an unpaired surrogate
(``catalog.text``). Refused rather than removed, in every field: an invisible
character is either a mistake the writer should see or an attempt to make text read
otherwise than it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

from .i18n import N_
from .legacy_encoding import to_unicode
from .models import Concept, Province
from .places import resolve_place
from .text import code_points, fold, forbidden_characters, has_surrogates, nfc, nfc_lines

MAX_QUANTITY = 1_000_000_000  # beyond any single need, and within an SQL integer
MAX_TEXT = 5000
MAX_PRICE_VND = 1_000_000_000_000  # a trillion đồng per unit is beyond any component
MAX_ID = 2**31 - 1  # the largest primary key (PostgreSQL integer) a record can have
# Column lengths (``catalog.models``) of values a validator rewrites before they are stored.
MAX_EMAIL = 200
MAX_WEBSITE = 200


def record_id(value: Any) -> int:
    """A primary key from user input: a positive integer a database can hold, else
    ValueError (Werkzeug's ``args.get(type=record_id)`` then gives the default)."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"not a record id: {value!r}")
    return number


def get_by_id(session: Session, model: type, value: Any) -> Any:
    try:
        return session.get(model, record_id(value))
    except (TypeError, ValueError):
        return None


# An e-mail address: no white space, nor any character no stored text may hold (so an
# account's address, checked with this alone, cannot carry one either).
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]+"
EMAIL_RE = re.compile(rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$")
_HS_RE = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")
_THOUSANDS_RE = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")
_STANDARD_RE = re.compile(r"^(ISO/IEC|ISO/TS|ISO|IATF|IEC|JIS|TCVN)\s*(\d+)", re.I)


class ValidationError(ValueError):
    """Raised with ``errors``: field name → message, for every field that failed."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def clean_text(value: str, multiline: bool = False) -> str:
    """Text as stored: legacy TCVN3/VNI mojibake converted, NFC, white space collapsed
    (``multiline``: line breaks kept as "\\n"). ValueError when it holds a character no
    stored text may hold; white-space controls (vertical tab, form feed, U+001C–U+001F,
    U+0085) are white space and collapse like any other."""
    if has_surrogates(value):  # before anything tries to encode it
        raise ValueError(forbidden_message(forbidden_characters(value)))
    if not value.isascii():
        # Old spreadsheets and fonts: TCVN3/VNI text arrives as mojibake.
        value = to_unicode(value)[0]
    value = nfc_lines(value) if multiline else nfc(value)
    bad = forbidden_characters(value)
    if bad:
        raise ValueError(forbidden_message(bad))
    return value


def forbidden_message(chars: list[str]) -> str:
    """The refusal of text holding ``chars`` (``catalog.text.forbidden_characters``)."""
    return N_(
        "Remove the invisible control or text-direction characters (%(chars)s): "
        "they cannot be stored.",
        chars=code_points(chars[:5]),
    )


def clean_field(field: str, value: Any, multiline: bool = False) -> str:
    """One free-text value outside a validator (a message, a note, an account's name),
    cleaned like every validated text, or a ``ValidationError`` naming ``field``."""
    try:
        return clean_text("" if value is None else str(value), multiline=multiline)
    except ValueError as exc:
        raise ValidationError({field: exc.args[0]}) from None


class _Checker:
    """Collects field errors so that one submission reports all its problems at once."""

    def __init__(self, data: Mapping[str, Any], partial: bool = False):
        self.data = data
        self.partial = partial
        self.errors: dict[str, str] = {}
        self.clean: dict[str, Any] = {}

    def present(self, field: str) -> bool:
        return field in self.data

    def value(self, field: str) -> Any:
        """The field's value, text cleaned (``clean_text``); ValueError when refused."""
        value = self.data.get(field)
        if isinstance(value, str):
            value = clean_text(value)
            return value if value != "" else None
        return value

    def run(self, field: str, parse: Callable[[Any], Any], required: bool = False) -> None:
        if self.partial and not self.present(field):
            return
        try:
            raw = self.value(field)
        except ValueError as exc:
            self.errors[field] = exc.args[0]
            return
        if raw == [] and not getattr(parse, "many", False):
            # An empty list where one value belongs is not "no value": stored as it is,
            # PostgreSQL refuses it as an integer or text ('{}') and the request failed.
            self.errors[field] = N_("Give one value, not a list.")
            return
        if raw is None or raw == []:
            if required:
                self.errors[field] = N_("This field is required.")
            else:
                self.clean[field] = [] if raw == [] else None
            return
        try:
            self.clean[field] = parse(raw)
        except (ValueError, TypeError) as exc:
            message = exc.args[0] if exc.args else ""
            self.errors[field] = (
                message if isinstance(message, str) and message else N_("Invalid value.")
            )

    def finish(self) -> dict[str, Any]:
        if self.errors:
            raise ValidationError(self.errors)
        return self.clean


def many(parse: Callable[[Any], list]) -> Callable[[Any], list]:
    """Mark a parser as taking a list (an empty list then clears the field)."""
    parse.many = True  # type: ignore[attr-defined]
    return parse


def text(max_len: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(N_("Must be text."))
        if len(value) > max_len:
            raise ValueError(
                N_("Must be at most %(max)s characters (got %(got)s).", max=max_len, got=len(value))
            )
        return value

    return parse


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(N_("Must be a whole number."))
        if isinstance(value, str):
            s = value.strip()
            if _THOUSANDS_RE.match(s):
                s = re.sub(r"[.,\s]", "", s)
            try:
                value = int(s)
            except ValueError:
                raise ValueError(N_("Must be a whole number.")) from None
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(N_("Must be a whole number."))
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(N_("Must be a whole number."))
        if not low <= value <= high:
            raise ValueError(N_("Must be between %(low)s and %(high)s.", low=low, high=high))
        return value

    return parse


def decimal(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(N_("Must be a number."))
        try:
            number = float(str(value).replace(",", ".").lstrip("±").strip())
        except ValueError:
            raise ValueError(N_("Must be a number.")) from None
        if not low < number <= high:
            raise ValueError(
                N_("Must be greater than %(low)s and at most %(high)s.", low=low, high=high)
            )
        return number

    return parse


def iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(N_("Must be a date written YYYY-MM-DD.")) from None


def choice(enum_cls: type) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        try:
            return enum_cls(str(value).lower())
        except ValueError:
            allowed = ", ".join(m.value for m in enum_cls)
            raise ValueError(N_("Must be one of: %(allowed)s.", allowed=allowed)) from None

    return parse


def tax_code(value: Any) -> str:
    """Vietnamese tax code (mã số thuế): 10 digits with check digit, or 10+3 for a branch."""
    try:
        return mst.validate(str(value))
    except InvalidChecksum:
        raise ValueError(N_("Tax code check digit is wrong (mã số thuế không hợp lệ).")) from None
    except InvalidLength:
        raise ValueError(N_("Tax code must have 10 digits, or 13 for a branch (10-3).")) from None
    except StdnumError:
        raise ValueError(N_("Not a valid Vietnamese tax code (mã số thuế).")) from None


def email(value: Any) -> str:
    # Lower-cased before the length is checked: the limit is the stored address's, and
    # lower-casing can lengthen it ("İ" becomes "i" and a combining dot).
    value = str(value).strip().lower()
    if len(value) > MAX_EMAIL or not EMAIL_RE.match(value):
        raise ValueError(N_("Not a valid e-mail address."))
    return value


def website(value: Any) -> str:
    """A web address as stored, with its scheme: ``https://`` is added to one without,
    and counts towards the limit (else a 195-character address fits the check and not
    the column, which PostgreSQL refuses)."""
    value = str(value).strip()
    if " " in value or "." not in value:
        raise ValueError(N_("Not a valid web address."))
    if not re.match(r"^https?://", value, re.I):
        value = "https://" + value
    if len(value) > MAX_WEBSITE:
        raise ValueError(N_("Not a valid web address."))
    return value


@many
def string_list(value: Any) -> list[str]:
    """Accept a list or a comma/semicolon/newline separated string."""
    if isinstance(value, str):
        items = re.split(r"[,;\n]", value)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValueError(N_("Must be a list."))
    out = [item for item in (clean_text(str(i)) for i in items) if item]
    if len(out) > 50:
        raise ValueError(N_("At most 50 items."))
    return out


@many
def hs_codes(value: Any) -> list[str]:
    codes = string_list(value)
    bad = [c for c in codes if not _HS_RE.match(c)]
    if bad:
        raise ValueError(
            N_("Not an HS code (4 to 10 digits): %(codes)s.", codes=", ".join(bad[:3]))
        )
    return [c.replace(".", "") for c in codes]


def canonical_standard(value: str) -> str:
    """'iso 9001:2015' → 'ISO 9001', 'IATF16949' → 'IATF 16949'; others upper-cased."""
    value = nfc(value)
    m = _STANDARD_RE.match(value)
    if m:
        return f"{m.group(1).upper()} {m.group(2)}"
    return value.upper() if len(value) <= 12 else value


@many
def standards(value: Any) -> list[str]:
    items = [canonical_standard(s) for s in string_list(value)]
    if any(len(s) > 40 for s in items):
        raise ValueError(N_("A certification name must be at most 40 characters."))
    return list(dict.fromkeys(items))


def concept_ref(session: Session, kind: str) -> Callable[[Any], str]:
    """Accept a concept id or any of its names/terms, diacritics-insensitively."""

    def parse(value: Any) -> str:
        value = str(value)
        concept = session.get(Concept, value)
        if concept is None:
            key = fold(value)
            for c in session.scalars(select(Concept).where(Concept.kind == kind)):
                names = [c.name_vi, c.name_en, *c.terms]
                if any(fold(n) == key for n in names):
                    concept = c
                    break
        if concept is None or concept.kind != kind:
            raise ValueError(N_("Unknown %(kind)s: %(value)s.", kind=kind, value=repr(value)))
        return concept.id

    return parse


def concept_list(session: Session, kind: str) -> Callable[[Any], list[str]]:
    one = concept_ref(session, kind)

    def parse(value: Any) -> list[str]:
        return list(dict.fromkeys(one(v) for v in string_list(value)))

    return many(parse)


class PlaceId(int):
    """A current province's id that remembers the former province its text named
    (``former_id``; None when the text named the current unit)."""

    former_id: int | None = None


def province_ref(session: Session) -> Callable[[Any], int]:
    """Accept a province by id, or by any code or name of the current map or the one
    before 2025, an alias or a former town (``catalog.places``); the current unit's id."""

    def parse(value: Any) -> int:
        former_id = None
        if isinstance(value, int) and not isinstance(value, bool):
            prov = get_by_id(session, Province, value)
        else:
            s = str(value)
            place = resolve_place(session, s)
            prov = place.province if place is not None else None
            former_id = place.former.id if place is not None and place.former else None
            if prov is None:
                prov = session.scalar(select(Province).where(Province.code == s.upper()))
            if prov is None and s.isdigit():
                prov = get_by_id(session, Province, s)
        if prov is None:
            raise ValueError(N_("Unknown province: %(value)s.", value=repr(value)))
        result = PlaceId(prov.id)
        result.former_id = former_id
        return result

    return parse


def validate_relationship(session: Session, data: Mapping[str, Any]) -> dict:
    c = _Checker(data)
    c.run("tier", integer(1, 2), required=True)
    c.run("since", iso_date)
    c.run("part_families", concept_list(session, "part_family"))
    return c.finish()
