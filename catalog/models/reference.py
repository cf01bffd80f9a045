"""Reference data: provinces, industrial zones and clusters, and the bilingual taxonomy."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Province(Base):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(50), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    zones: Mapped[list[IndustrialZone]] = relationship(
        back_populates="province", order_by="IndustrialZone.name"
    )

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name_vi}>"


class IndustrialZone(Base):
    """An industrial zone (KCN, khu công nghiệp) or cluster (CCN, cụm công nghiệp)."""

    __tablename__ = "industrial_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))  # "KCN" or "CCN"
    name: Mapped[str] = mapped_column(String(150))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    district: Mapped[str] = mapped_column(String(100), default="")

    province: Mapped[Province] = relationship(back_populates="zones")

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


class Concept(Base):
    """A term of the bilingual taxonomy: a sector, process, material or certification.

    ``terms`` holds every way people write the concept (Vietnamese with and without
    diacritics, English, trade synonyms, abbreviations); the matching engine uses them
    to tag free text and to bridge the two languages.
    """

    __tablename__ = "concepts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name_vi: Mapped[str] = mapped_column(String(150))
    name_en: Mapped[str] = mapped_column(String(150))
    sector_id: Mapped[str | None] = mapped_column(String(80))
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en
