"""The built-in translation provider: a structured gloss of what the vocabulary understands.

No offline machine translation of usable quality can be installed here, and a small
language model that turns "sơn tĩnh điện" (powder coating) into "static electricity"
is worse than nothing in sourcing. The gloss renders only what it knows, in the order
the text gives it: processes, materials and grades, part families, certificates and
sectors (the bilingual taxonomy, catalog/data/taxonomy.json), the words around them
that a sourcing text is made of (``data/lexicon.json``: "dung sai" is "tolerance",
"theo bản vẽ" "to drawing"), and numbers read by small recognisers (tolerances,
capacities and quantities per period, dimensions, experience, head counts), written
the reader's way ("90.000 sản phẩm/tháng" → "90,000/month"). Words it did not
understand stay as the original wrote them, marked so, never guessed::

    Đúc áp lực nhôm ADC12 vỏ đèn LED, dung sai ±0.1 mm, 90.000 sp/tháng
    → Aluminium die casting · ADC12 die-casting aluminium · LED lamp housings and lenses
      · tolerance · ±0.1 mm · 90,000/month

``python -m matching.translation.gloss --coverage`` measures the share of content words
it covers, per direction, on the development set's needs and the demo catalogue's texts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from catalog.text import fold_aligned, nfc, strip_diacritics

from ..concepts import ConceptTagger
from .provider import Part, Rendering

LEXICON_FILE = Path(__file__).parent / "data" / "lexicon.json"
# Bumped whenever the recognisers render differently: cached glosses are then remade.
RECOGNISERS_VERSION = "1"

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.\-/+][a-z0-9]+)*")
_NUM = r"\d+(?:[.,]\d+)*"


# -- numbers ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Number:
    value: float
    decimals: int  # digits after the decimal mark as written
    grouped: bool  # written with thousands separators, or scaled ("50k")


def _number(written: str, scale: float = 1) -> _Number:
    """A number as Vietnamese or English write it: "95.000" and "95,000" are 95000,
    "0.02" and "0,02" are 0.02; a group of exactly three digits after the only mark is
    a thousands group unless the number starts with 0."""
    marks = re.findall(r"[.,]", written)
    digits = re.split(r"[.,]", written)
    grouped = bool(marks) and all(len(d) == 3 for d in digits[1:]) and written[0] != "0"
    if grouped and len(set(marks)) == 1:
        value, decimals = float("".join(digits)), 0
    elif marks:
        value, decimals = float("".join(digits[:-1]) + "." + digits[-1]), len(digits[-1])
    else:
        value, decimals = float(written), 0
    if scale != 1:
        return _Number(value * scale, 0, True)
    return _Number(value, decimals, grouped)


def _format(number: _Number, lang: str) -> str:
    """The number written the reader's way: 90,000 and 0.1 in English, 90.000 and 0,1
    in Vietnamese; a year or a code written without separators keeps its digits."""
    text = (
        f"{number.value:,.{number.decimals}f}"
        if number.grouped
        else (f"{number.value:.{number.decimals}f}")
    )
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


_SCALES = {"k": 1e3, "nghin": 1e3, "ngan": 1e3, "tr": 1e6, "trieu": 1e6, "million": 1e6}
_PIECES = {
    "pcs", "pc", "piece", "pieces", "unit", "units", "sp", "san pham", "chiec", "cai",
    "con", "part", "parts", "products",
}  # fmt: skip
_UNITS = {  # folded unit as written → (English, Vietnamese)
    "set": ("sets", "bộ"), "sets": ("sets", "bộ"), "bo": ("sets", "bộ"),
    "tan": ("t", "tấn"), "ton": ("t", "tấn"), "tons": ("t", "tấn"), "tonnes": ("t", "tấn"),
    "kg": ("kg", "kg"), "m2": ("m²", "m²"), "m": ("m", "m"), "met": ("m", "m"),
    "meters": ("m", "m"), "metres": ("m", "m"), "cuon": ("rolls", "cuộn"),
    "rolls": ("rolls", "cuộn"), "doi": ("pairs", "đôi"), "pairs": ("pairs", "đôi"),
}  # fmt: skip
_PERIODS = {
    "thang": ("month", "tháng"), "month": ("month", "tháng"), "mo": ("month", "tháng"),
    "nam": ("year", "năm"), "year": ("year", "năm"), "yr": ("year", "năm"),
    "tuan": ("week", "tuần"), "week": ("week", "tuần"), "ngay": ("day", "ngày"),
    "day": ("day", "ngày"), "ca": ("shift", "ca"), "shift": ("shift", "ca"),
}  # fmt: skip
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _PIECES | set(_UNITS)), key=len, reverse=True))
_PERIOD_RE = "|".join(sorted(_PERIODS, key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})\s*(?P<scale>k|nghin|ngan|trieu|tr|million)?\b\s*"
    rf"(?P<unit>{_UNIT_RE})?\b"
    rf"(?P<period>\s*(?:/|\bper\b|\bmoi\b|\bmot\b|\beach\b|\bhang\b|\ba\b)\s*(?:{_PERIOD_RE})\b)?"
)
_TOLERANCE = re.compile(rf"(?:±|\+/-|\+-)\s*(?P<num>{_NUM})\s*(?P<unit>mm|µm|um|micron|%)?")
_LENGTH = re.compile(
    rf"(?<![\w.,])(?P<dia>ø\s*|phi\s*)?(?P<nums>{_NUM}(?:\s*[x×*]\s*{_NUM})*)\s*"
    r"(?P<unit>mm|cm|µm|um|micron|inch)\b"
)
_EXPERIENCE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})\+?\s*(?:nam|years?)\s*(?:of\s*)?(?:kinh nghiem|experience)\b"
)
_FOUNDED = re.compile(r"\b(?:thanh lap|founded|established)\s*(?:nam|in)?\s*(?P<year>\d{4})\b")
_STAFF = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM})\s*(?:lao dong|cong nhan|nhan vien|nguoi|employees|workers"
    r"|staff)\b"
)
_PERCENT = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})\s*%")
_THREAD = re.compile(r"\bM\d+(?:[.,]\d+)?(?:\s*[x×]\s*\d+(?:[.,]\d+)?)?\b")
_FRACTION = re.compile(r'(?<![\w.,/])\d+/\d+(?:\s*(?:"|inch\b))?')
_BARE = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})(?![\w])")


def _quantity(m: re.Match[str], lang: str) -> str | None:
    unit, period = m["unit"], m["period"]
    if not unit and not period:
        return None
    number = _number(m["num"], _SCALES[m["scale"]] if m["scale"] else 1)
    if not number.grouped and number.decimals == 0 and number.value >= 10000:
        number = _Number(number.value, 0, True)
    text = _format(number, lang)
    if unit and unit not in _PIECES:
        text += " " + _UNITS[unit][lang == "vi"]
    elif unit and not period:
        text += " pcs" if lang == "en" else " sản phẩm"
    if period:
        word = re.search(rf"({_PERIOD_RE})\s*$", period)[1]  # type: ignore[index]
        text += "/" + _PERIODS[word][lang == "vi"]
    return text


def recognise(text: str, lang: str) -> list[tuple[int, int, str]]:
    """Tolerances, quantities, dimensions and other figures in ``nfc(text)``, as
    (start, end, rendering in ``lang``), overlapping ones included."""
    original = nfc(text)
    folded = fold_aligned(original)
    vi = lang == "vi"
    found: list[tuple[int, int, str]] = []
    for m in _TOLERANCE.finditer(folded):
        unit = {"um": "µm", "micron": "µm"}.get(m["unit"] or "", m["unit"] or "")
        found.append((m.start(), m.end(), f"±{_format(_number(m['num']), lang)} {unit}".strip()))
    for m in _LENGTH.finditer(folded):
        nums = [_format(_number(n), lang) for n in re.split(r"\s*[x×*]\s*", m["nums"])]
        unit = {"um": "µm", "micron": "µm"}.get(m["unit"], m["unit"])
        found.append(
            (m.start(), m.end(), ("Ø" if m["dia"] else "") + " × ".join(nums) + " " + unit)
        )
    for m in _EXPERIENCE.finditer(folded):
        n = _format(_number(m["num"]), lang)
        found.append(
            (m.start(), m.end(), f"{n} năm kinh nghiệm" if vi else f"{n} years' experience")
        )
    for m in _FOUNDED.finditer(folded):
        found.append(
            (m.start(), m.end(), f"thành lập năm {m['year']}" if vi else f"founded {m['year']}")
        )
    for m in _STAFF.finditer(folded):
        n = _format(_number(m["num"]), lang)
        found.append((m.start(), m.end(), f"{n} lao động" if vi else f"{n} employees"))
    for m in _PERCENT.finditer(folded):
        found.append((m.start(), m.end(), _format(_number(m["num"]), lang) + " %"))
    for m in _FRACTION.finditer(folded):
        found.append((m.start(), m.end(), m.group()))
    for m in _THREAD.finditer(original):
        found.append((m.start(), m.end(), m.group()))
    for m in _QUANTITY.finditer(folded):
        rendered = _quantity(m, lang)
        if rendered is not None:
            end = m.end() if m["period"] or m["unit"] else m.end("num")
            found.append((m.start(), end, rendered))
    for m in _BARE.finditer(folded):
        found.append((m.start(), m.end(), _format(_number(m["num"]), lang)))
    return found


# -- the vocabulary around the taxonomy --------------------------------------------
@cache
def _lexicon_data(path: str = str(LEXICON_FILE)) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def place_phrases() -> list[dict[str, list[str]]]:
    """Provinces (today's and former), their districts and industrial zones, each named
    the reader's way ("Vĩnh Phúc" / "Vinh Phuc"): a name is understood, not a gap."""
    from catalog.reference_data import province_data

    phrases = []
    for province in province_data():
        for unit in (province, *province["former"]):
            aliases = [a for a in unit.get("aliases", []) if len(a) > 3]
            phrases.append({"vi": [unit["name_vi"], *aliases], "en": [unit["name_en"]]})
            for place in unit.get("places", []):
                phrases.append({"vi": [place], "en": [strip_diacritics(place)]})
            for zone in unit.get("zones", []):
                kind_vi, kind_en = _ZONE_KINDS.get(zone["kind"], (zone["kind"], zone["kind"]))
                phrases.append(
                    {
                        "vi": [f"{zone['kind']} {zone['name']}", f"{kind_vi} {zone['name']}"],
                        "en": [f"{zone['name_en']} {kind_en}"],
                    }
                )
    return phrases


_ZONE_KINDS = {
    "KCN": ("khu công nghiệp", "industrial park"),
    "CCN": ("cụm công nghiệp", "industrial cluster"),
}


def lexicon_tagger(data: dict[str, Any], places: bool = True) -> ConceptTagger:
    """The lexicon's phrases (and place names) as a tagger, with the taxonomy's matching
    rules: diacritics needed on single syllables, short abbreviations by case."""
    entries = [*data["phrases"], *(place_phrases() if places else [])]
    return ConceptTagger.from_records(
        {
            "id": f"phrase.{i}",
            "kind": "phrase",
            "name_vi": entry["vi"][0],
            "name_en": entry["en"][0],
            "terms": [*entry["vi"], *entry["en"]],
        }
        for i, entry in enumerate(entries)
    )


def _stopwords(data: dict[str, Any]) -> frozenset[str]:
    """Function words of both languages, as written and folded (text typed without
    diacritics has the folded ones)."""
    words = {w.lower() for lang in ("vi", "en") for w in data["stopwords"][lang]}
    return frozenset(words | {fold_aligned(nfc(w)) for w in data["stopwords"]["vi"]})


# -- the gloss ----------------------------------------------------------------------
@dataclass
class Gloss:
    """What ``tagger`` (the taxonomy) and ``lexicon`` understand of a text."""

    tagger: ConceptTagger
    lexicon: ConceptTagger
    stopwords: frozenset[str]

    def _layout(self, text: str, lang: str) -> list[tuple[int, int, str]]:
        """The understood spans of ``nfc(text)`` in reading order, without overlaps:
        leftmost first, then longest, then taxonomy before figures before lexicon."""
        candidates: list[tuple[int, int, int, str]] = []
        for start, end, concept_id in self.tagger.spans(text):
            info = self.tagger.info(concept_id)
            if info is not None:
                candidates.append((start, end, 3, info.label(lang)))
        for start, end, rendered in recognise(text, lang):
            candidates.append((start, end, 2, rendered))
        for start, end, phrase_id in self.lexicon.spans(text):
            info = self.lexicon.info(phrase_id)
            if info is not None:
                candidates.append((start, end, 1, info.label(lang)))
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0]), -c[2]))
        chosen: list[tuple[int, int, str]] = []
        reach = 0
        for start, end, _priority, label in candidates:
            if start >= reach:
                chosen.append((start, end, label))
                reach = end
        return chosen

    def _tokens(self, text: str) -> list[tuple[int, int, bool]]:
        """Word tokens of ``nfc(text)``: (start, end, is a content word)."""
        original = nfc(text)
        folded = fold_aligned(original)
        return [
            (m.start(), m.end(), original[m.start() : m.end()].lower() not in self.stopwords
             and m.group() not in self.stopwords)
            for m in _TOKEN_RE.finditer(folded)
        ]  # fmt: skip

    def parts(self, text: str, target_lang: str) -> list[Part]:
        """The gloss in ``target_lang``: understood parts and, between them, the content
        words not understood as the original wrote them; each part once."""
        original = nfc(text)
        tokens = self._tokens(text)
        out: list[Part] = []
        seen: set[str] = set()

        def add(piece: str, understood: bool) -> None:
            key = piece.casefold()
            if piece and key not in seen:
                seen.add(key)
                out.append(Part(piece, understood))

        def leftovers(a: int, b: int) -> None:
            # Content words between two understood spans, cut at punctuation, edge
            # function words dropped ("và Mazak" → "Mazak").
            run: list[tuple[int, int, bool]] = []
            for tok in [t for t in tokens if t[0] >= a and t[1] <= b] + [(b, b, False)]:
                gap = original[run[-1][1] : tok[0]] if run else ""
                if run and (re.search(r"[^\w\s\-/+&'’]", gap) or tok[0] == tok[1] == b):
                    while run and not run[-1][2]:
                        run.pop()
                    while run and not run[0][2]:
                        run.pop(0)
                    if run:
                        add(original[run[0][0] : run[-1][1]], False)
                    run = []
                if tok[0] != tok[1]:
                    run.append(tok)

        position = 0
        for start, end, label in self._layout(text, target_lang):
            leftovers(position, start)
            add(label, True)
            position = end
        leftovers(position, len(original))
        return out

    def coverage(self, text: str, lang: str = "en") -> tuple[int, int]:
        """(content words understood, content words) of ``text``."""
        spans = self._layout(text, lang)
        content = [(a, b) for a, b, is_content in self._tokens(text) if is_content]
        covered = sum(any(s <= a and b <= e for s, e, _ in spans) for a, b in content)
        return covered, len(content)


def taxonomy_records(path: str | None = None) -> list[dict[str, Any]]:
    """The packaged taxonomy as the tagger reads it (``path``: another taxonomy file)."""
    if path is None:
        from catalog.reference_data import taxonomy_data

        records = taxonomy_data()
    else:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    return [{**c, "sector_id": c.get("sector")} for c in records]


def make_gloss(
    taxonomy: Iterable[dict[str, Any]] | None = None, lexicon: dict[str, Any] | None = None
) -> Gloss:
    """A gloss of the packaged taxonomy and lexicon (or of the ones given)."""
    data = lexicon if lexicon is not None else _lexicon_data()
    records = list(taxonomy) if taxonomy is not None else taxonomy_records()
    places = bool(data["phrases"])  # --no-lexicon: the taxonomy and figures only
    tagger = ConceptTagger.from_records(records)
    return Gloss(tagger, lexicon_tagger(data, places), _stopwords(data))


def _fingerprint(records: list[dict[str, Any]], data: dict[str, Any]) -> str:
    blob = json.dumps([records, data, RECOGNISERS_VERSION], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


class GlossProvider:
    """The built-in provider. Its name carries a fingerprint of the vocabulary and the
    recognisers, so a rendering cached before the vocabulary grew is made again."""

    def __init__(self, gloss: Gloss | None = None, fingerprint: str | None = None) -> None:
        if gloss is None:
            records, data = taxonomy_records(), _lexicon_data()
            gloss, fingerprint = make_gloss(records, data), _fingerprint(records, data)
        self.gloss = gloss
        self.name = f"gloss:{fingerprint or 'custom'}"

    def translate(self, text: str, source_lang: str, target_lang: str) -> Rendering:
        if source_lang == target_lang:
            parts = (Part(nfc(text)),)
        else:
            parts = tuple(self.gloss.parts(text, target_lang))
        return Rendering(
            " · ".join(p.text for p in parts), self.name, source_lang, target_lang, parts
        )


@cache
def default_provider() -> GlossProvider:
    """One gloss per process: building it reads the whole vocabulary."""
    return GlossProvider()


# -- coverage -----------------------------------------------------------------------
def coverage_texts() -> dict[str, dict[str, list[str]]]:
    """Texts to measure on, by language and source: the development set's needs (written
    by hand, with trade shorthand and unaccented Vietnamese) and the demo catalogue's
    capability and firm descriptions (title and description as the firm wrote them)."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from catalog.demo import load_demo_catalog
    from catalog.models import Base, Capability, Firm
    from catalog.reference_data import load_reference_data
    from catalog.text import detect_language

    from ..eval import load_dataset
    from ..packaged_vectors import DEVSET

    texts: dict[str, dict[str, list[str]]] = {
        "vi": {"devset needs": [], "demo texts": []},
        "en": {"devset needs": [], "demo texts": []},
    }
    for query in load_dataset(DEVSET).queries.values():
        lang = query.get("metadata", {}).get("language") or detect_language(query["text"])
        texts[lang]["devset needs"].append(nfc(query["text"]))
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        load_reference_data(session)
        load_demo_catalog(session)
        for cap in session.scalars(select(Capability).order_by(Capability.id)):
            texts[cap.language]["demo texts"].append(nfc(f"{cap.title}. {cap.description}"))
        for firm in session.scalars(select(Firm).order_by(Firm.id)):
            if firm.description:
                lang = detect_language(firm.description)
                texts[lang]["demo texts"].append(nfc(firm.description))
    return texts


def measure(gloss: Gloss, texts: dict[str, dict[str, list[str]]], show: int = 0) -> dict:
    """Share of content words understood, per direction and source of texts; with
    ``show``, the most frequent words not understood (where the vocabulary should grow)."""
    report: dict[str, Any] = {}
    for lang, sources in texts.items():
        target = "en" if lang == "vi" else "vi"
        direction = f"{lang}→{target}"
        for source, items in sources.items():
            covered = total = 0
            missed: Counter[str] = Counter()
            for text in items:
                c, t = gloss.coverage(text, target)
                covered, total = covered + c, total + t
                if show:
                    for part in gloss.parts(text, target):
                        if not part.understood:
                            missed.update(part.text.lower().split())
            report.setdefault(direction, {})[source] = {
                "texts": len(items),
                "content_words": total,
                "covered": covered,
                "share": round(covered / total, 4) if total else 0.0,
                **({"missed": missed.most_common(show)} if show else {}),
            }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The gloss: coverage or one text's gloss.")
    parser.add_argument("text", nargs="?", help="a text to gloss")
    parser.add_argument("--to", default="en", help="target language of TEXT (en or vi)")
    parser.add_argument("--coverage", action="store_true", help="measure coverage per direction")
    parser.add_argument("--taxonomy", help="another taxonomy file (e.g. an older one)")
    parser.add_argument("--no-lexicon", action="store_true", help="the taxonomy and figures only")
    parser.add_argument("--show", type=int, default=0, help="list the N most frequent misses")
    args = parser.parse_args(argv)
    lexicon = (
        {"phrases": [], "stopwords": _lexicon_data()["stopwords"]} if args.no_lexicon else None
    )
    gloss = make_gloss(taxonomy_records(args.taxonomy), lexicon)
    if args.coverage:
        print(json.dumps(measure(gloss, coverage_texts(), args.show), ensure_ascii=False, indent=1))
    if args.text:
        print(
            " · ".join(
                p.text if p.understood else f"[{p.text}]" for p in gloss.parts(args.text, args.to)
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
