"""Build the graded, bilingual match-quality development set (BEIR layout).

Run from the repository root:

    .venv/bin/python -m tools.build_devset

Writes, in ``matching/data/devset/`` (where ``matching.eval`` and the tests read it):

* ``corpus.jsonl``: one document per supplier capability of the deterministic demo
  catalog, with the text the engine indexes (``matching.documents.capability_text``);
* ``queries.jsonl``: the hand-written buyer needs in the ``EN`` and ``VI`` literals
  below, with their structured form fields;
* ``qrels/test.tsv``: graded judgements 0..3 for a pool of candidates per query.

The judgements come from a per-query judging spec (target processes, product-family
pattern, fitting materials, adjacent processes, hard-negative processes and words),
turned into grades by ``propose``; per-pair manual grades go in ``OVERRIDES`` (empty so
far: reading led to rule changes instead). See README.md for the protocol.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from catalog.demo import load_demo_catalog
from catalog.models import Base, Capability
from catalog.reference_data import load_reference_data
from catalog.text import fold, has_diacritics
from matching.documents import capability_text

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "matching" / "data" / "devset"

CERT_DAY = date(2026, 11, 21)
TAXONOMY = ROOT / "catalog" / "data" / "taxonomy.json"

# Needs for moulded, cast or pressed parts: mould and die makers are hard negatives.
PART_PROCESSES = {
    "process." + n
    for n in (
        "injection_molding",
        "aluminium_die_casting",
        "zinc_die_casting",
        "stamping",
        "deep_drawing",
        "rubber_molding",
        "blow_molding",
        "shoe_sole_molding",
    )
}

# Pool sizes per proposed grade (best first), see README "Pooling".
POOL_LIMITS = {3: 30, 2: 15, 1: 10, 0: 8}


# ---------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------


def build_corpus() -> list[dict]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    docs: list[dict] = []
    with Session(engine) as s:
        load_reference_data(s)
        load_demo_catalog(s)
        position: Counter[int] = Counter()
        for cap in s.scalars(select(Capability).order_by(Capability.id)):
            firm = cap.firm
            position[firm.id] += 1
            certs = sorted({c.standard for c in firm.valid_certifications(CERT_DAY)})
            docs.append(
                {
                    "_id": f"{firm.demo_key}-{position[firm.id]}",
                    "title": cap.title,
                    "text": capability_text(cap),
                    "metadata": {
                        "firm": firm.demo_key,
                        "firm_name": firm.name_vi,
                        "province": firm.province.code,
                        "process": cap.process_id,
                        "materials": sorted(m.id for m in cap.materials),
                        "capacity_per_month": cap.capacity_per_month,
                        "capacity_unit": cap.capacity_unit,
                        "tolerance_mm": cap.tolerance_mm,
                        "min_order_qty": cap.min_order_qty,
                        "certifications": certs,
                        "language": cap.language,
                    },
                }
            )
    return docs


# ---------------------------------------------------------------------------------------
# Queries and their judging specs (hand-written)
# ---------------------------------------------------------------------------------------


@dataclass
class Q:
    lang: str
    text: str
    process: str | None = None
    materials: tuple[str, ...] = ()
    qty: int | None = None
    certs: tuple[str, ...] = ()
    province: str | None = None
    # judging spec
    jp: tuple[str, ...] | None = None  # processes that can make it (default: process)
    prod: str | None = None  # product-family pattern on folded text (None: any product)
    jm: tuple[str, ...] | None = None  # fitting materials (default: materials)
    adj: tuple[str, ...] = ()  # adjacent processes: grade 1
    neg: tuple[str, ...] = ()  # hard-negative processes: grade 0
    negw: str | None = None  # hard-negative words (folded pattern): grade 0
    tol: float | None = None  # required tolerance, mm
    unmet: bool = False  # deliberately (almost) unmet need
    qid: str = field(default="")


P = "process."
M = "material."
C = "certification."


def p(*names: str) -> tuple[str, ...]:
    return tuple(P + n for n in names)


def m(*names: str) -> tuple[str, ...]:
    return tuple(M + n for n in names)


def c(*names: str) -> tuple[str, ...]:
    return tuple(C + n for n in names)


PLASTIC_HOUSING = r"vo nhua|plastic housing|vo sac|charger housing|vo dieu khien|remote control ho"
TURNED = r"truc|shaft|axle"
EN: list[Q] = [
    # --- machining -----------------------------------------------------------------------
    Q(
        "en",
        "CNC turned shafts SUS304, dia 12 x 80 mm, ±0.02 mm, 50k pcs/year",
        P + "cnc_turning",
        m("stainless_304"),
        50000,
        jp=p("cnc_turning", "cnc_machining"),
        prod=TURNED,
        adj=p("grinding"),
        tol=0.02,
    ),
    Q(
        "en",
        'Looking for a supplier of precision turned brass pneumatic fittings, M5 and 1/8" '
        "threads, approx. 200,000 pcs per year. Nickel plating can be subcontracted by you. "
        "ISO 9001 required, please quote with drawing attached.",
        P + "cnc_turning",
        m("brass"),
        200000,
        c("iso_9001"),
        prod=r"pneumatic|khi nen",
        adj=p("nickel_plating", "cnc_machining"),
    ),
    Q(
        "en",
        "swiss type turned locating pins S45C hardened",
        P + "cnc_turning",
        m("s45c"),
        prod=r"pin|chot",
        adj=p("heat_treatment", "grinding"),
    ),
    Q(
        "en",
        "Machined aluminium housings, 6061-T6, anodized black, 2k pcs/yr",
        P + "cnc_milling",
        m("aluminium_6061"),
        2000,
        jp=p("cnc_milling", "cnc_machining"),
        prod=r"housing|vo nhom|vo, nap nhom|aluminium cover",
        adj=p("anodizing"),
    ),
    Q(
        "en",
        "RFQ: jigs and fixtures for our SMT line and final test stations. Materials aluminium "
        "6061 and POM, small batches (5-20 sets per design), 3D data in STEP. Supplier should be "
        "within 2 hours of Bac Ninh.",
        P + "cnc_milling",
        m("aluminium_6061", "pom"),
        None,
        (),
        "BN",
        jp=p("cnc_milling", "cnc_machining", "additive_manufacturing"),
        prod=r"jig|fixture|do ga",
        adj=p("mould_making"),
        negw=r"do ga han|welding fixture",
    ),
    Q(
        "en",
        "hydraulic manifold block machining",
        P + "cnc_milling",
        prod=r"manifold|van thuy luc",
        adj=p("cnc_machining"),
        neg=p("tig_welding"),
    ),
    Q(
        "en",
        "machined parts to drawing, steel + aluminium, low volume, tol ±0.01",
        None,
        m("s45c", "aluminium_6061"),
        jp=p("cnc_machining", "cnc_milling", "cnc_turning"),
        tol=0.01,
        adj=p("grinding", "wire_cut"),
    ),
    Q(
        "en",
        "Motorbike wheel axles, SCM440, induction hardened, 300k pcs/year. IATF 16949 is a "
        "must for our Honda/Yamaha programs.",
        P + "cnc_turning",
        m("scm440"),
        300000,
        c("iatf_16949"),
        prod=r"axle|truc banh",
        adj=p("heat_treatment", "forging", "cnc_machining"),
    ),
    # --- stamping, sheet metal -------------------------------------------------------------
    Q(
        "en",
        "press parts SPCC brackets t=1.2mm, 500k/yr",
        P + "stamping",
        m("spcc"),
        500000,
        prod=r"bracket|gia do",
        adj=p("sheet_metal_fabrication", "cnc_punching"),
        neg=p("mould_making"),
    ),
    Q(
        "en",
        "Progressive-die stamping of copper contact terminals for switches, high volume",
        P + "stamping",
        m("copper"),
        prod=r"terminal|tiep diem",
        adj=p("nickel_plating"),
        neg=p("mould_making", "wire_cut"),
    ),
    Q(
        "en",
        "Stamped motorcycle frame pressings SPHC 2.3mm incl. spot-welded sub-assy, "
        "IATF 16949 needed",
        P + "stamping",
        m("sphc"),
        None,
        c("iatf_16949"),
        prod=r"frame|khung",
        adj=p("spot_welding", "mig_welding"),
    ),
    Q(
        "en",
        "EMI shield cans for PCB, stamped stainless or tinned steel, 1M pcs per year",
        P + "stamping",
        m("stainless_304", "spcc"),
        1000000,
        prod=r"shield|vo che|nap chan",
        adj=p("deep_drawing"),
    ),
    Q(
        "en",
        "flat washers M6-M12, zinc plated",
        P + "stamping",
        m("spcc"),
        prod=r"washer|long den|vong dem",
        adj=p("fastener_making", "zinc_plating"),
    ),
    Q(
        "en",
        "Deep drawn small motor housings, SPCC, OD 60 mm",
        P + "deep_drawing",
        m("spcc"),
        prod=r"motor housing|vo dong co",
        adj=p("stamping", "aluminium_die_casting"),
    ),
    Q(
        "en",
        "aluminium capacitor cans, deep drawing",
        P + "deep_drawing",
        m("aluminium_5052"),
        prod=r"capacitor|tu dien",
        neg=p("sheet_metal_fabrication"),
        negw=r"tu dien",
    ),
    Q(
        "en",
        "Stainless steel kitchen sinks, deep drawn SUS304, 30k/yr",
        P + "deep_drawing",
        m("stainless_304"),
        30000,
        prod=r"sink|chau rua",
        neg=p("slip_casting", "ceramic_glazing"),
    ),
    Q(
        "en",
        "Sheet metal enclosures for electrical cabinets, SGCC 1.5 mm, powder coated "
        "RAL 7035, approx 3,000 sets/year, ISO 9001",
        P + "sheet_metal_fabrication",
        m("galvanized_steel"),
        3000,
        c("iso_9001"),
        prod=r"cabinet|tu dien|enclosure",
        jm=m("galvanized_steel", "spcc"),
        adj=p("powder_coating", "cnc_punching", "bending", "laser_cutting"),
    ),
    Q(
        "en",
        "laser cutting 10mm SS400 plate, blanks to drawing",
        P + "laser_cutting",
        m("ss400"),
        prod=r"blank|phoi",
        adj=p("cnc_punching", "sheet_metal_fabrication"),
    ),
    Q(
        "en",
        "CNC punching perforated stainless panels",
        P + "cnc_punching",
        m("stainless_304"),
        prod=r"perforat|luoi lo",
        adj=p("laser_cutting", "sheet_metal_fabrication"),
    ),
    Q(
        "en",
        "galvanized cable trays",
        P + "sheet_metal_fabrication",
        m("galvanized_steel"),
        prod=r"cable tray|mang cap",
        adj=p("bending", "cnc_punching"),
    ),
    Q(
        "en",
        "press brake bending, SPCC box enclosures",
        P + "bending",
        m("spcc"),
        prod=r"box|vo hop",
        adj=p("sheet_metal_fabrication"),
    ),
    Q(
        "en",
        "Bent tubular steel chair frames, chrome or powder-coat finish, 10k sets a year",
        P + "pipe_bending",
        m("ss400", "spcc"),
        10000,
        prod=r"chair|ghe",
        adj=p("chrome_plating", "powder_coating", "mig_welding"),
    ),
    Q(
        "en",
        "Motorbike exhaust pipes: tube bending + TIG welding, SUS304",
        P + "pipe_bending",
        m("stainless_304"),
        prod=r"exhaust|ong xa",
        adj=p("tig_welding", "chrome_plating"),
    ),
    # --- welding ----------------------------------------------------------------------------
    Q(
        "en",
        "MIG welded steel structures and machine frames, SS400, parts up to 6 m",
        P + "mig_welding",
        m("ss400"),
        prod=r"structure|ket cau|frame|khung",
        adj=p("sheet_metal_fabrication", "tig_welding"),
    ),
    Q(
        "en",
        "TIG welded stainless tanks for food processing, SUS316",
        P + "tig_welding",
        m("stainless_316"),
        prod=r"tank|bon inox",
        jm=m("stainless_316", "stainless_304"),
        adj=p("sheet_metal_fabrication"),
        neg=p("composite_fabrication"),
    ),
    Q(
        "en",
        "spot welded car body sub-assemblies, IATF 16949",
        P + "spot_welding",
        (),
        None,
        c("iatf_16949"),
        prod=r"car body|o to",
        adj=p("stamping", "mig_welding"),
    ),
    Q(
        "en",
        "Welded engine mounts for motorcycle OEM, supplier in Vinh Phuc preferred",
        P + "mig_welding",
        m("ss400", "sphc"),
        None,
        (),
        "VP",
        prod=r"engine mount|gia do dong co",
        adj=p("stamping", "mechanical_assembly"),
    ),
    # --- casting, forging, fasteners ----------------------------------------------------
    Q(
        "en",
        "die-cast housing ADC12 for LED street light, 20k pcs/year, powder coated",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        20000,
        prod=r"led",
        adj=p("powder_coating", "zinc_die_casting"),
        neg=p("pcb_fabrication", "smt_assembly"),
    ),
    Q(
        "en",
        "Aluminium die casting of motorcycle crankcase and clutch covers, machining "
        "included, IATF 16949",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        None,
        c("iatf_16949"),
        prod=r"crankcase|clutch|nap may|vo con|gearbox|hop so",
        adj=p("cnc_machining", "sand_casting"),
    ),
    Q(
        "en",
        "zamak door handles, chrome finish",
        P + "zinc_die_casting",
        m("zinc_alloy"),
        prod=r"door handle|tay nam",
        adj=p("chrome_plating"),
    ),
    Q(
        "en",
        "Grey iron pump housings, sand cast, 50-200 kg, machined",
        P + "sand_casting",
        m("cast_iron"),
        prod=r"pump|bom",
        adj=p("investment_casting", "cnc_machining"),
    ),
    Q(
        "en",
        "investment cast SS316 impellers",
        P + "investment_casting",
        m("stainless_316"),
        prod=r"impeller|canh bom",
        adj=p("sand_casting"),
    ),
    Q(
        "en",
        "hot forged flanges S45C, DN50-DN200",
        P + "forging",
        m("s45c"),
        prod=r"flange|mat bich",
        adj=p("cnc_turning", "sand_casting"),
        neg=p("laser_cutting"),
    ),
    Q(
        "en",
        "Forged connecting rods for 110cc engines, SCM440, IATF 16949 certified supplier",
        P + "forging",
        m("scm440"),
        None,
        c("iatf_16949"),
        prod=r"connecting rod|tay bien",
        adj=p("cnc_machining", "heat_treatment"),
    ),
    Q(
        "en",
        "hex bolts M8-M16 class 8.8 zinc plated, about 5 t per month",
        P + "fastener_making",
        m("scm440", "s45c"),
        prod=r"hex bolt|bu long luc giac",
        adj=p("zinc_plating", "heat_treatment"),
    ),
    Q(
        "en",
        "M3 stainless machine screws for electronics assembly, A2",
        P + "fastener_making",
        m("stainless_304"),
        prod=r"machine screw|vit may",
        adj=p("cnc_turning"),
    ),
    Q("en", "rivets supplier", P + "fastener_making", prod=r"rivet|dinh tan"),
    # --- heat treatment, surface treatment --------------------------------------------------
    Q(
        "en",
        "Vacuum hardening of SKD11 press dies to 58-60 HRC",
        P + "heat_treatment",
        m("tool_steel_skd11"),
        prod=r"die|khuon dap",
        adj=p("grinding", "surface_coating_pvd"),
        neg=p("mould_making"),
    ),
    Q(
        "en",
        "induction hardening shafts and gears",
        P + "heat_treatment",
        prod=r"shaft|gear|truc|banh rang",
        adj=p("gear_cutting", "grinding"),
        neg=p("cnc_turning"),
    ),
    Q(
        "en",
        "Zinc plating (trivalent blue/yellow passivation) for bolts and stamped brackets, "
        "RoHS compliant, approx. 20 t/month",
        P + "zinc_plating",
        (),
        None,
        c("rohs"),
        adj=p("electroplating", "nickel_plating"),
        negw=r"ton ma kem|galvanized",
    ),
    Q(
        "en",
        "chrome-on-ABS decorative trim plating",
        P + "chrome_plating",
        m("abs"),
        prod=r"abs",
        adj=p("nickel_plating", "injection_molding"),
    ),
    Q(
        "en",
        "nickel plating for brass electrical connectors",
        P + "nickel_plating",
        m("brass"),
        prod=r"connector|dau noi",
        adj=p("chrome_plating", "zinc_plating"),
    ),
    Q(
        "en",
        "anodize aluminium heat sinks black",
        P + "anodizing",
        (),
        prod=r"heat sink|tan nhiet",
        adj=p("aluminium_die_casting", "cnc_milling"),
        neg=p("stamping"),
    ),
    Q(
        "en",
        "powder coating for e-bike frames",
        P + "powder_coating",
        m("powder_paint"),
        prod=r"bike|xe dap",
        jm=(),
        adj=p("ed_coating", "painting"),
        neg=p("zinc_plating", "chrome_plating"),
    ),
    Q(
        "en",
        "Need a PAINTING supplier (wet spray, 2K PU, high gloss) for motorbike plastic "
        "covers in PP/ABS, approx. 40k sets/year. Not plating.",
        P + "painting",
        m("abs", "pp"),
        40000,
        prod=r"motorbike|xe may",
        adj=p("powder_coating", "ed_coating", "injection_molding"),
        neg=p("chrome_plating", "nickel_plating", "zinc_plating"),
    ),
    Q(
        "en",
        "e-coat for car underbody parts, IATF 16949",
        P + "ed_coating",
        (),
        None,
        c("iatf_16949"),
        prod=r"underbody|gam o to",
        adj=p("powder_coating", "zinc_plating"),
    ),
    Q(
        "en",
        "mirror polishing of stainless parts (#8 finish)",
        P + "polishing",
        m("stainless_304"),
        prod=r"stainless|inox",
        adj=p("grinding", "surface_coating_pvd"),
    ),
    Q(
        "en",
        "PVD gold coating on brass faucets",
        P + "surface_coating_pvd",
        m("brass"),
        prod=r"faucet|voi",
        adj=p("chrome_plating", "polishing"),
        neg=p("brass_faucet_machining"),
    ),
    # --- tooling -------------------------------------------------------------------------
    Q(
        "en",
        "Injection mould maker wanted: P20/NAK80 steel, 2-cavity hot runner tools for ABS "
        "housings, T1 samples in 6 weeks.",
        P + "mould_making",
        m("mould_steel_p20"),
        prod=r"injection mould|khuon ep nhua",
        adj=p("edm", "injection_molding", "cnc_milling"),
    ),
    Q(
        "en",
        "progressive die for bracket stamping, SKD11 inserts",
        P + "mould_making",
        m("tool_steel_skd11"),
        prod=r"progressive|lien hoan",
        adj=p("wire_cut", "grinding", "edm"),
        neg=p("stamping"),
    ),
    Q(
        "en",
        "wire EDM punch and die inserts ±0.005",
        P + "wire_cut",
        m("tool_steel_skd11"),
        tol=0.005,
        adj=p("edm", "grinding"),
    ),
    Q(
        "en",
        "sinker EDM for mould cavities incl. copper electrodes",
        P + "edm",
        adj=p("wire_cut", "mould_making"),
    ),
    Q(
        "en",
        "precision centerless grinding of guide shafts, h6",
        P + "grinding",
        prod=r"guide|dan huong",
        adj=p("cnc_turning", "heat_treatment"),
    ),
    Q(
        "en",
        "Motorbike gearbox gears, hobbing + carburizing, SCM440, IATF 16949",
        P + "gear_cutting",
        m("scm440"),
        None,
        c("iatf_16949"),
        prod=r"gearbox|hop so",
        adj=p("heat_treatment", "forging", "powder_metallurgy"),
        neg=p("aluminium_die_casting"),
    ),
    Q(
        "en",
        "sintered bronze bushings",
        P + "powder_metallurgy",
        m("copper"),
        prod=r"bushing|bac thieu ket|bac lot",
        adj=p("cnc_turning"),
    ),
    Q(
        "en",
        "stainless compression springs, wire dia 0.5-2 mm",
        P + "spring_making",
        m("stainless_304"),
        prod=r"compression|lo xo nen",
    ),
    Q(
        "en",
        "Rear suspension springs for scooters, IATF 16949, 400k pcs/yr",
        P + "spring_making",
        m("spring_steel"),
        400000,
        c("iatf_16949"),
        prod=r"suspension|giam xoc",
        adj=p("heat_treatment"),
    ),
    Q(
        "en",
        "sub-assembly of motorbike brake assemblies",
        P + "mechanical_assembly",
        prod=r"brake|phanh",
        adj=p("sand_casting", "stamping"),
    ),
    # --- plastics & rubber ---------------------------------------------------------------
    Q(
        "en",
        "IM parts, ABS housings",
        P + "injection_molding",
        m("abs"),
        prod=PLASTIC_HOUSING,
        adj=p("mould_making", "painting"),
        negw=r"khuon ep nhua|injection mould",
    ),
    Q(
        "en",
        "We need injection moulded housings for smart electricity meters: PC/ABS, UL94 V-0, "
        "ultrasonic welded, approx. 100k pcs/year, RoHS. Local supplier near Hanoi preferred.",
        P + "injection_molding",
        m("pc", "abs"),
        100000,
        c("rohs"),
        "HN",
        prod=PLASTIC_HOUSING,
        adj=p("box_build_assembly", "mould_making"),
        negw=r"khuon ep nhua|injection mould",
    ),
    Q(
        "en",
        "PA66 GF30 technical parts, injection molding, automotive, IATF 16949",
        P + "injection_molding",
        m("pa66"),
        None,
        c("iatf_16949"),
        adj=p("extrusion"),
        negw=r"khuon ep nhua",
    ),
    Q(
        "en",
        "POM plastic gears module 0.5 for small gear motors",
        P + "injection_molding",
        m("pom"),
        prod=r"gear|banh rang",
        adj=p("additive_manufacturing"),
        neg=p("gear_cutting", "powder_metallurgy"),
    ),
    Q(
        "en",
        "toilet seats PP injection moulding",
        P + "injection_molding",
        m("pp"),
        prod=r"toilet|bon cau",
        adj=p("sanitary_accessory_assembly"),
        neg=p("slip_casting", "ceramic_glazing"),
    ),
    Q(
        "en",
        "HDPE jerrycans 20 L, blow moulded",
        P + "blow_molding",
        m("pe"),
        prod=r"jerrycan|can nhua",
        adj=p("extrusion"),
    ),
    Q(
        "en",
        "coolant reservoir tanks, blow molding",
        P + "blow_molding",
        m("pp", "pe"),
        prod=r"coolant|lam mat",
        adj=p("injection_molding"),
    ),
    Q(
        "en",
        "PVC electrical conduit extrusion",
        P + "extrusion",
        m("pvc"),
        prod=r"conduit|luon day",
        adj=p("wire_harness"),
    ),
    Q(
        "en",
        "EPDM rubber gaskets",
        P + "rubber_molding",
        m("epdm"),
        prod=r"gasket|gioang",
        adj=p("extrusion"),
    ),
    Q(
        "en",
        "Silicone rubber keypads for remote controls with pad-printed legends, 200k pcs/yr",
        P + "rubber_molding",
        m("silicone"),
        200000,
        prod=r"keypad|ban phim",
        adj=p("pad_printing", "injection_molding"),
    ),
    Q("en", "NBR oil seals", P + "rubber_molding", m("nbr"), prod=r"oil seal|phot"),
    Q(
        "en",
        "pad printing on ABS keys and buttons",
        P + "pad_printing",
        m("abs"),
        prod=r"key|button|phim",
        adj=p("injection_molding"),
    ),
    # --- electronics ----------------------------------------------------------------------
    Q(
        "en",
        "PCBA",
        P + "smt_assembly",
        adj=p("tht_soldering", "box_build_assembly"),
        neg=p("pcb_fabrication"),
    ),
    Q(
        "en",
        "SMT assembly of LED driver boards, 0402 components, lead-free, IPC-A-610 class 2, "
        "about 200k boards/year. RoHS.",
        P + "smt_assembly",
        m("lead_free_solder"),
        200000,
        c("rohs"),
        prod=r"led\b",
        jm=(),
        adj=p("tht_soldering", "pcb_fabrication"),
        neg=p("aluminium_die_casting"),
    ),
    Q(
        "en",
        "Turnkey box build for smart sockets: PCBA, plastic housing, final test and packing",
        P + "box_build_assembly",
        prod=r"socket|o cam",
        adj=p("smt_assembly", "injection_molding"),
    ),
    Q(
        "en",
        "double sided FR4 PCB 1.6 mm HASL lead-free",
        P + "pcb_fabrication",
        m("fr4"),
        prod=r"double|2 lop",
        adj=p("smt_assembly"),
    ),
    Q(
        "en",
        "aluminium-core PCBs for LED modules",
        P + "pcb_fabrication",
        prod=r"led|pcb nhom|aluminium led",
        adj=p("smt_assembly"),
        neg=p("aluminium_die_casting", "anodizing"),
    ),
    Q(
        "en",
        "Wire harness for motorcycles, IATF 16949, crimp + tape, 150k sets/year",
        P + "wire_harness",
        m("pvc_wire"),
        None,
        c("iatf_16949"),
        prod=r"motorbike|xe may",
        jm=(),
        adj=p("coil_winding"),
    ),
    Q(
        "en",
        "power cords with moulded plugs, UL listed, 1M pcs/yr",
        P + "wire_harness",
        m("pvc_wire"),
        1000000,
        c("ul"),
        prod=r"power cord|day nguon",
        jm=(),
        adj=p("extrusion"),
    ),
    Q(
        "en",
        "SMPS transformers EE25 ferrite core",
        P + "transformer_making",
        m("ferrite"),
        prod=r"smps|xung",
        adj=p("coil_winding"),
    ),
    Q(
        "en",
        "choke coils / inductors, winding",
        P + "coil_winding",
        prod=r"inductor|cuon cam",
        adj=p("transformer_making"),
    ),
    Q(
        "en",
        "THT + wave soldering of power supply boards",
        P + "tht_soldering",
        prod=r"power supply|bo nguon",
        adj=p("smt_assembly", "box_build_assembly"),
    ),
    # --- textiles, garments, footwear -------------------------------------------------------
    Q(
        "en",
        "CMT sewing of workwear, 20k pcs/month, BSCI audited factory",
        P + "cutting_sewing",
        (),
        240000,
        c("bsci"),
        prod=r"workwear|bao ho",
        adj=p("embroidery", "fabric_printing"),
    ),
    Q(
        "en",
        "Car seat covers, cut & sew, PU leather/fabric, IATF 16949 for auto OEM",
        P + "cutting_sewing",
        m("pu_leather", "polyester"),
        None,
        c("iatf_16949"),
        prod=r"seat|ghe",
        jm=(),
        adj=p("pu_leather_coating"),
    ),
    Q(
        "en",
        "OEKO-TEX certified cotton jersey 180 gsm, knitting and dyeing",
        P + "knitting",
        m("cotton"),
        None,
        c("oeko_tex"),
        prod=r"jersey|thun cotton",
        adj=p("dyeing_finishing"),
    ),
    Q(
        "en",
        "Ne 30 combed cotton yarn, 20 tons/month",
        P + "spinning",
        m("cotton"),
        prod=r"ne 30|combed|chai ky",
        adj=p("weaving", "knitting"),
    ),
    Q(
        "en",
        "woven labels + elastic tape for garments",
        P + "label_weaving",
        prod=r"label|nhan|elastic|chun",
        adj=p("embroidery"),
        neg=p("carton_packaging"),
    ),
    Q(
        "en",
        "Woven fusible interlining for shirt collars and cuffs",
        P + "interlining",
        prod=r"woven|det thoi",
        adj=p("weaving"),
    ),
    Q(
        "en",
        "polyester wadding 100 gsm for padded jackets",
        P + "padding_wadding",
        m("polyester"),
        prod=r"jacket|wadding|bong tam",
        adj=p("interlining"),
    ),
    Q(
        "en",
        "PU synthetic leather for shoe uppers, REACH",
        P + "pu_leather_coating",
        m("pu_leather"),
        None,
        c("reach"),
        prod=r"shoe|giay",
        adj=p("shoe_upper_stitching"),
    ),
    Q(
        "en",
        "EVA midsoles, 50k pairs/month",
        P + "shoe_sole_molding",
        m("eva"),
        prod=r"eva",
        adj=p("rubber_molding"),
    ),
    Q(
        "en",
        "embroidered logos on polo shirts",
        P + "embroidery",
        prod=r"logo",
        adj=p("fabric_printing", "cutting_sewing"),
    ),
    Q(
        "en",
        "denim weaving 12 oz",
        P + "weaving",
        m("denim"),
        prod=r"denim|jean",
        adj=p("dyeing_finishing", "spinning"),
    ),
    # --- sanitary, packaging, others --------------------------------------------------------
    Q(
        "en",
        "Vitreous china washbasins (slip cast), 2,000 pcs/month",
        P + "slip_casting",
        m("ceramic"),
        24000,
        prod=r"washbasin|chau rua",
        adj=p("ceramic_glazing"),
        neg=p("deep_drawing", "brass_faucet_machining"),
    ),
    Q(
        "en",
        "brass angle valves chrome plated, 100k/yr",
        P + "brass_faucet_machining",
        m("brass"),
        100000,
        prod=r"angle valve|van goc",
        adj=p("chrome_plating", "forging"),
    ),
    Q(
        "en",
        "flush valves for two-piece toilets",
        P + "sanitary_accessory_assembly",
        prod=r"flush|bo xa",
        adj=p("injection_molding"),
    ),
    Q(
        "en",
        "5-ply export cartons, FSC",
        P + "carton_packaging",
        m("paper_carton"),
        None,
        c("fsc"),
        prod=r"5 lop|5-ply",
    ),
    Q(
        "en",
        "3D printed prototypes in nylon",
        P + "additive_manufacturing",
        m("pa66"),
        prod=r"prototype|mau thu",
        adj=p("cnc_milling"),
    ),
    Q(
        "en",
        "carbon fibre composite covers",
        P + "composite_fabrication",
        m("carbon_fiber"),
        prod=r"cover|vo composite",
    ),
    # --- more short needs -------------------------------------------------------------------
    Q(
        "en",
        "die casting aluminium heat sinks for inverters",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        prod=r"heat sink|tan nhiet",
        adj=p("anodizing", "stamping"),
    ),
    Q(
        "en",
        "Smart meter PCBA, SMT + AOI + ICT, 80k units/year, ISO 9001 & RoHS",
        P + "smt_assembly",
        m("fr4", "lead_free_solder"),
        80000,
        c("iso_9001", "rohs"),
        prod=r"smart meter|dong ho",
        jm=(),
        adj=p("box_build_assembly", "tht_soldering"),
    ),
    Q(
        "en",
        "charger PCBA assembly",
        P + "smt_assembly",
        prod=r"charger|mach sac",
        adj=p("tht_soldering", "box_build_assembly"),
    ),
    Q(
        "en",
        "fan controller boards, through-hole",
        P + "tht_soldering",
        prod=r"fan|quat",
        adj=p("smt_assembly"),
    ),
    Q(
        "en",
        "appliance signal cables / wire assemblies",
        P + "wire_harness",
        prod=r"signal|tin hieu",
        adj=p("extrusion"),
    ),
    Q(
        "en",
        "relay coils, enamelled copper wire 0.05 mm",
        P + "coil_winding",
        m("enamelled_copper_wire"),
        prod=r"relay|ro le",
        adj=p("transformer_making"),
    ),
    Q(
        "en",
        "power transformers 50 VA, silicon steel lamination",
        P + "transformer_making",
        m("silicon_steel"),
        prod=r"power transformer|bien ap nguon",
        adj=p("coil_winding"),
    ),
    Q(
        "en",
        "T-shirt cut and sew, cotton jersey, OEKO-TEX, 50k pcs/month",
        P + "cutting_sewing",
        m("cotton"),
        600000,
        c("oeko_tex"),
        prod=r"t-shirt|ao thun",
        adj=p("knitting", "fabric_printing"),
    ),
    Q(
        "en",
        "screen printed logos on T-shirts",
        P + "fabric_printing",
        prod=r"logo",
        adj=p("embroidery", "cutting_sewing"),
    ),
    Q(
        "en",
        "non-woven fusible interlining",
        P + "interlining",
        m("nonwoven"),
        prod=r"non-woven|khong det",
        adj=p("padding_wadding"),
    ),
    Q(
        "en",
        "quilted padding for bedding and jackets",
        P + "padding_wadding",
        prod=r"quilt|bong chan",
        adj=p("embroidery"),
    ),
    Q(
        "en",
        "motorbike seat vinyl / PVC leather",
        P + "pu_leather_coating",
        m("pvc", "pu_leather"),
        prod=r"seat|ghe xe may",
        adj=p("cutting_sewing"),
    ),
    Q(
        "en",
        "rubber outsoles for sports shoes",
        P + "shoe_sole_molding",
        m("natural_rubber"),
        prod=r"rubber|cao su",
        adj=p("rubber_molding"),
    ),
    Q(
        "en",
        "sports shoe uppers stitching, PU + mesh",
        P + "shoe_upper_stitching",
        prod=r"sports|the thao",
        adj=p("pu_leather_coating", "cutting_sewing"),
    ),
    Q(
        "en",
        "CVC blended yarn Ne 40",
        P + "spinning",
        m("cotton", "polyester"),
        prod=r"cvc",
        adj=p("knitting", "weaving"),
    ),
    Q(
        "en",
        "ceramic glazing and firing of sanitary ware",
        P + "ceramic_glazing",
        m("ceramic"),
        adj=p("slip_casting"),
        neg=p("powder_coating"),
    ),
    Q(
        "en",
        "shower mixers and basin faucets, brass, lead-free, CE",
        P + "brass_faucet_machining",
        m("brass"),
        None,
        c("ce"),
        prod=r"mixer|basin|cu sen|lavabo|shower",
        adj=p("chrome_plating", "zinc_die_casting"),
    ),
    Q(
        "en",
        "cylindrical grinding of punches and dies, SKD11",
        P + "grinding",
        m("tool_steel_skd11"),
        prod=r"punch|chay coi",
        adj=p("wire_cut", "heat_treatment"),
    ),
    Q(
        "en",
        "SECC machine casings CNC punched + bent",
        P + "cnc_punching",
        m("galvanized_steel"),
        prod=r"casing|vo may",
        adj=p("sheet_metal_fabrication", "bending"),
    ),
    Q(
        "en",
        "flexible PVC hose extrusion",
        P + "extrusion",
        m("pvc"),
        prod=r"hose|ong mem",
        adj=p("rubber_molding"),
    ),
    # --- deliberately (almost) unmet ------------------------------------------------------
    Q(
        "en",
        "Leather tanning, wet-blue to crust, genuine cow leather for footwear",
        P + "leather_tanning",
        m("genuine_leather"),
        jp=(),
        unmet=True,
        adj=p("pu_leather_coating", "shoe_upper_stitching"),
    ),
    Q(
        "en",
        "printed LDPE polybags with suffocation warning, 2 million pcs/year",
        P + "plastic_film_bags",
        m("pe"),
        2000000,
        jp=(),
        unmet=True,
        adj=p("extrusion"),
        negw=r"tui xach|bag buckle",
    ),
    Q(
        "en",
        "thermoformed PET blister trays for component packaging",
        P + "thermoforming",
        m("pet"),
        jp=(),
        unmet=True,
        adj=p("injection_molding", "blow_molding"),
        prod=r"tray|khay",
    ),
    Q(
        "en",
        "Titanium machined implants, ISO 13485 certified supplier only",
        P + "cnc_machining",
        m("titanium"),
        None,
        c("iso_13485"),
        jp=(),
        unmet=True,
        adj=p("additive_manufacturing", "cnc_machining"),
    ),
]

VI: list[Q] = [
    # --- gia công cơ khí ------------------------------------------------------------------
    Q(
        "vi",
        "Gia công tiện CNC trục inox 304, dung sai ±0.02 mm, 5.000 sp/tháng",
        P + "cnc_turning",
        m("stainless_304"),
        60000,
        jp=p("cnc_turning", "cnc_machining"),
        prod=TURNED,
        adj=p("grinding"),
        tol=0.02,
    ),
    Q(
        "vi",
        "tien cnc truc dong co",
        P + "cnc_turning",
        (),
        prod=r"truc dong co|motor shaft",
        jp=p("cnc_turning"),
        adj=p("cnc_machining", "grinding"),
        neg=p("coil_winding"),
    ),
    Q(
        "vi",
        "Cần đối tác tiện bạc lót đồng thau, sản lượng 20.000 chiếc/tháng, yêu cầu có "
        "ISO 9001, giao hàng tại Vĩnh Phúc.",
        P + "cnc_turning",
        m("brass"),
        240000,
        c("iso_9001"),
        "VP",
        prod=r"bac lot|bushing",
        adj=p("powder_metallurgy"),
    ),
    Q(
        "vi",
        "gia cong cnc chi tiet may theo ban ve",
        P + "cnc_machining",
        jp=p("cnc_machining", "cnc_milling", "cnc_turning"),
        prod=r"ban ve|drawing",
        adj=p("wire_cut"),
    ),
    Q(
        "vi",
        "Phay CNC đồ gá kiểm tra bằng nhôm 6061 cho dây chuyền lắp ráp điện tử",
        P + "cnc_milling",
        m("aluminium_6061"),
        prod=r"do ga|jig|fixture",
        jp=p("cnc_milling", "cnc_machining"),
        negw=r"do ga han|welding fixture",
    ),
    Q(
        "vi",
        "phay cnc vo nhom 6061 anodize den",
        P + "cnc_milling",
        m("aluminium_6061"),
        jp=p("cnc_milling", "cnc_machining"),
        prod=r"vo nhom|housing|nap nhom|aluminium cover",
        adj=p("anodizing", "aluminium_die_casting"),
    ),
    Q(
        "vi",
        "Gia công tấm đế khuôn (mould base) thép S45C, phay CNC 3 trục",
        P + "cnc_milling",
        m("s45c"),
        prod=r"tam de khuon|mould base",
        adj=p("mould_making", "grinding"),
    ),
    Q(
        "vi",
        "cần gia công CNC linh kiện cho thiết bị điện tử, nhôm + POM, dung sai ±0.01",
        P + "cnc_machining",
        m("aluminium_6061", "aluminium_5052", "pom"),
        jp=p("cnc_machining", "cnc_milling"),
        prod=r"dien tu|electronics",
        tol=0.01,
    ),
    Q(
        "vi",
        "Phụ tùng máy công nghiệp gia công theo mẫu, thép SCM440",
        P + "cnc_machining",
        m("scm440"),
        jp=p("cnc_machining"),
        prod=r"phu tung|spare part",
        adj=p("cnc_turning", "cnc_milling"),
    ),
    Q(
        "vi",
        "chốt định vị S45C tiện CNC, nhiệt luyện HRC 50",
        P + "cnc_turning",
        m("s45c"),
        prod=r"chot|pin",
        adj=p("heat_treatment", "grinding"),
    ),
    # --- dập, kim loại tấm ------------------------------------------------------------------
    Q(
        "vi",
        "dập kim loại giá đỡ SPCC",
        P + "stamping",
        m("spcc"),
        prod=r"gia do|bracket",
        adj=p("sheet_metal_fabrication"),
        neg=p("mould_making"),
        negw=r"khuon dap",
    ),
    Q(
        "vi",
        "dap kim loai gia do spcc 2 trieu sp/nam",
        P + "stamping",
        m("spcc"),
        2000000,
        prod=r"gia do|bracket",
        adj=p("sheet_metal_fabrication"),
        neg=p("mould_making"),
        negw=r"khuon dap",
    ),
    Q(
        "vi",
        "Tìm nhà cung cấp chi tiết dập khung xe máy từ thép SPHC, có IATF 16949, "
        "sản lượng 500.000 sp/năm, giao cho nhà máy lắp ráp tại Vĩnh Phúc.",
        P + "stamping",
        m("sphc"),
        500000,
        c("iatf_16949"),
        "VP",
        prod=r"khung xe may|motorbike frame",
        adj=p("mig_welding", "spot_welding", "ed_coating"),
    ),
    Q(
        "vi",
        "lá tiếp điểm đồng dập liên hoàn",
        P + "stamping",
        m("copper"),
        prod=r"tiep diem|terminal",
        adj=p("nickel_plating"),
        neg=p("mould_making"),
    ),
    Q(
        "vi",
        "dap tam tan nhiet nhom 5052",
        P + "stamping",
        m("aluminium_5052"),
        prod=r"tan nhiet|heat sink",
        adj=p("aluminium_die_casting", "anodizing"),
    ),
    Q(
        "vi",
        "Dập vuốt sâu cốc lọc dầu SPCC",
        P + "deep_drawing",
        m("spcc"),
        prod=r"loc dau|oil filter",
        adj=p("stamping"),
    ),
    Q(
        "vi",
        "chau rua inox dap vuot",
        P + "deep_drawing",
        m("stainless_304"),
        prod=r"chau rua|sink",
        neg=p("slip_casting", "ceramic_glazing"),
    ),
    Q(
        "vi",
        "Gia công vỏ tủ điện bằng tôn mạ kẽm, sơn tĩnh điện, khoảng 200 bộ/tháng",
        P + "sheet_metal_fabrication",
        m("galvanized_steel"),
        2400,
        prod=r"tu dien|cabinet",
        jm=m("galvanized_steel", "spcc"),
        adj=p("powder_coating", "cnc_punching", "bending"),
    ),
    Q(
        "vi",
        "vo may loc nuoc inox",
        P + "sheet_metal_fabrication",
        m("stainless_304"),
        prod=r"loc nuoc|water purifier",
        adj=p("bending", "deep_drawing"),
    ),
    Q(
        "vi",
        "Đột dập CNC mặt tủ điện",
        P + "cnc_punching",
        prod=r"tu dien|cabinet",
        adj=p("sheet_metal_fabrication", "laser_cutting"),
    ),
    Q(
        "vi",
        "cắt laser tấm inox 304 theo bản vẽ",
        P + "laser_cutting",
        m("stainless_304"),
        adj=p("cnc_punching", "sheet_metal_fabrication"),
    ),
    Q(
        "vi",
        "chan gap khay mang ton ma kem",
        P + "bending",
        m("galvanized_steel"),
        prod=r"khay|mang|tray|channel",
        adj=p("sheet_metal_fabrication"),
    ),
    Q(
        "vi",
        "Uốn ống tay dắt xe máy, thép, mạ crôm",
        P + "pipe_bending",
        m("ss400", "spcc"),
        prod=r"tay dat|grab rail",
        adj=p("chrome_plating"),
        neg=p("mechanical_assembly"),
    ),
    Q(
        "vi",
        "uon ong dau phanh",
        P + "pipe_bending",
        prod=r"dau phanh|brake line",
        adj=p("sand_casting", "mechanical_assembly"),
    ),
    # --- hàn -------------------------------------------------------------------------------
    Q(
        "vi",
        "hàn MIG khung xe máy",
        P + "mig_welding",
        m("ss400", "sphc", "spcc"),
        prod=r"khung xe may|motorbike frame",
        adj=p("stamping", "spot_welding", "pipe_bending"),
    ),
    Q(
        "vi",
        "han mig chan chong xe may",
        P + "mig_welding",
        prod=r"chan chong|stand",
        adj=p("stamping", "forging"),
    ),
    Q(
        "vi",
        "Cần xưởng hàn TIG khung inox cho thiết bị chế biến thực phẩm, inox 304, "
        "khoảng 50 bộ/tháng",
        P + "tig_welding",
        m("stainless_304"),
        prod=r"thuc pham|food",
        adj=p("sheet_metal_fabrication", "mig_welding"),
    ),
    Q(
        "vi",
        "hàn điểm cụm giá đỡ dập",
        P + "spot_welding",
        prod=r"gia do|bracket",
        adj=p("stamping", "mig_welding"),
    ),
    # --- đúc, rèn, bulông ---------------------------------------------------------------
    Q(
        "vi",
        "đúc nhôm vỏ đèn LED ADC12",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        prod=r"den led|led lamp",
        adj=p("powder_coating"),
        neg=p("smt_assembly", "pcb_fabrication"),
    ),
    Q(
        "vi",
        "duc nhom vo hop so xe may",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        prod=r"hop so|gearbox",
        adj=p("cnc_machining"),
        neg=p("gear_cutting"),
    ),
    Q(
        "vi",
        "Đúc áp lực nhôm vỏ động cơ điện, khoảng 10.000 chiếc/tháng, có gia công CNC sau đúc",
        P + "aluminium_die_casting",
        m("aluminium_adc12"),
        120000,
        prod=r"dong co dien|motor housing",
        adj=p("deep_drawing", "cnc_machining"),
        neg=p("coil_winding"),
    ),
    Q(
        "vi",
        "duc kem than voi nuoc",
        P + "zinc_die_casting",
        m("zinc_alloy"),
        prod=r"voi nuoc|faucet",
        adj=p("brass_faucet_machining", "chrome_plating"),
    ),
    Q(
        "vi",
        "Đúc gang cầu đĩa phanh, puly",
        P + "sand_casting",
        m("cast_iron"),
        prod=r"phanh|puly|brake|pulley",
        adj=p("cnc_turning"),
    ),
    Q(
        "vi",
        "đúc mẫu chảy phụ kiện van inox 316",
        P + "investment_casting",
        m("stainless_316"),
        prod=r"van|valve",
        adj=p("sand_casting", "brass_faucet_machining"),
    ),
    Q(
        "vi",
        "rèn nóng thân van đồng",
        P + "forging",
        m("brass"),
        prod=r"than van|valve bod",
        adj=p("brass_faucet_machining", "sand_casting"),
    ),
    Q(
        "vi",
        "ren phoi banh rang",
        P + "forging",
        prod=r"banh rang|gear",
        adj=p("gear_cutting", "heat_treatment"),
    ),
    Q(
        "vi",
        "bulông lục giác M10 mạ kẽm, 10 tấn/tháng",
        P + "fastener_making",
        m("scm440", "s45c"),
        prod=r"bu long luc giac|hex bolt",
        adj=p("zinc_plating"),
    ),
    Q("vi", "bu long oc vit inox", P + "fastener_making", m("stainless_304"), adj=p("cnc_turning")),
    Q("vi", "vít tự khoan", P + "fastener_making", prod=r"tu khoan|self-drilling"),
    Q("vi", "đai ốc M8 thép", P + "fastener_making", prod=r"dai oc|nuts?\b"),
    # --- nhiệt luyện, xử lý bề mặt -------------------------------------------------------
    Q(
        "vi",
        "nhiet luyen khuon dap skd11",
        P + "heat_treatment",
        m("tool_steel_skd11"),
        prod=r"khuon dap|die",
        adj=p("grinding"),
        neg=p("mould_making"),
    ),
    Q(
        "vi",
        "Tôi cao tần bu lông cường độ cao 10.9",
        P + "heat_treatment",
        prod=r"bu long|bolt",
        adj=p("fastener_making", "zinc_plating"),
    ),
    Q(
        "vi",
        "xi mạ kẽm bulông ốc vít",
        P + "zinc_plating",
        prod=r"bu long|bolt|screw|vit",
        adj=p("nickel_plating", "chrome_plating"),
        negw=r"ton ma kem|galvanized",
    ),
    Q(
        "vi",
        "xi ma kem gia do dap, yeu cau RoHS",
        P + "zinc_plating",
        (),
        None,
        c("rohs"),
        prod=r"gia do|bracket",
        adj=p("nickel_plating"),
        negw=r"ton ma kem|galvanized",
    ),
    Q(
        "vi",
        "Mạ crôm vòi sen đồng thau",
        P + "chrome_plating",
        m("brass"),
        prod=r"voi sen|faucet|shower",
        adj=p("nickel_plating", "surface_coating_pvd", "polishing"),
        neg=p("brass_faucet_machining"),
    ),
    Q(
        "vi",
        "ma crom op ong xa xe may",
        P + "chrome_plating",
        prod=r"ong xa|exhaust",
        adj=p("pipe_bending", "polishing"),
    ),
    Q(
        "vi",
        "Mạ niken đầu nối điện bằng đồng",
        P + "nickel_plating",
        m("copper", "brass"),
        prod=r"dau noi|connector",
        adj=p("zinc_plating", "chrome_plating"),
    ),
    Q(
        "vi",
        "anode hóa nhôm định hình",
        P + "anodizing",
        prod=r"dinh hinh|profile",
        adj=p("extrusion"),
    ),
    Q(
        "vi",
        "sơn tĩnh điện vỏ tủ điện",
        P + "powder_coating",
        prod=r"tu dien|cabinet",
        adj=p("sheet_metal_fabrication", "ed_coating", "painting"),
        neg=p("zinc_plating", "chrome_plating"),
    ),
    Q(
        "vi",
        "son tinh dien gia ke sat",
        P + "powder_coating",
        prod=r"gia ke|rack",
        adj=p("ed_coating", "painting"),
        neg=p("zinc_plating"),
    ),
    Q(
        "vi",
        "Sơn ướt vỏ nhựa ABS, sơn UV bóng",
        P + "painting",
        m("abs"),
        prod=r"vo nhua|plastic housing",
        adj=p("injection_molding", "pad_printing"),
        neg=p("chrome_plating", "powder_coating"),
    ),
    Q(
        "vi",
        "son dien di khung xe may",
        P + "ed_coating",
        prod=r"khung xe may|motorbike frame",
        adj=p("powder_coating", "mig_welding"),
    ),
    Q(
        "vi",
        "Đánh bóng vòi sen đồng",
        P + "polishing",
        m("brass"),
        prod=r"voi sen|faucet",
        adj=p("chrome_plating", "brass_faucet_machining"),
    ),
    Q(
        "vi",
        "Phủ PVD dao cắt, mũi khoan",
        P + "surface_coating_pvd",
        prod=r"dao cat|cutting tool|mui khoan",
        adj=p("heat_treatment"),
    ),
    # --- khuôn mẫu --------------------------------------------------------------------------
    Q(
        "vi",
        "khuôn mẫu ép nhựa",
        P + "mould_making",
        m("mould_steel_p20"),
        prod=r"khuon ep nhua|injection mould",
        adj=p("edm", "cnc_milling"),
        neg=p("injection_molding"),
    ),
    Q(
        "vi",
        "khuon dap lien hoan",
        P + "mould_making",
        m("tool_steel_skd11"),
        prod=r"lien hoan|progressive",
        adj=p("wire_cut", "grinding"),
        neg=p("stamping"),
    ),
    Q(
        "vi",
        "Cần làm khuôn đúc áp lực nhôm cho vỏ hộp số",
        P + "mould_making",
        prod=r"duc ap luc|die-casting die",
        adj=p("edm"),
        neg=p("aluminium_die_casting"),
    ),
    Q(
        "vi",
        "cắt dây EDM chày cối",
        P + "wire_cut",
        m("tool_steel_skd11"),
        prod=r"chay coi|punch",
        adj=p("edm", "grinding"),
    ),
    Q(
        "vi",
        "Gia công xung EDM lòng khuôn, điện cực đồng",
        P + "edm",
        adj=p("wire_cut", "mould_making"),
    ),
    Q(
        "vi",
        "mài chính xác chày cối dập SKD11",
        P + "grinding",
        m("tool_steel_skd11"),
        prod=r"chay coi|punch",
        adj=p("wire_cut", "heat_treatment"),
    ),
    Q(
        "vi",
        "nhong dia xich xe may",
        P + "gear_cutting",
        prod=r"nhong|dia xich|sprocket",
        adj=p("forging", "powder_metallurgy", "heat_treatment"),
    ),
    Q(
        "vi",
        "bánh răng giảm tốc thép SCM440",
        P + "gear_cutting",
        m("scm440"),
        prod=r"giam toc|reducer",
        adj=p("heat_treatment", "forging"),
        neg=p("injection_molding"),
    ),
    Q(
        "vi",
        "lò xo giảm xóc xe máy",
        P + "spring_making",
        m("spring_steel"),
        prod=r"giam xoc|suspension",
        adj=p("heat_treatment"),
    ),
    Q("vi", "lo xo xoan, kep day inox", P + "spring_making", prod=r"xoan|torsion|kep day|clip"),
    # --- nhựa, cao su ---------------------------------------------------------------------
    Q(
        "vi",
        "ép nhựa",
        P + "injection_molding",
        adj=p("blow_molding", "extrusion"),
        neg=p("mould_making"),
    ),
    Q(
        "vi",
        "Cần tìm đơn vị ép phun linh kiện nhựa điều hòa bằng PP, sản lượng 2 triệu sp/năm, "
        "giao tại Bắc Ninh",
        P + "injection_molding",
        m("pp"),
        2000000,
        (),
        "BN",
        prod=r"dieu hoa|air-conditioner",
        adj=p("mould_making"),
        negw=r"khuon ep nhua",
    ),
    Q(
        "vi",
        "linh kiện nhựa ép phun PA66 GF30",
        P + "injection_molding",
        m("pa66"),
        adj=p("extrusion", "mould_making"),
    ),
    Q(
        "vi",
        "can tim xuong ep nhua vo sac dien thoai PC",
        P + "injection_molding",
        m("pc"),
        prod=r"vo sac|charger housing",
        adj=p("box_build_assembly", "mould_making"),
        negw=r"khuon ep nhua",
    ),
    Q(
        "vi",
        "ep nhua op xe may ABS, co son",
        P + "injection_molding",
        m("abs", "pp"),
        prod=r"xe may|motorbike",
        adj=p("painting"),
        negw=r"khuon ep nhua",
    ),
    Q(
        "vi",
        "bánh răng nhựa POM",
        P + "injection_molding",
        m("pom"),
        prod=r"banh rang|gear",
        neg=p("gear_cutting", "powder_metallurgy", "forging"),
    ),
    Q(
        "vi",
        "Khay nhựa kỹ thuật ép phun, nhựa PC chống tĩnh điện",
        P + "injection_molding",
        m("pc"),
        prod=r"khay|tray",
        adj=p("thermoforming"),
    ),
    Q(
        "vi",
        "thoi chai PET",
        P + "blow_molding",
        m("pet"),
        prod=r"chai|bottle",
        adj=p("injection_molding"),
    ),
    Q(
        "vi",
        "Đùn ống mềm PVC",
        P + "extrusion",
        m("pvc"),
        prod=r"ong mem|flexible hose",
        adj=p("rubber_molding"),
    ),
    Q("vi", "dun thanh profile nhua", P + "extrusion", prod=r"profile"),
    Q("vi", "gioăng cao su EPDM", P + "rubber_molding", m("epdm"), prod=r"gioang|gasket"),
    Q("vi", "cao su chong rung dong co", P + "rubber_molding", prod=r"chong rung|anti-vibration"),
    Q(
        "vi",
        "Nút cao su silicone cho thiết bị điện, 1 triệu sp/năm",
        P + "rubber_molding",
        m("silicone"),
        1000000,
        prod=r"nut cao su|grommet|ban phim|keypad",
    ),
    Q(
        "vi",
        "in tampon vỏ điều khiển",
        P + "pad_printing",
        prod=r"dieu khien|remote",
        adj=p("injection_molding"),
    ),
    # --- điện tử ---------------------------------------------------------------------------
    Q(
        "vi",
        "SMT",
        P + "smt_assembly",
        adj=p("tht_soldering", "box_build_assembly"),
        neg=p("pcb_fabrication"),
    ),
    Q(
        "vi",
        "Báo giá PCBA cho bo mạch điều khiển, linh kiện 0201, thiếc không chì, có ISO 9001 và RoHS",
        P + "smt_assembly",
        m("lead_free_solder"),
        None,
        c("iso_9001", "rohs"),
        prod=r"dieu khien|control board",
        jm=(),
        adj=p("tht_soldering", "box_build_assembly"),
    ),
    Q(
        "vi",
        "lap rap smt mach sac",
        P + "smt_assembly",
        prod=r"mach sac|charger pcba",
        adj=p("tht_soldering", "box_build_assembly"),
    ),
    Q(
        "vi",
        "bo mạch đồng hồ điện tử (smart meter) SMT",
        P + "smt_assembly",
        prod=r"dong ho|smart meter",
        adj=p("tht_soldering"),
    ),
    Q(
        "vi",
        "sản xuất PCB 2 lớp FR4",
        P + "pcb_fabrication",
        m("fr4"),
        prod=r"2 lop|double",
        adj=p("smt_assembly"),
    ),
    Q(
        "vi",
        "Hàn cắm linh kiện xuyên lỗ mạch điều khiển quạt",
        P + "tht_soldering",
        prod=r"quat|fan",
        adj=p("smt_assembly"),
    ),
    Q(
        "vi",
        "bó dây điện xe máy",
        P + "wire_harness",
        prod=r"xe may|motorbike",
        adj=p("coil_winding"),
    ),
    Q(
        "vi",
        "bo day dien o to, IATF 16949",
        P + "wire_harness",
        (),
        None,
        c("iatf_16949"),
        prod=r"o to\b|automotive",
        adj=p("coil_winding"),
    ),
    Q(
        "vi",
        "Gia công dây cáp tín hiệu cho thiết bị gia dụng, dây bọc PVC",
        P + "wire_harness",
        m("pvc_wire"),
        prod=r"tin hieu|signal",
        jm=(),
    ),
    Q(
        "vi",
        "quan cuon day dong co",
        P + "coil_winding",
        prod=r"dong co|motor coil",
        adj=p("transformer_making"),
    ),
    Q(
        "vi",
        "biến áp nguồn lõi tôn silic",
        P + "transformer_making",
        m("silicon_steel"),
        prod=r"bien ap nguon|power transformer",
        adj=p("coil_winding"),
    ),
    Q(
        "vi",
        "Lắp ráp hoàn chỉnh bộ sạc (box build), gồm ép vỏ và test",
        P + "box_build_assembly",
        prod=r"bo sac|charger",
        adj=p("smt_assembly", "injection_molding"),
    ),
    # --- dệt may, da giày ------------------------------------------------------------------
    Q(
        "vi",
        "may áo sơ mi xuất khẩu, có BSCI",
        P + "cutting_sewing",
        (),
        None,
        c("bsci"),
        prod=r"so mi|shirt",
        adj=p("embroidery"),
    ),
    Q(
        "vi",
        "may ao thun cotton 30.000 sp/thang",
        P + "cutting_sewing",
        m("cotton"),
        360000,
        prod=r"ao thun|t-shirt",
        adj=p("knitting", "fabric_printing"),
    ),
    Q(
        "vi",
        "Cần xưởng may áo jacket có OEKO-TEX, WRAP",
        P + "cutting_sewing",
        m("polyester", "nylon_fabric"),
        None,
        c("oeko_tex", "wrap"),
        prod=r"jacket",
        jm=(),
        adj=p("padding_wadding"),
    ),
    Q("vi", "may quan au", P + "cutting_sewing", prod=r"quan au|trousers", adj=p("weaving")),
    Q(
        "vi",
        "mex dựng không dệt",
        P + "interlining",
        m("nonwoven"),
        prod=r"khong det|non-woven",
        adj=p("padding_wadding"),
    ),
    Q(
        "vi",
        "mex det thoi cho co ao so mi",
        P + "interlining",
        prod=r"det thoi|woven",
        adj=p("weaving"),
    ),
    Q("vi", "bông tấm áo jacket", P + "padding_wadding", prod=r"jacket|bong tam"),
    Q("vi", "bong chan polyester", P + "padding_wadding", m("polyester"), prod=r"chan|quilted"),
    Q("vi", "da PU", P + "pu_leather_coating", m("pu_leather"), adj=p("shoe_upper_stitching")),
    Q(
        "vi",
        "simili boc ghe xe may",
        P + "pu_leather_coating",
        prod=r"ghe xe may|seat vinyl",
        adj=p("cutting_sewing"),
    ),
    Q(
        "vi",
        "Đế giày cao su, đế TPR",
        P + "shoe_sole_molding",
        m("natural_rubber", "tpe"),
        prod=r"cao su|rubber|tpr",
        adj=p("rubber_molding"),
    ),
    Q(
        "vi",
        "may mu giay the thao",
        P + "shoe_upper_stitching",
        prod=r"the thao|sports",
        adj=p("pu_leather_coating", "cutting_sewing"),
    ),
    Q(
        "vi",
        "sợi CVC, sợi OE cho dệt kim",
        P + "spinning",
        prod=r"cvc|oe\b|open-end",
        adj=p("knitting"),
    ),
    Q("vi", "dệt vải kaki", P + "weaving", prod=r"kaki|twill", adj=p("knitting")),
    Q(
        "vi",
        "Vải cá sấu (pique) cotton, có chứng nhận OEKO-TEX",
        P + "knitting",
        m("cotton"),
        None,
        c("oeko_tex"),
        prod=r"ca sau|pique",
        adj=p("dyeing_finishing"),
    ),
    Q(
        "vi",
        "nhuom vai polyester spandex",
        P + "dyeing_finishing",
        m("polyester", "spandex"),
        adj=p("knitting", "fabric_printing"),
    ),
    Q(
        "vi",
        "dệt nhãn mác, dây đai",
        P + "label_weaving",
        prod=r"nhan|label|day dai|webbing",
        adj=p("embroidery"),
        neg=p("carton_packaging"),
    ),
    Q(
        "vi",
        "theu logo ao dong phuc",
        P + "embroidery",
        prod=r"logo",
        adj=p("fabric_printing", "cutting_sewing"),
    ),
    Q(
        "vi",
        "In vải hoa cotton",
        P + "fabric_printing",
        m("cotton"),
        prod=r"hoa|printed fabric",
        adj=p("dyeing_finishing"),
    ),
    # --- sứ vệ sinh, bao bì, khác --------------------------------------------------------
    Q(
        "vi",
        "Gia công củ sen, vòi chậu lavabo bằng đồng thau",
        P + "brass_faucet_machining",
        m("brass"),
        prod=r"cu sen|lavabo|mixer",
        adj=p("chrome_plating", "zinc_die_casting", "polishing"),
    ),
    Q(
        "vi",
        "bon cau su, ket nuoc",
        P + "slip_casting",
        m("ceramic"),
        prod=r"bon cau|ket nuoc|toilet|cistern",
        adj=p("ceramic_glazing"),
        neg=p("injection_molding", "sanitary_accessory_assembly"),
    ),
    Q("vi", "tráng men sứ vệ sinh", P + "ceramic_glazing", m("ceramic"), adj=p("slip_casting")),
    Q(
        "vi",
        "xi phông, bộ xả bồn cầu",
        P + "sanitary_accessory_assembly",
        prod=r"xi phong|siphon|bo xa|flush",
        adj=p("injection_molding"),
    ),
    Q("vi", "thung carton 5 lop", P + "carton_packaging", m("paper_carton"), prod=r"5 lop|5-ply"),
    Q(
        "vi",
        "in 3d mau thu san pham",
        P + "additive_manufacturing",
        prod=r"mau thu|prototype",
        adj=p("cnc_milling"),
    ),
    Q(
        "vi",
        "Bồn FRP composite sợi thủy tinh",
        P + "composite_fabrication",
        m("glass_fiber"),
        prod=r"frp|bon",
        neg=p("tig_welding"),
    ),
    # --- nhu cầu (gần như) chưa đáp ứng ----------------------------------------------------
    Q(
        "vi",
        "In offset hộp giấy và sách hướng dẫn sử dụng",
        P + "offset_printing",
        m("paper_carton"),
        jp=(),
        unmet=True,
        adj=p("carton_packaging"),
    ),
    Q(
        "vi",
        "phun bi lam sach vat duc",
        P + "shot_blasting",
        jp=(),
        unmet=True,
        adj=p("polishing", "sand_casting"),
    ),
    Q(
        "vi",
        "Thuộc da bò làm mũ giày",
        P + "leather_tanning",
        m("genuine_leather"),
        jp=(),
        unmet=True,
        adj=p("shoe_upper_stitching", "pu_leather_coating"),
    ),
    Q(
        "vi",
        "hàn siêu âm vỏ nhựa PC",
        P + "ultrasonic_welding",
        m("pc"),
        jp=(),
        unmet=True,
        adj=p("injection_molding", "box_build_assembly"),
    ),
    Q(
        "vi",
        "in tem nhan decal",
        P + "label_printing",
        jp=(),
        unmet=True,
        adj=p("pad_printing", "label_weaving"),
    ),
]

# Grades changed by hand after reading the pooled capability texts: (query id, corpus id)
# -> grade. A grade for a document outside the proposed pool adds it to the pool.
OVERRIDES: dict[tuple[str, str], int] = {}


# ---------------------------------------------------------------------------------------
# Judging
# ---------------------------------------------------------------------------------------


def taxonomy() -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(TAXONOMY.read_text(encoding="utf-8"))}


def assign_ids(queries: list[Q]) -> None:
    counters: Counter[str] = Counter()
    for q in queries:
        counters[q.lang] += 1
        q.qid = f"q-{q.lang}-{counters[q.lang]:03d}"


def query_record(q: Q) -> dict:
    text = unicodedata.normalize("NFC", q.text)
    return {
        "_id": q.qid,
        "text": text,
        "metadata": {
            "language": q.lang,
            "diacritics": has_diacritics(text),
            "process": q.process,
            "materials": list(q.materials),
            "quantity_per_year": q.qty,
            "required_certifications": list(q.certs),
            "delivery_province": q.province,
        },
    }


@dataclass
class Candidate:
    doc_id: str
    grade: int
    why: str
    rank_key: tuple


def propose(q: Q, docs: list[dict], folded: dict[str, str], tax: dict[str, dict]) -> list:
    """Proposed grades for the pool of one query (see README, "Grading rules")."""
    jp = set(q.jp if q.jp is not None else ((q.process,) if q.process else ()))
    jm = set(q.jm if q.jm is not None else q.materials)
    adj, neg = set(q.adj), set(q.neg)
    if jp & PART_PROCESSES:
        # Tool makers make the mould or die, not the part: a hard negative for part needs.
        neg.add(P + "mould_making")
    req = {tax[cid]["name_en"] for cid in q.certs}
    prod_re = re.compile(rf"\b(?:{q.prod})") if q.prod else None
    negw_re = re.compile(q.negw) if q.negw else None
    out: list[Candidate] = []
    for d in docs:
        md, text = d["metadata"], folded[d["_id"]]
        proc = md["process"]
        prod_hit = bool(prod_re and prod_re.search(text))
        prod_ok = prod_re is None or prod_hit
        mat_hit = bool(jm & set(md["materials"]))
        mat_ok = not jm or mat_hit
        neg_hit = bool(negw_re and negw_re.search(text))
        if proc in neg:
            grade, why = 0, "hard negative process"
        elif proc in jp:
            if prod_ok and mat_ok:
                grade, why = 3, "process+product+material"
            elif prod_ok or mat_ok:
                grade, why = 2, "process, " + ("material mismatch" if prod_ok else "other product")
            else:
                grade, why = 1, "process only"
        elif neg_hit:
            grade, why = 0, "hard negative words"
        elif proc in adj:
            grade, why = 1, "adjacent process"
        elif prod_hit:
            grade, why = 0, "product words, other process"
        elif mat_hit:
            grade, why = 0, "material overlap only"
        else:
            continue
        certs_ok = req <= set(md["certifications"])
        tol_ok = q.tol is None or md["tolerance_mm"] is None or md["tolerance_mm"] <= q.tol
        cap_ok = not (
            q.qty
            and md["capacity_unit"] == "pcs"
            and md["capacity_per_month"]
            and md["capacity_per_month"] * 12 < q.qty
        )
        if grade == 3 and not (certs_ok and tol_ok and cap_ok):
            grade = 2
            why += "; capped: " + ",".join(
                n
                for n, ok in (("cert", certs_ok), ("tolerance", tol_ok), ("capacity", cap_ok))
                if not ok
            )
        hard = proc in neg or neg_hit
        key = (
            -grade,
            -int(hard),
            -int(prod_hit),
            -int(mat_hit),
            -int(certs_ok),
            -int(tol_ok),
            -int(cap_ok),
            d["_id"],
        )
        out.append(Candidate(d["_id"], grade, why, key))
    out.sort(key=lambda x: x.rank_key)
    kept: list[Candidate] = []
    per_grade: Counter[int] = Counter()
    for cand in out:
        if per_grade[cand.grade] < POOL_LIMITS[cand.grade]:
            per_grade[cand.grade] += 1
            kept.append(cand)
    return kept


def judge(queries: list[Q], docs: list[dict]) -> list[tuple[str, str, int, str]]:
    tax = taxonomy()
    folded = {d["_id"]: fold(d["text"]) for d in docs}
    rows: list[tuple[str, str, int, str]] = []
    for q in queries:
        pool = {cand.doc_id: (cand.grade, cand.why) for cand in propose(q, docs, folded, tax)}
        for (qid, did), grade in OVERRIDES.items():
            if qid == q.qid:
                pool[did] = (grade, "override")
        for did, (grade, why) in sorted(pool.items()):
            rows.append((q.qid, did, grade, why))
    return rows


# ---------------------------------------------------------------------------------------
# Checks and output
# ---------------------------------------------------------------------------------------


def check(queries: list[Q], docs: list[dict], rows: list[tuple[str, str, int, str]]) -> None:
    tax = taxonomy()
    doc_ids = {d["_id"] for d in docs}
    assert len(doc_ids) == len(docs), "duplicate corpus ids"
    qids = {q.qid for q in queries}
    for q in queries:
        used = [q.process, *q.materials, *q.certs, *(q.jp or ()), *(q.jm or ()), *q.adj, *q.neg]
        missing = [u for u in used if u and u not in tax]
        assert not missing, (q.qid, missing)
        grades = [g for qid, _, g, _ in rows if qid == q.qid]
        assert q.unmet or max(grades, default=0) >= 2, (q.qid, "no grade >= 2", q.text)
        assert len(grades) >= 3, (q.qid, "pool too small", len(grades))
    pairs = [(qid, did) for qid, did, _, _ in rows]
    assert len(pairs) == len(set(pairs)), "duplicate judgement pairs"
    for qid, did, g, _ in rows:
        assert qid in qids and did in doc_ids and g in (0, 1, 2, 3), (qid, did, g)
    for q in queries:
        text = query_record(q)["text"]
        assert text == unicodedata.normalize("NFC", text)


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def stats(queries: list[Q], rows: list[tuple[str, str, int, str]]) -> str:
    lang = {q.qid: q.lang for q in queries}
    table: dict[str, Counter[int]] = defaultdict(Counter)
    for qid, _, g, _ in rows:
        table[lang[qid]][g] += 1
        table["all"][g] += 1
    lines = [
        "| queries | n | grade 0 | grade 1 | grade 2 | grade 3 | total |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in ("en", "vi", "all"):
        n = sum(1 for q in queries if key in ("all", q.lang))
        t = table[key]
        lines.append(f"| {key} | {n} | {t[0]} | {t[1]} | {t[2]} | {t[3]} | {sum(t.values())} |")
    return "\n".join(lines)


def main() -> None:
    docs = build_corpus()
    queries = EN + VI
    assign_ids(queries)
    rows = judge(queries, docs)
    check(queries, docs, rows)
    write_jsonl(HERE / "corpus.jsonl", docs)
    write_jsonl(HERE / "queries.jsonl", [query_record(q) for q in queries])
    (HERE / "qrels").mkdir(exist_ok=True)
    with (HERE / "qrels" / "test.tsv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["query-id", "corpus-id", "score"])
        for qid, did, g, _ in rows:
            w.writerow([qid, did, g])
    if "--explain" in sys.argv:
        texts = {d["_id"]: d["text"] for d in docs}
        for qid, did, g, why in rows:
            print(f"{qid}\t{g}\t{did}\t{why}\t{texts[did][:110]}")
    novi = sum(1 for q in queries if q.lang == "vi" and not has_diacritics(q.text))
    print(
        f"corpus {len(docs)}, queries {len(queries)} "
        f"(en {len(EN)}, vi {len(VI)}, vi without diacritics {novi}), judgements {len(rows)}"
    )
    print(stats(queries, rows))


if __name__ == "__main__":
    main()
