"""Build and update the search index from the database, the source of truth.

``rebuild`` encodes every capability into a new base (``matching.store``).
``reindex_firms`` re-encodes only what changed for some firms (compared by text digest)
and writes it, with the ids it drops, as one row of the change log
(``matching.changes``): an edit costs what the edit costs, not a whole publish; every
reader applies the row over its mapped base. ``merge`` folds the log into a new base in
the background when it has grown (``INDEX_MERGE_AT`` documents), refitting the lexical
statistics. Writers of the log are serialised by the store's lock (one worker machine
writes); each row names the one before it, so readers apply an unbroken chain.

Updates are gathered: an update also takes in every firm stamped since the state it
compares with read the database (``Firm.updated_at`` moves with anything a firm
declares), and the updates queued for those firms behind it then find nothing to do.
The firms an update is asked for are always compared in full: gathering only adds to
them.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Capability, Concept, Firm
from catalog.queries import newest_firm_stamp

from . import changes, shipping
from .changes import ChainBroken, ChangedDocument, Layers
from .concepts import ConceptTagger
from .documents import Document, capability_documents, content_digest
from .encoder import Encoder
from .lexical import LexicalIndex
from .store import IndexBundle, IndexStore, IndexUnavailable, now_iso
from .vector_index import VectorIndex

log = logging.getLogger(__name__)


@dataclass
class IndexChange:
    rebuilt: bool = False
    encoded: int = 0
    removed: int = 0
    documents: int = 0
    version: str | None = None  # the base
    through: int = 0  # the last change of the log the index now includes
    pending: int = 0  # documents changed in the log since the base (what a merge folds)


def build_tagger(session: Session) -> ConceptTagger:
    """The concept tagger as the taxonomy stands in the database now."""
    return ConceptTagger.from_records(
        {
            "id": c.id,
            "kind": c.kind,
            "name_vi": c.name_vi,
            "name_en": c.name_en,
            "sector_id": c.sector_id,
            "terms": c.terms or [],
        }
        for c in session.scalars(select(Concept))
    )


def _concepts(tagger: ConceptTagger, text: str) -> dict[str, str]:
    return {hit.concept_id: hit.term for hit in tagger.tag(text)}


def build_bundle(
    ids: list[int],
    texts: list[str],
    firm_of: dict[int, int],
    tagger: ConceptTagger,
    encoder: Encoder,
    progress: bool = False,
) -> IndexBundle:
    """Encode and index documents: the one pipeline used by the service and evaluation."""
    log.info("encoding %d documents with %s", len(ids), encoder.model_name)
    vectors = VectorIndex(encoder.dimension)
    vectors.add(ids, encoder.encode_documents(texts, progress=progress))
    lexical = LexicalIndex(tagger)
    lexical.fit(ids, texts)
    return IndexBundle(
        vectors=vectors,
        lexical=lexical,
        tagger=tagger,
        model_name=encoder.model_name,
        digests={i: content_digest(t) for i, t in zip(ids, texts, strict=True)},
        firm_of=dict(firm_of),
        concepts={i: _concepts(tagger, t) for i, t in zip(ids, texts, strict=True)},
        built_at=now_iso(),
        texts=dict(zip(ids, texts, strict=True)),
    )


def catalog_stamp(session: Session) -> str:
    """The newest firm stamp in the database, read before the documents it covers."""
    newest = newest_firm_stamp(session)
    return newest.isoformat() if newest is not None else ""


def stamped_since(session: Session, stamp: str) -> set[int]:
    """Firms stamped after ``stamp`` (a ``catalog_stamp``); none if it is unreadable."""
    try:
        since = datetime.fromisoformat(stamp)
    except ValueError:
        return set()
    return set(session.scalars(select(Firm.id).where(Firm.updated_at > since)))


def _rebuild_locked(
    session: Session, store: IndexStore, encoder: Encoder, progress: bool
) -> IndexChange:
    stamp = catalog_stamp(session)
    # The lock is held: no change is written until this base is published, and every
    # change up to ``through`` is in the database the documents are read from.
    through = changes.latest_id(session)
    docs = capability_documents(session)
    bundle = build_bundle(
        [d.id for d in docs],
        [d.text for d in docs],
        {d.id: d.firm_id for d in docs},
        build_tagger(session),
        encoder,
        progress,
    )
    bundle.catalog_stamp = stamp
    bundle.through = through
    version = store.publish(bundle)
    ship(session, store)
    _prune_log(session, store)
    return IndexChange(True, len(docs), 0, len(docs), version, through)


def rebuild(
    session: Session, store: IndexStore, encoder: Encoder, progress: bool = False
) -> IndexChange:
    """Encode the whole catalog into a new index version."""
    with store.lock():
        return _rebuild_locked(session, store, encoder, progress)


def check_usable(session: Session, store: IndexStore, model_name: str) -> IndexBundle:
    """The current index if a web process could use it: every file of the base hashed
    again and compared with what was recorded at publication, then loaded as web
    processes load it (mapped), with the log applied. Raises ``IndexUnavailable`` (or
    ``ChainBroken``) otherwise. About 1.5 s at 100k capabilities; writes no text."""
    store.verify(model_name)
    return load_current(session, store, model_name, mmap=True)


def rebuild_unless_usable(
    session: Session, store: IndexStore, encoder: Encoder
) -> IndexChange | None:
    """Rebuild if the current version is unusable (checked again under the lock: several
    web processes that found it damaged each ask for a repair, and the first rebuild
    satisfies them all); None if it is usable."""
    with store.lock():
        try:
            check_usable(session, store, encoder.model_name)
        except (IndexUnavailable, ChainBroken) as exc:
            log.warning("rebuilding the index: %s", exc)
            return _rebuild_locked(session, store, encoder, False)
        return None


def _differences(
    docs: list[Document], wanted: set[int], digests: dict[int, str], firm_of: dict[int, int]
) -> tuple[list[int], list[Document]]:
    """(capability ids to remove, documents to add or replace) for the firms ``wanted``."""
    current = {d.id for d in docs}
    removed = [cid for cid, fid in firm_of.items() if fid in wanted and cid not in current]
    changed = [d for d in docs if digests.get(d.id) != d.digest]
    return removed, changed


@dataclass
class _WriterState:
    """The index as the log's writer sees it: the base's document digests and firms
    with the log applied (no vectors: enough to tell what an update must encode)."""

    version: str
    through: int
    stamp: str
    digests: dict[int, str]
    firm_of: dict[int, int]
    pending: set[int] = field(default_factory=set)  # ids changed since the base
    tagger: ConceptTagger | None = None


_WRITERS: dict[str, _WriterState] = {}  # by store root: kept between updates
_writers_lock = threading.Lock()


def _writer_state(session: Session, store: IndexStore, model_name: str) -> _WriterState:
    """The current state, from this process's copy when it still describes the current
    base (then only the newer changes are read). Raises ``IndexUnavailable`` without a
    usable base and ``ChainBroken`` when the log does not continue from it."""
    key = str(store.root)
    version = store.current_version()
    with _writers_lock:
        state = _WRITERS.get(key)
    if state is None or state.version != version:
        meta, digests, firm_of = store.load_docs(model_name)
        state = _WriterState(
            version=meta.get("version") or version or "",
            through=int(meta.get("through", 0)),
            stamp=meta.get("catalog_stamp", ""),
            digests=digests,
            firm_of=firm_of,
        )
    latest = changes.latest_id(session)
    if latest < state.through:
        raise ChainBroken(f"the log ends at {latest}, the index includes {state.through}")
    if latest > state.through:
        for change in changes.changes_after(session, model_name, state.through):
            _fold(state, change.removed, change.documents)
            state.through, state.stamp = change.id, change.stamp or state.stamp
    with _writers_lock:
        _WRITERS[key] = state
    return state


def _fold(state: _WriterState, removed, documents) -> None:
    for cid in removed:
        state.digests.pop(cid, None)
        state.firm_of.pop(cid, None)
        state.pending.add(cid)
    for doc in documents:
        state.digests[doc.id] = doc.digest
        state.firm_of[doc.id] = doc.firm_id
        state.pending.add(doc.id)


def _base_tagger(store: IndexStore, state: _WriterState) -> ConceptTagger:
    """The base's concept tagger (what readers tag queries with), read once per base."""
    if state.tagger is None:
        head = json.loads((store.root / state.version / "lexical.json").read_text("utf-8"))
        tagger = head.get("tagger")
        state.tagger = ConceptTagger() if tagger is None else ConceptTagger.from_state(tagger)
    return state.tagger


def reindex_firms(
    session: Session,
    store: IndexStore,
    encoder: Encoder,
    firm_ids: list[int],
    gather: bool = True,
) -> IndexChange:
    """Bring the index up to date for these firms (and, with ``gather``, any stamped
    since the state it compares with read the database): one change in the log,
    committed; a rebuild if there is no usable base or the log does not continue from
    it. Without ``gather`` (a re-index someone waits for, while an import may have
    stamped thousands of firms) only these firms are compared, and the state's stamp
    stays where it was, so the next gathering update still takes the others in.

    A gathering update encodes its new texts before it takes the lock to write
    (``_encode_ahead``): one taking in hundreds of an import's texts holds the lock for the seconds
    its reads and its write take, not for its encoding, and an edit's re-index on the
    interactive queue is not kept waiting minutes behind it (docs/benchmarks.md, "Bulk
    encoding and separate queues"). An update that gathered more than
    ``FIRMS_PER_CHANGE`` firms writes them as several changes, each under its own hold
    of the lock, the last one moving the stamp: an import's 50,000 firms would
    otherwise be one change whose write holds the lock for tens of seconds."""
    # An edit's own re-index encodes its few texts under the lock, in one hold.
    ahead = _encode_ahead(session, store, encoder, firm_ids) if gather else None
    if ahead is None or len(ahead[1]) <= FIRMS_PER_CHANGE:
        return _write_change(session, store, encoder, firm_ids, gather, ahead)
    stamp, gathered = ahead
    firms = sorted(gathered | set(firm_ids))
    head, last = firms[:-FIRMS_PER_CHANGE], firms[-FIRMS_PER_CHANGE:]
    written: list[IndexChange] = []
    for start in range(0, len(head), FIRMS_PER_CHANGE):
        # Without gathering: the stamp stays, so a crash here leaves the rest to the
        # next gathering update.
        part = _write_change(session, store, encoder, head[start : start + FIRMS_PER_CHANGE], False)
        if part.rebuilt:  # a rebuild took in everything
            return part
        written.append(part)
    final = _write_change(session, store, encoder, last, True, (stamp, set(last)))
    if final.rebuilt:
        return final
    return replace(
        final,
        encoded=final.encoded + sum(c.encoded for c in written),
        removed=final.removed + sum(c.removed for c in written),
    )


# The most firms one change of the log holds (about 1,500 texts: a write of well
# under a second, the longest an interactive re-index waits for the lock).
FIRMS_PER_CHANGE = 1_000


def _write_change(
    session: Session,
    store: IndexStore,
    encoder: Encoder,
    firm_ids: list[int],
    gather: bool,
    ahead: tuple[str, set[int]] | None = None,
) -> IndexChange:
    """``reindex_firms``' one change, written under the lock (its texts mostly encoded
    ahead, found in the embedding cache)."""
    with store.lock():
        try:
            state = _writer_state(session, store, encoder.model_name)
        except (IndexUnavailable, ChainBroken) as exc:
            log.warning("rebuilding the index: %s", exc)
            return _rebuild_locked(session, store, encoder, False)
        if ahead is not None:
            # What was gathered ahead covers the firms stamped up to its stamp; firms
            # stamped since are left to the next gathering update, which this one
            # would otherwise encode under the lock.
            stamp, wanted = _later(ahead[0], state.stamp), ahead[1] | set(firm_ids)
        elif gather:
            stamp, wanted = _gathered(session, state, firm_ids)
        else:
            stamp, wanted = state.stamp, set(firm_ids)
        docs = capability_documents(session, sorted(wanted))
        removed, changed = _differences(docs, wanted, state.digests, state.firm_of)
        if not removed and not changed:
            return IndexChange(
                documents=len(state.digests),
                version=state.version,
                through=state.through,
                pending=len(state.pending),
            )
        vectors = encoder.encode_documents([d.text for d in changed])
        tagger = _base_tagger(store, state)
        documents = [
            ChangedDocument(d.id, d.firm_id, d.digest, d.text, _concepts(tagger, d.text))
            for d in changed
        ]
        try:
            change_id = changes.record_change(
                session, encoder.model_name, state.through, stamp, removed, documents, vectors
            )
            session.commit()
        except BaseException:
            session.rollback()
            with _writers_lock:  # what this process folded in may not be what is stored
                _WRITERS.pop(str(store.root), None)
            raise
        _fold(state, removed, documents)
        state.through, state.stamp = change_id, stamp
        return IndexChange(
            False,
            len(changed),
            len(removed),
            len(state.digests),
            state.version,
            change_id,
            len(state.pending),
        )


def _gathered(session: Session, state: _WriterState, firm_ids: list[int]) -> tuple[str, set[int]]:
    """A gathering update's stamp and firms: these and every firm stamped since the
    state's stamp, the stamp read first so that it never covers a firm left out."""
    stamp = catalog_stamp(session)
    return stamp, set(firm_ids) | stamped_since(session, state.stamp)


def _encode_ahead(
    session: Session, store: IndexStore, encoder: Encoder, firm_ids: list[int]
) -> tuple[str, set[int]] | None:
    """The stamp and firms a gathering update will compare, read under a short hold of
    the lock, and their new texts encoded after it, into the embedding cache, where the
    update finds them under the lock. None when there is no usable state (the update
    then rebuilds) or nothing new to encode."""
    if encoder.cache is None:  # nowhere to keep the vectors for the write
        return None
    with store.lock():
        try:
            state = _writer_state(session, store, encoder.model_name)
        except (IndexUnavailable, ChainBroken):
            return None
        stamp, wanted = _gathered(session, state, firm_ids)
        docs = capability_documents(session, sorted(wanted))
        _, changed = _differences(docs, wanted, state.digests, state.firm_of)
    if not changed:
        return None
    # No read transaction is held while encoding: on SQLite a write after another
    # connection committed would fail as "database is locked" from an old snapshot.
    session.commit()
    encoder.encode_documents([d.text for d in changed])
    return stamp, wanted


def _later(a: str, b: str) -> str:
    """The later of two catalog stamps (an unreadable or empty one counts as earliest)."""

    def moment(stamp: str) -> datetime | None:
        try:
            return datetime.fromisoformat(stamp)
        except ValueError:
            return None

    ma, mb = moment(a), moment(b)
    if ma is None or mb is None:
        return a if mb is None else b
    try:
        return a if ma >= mb else b
    except TypeError:  # one with a time zone, one without: not expected, never fatal
        return a


def load_current(
    session: Session, store: IndexStore, model_name: str | None = None, mmap: bool = False
) -> IndexBundle:
    """The index as readers serve it: the current base with the log applied
    (``IndexUnavailable`` without a usable base, ``ChainBroken`` if the log does not
    continue from it). Without ``model_name``, whatever model built the base."""
    base = store.load(model_name, mmap=mmap)
    chain = changes.changes_after(session, base.model_name, base.through)
    layers = Layers.over(base).apply(chain)
    return layers.bundle


def merge(session: Session, store: IndexStore, encoder: Encoder) -> IndexChange | None:
    """Fold the log into a new base: the changed documents' vectors (encoded once, when
    they were written) go into the vector index, and the lexical index is refitted on
    every text, so its vocabulary and document frequencies are the catalogue's again.

    The lock is held to read the base and the log, and to publish; not while the new
    base is built, so updates go on meanwhile (they follow in the log after what the
    merge folds in, and readers apply them over the new base). None when there was
    nothing to fold or another base was published meanwhile."""
    with store.lock():
        try:
            base = store.load(encoder.model_name)
            texts = store.load_texts(base.version)
            chain = changes.changes_after(session, encoder.model_name, base.through)
        except (IndexUnavailable, ChainBroken) as exc:
            log.warning("rebuilding the index instead of merging: %s", exc)
            return _rebuild_locked(session, store, encoder, False)
    session.rollback()  # nothing is held open while the base is built
    if not chain:
        return None
    layers = Layers.over(base).apply(chain)
    gone = sorted(layers.hidden | layers.entries.keys())
    base.vectors.remove(gone)
    for cid in layers.hidden:
        for mapping in (base.digests, base.firm_of, base.concepts, texts):
            mapping.pop(cid, None)
    if layers.entries:
        entries = list(layers.entries.values())
        base.vectors.add([e.doc.id for e in entries], np.stack([e.vector for e in entries]))
        for e in entries:
            base.digests[e.doc.id] = e.doc.digest
            base.firm_of[e.doc.id] = e.doc.firm_id
            base.concepts[e.doc.id] = e.doc.concepts
            texts[e.doc.id] = e.doc.text
    ids = list(base.digests)
    lexical = LexicalIndex(base.tagger)
    lexical.fit(ids, [texts[i] for i in ids])
    base.lexical, base.texts = lexical, texts
    base.through, base.catalog_stamp = layers.through, layers.stamp
    with store.lock():
        current = store.read_meta() or {}
        if current.get("version") != base.version:
            log.info("merge dropped: %s was published meanwhile", current.get("version"))
            return None
        version = store.publish(base)
        ship(session, store)
        _prune_log(session, store)
    return IndexChange(False, 0, 0, len(base), version, base.through, 0)


def ship(session: Session, store: IndexStore) -> str | None:
    """Copy the current base into the database for the other machines when this store
    ships (``IndexStore.ship``) and it is not there yet; committed. Called after each
    publish, and when a worker starts (a base published before shipping was on, or
    whose push a crash cut short)."""
    version = store.current_version()
    if not store.ship or version is None or shipping.current_shipped(session) == version:
        return None
    shipping.push(session, store, version)
    session.commit()
    return version


def _prune_log(session: Session, store: IndexStore) -> None:
    """Drop the changes every base still on disk includes (readers of an older base
    than those reload the current one: their chain would not continue)."""
    throughs = []
    for folder in store.root.glob("v*"):
        try:
            throughs.append(int(json.loads((folder / "meta.json").read_text()).get("through", 0)))
        except (OSError, ValueError, AttributeError):
            continue
    if throughs and min(throughs) > 0:
        changes.prune(session, min(throughs))
        session.commit()


def drift(session: Session, bundle: IndexBundle) -> tuple[dict[str, int], set[int]]:
    """How far the index is from the database (missing, stale and extra documents) and
    the firms those documents belong to."""
    docs = {d.id: d for d in capability_documents(session)}
    missing = [d.firm_id for i, d in docs.items() if i not in bundle.digests]
    stale = [
        d.firm_id for i, d in docs.items() if i in bundle.digests and bundle.digests[i] != d.digest
    ]
    extra = [bundle.firm_of.get(i, 0) for i in bundle.digests if i not in docs]
    counts = {"missing": len(missing), "stale": len(stale), "extra": len(extra)}
    return counts, {f for f in (*missing, *stale, *extra) if f}


def visible_drift(session: Session, bundle: IndexBundle) -> tuple[dict[str, int], set[int]]:
    """The drift that shows without writing any document's text (two small queries, for
    the periodic check): capabilities in the database and not in the index or the other
    way round, and firms stamped since the version read the database (an update lost
    with a killed worker, or still queued: updating them now leaves the queued update
    nothing to do). A text changed without its firm's stamp moving (a restore can do
    that) does not show here: ``drift``, run when a worker starts and after a restore,
    finds it."""
    firm_of = bundle.firm_of
    query = select(Capability.id, Capability.firm_id).join(Firm)
    rows: dict[int, int] = {cid: fid for cid, fid in session.execute(query)}
    missing = {fid for cid, fid in rows.items() if cid not in firm_of}
    extra = {fid for cid, fid in firm_of.items() if cid not in rows}
    stamped = stamped_since(session, bundle.catalog_stamp)
    counts = {
        "missing": sum(1 for cid in rows if cid not in firm_of),
        "extra": sum(1 for cid in firm_of if cid not in rows),
        "stamped": len(stamped),
    }
    return counts, missing | extra | stamped


def consistency(session: Session, bundle: IndexBundle) -> dict[str, int]:
    """How far the index is from the database: missing, stale and extra documents."""
    return drift(session, bundle)[0]
