"""The text the engine indexes for a capability and searches with for a need.

Structured fields are written out in both languages (the process "Ép phun nhựa /
Plastic injection molding"), so even a monolingual encoder and the lexical retriever
see a bridge between a Vietnamese profile and an English need.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Capability, Concept, Firm, Need
from catalog.text import nfc


@dataclass(frozen=True)
class Document:
    id: int  # capability id
    firm_id: int
    text: str

    @property
    def digest(self) -> str:
        return content_digest(self.text)


def content_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _bilingual(concept: Concept | None) -> str:
    if concept is None:
        return ""
    if concept.name_vi == concept.name_en:
        return concept.name_vi
    return f"{concept.name_vi} / {concept.name_en}"


def _materials(materials: list[Concept]) -> str:
    """In concept order: the database returns a many-to-many collection in whatever
    order its plan gives (PostgreSQL's changes with the plan), and the text, its digest
    and its cached vector must not change with it."""
    return ", ".join(_bilingual(m) for m in sorted(materials, key=lambda m: m.id))


def capability_text(cap: Capability) -> str:
    parts = [cap.title, cap.description]
    if cap.products:
        parts.append(cap.products)
    if cap.process is not None:
        parts.append(_bilingual(cap.process))
    if cap.materials:
        parts.append(_materials(cap.materials))
    if cap.equipment:
        parts.append(cap.equipment)
    return nfc(". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()))


def need_text(need: Need) -> str:
    parts = [need.title, need.description]
    if need.process is not None:
        parts.append(_bilingual(need.process))
    if need.materials:
        parts.append(_materials(need.materials))
    return nfc(". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()))


def _capability_query():
    return select(Capability).options(
        selectinload(Capability.process), selectinload(Capability.materials)
    )


def capability_documents(
    session: Session,
    firm_ids: list[int] | None = None,
    capability_ids: list[int] | None = None,
) -> list[Document]:
    """Documents for every supplier capability, or for those of the given firms, or
    for the given capabilities."""
    query = _capability_query().join(Firm).order_by(Capability.id)
    if firm_ids is not None:
        query = query.where(Capability.firm_id.in_(firm_ids))
    if capability_ids is not None:
        query = query.where(Capability.id.in_(capability_ids))
    return [Document(c.id, c.firm_id, capability_text(c)) for c in session.scalars(query)]
