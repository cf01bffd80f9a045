"""Renderings of a text in another language, kept so each is made once per provider.

A rendering is machine-made (the built-in gloss of the bilingual vocabulary, or a
deployment's own translation service) and is keyed by what made it and what it
renders: the provider's name, the two languages and the digest of the text. A text
that changes has a new digest, so an old rendering is never shown for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Translation(Base):
    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint(
            "provider", "source_lang", "target_lang", "digest", name="uq_translations_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The provider's name, versioned by what it knows (the gloss names its vocabulary).
    provider: Mapped[str] = mapped_column(String(120))
    source_lang: Mapped[str] = mapped_column(String(10))
    target_lang: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the text as rendered (NFC, lines kept).
    digest: Mapped[str] = mapped_column(String(64))
    rendering: Mapped[str] = mapped_column(Text)
    # The rendering in parts, [text, understood], where a provider tells them apart (the
    # gloss leaves words it did not understand in the original); null otherwise.
    parts: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
