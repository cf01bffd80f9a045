"""Deterministic generator and loader of a realistic bilingual demo catalog.

``generate_demo_catalog`` returns plain dicts (no database): supporting-industry firms in
the four seed provinces (Thái Nguyên, Thái Bình, Hưng Yên, Vĩnh Phúc), FDI buyers and their
open component needs. Every name is fictional. ``load_demo_catalog`` inserts what is
missing, matched by ``demo_key``, so seeding twice adds nothing.

The generator names the provinces as the catalogue was written before the 2025 map (codes
of former provinces: "VP", "TB"); the loader places each firm in the current unit that
absorbed it and keeps the former province ("Phú Thọ — former Vĩnh Phúc").

The vocabulary (processes and what firms make with them, supplier archetypes, buyers,
names, addresses) and the sentence templates are data, in ``catalog/data/demo/*.json``,
so that they can be read and extended without reading the generator; this module holds
only how they are combined.

Only ``random.Random(seed)`` is used: the same seed always gives the same catalog. The
generator draws from it in a fixed order, so a template list may be edited but a draw
must not be added or removed without changing every record after it.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import (
    Capability,
    Certification,
    Concept,
    Firm,
    FirmRole,
    FormerProvince,
    IndustrialZone,
    Need,
    NeedStatus,
    NeedVisibility,
    Ownership,
    Province,
)
from catalog.reference_data import former_province_data, taxonomy_data
from catalog.text import fold, nfc, strip_diacritics

DEMO_SEED = 20240601

SEED_PROVINCES = ("TN", "TB", "HY", "VP")
SUPPLIERS_PER_PROVINCE = {"TN": 110, "TB": 106, "HY": 108, "VP": 106}
N_NEEDS = 240
# Reference day for "currently valid" certificates when shaping satisfiable needs.
REFERENCE_DAY = date(2026, 11, 1)

# Sectors whose firms hold sector-specific certificates (and plastics, whose materials
# are named "nhựa ABS" in Vietnamese text).
S_ELEC = "sector.electronics"
S_AUTO = "sector.automotive_motorbike"
S_TEXT = "sector.textiles_garments"
S_LEATHER = "sector.leather_footwear"
S_PLAST = "sector.plastics_rubber"


@cache
def demo_data(name: str) -> Any:
    """One file of ``catalog/data/demo``, read once (the demo accounts and events use it too)."""
    path = resources.files("catalog").joinpath("data", "demo", f"{name}.json")
    return json.loads(path.read_text("utf-8"))


def _processes() -> dict[str, dict[str, Any]]:
    """Process id → its names (vi, en, short English trade names), products and equipment
    as [Vietnamese, English] pairs, materials, HS codes, tolerance and capacity ranges."""
    return demo_data("processes")


def _texts() -> dict[str, Any]:
    return demo_data("texts")


def _words() -> dict[str, Any]:
    return demo_data("vocabulary")


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _ascii_slug(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalnum())


def _upper_first(text: str) -> str:
    return text[0].upper() + text[1:]


def _pick(rng: random.Random, text: str | list[str]) -> str:
    """A template: a fixed one (a string) takes no draw, a list of alternatives one."""
    return text if isinstance(text, str) else rng.choice(text)


@cache
def _taxonomy() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in taxonomy_data()}


def _provinces() -> dict[str, dict[str, Any]]:
    """The pre-2025 provinces by code (names, zones): the demo's provinces."""
    return former_province_data()


def _mat_label(mid: str, lang: str) -> str:
    concept = _taxonomy()[mid]
    if lang == "en":
        return concept["name_en"]
    term = concept["terms"][0]
    prefix = _words()["material_prefix"]
    if concept["sector"] == S_PLAST and not term.lower().startswith(
        (prefix["plastic"], prefix["rubber"])
    ):
        kind = prefix["rubber"] if mid in prefix["rubbers"] else prefix["plastic"]
        return f"{kind} {term}"
    return term


def _mat_code(mid: str) -> str:
    """The short trade designation buyers use in English text (SPCC, ADC12, PA66 ...)."""
    concept = _taxonomy()[mid]
    return next((t for t in concept["terms"] if t.isascii()), concept["name_en"])


def _tax_code(rng: random.Random, province: str, used: set[str]) -> str:
    """A 10-digit mã số thuế with a correct check digit (as in stdnum.vn.mst); its first
    two digits are the province of registration."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        body = _words()["tax_prefix"][province] + f"{rng.randrange(10_000_000):07d}"
        if body[2:9] == "0000000":
            continue
        check = 10 - sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 11
        if check == 10:
            continue
        code = body + str(check)
        if code not in used:
            used.add(code)
            return code


def _employees(rng: random.Random) -> int:
    # Skewed small: median about 60, a few large plants up to 2000.
    return int(round(10 * 200 ** (rng.random() ** 1.6)))


def _round_nice(value: float) -> int:
    if value < 100:
        return max(1, int(round(value)))
    magnitude = 10 ** (len(str(int(value))) - 2)
    return int(round(value / magnitude) * magnitude)


def _fmt_int(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def _fmt_tol(tol: float) -> str:
    return f"{tol:.3f}".rstrip("0").rstrip(".") if tol < 0.01 else f"{tol:.2f}".rstrip("0")


def _person(rng: random.Random) -> str:
    words = _words()
    return (
        f"{rng.choice(words['surnames'])} {rng.choice(words['middle_names'])} "
        f"{rng.choice(words['given_names'])}"
    )


def _phone(rng: random.Random, code: str) -> str:
    return f"{_words()['area_code'][code]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _valid_until(rng: random.Random) -> date:
    start, end = date(2025, 6, 1), date(2029, 12, 31)
    return start + timedelta(days=rng.randrange((end - start).days + 1))


@cache
def _zones(code: str) -> list[dict[str, Any]]:
    """The zones of former province ``code`` the demo uses, in the demo's order."""
    by_name = {z["name"]: z for z in _provinces()[code].get("zones", [])}
    return [by_name[name] for name in _words()["zones"][code]]


def _address(rng: random.Random, code: str, zone: dict[str, Any] | None) -> str:
    province = _provinces()[code]["name_vi"]
    forms = _texts()["address"]
    if zone is not None:
        block = rng.choice(_words()["lot_blocks"])
        row, plot = rng.randint(1, 12), rng.randint(1, 30)
        lot = forms["lot"].format(block=block, row=row, plot=plot)
        if zone["kind"] == "CCN":
            lot = forms["cluster_lot"].format(plot=rng.randint(1, 40))
        return forms["in_zone"].format(
            lot=lot,
            kind=zone["kind"],
            zone=zone["name"],
            district=zone["district"],
            province=province,
        )
    district = rng.choice([z["district"] for z in _zones(code)])
    number = rng.randint(1, 350)
    street = rng.choice(_words()["streets"])
    return forms["street"].format(
        number=number, street=street, district=district, province=province
    )


# ---------------------------------------------------------------------------------------
# Capability text
# ---------------------------------------------------------------------------------------


def _capability(rng: random.Random, pid: str, lang: str, years: int) -> dict[str, Any]:
    """A capability of process ``pid`` written in ``lang``: "vi", "en" or "vi_nodiac"
    (Vietnamese typed without diacritics)."""
    spec = _processes()[pid]
    text_lang = "en" if lang == "en" else "vi"
    k = 0 if text_lang == "vi" else 1
    proc = rng.choice(spec[text_lang])
    products = rng.sample(spec["products"], min(len(spec["products"]), rng.randint(1, 3)))
    mats = rng.sample(spec["materials"], min(len(spec["materials"]), rng.randint(1, 3)))
    equipment = rng.sample(spec["equipment"], min(len(spec["equipment"]), rng.randint(1, 2)))
    eq_counts = [rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 16, 20]) for _ in equipment]
    eq_text = "; ".join(f"{n} {e[k]}" for n, e in zip(eq_counts, equipment, strict=True))
    if spec["unit"] in ("sets", "tons") or pid in (
        "process.smt_assembly",
        "process.box_build_assembly",
    ):
        eq_text = "; ".join(e[k] for e in equipment)
    lo_tol, hi_tol = spec["tol"] if spec["tol"] else (None, None)
    tol = None
    if lo_tol is not None and rng.random() < 0.85:
        tol = rng.choice(
            [
                t
                for t in (0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
                if lo_tol <= t <= hi_tol
            ]
            or [lo_tol]
        )
    cap = _round_nice(rng.uniform(*spec["cap"]))
    moq = _round_nice(max(1, cap * rng.uniform(0.002, 0.05)))
    unit = spec["unit"]
    prod_text = ", ".join(p[k] for p in products)
    suppliers = demo_data("suppliers")
    qc = rng.choice(suppliers["quality_equipment"][text_lang])
    country = rng.choice(suppliers["customer_countries"][text_lang])

    texts = _texts()["capability"][text_lang]
    values = {
        "proc": proc,
        "Proc": _upper_first(proc),
        "product": products[0][k],
        "Product": _upper_first(products[0][k]),
        "products": prod_text,
        "materials": ", ".join(_mat_label(m, text_lang) for m in mats),
        "equipment": eq_text,
        "capacity": f"{_fmt_int(cap, text_lang)} {_words()['units'][text_lang][unit]}",
        "moq": _fmt_int(moq, text_lang),
        "qc": qc,
        "country": country,
        "years": years,
        "since": 2026 - years,
    }
    if "work" in texts:  # "Gia công tiện CNC", unless the name already says the work
        work = texts["work"]
        values["work"] = (
            values["Proc"] if proc.startswith(tuple(work["unless"])) else work["prefix"] + proc
        )
    title = rng.choice(texts["titles"]).format(**values)
    tolerance = rng.choice(texts["tolerance"]).format(tol=_fmt_tol(tol)) if tol is not None else ""
    desc = rng.choice(texts["descriptions"]).format(**values, tolerance=tolerance)
    title, desc = nfc(title), nfc(desc)
    products_text, equipment_text = nfc(prod_text), nfc(eq_text)
    if lang == "vi_nodiac":
        title, desc, products_text, equipment_text = (
            strip_diacritics(t) for t in (title, desc, products_text, equipment_text)
        )
    hs = sorted(rng.sample(spec["hs"], min(len(spec["hs"]), rng.randint(1, 2))))
    return {
        "title": title[:200],
        "description": desc,
        "process": pid,
        "materials": mats,
        "products": products_text[:500],
        "hs_codes": hs,
        "equipment": equipment_text[:500],
        "tolerance_mm": tol,
        "capacity_per_month": cap,
        "capacity_unit": unit,
        "min_order_qty": moq,
        "language": text_lang,
        "_products_raw": nfc(prod_text),
    }


def _certifications(
    rng: random.Random, arche: dict[str, Any], employees: int
) -> list[dict[str, Any]]:
    size = min(1.0, employees / 500)
    odds: list[tuple[str, float]] = [
        ("ISO 9001", 0.35 + 0.5 * size),
        ("ISO 14001", 0.05 + 0.35 * size),
        ("ISO 45001", 0.02 + 0.15 * size),
    ]
    sectors = arche["sectors"]
    if S_AUTO in sectors:
        odds.append(("IATF 16949", 0.05 + 0.5 * size))
    if S_TEXT in sectors or S_LEATHER in sectors:
        odds += [
            ("OEKO-TEX", 0.3),
            ("BSCI", 0.25 + 0.3 * size),
            ("WRAP", 0.08),
            ("GRS", 0.05),
            ("SA8000", 0.02),
        ]
    if S_ELEC in sectors:
        odds += [("RoHS", 0.35), ("UL", 0.06)]
    if arche["key"] in ("precision", "plastics", "electronics", "hitech"):
        odds.append(("ISO 13485", 0.03))
    if arche["key"] in ("sanitary", "forging"):
        odds.append(("JIS", 0.05))
    if arche["key"] == "hitech":
        odds.append(("ISO/IEC 17025", 0.1))
    names = demo_data("suppliers")
    certs = []
    for standard, p in odds:
        if (
            standard != "ISO 9001"
            and "ISO 9001" not in [c["standard"] for c in certs]
            and standard.startswith(("ISO", "IATF"))
        ):
            p *= 0.3  # management-system certificates usually come after ISO 9001
        if rng.random() < p:
            issuer = "Quacert" if standard == "RoHS" else rng.choice(names["certificate_issuers"])
            if standard in ("BSCI", "WRAP", "SA8000"):
                issuer = rng.choice(names["social_audit_issuers"])
            if standard == "OEKO-TEX":
                issuer = rng.choice(names["oeko_tex_issuers"])
            prefix = names["certificate_prefixes"].get(issuer, "OT-")
            number = f"{prefix}{rng.randint(10_000, 99_999)}"
            if standard == "BSCI":
                number = f"DBID {rng.randint(100_000, 499_999)}"
            certs.append(
                {
                    "standard": standard,
                    "issuer": issuer,
                    "certificate_no": number,
                    "valid_until": _valid_until(rng).isoformat(),
                }
            )
    return certs


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def _generate_suppliers(rng: random.Random, used_tax: set[str]) -> list[dict[str, Any]]:
    names = demo_data("suppliers")
    archetypes = names["archetypes"]
    texts = _texts()["supplier"]
    suppliers: list[dict[str, Any]] = []
    used_names: set[str] = set()
    n = 0
    for code in SEED_PROVINCES:
        zones = _zones(code)
        weights = [a["weights"][code] for a in archetypes]
        province_vi = _provinces()[code]["name_vi"]
        for _ in range(SUPPLIERS_PER_PROVINCE[code]):
            n += 1
            arche = rng.choices(archetypes, weights=weights)[0]
            while True:
                label_vi, label_en = rng.choice(arche["names"])
                proper = rng.choice(names["proper_names"])
                form_vi, form_en = rng.choice(names["legal_forms"])
                name_vi = nfc(f"{form_vi} {label_vi} {proper}")
                if name_vi not in used_names:
                    used_names.add(name_vi)
                    break
            proper_en = strip_diacritics(proper)
            name_en = f"{proper_en} {label_en} {form_en}"
            zone = rng.choice(zones) if rng.random() < 0.75 else None
            employees = _employees(rng)
            founded = rng.randint(1995, 2022)
            years = 2026 - founded
            jv = rng.random() < (0.04 + 0.12 * min(1.0, employees / 800))
            n_caps = min(len(arche["processes"]), max(1, min(6, int(rng.triangular(1, 6.9, 2)))))
            procs = [arche["processes"][0]] if rng.random() < 0.6 else []
            others = [p for p in arche["processes"] if p not in procs]
            procs += rng.sample(others, n_caps - len(procs))
            caps = []
            for pid in procs:
                r = rng.random()
                lang = "en" if r < 0.15 else ("vi_nodiac" if r < 0.25 else "vi")
                caps.append(_capability(rng, pid, lang, years))
            slug = _ascii_slug(proper) + _ascii_slug(label_en.split()[0])[:6]
            contact = _person(rng)
            phone = _phone(rng, code)
            if rng.random() < 0.4:
                phone = f"09{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            main_products = ", ".join(c["_products_raw"] for c in caps[:2])
            facts = {"name": name_vi, "founded": founded, "employees": employees}
            if rng.random() < 0.85:
                desc = texts["vi"].format(**facts, province=province_vi, products=main_products)
                if jv:
                    desc += " " + texts["vi_joint_venture"]
            else:
                province_en = _provinces()[code]["name_en"]
                desc = texts["en"].format(**facts, province=province_en, products=main_products)
            sectors = list(arche["sectors"])
            suppliers.append(
                {
                    "demo_key": f"demo-sup-{n:04d}",
                    "role": "supplier",
                    "name_vi": name_vi,
                    "name_en": name_en,
                    "tax_code": _tax_code(rng, code, used_tax),
                    "province": code,
                    "zone": zone["name"] if zone else None,
                    "address": nfc(_address(rng, code, zone)),
                    "employees": employees,
                    "year_founded": founded,
                    "ownership": "joint_venture" if jv else "domestic",
                    "country_of_origin": rng.choice(names["partner_countries"])
                    if jv
                    else "Vietnam",
                    "contact_name": nfc(contact),
                    "contact_email": f"{rng.choice(names['email_names'])}@{slug}.example",
                    "contact_phone": phone,
                    "website": f"https://{slug}.example" if rng.random() < 0.6 else "",
                    "description": nfc(desc),
                    "sectors": sectors,
                    "capabilities": caps,
                    "certifications": _certifications(rng, arche, employees),
                    "_archetype": arche["key"],
                }
            )
    return suppliers


def _generate_buyers(rng: random.Random, used_tax: set[str]) -> list[dict[str, Any]]:
    data = demo_data("buyers")
    texts = _texts()["buyer"]
    buyers = []
    for i, item in enumerate(data["firms"], start=1):
        name_en, country, profile = item["name_en"], item["country"], item["profile"]
        code = rng.choice(data["provinces_by_profile"].get(profile, data["provinces"]))
        zone = rng.choice([z for z in _zones(code) if z["kind"] == "KCN"])
        core = name_en
        for suffix in data["legal_suffixes"]:
            core = core.replace(suffix, "")
        slug = _ascii_slug(core.split()[0])
        contact = rng.choice(data["contacts"].get(country, data["other_contacts"]))
        if rng.random() < 0.4:
            contact = _person(rng)
        employees = rng.choice([300, 450, 800, 1200, 1500, 2000, 3500, 5000, 8000])
        sector = data["profiles"][profile]["sector"]
        province = _provinces()[code]
        buyers.append(
            {
                "demo_key": f"demo-buy-{i:03d}",
                "role": "buyer",
                "name_vi": nfc(texts["name_vi"].format(core=core)),
                "name_en": name_en,
                "tax_code": _tax_code(rng, code, used_tax),
                "province": code,
                "zone": zone["name"],
                "address": nfc(_address(rng, code, zone)),
                "employees": employees,
                "year_founded": rng.randint(2002, 2021),
                "ownership": "fdi",
                "country_of_origin": country,
                "contact_name": nfc(contact),
                "contact_email": f"purchasing@{slug}-vn.example",
                "contact_phone": _phone(rng, code),
                "website": f"https://www.{slug}.example",
                "description": nfc(
                    texts["description"].format(
                        country_vi=data["country_vi"][country],
                        province_vi=province["name_vi"],
                        sector=_taxonomy()[sector]["name_vi"].lower(),
                        country=country,
                        province_en=province["name_en"],
                    )
                ),
                "sectors": [sector],
                "capabilities": [],
                "certifications": [],
                "_profile": profile,
            }
        )
    return buyers


def _need_text(
    rng: random.Random,
    pid: str,
    mats: list[str],
    qty: int,
    tol: float | None,
    certs: list[str],
    product: list[str],
    lang: str,
    delivery: str,
) -> tuple[str, str]:
    spec = _processes()[pid]
    texts = _texts()["need"][lang]
    if lang == "en":
        proc = rng.choice(spec.get("short_en", []) + spec["en"])
        mat = " / ".join(_mat_label(m, "en") if rng.random() < 0.5 else _mat_code(m) for m in mats)
    else:
        proc = rng.choice(spec["vi"])
        mat = ", ".join(_mat_label(m, "vi") for m in mats)
    k = 1 if lang == "en" else 0
    values = {
        "proc": proc,
        "Proc": _upper_first(proc),
        "product": product[k],
        "Product": _upper_first(product[k]),
        "materials": mat,
        "codes": "/".join(_mat_code(m) for m in mats),
        "quantity": texts["quantity"].format(
            qty=_fmt_int(qty, lang), unit=_words()["units"][lang][spec["unit"]]
        ),
        "tol": _fmt_tol(tol) if tol is not None else "",
        "certs": ", ".join(certs),
        "certs_plus": " + ".join(certs),
        "province": _provinces()[delivery][f"name_{lang}"],
    }
    title = rng.choice(texts["titles"]).format(**values)
    present = {"tolerance": tol is not None, "certifications": bool(certs)}
    parts = [
        _pick(rng, part["text"]).format(**values)
        for part in texts["parts"]
        if present.get(part.get("if", ""), True)
    ]
    return nfc(title)[:200], nfc(" ".join(parts))


def _generate_needs(
    rng: random.Random, suppliers: list[dict[str, Any]], buyers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    data = demo_data("buyers")
    by_process: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for firm in suppliers:
        for cap in firm["capabilities"]:
            by_process.setdefault(cap["process"], []).append((firm, cap))
    needs = []
    ref = REFERENCE_DAY.isoformat()
    for i in range(1, N_NEEDS + 1):
        buyer = buyers[(i - 1) % len(buyers)] if i <= len(buyers) else rng.choice(buyers)
        profile = data["profiles"][buyer["_profile"]]
        processes = [p for p in profile["processes"] if p in by_process]
        pid = rng.choice(processes)
        pool = by_process[pid]
        certified = [
            fc for fc in pool if any(c["valid_until"] >= ref for c in fc[0]["certifications"])
        ]
        firm, cap = rng.choice(certified if certified and rng.random() < 0.6 else pool)
        mats = rng.sample(cap["materials"], 1)
        if rng.random() < 0.2:
            extra = [m for m in _processes()[pid]["materials"] if m not in mats]
            if extra:
                mats.append(rng.choice(extra))
        hard = rng.random() < 0.12
        tol = None
        if cap["tolerance_mm"] is not None and rng.random() < 0.8:
            tol = cap["tolerance_mm"] * rng.choice([1, 1, 1.5, 2, 2, 3])
            if hard:
                tol = cap["tolerance_mm"] / 2
            tol = round(tol, 3)
        wanted = [s for s, p in profile["certs"] if rng.random() < p]
        held = [c["standard"] for c in firm["certifications"] if c["valid_until"] >= ref]
        certs = wanted if hard else [s for s in wanted if s in held]
        held_relevant = [s for s, _ in profile["certs"] if s in held]
        if not certs and held_relevant and rng.random() < 0.7:
            certs = held_relevant[:1]
        if hard and not certs:
            certs = [s for s, _ in profile["certs"][:2]]
        monthly = cap["capacity_per_month"]
        qty = _round_nice(monthly * 12 * rng.uniform(0.05, 0.7))
        if hard and rng.random() < 0.5:
            qty = _round_nice(monthly * 12 * rng.uniform(1.5, 3.0))
        product = rng.choice(_processes()[pid]["products"])
        lang = "en" if rng.random() < 0.8 else "vi"
        delivery = (
            buyer["province"]
            if rng.random() < 0.85
            else rng.choice(data["other_delivery_provinces"])
        )
        title, desc = _need_text(rng, pid, mats, qty, tol, certs, product, lang, delivery)
        deadline = date(2027, 1, 1) + timedelta(days=rng.randrange(365))
        needs.append(
            {
                "demo_key": f"demo-need-{i:04d}",
                "buyer": buyer["demo_key"],
                "title": title,
                "description": desc,
                "process": pid,
                "materials": mats,
                "quantity_per_year": qty,
                "tolerance_mm": tol,
                "required_certifications": certs,
                "delivery_province": delivery,
                "deadline": deadline.isoformat(),
                "status": "open",
            }
        )
    return needs


def generate_demo_catalog(seed: int = DEMO_SEED) -> dict:
    """{"suppliers": [firm dicts], "buyers": [firm dicts], "needs": [need dicts]}"""
    rng = random.Random(seed)
    used_tax: set[str] = set()
    suppliers = _generate_suppliers(rng, used_tax)
    buyers = _generate_buyers(rng, used_tax)
    needs = _generate_needs(rng, suppliers, buyers)
    for firm in suppliers + buyers:
        firm.pop("_archetype", None)
        firm.pop("_profile", None)
        for cap in firm["capabilities"]:
            cap.pop("_products_raw", None)
    return {"suppliers": suppliers, "buyers": buyers, "needs": needs}


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def _check_references(
    data: dict,
    provinces: dict[str, Province],
    zones: dict[tuple[int, str], IndustrialZone],
    concepts: dict[str, Concept],
) -> None:
    missing_concepts: set[str] = set()
    missing_provinces: set[str] = set()
    missing_zones: set[str] = set()
    for firm in data["suppliers"] + data["buyers"]:
        prov = provinces.get(firm["province"])
        if prov is None:
            missing_provinces.add(firm["province"])
        elif firm["zone"] and (prov.id, firm["zone"]) not in zones:
            missing_zones.add(f"{firm['province']}/{firm['zone']}")
        missing_concepts.update(s for s in firm["sectors"] if s not in concepts)
        for cap in firm["capabilities"]:
            missing_concepts.update(
                c for c in [cap["process"], *cap["materials"]] if c and c not in concepts
            )
    for need in data["needs"]:
        if need["delivery_province"] and need["delivery_province"] not in provinces:
            missing_provinces.add(need["delivery_province"])
        missing_concepts.update(
            c for c in [need["process"], *need["materials"]] if c and c not in concepts
        )
    problems = []
    if missing_provinces:
        problems.append(f"unknown province codes: {sorted(missing_provinces)}")
    if missing_zones:
        problems.append(f"unknown industrial zones: {sorted(missing_zones)}")
    if missing_concepts:
        problems.append(f"unknown concept ids: {sorted(missing_concepts)}")
    if problems:
        raise LookupError(
            "demo catalog references missing reference data ("
            + "; ".join(problems)
            + "). Load provinces, zones and the taxonomy first "
            "(catalog.reference_data.load_reference_data)."
        )


def demo_visibility(key: str) -> NeedVisibility:
    """Most demo needs are public; some are for registered users or officers only."""
    bucket = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10
    if bucket < 6:
        return NeedVisibility.PUBLIC
    return NeedVisibility.REGISTERED if bucket < 9 else NeedVisibility.OFFICERS


def load_demo_catalog(session: Session, seed: int = DEMO_SEED) -> dict[str, int]:
    """Insert what is missing (matched by demo_key), commit, return counts.

    Counts: {"firms_created": .., "needs_created": .., ...}. Running twice adds nothing.
    Provinces, zones and concepts must already be loaded (see catalog.reference_data).
    """
    data = generate_demo_catalog(seed)
    formers = {f.code: f for f in session.scalars(select(FormerProvince))}
    provinces: dict[str, Province] = {code: f.province for code, f in formers.items()}
    zones = {(z.province_id, z.name): z for z in session.scalars(select(IndustrialZone))}
    concepts = {c.id: c for c in session.scalars(select(Concept))}
    _check_references(data, provinces, zones, concepts)

    firm_ids: dict[str, int] = dict(
        session.execute(select(Firm.demo_key, Firm.id).where(Firm.demo_key.is_not(None))).all()
    )
    taken_tax = set(session.scalars(select(Firm.tax_code).where(Firm.tax_code.is_not(None))))
    counts = {
        "firms_created": 0,
        "suppliers_created": 0,
        "buyers_created": 0,
        "capabilities_created": 0,
        "certifications_created": 0,
        "needs_created": 0,
        "firms_existing": 0,
        "needs_existing": 0,
    }

    new_firms: dict[str, Firm] = {}
    for item in data["suppliers"] + data["buyers"]:
        if item["demo_key"] in firm_ids:
            counts["firms_existing"] += 1
            continue
        prov = provinces[item["province"]]
        firm = Firm(
            demo_key=item["demo_key"],
            role=FirmRole(item["role"]),
            name_vi=item["name_vi"],
            name_en=item["name_en"],
            tax_code=item["tax_code"] if item["tax_code"] not in taken_tax else None,
            province=prov,
            former_province=formers[item["province"]],
            zone=zones[(prov.id, item["zone"])] if item["zone"] else None,
            address=item["address"],
            employees=item["employees"],
            year_founded=item["year_founded"],
            ownership=Ownership(item["ownership"]),
            country_of_origin=item["country_of_origin"],
            contact_name=item["contact_name"],
            contact_email=item["contact_email"],
            contact_phone=item["contact_phone"],
            website=item["website"],
            description=item["description"],
            sectors=[concepts[s] for s in item["sectors"]],
        )
        for cap in item["capabilities"]:
            firm.capabilities.append(
                Capability(
                    title=cap["title"],
                    description=cap["description"],
                    process=concepts[cap["process"]] if cap["process"] else None,
                    materials=[concepts[m] for m in cap["materials"]],
                    products=cap["products"],
                    hs_codes=list(cap["hs_codes"]),
                    equipment=cap["equipment"],
                    tolerance_mm=cap["tolerance_mm"],
                    capacity_per_month=cap["capacity_per_month"],
                    capacity_unit=cap["capacity_unit"],
                    min_order_qty=cap["min_order_qty"],
                    language=cap["language"],
                )
            )
        for cert in item["certifications"]:
            firm.certifications.append(
                Certification(
                    standard=cert["standard"],
                    issuer=cert["issuer"],
                    certificate_no=cert["certificate_no"],
                    valid_until=date.fromisoformat(cert["valid_until"]),
                )
            )
        new_firms[item["demo_key"]] = firm
        counts["firms_created"] += 1
        counts[f"{item['role']}s_created"] += 1
        counts["capabilities_created"] += len(item["capabilities"])
        counts["certifications_created"] += len(item["certifications"])
    session.add_all(new_firms.values())
    session.flush()
    firm_ids.update({key: firm.id for key, firm in new_firms.items()})

    existing_needs = set(session.scalars(select(Need.demo_key).where(Need.demo_key.is_not(None))))
    new_needs = []
    for item in data["needs"]:
        if item["demo_key"] in existing_needs:
            counts["needs_existing"] += 1
            continue
        if item["buyer"] not in firm_ids:
            raise LookupError(f"need {item['demo_key']}: unknown buyer {item['buyer']}")
        new_needs.append(
            Need(
                demo_key=item["demo_key"],
                buyer_id=firm_ids[item["buyer"]],
                title=item["title"],
                description=item["description"],
                process=concepts[item["process"]] if item["process"] else None,
                materials=[concepts[m] for m in item["materials"]],
                quantity_per_year=item["quantity_per_year"],
                tolerance_mm=item["tolerance_mm"],
                required_certifications=list(item["required_certifications"]),
                delivery_province=provinces[item["delivery_province"]]
                if item["delivery_province"]
                else None,
                deadline=date.fromisoformat(item["deadline"]) if item["deadline"] else None,
                status=NeedStatus(item["status"]),
                visibility=demo_visibility(item["demo_key"]),
            )
        )
    session.add_all(new_needs)
    counts["needs_created"] = len(new_needs)
    session.commit()
    return counts
