"""Shared fixtures: one migrated SQLite database with the demo catalog and a real index.

Building the index encodes about 1,150 capabilities with the real model, so it is done
once per test session; tests that change data create their own firms and needs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade

from catalog.demo import load_demo_catalog
from catalog.reference_data import load_reference_data
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import indexing
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
_tax_counter = iter(range(1, 10_000_000))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ketnoi-data")


@pytest.fixture(scope="session")
def app(data_dir):
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    app = create_app(
        {
            "DATA_DIR": str(data_dir),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "CELERY": {"task_always_eager": True},
        }
    )
    with app.app_context():
        upgrade()
        with index_sync_paused(db.session):
            load_reference_data(db.session)
            load_demo_catalog(db.session)
        rt = runtime()
        indexing.rebuild(db.session, rt.store, rt.encoder)
    return app


@pytest.fixture()
def ctx(app):
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def session(ctx):
    return db.session


def fresh_tax_code() -> str:
    """A valid, unused Vietnamese tax code (check digit computed by python-stdnum)."""
    from stdnum.vn import mst

    while True:
        base = f"09{next(_tax_counter):07d}"
        code = base + mst.calc_check_digit(base)
        if mst.is_valid(code):
            return code


@pytest.fixture()
def snapshot_data(app, data_dir, tmp_path) -> Path:
    """A copy of the seeded database and index, for tests that start other processes."""
    target = tmp_path / "data"
    target.mkdir()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for name in ("ketnoi.sqlite", "secret_key"):
        shutil.copy2(data_dir / name, target / name)
    for suffix in ("-wal", "-shm"):
        src = data_dir / f"ketnoi.sqlite{suffix}"
        if src.exists():
            shutil.copy2(src, target / src.name)
    shutil.copytree(data_dir / "index", target / "index")
    return target
