"""Tables the matching side owns: the index's ordered change log.

The search index is derived from the catalogue. Its large part (a *base*: vectors,
lexical matrix, document digests) is published as files (``matching.store``); every edit
after that is one row here, in the database every web and worker machine already
shares, with the documents it adds or replaces (text, digest, firm, concepts and the
encoded vector) and the ids it drops. Readers apply the rows newer than their base in
id order (``matching.changes``); a merge folds them into a new base in the background.
A row is written in one transaction, so a reader sees a change whole or not at all,
and a writer that dies mid-way leaves nothing behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base
from catalog.models.base import utcnow


class IndexChangeRecord(Base):
    """One change to the index: documents added or replaced, ids dropped.

    ``documents`` is a list of ``{"id", "firm_id", "digest", "text", "concepts"}``;
    ``vectors`` their encoded vectors, in the same order, as little-endian float32 rows
    of ``dimension`` values; ``removed`` the capability ids deleted or replaced (a
    replaced id is also in ``documents``). ``stamp`` is the newest firm stamp the
    database had when the change read it (``matching.indexing.catalog_stamp``).
    """

    __tablename__ = "index_changes"
    # Ids never come back after a prune (SQLite reuses the largest otherwise): a
    # reader's ``through`` names one change for good.
    __table_args__ = {"sqlite_autoincrement": True, "info": {"derived": True}}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The change this one follows (0 for the first): readers apply an unbroken chain.
    previous: Mapped[int] = mapped_column(Integer, default=0)
    stamp: Mapped[str] = mapped_column(String(40), default="")
    dimension: Mapped[int] = mapped_column(Integer)
    removed: Mapped[list] = mapped_column(JSON, default=list)
    documents: Mapped[list] = mapped_column(JSON, default=list)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
