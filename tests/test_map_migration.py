"""The migration to the 2025 administrative map (b16a01a2b3c4), on a database of its own.

A catalogue built on the old map (province rows VP, TB, BG … with firms, zones, needs,
officers, events and audit entries) is upgraded: every row lands in the current unit,
firms and zones keep their former province, nothing is lost or duplicated. An empty
database gets the whole reference data from the migrations alone. Runs on SQLite, and on
PostgreSQL under ``python -m tests.services``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from catalog.reference_data import load_reference_data
from tests.conftest import (
    ROOT,
    TEST_DATABASE_URL,
    WORKER,
    _postgres_copy,
    app_of_its_own,
    sqlalchemy_url,
)
from webapp.extensions import db

BEFORE = "a7e2c4d91b3f"
MAP = "b16a01a2b3c4"

# Province rows as the catalogue held them before the 2025 map.
OLD_PROVINCES = {
    "TN": ("Thái Nguyên", "Thai Nguyen", ["Yên Bình"]),
    "TB": ("Thái Bình", "Thai Binh", ["Tiền Hải"]),
    "HY": ("Hưng Yên", "Hung Yen", ["Phố Nối A"]),
    "VP": ("Vĩnh Phúc", "Vinh Phuc", ["Khai Quang", "Riêng Của Tỉnh Cũ"]),
    "PT": ("Phú Thọ", "Phu Tho", ["Thụy Vân"]),
    "BN": ("Bắc Ninh", "Bac Ninh", []),
    "BG": ("Bắc Giang", "Bac Giang", []),
}


def _database(tmp_path: Path, name: str) -> str:
    if TEST_DATABASE_URL:
        return sqlalchemy_url(
            _postgres_copy(TEST_DATABASE_URL, f"ketnoi_map_{name}_{WORKER or 'main'}", "template0")
        )
    return f"sqlite:///{tmp_path / f'{name}.sqlite'}"


def _app(tmp_path: Path, url: str):
    return app_of_its_own(
        {
            "DATA_DIR": str(tmp_path),
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "CELERY": {"task_always_eager": True},
        }
    )


def _insert(conn, table: str, **values) -> int:
    """A row of ``table`` as the schema of this revision has it: required columns the
    test does not care about get a plain value of their type."""
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for column in t.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = column.type.python_type if not isinstance(column.type, sa.JSON) else list
        values[column.name] = {
            str: "",
            int: 0,
            float: 0.0,
            bool: False,
            datetime: datetime.now(UTC),
            date: date.today(),
            list: [],
            dict: {},
        }.get(kind, "")
        if table == "users" and column.name == "role":
            values[column.name] = "officer"
        if table == "firms" and column.name == "role":
            values[column.name] = "supplier"
    result = conn.execute(sa.insert(t).values(**values))
    pk = result.inserted_primary_key
    return pk[0] if pk else None


def _count(conn, table: str, where: str = "", **params) -> int:
    sql = f"SELECT COUNT(*) FROM {table}" + (f" WHERE {where}" if where else "")
    return conn.execute(sa.text(sql), params).scalar_one()


def _old_catalogue(conn) -> dict[str, int]:
    """Provinces, zones, firms with capabilities, a need, officers, an event and audit
    entries on the old map; returns the ids the checks need."""
    ids: dict[str, int] = {}
    for code, (vi, en, zones) in OLD_PROVINCES.items():
        ids[code] = _insert(conn, "provinces", code=code, name_vi=vi, name_en=en, region="")
        for zone in zones:
            ids[f"zone {zone}"] = _insert(
                conn, "industrial_zones", province_id=ids[code], kind="KCN", name=zone
            )
    for key, code, zone in [
        ("vp firm", "VP", "Khai Quang"),
        ("vp own zone firm", "VP", "Riêng Của Tỉnh Cũ"),
        ("tb firm", "TB", "Tiền Hải"),
        ("pt firm", "PT", None),
        ("tn firm", "TN", "Yên Bình"),
        ("bg buyer", "BG", None),
    ]:
        ids[key] = _insert(
            conn,
            "firms",
            name_vi=f"Công ty {key}",
            province_id=ids[code],
            zone_id=ids[f"zone {zone}"] if zone else None,
            tax_code=None,
        )
        for n in range(2):
            _insert(conn, "capabilities", firm_id=ids[key], title=f"Năng lực {n}")
    ids["need"] = _insert(
        conn,
        "needs",
        buyer_id=ids["bg buyer"],
        title="Vỏ nhựa",
        delivery_province_id=ids["VP"],
    )
    ids["officer"] = _insert(conn, "users", email="officer.vp@old.test")
    for code in ("VP", "PT", "TB"):
        conn.execute(
            sa.text("INSERT INTO officer_provinces (user_id, province_id) VALUES (:u, :p)"),
            {"u": ids["officer"], "p": ids[code]},
        )
    ids["event"] = _insert(conn, "events", name="Ngày kết nối", province_id=ids["TB"])
    for code in ("TB", "HY", "BG"):
        conn.execute(
            sa.text("INSERT INTO event_provinces (event_id, province_id) VALUES (:e, :p)"),
            {"e": ids["event"], "p": ids[code]},
        )
    ids["audit"] = _insert(conn, "audit_log", action="update", entity="firm", province_id=ids["VP"])
    return ids


def _unit(conn, firm_id: int) -> tuple[str, str | None, str | None]:
    """(current code, former code, zone name) of a firm."""
    return conn.execute(
        sa.text(
            "SELECT p.code, f.code, z.name FROM firms x JOIN provinces p ON p.id = x.province_id "
            "LEFT JOIN former_provinces f ON f.id = x.former_province_id "
            "LEFT JOIN industrial_zones z ON z.id = x.zone_id WHERE x.id = :id"
        ),
        {"id": firm_id},
    ).one()


def _code(conn, province_id: int) -> str:
    return conn.execute(
        sa.text("SELECT code FROM provinces WHERE id = :id"), {"id": province_id}
    ).scalar_one()


def _reference_counts(conn) -> tuple[int, ...]:
    return tuple(
        _count(conn, t) for t in ("provinces", "former_provinces", "industrial_zones", "concepts")
    )


def test_old_catalogue_moves_to_the_current_units(tmp_path):
    with _app(tmp_path, _database(tmp_path, "old")) as app, app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            ids = _old_catalogue(conn)
            capabilities = _count(conn, "capabilities")
        upgrade(revision=MAP)
        with db.engine.connect() as conn:
            assert _unit(conn, ids["vp firm"]) == ("PT", "VP", "Khai Quang")
            assert _unit(conn, ids["vp own zone firm"]) == ("PT", "VP", "Riêng Của Tỉnh Cũ")
            assert _unit(conn, ids["tb firm"]) == ("HY", "TB", "Tiền Hải")
            assert _unit(conn, ids["pt firm"]) == ("PT", "PT", None)
            assert _unit(conn, ids["tn firm"]) == ("TN", "TN", "Yên Bình")
            assert _unit(conn, ids["bg buyer"]) == ("BN", "BG", None)
            # Nothing lost: every firm's capabilities are still there.
            assert _count(conn, "capabilities") == capabilities
            # The absorbed province rows are gone, their zones merged or moved.
            for code in ("VP", "TB", "BG"):
                assert _count(conn, "provinces", "code = :c", c=code) == 0
            assert _count(conn, "industrial_zones", "name = 'Khai Quang'") == 1
            moved = conn.execute(
                sa.text(
                    "SELECT p.code, f.code FROM industrial_zones z "
                    "JOIN provinces p ON p.id = z.province_id "
                    "JOIN former_provinces f ON f.id = z.former_province_id "
                    "WHERE z.name = 'Riêng Của Tỉnh Cũ'"
                )
            ).one()
            assert tuple(moved) == ("PT", "VP")
            delivery = conn.execute(
                sa.text("SELECT delivery_province_id FROM needs WHERE id = :id"),
                {"id": ids["need"]},
            ).scalar_one()
            assert _code(conn, delivery) == "PT"
            officer = conn.execute(
                sa.text("SELECT province_id FROM officer_provinces WHERE user_id = :u"),
                {"u": ids["officer"]},
            ).scalars()
            assert sorted(_code(conn, p) for p in officer) == ["HY", "PT"]  # VP+PT: one pair
            event = conn.execute(
                sa.text("SELECT province_id FROM events WHERE id = :id"), {"id": ids["event"]}
            ).scalar_one()
            assert _code(conn, event) == "HY"
            admitted = conn.execute(
                sa.text("SELECT province_id FROM event_provinces WHERE event_id = :e"),
                {"e": ids["event"]},
            ).scalars()
            assert sorted(_code(conn, p) for p in admitted) == ["BN", "HY"]  # TB+HY: one pair
            audit = conn.execute(
                sa.text("SELECT province_id FROM audit_log WHERE id = :id"), {"id": ids["audit"]}
            ).scalar_one()
            assert _code(conn, audit) == "PT"
            assert _reference_counts(conn)[:2] == (34, 63)
        upgrade()  # and the later revisions run on the moved data
        with db.engine.connect() as conn:
            assert _unit(conn, ids["vp firm"]) == ("PT", "VP", "Khai Quang")


def test_migrations_alone_load_the_reference_data_once(tmp_path):
    with _app(tmp_path, _database(tmp_path, "empty")) as app, app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            first = _reference_counts(conn)
            units = conn.execute(sa.text("SELECT code FROM provinces")).scalars().all()
        assert first[:2] == (34, 63)
        assert first[2] > 0 and first[3] > 0  # zones and the bilingual taxonomy
        assert {"PT", "HY", "TN", "BN", "HCM"} <= set(units)
        assert not {"VP", "TB", "BG", "HD", "BD"} & set(units)
        # The loader again (as `flask seed-demo` and the tests call it), and the map's
        # revision again after a downgrade: the same rows, none twice.
        created = load_reference_data(db.session)
        assert created == {"provinces": 0, "former_provinces": 0, "zones": 0, "concepts": 0}
        downgrade(revision=BEFORE)
        upgrade()
        with db.engine.connect() as conn:
            assert _reference_counts(conn) == first
            for table, key in [
                ("provinces", "code"),
                ("former_provinces", "code"),
                ("industrial_zones", "province_id, name"),
            ]:
                twice = conn.execute(
                    sa.text(f"SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1")
                ).all()
                assert twice == []


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the command runs on its own SQLite file")
def test_flask_db_upgrade_on_an_empty_database(tmp_path):
    """What an administrator runs on the first day: the command itself."""
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'first.sqlite'}",
        "HOME": str(tmp_path),
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert _reference_counts(conn)[:2] == (34, 63)
        names = json.loads(
            conn.execute(
                sa.text("SELECT aliases FROM former_provinces WHERE code = 'VP'")
            ).scalar_one()
        )
        assert "VP" in names
    engine.dispose()
