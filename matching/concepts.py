"""Tag free text with taxonomy concepts, in Vietnamese or English.

A concept is found when one of its terms occurs as a whole phrase in the text.
Phrases match diacritics-insensitively ("ep phun" finds "ép phun"), except where that
would be ambiguous: a single Vietnamese syllable must match with its diacritics
("dập" is stamping, "đập" is not), and a short upper-case abbreviation ("IM", "PU")
must match case-sensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from catalog.text import fold, fold_aligned, nfc

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.\-/+][a-z0-9]+)*")
_SPELLING = (("mould", "mold"), ("aluminium", "aluminum"), ("colour", "color"), ("tyre", "tire"))


def normalize_token(token: str) -> str:
    """Fold English inflection and UK/US spelling so "moulded" meets "molding".

    Only long, purely alphabetic tokens are touched; Vietnamese syllables never end
    in these suffixes, so folded Vietnamese passes through unchanged.
    """
    if len(token) <= 4 or not token.isalpha():
        return token
    for uk, us in _SPELLING:
        if uk in token:
            token = token.replace(uk, us)
    # "molding" is a process and "mold" its tool: keep them apart.
    if token.endswith(("molding", "moldings", "molded")):
        return token[: token.rindex("mold")] + "molding"
    for suffix in ("ings", "ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: -len(suffix)]
    return token


@dataclass(frozen=True)
class ConceptInfo:
    id: str
    kind: str
    name_vi: str
    name_en: str
    sector_id: str | None = None

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class ConceptHit:
    concept_id: str
    term: str  # the text as it appeared


@dataclass
class _Term:
    folded: tuple[str, ...]
    exact: str | None  # required lower-cased NFC form, or None
    case_sensitive: str | None  # required exact original form, or None
    concept_id: str


def _spans(text: str) -> tuple[str, str, list[tuple[int, int]]]:
    """Folded text, NFC text, and the token spans (folding keeps character offsets)."""
    original = nfc(text)
    folded = fold_aligned(original)
    return folded, original, [m.span() for m in _TOKEN_RE.finditer(folded)]


@dataclass
class ConceptTagger:
    concepts: dict[str, ConceptInfo] = field(default_factory=dict)
    _by_first: dict[str, list[_Term]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> ConceptTagger:
        """Build from dicts with id, kind, name_vi, name_en, sector_id and terms."""
        tagger = cls()
        for rec in records:
            info = ConceptInfo(
                rec["id"], rec["kind"], rec["name_vi"], rec["name_en"], rec.get("sector_id")
            )
            tagger.concepts[info.id] = info
            for term in {rec["name_vi"], rec["name_en"], *rec.get("terms", [])}:
                tagger._add_term(term, info.id)
        return tagger

    def state(self) -> dict[str, list]:
        """Everything the tagger knows as plain lists, for JSON (saved with the index:
        a format that cannot run code when it is read, unlike a pickle)."""
        return {
            "concepts": [
                [c.id, c.kind, c.name_vi, c.name_en, c.sector_id] for c in self.concepts.values()
            ],
            "terms": [
                [list(t.folded), t.exact, t.case_sensitive, t.concept_id]
                for terms in self._by_first.values()
                for t in terms
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, list]) -> ConceptTagger:
        """The tagger ``state()`` described, term for term and in the same order, so it
        tags every text as the original did."""
        tagger = cls()
        for concept_id, kind, name_vi, name_en, sector_id in state["concepts"]:
            info = ConceptInfo(str(concept_id), str(kind), str(name_vi), str(name_en), sector_id)
            tagger.concepts[info.id] = info
        by_first = tagger._by_first
        for folded, exact, case, concept_id in state["terms"]:
            if folded:
                term = _Term(tuple(folded), exact, case, concept_id)
                by_first.setdefault(term.folded[0], []).append(term)
        return tagger

    def _add_term(self, term: str, concept_id: str) -> None:
        term = nfc(term)
        folded = tuple(normalize_token(t) for t in _TOKEN_RE.findall(fold(term)))
        if not folded:
            return
        exact = case = None
        if len(folded) == 1:
            plain = re.sub(r"[\W_]", "", term)
            if plain.isupper() and len(plain) <= 4:
                case = term
            elif fold(term) != term.lower():
                exact = term.lower()
            elif len(folded[0]) <= 2:
                case = term
        self._by_first.setdefault(folded[0], []).append(_Term(folded, exact, case, concept_id))

    def tag(self, text: str) -> list[ConceptHit]:
        """Concepts found in ``text``, longest phrase first at each position, no repeats."""
        hits: dict[str, ConceptHit] = {}
        for _, _, concept_id, surface in self._matches(text):
            hits.setdefault(concept_id, ConceptHit(concept_id, surface))
        return list(hits.values())

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Every place a term occurs, as (start, end, concept id) offsets into ``nfc(text)``,
        overlapping ones and repeats included: the gloss (matching.translation) lays them
        out in reading order, which ``tag``'s one hit per concept cannot give."""
        return [(start, end, concept_id) for start, end, concept_id, _ in self._matches(text)]

    def _matches(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, concept id, surface) of every term occurring in ``text``, word by
        word, the longest term first at each word."""
        if not text:
            return
        folded, original, spans = _spans(text)
        words = [normalize_token(folded[a:b]) for a, b in spans]
        for i, word in enumerate(words):
            for term in sorted(self._by_first.get(word, ()), key=lambda t: -len(t.folded)):
                n = len(term.folded)
                if tuple(words[i : i + n]) != term.folded:
                    continue
                start, end = spans[i][0], spans[i + n - 1][1]
                surface = original[start:end]
                if term.exact is not None and surface.lower() != term.exact:
                    continue
                if term.case_sensitive is not None and surface != term.case_sensitive:
                    continue
                yield start, end, term.concept_id, surface

    def concept_ids(self, text: str) -> set[str]:
        return {h.concept_id for h in self.tag(text)}

    def info(self, concept_id: str) -> ConceptInfo | None:
        return self.concepts.get(concept_id)


def expand_query(text: str, tagger: ConceptTagger) -> str:
    """The text followed by the bilingual names of the concepts it mentions.

    Documents carry their structured fields in both languages; giving the query the
    same bridge lets the encoder meet a Vietnamese profile from an English need (and
    back) even where the model's own cross-lingual alignment is weak.
    """
    labels = []
    for hit in tagger.tag(text):
        info = tagger.info(hit.concept_id)
        if info is None or info.kind == "sector":
            continue
        label = info.name_vi if info.name_vi == info.name_en else f"{info.name_vi} / {info.name_en}"
        if label not in text and label not in labels:
            labels.append(label)
    return f"{text}. {', '.join(labels)}" if labels else text
