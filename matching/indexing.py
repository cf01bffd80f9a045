"""Build and update the search index from the database, the source of truth.

``rebuild`` encodes every capability; ``reindex_firms`` re-encodes only what changed
for some firms (compared by text digest) and drops what was deleted. Both publish a
new index version atomically, under a cross-process lock.

Publishing rewrites the whole bundle (about 2 s at 100k capabilities), so updates are
gathered: an update also takes in every firm stamped since the current version read
the database (``Firm.updated_at`` moves with anything a firm declares), and the
updates queued for those firms behind it then find nothing to do, which they tell
from the version's document digests alone, without loading its vectors. The firms an
update is asked for are always compared in full: gathering only adds to them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Capability, Concept, Firm

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
    version: str | None = None


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
    )


def catalog_stamp(session: Session) -> str:
    """The newest firm stamp in the database, read before the documents it covers."""
    newest = session.scalar(select(func.max(Firm.updated_at)))
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
    version = store.publish(bundle)
    return IndexChange(True, len(docs), 0, len(docs), version)


def rebuild(
    session: Session, store: IndexStore, encoder: Encoder, progress: bool = False
) -> IndexChange:
    """Encode the whole catalog into a new index version."""
    with store.lock():
        return _rebuild_locked(session, store, encoder, progress)


def check_usable(store: IndexStore, model_name: str) -> IndexBundle:
    """The current version if a web process could use it: every file hashed again and
    compared with what was recorded at publication, then loaded as web processes load
    it (mapped). Raises ``IndexUnavailable`` otherwise. About 1.5 s at 100k
    capabilities; writes no document text."""
    store.verify(model_name)
    return store.load(model_name, mmap=True)


def rebuild_unless_usable(
    session: Session, store: IndexStore, encoder: Encoder
) -> IndexChange | None:
    """Rebuild if the current version is unusable (checked again under the lock: several
    web processes that found it damaged each ask for a repair, and the first rebuild
    satisfies them all); None if it is usable."""
    with store.lock():
        try:
            check_usable(store, encoder.model_name)
        except IndexUnavailable as exc:
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


def reindex_firms(
    session: Session, store: IndexStore, encoder: Encoder, firm_ids: list[int]
) -> IndexChange:
    """Bring the index up to date for these firms (and any stamped since the current
    version read the database); rebuild if there is no usable index."""
    with store.lock():
        try:
            meta, digests, firm_of = store.load_docs(encoder.model_name)
        except IndexUnavailable as exc:
            log.warning("rebuilding the index: %s", exc)
            return _rebuild_locked(session, store, encoder, False)
        stamp = catalog_stamp(session)
        wanted = set(firm_ids) | stamped_since(session, meta.get("catalog_stamp", ""))
        docs = capability_documents(session, sorted(wanted))
        removed, changed = _differences(docs, wanted, digests, firm_of)
        if not removed and not changed:
            return IndexChange(documents=len(digests), version=meta.get("version"))
        try:
            bundle = store.load(encoder.model_name)
        except IndexUnavailable as exc:
            log.warning("rebuilding the index: %s", exc)
            return _rebuild_locked(session, store, encoder, False)
        # The lock is held: the bundle is the version whose digests were compared.
        bundle.vectors.remove(removed)
        bundle.lexical.remove(removed)
        for cid in removed:
            bundle.digests.pop(cid, None)
            bundle.firm_of.pop(cid, None)
            bundle.concepts.pop(cid, None)
        if changed:
            ids = [d.id for d in changed]
            texts = [d.text for d in changed]
            bundle.vectors.add(ids, encoder.encode_documents(texts))
            bundle.lexical.upsert(ids, texts)
            for d in changed:
                bundle.digests[d.id] = d.digest
                bundle.firm_of[d.id] = d.firm_id
                bundle.concepts[d.id] = _concepts(bundle.tagger, d.text)
        bundle.catalog_stamp = stamp
        version = store.publish(bundle)
        return IndexChange(False, len(changed), len(removed), len(bundle), version)


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
