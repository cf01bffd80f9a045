"""Reference data: provinces, industrial zones and clusters, and the bilingual taxonomy.

Provinces are the provincial-level units of the administrative map in force since
1 July 2025 (34 of them, Resolution 202/2025/QH15). The 63 provinces before it live on
as ``FormerProvince`` rows inside the unit that absorbed them: survey files, addresses
and programme targets still name them, and a firm keeps its former province as a region
of its current one ("Phú Thọ — former Vĩnh Phúc").
"""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..text import fold
from .base import Base


def place_label(province: Province | None, former: FormerProvince | None, lang: str = "vi") -> str:
    """ "Phú Thọ — former Vĩnh Phúc" ("Phú Thọ — Vĩnh Phúc cũ"): the current unit, and the
    former province when it had another name; just the unit's name otherwise."""
    if province is None:
        return ""
    name = province.label(lang)
    if former is None or fold(former.name_vi) == fold(province.name_vi):
        return name
    if lang == "vi":
        return f"{name} — {former.label(lang)} cũ"
    return f"{name} — former {former.label(lang)}"


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
    former_provinces: Mapped[list[FormerProvince]] = relationship(
        back_populates="province", order_by="FormerProvince.name_vi"
    )

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name_vi}>"


class FormerProvince(Base):
    """A province of the map before 1 July 2025, now part of the current unit ``province``.

    An unchanged unit has one, itself. ``aliases`` are other ways files write it ("VP",
    "Vinh Phuc"), ``places`` its former districts and towns (history since districts were
    abolished; used to recognise addresses). Codes are unique among former provinces
    only: "PT" is both the current Phú Thọ and the former one inside it.
    """

    __tablename__ = "former_provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    places: Mapped[list[str]] = mapped_column(JSON, default=list)

    province: Mapped[Province] = relationship(back_populates="former_provinces")

    def label(self, lang: str = "vi") -> str:
        return self.name_vi if lang == "vi" else self.name_en

    def __repr__(self) -> str:
        return f"<FormerProvince {self.code} {self.name_vi}>"


class IndustrialZone(Base):
    """An industrial zone (KCN, khu công nghiệp) or cluster (CCN, cụm công nghiệp)."""

    __tablename__ = "industrial_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))  # "KCN" or "CCN"
    name: Mapped[str] = mapped_column(String(150))
    name_en: Mapped[str] = mapped_column(String(150), default="")
    # The district it was in: history since districts were abolished in 2025.
    district: Mapped[str] = mapped_column(String(100), default="")
    former_province_id: Mapped[int | None] = mapped_column(
        ForeignKey("former_provinces.id"), index=True
    )

    province: Mapped[Province] = relationship(back_populates="zones")
    former_province: Mapped[FormerProvince | None] = relationship()

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
