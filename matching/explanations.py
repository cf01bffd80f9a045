"""Why a capability matched a need: reasons a buyer can check by reading both texts.

    python -m matching.explanations --evaluate [--labelled FILE] [--json]

A reason is a claim about the two texts, so it is shown only when it is true there:

* ``concept``: a concept of the vocabulary that both texts mention. The tagger finds
  candidates loosely (folded, stemmed: "machined" meets "machining"); each one is then
  confirmed in both texts, word for word, against one of the concept's own terms,
  where a plural noun never stands for a verb form ("Machines" is not "machining",
  "plates" not "plating", "houses" not "housings"). The words shown are those of
  the texts.
* ``keywords``: words both texts contain as written (lower case aside; an English
  plural or British/American spelling counts as the same word), the capability's
  own form shown: never stems or folded forms, never stop words, numbers alone, units,
  or a word a concept reason already names. Vietnamese is compared with its
  diacritics, and a syllable that only means something inside a compound ("chi" of
  "chi tiết") is shown as the compound, when both texts have it.
* ``semantic``: only for a capability among the ``SEMANTIC_TOP`` closest in meaning to
  the need in the whole catalogue (a fact about the ranking, stated as such), not
  a similarity figure that no reader can check.

``--evaluate`` measures the precision of the reasons shown, by this explainer and by
the one it replaced, on the labelled set in ``data/reasons/`` (see its README).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.reference_data import taxonomy_data
from catalog.text import fold, nfc

from .concepts import ConceptTagger, normalize_token
from .documents import capability_documents
from .fusion import Hit
from .lexical import STOPWORDS, LexicalIndex

LABELLED = Path(__file__).parent / "data" / "reasons" / "labelled.jsonl"
SEMANTIC_TOP = 5  # a capability this close in meaning (dense rank) says so
MAX_WORDS = 6
_WORD_RE = re.compile(r"[^\W_]+(?:[.\-/+][^\W_]+)*")
_TERM_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.\-/+][a-z0-9]+)*")
_SPELLING = (("mould", "mold"), ("aluminium", "aluminum"), ("colour", "color"), ("tyre", "tire"))
# Words true of almost any pair of texts here, and so no reason: function words, units,
# and Vietnamese syllables that mean something only inside a compound.
_NOT_A_REASON_TEXT = """
    also any all more than this that these those which who your their its has have
    had will would should not but into over under up about approx approximately ea
    each other others such via etc incl including include includes mm cm kg g m
    pcs pc piece pieces unit units year years month months week day days tons ton
    quantity qty total min max new type types product products component components
    item items good quality high low make makes made customer customers company
    order orders quote please drawing drawings
    các của và cho với là có được những một như tại theo từ đến trên trong sản
    xuất cung cấp chúng tôi khách hàng yêu cầu gia công ty chi tiết thiết bị vật
    liệu năng lực dung sai phẩm loại bộ nhận theo bản vẽ chuyên năm tháng cái chiếc
    ngày tuần tấn đơn số lượng mới cần tìm nhà hoặc về các để khoảng trở lên dưới
"""
_NOT_A_REASON = frozenset(_NOT_A_REASON_TEXT.split())


# -- concepts ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _packaged_terms() -> dict[str, tuple[str, ...]]:
    return {
        c["id"]: tuple(nfc(t) for t in {c["name_vi"], c["name_en"], *c.get("terms", [])})
        for c in taxonomy_data()
    }


def _respell(token: str) -> str:
    for uk, us in _SPELLING:
        token = token.replace(uk, us)
    return token


@lru_cache(maxsize=1 << 16)
def _form(token: str) -> tuple[str, str]:
    """(stem, inflection) of a folded token: the inflection says whether the tagger's
    stemming removed a plural ("n"), a verb form ("v": -ing, -ed, -ings) or nothing."""
    token = _respell(token)
    stem = normalize_token(token)
    if stem == token:
        return stem, ""
    if token.endswith(("ing", "ings", "ed")):
        return stem, "v"
    return stem, "n"


def same_word(a: str, b: str) -> bool:
    """Two folded tokens are the same word: equal, spelled the British or American
    way, a noun and its plural, or two verb forms ("machined" / "machining"); never a
    noun for a verb form, which stem alike ("machines" / "machining", "tool" /
    "tooling", "plates" / "plating")."""
    if a == b:
        return True
    (sa, fa), (sb, fb) = _form(a), _form(b)
    return sa == sb and (fa == fb or {fa, fb} == {"", "n"})


@lru_cache(maxsize=4096)
def _tokens(
    text: str,
) -> tuple[str, list[tuple[int, int]], list[str], dict[str, list[int]]]:
    """A text's words: (the text in NFC, their spans, folded, the positions of each
    stem). A term is only compared where its first word's stem is (the same word
    always has the same stem), not at every position; kept for the texts explained
    again and again (a capability is a match for many needs)."""
    original = nfc(text)
    spans = [m.span() for m in _WORD_RE.finditer(original)]
    folded = [fold(original[a:b]) for a, b in spans]
    at: dict[str, list[int]] = {}
    for i, token in enumerate(folded):
        at.setdefault(_form(token)[0], []).append(i)
    return original, spans, folded, at


@lru_cache(maxsize=1 << 15)
def _term(term: str) -> tuple[tuple[str, ...], bool, bool]:
    """A term's folded words; whether it is matched case for case (a short upper-case
    abbreviation) or with its diacritics (one word written with them). The terms are
    the vocabulary's, asked about for every capability explained."""
    folded = fold(term)
    words = tuple(_TERM_TOKEN_RE.findall(folded))
    plain = re.sub(r"[\W_]", "", term)
    case = len(words) == 1 and plain.isupper() and len(plain) <= 4
    exact = len(words) == 1 and not case and folded != term.lower()
    return words, case, exact


def _mentions(text: str, terms: Iterable[str]) -> tuple[int, int, str] | None:
    """Where ``text`` first says one of ``terms`` as whole words (start, end, the words
    as written), or None.

    A single-word term written with diacritics must be matched with them ("dập" is not
    "đập"), and a short upper-case abbreviation case for case, as the tagger does."""
    original, spans, folded, at = _tokens(text)
    best: tuple[int, int, int, str] | None = None
    for term in terms:
        words, case, exact = _term(term)
        n = len(words)
        if not n:
            continue
        for i in at.get(_form(words[0])[0], ()):
            if i > len(folded) - n:
                break
            if best is not None and i >= best[0]:
                break
            if not all(same_word(folded[i + k], words[k]) for k in range(n)):
                continue
            surface = original[spans[i][0] : spans[i + n - 1][1]]
            if case and surface != term:
                continue
            if exact and surface.lower() != term.lower():
                continue
            best = (i, spans[i][0], spans[i + n - 1][1], surface)
            break
    return None if best is None else best[1:]


@dataclass
class _Concept:
    id: str
    kind: str
    label_vi: str
    label_en: str
    start: int
    end: int
    term: str  # as the text says it


def _concepts(text: str, tagger: ConceptTagger, terms: Mapping[str, tuple[str, ...]]):
    """The concepts ``text`` really mentions: the tagger's, each confirmed word for word
    against the concept's own terms (those the vocabulary file gives, else its names)."""
    found: dict[str, _Concept] = {}
    for hit in tagger.tag(text):
        info = tagger.info(hit.concept_id)
        if info is None or info.kind == "sector":
            continue
        own = terms.get(hit.concept_id) or (info.name_vi, info.name_en)
        where = _mentions(text, own)
        if where is not None:
            found[info.id] = _Concept(info.id, info.kind, info.name_vi, info.name_en, *where)
    # Words inside a longer concept's words name that one: "nắp bồn cầu" (a toilet
    # seat lid) is not "bồn cầu" (a ceramic toilet), "gearbox covers" not a gearbox.
    return {
        cid: c
        for cid, c in found.items()
        if not any(
            o.start <= c.start and c.end <= o.end and o.end - o.start > c.end - c.start
            for o in found.values()
        )
    }


# -- words ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Word:
    surface: str  # as written, lower case
    key: str  # folded, for comparing English forms
    vietnamese: bool
    shown: str  # as written; lower case unless an acronym or a grade ("LED", "ADC12")


@lru_cache(maxsize=4096)
def _words(text: str) -> list[list[_Word]]:
    """The text's words, in runs that no punctuation interrupts (a compound never
    spans a full stop or a comma)."""
    runs: list[list[_Word]] = []
    last_end = None
    original = nfc(text)
    for m in _WORD_RE.finditer(original):
        surface = m.group().lower()
        gap = original[last_end : m.start()] if last_end is not None else None
        if gap is None or gap.strip():
            runs.append([])
        last_end = m.end()
        key = fold(surface)
        word = m.group()
        upper = word.isupper() or any(ch.isdigit() for ch in word)
        runs[-1].append(_Word(surface, key, key != surface, word if upper else surface))
    return runs


# Vietnamese words of one syllable that stand alone (most syllables mean something only
# inside a compound: "khiển" of "điều khiển", "xác" of "chính xác").
_STANDALONE_VI_TEXT = """
vỏ nắp ống trục khung hộp quạt đèn ghế áo túi chai bình thùng tủ bàn cửa van vòng
ốc vít đai dây lưới tấm thanh cáp nhôm thép inox nhựa gỗ kính vải sơn mạ thêu
"""
_STANDALONE_VI = frozenset(_STANDALONE_VI_TEXT.split())
MAX_PHRASE = 6


@lru_cache(maxsize=1)
def _vietnamese_syllables() -> frozenset[str]:
    """Folded Vietnamese syllables the vocabulary writes: an unaccented word that is one
    of them ("do": đỏ, đỡ, độ…) is too ambiguous to be a reason on its own."""
    out: set[str] = set(fold(_NOT_A_REASON_TEXT).split())
    for c in taxonomy_data():
        for term in (c["name_vi"], *c.get("terms", [])):
            if fold(term) != term.lower():
                out.update(_TERM_TOKEN_RE.findall(fold(term)))
    return frozenset(out)


def _content(word: _Word) -> bool:
    key = word.key
    return (
        len(key) > 1
        and not re.fullmatch(r"[\d.,\-/+]+", key)
        and word.surface not in _NOT_A_REASON
        and (word.vietnamese or key not in STOPWORDS)
    )


def _same_syllable(a: _Word, b: _Word) -> bool:
    """In a phrase: the same syllable as written, or typed without its diacritics on
    one side (two syllables together are rarely ambiguous)."""
    if a.vietnamese and b.vietnamese:
        return a.surface == b.surface
    return a.key == b.key


def _phrases(
    q_runs: list[list[_Word]], c_runs: list[list[_Word]], covered: set[str]
) -> tuple[list[list[_Word]], set[int]]:
    """Vietnamese phrases both texts write, as runs of the capability's words: the
    longest stretch shared at each place, trimmed of words that are no reason or that a
    concept names; and the ids of the capability's words they take."""
    starts: dict[str, list[tuple[int, int]]] = {}
    for r, run in enumerate(q_runs):
        for k, w in enumerate(run):
            starts.setdefault(w.key, []).append((r, k))
    vi = _vietnamese_syllables()
    out: list[list[_Word]] = []
    used: set[int] = set()
    for run in c_runs:
        i = 0
        while i < len(run):
            best = 0
            for r, k in starts.get(run[i].key, ()):
                q = q_runs[r]
                n = 0
                while i + n < len(run) and k + n < len(q) and _same_syllable(run[i + n], q[k + n]):
                    n += 1
                best = max(best, n)
            if best < 2:
                i += 1
                continue
            stretch = run[i : i + best]
            i += best
            if not any(w.vietnamese or w.key in vi for w in stretch):
                continue
            while stretch and (not _content(stretch[0]) or stretch[0].key in covered):
                stretch = stretch[1:]
            while stretch and (not _content(stretch[-1]) or stretch[-1].key in covered):
                stretch = stretch[:-1]
            if 2 <= len(stretch) <= MAX_PHRASE:
                out.append(stretch)
                used.update(id(w) for w in stretch)
    return out, used


def _word_match(a: _Word, b: _Word) -> bool:
    if a.vietnamese or b.vietnamese:
        return a.surface == b.surface
    return same_word(a.key, b.key)


def shared_words(
    query: str, capability: str, covered: set[str] = frozenset(), limit: int = MAX_WORDS
) -> list[str]:
    """Words both texts contain as written, in the capability's own form: Vietnamese
    phrases first (a stretch of syllables both write), then single words, each once, in
    the capability's order, none of ``covered`` (folded words a concept names). A
    single Vietnamese syllable is shown only when it is a word on its own, written with
    its diacritics in both texts."""
    q_runs, c_runs = _words(query), _words(capability)
    phrases, used = _phrases(q_runs, c_runs, covered)
    out: list[str] = []
    seen: set[str] = set()
    for stretch in phrases:
        phrase = " ".join(w.shown for w in stretch)
        if phrase.lower() not in seen:
            seen.add(phrase.lower())
            out.append(phrase)
    vi = _vietnamese_syllables()
    q_words = [w for run in q_runs for w in run if _content(w)]
    for run in c_runs:
        for w in run:
            if id(w) in used or not _content(w) or w.key in covered:
                continue
            if w.vietnamese and w.surface not in _STANDALONE_VI:
                continue
            if not w.vietnamese and w.key in vi:
                continue
            if _form(w.key)[0] in seen or w.surface in seen:
                continue
            if any(_word_match(w, q) for q in q_words):
                seen.update((w.surface, _form(w.key)[0]))
                out.append(w.shown)
    return out[:limit]


# -- the explainer ----------------------------------------------------------------------
class Explainer:
    """Reasons for capabilities matched to one query (the need's text)."""

    def __init__(
        self,
        query: str,
        tagger: ConceptTagger,
        terms: Mapping[str, tuple[str, ...]] | None = None,
    ):
        self.query = query
        self.tagger = tagger
        self.terms = _packaged_terms() if terms is None else terms
        self.need_concepts = _concepts(query, tagger, self.terms)

    def _capability_concepts(self, text: str) -> dict[str, _Concept]:
        """A capability text's concepts: a capability is explained for need after need,
        and its concepts do not change with the need."""
        return self._kept(
            "_capability_concepts", text, lambda: _concepts(text, self.tagger, self.terms)
        )

    def _text_reasons(self, text: str) -> list[dict[str, Any]]:
        """The concepts and words the query and the capability's text share, which
        depend on the two texts only: a need's page and its API explain the same
        capabilities each time they are asked."""
        return self._kept("_text_reasons", (self.query, text), lambda: self._shared(text))

    def _kept(self, name: str, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, kept per tagger under ``name`` and ``key`` (8,192 at most): a new
        index bundle brings a new tagger, and what was made with the old one goes with
        it. Made afresh with terms other than the packaged ones."""
        if self.terms is not _packaged_terms():
            return make()
        known = self.tagger.__dict__.setdefault(name, {})
        if key not in known:
            if len(known) >= 8192:
                known.clear()
            known[key] = make()
        return known[key]

    def _shared(self, text: str) -> list[dict[str, Any]]:
        reasons: list[dict[str, Any]] = []
        covered: set[str] = set()
        cap_concepts = self._capability_concepts(text) if self.need_concepts else {}
        for cid in sorted(self.need_concepts.keys() & cap_concepts.keys()):
            need, cap = self.need_concepts[cid], cap_concepts[cid]
            reasons.append(
                {
                    "kind": "concept",
                    "concept": cid,
                    "concept_kind": need.kind,
                    "label_vi": need.label_vi,
                    "label_en": need.label_en,
                    "need_term": need.term,
                    "capability_term": cap.term,
                }
            )
            for phrase in (need.term, cap.term, need.label_vi, need.label_en):
                covered.update(_TERM_TOKEN_RE.findall(fold(phrase)))
        words = shared_words(self.query, text, covered)
        if words:
            reasons.append({"kind": "keywords", "terms": words})
        return reasons

    def __call__(self, capability_id: int, text: str, hit: Hit | None = None) -> list[dict]:
        """Why the capability whose document text is ``text`` matched the query."""
        reasons = [
            {k: list(v) if isinstance(v, list) else v for k, v in r.items()}
            for r in self._text_reasons(text)
        ]  # the caller's own copies: the engine appends to them
        if (
            hit is not None
            and hit.dense is not None
            and (hit.dense_rank or 0) in range(1, SEMANTIC_TOP + 1)
        ):
            reasons.append(
                {"kind": "semantic", "similarity": round(hit.dense, 3), "rank": hit.dense_rank}
            )
        return reasons


def capability_texts(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The indexed text of each capability (``documents.capability_documents``), by id."""
    ids = list(ids)
    if not ids:
        return {}
    return {d.id: d.text for d in capability_documents(session, capability_ids=ids)}


# -- evaluation -------------------------------------------------------------------------
def old_reasons(
    query: str, capability_id: int, text: str, tagger: ConceptTagger, lexical: LexicalIndex
) -> list[dict[str, Any]]:
    """The reasons the explainer before December 2026 showed (concepts as the loose tagger
    found them, shared analyser features, a similarity figure): the baseline the
    evaluation compares with, kept here only for that."""
    need_concepts = {c.concept_id: c.term for c in tagger.tag(query)}
    cap_concepts = {c.concept_id: c.term for c in tagger.tag(text)}
    reasons: list[dict[str, Any]] = []
    for cid in sorted(need_concepts.keys() & cap_concepts.keys()):
        info = tagger.info(cid)
        if info is None or info.kind == "sector":
            continue
        reasons.append(
            {
                "kind": "concept",
                "concept": cid,
                "label_en": info.name_en,
                "need_term": need_concepts[cid],
                "capability_term": cap_concepts[cid],
            }
        )
    words = _old_shared_terms(lexical, lexical.features(query), capability_id)
    if words:
        reasons.append({"kind": "keywords", "terms": words})
    return reasons


def _old_shared_terms(
    lexical: LexicalIndex, query_features: set[str], doc_id: int, limit: int = 6
) -> list[str]:
    """``LexicalIndex.shared_terms`` as the old explainer called it, with ties in idf
    broken by name (it left them in set order, which changes from run to run)."""
    row = lexical._positions()[doc_id]
    names = lexical.vectorizer.get_feature_names_out()
    start, end = lexical.matrix.indptr[row], lexical.matrix.indptr[row + 1]
    doc = {names[j] for j in lexical.matrix.indices[start:end]}
    idf, vocab = lexical.vectorizer.idf_, lexical.vectorizer.vocabulary_
    common = [f for f in query_features & doc if len(f) > 1 and not f.startswith(("c:", "="))]
    common.sort(key=lambda f: (-idf[vocab[f]], f))
    return [f.replace("_", " ") for f in common[:limit]]


def units(reasons: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The claims a list of reasons makes, one per concept or word: (kind, item)."""
    out = []
    for r in reasons:
        if r["kind"] == "concept":
            out.append(("concept", r["concept"]))
        elif r["kind"] == "keywords":
            out.extend(("word", t) for t in r["terms"])
    return out


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _pairs(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    pairs: dict[tuple[str, int], dict[str, Any]] = {}
    for row in rows:
        pair = pairs.setdefault(
            (row["query_id"], row["capability_id"]),
            {"query": row["query"], "capability": row["capability"], "labels": {}},
        )
        pair["labels"][(row["kind"], row["item"])] = row["true"]
    return pairs


def _corpus_index(tagger: ConceptTagger) -> tuple[LexicalIndex, dict[str, int]]:
    """The development set's documents (the demo catalogue's capabilities) in a lexical
    index, and their ids in it: the old explainer ordered shared words by this idf."""
    from .eval import document_text, load_dataset
    from .packaged_vectors import DEVSET

    corpus = load_dataset(DEVSET).corpus
    ids = {d: i for i, d in enumerate(corpus, start=1)}
    lexical = LexicalIndex(tagger)
    lexical.fit(list(ids.values()), [document_text(corpus[d]) for d in ids])
    return lexical, ids


def evaluate(path: Path = LABELLED, tagger: ConceptTagger | None = None) -> dict[str, Any]:
    """Precision of the reasons each explainer shows on the labelled pairs; a reason no
    one judged is counted apart (``unjudged``) and listed, never guessed."""
    from .eval import taxonomy_tagger

    tagger = tagger or taxonomy_tagger()
    pairs = _pairs(load_labelled(path))
    lexical, cap_ids = _corpus_index(tagger)
    labelled = sum(len(p["labels"]) for p in pairs.values())
    report: dict[str, Any] = {"pairs": len(pairs), "labelled": labelled}
    queries: dict[str, Explainer] = {}
    for name in ("old", "new"):
        shown = true = 0
        unjudged: list[tuple[str, str, str, str]] = []
        for (qid, cap), pair in pairs.items():
            text = pair["capability"]
            if name == "old":
                reasons = old_reasons(pair["query"], cap_ids[cap], text, tagger, lexical)
            else:
                explain = queries.get(qid)
                if explain is None:
                    explain = queries[qid] = Explainer(pair["query"], tagger)
                reasons = explain(cap, text)
            for unit in units(reasons):
                label = pair["labels"].get(unit)
                if label is None:
                    unjudged.append((qid, cap, *unit))
                    continue
                shown += 1
                true += bool(label)
        report[name] = {
            "shown": shown,
            "true": true,
            "precision": round(true / shown, 4) if shown else None,
            "unjudged": unjudged,
        }
    return report


def pool(out: Path, every: int = 6, top: int = 2, needs: int = 20) -> int:
    """Write the reasons to judge (``true`` left empty): every ``every``-th query of the
    development set and the first ``needs`` demo needs, against their ``top`` matches
    (the lexical retriever over the development set's documents, the demo catalogue's:
    no encoder needed), with the reasons both explainers give, mixed and unattributed
    so that judging cannot lean on either."""
    from sqlalchemy import create_engine
    from sqlalchemy import select as sql_select

    from catalog.demo import load_demo_catalog
    from catalog.models import Base, Need
    from catalog.reference_data import load_reference_data

    from .documents import need_text
    from .eval import document_text, load_dataset, taxonomy_tagger
    from .packaged_vectors import DEVSET

    data = load_dataset(DEVSET)
    queries = [(qid, nfc(q["text"])) for qid, q in sorted(data.queries.items())][::every]
    db = create_engine("sqlite://")
    Base.metadata.create_all(db)
    with Session(db) as session:
        load_reference_data(session)
        load_demo_catalog(session)
        demo = list(session.scalars(sql_select(Need).order_by(Need.id)))[:needs]
        queries += [(f"demo-need-{n.id}", need_text(n)) for n in demo]
    tagger = taxonomy_tagger()
    lexical, ids = _corpus_index(tagger)
    doc_ids = list(ids)
    texts = {i: document_text(data.corpus[d]) for d, i in ids.items()}
    rows = []
    for qid, text in queries:
        explain = Explainer(text, tagger)
        for cid, _ in lexical.search(text, top):
            doc = texts[cid]
            shown: dict[tuple[str, str], str] = {}
            for r in old_reasons(text, cid, doc, tagger, lexical):
                _describe(r, shown)
            for r in explain(cid, doc):
                _describe(r, shown)
            for (kind, item), claim in sorted(shown.items()):
                rows.append(
                    {
                        "query_id": qid,
                        "capability_id": doc_ids[cid - 1],
                        "query": text,
                        "capability": doc,
                        "kind": kind,
                        "item": item,
                        "claim": claim,
                        "true": None,
                        "why": "",
                    }
                )
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def _describe(reason: dict[str, Any], shown: dict[tuple[str, str], str]) -> None:
    if reason["kind"] == "concept":
        shown[("concept", reason["concept"])] = (
            f"{reason['label_en']}: “{reason['need_term']}” / “{reason['capability_term']}”"
        )
    elif reason["kind"] == "keywords":
        for t in reason["terms"]:
            shown[("word", t)] = f"both mention “{t}”"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching.explanations", description=__doc__)
    parser.add_argument("--evaluate", action="store_true", help="precision on the labelled set")
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pool", type=Path, help="write the reasons to judge to this file")
    args = parser.parse_args(argv)
    if args.pool:
        print(pool(args.pool), "reasons to judge written to", args.pool)
        return 0
    if not args.evaluate:
        parser.print_help()
        return 2
    report = evaluate(args.labelled)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{report['labelled']} labelled reasons on {report['pairs']} need–capability pairs")
    for name in ("old", "new"):
        r = report[name]
        print(
            f"{name:>3}: {r['true']}/{r['shown']} shown reasons true, precision "
            f"{r['precision']:.1%}"
            + (f", {len(r['unjudged'])} not judged" if r["unjudged"] else "")
        )
        for qid, cap, kind, item in r["unjudged"][:20]:
            print(f"     not judged: {qid} #{cap} {kind} {item!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
