"""A synthetic supplier catalogue of N capabilities in a database, indexed, for load tests.

    DATABASE_URL=postgresql://ketnoi@127.0.0.1:5432/ketnoi_100k \\
    KETNOI_DATA_DIR=/tmp/kn/data-100k \\
      .venv/bin/python -m bench.synthetic_catalog --capabilities 100000 [--sample 3000] \\
        [--needs 480] [--noise 0.15] [--seed 1]
    DATABASE_URL=… KETNOI_DATA_DIR=… .venv/bin/python -m bench.synthetic_catalog --refill

Into an empty database (migrated here, reference data loaded): supplier firms with their
capabilities, sectors and certifications from the bilingual demo generator
(``catalog.demo.generate_demo_catalog``) run with seeds 1, 2, … until N capabilities,
with fresh tax codes; buyers and open needs of the first seeds; an admin account with an
API token. Rows are written in bulk (SQLAlchemy Core ``insert`` of lists of dicts, ids
assigned here, sequences moved past them), never one ORM object at a time, with the
index synchronisation paused (``jobs.sync.index_sync_paused``).

Embeddings. The encoder runs at 20-100 texts/s on two cores, so 100k capabilities would
take 15-80 minutes and 1M many hours. Only ``--sample`` texts (stratified by process and
language) are really encoded; every other capability gets the vector of the sampled
text of the same process and language closest to it in words (TF-IDF cosine), plus a
small random perturbation (``--noise``, relative norm; 0.15 keeps cosine ≈ 0.99 to the
source) and renormalised. These vectors are written to the embedding cache under each
capability's own text, so ``matching.indexing.rebuild`` (run next, unchanged) finds
them there and encodes nothing. Retrieval quality on such a catalogue means nothing;
the index's shape (size, IVF cells, lexical matrix) and the service's latency do. How
close the borrowed vectors are to the real ones is measured on held-out sampled texts
and printed (``calibration``). Need texts are encoded for real (the service caches a
stored need's query vector, as the worker's ``warm_needs`` does on start).

Writes ``$KETNOI_DATA_DIR/synthetic.json`` (counts, need ids, the API token, timings)
for ``bench.http_load`` and ``bench.soak``, and prints it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

log = logging.getLogger("bench.synthetic_catalog")

ADMIN_EMAIL = "bench-admin@ketnoi.local"
ADMIN_PASSWORD = "bench-admin-password"
CHUNK = 10_000
# The capability columns the demo generator fills, copied as ``catalog.demo`` writes them.
CAPABILITY_FIELDS = (
    "title",
    "description",
    "products",
    "hs_codes",
    "equipment",
    "tolerance_mm",
    "capacity_per_month",
    "capacity_unit",
    "min_order_qty",
)


def _tax_code(n: int) -> str:
    """A valid Vietnamese tax code (MST) numbered ``n``, unlike any demo one."""
    from stdnum.vn import mst

    base = f"{9 * 10**8 + n:09d}"
    return base + mst.calc_check_digit(base)


def generate(capabilities: int, needs: int, first_seed: int) -> dict[str, list[dict]]:
    """Suppliers (capabilities summing to exactly ``capabilities``), buyers and needs.

    Demo catalogues of consecutive seeds are concatenated: each has the demo's mix of
    provinces, archetypes, languages (15 % English, 10 % Vietnamese without diacritics)
    and certifications. Needs and their buyers come from the first seeds."""
    from catalog.demo import generate_demo_catalog

    suppliers: list[dict] = []
    buyers: list[dict] = []
    wanted_needs: list[dict] = []
    total = 0
    seed = first_seed
    while total < capabilities or len(wanted_needs) < needs:
        data = generate_demo_catalog(seed=seed)
        tag = f"s{seed}"
        if len(wanted_needs) < needs:
            for firm in data["buyers"]:
                firm["_key"] = f"{tag}-{firm['demo_key']}"
                buyers.append(firm)
            for need in data["needs"][: needs - len(wanted_needs)]:
                need["_buyer"] = f"{tag}-{need['buyer']}"
                wanted_needs.append(need)
        for firm in data["suppliers"]:
            if total >= capabilities:
                break
            firm["capabilities"] = firm["capabilities"][: capabilities - total]
            total += len(firm["capabilities"])
            suppliers.append(firm)
        seed += 1
    for n, firm in enumerate(suppliers + buyers, start=1):
        firm["tax_code"] = _tax_code(n)
    return {"suppliers": suppliers, "buyers": buyers, "needs": wanted_needs}


def _without_diacritics(text: str) -> bool:
    """Vietnamese typed without its diacritics (a tenth of the demo's profiles)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "đ" not in text.lower() and not any(unicodedata.combining(c) for c in decomposed)


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _next_id(session: Session, table: Any) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def bulk_insert(session: Session, data: dict[str, list[dict]]) -> dict[str, Any]:
    """Write firms, sectors, capabilities, materials, certifications and needs in bulk.

    Ids are assigned here so that child rows can refer to them without a round trip per
    row; PostgreSQL sequences are moved past them afterwards."""
    from catalog.models import (
        Capability,
        Certification,
        Firm,
        FirmRole,
        FormerProvince,
        IndustrialZone,
        Need,
        NeedStatus,
        NeedVisibility,
        Ownership,
        capability_materials,
        firm_sectors,
        need_materials,
    )

    # The generator writes the provinces of the map before 2025 (as ``catalog.demo``):
    # a firm's current province is the unit its former one is part of now.
    formers = {f.code: f for f in session.scalars(select(FormerProvince))}
    provinces = {code: f.province_id for code, f in formers.items()}
    zones = {(z.province_id, z.name): z.id for z in session.scalars(select(IndustrialZone))}
    firm_t, cap_t = Firm.__table__, Capability.__table__
    cert_t, need_t = Certification.__table__, Need.__table__
    firm_id, cap_id = _next_id(session, firm_t), _next_id(session, cap_t)
    cert_id, need_id = _next_id(session, cert_t), _next_id(session, need_t)

    firms, sectors, caps, materials, certs = [], [], [], [], []
    groups: dict[int, tuple[str, str]] = {}  # capability id → (process, language)
    key_to_id: dict[str, int] = {}
    for item in data["suppliers"] + data["buyers"]:
        province_id = provinces[item["province"]]
        firms.append(
            {
                "id": firm_id,
                "role": FirmRole(item["role"]),
                "name_vi": item["name_vi"],
                "name_en": item["name_en"],
                "tax_code": item["tax_code"],
                "province_id": province_id,
                "former_province_id": formers[item["province"]].id,
                "zone_id": zones[(province_id, item["zone"])] if item["zone"] else None,
                "address": item["address"],
                "employees": item["employees"],
                "year_founded": item["year_founded"],
                "ownership": Ownership(item["ownership"]),
                "country_of_origin": item["country_of_origin"],
                "contact_name": item["contact_name"],
                "contact_email": item["contact_email"],
                "contact_phone": item["contact_phone"],
                "website": item["website"],
                "description": item["description"],
                "demo_key": None,
            }
        )
        if "_key" in item:
            key_to_id[item["_key"]] = firm_id
        sectors += [{"firm_id": firm_id, "concept_id": s} for s in item["sectors"]]
        for cap in item["capabilities"]:
            caps.append(
                {
                    "id": cap_id,
                    "firm_id": firm_id,
                    **{k: cap[k] for k in (*CAPABILITY_FIELDS, "language")},
                    "process_id": cap["process"],
                }
            )
            materials += [{"capability_id": cap_id, "concept_id": m} for m in cap["materials"]]
            ascii_text = cap["language"] == "vi" and _without_diacritics(cap["description"])
            groups[cap_id] = (cap["process"] or "", "vi-ascii" if ascii_text else cap["language"])
            cap_id += 1
        for cert in item["certifications"]:
            certs.append(
                {
                    "id": cert_id,
                    "firm_id": firm_id,
                    "standard": cert["standard"],
                    "issuer": cert["issuer"],
                    "certificate_no": cert["certificate_no"],
                    "valid_until": date.fromisoformat(cert["valid_until"]),
                }
            )
            cert_id += 1
        firm_id += 1

    needs, need_mats = [], []
    for item in data["needs"]:
        needs.append(
            {
                "id": need_id,
                "buyer_id": key_to_id[item["_buyer"]],
                "title": item["title"],
                "description": item["description"],
                "process_id": item["process"],
                "quantity_per_year": item["quantity_per_year"],
                "tolerance_mm": item["tolerance_mm"],
                "required_certifications": list(item["required_certifications"]),
                "delivery_province_id": provinces.get(item["delivery_province"]),
                "deadline": date.fromisoformat(item["deadline"]) if item["deadline"] else None,
                "status": NeedStatus.OPEN,
                "visibility": NeedVisibility.PUBLIC,
                "demo_key": None,
            }
        )
        need_mats += [{"need_id": need_id, "concept_id": m} for m in item["materials"]]
        need_id += 1

    for table, rows in (
        (firm_t, firms),
        (firm_sectors, sectors),
        (cap_t, caps),
        (capability_materials, materials),
        (cert_t, certs),
        (need_t, needs),
        (need_materials, need_mats),
    ):
        for chunk in _chunks(rows):
            session.execute(insert(table), chunk)
        log.info("inserted %d rows into %s", len(rows), table.name)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        for table in (firm_t, cap_t, cert_t, need_t):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )
    session.commit()
    if postgres:
        # Vacuumed and analysed now rather than by autovacuum a minute later. The plan
        # PostgreSQL picks decides the order in which a capability's materials come back
        # (no ORDER BY on that relationship): insertion order from a heap scan, concept
        # id order from an index-only scan, which vacuuming makes the cheaper one. That
        # order is part of the indexed text and its digest, and the texts read next (to
        # pre-fill the embedding cache) must be those the service will read from now on.
        with session.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return {
        "firms": len(firms),
        "suppliers": len(data["suppliers"]),
        "buyers": len(data["buyers"]),
        "capabilities": len(caps),
        "certifications": len(certs),
        "need_ids": [n["id"] for n in needs],
        "groups": groups,
    }


def _stratified_sample(groups: dict[int, tuple[str, str]], size: int, seed: int) -> list[int]:
    """About ``size`` capability ids, each (process, language) group in proportion, and
    every group at least once."""
    by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for cid, group in groups.items():
        by_group[group].append(cid)
    rng = random.Random(seed)
    picked: list[int] = []
    total = len(groups)
    for group in sorted(by_group):
        members = by_group[group]
        k = min(len(members), max(1, round(size * len(members) / total)))
        picked += rng.sample(members, k)
    return sorted(picked)


def borrow_vectors(
    texts: dict[int, str],
    groups: dict[int, tuple[str, str]],
    sample_vectors: dict[int, np.ndarray],
    noise: float,
    seed: int,
) -> tuple[dict[int, np.ndarray], dict[str, float]]:
    """A vector for every non-sampled capability: its lexically nearest sampled text of
    the same group's vector, perturbed and renormalised; and a calibration report.

    Calibration: for held-out sampled texts, the cosine between their real vector and
    the vector they would have borrowed (their nearest other sampled text)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = sorted(texts)
    vectorizer = TfidfVectorizer(strip_accents="unicode", sublinear_tf=True, dtype=np.float32)
    matrix = vectorizer.fit_transform([texts[i] for i in ids]).tocsr()
    row = {cid: r for r, cid in enumerate(ids)}
    sampled = sorted(sample_vectors)
    by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for cid in sampled:
        by_group[groups[cid]].append(cid)
    rest_by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for cid in ids:
        if cid not in sample_vectors:
            rest_by_group[groups[cid]].append(cid)

    rng = np.random.default_rng(seed)
    dim = len(next(iter(sample_vectors.values())))
    out: dict[int, np.ndarray] = {}
    for group, members in rest_by_group.items():
        pool = by_group.get(group) or sampled
        pool_matrix = matrix[[row[c] for c in pool]].T.tocsc()
        pool_vectors = np.vstack([sample_vectors[c] for c in pool])
        for start in range(0, len(members), 5000):
            chunk = members[start : start + 5000]
            sims = (matrix[[row[c] for c in chunk]] @ pool_matrix).toarray()
            nearest = sims.argmax(axis=1)
            vectors = pool_vectors[nearest] + rng.standard_normal((len(chunk), dim)).astype(
                np.float32
            ) * (noise / np.sqrt(dim))
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            out.update(zip(chunk, vectors.astype(np.float32), strict=True))

    # Calibration on up to 300 held-out sampled texts with a neighbour in their group.
    cosines, random_pairs = [], []
    held = [c for c in sampled if len(by_group[groups[c]]) > 1]
    for cid in random.Random(seed).sample(held, min(300, len(held))):
        others = [c for c in by_group[groups[cid]] if c != cid]
        sims = (matrix[row[cid]] @ matrix[[row[c] for c in others]].T).toarray().ravel()
        neighbour = others[int(sims.argmax())]
        cosines.append(float(sample_vectors[cid] @ sample_vectors[neighbour]))
        stranger = sampled[random.Random(cid).randrange(len(sampled))]
        random_pairs.append(float(sample_vectors[cid] @ sample_vectors[stranger]))
    report = {
        "held_out": len(cosines),
        "borrowed_cosine_median": round(float(np.median(cosines)), 3) if cosines else None,
        "borrowed_cosine_p10": round(float(np.percentile(cosines, 10)), 3) if cosines else None,
        "random_pair_cosine_median": round(float(np.median(random_pairs)), 3)
        if random_pairs
        else None,
        "noise_cosine_to_source": round(float(1 / np.sqrt(1 + noise**2)), 3),
    }
    return out, report


def admin_token(session: Session) -> str:
    """An API token of a (new or existing) admin: admins may read every need's matches."""
    from catalog import accounts
    from catalog.models import UserRole

    user = accounts.find_user(session, ADMIN_EMAIL) or accounts.create_user(
        session, ADMIN_EMAIL, ADMIN_PASSWORD, "Bench admin", role=UserRole.ADMIN
    )
    return accounts.issue_api_token(session, user, f"bench {int(time.time())}")[1]


def build(capabilities: int, sample: int, needs: int, noise: float, seed: int) -> dict[str, Any]:
    """Fill the database of ``DATABASE_URL`` and build the index of ``KETNOI_DATA_DIR``."""
    from flask_migrate import upgrade

    from catalog.models import Firm, Need
    from catalog.reference_data import load_reference_data
    from jobs.runtime import runtime
    from jobs.sync import index_sync_paused
    from matching import indexing
    from matching.documents import capability_documents
    from matching.embedding_cache import EmbeddingCache
    from matching.opportunities import warm_needs
    from webapp import create_app
    from webapp.extensions import db

    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 1)
        log.info("%s: %.1f s", name, now - started)
        started = now

    app = create_app({"CELERY": {"task_always_eager": True}})
    with app.app_context():
        session = db.session
        upgrade()
        log.disabled = False  # Alembic's logging configuration turns existing loggers off
        log.setLevel(logging.INFO)
        load_reference_data(session)
        if session.scalar(select(func.count()).select_from(Firm)):
            raise SystemExit("The database already holds firms: give an empty database.")
        lap("migrate_and_reference_data")
        data = generate(capabilities, needs, seed)
        lap("generate")
        with index_sync_paused(session):
            counts = bulk_insert(session, data)
        groups = counts.pop("groups")
        lap("insert")

        rt = runtime()
        docs = {d.id: d.text for d in capability_documents(session)}
        session.expunge_all()
        lap("read_texts")
        chosen = _stratified_sample(groups, sample, seed)
        encoded = rt.encoder.encode_documents([docs[c] for c in chosen], progress=False)
        sample_vectors = dict(zip(chosen, encoded, strict=True))
        lap("encode_sample")
        borrowed, calibration = borrow_vectors(docs, groups, sample_vectors, noise, seed)
        model = rt.encoder.model_name
        cache: EmbeddingCache = rt.encoder.cache
        items = [(EmbeddingCache.key(model, "passage", docs[c]), v) for c, v in borrowed.items()]
        for start in range(0, len(items), 20_000):
            cache.put_many(dict(items[start : start + 20_000]))
        lap("borrow_vectors")
        del docs, borrowed, items

        change = indexing.rebuild(session, rt.store, rt.encoder)
        lap("index_rebuild")
        bundle = rt.engine.bundle()
        open_needs = list(session.scalars(select(Need).where(Need.id.in_(counts["need_ids"]))))
        warmed = warm_needs(session, rt.engine, open_needs)
        lap("encode_needs")
        token = admin_token(session)
        summary = {
            **{k: v for k, v in counts.items() if k != "need_ids"},
            "needs": len(counts["need_ids"]),
            "sample_encoded": len(chosen),
            "vectors_borrowed": len(groups) - len(chosen),
            "noise": noise,
            "calibration": calibration,
            "index": {
                "documents": change.documents,
                "version": change.version,
                **bundle.vectors.describe(),
                "lexical_features": len(bundle.lexical.vectorizer.vocabulary_),
            },
            "need_texts_encoded": warmed,
            "seconds": timings,
            "database": app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1],
            "data_dir": app.config["DATA_DIR"],
            "model": model,
            "token": token,
            "need_ids": counts["need_ids"],
        }
        out = Path(app.config["DATA_DIR"]) / "synthetic.json"
        out.write_text(json.dumps(summary, indent=1))
        return summary


def refill(noise: float, seed: int) -> dict[str, Any]:
    """Re-index an existing synthetic catalogue after its texts changed (edits, a new
    text format): every capability whose text has no vector in the embedding cache
    borrows one from the lexically nearest text of its group that has (for an edit or a
    reordering that is its own previous text, near enough word for word), plus the same
    noise; then the index is rebuilt and the needs' vectors are warmed. Nothing is
    encoded but changed need texts. Updates ``synthetic.json``."""
    from catalog.models import Capability, Need, NeedStatus
    from jobs.runtime import runtime
    from matching import indexing
    from matching.documents import capability_documents
    from matching.embedding_cache import EmbeddingCache
    from matching.opportunities import warm_needs
    from webapp import create_app
    from webapp.extensions import db

    started = time.perf_counter()
    app = create_app({"CELERY": {"task_always_eager": True}})
    with app.app_context():
        session = db.session
        rt = runtime()
        model, cache = rt.encoder.model_name, rt.encoder.cache
        docs = {d.id: d.text for d in capability_documents(session)}
        rows = session.execute(
            select(Capability.id, Capability.process_id, Capability.language)
        ).all()
        groups = {}
        for r in rows:
            ascii_text = r.language == "vi" and _without_diacritics(docs[r.id])
            groups[r.id] = (r.process_id or "", "vi-ascii" if ascii_text else r.language)
        keys = {cid: EmbeddingCache.key(model, "passage", text) for cid, text in docs.items()}
        found = cache.get_many(list(set(keys.values())))
        cached = {cid: found[k] for cid, k in keys.items() if k in found}
        missing = len(docs) - len(cached)
        if missing:
            borrowed, _ = borrow_vectors(docs, groups, cached, noise, seed)
            cache.put_many({keys[c]: v for c, v in borrowed.items()})
        session.expunge_all()
        change = indexing.rebuild(session, rt.store, rt.encoder)
        needs = list(session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)))
        warmed = warm_needs(session, rt.engine, needs)
        path = Path(app.config["DATA_DIR"]) / "synthetic.json"
        summary = json.loads(path.read_text())
        summary["refilled"] = {
            "texts_without_vector": missing,
            "need_texts_encoded": warmed,
            "documents": change.documents,
            "version": change.version,
            "seconds": round(time.perf_counter() - started, 1),
        }
        path.write_text(json.dumps(summary, indent=1))
        return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--capabilities", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=3000, help="texts really encoded")
    parser.add_argument("--needs", type=int, default=480, help="open needs (encoded for real)")
    parser.add_argument("--noise", type=float, default=0.15, help="relative perturbation")
    parser.add_argument("--seed", type=int, default=1, help="first demo generator seed")
    parser.add_argument(
        "--refill",
        action="store_true",
        help="existing catalogue: vectors for changed texts (borrowed), then rebuild",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("KETNOI_DATA_DIR"):
        parser.error("set DATABASE_URL and KETNOI_DATA_DIR (see the command above)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.refill:
        summary = refill(args.noise, args.seed)
    else:
        summary = build(args.capabilities, args.sample, args.needs, args.noise, args.seed)
    shown = {k: v for k, v in summary.items() if k not in ("need_ids", "token")}
    print(json.dumps(shown, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
