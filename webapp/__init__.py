"""KetNoi's web application: the app factory.

``flask --app webapp run`` (or gunicorn ``"webapp:create_app()"``) builds the app
here: configuration from the environment, extensions, the matching runtime, the
Celery app, the rules the database session applies, blueprints, error handlers and
commands.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

import catalog.database  # noqa: F401  (SQLite pragmas)
from catalog.access.audit import track_changes
from catalog.access.scope import guard_writes
from catalog.access.visibility import filter_needs
from catalog.accounts.identity import lapse_on_identity_change
from catalog.validation import MAX_ID
from jobs import models as job_models  # noqa: F401  (tables known to migrations)
from jobs.after_commit import run_after_commit, side_effects
from jobs.celery_app import celery_init_app
from jobs.runtime import EXTENSION_KEY, Runtime
from jobs.tasks import index_repair_requester
from matching import models as index_models  # noqa: F401  (tables known to migrations)
from matching import shipping as index_shipping  # noqa: F401
from matching.changes import ChangeFeed
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder
from matching.engine import MatchEngine
from matching.store import IndexStore

from .config import load_config
from .extensions import apply_proxy_fix, babel, csrf, db, limiter, migrate
from .i18n import inject_locale, select_locale


class RecordIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number larger than any database can hold is the id
    of no record (0), so it gets the 404 of an unknown record instead of overflowing in
    the database driver."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(load_config(config))
    register_logging(app)
    apply_proxy_fix(app)
    app.url_map.converters["int"] = RecordIdConverter
    register_extensions(app)
    register_runtime(app)
    register_session_rules()
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    # -- warm-up (webapp.warmup): the development server's first request, made cheap --
    from .warmup import init_app as init_warmup
    from .warmup import warm

    init_warmup(app)
    if app.config["WARM_ON_START"]:
        warm(app, keep_connections=False)  # a Celery master forks after this
    # -- end of warm-up --
    return app


# The packages whose loggers the level applies to (libraries keep their own).
LOG_PACKAGES = ("catalog", "jobs", "matching", "webapp")


def register_logging(app: Flask) -> None:
    """Logging, configured here only: the level of KetNoi's own loggers from
    ``KETNOI_LOG_LEVEL`` (or the app's ``LOG_LEVEL``; default INFO), and a handler on the
    root logger with time, level and logger name when nobody installed one (gunicorn,
    Celery's worker and pytest install their own, which are kept)."""
    name = str(app.config.get("LOG_LEVEL") or os.environ.get("KETNOI_LOG_LEVEL") or "INFO")
    level = logging.getLevelName(name.strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"KETNOI_LOG_LEVEL: {name!r} is not a logging level (DEBUG, INFO, …)")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for package in LOG_PACKAGES:
        logging.getLogger(package).setLevel(level)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(inject_locale)
    from .access import register as register_access

    register_access(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).parent / "migrations"


def register_runtime(app: Flask) -> None:
    cache = EmbeddingCache(app.config["EMBEDDING_CACHE"])
    encoder = Encoder(app.config["ENCODER_MODEL"], cache=cache)
    # Bases reach other machines through the database (INDEX_SHARING=database): the
    # worker ships what it publishes, web processes copy it (README, "Several machines").
    shared = app.config["INDEX_SHARING"] == "database"
    publishes = bool(app.config.get("INDEX_PUBLISHES"))
    store = IndexStore(app.config["INDEX_DIR"], ship=shared)
    with app.app_context():  # the change log is read on the app's own database engine
        feed = ChangeFeed(db.engine, encoder.model_name)
    engine = MatchEngine(
        store,
        encoder,
        reload_in_background=app.config["INDEX_RELOAD_IN_BACKGROUND"],
        request_repair=index_repair_requester(app),
        feed=feed,
        pull_bases=shared and not publishes,
    )
    app.extensions[EXTENSION_KEY] = Runtime(
        session=lambda: db.session, store=store, encoder=encoder, engine=engine
    )
    celery_init_app(app)


def register_session_rules() -> None:
    """Every rule the database session applies, in one place, for requests and for the
    jobs run for a user alike (each registers once, however many apps are made)."""
    track_changes(db.session)  # the audit log: who changed what (catalog.access.audit)
    # Where data is written, the same rules as the views' (catalog.access.scope); a firm's
    # change of identity lapses its verification (catalog.accounts.identity).
    guard_writes(db.session)
    lapse_on_identity_change(db.session)
    filter_needs(db.session)  # needs are read through the reader's filter
    # What a commit sets off (a re-index, a retraining check), never on a rollback.
    run_after_commit(db.session, side_effects())


def register_blueprints(app: Flask) -> None:
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .claims import bp as claims_bp
    from .dashboard import bp as dashboard_bp
    from .deals import bp as deals_bp
    from .directory import bp as directory_bp
    from .events import bp as events_bp
    from .firms import bp as firms_bp
    from .i18n import bp as i18n_bp
    from .imports import bp as imports_bp
    from .introductions import bp as introductions_bp
    from .main import bp as main_bp
    from .needs import bp as needs_bp
    from .notifications import bp as notifications_bp
    from .opportunities import bp as opportunities_bp
    from .programmes import bp as programmes_bp
    from .verifications import bp as verifications_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(firms_bp)
    app.register_blueprint(needs_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(introductions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(verifications_bp)
    app.register_blueprint(opportunities_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(deals_bp)
    app.register_blueprint(programmes_bp)
    csrf.exempt(api_bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_security(app: Flask) -> None:
    from .security import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .background import register as register_background
    from .forms import register as register_forms
    from .helpers import register
    from .renderings import register as register_renderings

    register(app)
    register_forms(app)  # a record's declared facts on its page
    register_background(app)  # the notice when background work is not running
    register_renderings(app)  # texts in the other language, rendered for the reader


def register_commands(app: Flask) -> None:
    from .commands import register

    register(app)
