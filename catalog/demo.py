"""Deterministic generator and loader of a realistic bilingual demo catalog.

``generate_demo_catalog`` returns plain dicts (no database): supporting-industry firms in
the four seed provinces (Thái Nguyên, Thái Bình, Hưng Yên, Vĩnh Phúc), FDI buyers and their
open component needs. Every name is fictional. ``load_demo_catalog`` inserts what is
missing, matched by ``demo_key``, so seeding twice adds nothing.

Only ``random.Random(seed)`` is used: the same seed always gives the same catalog.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import (
    Capability,
    Certification,
    Concept,
    Firm,
    FirmRole,
    IndustrialZone,
    Need,
    NeedStatus,
    NeedVisibility,
    Ownership,
    Province,
)

DEMO_SEED = 20240601

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED_PROVINCES = ("TN", "TB", "HY", "VP")
SUPPLIERS_PER_PROVINCE = {"TN": 110, "TB": 106, "HY": 108, "VP": 106}
N_NEEDS = 240
# Reference day for "currently valid" certificates when shaping satisfiable needs.
REFERENCE_DAY = date(2026, 11, 1)

# Mã số thuế: the first two digits are the province of registration.
TAX_PREFIX = {
    "TN": "46",
    "TB": "10",
    "HY": "09",
    "VP": "25",
    "HN": "01",
    "BN": "23",
    "HP": "02",
    "HD": "08",
    "BG": "24",
    "PT": "26",
    "HCM": "03",
    "BD": "37",
    "DN": "36",
    "DNG": "04",
}
AREA_CODE = {
    "TN": "0208",
    "TB": "0227",
    "HY": "0221",
    "VP": "0211",
    "HN": "024",
    "BN": "0222",
    "HP": "0225",
    "HD": "0220",
    "BG": "0204",
    "PT": "0210",
    "HCM": "028",
    "BD": "0274",
    "DN": "0251",
    "DNG": "0236",
}

S_ELEC = "sector.electronics"
S_MECH = "sector.mechanical"
S_AUTO = "sector.automotive_motorbike"
S_TEXT = "sector.textiles_garments"
S_LEATHER = "sector.leather_footwear"
S_HITECH = "sector.hightech_materials"
S_CERAM = "sector.sanitary_ceramics"
S_PLAST = "sector.plastics_rubber"
S_PACK = "sector.packaging_printing"
S_PAINT = "sector.chemicals_paint"


def _m(*names: str) -> list[str]:
    return [f"material.{n}" for n in names]


# ---------------------------------------------------------------------------------------
# Process vocabulary: how firms name the process, what they make with it, from what, on
# which machines. Products and equipment are (Vietnamese, English) pairs.
# ---------------------------------------------------------------------------------------

STEELS = _m("spcc", "sphc", "ss400", "galvanized_steel", "stainless_304")
BARS = _m("s45c", "scm440", "stainless_304", "aluminium_6061", "brass")
PLASTICS = _m("abs", "pc", "pp", "pa66", "pom", "pbt")

PROCESSES: dict[str, dict[str, Any]] = {
    "process.cnc_turning": {
        "vi": ["tiện CNC", "gia công tiện CNC", "tiện chính xác"],
        "en": ["CNC turning", "precision turning", "CNC lathe machining"],
        "products": [
            ("trục động cơ", "motor shafts"),
            ("bạc lót", "bushings"),
            ("chốt, pin định vị", "dowel and locating pins"),
            ("trục bánh xe máy", "motorbike wheel axles"),
            ("đầu nối khí nén", "pneumatic fittings"),
            ("ống lót xi lanh", "cylinder sleeves"),
        ],
        "materials": BARS + _m("stainless_316", "copper"),
        "equipment": [
            ("máy tiện CNC Mazak QT", "Mazak QT CNC lathes"),
            ("máy tiện tự động kiểu Thụy Sĩ Citizen", "Citizen Swiss-type lathes"),
            ("máy tiện CNC Doosan Lynx", "Doosan Lynx CNC lathes"),
            ("máy tiện CNC Okuma", "Okuma CNC lathes"),
        ],
        "hs": ["848340", "8483", "848790", "871499", "7318"],
        "tol": (0.005, 0.05),
        "unit": "pcs",
        "cap": (20_000, 600_000),
    },
    "process.cnc_milling": {
        "vi": ["phay CNC", "gia công phay CNC", "phay CNC 3-5 trục"],
        "en": ["CNC milling", "3-5 axis CNC milling", "machining centre work"],
        "products": [
            ("đồ gá, jig kiểm tra", "jigs and fixtures"),
            ("tấm đế khuôn", "mould base plates"),
            ("chi tiết máy tự động hóa", "automation machine parts"),
            ("vỏ nhôm thiết bị", "machined aluminium housings"),
            ("khối van thủy lực", "hydraulic manifolds"),
        ],
        "materials": _m(
            "aluminium_6061", "s45c", "stainless_304", "tool_steel_skd11", "pom", "copper"
        ),
        "equipment": [
            ("trung tâm gia công Brother Speedio", "Brother Speedio machining centres"),
            ("máy phay CNC Fanuc Robodrill", "Fanuc Robodrill"),
            ("máy phay 5 trục DMG Mori", "DMG Mori 5-axis machining centre"),
            ("trung tâm gia công đứng Hass VF-2", "Haas VF-2 vertical machining centres"),
        ],
        "hs": ["847990", "8466", "761699", "732690"],
        "tol": (0.005, 0.03),
        "unit": "pcs",
        "cap": (2_000, 80_000),
    },
    "process.cnc_machining": {
        "vi": ["gia công cơ khí chính xác", "gia công CNC", "gia công chi tiết máy"],
        "en": ["precision CNC machining", "CNC machining", "machined components"],
        "products": [
            ("chi tiết máy theo bản vẽ", "parts to drawing"),
            ("linh kiện thiết bị điện tử", "machined parts for electronics equipment"),
            ("phụ tùng máy công nghiệp", "industrial machinery spare parts"),
            ("vỏ, nắp nhôm gia công", "machined aluminium covers"),
        ],
        "materials": BARS + _m("aluminium_5052", "tool_steel_skd11", "pom"),
        "equipment": [
            (
                "máy tiện CNC Mazak và trung tâm gia công Brother",
                "Mazak CNC lathes and Brother machining centres",
            ),
            ("máy phay CNC Makino", "Makino CNC mills"),
            ("máy đo CMM Mitutoyo", "Mitutoyo CMM"),
        ],
        "hs": ["848790", "847330", "732690", "761699"],
        "tol": (0.01, 0.05),
        "unit": "pcs",
        "cap": (5_000, 200_000),
    },
    "process.stamping": {
        "vi": ["dập kim loại", "dập nguội", "dập liên hoàn"],
        "en": ["metal stamping", "progressive die stamping", "press work"],
        "products": [
            ("giá đỡ, bracket", "brackets"),
            ("chi tiết dập khung xe máy", "motorbike frame pressings"),
            ("lá tiếp điểm", "contact terminals"),
            ("vỏ che, nắp chắn", "shields and covers"),
            ("long đen, vòng đệm", "washers"),
            ("tấm tản nhiệt", "heat sink plates"),
        ],
        "materials": _m(
            "spcc", "sphc", "galvanized_steel", "stainless_304", "copper", "aluminium_5052"
        ),
        "equipment": [
            ("máy dập Amada 60-300 tấn", "Amada presses 60-300 t"),
            ("máy dập Aida 110-400 tấn", "Aida presses 110-400 t"),
            (
                "máy dập Komatsu 45-250 tấn có bộ cấp phôi tự động",
                "Komatsu 45-250 t presses with coil feeders",
            ),
            ("máy dập Yeh Chiun 80-200 tấn", "Yeh Chiun 80-200 t presses"),
        ],
        "hs": ["732690", "870829", "871410", "853690", "7318"],
        "tol": (0.02, 0.1),
        "unit": "pcs",
        "cap": (100_000, 3_000_000),
    },
    "process.deep_drawing": {
        "vi": ["dập vuốt sâu", "dập vuốt"],
        "en": ["deep drawing", "deep-drawn parts"],
        "products": [
            ("vỏ tụ điện", "capacitor cans"),
            ("cốc lọc dầu", "oil filter cups"),
            ("vỏ động cơ nhỏ", "small motor housings"),
            ("chậu rửa inox", "stainless sinks"),
        ],
        "materials": _m("spcc", "stainless_304", "aluminium_5052", "brass"),
        "equipment": [
            ("máy dập thủy lực 200-500 tấn", "200-500 t hydraulic presses"),
            ("dây chuyền dập vuốt transfer", "transfer deep-drawing line"),
        ],
        "hs": ["732690", "850390", "761699"],
        "tol": (0.03, 0.1),
        "unit": "pcs",
        "cap": (50_000, 1_000_000),
    },
    "process.cnc_punching": {
        "vi": ["đột dập CNC", "đột CNC"],
        "en": ["CNC turret punching", "turret punching"],
        "products": [
            ("mặt tủ điện", "electrical cabinet panels"),
            ("tấm lưới lỗ", "perforated panels"),
            ("vỏ máy", "machine casings"),
        ],
        "materials": _m("spcc", "galvanized_steel", "stainless_304", "aluminium_5052"),
        "equipment": [
            ("máy đột CNC Amada EM", "Amada EM turret punch"),
            ("máy đột Murata", "Murata turret punch"),
        ],
        "hs": ["732690", "853890"],
        "tol": (0.05, 0.1),
        "unit": "pcs",
        "cap": (5_000, 80_000),
    },
    "process.aluminium_die_casting": {
        "vi": ["đúc áp lực nhôm", "đúc nhôm áp lực cao", "đúc nhôm"],
        "en": ["aluminium die casting", "aluminum die casting", "high pressure die casting"],
        "products": [
            ("vỏ hộp số xe máy", "motorbike gearbox covers"),
            ("nắp máy, vỏ côn", "crankcase and clutch covers"),
            ("vỏ đèn LED", "LED lamp housings"),
            ("vỏ động cơ điện", "electric motor housings"),
            ("tản nhiệt nhôm", "die-cast heat sinks"),
        ],
        "materials": _m("aluminium_adc12"),
        "equipment": [
            ("máy đúc áp lực Toshiba 250-800 tấn", "Toshiba 250-800 t die-casting cells"),
            ("máy đúc Buhler 420 tấn", "Buhler 420 t die-casting machine"),
            ("máy đúc áp lực Yizumi 280-1250 tấn", "Yizumi 280-1250 t HPDC machines"),
        ],
        "hs": ["761699", "871410", "850390", "940599"],
        "tol": (0.05, 0.2),
        "unit": "pcs",
        "cap": (20_000, 400_000),
    },
    "process.zinc_die_casting": {
        "vi": ["đúc áp lực kẽm", "đúc hợp kim kẽm"],
        "en": ["zinc die casting", "zamak die casting"],
        "products": [
            ("tay nắm cửa", "door handles"),
            ("thân vòi nước", "faucet bodies"),
            ("khóa, móc túi xách", "bag buckles and hooks"),
        ],
        "materials": _m("zinc_alloy"),
        "equipment": [("máy đúc buồng nóng 25-160 tấn", "25-160 t hot-chamber machines")],
        "hs": ["790700", "830249", "848180"],
        "tol": (0.05, 0.15),
        "unit": "pcs",
        "cap": (50_000, 500_000),
    },
    "process.sand_casting": {
        "vi": ["đúc gang", "đúc cát", "đúc gang cầu, gang xám"],
        "en": ["sand casting", "grey and ductile iron casting"],
        "products": [
            ("vỏ bơm", "pump housings"),
            ("đĩa phanh", "brake discs"),
            ("thân van", "valve bodies"),
            ("puly", "pulleys"),
        ],
        "materials": _m("cast_iron", "ss400"),
        "equipment": [
            ("lò trung tần 1-3 tấn", "1-3 t induction furnaces"),
            ("dây chuyền làm khuôn cát tươi", "green sand moulding line"),
        ],
        "hs": ["732510", "848190", "870830"],
        "tol": (0.2, 1.0),
        "unit": "tons",
        "cap": (30, 600),
    },
    "process.investment_casting": {
        "vi": ["đúc mẫu chảy", "đúc chính xác"],
        "en": ["investment casting", "lost-wax casting"],
        "products": [
            ("cánh bơm inox", "stainless impellers"),
            ("phụ kiện van", "valve fittings"),
            ("chi tiết máy dệt", "textile machinery parts"),
        ],
        "materials": _m("stainless_304", "stainless_316", "scm440"),
        "equipment": [("dây chuyền đúc sáp silica sol", "silica-sol investment casting line")],
        "hs": ["732599", "848190"],
        "tol": (0.1, 0.3),
        "unit": "kg",
        "cap": (5_000, 60_000),
    },
    "process.forging": {
        "vi": ["rèn dập nóng", "rèn khuôn", "dập nóng"],
        "en": ["hot forging", "closed-die forging", "forging"],
        "products": [
            ("tay biên xe máy", "motorbike connecting rods"),
            ("mặt bích", "flanges"),
            ("bánh răng phôi rèn", "forged gear blanks"),
            ("thân van đồng", "brass valve bodies"),
        ],
        "materials": _m("s45c", "scm440", "brass"),
        "equipment": [
            ("máy ép rèn trục khuỷu 400-1600 tấn", "400-1600 t forging presses"),
            ("lò nung cao tần", "induction billet heaters"),
        ],
        "hs": ["732619", "870899", "848190"],
        "tol": (0.2, 0.8),
        "unit": "pcs",
        "cap": (20_000, 300_000),
    },
    "process.fastener_making": {
        "vi": ["sản xuất bu lông, ốc vít", "dập đầu nguội bulông", "sản xuất vít"],
        "en": ["fastener manufacturing", "cold heading of bolts and screws"],
        "products": [
            ("bu lông lục giác", "hex bolts"),
            ("vít tự khoan", "self-drilling screws"),
            ("đai ốc", "nuts"),
            ("vít máy M3-M8", "M3-M8 machine screws"),
            ("đinh tán", "rivets"),
        ],
        "materials": _m("scm440", "s45c", "stainless_304"),
        "equipment": [
            ("máy dập đầu nguội Sacma", "Sacma cold headers"),
            ("máy cán ren", "thread rolling machines"),
        ],
        "hs": ["731815", "731816", "731814"],
        "tol": (0.02, 0.1),
        "unit": "kg",
        "cap": (20_000, 400_000),
    },
    "process.sheet_metal_fabrication": {
        "vi": ["gia công kim loại tấm", "gia công tôn tấm", "gia công vỏ tủ điện"],
        "en": ["sheet metal fabrication", "sheet-metal enclosures"],
        "products": [
            ("vỏ tủ điện", "electrical cabinets"),
            ("khung máy", "machine frames"),
            ("máng cáp", "cable trays"),
            ("vỏ máy lọc nước", "water purifier casings"),
        ],
        "materials": _m("spcc", "galvanized_steel", "stainless_304", "aluminium_5052"),
        "equipment": [
            ("máy cắt laser fiber, máy chấn Amada", "fiber laser and Amada press brakes"),
            ("máy chấn CNC Trumpf", "Trumpf CNC press brakes"),
        ],
        "hs": ["853890", "732690", "940390"],
        "tol": (0.1, 0.5),
        "unit": "pcs",
        "cap": (2_000, 50_000),
    },
    "process.laser_cutting": {
        "vi": ["cắt laser", "cắt laser fiber"],
        "en": ["laser cutting", "fiber laser cutting"],
        "products": [
            ("phôi tấm cắt theo bản vẽ", "cut blanks to drawing"),
            ("mặt bích", "flanges"),
            ("tấm ốp", "panels"),
        ],
        "materials": _m("ss400", "stainless_304", "galvanized_steel", "aluminium_5052"),
        "equipment": [
            ("máy cắt laser fiber Bodor 6 kW", "Bodor 6 kW fiber laser"),
            ("máy cắt laser HSG 12 kW", "HSG 12 kW fiber laser"),
        ],
        "hs": ["732690", "730890"],
        "tol": (0.05, 0.2),
        "unit": "tons",
        "cap": (20, 300),
    },
    "process.bending": {
        "vi": ["chấn tôn", "chấn gấp CNC"],
        "en": ["press brake bending", "CNC bending"],
        "products": [("máng, khay", "trays and channels"), ("vỏ hộp", "box enclosures")],
        "materials": _m("spcc", "galvanized_steel", "stainless_304"),
        "equipment": [("máy chấn thủy lực CNC 100-300 tấn", "100-300 t CNC press brakes")],
        "hs": ["732690"],
        "tol": (0.1, 0.5),
        "unit": "pcs",
        "cap": (5_000, 80_000),
    },
    "process.pipe_bending": {
        "vi": ["uốn ống", "uốn ống CNC"],
        "en": ["tube bending", "CNC pipe bending"],
        "products": [
            ("ống xả xe máy", "motorbike exhaust pipes"),
            ("khung ống ghế", "tubular chair frames"),
            ("ống dầu phanh", "brake lines"),
            ("tay dắt xe", "grab rails"),
        ],
        "materials": _m("ss400", "stainless_304", "spcc"),
        "equipment": [("máy uốn ống CNC 3 trục", "3-axis CNC tube benders")],
        "hs": ["871492", "871410", "730630"],
        "tol": (0.3, 1.0),
        "unit": "pcs",
        "cap": (10_000, 150_000),
    },
    "process.mig_welding": {
        "vi": ["hàn MIG/MAG", "hàn CO2", "hàn robot MIG"],
        "en": ["MIG/MAG welding", "robotic MIG welding"],
        "products": [
            ("khung xe máy", "motorbike frames"),
            ("giá đỡ động cơ", "engine mounts"),
            ("kết cấu thép", "steel structures"),
            ("chân chống xe máy", "motorbike stands"),
        ],
        "materials": _m("ss400", "sphc", "spcc"),
        "equipment": [
            ("robot hàn Panasonic", "Panasonic welding robots"),
            ("máy hàn MIG Lincoln", "Lincoln MIG welders"),
            ("robot hàn OTC Daihen", "OTC Daihen welding robots"),
        ],
        "hs": ["871410", "870899", "730890"],
        "tol": (0.3, 1.0),
        "unit": "pcs",
        "cap": (10_000, 200_000),
    },
    "process.tig_welding": {
        "vi": ["hàn TIG", "hàn inox TIG", "hàn argon"],
        "en": ["TIG welding", "stainless TIG welding"],
        "products": [
            ("bồn inox", "stainless tanks"),
            ("khung inox thiết bị thực phẩm", "food equipment frames"),
            ("ống góp", "manifolds"),
        ],
        "materials": _m("stainless_304", "stainless_316", "aluminium_6061"),
        "equipment": [
            ("máy hàn TIG Jasic", "Jasic TIG welders"),
            ("máy hàn TIG Fronius", "Fronius TIG"),
        ],
        "hs": ["730900", "841990"],
        "tol": (0.2, 1.0),
        "unit": "pcs",
        "cap": (500, 20_000),
    },
    "process.spot_welding": {
        "vi": ["hàn điểm", "hàn bấm"],
        "en": ["spot welding", "resistance spot welding"],
        "products": [
            ("cụm chi tiết khung ô tô", "car body sub-assemblies"),
            ("cụm giá đỡ dập hàn", "welded bracket assemblies"),
        ],
        "materials": _m("spcc", "sphc", "galvanized_steel"),
        "equipment": [
            ("máy hàn điểm treo", "suspended spot welders"),
            ("robot hàn điểm Yaskawa", "Yaskawa spot-welding robots"),
        ],
        "hs": ["870829", "870899"],
        "tol": (0.2, 0.5),
        "unit": "pcs",
        "cap": (20_000, 300_000),
    },
    "process.heat_treatment": {
        "vi": ["nhiệt luyện", "tôi cao tần", "thấm carbon"],
        "en": ["heat treatment", "induction hardening", "carburizing"],
        "products": [
            ("trục, bánh răng sau gia công", "machined shafts and gears"),
            ("khuôn dập", "press dies"),
            ("bu lông cường độ cao", "high-tensile bolts"),
        ],
        "materials": _m("s45c", "scm440", "tool_steel_skd11", "spring_steel"),
        "equipment": [
            ("lò thấm carbon liên tục", "continuous carburizing furnace"),
            ("máy tôi cao tần", "induction hardening machines"),
            ("lò chân không", "vacuum furnace"),
        ],
        "hs": ["848340", "731815"],
        "tol": (0.01, 0.05),
        "unit": "tons",
        "cap": (20, 400),
    },
    "process.zinc_plating": {
        "vi": ["mạ kẽm", "mạ kẽm điện phân", "mạ kẽm crom 3"],
        "en": ["zinc plating", "trivalent zinc plating"],
        "products": [("bu lông, ốc vít", "bolts and screws"), ("giá đỡ dập", "stamped brackets")],
        "materials": _m("spcc", "scm440", "s45c"),
        "equipment": [
            ("dây chuyền mạ quay", "barrel plating line"),
            ("dây chuyền mạ treo tự động", "automatic rack plating line"),
        ],
        "hs": ["731815", "732690"],
        "tol": None,
        "unit": "tons",
        "cap": (30, 500),
    },
    "process.chrome_plating": {
        "vi": ["mạ crôm", "xi mạ crôm trang trí", "mạ niken-crôm"],
        "en": ["chrome plating", "decorative nickel-chrome plating"],
        "products": [
            ("vòi sen, sen tắm", "faucets and shower heads"),
            ("ốp ống xả xe máy", "exhaust covers"),
            ("tay dắt, gương xe máy", "grab rails and mirror stems"),
            ("chi tiết nhựa mạ ABS", "chrome-on-ABS trim"),
        ],
        "materials": _m("brass", "abs", "spcc", "zinc_alloy"),
        "equipment": [
            ("dây chuyền xi mạ tự động 12 bể", "12-tank automatic plating line"),
            ("dây chuyền mạ nhựa ABS", "plating-on-plastics line"),
        ],
        "hs": ["848180", "871410", "392690"],
        "tol": None,
        "unit": "pcs",
        "cap": (30_000, 500_000),
    },
    "process.nickel_plating": {
        "vi": ["mạ niken", "mạ niken hóa học"],
        "en": ["nickel plating", "electroless nickel plating"],
        "products": [
            ("đầu nối điện", "electrical connectors"),
            ("chi tiết khuôn", "mould components"),
        ],
        "materials": _m("copper", "brass", "spcc"),
        "equipment": [("bể mạ niken hóa học", "electroless nickel tanks")],
        "hs": ["853690", "848071"],
        "tol": None,
        "unit": "pcs",
        "cap": (50_000, 800_000),
    },
    "process.anodizing": {
        "vi": ["anode hóa nhôm", "anodizing nhôm"],
        "en": ["anodizing", "hard anodising"],
        "products": [
            ("vỏ nhôm thiết bị", "aluminium housings"),
            ("tản nhiệt", "heat sinks"),
            ("nhôm định hình", "aluminium profiles"),
        ],
        "materials": _m("aluminium_6061", "aluminium_5052"),
        "equipment": [("dây chuyền anode 8 bể", "8-tank anodizing line")],
        "hs": ["761699", "760429"],
        "tol": None,
        "unit": "m2",
        "cap": (2_000, 40_000),
    },
    "process.mould_making": {
        "vi": ["chế tạo khuôn mẫu", "thiết kế và chế tạo khuôn ép nhựa", "làm khuôn dập"],
        "en": ["mould and die making", "injection mould making", "press die making"],
        "products": [
            ("khuôn ép nhựa", "injection moulds"),
            ("khuôn dập liên hoàn", "progressive dies"),
            ("khuôn đúc áp lực", "die-casting dies"),
            ("đồ gá hàn", "welding fixtures"),
        ],
        "materials": _m("mould_steel_p20", "tool_steel_skd11"),
        "equipment": [
            ("máy xung Sodick", "Sodick EDM"),
            ("máy cắt dây Mitsubishi", "Mitsubishi wire EDM"),
            ("máy phay CNC tốc độ cao Makino", "Makino high-speed mills"),
        ],
        "hs": ["848071", "848041", "820730"],
        "tol": (0.005, 0.02),
        "unit": "sets",
        "cap": (2, 30),
    },
    "process.grinding": {
        "vi": ["mài chính xác", "mài phẳng, mài tròn", "mài vô tâm"],
        "en": ["precision grinding", "surface and cylindrical grinding"],
        "products": [("chày cối dập", "punches and dies"), ("trục dẫn hướng", "guide shafts")],
        "materials": _m("tool_steel_skd11", "s45c", "scm440"),
        "equipment": [
            ("máy mài phẳng Okamoto", "Okamoto surface grinders"),
            ("máy mài tròn Studer", "Studer cylindrical grinders"),
        ],
        "hs": ["848340", "820730"],
        "tol": (0.002, 0.01),
        "unit": "pcs",
        "cap": (2_000, 50_000),
    },
    "process.edm": {
        "vi": ["gia công xung điện", "bắn xung EDM"],
        "en": ["sinker EDM", "electrical discharge machining"],
        "products": [("lòng khuôn", "mould cavities"), ("điện cực đồng", "copper electrodes")],
        "materials": _m("tool_steel_skd11", "mould_steel_p20", "copper"),
        "equipment": [("máy xung Sodick AG", "Sodick AG sinker EDM")],
        "hs": ["848071"],
        "tol": (0.005, 0.01),
        "unit": "pcs",
        "cap": (200, 3_000),
    },
    "process.wire_cut": {
        "vi": ["cắt dây EDM", "cắt dây"],
        "en": ["wire EDM", "wire cutting"],
        "products": [
            ("chày cối khuôn dập", "punch and die inserts"),
            ("chi tiết định hình", "profile parts"),
        ],
        "materials": _m("tool_steel_skd11", "copper"),
        "equipment": [
            ("máy cắt dây Mitsubishi MV", "Mitsubishi MV wire EDM"),
            ("máy cắt dây Sodick", "Sodick wire EDM"),
        ],
        "hs": ["820730", "848071"],
        "tol": (0.003, 0.01),
        "unit": "pcs",
        "cap": (300, 5_000),
    },
    "process.gear_cutting": {
        "vi": ["gia công bánh răng", "phay lăn răng", "sản xuất nhông xích"],
        "en": ["gear cutting", "gear hobbing", "sprocket manufacturing"],
        "products": [
            ("bánh răng hộp số xe máy", "motorbike gearbox gears"),
            ("nhông, đĩa xích", "chain sprockets"),
            ("bánh răng giảm tốc", "reducer gears"),
        ],
        "materials": _m("scm440", "s45c"),
        "equipment": [
            ("máy phay lăn răng Mitsubishi", "Mitsubishi gear hobbers"),
            ("máy xọc răng", "gear shapers"),
        ],
        "hs": ["848340", "871493"],
        "tol": (0.01, 0.03),
        "unit": "pcs",
        "cap": (20_000, 300_000),
    },
    "process.spring_making": {
        "vi": ["sản xuất lò xo", "cuốn lò xo"],
        "en": ["spring manufacturing", "spring coiling"],
        "products": [
            ("lò xo giảm xóc", "suspension springs"),
            ("lò xo nén", "compression springs"),
            ("lò xo xoắn", "torsion springs"),
            ("kẹp dây", "wire clips"),
        ],
        "materials": _m("spring_steel", "stainless_304"),
        "equipment": [("máy cuốn lò xo CNC", "CNC spring coilers")],
        "hs": ["732020", "732090"],
        "tol": (0.05, 0.2),
        "unit": "pcs",
        "cap": (100_000, 2_000_000),
    },
    "process.polishing": {
        "vi": ["đánh bóng", "đánh bóng inox"],
        "en": ["polishing", "buffing"],
        "products": [("vòi sen", "faucets"), ("chi tiết inox", "stainless parts")],
        "materials": _m("stainless_304", "brass"),
        "equipment": [
            ("robot đánh bóng", "polishing robots"),
            ("máy đánh bóng rung", "vibratory finishers"),
        ],
        "hs": ["848180", "732690"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 200_000),
    },
    "process.mechanical_assembly": {
        "vi": ["lắp ráp cụm chi tiết", "lắp ráp cơ khí"],
        "en": ["sub-assembly", "mechanical assembly"],
        "products": [
            ("cụm phanh xe máy", "motorbike brake assemblies"),
            ("cụm bản lề", "hinge assemblies"),
            ("cụm giá đỡ", "bracket assemblies"),
        ],
        "materials": _m("spcc", "ss400", "abs"),
        "equipment": [("dây chuyền lắp ráp bán tự động", "semi-automatic assembly lines")],
        "hs": ["871410", "830210"],
        "tol": None,
        "unit": "sets",
        "cap": (10_000, 200_000),
    },
    "process.powder_coating": {
        "vi": ["sơn tĩnh điện", "sơn bột tĩnh điện"],
        "en": ["powder coating", "electrostatic powder coating"],
        "products": [
            ("vỏ tủ điện", "electrical cabinets"),
            ("khung xe đạp điện", "e-bike frames"),
            ("giá kệ", "racks"),
        ],
        "materials": _m("powder_paint", "spcc", "galvanized_steel"),
        "equipment": [
            ("dây chuyền sơn tĩnh điện tự động Gema", "Gema automatic powder line"),
            ("lò sấy tunnel", "tunnel curing oven"),
        ],
        "hs": ["853890", "940320"],
        "tol": None,
        "unit": "m2",
        "cap": (10_000, 150_000),
    },
    "process.painting": {
        "vi": ["sơn phun", "sơn ướt", "sơn PU"],
        "en": ["spray painting", "wet painting"],
        "products": [
            ("ốp nhựa xe máy", "motorbike plastic covers"),
            ("vỏ nhựa", "plastic housings"),
        ],
        "materials": _m("abs", "pp", "pc"),
        "equipment": [
            ("buồng sơn màng nước", "water-curtain spray booths"),
            ("robot sơn", "painting robots"),
        ],
        "hs": ["871410", "392690"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 400_000),
    },
    "process.ed_coating": {
        "vi": ["sơn điện di", "sơn ED"],
        "en": ["ED coating", "e-coating"],
        "products": [
            ("khung xe máy", "motorbike frames"),
            ("chi tiết gầm ô tô", "car underbody parts"),
        ],
        "materials": _m("spcc", "sphc", "ss400"),
        "equipment": [("dây chuyền sơn điện di cathode", "cathodic e-coat line")],
        "hs": ["871410", "870829"],
        "tol": None,
        "unit": "m2",
        "cap": (20_000, 200_000),
    },
    "process.injection_molding": {
        "vi": ["ép phun nhựa", "ép nhựa", "sản xuất linh kiện nhựa ép phun"],
        "en": ["plastic injection molding", "injection moulding", "IM parts"],
        "products": [
            ("vỏ nhựa thiết bị điện tử", "plastic housings for electronics"),
            ("ốp nhựa xe máy", "motorbike plastic covers"),
            ("linh kiện nhựa điều hòa", "air-conditioner plastic parts"),
            ("bánh răng nhựa", "plastic gears"),
            ("vỏ sạc điện thoại", "charger housings"),
            ("nắp bồn cầu", "toilet seats"),
            ("khay nhựa kỹ thuật", "technical plastic trays"),
        ],
        "materials": PLASTICS,
        "equipment": [
            ("máy ép Haitian 80-450 tấn", "Haitian 80-450 t injection machines"),
            ("máy ép JSW 100-350 tấn", "JSW 100-350 t presses"),
            ("máy ép Sumitomo 50-180 tấn", "Sumitomo 50-180 t all-electric presses"),
            ("máy ép Engel 120-500 tấn", "Engel 120-500 t presses"),
            ("máy ép Fanuc Roboshot", "Fanuc Roboshot electric presses"),
        ],
        "hs": ["392690", "871410", "870829", "847330", "841590"],
        "tol": (0.02, 0.1),
        "unit": "pcs",
        "cap": (100_000, 3_000_000),
    },
    "process.blow_molding": {
        "vi": ["thổi nhựa", "thổi chai, can nhựa"],
        "en": ["blow molding", "extrusion blow moulding"],
        "products": [
            ("can nhựa HDPE", "HDPE jerrycans"),
            ("chai PET", "PET bottles"),
            ("bình nước làm mát", "coolant reservoirs"),
        ],
        "materials": _m("pe", "pet", "pp"),
        "equipment": [("máy thổi chai Chumpower", "Chumpower blow moulders")],
        "hs": ["392330", "870899"],
        "tol": (0.2, 0.5),
        "unit": "pcs",
        "cap": (100_000, 2_000_000),
    },
    "process.extrusion": {
        "vi": ["đùn nhựa", "đùn ống, profile nhựa"],
        "en": ["plastic extrusion", "profile extrusion"],
        "products": [
            ("ống luồn dây điện", "cable conduits"),
            ("thanh profile", "extruded profiles"),
            ("ống mềm", "flexible hoses"),
        ],
        "materials": _m("pvc", "pe", "pp", "tpe"),
        "equipment": [("máy đùn trục vít đôi", "twin-screw extruders")],
        "hs": ["391723", "391690", "391732"],
        "tol": (0.1, 0.3),
        "unit": "m",
        "cap": (50_000, 1_000_000),
    },
    "process.rubber_molding": {
        "vi": ["ép cao su kỹ thuật", "sản xuất gioăng, phớt cao su", "lưu hóa cao su"],
        "en": ["rubber molding", "rubber moulding", "rubber seals and gaskets"],
        "products": [
            ("gioăng cao su", "rubber gaskets"),
            ("phớt chắn dầu", "oil seals"),
            ("cao su chống rung", "anti-vibration mounts"),
            ("nút cao su", "rubber grommets"),
            ("bàn phím cao su silicone", "silicone keypads"),
        ],
        "materials": _m("epdm", "nbr", "silicone", "natural_rubber"),
        "equipment": [
            ("máy ép cao su chân không 200 tấn", "200 t vacuum rubber presses"),
            ("máy ép cao su ép phun LWB", "LWB rubber injection presses"),
        ],
        "hs": ["401693", "401699", "401610"],
        "tol": (0.05, 0.2),
        "unit": "pcs",
        "cap": (100_000, 3_000_000),
    },
    "process.pad_printing": {
        "vi": ["in tampon", "in lên chi tiết nhựa"],
        "en": ["pad printing", "tampo printing"],
        "products": [
            ("phím bấm", "keys and buttons"),
            ("vỏ điều khiển", "remote control housings"),
        ],
        "materials": _m("abs", "pc"),
        "equipment": [("máy in tampon 2 màu", "2-colour pad printers")],
        "hs": ["392690"],
        "tol": None,
        "unit": "pcs",
        "cap": (100_000, 1_500_000),
    },
    "process.pcb_fabrication": {
        "vi": ["sản xuất bo mạch in", "sản xuất PCB 1-4 lớp"],
        "en": ["PCB fabrication", "1-4 layer PCB manufacturing"],
        "products": [
            ("PCB 2 lớp", "double-sided PCBs"),
            ("PCB nhôm cho LED", "aluminium LED PCBs"),
        ],
        "materials": _m("fr4", "copper"),
        "equipment": [
            ("máy khoan CNC Schmoll", "Schmoll CNC drills"),
            ("máy AOI Orbotech", "Orbotech AOI"),
        ],
        "hs": ["853400"],
        "tol": (0.05, 0.1),
        "unit": "m2",
        "cap": (1_000, 20_000),
    },
    "process.smt_assembly": {
        "vi": ["lắp ráp SMT", "dán linh kiện SMT, PCBA", "gia công PCBA"],
        "en": ["SMT assembly", "PCBA", "surface-mount assembly"],
        "products": [
            ("bo mạch điều khiển", "control boards"),
            ("mạch sạc", "charger PCBAs"),
            ("mạch đèn LED", "LED driver boards"),
            ("bo mạch đồng hồ điện tử", "smart meter boards"),
        ],
        "materials": _m("fr4", "lead_free_solder"),
        "equipment": [
            ("dây chuyền SMT Fuji NXT", "Fuji NXT SMT line"),
            ("dây chuyền SMT Panasonic NPM", "Panasonic NPM lines"),
            ("máy gắp đặt Yamaha YSM", "Yamaha YSM mounters"),
            ("lò reflow Heller, máy AOI Koh Young", "Heller reflow and Koh Young AOI"),
        ],
        "hs": ["853710", "850440", "847330", "854370"],
        "tol": (0.03, 0.05),
        "unit": "pcs",
        "cap": (30_000, 1_000_000),
    },
    "process.tht_soldering": {
        "vi": ["cắm linh kiện và hàn sóng", "hàn linh kiện xuyên lỗ"],
        "en": ["through-hole assembly", "THT and wave soldering"],
        "products": [
            ("bo nguồn", "power supply boards"),
            ("mạch điều khiển quạt", "fan controller boards"),
        ],
        "materials": _m("fr4", "lead_free_solder"),
        "equipment": [
            ("máy hàn sóng ERSA", "ERSA wave soldering"),
            ("máy hàn chọn lọc", "selective soldering machine"),
        ],
        "hs": ["853710", "850440"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 500_000),
    },
    "process.wire_harness": {
        "vi": ["sản xuất bó dây điện", "gia công dây cáp, bó dây", "bấm đầu cốt, bó dây"],
        "en": ["wire harness", "cable assembly", "wiring harness"],
        "products": [
            ("bó dây điện xe máy", "motorbike wiring harnesses"),
            ("dây cáp tín hiệu thiết bị gia dụng", "appliance signal cables"),
            ("dây nguồn", "power cords"),
            ("bó dây ô tô", "automotive harnesses"),
        ],
        "materials": _m("pvc_wire", "copper", "pvc"),
        "equipment": [
            ("máy cắt tuốt bấm tự động Komax", "Komax automatic cut-strip-crimp"),
            ("máy bấm cốt Shinmaywa", "Shinmaywa crimpers"),
            ("bàn kiểm tra thông mạch", "continuity test boards"),
        ],
        "hs": ["854430", "854442", "854449"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 600_000),
    },
    "process.coil_winding": {
        "vi": ["quấn cuộn dây", "sản xuất cuộn cảm"],
        "en": ["coil winding", "inductor manufacturing"],
        "products": [
            ("cuộn cảm", "inductors"),
            ("cuộn dây rơ le", "relay coils"),
            ("cuộn dây động cơ", "motor coils"),
        ],
        "materials": _m("enamelled_copper_wire", "ferrite"),
        "equipment": [("máy quấn dây tự động Nittoku", "Nittoku automatic winders")],
        "hs": ["850450", "850490"],
        "tol": None,
        "unit": "pcs",
        "cap": (100_000, 2_000_000),
    },
    "process.transformer_making": {
        "vi": ["sản xuất biến áp", "biến áp xung, biến áp nguồn"],
        "en": ["transformer manufacturing", "SMPS transformers"],
        "products": [
            ("biến áp xung", "SMPS transformers"),
            ("biến áp nguồn", "power transformers"),
        ],
        "materials": _m("enamelled_copper_wire", "silicon_steel", "ferrite"),
        "equipment": [
            ("máy quấn biến áp", "transformer winders"),
            ("máy thử cao áp", "hipot testers"),
        ],
        "hs": ["850431", "850440"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 500_000),
    },
    "process.box_build_assembly": {
        "vi": ["lắp ráp hoàn chỉnh thiết bị điện tử", "lắp ráp thành phẩm điện tử"],
        "en": ["box build", "final assembly of electronic devices"],
        "products": [
            ("bộ điều khiển", "controllers"),
            ("ổ cắm thông minh", "smart sockets"),
            ("bộ sạc", "chargers"),
        ],
        "materials": _m("abs", "fr4"),
        "equipment": [
            ("dây chuyền lắp ráp và kiểm tra chức năng", "assembly and functional test lines")
        ],
        "hs": ["853710", "850440"],
        "tol": None,
        "unit": "sets",
        "cap": (10_000, 200_000),
    },
    "process.spinning": {
        "vi": ["kéo sợi", "sản xuất sợi cotton, sợi pha"],
        "en": ["yarn spinning", "ring-spun yarn"],
        "products": [
            ("sợi cotton chải kỹ Ne 30", "Ne 30 combed cotton yarn"),
            ("sợi pha CVC", "CVC blended yarn"),
            ("sợi OE", "open-end yarn"),
        ],
        "materials": _m("cotton", "polyester", "viscose"),
        "equipment": [
            ("máy kéo sợi con Rieter", "Rieter ring frames"),
            ("máy chải thô Trutzschler", "Trutzschler cards"),
        ],
        "hs": ["520523", "520942", "550953"],
        "tol": None,
        "unit": "tons",
        "cap": (100, 2_000),
    },
    "process.weaving": {
        "vi": ["dệt thoi", "dệt vải mộc"],
        "en": ["weaving", "woven fabric production"],
        "products": [
            ("vải kate", "TC shirting"),
            ("vải kaki", "twill fabric"),
            ("vải jean", "denim"),
        ],
        "materials": _m("cotton", "polyester", "denim", "nylon_fabric"),
        "equipment": [
            ("máy dệt khí Toyota JAT", "Toyota JAT air-jet looms"),
            ("máy dệt kiếm Picanol", "Picanol rapier looms"),
        ],
        "hs": ["520812", "551311", "540752"],
        "tol": None,
        "unit": "m",
        "cap": (100_000, 2_000_000),
    },
    "process.knitting": {
        "vi": ["dệt kim", "dệt kim tròn, vải thun"],
        "en": ["knitting", "circular knit fabrics"],
        "products": [
            ("vải thun cotton", "cotton jersey"),
            ("vải cá sấu", "pique"),
            ("vải nỉ", "fleece"),
        ],
        "materials": _m("cotton", "polyester", "spandex"),
        "equipment": [
            ("máy dệt kim tròn Mayer & Cie", "Mayer & Cie circular knitters"),
            ("máy dệt kim phẳng Shima Seiki", "Shima Seiki flat knitters"),
        ],
        "hs": ["600622", "600632", "611020"],
        "tol": None,
        "unit": "kg",
        "cap": (20_000, 400_000),
    },
    "process.dyeing_finishing": {
        "vi": ["nhuộm và hoàn tất vải", "nhuộm vải, nhuộm sợi"],
        "en": ["dyeing and finishing", "fabric dyeing"],
        "products": [("vải nhuộm màu", "piece-dyed fabric"), ("sợi nhuộm", "dyed yarn")],
        "materials": _m("cotton", "polyester", "spandex", "nylon_fabric"),
        "equipment": [
            ("máy nhuộm cao áp Thies", "Thies HT jet dyeing machines"),
            ("máy định hình Monforts", "Monforts stenters"),
        ],
        "hs": ["520832", "540752", "600632"],
        "tol": None,
        "unit": "kg",
        "cap": (50_000, 800_000),
    },
    "process.cutting_sewing": {
        "vi": ["cắt may", "may gia công hàng xuất khẩu", "may mặc FOB, CMT"],
        "en": ["cut-make-trim sewing", "garment manufacturing (CMT/FOB)"],
        "products": [
            ("áo sơ mi", "shirts"),
            ("quần âu", "trousers"),
            ("áo jacket", "jackets"),
            ("áo thun", "T-shirts"),
            ("đồ bảo hộ lao động", "workwear"),
            ("áo bọc ghế ô tô", "car seat covers"),
        ],
        "materials": _m("cotton", "polyester", "spandex", "nylon_fabric"),
        "equipment": [
            ("máy may Juki", "Juki sewing machines"),
            ("máy cắt tự động Gerber", "Gerber auto-cutter"),
            ("chuyền may Brother", "Brother sewing lines"),
        ],
        "hs": ["620520", "620342", "620193", "610910", "621132"],
        "tol": None,
        "unit": "pcs",
        "cap": (20_000, 600_000),
    },
    "process.embroidery": {
        "vi": ["thêu vi tính", "thêu logo"],
        "en": ["embroidery", "computer embroidery"],
        "products": [
            ("logo thêu trên áo", "embroidered logos"),
            ("phù hiệu thêu", "embroidered badges"),
        ],
        "materials": _m("cotton", "polyester"),
        "equipment": [("máy thêu Tajima 20 đầu", "20-head Tajima embroidery machines")],
        "hs": ["581099", "581010"],
        "tol": None,
        "unit": "pcs",
        "cap": (50_000, 800_000),
    },
    "process.fabric_printing": {
        "vi": ["in lụa trên vải", "in chuyển nhiệt"],
        "en": ["textile printing", "heat transfer printing"],
        "products": [("in logo áo", "printed T-shirt logos"), ("vải in hoa", "printed fabric")],
        "materials": _m("cotton", "polyester"),
        "equipment": [
            ("máy in lụa bàn xoay M&R", "M&R carousel screen printers"),
            ("máy in chuyển nhiệt", "heat transfer presses"),
        ],
        "hs": ["520852", "551349"],
        "tol": None,
        "unit": "pcs",
        "cap": (50_000, 600_000),
    },
    "process.interlining": {
        "vi": ["sản xuất mex dựng", "sản xuất mex dính, keo dựng"],
        "en": ["fusible interlining", "interlining (mex)"],
        "products": [
            ("mex dệt thoi", "woven fusible interlining"),
            ("mex không dệt", "non-woven interlining"),
        ],
        "materials": _m("polyester", "cotton", "nonwoven"),
        "equipment": [("máy tráng keo chấm điểm", "double-dot coating line")],
        "hs": ["590390", "560311"],
        "tol": None,
        "unit": "m",
        "cap": (200_000, 3_000_000),
    },
    "process.padding_wadding": {
        "vi": ["sản xuất bông tấm", "bông tấm, bông xơ"],
        "en": ["polyester wadding", "padding and wadding"],
        "products": [("bông tấm áo jacket", "jacket wadding"), ("bông chần", "quilted padding")],
        "materials": _m("polyester", "nonwoven"),
        "equipment": [("dây chuyền bông tấm nhiệt", "thermal bonded wadding line")],
        "hs": ["560122", "560392"],
        "tol": None,
        "unit": "m",
        "cap": (100_000, 1_500_000),
    },
    "process.label_weaving": {
        "vi": ["dệt nhãn mác", "sản xuất phụ liệu may, dây đai"],
        "en": ["woven labels and trims", "garment trims"],
        "products": [
            ("nhãn dệt", "woven labels"),
            ("dây chun", "elastic tape"),
            ("dây đai", "webbing"),
        ],
        "materials": _m("polyester", "nylon_fabric", "spandex"),
        "equipment": [("máy dệt nhãn Muller", "Muller label looms")],
        "hs": ["580710", "580631"],
        "tol": None,
        "unit": "pcs",
        "cap": (500_000, 5_000_000),
    },
    "process.pu_leather_coating": {
        "vi": ["tráng phủ da PU", "sản xuất giả da, da tổng hợp"],
        "en": ["PU synthetic leather coating", "synthetic leather production"],
        "products": [
            ("da PU làm giày", "PU leather for shoes"),
            ("simili bọc ghế xe máy", "motorbike seat vinyl"),
        ],
        "materials": _m("pu_leather", "polyester", "pvc"),
        "equipment": [("dây chuyền tráng phủ PU khô", "dry PU coating line")],
        "hs": ["590320", "392112"],
        "tol": None,
        "unit": "m",
        "cap": (100_000, 1_200_000),
    },
    "process.shoe_sole_molding": {
        "vi": ["ép đế giày", "sản xuất đế EVA, đế cao su"],
        "en": ["shoe sole moulding", "outsole production"],
        "products": [
            ("đế EVA", "EVA midsoles"),
            ("đế cao su", "rubber outsoles"),
            ("đế TPR", "TPR soles"),
        ],
        "materials": _m("eva", "natural_rubber", "tpe"),
        "equipment": [
            ("máy ép đế EVA", "EVA injection machines"),
            ("máy ép cao su đĩa xoay", "rotary rubber presses"),
        ],
        "hs": ["640620", "640690"],
        "tol": None,
        "unit": "pairs",
        "cap": (50_000, 800_000),
    },
    "process.shoe_upper_stitching": {
        "vi": ["may mũ giày", "gia công mũ giày"],
        "en": ["shoe upper stitching", "footwear uppers"],
        "products": [("mũ giày thể thao", "sports shoe uppers"), ("mũ giày da", "leather uppers")],
        "materials": _m("pu_leather", "genuine_leather", "polyester"),
        "equipment": [
            ("máy may trụ", "post-bed sewing machines"),
            ("máy chặt thủy lực", "hydraulic cutting presses"),
        ],
        "hs": ["640610"],
        "tol": None,
        "unit": "pairs",
        "cap": (30_000, 500_000),
    },
    "process.slip_casting": {
        "vi": ["tạo hình sứ vệ sinh", "đổ rót áp lực sứ"],
        "en": ["slip casting of sanitary ware", "pressure casting"],
        "products": [("bồn cầu", "toilets"), ("chậu rửa", "washbasins"), ("két nước", "cisterns")],
        "materials": _m("ceramic"),
        "equipment": [("dây chuyền đổ rót áp lực", "pressure casting line")],
        "hs": ["691010"],
        "tol": None,
        "unit": "pcs",
        "cap": (10_000, 120_000),
    },
    "process.ceramic_glazing": {
        "vi": ["tráng men, nung sứ", "phun men sứ vệ sinh"],
        "en": ["ceramic glazing and firing", "glaze spraying"],
        "products": [("sứ vệ sinh", "sanitary ware"), ("phụ kiện sứ", "ceramic accessories")],
        "materials": _m("ceramic"),
        "equipment": [
            ("robot phun men", "glazing robots"),
            ("lò nung tuynel 90 m", "90 m tunnel kiln"),
        ],
        "hs": ["691010", "691090"],
        "tol": None,
        "unit": "pcs",
        "cap": (10_000, 150_000),
    },
    "process.brass_faucet_machining": {
        "vi": ["sản xuất vòi sen, van đồng", "gia công thân vòi đồng"],
        "en": ["brass faucet manufacturing", "brass valve machining"],
        "products": [
            ("vòi chậu lavabo", "basin mixers"),
            ("sen tắm", "shower sets"),
            ("van góc", "angle valves"),
            ("củ sen", "shower mixers"),
        ],
        "materials": _m("brass", "stainless_304", "zinc_alloy"),
        "equipment": [
            ("máy CNC chuyên dụng gia công thân vòi", "dedicated faucet-body CNC"),
            ("máy dập nóng đồng", "brass hot forging presses"),
        ],
        "hs": ["848180", "848130"],
        "tol": (0.02, 0.05),
        "unit": "pcs",
        "cap": (10_000, 200_000),
    },
    "process.sanitary_accessory_assembly": {
        "vi": ["lắp ráp phụ kiện thiết bị vệ sinh", "sản xuất bộ xả bồn cầu"],
        "en": ["sanitary fittings assembly", "flush valve assembly"],
        "products": [
            ("bộ xả bồn cầu", "flush valves"),
            ("nắp bồn cầu", "toilet seats"),
            ("xi phông", "siphons"),
        ],
        "materials": _m("pp", "abs", "brass"),
        "equipment": [("dây chuyền lắp ráp và thử kín", "assembly and leak test line")],
        "hs": ["392290", "848180"],
        "tol": None,
        "unit": "sets",
        "cap": (20_000, 300_000),
    },
    "process.additive_manufacturing": {
        "vi": ["in 3D tạo mẫu nhanh", "in 3D kim loại và nhựa"],
        "en": ["3D printing", "rapid prototyping", "additive manufacturing"],
        "products": [("mẫu thử sản phẩm", "prototypes"), ("đồ gá in 3D", "3D-printed fixtures")],
        "materials": _m("pa66", "abs", "titanium", "stainless_316"),
        "equipment": [
            ("máy in SLS EOS", "EOS SLS printer"),
            ("máy in kim loại SLM", "SLM metal printer"),
        ],
        "hs": ["392690", "810890"],
        "tol": (0.05, 0.2),
        "unit": "pcs",
        "cap": (200, 10_000),
    },
    "process.powder_metallurgy": {
        "vi": ["luyện kim bột", "sản xuất chi tiết thiêu kết"],
        "en": ["powder metallurgy", "sintered parts"],
        "products": [
            ("bạc thiêu kết", "sintered bushings"),
            ("bánh răng thiêu kết", "sintered gears"),
        ],
        "materials": _m("copper", "s45c"),
        "equipment": [
            ("máy ép bột 100 tấn", "100 t powder presses"),
            ("lò thiêu kết", "sintering furnace"),
        ],
        "hs": ["848330", "848340"],
        "tol": (0.01, 0.05),
        "unit": "pcs",
        "cap": (100_000, 1_000_000),
    },
    "process.composite_fabrication": {
        "vi": ["chế tạo sản phẩm composite", "gia công composite sợi thủy tinh"],
        "en": ["composite fabrication", "FRP parts"],
        "products": [("vỏ composite", "composite covers"), ("bồn FRP", "FRP tanks")],
        "materials": _m("glass_fiber", "carbon_fiber"),
        "equipment": [("dây chuyền RTM", "RTM line"), ("lò hấp autoclave", "autoclave")],
        "hs": ["392690", "681599"],
        "tol": (0.2, 1.0),
        "unit": "pcs",
        "cap": (500, 20_000),
    },
    "process.surface_coating_pvd": {
        "vi": ["phủ PVD", "mạ chân không PVD"],
        "en": ["PVD coating", "vacuum coating"],
        "products": [
            ("dao cắt, mũi khoan", "cutting tools"),
            ("vòi sen màu vàng", "gold-finish faucets"),
        ],
        "materials": _m("stainless_304", "brass", "tool_steel_skd11"),
        "equipment": [("lò phủ PVD Oerlikon Balzers", "Oerlikon Balzers PVD units")],
        "hs": ["820790", "848180"],
        "tol": None,
        "unit": "pcs",
        "cap": (10_000, 200_000),
    },
    "process.carton_packaging": {
        "vi": ["sản xuất thùng carton", "in bao bì carton"],
        "en": ["corrugated carton packaging", "printed cartons"],
        "products": [("thùng carton 5 lớp", "5-ply cartons"), ("vách ngăn", "partitions")],
        "materials": _m("paper_carton"),
        "equipment": [
            ("dây chuyền sóng BHS", "BHS corrugator"),
            ("máy in flexo 4 màu", "4-colour flexo"),
        ],
        "hs": ["481910"],
        "tol": None,
        "unit": "pcs",
        "cap": (200_000, 3_000_000),
    },
}

UNIT_VI = {
    "pcs": "sản phẩm",
    "kg": "kg",
    "tons": "tấn",
    "m": "mét",
    "m2": "m²",
    "sets": "bộ",
    "pairs": "đôi",
}
UNIT_EN = {
    "pcs": "pcs",
    "kg": "kg",
    "tons": "tonnes",
    "m": "metres",
    "m2": "m²",
    "sets": "sets",
    "pairs": "pairs",
}

# ---------------------------------------------------------------------------------------
# Supplier archetypes: (key, sectors, name words (vi, en), processes, weight per province)
# ---------------------------------------------------------------------------------------

ARCHETYPES: list[dict[str, Any]] = [
    {
        "key": "precision",
        "sectors": [S_MECH],
        "names": [
            ("Cơ khí Chính xác", "Precision Mechanical"),
            ("Kỹ thuật Cơ khí", "Mechanical Engineering"),
            ("Gia công Cơ khí", "Machining"),
        ],
        "processes": [
            "process.cnc_turning",
            "process.cnc_milling",
            "process.cnc_machining",
            "process.grinding",
            "process.heat_treatment",
            "process.wire_cut",
        ],
        "weights": {"TN": 14, "TB": 6, "HY": 10, "VP": 10},
    },
    {
        "key": "mould",
        "sectors": [S_MECH, S_PLAST],
        "names": [("Khuôn mẫu", "Mould & Die"), ("Khuôn mẫu Chính xác", "Precision Tooling")],
        "processes": [
            "process.mould_making",
            "process.edm",
            "process.wire_cut",
            "process.cnc_milling",
            "process.injection_molding",
        ],
        "weights": {"TN": 6, "TB": 2, "HY": 6, "VP": 6},
    },
    {
        "key": "plastics",
        "sectors": [S_PLAST, S_ELEC],
        "names": [
            ("Nhựa Kỹ thuật", "Engineering Plastics"),
            ("Nhựa Công nghiệp", "Industrial Plastics"),
        ],
        "processes": [
            "process.injection_molding",
            "process.pad_printing",
            "process.mould_making",
            "process.blow_molding",
            "process.extrusion",
            "process.painting",
        ],
        "weights": {"TN": 8, "TB": 5, "HY": 10, "VP": 8},
    },
    {
        "key": "stamping",
        "sectors": [S_MECH, S_AUTO],
        "names": [("Cơ khí Dập", "Metal Stamping"), ("Dập Kim loại", "Metal Pressing")],
        "processes": [
            "process.stamping",
            "process.deep_drawing",
            "process.mould_making",
            "process.spot_welding",
            "process.cnc_punching",
        ],
        "weights": {"TN": 8, "TB": 4, "HY": 7, "VP": 10},
    },
    {
        "key": "sheetmetal",
        "sectors": [S_MECH],
        "names": [("Kết cấu Thép", "Steel Fabrication"), ("Cơ khí Tấm", "Sheet Metal")],
        "processes": [
            "process.sheet_metal_fabrication",
            "process.laser_cutting",
            "process.bending",
            "process.mig_welding",
            "process.tig_welding",
            "process.powder_coating",
        ],
        "weights": {"TN": 8, "TB": 6, "HY": 7, "VP": 6},
    },
    {
        "key": "casting",
        "sectors": [S_MECH, S_AUTO],
        "names": [("Đúc", "Casting"), ("Đúc Kim loại", "Metal Casting")],
        "processes": [
            "process.aluminium_die_casting",
            "process.zinc_die_casting",
            "process.sand_casting",
            "process.investment_casting",
            "process.cnc_machining",
            "process.forging",
        ],
        "weights": {"TN": 5, "TB": 3, "HY": 4, "VP": 7},
    },
    {
        "key": "plating",
        "sectors": [S_MECH, S_PAINT],
        "names": [("Xi mạ", "Plating"), ("Xử lý Bề mặt", "Surface Treatment")],
        "processes": [
            "process.zinc_plating",
            "process.chrome_plating",
            "process.nickel_plating",
            "process.anodizing",
            "process.ed_coating",
            "process.powder_coating",
            "process.polishing",
        ],
        "weights": {"TN": 4, "TB": 3, "HY": 5, "VP": 5},
    },
    {
        "key": "electronics",
        "sectors": [S_ELEC],
        "names": [("Điện tử", "Electronics"), ("Công nghệ Điện tử", "Electronic Technology")],
        "processes": [
            "process.smt_assembly",
            "process.tht_soldering",
            "process.box_build_assembly",
            "process.pcb_fabrication",
        ],
        "weights": {"TN": 14, "TB": 3, "HY": 8, "VP": 6},
    },
    {
        "key": "wiring",
        "sectors": [S_ELEC, S_AUTO],
        "names": [("Dây Cáp Điện", "Cable & Wire"), ("Thiết bị Điện", "Electrical Components")],
        "processes": [
            "process.wire_harness",
            "process.coil_winding",
            "process.transformer_making",
            "process.injection_molding",
        ],
        "weights": {"TN": 8, "TB": 3, "HY": 6, "VP": 6},
    },
    {
        "key": "moto",
        "sectors": [S_AUTO, S_MECH],
        "names": [
            ("Phụ tùng Xe máy", "Motorcycle Parts"),
            ("Phụ tùng Ô tô Xe máy", "Auto & Moto Parts"),
            ("Linh kiện Ô tô", "Auto Components"),
        ],
        "processes": [
            "process.stamping",
            "process.mig_welding",
            "process.cnc_turning",
            "process.pipe_bending",
            "process.gear_cutting",
            "process.spring_making",
            "process.fastener_making",
            "process.mechanical_assembly",
            "process.ed_coating",
            "process.injection_molding",
        ],
        "weights": {"TN": 5, "TB": 3, "HY": 6, "VP": 22},
    },
    {
        "key": "rubber",
        "sectors": [S_PLAST, S_AUTO],
        "names": [("Cao su Kỹ thuật", "Technical Rubber")],
        "processes": ["process.rubber_molding", "process.extrusion"],
        "weights": {"TN": 2, "TB": 3, "HY": 4, "VP": 5},
    },
    {
        "key": "forging",
        "sectors": [S_MECH, S_AUTO],
        "names": [("Rèn Dập", "Forging"), ("Bu lông Ốc vít", "Fasteners")],
        "processes": [
            "process.forging",
            "process.fastener_making",
            "process.heat_treatment",
            "process.zinc_plating",
        ],
        "weights": {"TN": 5, "TB": 2, "HY": 3, "VP": 5},
    },
    {
        "key": "garment",
        "sectors": [S_TEXT],
        "names": [
            ("May mặc", "Garment"),
            ("May Xuất khẩu", "Garment Export"),
            ("Dệt may", "Textile & Garment"),
        ],
        "processes": [
            "process.cutting_sewing",
            "process.embroidery",
            "process.fabric_printing",
            "process.label_weaving",
        ],
        "weights": {"TN": 5, "TB": 18, "HY": 10, "VP": 4},
    },
    {
        "key": "textile",
        "sectors": [S_TEXT],
        "names": [("Sợi Dệt", "Spinning & Weaving"), ("Dệt Nhuộm", "Weaving & Dyeing")],
        "processes": [
            "process.spinning",
            "process.weaving",
            "process.knitting",
            "process.dyeing_finishing",
        ],
        "weights": {"TN": 2, "TB": 12, "HY": 5, "VP": 1},
    },
    {
        "key": "trims",
        "sectors": [S_TEXT, S_LEATHER],
        "names": [
            ("Nguyên phụ liệu Dệt may", "Textile Materials"),
            ("Phụ liệu May", "Garment Accessories"),
        ],
        "processes": [
            "process.interlining",
            "process.padding_wadding",
            "process.pu_leather_coating",
            "process.label_weaving",
        ],
        "weights": {"TN": 1, "TB": 8, "HY": 4, "VP": 1},
    },
    {
        "key": "footwear",
        "sectors": [S_LEATHER],
        "names": [("Da giày", "Footwear"), ("Giày dép", "Shoes")],
        "processes": [
            "process.shoe_sole_molding",
            "process.shoe_upper_stitching",
            "process.pu_leather_coating",
        ],
        "weights": {"TN": 1, "TB": 6, "HY": 4, "VP": 2},
    },
    {
        "key": "sanitary",
        "sectors": [S_CERAM],
        "names": [("Thiết bị Vệ sinh", "Sanitary Ware"), ("Sứ Vệ sinh", "Sanitary Ceramics")],
        "processes": [
            "process.brass_faucet_machining",
            "process.chrome_plating",
            "process.sanitary_accessory_assembly",
            "process.slip_casting",
            "process.ceramic_glazing",
            "process.polishing",
        ],
        "weights": {"TN": 1, "TB": 12, "HY": 3, "VP": 2},
    },
    {
        "key": "hitech",
        "sectors": [S_HITECH],
        "names": [("Công nghệ cao", "Hi-Tech"), ("Vật liệu Mới", "Advanced Materials")],
        "processes": [
            "process.additive_manufacturing",
            "process.powder_metallurgy",
            "process.composite_fabrication",
            "process.surface_coating_pvd",
            "process.cnc_milling",
        ],
        "weights": {"TN": 4, "TB": 2, "HY": 3, "VP": 3},
    },
    {
        "key": "packaging",
        "sectors": [S_PACK],
        "names": [("Bao bì", "Packaging")],
        "processes": ["process.carton_packaging"],
        "weights": {"TN": 2, "TB": 2, "HY": 3, "VP": 2},
    },
]

PROPER_NAMES = [
    "Minh Phát",
    "Hưng Thịnh",
    "Phú Cường",
    "An Khánh",
    "Tân Phát",
    "Trường Sơn",
    "Quang Minh",
    "Nam Việt",
    "Hải Long",
    "Thịnh Vượng",
    "Kim Long",
    "Bảo An",
    "Đức Tín",
    "Phúc Lộc",
    "Thiên Phú",
    "Vạn Xuân",
    "Hồng Hà",
    "Lạc Hồng",
    "Tiến Đạt",
    "Gia Huy",
    "Nhật Quang",
    "Thái Sơn",
    "Vĩnh Thịnh",
    "An Phú",
    "Tân Tiến",
    "Hưng Long",
    "Đại Phát",
    "Khánh An",
    "Phú Thành",
    "Trí Việt",
    "Hà Thành",
    "Bình Minh",
    "Đông Sơn",
    "Ngọc Khánh",
    "Hoàng Long",
    "Phương Nam",
    "Tín Nghĩa",
    "Việt Hưng",
    "Thành Đạt",
    "Sơn Hà",
    "Anh Dương",
    "Tam Đa",
    "Hợp Lực",
    "Đồng Tâm Phát",
    "Quốc Thái",
    "Thuận Phong",
    "Hiệp Hưng",
    "Kiến Phát",
    "Tùng Lâm",
    "Mạnh Cường",
    "Phúc Hưng",
    "Nam Sơn",
    "Lộc Phát",
    "Tâm Đức",
    "Trung Kiên",
    "Hải Đăng",
    "Nhân Nghĩa",
    "Vĩnh Phát",
    "Ánh Dương",
    "Thiên Long Phát",
    "Cẩm Hà",
    "Bắc Việt",
    "Hòa An",
    "Song Hà",
    "Phú Gia",
    "Hưng Phát",
]
FORMS = [
    ("Công ty TNHH", "Co., Ltd"),
    ("Công ty CP", "JSC"),
    ("Công ty TNHH MTV", "One Member Co., Ltd"),
    ("Công ty TNHH", "Co., Ltd"),
    ("Công ty Cổ phần", "Joint Stock Company"),
]

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Phan",
    "Trịnh",
    "Nguyễn",
    "Trần",
    "Nguyễn",
]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thanh", "Hữu", "Quang", "Ngọc", "Thu", "Xuân", "Tuấn"]
GIVEN = [
    "Hùng",
    "Lan",
    "Tuấn",
    "Hương",
    "Dũng",
    "Hà",
    "Nam",
    "Mai",
    "Cường",
    "Thảo",
    "Long",
    "Hạnh",
    "Sơn",
    "Trang",
    "Quân",
    "Linh",
    "Phong",
    "Huyền",
    "Khoa",
    "Yến",
    "Thắng",
    "Nga",
    "Bình",
    "Hải",
]
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Hùng Vương",
    "Lê Duẩn",
    "Nguyễn Văn Cừ",
    "Phạm Văn Đồng",
    "Tôn Đức Thắng",
    "Hai Bà Trưng",
    "Võ Nguyên Giáp",
]
QC_VI = [
    "máy đo CMM Mitutoyo",
    "máy đo 2D",
    "máy chiếu biên dạng",
    "thước đo độ cao điện tử",
    "máy đo độ nhám",
    "máy kiểm tra AOI",
]
QC_EN = [
    "Mitutoyo CMM",
    "2D vision measuring",
    "profile projector",
    "height gauge",
    "roughness tester",
    "AOI",
]
COUNTRIES_VI = ["Hàn Quốc", "Nhật Bản", "Trung Quốc", "Đài Loan", "châu Âu"]
COUNTRIES_EN = ["Korean", "Japanese", "Chinese", "Taiwanese", "European"]

ISSUERS = [
    "Bureau Veritas",
    "SGS",
    "TÜV Rheinland",
    "Quacert",
    "BSI",
    "Intertek",
    "TÜV SÜD",
    "DNV",
    "Vinacert",
]
ISSUER_PREFIX = {
    "Bureau Veritas": "VN",
    "SGS": "VN",
    "TÜV Rheinland": "44 100",
    "Quacert": "HT",
    "BSI": "FM",
    "Intertek": "ITS-",
    "TÜV SÜD": "12 100",
    "DNV": "C",
    "Vinacert": "VC",
}

# ---------------------------------------------------------------------------------------
# Buyers
# ---------------------------------------------------------------------------------------

BUYER_PROFILES: dict[str, dict[str, Any]] = {
    "electronics": {
        "sector": S_ELEC,
        "processes": [
            "process.injection_molding",
            "process.smt_assembly",
            "process.wire_harness",
            "process.stamping",
            "process.cnc_machining",
            "process.coil_winding",
            "process.transformer_making",
            "process.aluminium_die_casting",
            "process.rubber_molding",
            "process.pcb_fabrication",
            "process.pad_printing",
            "process.sheet_metal_fabrication",
            "process.carton_packaging",
            "process.tht_soldering",
            "process.anodizing",
        ],
        "certs": [
            ("ISO 9001", 0.7),
            ("ISO 14001", 0.35),
            ("RoHS", 0.35),
            ("UL", 0.08),
            ("ISO 45001", 0.05),
        ],
    },
    "motorbike": {
        "sector": S_AUTO,
        "processes": [
            "process.injection_molding",
            "process.stamping",
            "process.cnc_turning",
            "process.aluminium_die_casting",
            "process.forging",
            "process.fastener_making",
            "process.mig_welding",
            "process.pipe_bending",
            "process.rubber_molding",
            "process.wire_harness",
            "process.chrome_plating",
            "process.gear_cutting",
            "process.spring_making",
            "process.painting",
            "process.ed_coating",
            "process.sand_casting",
            "process.powder_metallurgy",
            "process.pu_leather_coating",
        ],
        "certs": [("ISO 9001", 0.75), ("IATF 16949", 0.3), ("ISO 14001", 0.3)],
    },
    "car": {
        "sector": S_AUTO,
        "processes": [
            "process.injection_molding",
            "process.stamping",
            "process.spot_welding",
            "process.cnc_machining",
            "process.aluminium_die_casting",
            "process.wire_harness",
            "process.rubber_molding",
            "process.heat_treatment",
            "process.zinc_plating",
            "process.ed_coating",
            "process.forging",
            "process.extrusion",
            "process.cutting_sewing",
            "process.blow_molding",
        ],
        "certs": [("ISO 9001", 0.8), ("IATF 16949", 0.45), ("ISO 14001", 0.35), ("VDA 6.3", 0.05)],
    },
    "garment": {
        "sector": S_TEXT,
        "processes": [
            "process.cutting_sewing",
            "process.interlining",
            "process.padding_wadding",
            "process.embroidery",
            "process.fabric_printing",
            "process.label_weaving",
            "process.knitting",
            "process.weaving",
            "process.dyeing_finishing",
            "process.spinning",
            "process.carton_packaging",
        ],
        "certs": [
            ("OEKO-TEX", 0.4),
            ("BSCI", 0.35),
            ("WRAP", 0.1),
            ("GRS", 0.1),
            ("ISO 9001", 0.2),
        ],
    },
    "footwear": {
        "sector": S_LEATHER,
        "processes": [
            "process.shoe_sole_molding",
            "process.pu_leather_coating",
            "process.shoe_upper_stitching",
            "process.embroidery",
            "process.label_weaving",
            "process.carton_packaging",
        ],
        "certs": [("BSCI", 0.3), ("ISO 9001", 0.3), ("ISO 14001", 0.15)],
    },
    "sanitary": {
        "sector": S_CERAM,
        "processes": [
            "process.brass_faucet_machining",
            "process.chrome_plating",
            "process.sanitary_accessory_assembly",
            "process.slip_casting",
            "process.injection_molding",
            "process.zinc_die_casting",
            "process.ceramic_glazing",
            "process.surface_coating_pvd",
        ],
        "certs": [("ISO 9001", 0.6), ("ISO 14001", 0.2)],
    },
    "machinery": {
        "sector": S_MECH,
        "processes": [
            "process.cnc_milling",
            "process.cnc_turning",
            "process.sheet_metal_fabrication",
            "process.laser_cutting",
            "process.tig_welding",
            "process.grinding",
            "process.additive_manufacturing",
            "process.composite_fabrication",
            "process.investment_casting",
            "process.anodizing",
            "process.mould_making",
            "process.powder_coating",
            "process.heat_treatment",
        ],
        "certs": [("ISO 9001", 0.8), ("ISO 14001", 0.3), ("ISO 13485", 0.05), ("ISO 3834", 0.05)],
    },
}

# (English name, country, profile, Vietnamese descriptor)
BUYERS: list[tuple[str, str, str]] = [
    ("Hanseong Electronics Vina Co., Ltd", "South Korea", "electronics"),
    ("Daeyoon Precision Vina Co., Ltd", "South Korea", "electronics"),
    ("Seowon Hitech Vietnam Co., Ltd", "South Korea", "electronics"),
    ("Mirhae Display Vina Co., Ltd", "South Korea", "electronics"),
    ("Jinwoon Telecom Vina Co., Ltd", "South Korea", "electronics"),
    ("Kyungrim Motors Vina Co., Ltd", "South Korea", "car"),
    ("Bokwang Auto Parts Vina Co., Ltd", "South Korea", "car"),
    ("Sungpyo Apparel Vina Co., Ltd", "South Korea", "garment"),
    ("Haewon Textile Vina Co., Ltd", "South Korea", "garment"),
    ("Dongrim Footwear Vina Co., Ltd", "South Korea", "footwear"),
    ("Kitaura Motor Parts Vietnam Co., Ltd", "Japan", "motorbike"),
    ("Nishihara Seiki Vietnam Co., Ltd", "Japan", "machinery"),
    ("Takemori Electric Vietnam Co., Ltd", "Japan", "electronics"),
    ("Oyamada Precision Vietnam Co., Ltd", "Japan", "electronics"),
    ("Hayasaki Industries Vietnam Co., Ltd", "Japan", "motorbike"),
    ("Kurobane Auto Systems Vietnam Co., Ltd", "Japan", "car"),
    ("Shimazaki Sewing Vietnam Co., Ltd", "Japan", "garment"),
    ("Ueharu Kogyo Vietnam Co., Ltd", "Japan", "motorbike"),
    ("Minasawa Housing Equipment Vietnam Co., Ltd", "Japan", "sanitary"),
    ("Akizuki Denshi Vietnam Co., Ltd", "Japan", "electronics"),
    ("Tsurugaya Rubber Vietnam Co., Ltd", "Japan", "car"),
    ("Jinhai Electronic Technology (Vietnam) Co., Ltd", "China", "electronics"),
    ("Longxiang Precision Vietnam Co., Ltd", "China", "electronics"),
    ("Ruifeng Motorcycle Vietnam Co., Ltd", "China", "motorbike"),
    ("Hongtai Garment Vietnam Co., Ltd", "China", "garment"),
    ("Xinjiarui Textile Vietnam Co., Ltd", "China", "garment"),
    ("Baosheng Sanitary Ware Vietnam Co., Ltd", "China", "sanitary"),
    ("Kaiyuda Shoes Vietnam Co., Ltd", "China", "footwear"),
    ("Zhongyao New Energy Vietnam Co., Ltd", "China", "electronics"),
    ("Huachenda Auto Parts Vietnam Co., Ltd", "China", "car"),
    ("Hsinwei Industrial Vietnam Co., Ltd", "Taiwan", "motorbike"),
    ("Chenglung Technology Vietnam Co., Ltd", "Taiwan", "electronics"),
    ("Yuanmao Footwear Vietnam Co., Ltd", "Taiwan", "footwear"),
    ("Tienkuang Bicycle & Motor Vietnam Co., Ltd", "Taiwan", "motorbike"),
    ("Fulinyang Textile Vietnam Co., Ltd", "Taiwan", "garment"),
    ("Nordvik Electric Vietnam Co., Ltd", "Sweden", "electronics"),
    ("Brenneck Automotive Vietnam Co., Ltd", "Germany", "car"),
    ("Hallbergsen Machinery Vietnam Co., Ltd", "Denmark", "machinery"),
    ("Veltrano Moto Components Vietnam Co., Ltd", "Italy", "motorbike"),
    ("Lindqvart Medical Devices Vietnam Co., Ltd", "Sweden", "machinery"),
    ("Marchetelli Sanitari Vietnam Co., Ltd", "Italy", "sanitary"),
    ("Oostervelde Apparel Vietnam B.V.", "Netherlands", "garment"),
    ("Kesselring Antriebstechnik Vietnam Co., Ltd", "Germany", "machinery"),
    ("Dupraz Outdoor Vietnam Co., Ltd", "France", "garment"),
    ("Sukhwan Vina Motor Co., Ltd", "South Korea", "motorbike"),
    ("Gwangmin Energy Vina Co., Ltd", "South Korea", "electronics"),
    ("Hirotsuka Wiring Vietnam Co., Ltd", "Japan", "car"),
    ("Chuanhe Power Tools Vietnam Co., Ltd", "China", "machinery"),
    ("Wooshin Garment Vina Co., Ltd", "South Korea", "garment"),
    ("Yamabuki Seat Vietnam Co., Ltd", "Japan", "motorbike"),
]
COUNTRY_VI = {
    "South Korea": "Hàn Quốc",
    "Japan": "Nhật Bản",
    "China": "Trung Quốc",
    "Taiwan": "Đài Loan",
    "Sweden": "Thụy Điển",
    "Germany": "Đức",
    "Denmark": "Đan Mạch",
    "Italy": "Ý",
    "Netherlands": "Hà Lan",
    "France": "Pháp",
}
FOREIGN_CONTACTS = {
    "South Korea": ["Kim Min-jun", "Lee Seo-yeon", "Park Ji-hoon", "Choi Eun-ji", "Jung Hyun-woo"],
    "Japan": ["Tanaka Hiroshi", "Sato Yuki", "Yamamoto Kenji", "Watanabe Aya", "Kobayashi Daisuke"],
    "China": ["Wang Lei", "Zhang Wei", "Liu Yang", "Chen Jing", "Li Na"],
    "Taiwan": ["Lin Chih-hao", "Huang Mei-ling", "Tsai Wen-chun", "Wu Tsung-han"],
}
BUYER_PROVINCES = [
    "VP",
    "VP",
    "HY",
    "HY",
    "TN",
    "TN",
    "TB",
    "HN",
    "BN",
    "BN",
    "HP",
    "HD",
    "BG",
    "PT",
]
BUYER_PROVINCES_BY_PROFILE = {
    "garment": ["TB", "TB", "HY", "HD", "BG", "PT", "HN", "TN"],
    "footwear": ["TB", "HY", "HP", "HD", "BG"],
    "sanitary": ["TB", "TB", "HY", "VP", "HN"],
    "motorbike": ["VP", "VP", "VP", "HY", "HN", "HP", "TN"],
}

PROCESS_SHORT_EN = {
    "process.injection_molding": ["IM parts", "injection moulded parts", "plastic injection parts"],
    "process.stamping": ["press parts", "stamped parts", "metal stamping parts"],
    "process.smt_assembly": ["PCBA", "SMT assembly", "PCB assembly"],
    "process.wire_harness": ["wire harness", "cable assembly", "wiring harness"],
    "process.aluminium_die_casting": ["die-cast housing", "ADC12 die castings", "HPDC parts"],
    "process.cnc_turning": ["turned parts", "CNC turned components", "lathe parts"],
    "process.cnc_milling": ["milled parts", "CNC milled components", "5-axis machined parts"],
    "process.cnc_machining": [
        "machined parts",
        "CNC machined components",
        "precision machined parts",
    ],
    "process.rubber_molding": ["rubber parts", "gaskets and seals", "molded rubber parts"],
    "process.cutting_sewing": ["CMT sewing", "garment making (FOB)", "cut & sew"],
    "process.forging": ["forged parts", "hot forgings", "closed-die forgings"],
    "process.fastener_making": ["fasteners", "bolts and screws", "cold-headed fasteners"],
}


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Vietnamese as typed on a keyboard without diacritics (đ becomes d)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _ascii_slug(text: str) -> str:
    plain = strip_diacritics(text).lower()
    return "".join(c for c in plain if c.isalnum())


@cache
def _taxonomy() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "taxonomy.json", encoding="utf-8") as fh:
        return {c["id"]: c for c in json.load(fh)}


@cache
def _provinces() -> dict[str, dict[str, Any]]:
    with open(DATA_DIR / "provinces.json", encoding="utf-8") as fh:
        return {p["code"]: p for p in json.load(fh)}


def _mat_label(mid: str, lang: str) -> str:
    concept = _taxonomy()[mid]
    if lang == "en":
        return concept["name_en"]
    term = concept["terms"][0]
    if concept["sector"] == S_PLAST and not term.lower().startswith(("nhựa", "cao su")):
        return (
            f"nhựa {term}"
            if mid not in ("material.silicone", "material.epdm", "material.nbr")
            else f"cao su {term}"
        )
    return term


def _mat_code(mid: str) -> str:
    """The short trade designation buyers use in English text (SPCC, ADC12, PA66 ...)."""
    concept = _taxonomy()[mid]
    return next((t for t in concept["terms"] if t.isascii()), concept["name_en"])


def _tax_code(rng: random.Random, province: str, used: set[str]) -> str:
    """A 10-digit mã số thuế with a correct check digit (as in stdnum.vn.mst)."""
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        body = TAX_PREFIX[province] + f"{rng.randrange(10_000_000):07d}"
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
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _valid_until(rng: random.Random) -> date:
    start, end = date(2025, 6, 1), date(2029, 12, 31)
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _zones(code: str) -> list[dict[str, Any]]:
    return _provinces()[code]["zones"]


def _address(rng: random.Random, code: str, zone: dict[str, Any] | None) -> str:
    province = _provinces()[code]["name_vi"]
    if zone is not None:
        lot = f"Lô {rng.choice('ABCDEGHK')}{rng.randint(1, 12)}-{rng.randint(1, 30)}"
        if zone["kind"] == "CCN":
            lot = f"Lô {rng.randint(1, 40)}"
        return f"{lot}, {zone['kind']} {zone['name']}, {zone['district']}, {province}"
    district = rng.choice([z["district"] for z in _zones(code)])
    return f"Số {rng.randint(1, 350)} đường {rng.choice(STREETS)}, {district}, {province}"


# ---------------------------------------------------------------------------------------
# Capability text
# ---------------------------------------------------------------------------------------


def _capability(rng: random.Random, pid: str, lang: str, years: int) -> dict[str, Any]:
    spec = PROCESSES[pid]
    text_lang = "en" if lang == "en" else "vi"
    k = 0 if text_lang == "vi" else 1
    proc = rng.choice(spec["vi"] if k == 0 else spec["en"])
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
    mat_text = ", ".join(_mat_label(m, text_lang) for m in mats)
    qc = rng.choice(QC_VI if k == 0 else QC_EN)
    country = rng.choice(COUNTRIES_VI if k == 0 else COUNTRIES_EN)
    cap_text = f"{_fmt_int(cap, text_lang)} {(UNIT_VI if k == 0 else UNIT_EN)[unit]}"
    tol_text = _fmt_tol(tol) if tol is not None else ""

    if k == 0:
        proc_cap = proc[0].upper() + proc[1:]
        title = rng.choice(
            [
                f"{proc_cap} {products[0][0]}",
                f"{proc_cap} theo bản vẽ",
                f"Nhận {proc} {products[0][0]}",
                f"{products[0][0][0].upper()}{products[0][0][1:]} - {proc}",
                f"Gia công {proc}" if not proc.startswith(("gia công", "sản xuất")) else proc_cap,
                f"Dịch vụ {proc}",
            ]
        )
        tol_vi = (
            rng.choice(
                [
                    f"Dung sai ±{tol_text} mm.",
                    f"Độ chính xác đạt ±{tol_text} mm.",
                    f"dung sai tới ±{tol_text} mm.",
                ]
            )
            if tol is not None
            else ""
        )
        tol_vi = tol_vi[0].upper() + tol_vi[1:] if tol_vi else ""
        desc = rng.choice(
            [
                f"Công ty chuyên {proc} {prod_text}. Vật liệu: {mat_text}. Thiết bị: {eq_text}. "
                f"{tol_vi} Năng lực {cap_text}/tháng.",
                f"Nhận {proc} theo bản vẽ và mẫu của khách hàng: {prod_text}. Sử dụng {eq_text}; "
                f"vật liệu {mat_text}. Sản lượng tối đa khoảng {cap_text}/tháng, MOQ "
                f"{_fmt_int(moq, 'vi')}. {tol_vi}",
                f"Xưởng được đầu tư {eq_text}, chuyên {proc} cho các doanh nghiệp FDI {country}. "
                f"Sản phẩm chính: {prod_text}. {tol_vi} Kiểm tra chất lượng bằng {qc}.",
                f"Với {years} năm kinh nghiệm, chúng tôi cung cấp dịch vụ {proc}: {prod_text} từ "
                f"{mat_text}. Công suất {cap_text}/tháng. {tol_vi}",
                f"{proc_cap} - {prod_text}. Máy móc: {eq_text}. Vật liệu thường dùng: {mat_text}. "
                f"{tol_vi} Đang cung ứng cho khách hàng {country}.",
                f"Sản xuất {prod_text} ({proc}) bằng {mat_text}. Năng lực sản xuất {cap_text} mỗi "
                f"tháng trên {eq_text}. {tol_vi}",
            ]
        )
    else:
        title = rng.choice(
            [
                f"{proc[0].upper()}{proc[1:]} of {products[0][1]}",
                f"{products[0][1][0].upper()}{products[0][1][1:]} ({proc})",
                f"{proc[0].upper()}{proc[1:]} to customer drawings",
                f"OEM {proc} services",
            ]
        )
        tol_en = (
            rng.choice(
                [
                    f"Tolerance ±{tol_text} mm.",
                    f"Tolerances down to ±{tol_text} mm.",
                    f"Typical accuracy ±{tol_text} mm.",
                ]
            )
            if tol is not None
            else ""
        )
        desc = rng.choice(
            [
                f"We provide {proc} for {prod_text} in {mat_text}. Equipment: {eq_text}. {tol_en} "
                f"Capacity {cap_text}/month.",
                f"{proc[0].upper()}{proc[1:]} to drawing: {prod_text}. Machines: {eq_text}. "
                f"Materials: {mat_text}. MOQ {_fmt_int(moq, 'en')}. {tol_en}",
                f"Supplier to {country} FDI customers since {2026 - years}. "
                f"Main products: {prod_text}. {tol_en} In-house QC with {qc}. "
                f"Monthly output about {cap_text}.",
                f"{eq_text}. {proc[0].upper()}{proc[1:]} of {prod_text} ({mat_text}). {tol_en}",
            ]
        )
    desc = " ".join(desc.split())
    title = " ".join(title.split())
    if lang == "vi_nodiac":
        title, desc = strip_diacritics(title), strip_diacritics(desc)
        products_text, equipment_text = strip_diacritics(prod_text), strip_diacritics(eq_text)
    else:
        title, desc = nfc(title), nfc(desc)
        products_text, equipment_text = nfc(prod_text), nfc(eq_text)
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
        "language": "en" if lang == "en" else "vi",
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
    certs = []
    for standard, p in odds:
        if (
            standard != "ISO 9001"
            and "ISO 9001" not in [c["standard"] for c in certs]
            and standard.startswith(("ISO", "IATF"))
        ):
            p *= 0.3  # management-system certificates usually come after ISO 9001
        if rng.random() < p:
            issuer = "Quacert" if standard in ("RoHS",) else rng.choice(ISSUERS)
            if standard in ("BSCI", "WRAP", "SA8000"):
                issuer = rng.choice(["SGS", "Intertek", "Bureau Veritas", "TÜV Rheinland"])
            if standard == "OEKO-TEX":
                issuer = rng.choice(["TESTEX", "Hohenstein", "Centexbel"])
            number = f"{ISSUER_PREFIX.get(issuer, 'OT-')}{rng.randint(10_000, 99_999)}"
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
    suppliers: list[dict[str, Any]] = []
    used_names: set[str] = set()
    n = 0
    for code in SEED_PROVINCES:
        zones = _zones(code)
        weights = [a["weights"][code] for a in ARCHETYPES]
        province_vi = _provinces()[code]["name_vi"]
        for _ in range(SUPPLIERS_PER_PROVINCE[code]):
            n += 1
            arche = rng.choices(ARCHETYPES, weights=weights)[0]
            while True:
                label_vi, label_en = rng.choice(arche["names"])
                proper = rng.choice(PROPER_NAMES)
                form_vi, form_en = rng.choice(FORMS)
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
            phone = f"{AREA_CODE[code]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            if rng.random() < 0.4:
                phone = f"09{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            main_products = ", ".join(c["_products_raw"] for c in caps[:2])
            if rng.random() < 0.85:
                desc = (
                    f"{name_vi} thành lập năm {founded} tại {province_vi}, "
                    f"quy mô {employees} lao động. Sản phẩm, dịch vụ chính: {main_products}."
                )
                if jv:
                    desc += " Doanh nghiệp liên doanh với đối tác nước ngoài."
            else:
                desc = (
                    f"Founded in {founded} in {_provinces()[code]['name_en']} province, "
                    f"{employees} employees. Main products: {main_products}."
                )
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
                    "country_of_origin": rng.choice(["Japan", "South Korea", "Taiwan"])
                    if jv
                    else "Vietnam",
                    "contact_name": nfc(contact),
                    "contact_email": f"{rng.choice(['sales', 'kinhdoanh', 'info', 'contact'])}"
                    f"@{slug}.example",
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
    buyers = []
    for i, (name_en, country, profile) in enumerate(BUYERS, start=1):
        choices = BUYER_PROVINCES_BY_PROFILE.get(profile, BUYER_PROVINCES)
        code = rng.choice(choices)
        zone = rng.choice([z for z in _zones(code) if z["kind"] == "KCN"])
        core = name_en.replace(" Co., Ltd", "").replace(" B.V.", "")
        name_vi = f"Công ty TNHH {core}"
        slug = _ascii_slug(core.split()[0])
        contact = rng.choice(
            FOREIGN_CONTACTS.get(
                country, ["Anna Berg", "Marco Rossi", "Jan de Vries", "Lukas Becker"]
            )
        )
        if rng.random() < 0.4:
            contact = _person(rng)
        employees = rng.choice([300, 450, 800, 1200, 1500, 2000, 3500, 5000, 8000])
        profile_spec = BUYER_PROFILES[profile]
        buyers.append(
            {
                "demo_key": f"demo-buy-{i:03d}",
                "role": "buyer",
                "name_vi": nfc(name_vi),
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
                "contact_phone": (
                    f"{AREA_CODE[code]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
                ),
                "website": f"https://www.{slug}.example",
                "description": nfc(
                    f"Doanh nghiệp FDI {COUNTRY_VI[country]} tại {_provinces()[code]['name_vi']}, "
                    f"lĩnh vực {_taxonomy()[profile_spec['sector']]['name_vi'].lower()}. "
                    f"{country} invested manufacturer in {_provinces()[code]['name_en']}."
                ),
                "sectors": [profile_spec["sector"]],
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
    product: tuple[str, str],
    lang: str,
    delivery: str,
) -> tuple[str, str]:
    spec = PROCESSES[pid]
    unit = spec["unit"]
    prov = _provinces()[delivery]
    if lang == "en":
        proc = rng.choice(PROCESS_SHORT_EN.get(pid, []) + spec["en"])
        mat = " / ".join(_mat_label(m, "en") if rng.random() < 0.5 else _mat_code(m) for m in mats)
        qty_text = f"{_fmt_int(qty, 'en')} {UNIT_EN[unit]}/year"
        title = rng.choice(
            [
                f"{product[1][0].upper()}{product[1][1:]} - {proc}",
                f"RFQ: {product[1]} ({'/'.join(_mat_code(m) for m in mats)})",
                f"Looking for local supplier: {proc} ({mat})",
                f"Local sourcing - {product[1]}, {qty_text}",
                f"{proc[0].upper()}{proc[1:]} for {product[1]}",
            ]
        )
        parts = [
            rng.choice(
                [
                    f"We are looking for a local supplier of {product[1]} ({proc}).",
                    f"Localisation project: {product[1]} currently imported, looking for "
                    f"{proc} capability in Vietnam.",
                    f"Need {proc} - {product[1]}.",
                ]
            ),
            f"Material: {mat}.",
            rng.choice(
                [
                    f"EAU {qty_text}.",
                    f"Annual volume approx. {qty_text}.",
                    f"Volume: {qty_text}, monthly call-off.",
                ]
            ),
        ]
        if tol is not None:
            parts.append(
                rng.choice(
                    [
                        f"Critical dimensions ±{_fmt_tol(tol)} mm.",
                        f"Tolerance ±{_fmt_tol(tol)} mm.",
                        f"General tolerance ±{_fmt_tol(tol)} mm, CPK ≥ 1.33.",
                    ]
                )
            )
        if certs:
            parts.append(
                rng.choice(
                    [
                        f"Supplier must hold {', '.join(certs)}.",
                        f"Required: {', '.join(certs)}.",
                        f"Certification: {' + '.join(certs)} required.",
                    ]
                )
            )
        parts.append(
            rng.choice(
                [
                    f"Delivery to our plant in {prov['name_en']}.",
                    f"DAP {prov['name_en']}.",
                    "PPAP and samples within 8 weeks.",
                    "Drawings available under NDA.",
                ]
            )
        )
    else:
        proc = rng.choice(spec["vi"])
        mat = ", ".join(_mat_label(m, "vi") for m in mats)
        qty_text = f"{_fmt_int(qty, 'vi')} {UNIT_VI[unit]}/năm"
        title = rng.choice(
            [
                f"Cần tìm nhà cung cấp {proc} {product[0]}",
                f"Tìm đối tác {proc} - {product[0]}",
                f"Nội địa hóa {product[0]} ({mat})",
            ]
        )
        parts = [
            rng.choice(
                [
                    f"Công ty cần tìm nhà cung cấp trong nước {proc} {product[0]}.",
                    f"Chúng tôi có nhu cầu đặt hàng {product[0]}, công nghệ {proc}.",
                ]
            ),
            f"Vật liệu: {mat}. Sản lượng: {qty_text}.",
        ]
        if tol is not None:
            parts.append(f"Dung sai yêu cầu ±{_fmt_tol(tol)} mm.")
        if certs:
            parts.append(f"Nhà cung cấp cần có chứng nhận {', '.join(certs)}.")
        parts.append(f"Giao hàng tại {prov['name_vi']}.")
    return nfc(title)[:200], nfc(" ".join(parts))


def _generate_needs(
    rng: random.Random, suppliers: list[dict[str, Any]], buyers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_process: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for firm in suppliers:
        for cap in firm["capabilities"]:
            by_process.setdefault(cap["process"], []).append((firm, cap))
    needs = []
    ref = REFERENCE_DAY.isoformat()
    for i in range(1, N_NEEDS + 1):
        buyer = buyers[(i - 1) % len(buyers)] if i <= len(buyers) else rng.choice(buyers)
        profile = BUYER_PROFILES[buyer["_profile"]]
        processes = [p for p in profile["processes"] if p in by_process]
        pid = rng.choice(processes)
        pool = by_process[pid]
        certified = [
            fc for fc in pool if any(c["valid_until"] >= ref for c in fc[0]["certifications"])
        ]
        firm, cap = rng.choice(certified if certified and rng.random() < 0.6 else pool)
        mats = rng.sample(cap["materials"], 1)
        if rng.random() < 0.2:
            extra = [m for m in PROCESSES[pid]["materials"] if m not in mats]
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
        product = rng.choice(PROCESSES[pid]["products"])
        lang = "en" if rng.random() < 0.8 else "vi"
        delivery = (
            buyer["province"]
            if rng.random() < 0.85
            else rng.choice(["HN", "BN", "HY", "VP", "TN", "HP"])
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
    provinces = {p.code: p for p in session.scalars(select(Province))}
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
