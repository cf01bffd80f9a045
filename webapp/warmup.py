"""Warm a web process before it takes traffic, so its first request is not its slowest.

Without it the first request after a start loaded the search index, the encoder's
weights (seconds for EmbeddingGemma), the shipped query vectors, the Babel catalogues
and the Jinja templates it used, configured the ORM's mappers and opened the first
database connection: a first directory search took up to 22 s while every later one
took a tenth of a second (docs/benchmarks.md, "Every page a user waits for").

``warm(app)`` does that work once, up front:

- gunicorn calls it from ``post_worker_init`` (``gunicorn.conf.py``), in each worker
  after it has loaded the app and before it accepts a connection: requests arriving
  meanwhile wait in the listen backlog or go to a worker that is ready;
- the development server (``flask run``) calls it from ``create_app`` when
  ``WARM_ON_START`` is set (``KETNOI_WARM_ON_START=1``); it is off by default, so the
  tests, which create many apps, never pay for it.

Each step is timed and guarded: a step that fails (no index yet, the database down,
no model installed) is logged and skipped, and the process starts as it would have
without it. A step that needs the database is skipped once one has failed, so a
database that drops packets delays a start by one connection timeout, not several.
It runs once per app (a second call returns at once). ``init_app`` freezes the
collector again a few times as the pages' caches fill (``REFREEZE_AFTER``).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

from flask import Flask, Response

log = logging.getLogger(__name__)

# A query for the encoder's first pass and the directory request: any short text will
# do (the model's cost does not depend on the words), in the service's two languages.
WARM_QUERY = "ép nhựa injection moulding"
# The pages whose templates a first visitor is most likely to render (the others are
# compiled on their first use, a few milliseconds each).
TEMPLATES = (
    "base.html",
    "_macros.html",
    "home.html",
    "directory/index.html",
    "directory/show.html",
    "needs/show.html",
    "needs/index.html",
    "opportunities/show.html",
    "dashboard/index.html",
    "events/index.html",
    "events/show.html",
    "events/schedule.html",
    "accounts/login.html",
)
EXTENSION_KEY = "ketnoi.warmup"


def warm(app: Flask, keep_connections: bool = True) -> dict[str, float | str]:
    """Load what a first request needs; returns seconds per step (or why it failed).

    ``keep_connections=False`` closes the database connections opened here afterwards
    (a process that may fork after warming must not hand its connections to its
    children); gunicorn's workers keep theirs, one warm connection each."""
    done = app.extensions.get(EXTENSION_KEY)
    if done is not None:
        return done
    from jobs.runtime import runtime

    steps: dict[str, float | str] = {}
    database_ok = True

    def step(name: str, work: Callable[[], object], needs_database: bool = False) -> None:
        nonlocal database_ok
        if needs_database and not database_ok:
            steps[name] = "skipped: the database did not answer"
            return
        started = time.perf_counter()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 (a warm-up never stops a start)
            steps[name] = f"failed: {type(exc).__name__}: {exc}"[:300]
            log.warning("warm-up: %s failed: %s", name, exc)
            if needs_database:
                database_ok = False
            return
        steps[name] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    with app.app_context():
        from .extensions import db

        rt = runtime()
        step("orm mappers", _configure_mappers)
        step("database connection", lambda: _database(db), needs_database=True)
        step("index", lambda: _index(rt.engine))
        # Each open need's best rows of the base, which the opportunities page keeps per
        # base (seconds of products at 100k capabilities, once per process).
        step("opportunity candidates", lambda: _candidates(db, rt.engine), needs_database=True)
        step("encoder", lambda: rt.encoder.encode_queries([WARM_QUERY]))
        step("calibration", lambda: _calibration(rt.encoder.model_name))
        step("templates", lambda: _templates(app))
        step("translations", lambda: _translations(app))
        # One anonymous directory search through the whole app: routing, request hooks,
        # the search's own queries compiled, the page rendered in the default language.
        step("directory request", lambda: _request(app), needs_database=True)
        db.session.remove()
        if not keep_connections:
            db.engine.dispose()
    # What was loaded lives as long as the process: out of the collector's sight, so a
    # full collection no longer walks its ~700,000 objects (a 130 ms stall every few
    # requests at 100k capabilities; docs/benchmarks.md).
    step("garbage collector frozen", _freeze)
    steps["total"] = round(time.perf_counter() - started, 3)
    app.extensions[EXTENSION_KEY] = steps
    log.info("warm-up: %s", ", ".join(f"{k} {v}" for k, v in steps.items()))
    return steps


# Requests after which a warmed process freezes the collector again, once each: by
# then the pages' own caches (firm facts, renderings, compiled queries) have filled
# after the first freeze, and full collections walking them came back as the
# opportunities page's 130 ms tail at 100k capabilities (docs/benchmarks.md).
REFREEZE_AFTER = (25, 250, 2_500, 25_000)


def init_app(app: Flask) -> None:
    """Freeze the collector again after each of ``REFREEZE_AFTER`` requests of a warmed process,
    after the response has gone (``call_on_close``), so no visitor waits for it."""
    served = 0

    @app.after_request
    def _refreeze(response: Response) -> Response:
        nonlocal served
        if EXTENSION_KEY not in app.extensions:  # not warmed: tests, the CLI
            return response
        served += 1
        if served in REFREEZE_AFTER:
            response.call_on_close(_freeze)
        return response


def _candidates(db, engine) -> int:  # noqa: ANN001 (Flask-SQLAlchemy's extension object)
    from matching.opportunities import warm_candidates

    return warm_candidates(db.session, engine)


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def _configure_mappers() -> None:
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def _database(db) -> None:  # noqa: ANN001 (Flask-SQLAlchemy's extension object)
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _index(engine) -> None:  # noqa: ANN001 (matching.engine.MatchEngine)
    """The published index (mapped), its concept tagger, and the directory's part
    families facet (counted once per index version)."""
    if engine.bundle() is None:
        raise RuntimeError(engine.status)
    engine.tagger  # noqa: B018 (a property that loads)
    engine.concept_counts("part_family")


def _calibration(model_name: str) -> None:
    from matching import calibration

    calibration.for_model(model_name)


def _templates(app: Flask) -> None:
    for name in TEMPLATES:
        app.jinja_env.get_template(name)


def _translations(app: Flask) -> None:
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"):
        for locale in ("vi", "en"):
            with force_locale(locale):
                gettext("Suppliers")


def _request(app: Flask) -> None:
    from urllib.parse import quote

    response = app.test_client().get(f"/suppliers/?q={quote(WARM_QUERY)}")
    if response.status_code != 200:
        raise RuntimeError(f"GET /suppliers/?q=… answered {response.status_code}")
