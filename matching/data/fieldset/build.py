# ruff: noqa: E501  (hand-written texts, one per line)
"""Builds corpus.jsonl, queries.jsonl and qrels/test.tsv of this set from the texts and
judgements below (all written by hand; see README.md). Run from the repository root:

    .venv/bin/python matching/data/fieldset/build.py
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

HERE = Path(__file__).parent

# (id, area, language, title, text)
DOCS = [
    # carton packaging
    (
        "d01",
        "carton",
        "vi",
        "Bao bì carton",
        "Cty chúng tôi sx thùng carton 3 lớp, 5 lớp, 7 lớp theo kích thước khách đặt, in flexo 1 đến 4 màu. Có máy dợn sóng tự động, máy bế, máy dán hộp. Sản lượng khoảng 1,5 triệu m2 giấy/tháng. Đang cung cấp cho các nhà máy điện tử ở KCN Quế Võ.",
    ),
    (
        "d02",
        "carton",
        "vi",
        "Hộp giấy in offset",
        "Nhận in và gia công hộp giấy duplex, ivory, hộp cứng bồi carton cho mỹ phẩm, bánh kẹo, điện thoại. In offset 5 màu Heidelberg, cán màng, ép nhũ, bế hộp. Đơn hàng từ 3.000 hộp.",
    ),
    (
        "d03",
        "carton",
        "en",
        "Corrugated boxes",
        "We make corrugated shipping cartons (B, C and BC flute), die-cut trays and partitions, printed flexo up to 3 colours. Monthly output around 800,000 boxes. FSC chain of custody certified.",
    ),
    # plastic injection
    (
        "d04",
        "injection",
        "vi",
        "Ép nhựa",
        "Xưởng có 18 máy ép nhựa từ 80 đến 450 tấn (Haitian, JSW). Ép các chi tiết nhựa PP, ABS, PC cho đồ gia dụng và linh kiện xe máy. Tự làm khuôn đơn giản, khuôn phức tạp đặt ngoài. Sấy hạt, nghiền tái sinh tại chỗ.",
    ),
    (
        "d05",
        "injection",
        "vi",
        "Linh kiện nhựa kỹ thuật",
        "Chuyên ép phun linh kiện nhựa kỹ thuật: bánh răng POM, vỏ connector PA66 có sợi thủy tinh, chi tiết PBT chống cháy UL94 V-0. Có phòng đo 2D, máy đo độ ẩm hạt nhựa. Đạt ISO 9001 và IATF 16949.",
    ),
    (
        "d06",
        "injection",
        "en",
        "Plastic moulding",
        "Injection moulding of covers, bezels and battery housings in ABS and PC/ABS, 120-350 t presses, with in-house pad printing and ultrasonic welding of the two shells. Customers in consumer electronics.",
    ),
    # stamping
    (
        "d07",
        "stamping",
        "vi",
        "Dập kim loại tấm",
        "Nhận dập nguội các chi tiết thép tấm: pát, ke, bản mã, giá đỡ, vỏ tủ điện. Máy dập 25-200 tấn, máy chấn CNC 3m, máy cắt laser fiber 3kW. Vật liệu tôn đen, tôn mạ kẽm, inox 201/304 dày 0,5-6 mm.",
    ),
    (
        "d08",
        "stamping",
        "vi",
        "Dập liên hoàn",
        "Dập khuôn liên hoàn (progressive) các chi tiết nhỏ cho điện tử: tiếp điểm đồng, lá tản nhiệt, khung shield. Tốc độ dập tới 300 nhát/phút, cấp phôi cuộn tự động.",
    ),
    (
        "d09",
        "stamping",
        "en",
        "Metal pressings",
        "Deep-drawn and pressed steel parts for automotive seats and brackets, transfer presses up to 400 t, robot spot welding of sub-assemblies, e-coat done by a partner nearby.",
    ),
    # CNC
    (
        "d10",
        "cnc",
        "vi",
        "Tiện phay CNC",
        "Gia công cơ khí chính xác theo bản vẽ: tiện, phay CNC 3-5 trục, mài phẳng, cắt dây EDM. Làm đồ gá, jig kiểm tra, chi tiết máy tự động hóa bằng nhôm A6061, thép S45C, SKD11. Độ chính xác tới 0,005 mm.",
    ),
    (
        "d11",
        "cnc",
        "vi",
        "Trục và bạc",
        "Xưởng tiện chuyên làm trục, bạc, chốt, bulong đặc chủng số lượng vừa và nhỏ, tiện CNC và tiện cơ. Có nhiệt luyện tôi cao tần.",
    ),
    (
        "d12",
        "cnc",
        "en",
        "Precision machining",
        "Swiss-type and twin-spindle CNC lathes producing turned components in brass, free-cutting steel and stainless: pins, nozzles, fittings, sensor housings. Batch sizes 1,000-500,000 pcs.",
    ),
    # die casting
    (
        "d13",
        "diecast",
        "vi",
        "Đúc áp lực nhôm",
        "Đúc áp lực nhôm ADC12 trên máy 160-800 tấn: vỏ động cơ, vỏ đèn LED, chi tiết xe máy. Có xử lý ba via, phun bi, gia công CNC sau đúc và kiểm tra rò khí.",
    ),
    (
        "d14",
        "diecast",
        "en",
        "Zinc and aluminium die casting",
        "Hot chamber zinc die casting (Zamak 3/5) for handles, locks and bathroom fittings, plus cold chamber aluminium. Polishing and chrome plating lines in the same plant.",
    ),
    (
        "d15",
        "diecast",
        "vi",
        "Đúc gang",
        "Đúc gang xám, gang cầu bằng khuôn cát: nắp hố ga, thân bơm, bánh đà, phụ tùng máy nông nghiệp. Lò trung tần 2 tấn/mẻ, khối lượng chi tiết 1-500 kg.",
    ),
    # surface finishing
    (
        "d16",
        "coating",
        "vi",
        "Sơn tĩnh điện",
        "Dây chuyền sơn tĩnh điện tự động dài 120 m, lò sấy gas, xử lý bề mặt phốt phát hóa 7 bể. Sơn khung xe đạp, tủ điện, kệ kho, vỏ máy. Nhận sơn gia công theo mẫu màu RAL.",
    ),
    (
        "d17",
        "coating",
        "vi",
        "Xi mạ",
        "Mạ kẽm điện phân, mạ kẽm nhúng nóng, mạ niken, mạ crom trang trí cho bulong, phụ kiện nội thất, linh kiện cơ khí. Có hệ thống xử lý nước thải đạt chuẩn.",
    ),
    (
        "d18",
        "coating",
        "en",
        "Anodizing",
        "Sulphuric acid anodizing of aluminium profiles and machined parts, clear, black and colours, hard anodizing up to 50 µm, plus laser marking of logos.",
    ),
    # wire harness
    (
        "d19",
        "harness",
        "vi",
        "Bó dây điện",
        "Lắp ráp bó dây điện (wire harness) cho xe máy, máy giặt, điều hòa. Máy cắt tuốt dây tự động, máy bấm đầu cos, bàn test thông mạch. 600 công nhân, 2 ca.",
    ),
    (
        "d20",
        "harness",
        "en",
        "Cable assemblies",
        "Custom cable assemblies and harnesses: USB, HDMI, power cords with moulded plugs, crimped and soldered terminations, 100 % electrical testing. UL and VDE approved cords.",
    ),
    (
        "d21",
        "harness",
        "vi",
        "Dây cáp điện",
        "Sản xuất dây điện dân dụng, cáp điện lực hạ thế ruột đồng bọc PVC. Có máy kéo đồng, máy bện, máy bọc cách điện.",
    ),
    # electronics
    (
        "d22",
        "pcba",
        "vi",
        "Lắp ráp mạch điện tử",
        "Dịch vụ hàn dán linh kiện SMT lên bo mạch: 3 line Fuji, máy AOI, lò reflow 10 vùng, hàn sóng cho linh kiện xuyên lỗ. Lắp ráp và test thành phẩm bộ điều khiển, nguồn adapter.",
    ),
    (
        "d23",
        "pcba",
        "en",
        "EMS partner",
        "Electronics manufacturing services: PCB assembly from prototype to volume, SMT down to 0201, BGA with X-ray inspection, conformal coating, box build and functional test. ISO 13485 for medical devices.",
    ),
    (
        "d24",
        "pcba",
        "vi",
        "Quấn biến áp",
        "Quấn biến áp, cuộn cảm, cuộn lọc nhiễu cho nguồn xung và đèn LED; tẩm vecni, test cao áp.",
    ),
    # garments
    (
        "d25",
        "garment",
        "vi",
        "May mặc",
        "Công ty may xuất khẩu, 12 chuyền may, chuyên áo sơ mi, quần tây, đồng phục công nhân. Nhận hàng CMT và FOB. Có xưởng cắt tự động và in lụa.",
    ),
    (
        "d26",
        "garment",
        "en",
        "Knitwear",
        "Circular knitting and sewing of T-shirts, polo shirts and sportswear in cotton and polyester, sublimation printing and embroidery. WRAP and BSCI audited.",
    ),
    (
        "d27",
        "garment",
        "vi",
        "Găng tay bảo hộ",
        "May găng tay bảo hộ lao động bằng vải bạt, da bò, găng len phủ cao su; quần áo bảo hộ cho nhà máy.",
    ),
    # rubber
    (
        "d28",
        "rubber",
        "vi",
        "Cao su kỹ thuật",
        "Ép lưu hóa các sản phẩm cao su kỹ thuật: gioăng, phớt, đệm chống rung, chụp bụi. Cao su NBR, EPDM, silicone. Có phòng trộn luyện và làm khuôn.",
    ),
    (
        "d29",
        "rubber",
        "en",
        "Silicone keypads",
        "Compression moulded silicone rubber keypads and seals, LSR injection for medical-grade parts, food-grade silicone kitchen items.",
    ),
    (
        "d30",
        "rubber",
        "vi",
        "Băng tải cao su",
        "Sản xuất và nối băng tải cao su, lót cao su chống mài mòn cho máy nghiền, bọc cao su trục lô.",
    ),
    # springs & fasteners
    (
        "d31",
        "spring",
        "vi",
        "Lò xo",
        "Sản xuất lò xo nén, lò xo kéo, lò xo xoắn và chi tiết uốn dây thép trên máy CNC, đường kính dây 0,2 đến 8 mm; có ram khử ứng suất.",
    ),
    (
        "d32",
        "fastener",
        "vi",
        "Bu lông ốc vít",
        "Dập nguội và cán ren bu lông, đai ốc, vít tự khoan cấp bền 8.8, 10.9; mạ kẽm và nhuộm đen. Hàng tiêu chuẩn DIN và theo bản vẽ.",
    ),
    (
        "d33",
        "fastener",
        "en",
        "Rivets and pins",
        "Cold-headed rivets, dowel pins and special screws in carbon steel, stainless and aluminium, 20 million pieces per month.",
    ),
    # wood
    (
        "d34",
        "wood",
        "vi",
        "Pallet gỗ",
        "Đóng pallet gỗ thông, pallet gỗ keo, thùng gỗ đóng hàng máy móc, hun trùng ISPM 15. Giao hàng trong ngày khu vực Bắc Ninh, Bắc Giang.",
    ),
    (
        "d35",
        "wood",
        "vi",
        "Đồ gỗ nội thất",
        "Xưởng mộc sản xuất bàn ghế, tủ bếp, cửa gỗ công nghiệp MDF phủ melamine, gỗ cao su ghép. Sơn PU, đóng gói xuất khẩu.",
    ),
    # foam
    (
        "d36",
        "foam",
        "vi",
        "Xốp định hình",
        "Sản xuất mút xốp EPE, xốp PE foam cắt định hình, xốp EPS đúc khuôn chèn lót hàng điện tử, túi khí chống sốc.",
    ),
    (
        "d37",
        "foam",
        "en",
        "Protective packaging",
        "Cut foam inserts, anti-static bubble bags and thermoformed PET trays for shipping electronic components.",
    ),
    # labels / printing
    (
        "d38",
        "label",
        "vi",
        "In tem nhãn",
        "In tem nhãn decal, nhãn vải, tem chống giả, tem barcode trên máy in flexo và kỹ thuật số; bế thành phẩm cuộn.",
    ),
    (
        "d39",
        "label",
        "en",
        "Nameplates",
        "Metal and polycarbonate nameplates, overlays and membrane switches, screen printed and etched.",
    ),
    # heat treatment
    (
        "d40",
        "heat",
        "vi",
        "Nhiệt luyện",
        "Nhận tôi, ram, thấm cacbon, thấm nitơ cho chi tiết máy, khuôn dập, bánh răng. Lò chân không và lò liên tục, đo độ cứng HRC.",
    ),
    # welding / steel structures
    (
        "d41",
        "welding",
        "vi",
        "Kết cấu thép",
        "Gia công kết cấu thép nhà xưởng, khung giàn, lan can, cầu thang. Hàn MIG, hàn TIG, hàn robot; cắt plasma CNC; sơn chống gỉ.",
    ),
    (
        "d42",
        "welding",
        "en",
        "Welded frames",
        "Welded steel and stainless frames for machines, conveyors and racks, with powder coating and final assembly.",
    ),
    (
        "d43",
        "welding",
        "vi",
        "Hàn inox",
        "Gia công inox: bồn chứa, bàn thao tác, tủ bếp công nghiệp, đường ống inox vi sinh, hàn TIG và đánh bóng.",
    ),
    # moulds
    (
        "d44",
        "mould",
        "vi",
        "Làm khuôn",
        "Thiết kế và chế tạo khuôn ép nhựa, khuôn dập, khuôn đúc áp lực; thép NAK80, SKD61, P20. Có máy phay tốc độ cao, xung điện EDM, cắt dây.",
    ),
    (
        "d45",
        "mould",
        "en",
        "Mould repair",
        "Mould maintenance and repair, laser welding of worn cavities, hot runner service and spare parts for moulders.",
    ),
    # plastic film / bags
    (
        "d46",
        "film",
        "vi",
        "Túi nilon",
        "Thổi màng và sản xuất túi PE, PP, túi zipper, túi rác cuộn, màng quấn pallet; in ống đồng 8 màu.",
    ),
    (
        "d47",
        "film",
        "en",
        "Flexible packaging",
        "Laminated pouches, stand-up bags and roll stock for food, printed by rotogravure, with BRC certification.",
    ),
    # silk screen / pad printing
    (
        "d48",
        "printing",
        "vi",
        "In lụa in pad",
        "Nhận in lụa, in pad (in tampon) logo lên sản phẩm nhựa, kim loại, thủy tinh; in UV.",
    ),
    # extrusion aluminium
    (
        "d49",
        "extrusion",
        "vi",
        "Nhôm định hình",
        "Đùn ép nhôm định hình hệ cửa, tản nhiệt, thanh ray; sơn tĩnh điện và anot hóa nhôm thanh.",
    ),
    (
        "d50",
        "extrusion",
        "en",
        "Plastic extrusion",
        "Extrusion of PVC and PE profiles, pipes and cable ducts, co-extrusion of soft and rigid PVC gaskets.",
    ),
    # forging
    (
        "d51",
        "forging",
        "vi",
        "Rèn dập nóng",
        "Rèn dập nóng chi tiết thép, đồng: mặt bích, tay biên, van đồng, khóa. Búa hơi và máy ép trục vít 300-1000 tấn.",
    ),
    # sheet metal enclosures
    (
        "d52",
        "enclosure",
        "vi",
        "Vỏ tủ điện",
        "Sản xuất vỏ tủ điện, tủ rack, hộp kỹ thuật bằng tôn sơn tĩnh điện và inox; cắt, đột, chấn, hàn hoàn thiện.",
    ),
    # 3D printing / prototyping
    (
        "d53",
        "proto",
        "en",
        "Rapid prototyping",
        "3D printing (SLA, SLS, FDM), vacuum casting of 10-50 urethane copies and CNC prototypes in a week.",
    ),
    # glass / ceramics
    (
        "d54",
        "glass",
        "vi",
        "Kính cường lực",
        "Cắt, mài, khoan và tôi kính cường lực, kính dán an toàn cho cửa, vách, mặt bàn, kính thiết bị gia dụng.",
    ),
    # leather / footwear
    (
        "d55",
        "footwear",
        "vi",
        "Đế giày",
        "Ép đế giày EVA, cao su, PU; gia công mũ giày và phụ liệu da giày cho các hãng xuất khẩu.",
    ),
    # chemicals / paint supply (off-topic for most)
    (
        "d56",
        "other",
        "vi",
        "Hóa chất công nghiệp",
        "Phân phối hóa chất công nghiệp, dung môi, chất tẩy dầu mỡ và sơn công nghiệp.",
    ),
    (
        "d57",
        "other",
        "en",
        "Logistics",
        "Bonded warehouse and trucking between industrial parks in the north, customs clearance for export processing enterprises.",
    ),
    # batteries / electrical assembly
    (
        "d58",
        "electrical",
        "vi",
        "Lắp ráp quạt điện",
        "Lắp ráp quạt điện, nồi cơm điện, ấm siêu tốc cho các thương hiệu trong nước; ép nhựa vỏ và quấn động cơ.",
    ),
    (
        "d59",
        "electrical",
        "en",
        "Battery packs",
        "Assembly of lithium-ion battery packs for e-bikes and power tools, spot welding of nickel strips, BMS programming.",
    ),
    # textiles non-woven
    (
        "d60",
        "textile",
        "vi",
        "Vải không dệt",
        "Sản xuất vải không dệt PP spunbond, bông tấm polyester, khẩu trang y tế; cán màng vải.",
    ),
]

# (id, language, text, {doc id: grade}) — every other document is judged 0.
QUERIES = [
    (
        "n01",
        "en",
        "RFQ: RSC shipping cartons, double wall, 2-colour print, about 40,000 boxes a month for our TV assembly line in Bac Ninh",
        {"d01": 3, "d03": 3, "d02": 1, "d36": 1},
    ),
    (
        "n02",
        "en",
        "Rigid gift boxes with hot foil stamping and matt lamination for cosmetics",
        {"d02": 3, "d01": 1, "d03": 1, "d38": 1},
    ),
    (
        "n03",
        "vi",
        "cần tìm nhà cung cấp thùng các tông 5 lớp in 2 màu, số lượng 20 nghìn thùng mỗi tháng",
        {"d01": 3, "d03": 3, "d02": 1},
    ),
    (
        "n04",
        "en",
        "Glass-filled PA66 connector housings, UL94 V-0, supplier must hold IATF 16949",
        {"d05": 3, "d04": 2, "d06": 2, "d44": 1},
    ),
    (
        "n05",
        "en",
        "Two-shot or single-shot moulded PC/ABS enclosures for a handheld device, with pad printed logo",
        {"d06": 3, "d04": 2, "d05": 2, "d48": 1, "d58": 1},
    ),
    (
        "n06",
        "vi",
        "đặt ép các chi tiết nhựa PP cho đồ gia dụng, khuôn bên em có sẵn",
        {"d04": 3, "d06": 2, "d05": 2, "d58": 1},
    ),
    (
        "n07",
        "vi",
        "tim xuong ep nhua ABS lam vo thiet bi dien",
        {"d04": 3, "d06": 3, "d05": 2, "d58": 1},
    ),
    (
        "n08",
        "en",
        "Galvanised steel mounting brackets, 2 mm, punched and bent, 10k/month",
        {"d07": 3, "d09": 2, "d08": 1, "d52": 1, "d41": 1},
    ),
    (
        "n09",
        "en",
        "High-speed progressive die stamping of phosphor bronze contacts from coil",
        {"d08": 3, "d07": 2, "d09": 1},
    ),
    (
        "n10",
        "vi",
        "Cần đơn vị chấn, cắt laser tôn inox 304 dày 2 ly làm vỏ máy",
        {"d07": 3, "d52": 3, "d43": 1, "d42": 1},
    ),
    (
        "n11",
        "en",
        "Machined aluminium 6061 fixtures and inspection jigs for our automation line, tolerance 0.01",
        {"d10": 3, "d12": 1, "d11": 1, "d53": 1},
    ),
    (
        "n12",
        "en",
        "Turned brass nozzles and fittings, 100k pcs per year",
        {"d12": 3, "d11": 2, "d10": 2, "d51": 1},
    ),
    (
        "n13",
        "vi",
        "gia công trục thép C45 có tôi cao tần, số lượng 500 cái",
        {"d11": 3, "d10": 2, "d12": 2, "d40": 1},
    ),
    (
        "n14",
        "vi",
        "Tìm xưởng phay CNC 5 trục làm chi tiết khuôn bằng SKD11",
        {"d10": 3, "d44": 2, "d11": 1},
    ),
    (
        "n15",
        "en",
        "Aluminium die-cast LED streetlight housings, ADC12, leak tested",
        {"d13": 3, "d14": 2, "d15": 1},
    ),
    (
        "n16",
        "vi",
        "đúc kẽm tay nắm cửa và phụ kiện phòng tắm, có mạ crôm",
        {"d14": 3, "d13": 1, "d17": 1},
    ),
    ("n17", "en", "Ductile iron pump bodies, sand cast, 20-80 kg", {"d15": 3, "d13": 1, "d51": 1}),
    (
        "n18",
        "vi",
        "Nhận sơn tĩnh điện cho khung thép, màu RAL 7035, khoảng 3000 bộ/tháng",
        {"d16": 3, "d49": 1, "d42": 1, "d52": 1},
    ),
    (
        "n19",
        "en",
        "Zinc plating and black passivation of M6-M12 bolts",
        {"d17": 3, "d32": 2, "d16": 1},
    ),
    (
        "n20",
        "en",
        "Hard anodizing of aluminium machined blocks, 30 microns",
        {"d18": 3, "d49": 1, "d17": 1},
    ),
    (
        "n21",
        "en",
        "Wire harness assembly for washing machines, crimping and continuity testing",
        {"d19": 3, "d20": 2, "d21": 1},
    ),
    (
        "n22",
        "vi",
        "bó dây điện cho xe máy, cần nhà máy có máy bấm cos tự động",
        {"d19": 3, "d20": 2, "d21": 1},
    ),
    ("n23", "en", "Moulded power cords with VDE plug", {"d20": 3, "d21": 2, "d19": 1}),
    (
        "n24",
        "en",
        "Turnkey SMT assembly and box build for a controller board, with AOI",
        {"d22": 3, "d23": 3, "d58": 1, "d24": 1},
    ),
    (
        "n25",
        "vi",
        "Tìm đối tác dán linh kiện SMT cho bo mạch thiết bị y tế, cần ISO 13485",
        {"d23": 3, "d22": 2},
    ),
    (
        "n26",
        "en",
        "Ferrite core transformers and common mode chokes for SMPS",
        {"d24": 3, "d22": 1},
    ),
    (
        "n27",
        "en",
        "CMT sewing of workwear trousers and shirts, 20,000 pcs",
        {"d25": 3, "d27": 2, "d26": 1},
    ),
    ("n28", "vi", "đặt may áo thun cổ bẻ cotton có in thêu logo", {"d26": 3, "d25": 2}),
    (
        "n29",
        "en",
        "Cut-resistant work gloves and safety clothing for factory workers",
        {"d27": 3, "d25": 1},
    ),
    (
        "n30",
        "en",
        "EPDM door seals and NBR O-rings, compression moulded",
        {"d28": 3, "d29": 2, "d50": 1, "d30": 1},
    ),
    (
        "n31",
        "vi",
        "gioang cao su silicon chiu nhiet cho noi com dien",
        {"d29": 3, "d28": 3, "d58": 1},
    ),
    ("n32", "en", "Compression springs from music wire, 1.2 mm wire diameter", {"d31": 3}),
    (
        "n33",
        "vi",
        "Cần mua bu lông cường độ cao 10.9 mạ kẽm theo bản vẽ",
        {"d32": 3, "d33": 2, "d17": 1},
    ),
    (
        "n34",
        "en",
        "Heat-treated wooden pallets ISPM 15 delivered to Yen Phong",
        {"d34": 3, "d35": 1},
    ),
    ("n35", "vi", "xốp chèn lót hàng điện tử EPE cắt theo khuôn", {"d36": 3, "d37": 3, "d01": 1}),
    (
        "n36",
        "en",
        "Barcode labels and anti-counterfeit stickers, roll form",
        {"d38": 3, "d39": 1, "d48": 1},
    ),
    ("n37", "en", "Vacuum hardening and nitriding of stamping dies", {"d40": 3, "d44": 1}),
    (
        "n38",
        "vi",
        "Gia công khung thép hàn cho băng tải, sơn hoàn thiện",
        {"d42": 3, "d41": 2, "d43": 1, "d16": 1},
    ),
    (
        "n39",
        "en",
        "Injection mould making, NAK80 cavities, 4 cavity hot runner",
        {"d44": 3, "d45": 2, "d10": 1},
    ),
    ("n40", "vi", "túi zipper PE in 4 màu đựng linh kiện", {"d46": 3, "d47": 2}),
    (
        "n41",
        "en",
        "Aluminium extrusion heatsink profiles, black anodized",
        {"d49": 3, "d18": 1, "d13": 1},
    ),
    ("n42", "vi", "ep de giay EVA cho hang xuat khau", {"d55": 3, "d28": 1}),
]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def main() -> None:
    ids = {d[0] for d in DOCS}
    with open(HERE / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for did, area, lang, title, text in DOCS:
            row = {
                "_id": did,
                "title": nfc(title),
                "text": nfc(f"{title}. {text}"),
                "metadata": {"language": lang, "area": area},
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(HERE / "queries.jsonl", "w", encoding="utf-8") as fh:
        for qid, lang, text, _ in QUERIES:
            from catalog.text import has_diacritics

            meta = {"language": lang, "diacritics": has_diacritics(text)}
            fh.write(
                json.dumps({"_id": qid, "text": nfc(text), "metadata": meta}, ensure_ascii=False)
                + "\n"
            )
    with open(HERE / "qrels" / "test.tsv", "w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for qid, _, _, grades in QUERIES:
            assert set(grades) <= ids, (qid, set(grades) - ids)
            for did in sorted(ids):
                fh.write(f"{qid}\t{did}\t{grades.get(did, 0)}\n")


if __name__ == "__main__":
    main()
