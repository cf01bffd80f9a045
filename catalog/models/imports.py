"""Column mappings remembered per spreadsheet layout, so a survey file is mapped once."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin


class ImportLayout(TimestampMixin, Base):
    __tablename__ = "import_layouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the folded header row: the same survey template, the same key.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
