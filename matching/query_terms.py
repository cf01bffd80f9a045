"""Hard terms typed in free text, turned into the requirements a need form states.

A buyer who types "wire harness IATF 16949" into the directory's search box, or
"Vỏ nhôm ADC12, dung sai 0,02, 10.000 cái/tháng, giao Bắc Ninh" into a need's
description, has stated requirements, not just words to look for: retrieval alone ranks
any harness maker first and never asks whether it holds the certificate. This module
recognises those terms (in Vietnamese or English, with or without diacritics) and gives
them as a small structured object with the fields of a need form, so that they become
the same checks (✓/✗) and weigh in ranking through the same path
(``constraints`` → ``engine.final_score``), and each term with a label in both
languages for "Understood: …" (the buyer can remove any of them: its ``key``).

What is recognised, and why only that:

* certifications: the vocabulary's certification concepts, only when written as a
  standard's code (a digit or an acronym: "IATF 16949", "ISO13485", "UL", "RoHS"), not
  when a phrase happens to be one of their terms ("thiết bị y tế" names ISO 13485's
  field, not a requirement); also "ISO 9001/14001" lists and other ISO/IATF numbers;
* material grades: material concepts written as a grade (a digit or an acronym:
  "SUS304", "ADC12", "inox 304", "PA66-GF30"), not a generic word ("dây điện");
* surface (and heat) treatments: the process concepts of finishing;
* tolerances ("±0.01 mm", "+/-20 µm", "dung sai 0,02"), quantities with a period
  ("50k pcs/year", "10.000 cái/tháng") and a delivery place (a province of either map,
  or a former town: ``catalog.places.resolve_place``).

Processes and part families stay what retrieval looks for: they describe the work,
and a need form's process field is the buyer's own choice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from catalog.models import Need
from catalog.places import resolve_place
from catalog.text import fold_aligned, nfc
from catalog.validation import canonical_standard

from .concepts import ConceptInfo, ConceptTagger
from .constraints import (
    VERIFIED,
    Check,
    Requirements,
    capability_checks,
    certification_checks,
)

# Finishing processes of the vocabulary: a treatment typed in a query is a requirement.
TREATMENTS = frozenset(
    {
        "process.heat_treatment",
        "process.electroplating",
        "process.zinc_plating",
        "process.chrome_plating",
        "process.nickel_plating",
        "process.anodizing",
        "process.polishing",
        "process.shot_blasting",
        "process.painting",
        "process.powder_coating",
        "process.ed_coating",
        "process.surface_coating_pvd",
        "process.passivation",
        "process.zinc_flake_coating",
        "process.tin_plating",
        "process.precious_metal_plating",
        "process.copper_plating",
        "process.conformal_coating",
        "process.non_stick_coating",
    }
)

CERTIFICATION, MATERIAL, TREATMENT = "certification", "material", "treatment"
TOLERANCE, QUANTITY, DELIVERY = "tolerance", "quantity", "delivery"

_NUM = r"\d+(?:[.,]\d+)*"
_ISO_LIST_RE = re.compile(
    r"\b(iso|iatf)\s*-?\s*(\d{4,5})((?:\s*[/,&+]\s*(?:iso\s*)?\d{4,5})*)", re.IGNORECASE
)
_TOLERANCE_RE = re.compile(
    r"(?:(?P<word>tolerances?|dung sai|sai so|do chinh xac|accuracy)\s*(?:of|la|:|=)?\s*"
    r"(?P<pm1>±|\+/-|\+-)?|(?P<pm2>±|\+/-|\+-))\s*(?P<num>\d+(?:[.,]\d+)?)\s*"
    r"(?P<unit>mm|µm|μm|um|microns?|micromet)?(?![a-z0-9])"
)
_QUANTITY_RE = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<mult>k|nghin|ngan|trieu|tr|million|thousand)?\s*"
    r"(?P<unit>pcs|pc|pieces|piece|units|unit|parts|sets|cai|chiec|san pham|sp|bo)?\.?\s*"
    r"(?P<sep>/|per|a|an|each|every|moi|mot|tren|hang|trong)?\s*"
    r"(?P<period>years?|yr|annum|nam|months?|mo|thang|weeks?|tuan)(?![a-z0-9])"
)
_MULTIPLIERS = {
    "k": 1_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "thousand": 1_000,
    "trieu": 1_000_000,
    "tr": 1_000_000,
    "million": 1_000_000,
}
_PER_YEAR = {"year": 1, "yr": 1, "annum": 1, "nam": 1, "month": 12, "mo": 12, "thang": 12}
_PER_YEAR |= {"week": 52, "tuan": 52}
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Term:
    """One hard term understood in a text: what it requires and how to name it."""

    key: str  # stable id of the term, what a buyer's "remove" stores
    kind: str  # certification | material | treatment | tolerance | quantity | delivery
    value: Any  # a standard, a concept id, mm, pieces per year, a province id
    text: str  # as written
    label_vi: str
    label_en: str

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "value": self.value,
            "text": self.text,
            "label_vi": self.label_vi,
            "label_en": self.label_en,
        }


@dataclass
class QueryTerms:
    """The hard terms of a text, in the order written, with the fields of a need form."""

    terms: list[Term] = field(default_factory=list)
    # What the structured fields point at (concept infos, the province row), by term key.
    _objects: dict[str, Any] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def of_kind(self, kind: str) -> list[Term]:
        return [t for t in self.terms if t.kind == kind]

    @property
    def required_certifications(self) -> list[str]:
        return [t.value for t in self.of_kind(CERTIFICATION)]

    @property
    def materials(self) -> list[str]:
        return [t.value for t in self.of_kind(MATERIAL)]

    @property
    def treatments(self) -> list[str]:
        return [t.value for t in self.of_kind(TREATMENT)]

    @property
    def tolerance_mm(self) -> float | None:
        return next((t.value for t in self.of_kind(TOLERANCE)), None)

    @property
    def quantity_per_year(self) -> int | None:
        return next((t.value for t in self.of_kind(QUANTITY)), None)

    @property
    def delivery_province_id(self) -> int | None:
        return next((t.value for t in self.of_kind(DELIVERY)), None)

    def without(self, keys: Collection[str]) -> QueryTerms:
        """These terms but those the buyer removed."""
        kept = [t for t in self.terms if t.key not in set(keys)]
        return QueryTerms(kept, {k: v for k, v in self._objects.items() if k not in set(keys)})

    def requirements(self) -> Requirements:
        """The terms alone as the requirements checks read (the directory's query)."""
        return merge_requirements(None, self)

    def fields(self) -> dict[str, Any]:
        """The need form's fields the terms fill (for the API and the form)."""
        return {
            "required_certifications": self.required_certifications,
            "materials": self.materials,
            "treatments": self.treatments,
            "tolerance_mm": self.tolerance_mm,
            "quantity_per_year": self.quantity_per_year,
            "delivery_province": self.delivery_province_id,
        }

    def as_list(self) -> list[dict[str, Any]]:
        return [t.as_dict() for t in self.terms]


def _grade_like(surface: str, first_token_only: bool = False) -> bool:
    """Written as a code, grade or acronym: a digit, or two capitals in one word."""
    words = surface.split()
    if first_token_only:
        words = words[:1]
    return any(any(ch.isdigit() for ch in w) or sum(ch.isupper() for ch in w) >= 2 for w in words)


def _vi_number(value: float | int) -> str:
    """1.234,5 as Vietnamese writes it (thousands with dots, decimals with a comma)."""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _mm(value: float) -> str:
    return f"{value:g}"


def _number(text: str, decimal: bool = False) -> float | None:
    """ "10.000" and "10,000" are ten thousand; "0,02", "0.005" and "1.5" are decimals
    (and every number when ``decimal``: a tolerance)."""
    if not decimal and re.fullmatch(r"[1-9]\d{0,2}(?:[.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


class _Found:
    """Terms as they are found, each at its offset, with what covered the text."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Term, Any]] = []
        self.covered: list[tuple[int, int]] = []

    def add(self, start: int, end: int, term: Term, obj: Any = None) -> None:
        self.covered.append((start, end))
        if all(t.key != term.key for _, t, _ in self.items):
            self.items.append((start, term, obj))

    def overlaps(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self.covered)


def _standard_term(
    standard: str, surface: str, shown: str | None = None, shown_vi: str | None = None
) -> Term:
    """``standard`` as certificates are stored (``canonical_standard``); ``shown`` as
    the vocabulary writes it ("RoHS", stored "ROHS"), ``shown_vi`` its Vietnamese name
    where it has one ("PPAP / APQP", not "PPAP and APQP")."""
    shown = shown or standard
    return Term(
        f"cert:{standard}",
        CERTIFICATION,
        standard,
        surface,
        f"Yêu cầu {shown_vi or shown}",
        f"{shown} required",
    )


def _concept_surfaces(text: str, tagger: ConceptTagger) -> list[tuple[int, int, str, str]]:
    """(start, end, concept id, surface) of each concept the tagger finds, in order."""
    original = nfc(text)
    found = []
    for hit in tagger.tag(original):
        start = original.find(hit.term)
        if start < 0:
            start = len(original)
        found.append((start, start + len(hit.term), hit.concept_id, hit.term))
    return sorted(found)


def _concept_terms(text: str, tagger: ConceptTagger, found: _Found) -> None:
    for start, end, concept_id, surface in _concept_surfaces(text, tagger):
        info: ConceptInfo | None = tagger.info(concept_id)
        if info is None:
            continue
        if info.kind == "certification" and _grade_like(surface, first_token_only=True):
            name = info.name_en if len(info.name_en) <= 16 else surface
            name_vi = info.name_vi if len(info.name_vi) <= 16 else surface
            term = _standard_term(canonical_standard(name), surface, name, name_vi)
            found.add(start, end, term)
        elif info.kind == "material" and _grade_like(surface):
            grade = " ".join(w for w in surface.split() if _grade_like(w))
            shown_vi, shown_en = info.name_vi, info.name_en
            if grade.lower() not in info.name_en.lower():
                shown_en = f"{info.name_en} ({grade})"
            if grade.lower() not in info.name_vi.lower():
                shown_vi = f"{info.name_vi} ({grade})"
            term = Term(
                f"material:{concept_id}",
                MATERIAL,
                concept_id,
                surface,
                f"vật liệu {shown_vi}",
                f"material {shown_en}",
            )
            found.add(start, end, term, info)
        elif info.kind == "process" and concept_id in TREATMENTS:
            term = Term(
                f"treatment:{concept_id}",
                TREATMENT,
                concept_id,
                surface,
                f"xử lý {info.name_vi}",
                f"treatment {info.name_en}",
            )
            found.add(start, end, term, info)


def _standard_lists(original: str, folded: str, found: _Found) -> None:
    """ "ISO 9001/13485/14001", "iso9001, 14001" and numbers the vocabulary lacks."""
    for m in _ISO_LIST_RE.finditer(folded):
        body = m.group(1).upper()
        numbers = [m.group(2), *re.findall(r"\d{4,5}", m.group(3) or "")]
        for number in numbers:
            standard = canonical_standard(f"{body} {number}")
            start = m.start() if number == m.group(2) else m.start(3)
            found.add(start, m.end(), _standard_term(standard, original[m.start() : m.end()]))


def _tolerances(original: str, folded: str, found: _Found) -> None:
    for m in _TOLERANCE_RE.finditer(folded):
        unit = m.group("unit")
        if m.group("word") is None and unit is None:
            continue  # "±5%" or "±2" alone is no tolerance in mm
        value = _number(m.group("num"), decimal=True)
        if value is None or value <= 0:
            continue
        if unit and unit[0] in "µμu" or unit and unit.startswith("micro"):
            value = value / 1000
        if value > 10:
            continue
        value = round(value, 6)
        term = Term(
            f"tolerance:{_mm(value)}",
            TOLERANCE,
            value,
            original[m.start() : m.end()].strip(),
            f"dung sai ±{_vi_number(value)} mm",
            f"tolerance ±{_mm(value)} mm",
        )
        found.add(m.start(), m.end(), term)
        return


def _quantities(original: str, folded: str, found: _Found) -> None:
    for m in _QUANTITY_RE.finditer(folded):
        if found.overlaps(m.start(), m.end()):
            continue
        value = _number(m.group("num"))
        if value is None:
            continue
        value *= _MULTIPLIERS.get(m.group("mult") or "", 1)
        period = m.group("period").removesuffix("s")
        per_year = int(math.ceil(value * _PER_YEAR.get(period, 1)))
        if not (m.group("mult") or m.group("unit") or m.group("sep")):
            continue  # "3 năm", "12 months": a duration, not a quantity
        if per_year <= 0:
            continue
        term = Term(
            f"quantity:{per_year}",
            QUANTITY,
            per_year,
            original[m.start() : m.end()].strip(),
            f"số lượng {_vi_number(per_year)}/năm",
            f"quantity {per_year:,}/year",
        )
        found.add(m.start(), m.end(), term)
        return


def _delivery(session: Session, original: str, folded: str, found: _Found) -> None:
    """The first province (current, former, or a former town) named by 2 to 4 words."""
    words = [m.span() for m in _WORD_RE.finditer(folded)]
    for i in range(len(words)):
        for n in (4, 3, 2):
            if i + n > len(words):
                continue
            start, end = words[i][0], words[i + n - 1][1]
            if found.overlaps(start, end):
                continue
            chunk = folded[start:end]
            if any(w.isdigit() for w in chunk.split()):
                continue
            place = resolve_place(session, original[start:end])
            if place is None:
                continue
            province = place.province
            term = Term(
                f"delivery:{province.code}",
                DELIVERY,
                province.id,
                original[start:end],
                f"giao tại {place.label('vi')}",
                f"delivery to {place.label('en')}",
            )
            found.add(start, end, term, province)
            return


def understand(
    text: str,
    tagger: ConceptTagger,
    session: Session | None = None,
    dismissed: Collection[str] = (),
) -> QueryTerms:
    """The hard terms of ``text`` (a need's title and description, a directory search),
    but those whose key is in ``dismissed``; places only with a ``session``."""
    original = nfc(text)
    if not original:
        return QueryTerms()
    folded = fold_aligned(original)
    found = _Found()
    _concept_terms(original, tagger, found)
    _standard_lists(original, folded, found)
    _tolerances(original, folded, found)
    _quantities(original, folded, found)
    if session is not None:
        _delivery(session, original, folded, found)
    items = sorted(found.items, key=lambda item: item[0])
    terms = QueryTerms(
        [t for _, t, _ in items], {t.key: obj for _, t, obj in items if obj is not None}
    )
    return terms.without(dismissed) if dismissed else terms


def need_terms(session: Session | None, need: Need, tagger: ConceptTagger) -> QueryTerms:
    """The terms of a need's title and description, all of them (also those dismissed)."""
    return understand(f"{need.title}. {need.description or ''}", tagger, session)


def merge_requirements(need: Need | None, terms: QueryTerms) -> Requirements:
    """A need's requirements: what its form says, and for each field the form leaves
    empty, what its text says (the form wins when both say something)."""
    materials = list(need.materials) if need is not None else []
    if not materials:
        materials = [terms._objects[t.key] for t in terms.of_kind(MATERIAL)]
    certifications = list(need.required_certifications or []) if need is not None else []
    if not certifications:
        certifications = terms.required_certifications
    province = need.delivery_province if need is not None else None
    if province is None:
        province = next((terms._objects[t.key] for t in terms.of_kind(DELIVERY)), None)
    quantity = need.quantity_per_year if need is not None else None
    tolerance = need.tolerance_mm if need is not None else None
    return Requirements(
        process_id=need.process_id if need is not None else None,
        process=need.process if need is not None else None,
        materials=materials,
        quantity_per_year=quantity or terms.quantity_per_year,
        tolerance_mm=tolerance or terms.tolerance_mm,
        required_certifications=certifications,
        delivery_province=province,
        delivery_province_id=province.id if province is not None else None,
        treatments=[terms._objects[t.key] for t in terms.of_kind(TREATMENT)],
    )


def need_requirements(
    session: Session | None, need: Need, tagger: ConceptTagger
) -> tuple[Requirements, QueryTerms]:
    """A need's requirements (form and text merged, the buyer's removals left out) and
    the terms understood in its text (those still applied)."""
    terms = need_terms(session, need, tagger).without(getattr(need, "dismissed_terms", None) or [])
    return merge_requirements(need, terms), terms


def dismiss(need: Need, key: str, restore: bool = False) -> bool:
    """Record that the buyer removed (or, ``restore``, put back) the term ``key`` of the
    need's text; whether that changed anything. The caller commits."""
    keys = list(need.dismissed_terms or [])
    if restore == (key not in keys) or not key or len(key) > 120:
        return False
    keys = [k for k in keys if k != key] if restore else [*keys, key]
    need.dismissed_terms = keys[-50:]
    return True


# Firms of a directory search checked against its hard terms: the first this many by
# relevance (the IATF holder seventh by relevance must be checked to come first).
DIRECTORY_POOL = 100


def constrain_ranking(
    session: Session,
    engine: Any,
    ranked: list[tuple],
    terms: QueryTerms,
    pool: int = DIRECTORY_POOL,
) -> tuple[list[tuple], dict[int, list[Check]]]:
    """A directory search's ranking ((firm id, score, best capability id, …), best first)
    with its hard terms applied: the first ``pool`` firms are checked as a need's
    matches are (``constraints``) and rescored by ``engine.final_score``, so that a firm
    lacking a required certificate falls behind one holding it. Returns the new ranking
    and each checked firm's checks; without terms, the ranking as it was."""
    from .engine import final_score  # the engine imports this module

    if not terms or not ranked:
        return ranked, {}
    requirements = terms.requirements()
    head, tail = ranked[:pool], ranked[pool:]
    facts = engine.firms.get(session, [r[0] for r in head])
    rescored: list[tuple] = []
    checks: dict[int, list[Check]] = {}
    for fid, score, cap_id, *rest in head:
        firm = facts.get(fid)
        cap = next((c for c in firm.capabilities if c.id == cap_id), None) if firm else None
        if cap is None:
            rescored.append((fid, score, cap_id, *rest))
            continue
        checks[fid] = certification_checks(requirements, firm) + [
            c for c in capability_checks(requirements, cap, firm) if c.name != VERIFIED
        ]
        rescored.append((fid, final_score(score, checks[fid])[0], cap_id, *rest))
    rescored.sort(key=lambda r: (-r[1], r[0]))
    return rescored + tail, checks


__all__ = [
    "DIRECTORY_POOL",
    "constrain_ranking",
    "dismiss",
    "QueryTerms",
    "Term",
    "TREATMENTS",
    "merge_requirements",
    "need_requirements",
    "need_terms",
    "understand",
]
