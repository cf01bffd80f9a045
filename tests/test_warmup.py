"""Warming a web process before it takes traffic (``webapp.warmup``), and the page
benchmark's requests (``bench.pages``), which must keep answering 200 or the bench
would time error pages.

The warm-up is asserted on the state it leaves (the encoder's weights loaded, the index
loaded, the step list recorded), never on time: speed is in docs/benchmarks.md.
"""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from jobs.runtime import EXTENSION_KEY
from tests.conftest import ROOT, app_of_its_own
from webapp.warmup import EXTENSION_KEY as WARMED
from webapp.warmup import REFREEZE_AFTER


def _same_data(app) -> dict:
    """Another app on the session app's database, index and embedding cache: its own
    encoder and engine, which nothing has loaded yet."""
    keys = ("DATA_DIR", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "EMBEDDING_CACHE", "INDEX_DIR")
    return {
        **{k: app.config[k] for k in keys},
        "TESTING": True,
        "CELERY": {"task_always_eager": True},
    }


def _loaded(app) -> tuple[bool, bool]:
    """(encoder's weights loaded by this app's encoder, index loaded by its engine)."""
    rt = app.extensions[EXTENSION_KEY]
    return "model" in rt.encoder.__dict__, rt.engine.status == "ok"


def test_apps_do_not_warm_by_default(app):
    with app_of_its_own(_same_data(app)) as other:
        assert other.config["WARM_ON_START"] is False
        assert WARMED not in other.extensions
        assert _loaded(other) == (False, False)


def test_warm_on_start_loads_the_encoder_and_the_index(app):
    with app_of_its_own({**_same_data(app), "WARM_ON_START": True}) as warmed:
        steps = warmed.extensions[WARMED]
        assert _loaded(warmed) == (True, True)
        failed = {k: v for k, v in steps.items() if isinstance(v, str)}
        assert not failed, failed
        assert {"index", "encoder", "templates", "translations", "directory request"} <= set(steps)
        # A template it compiled is in the environment's cache: not compiled again.
        assert any(
            key[1] == "directory/index.html"
            for key in warmed.jinja_env.cache  # (loader, name)
        )


def test_a_warmed_app_freezes_the_collector_again_as_its_caches_fill(app):
    """What the pages cache after the warm-up is frozen too, once a few requests have
    filled it, after the response has gone; an app that did not warm never freezes."""
    with app_of_its_own({**_same_data(app), "WARM_ON_START": True}) as warmed:
        client = warmed.test_client()
        # Frozen objects that are freed leave the count: it only grows by a freeze.
        before = gc.get_freeze_count()
        for _ in range(REFREEZE_AFTER[0] - 1):
            client.get("/").close()
        assert gc.get_freeze_count() <= before
        before = gc.get_freeze_count()
        client.get("/").close()  # the response closed: the freeze has run
        assert gc.get_freeze_count() > before
    with app_of_its_own(_same_data(app)) as cold:
        client = cold.test_client()
        before = gc.get_freeze_count()
        for _ in range(REFREEZE_AFTER[0]):
            client.get("/").close()
        assert gc.get_freeze_count() <= before


def test_gunicorn_workers_warm_unless_told_not_to(app, monkeypatch):
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    with app_of_its_own(_same_data(app)) as other:
        monkeypatch.setenv("KETNOI_WARM_ON_START", "0")
        hooks["post_worker_init"](SimpleNamespace(wsgi=other))
        assert _loaded(other) == (False, False)
        monkeypatch.delenv("KETNOI_WARM_ON_START")
        hooks["post_worker_init"](SimpleNamespace(wsgi=other))
        assert _loaded(other) == (True, True)
        assert other.extensions[WARMED]["total"] >= 0


def test_a_failing_step_is_reported_and_the_rest_still_runs(app, tmp_path: Path):
    """No index on disk: the index step fails, the worker still warms everything else."""
    overrides = {**_same_data(app), "INDEX_DIR": str(tmp_path / "no-index")}
    with app_of_its_own(overrides) as other:
        from webapp.warmup import warm

        steps = warm(other)
        assert isinstance(steps["index"], str) and steps["index"].startswith("failed")
        assert isinstance(steps["encoder"], float)
        assert "model" in other.extensions[EXTENSION_KEY].encoder.__dict__
        assert warm(other) is steps  # once per app


@pytest.mark.slow
def test_every_page_of_the_page_bench_answers(snapshot_data: Path):
    """``bench.pages`` on the test catalogue: what it adds (accounts, an event with a
    schedule), then two requests of every page as the role it is for, all 200."""
    from bench import pages

    overrides = {"DATA_DIR": str(snapshot_data), "TESTING": True}
    overrides["CELERY"] = {"task_always_eager": True}
    with app_of_its_own(overrides) as bench_app:
        setup = pages.prepare(bench_app, event_buyers=2, solve_seconds=1.0)
        assert setup["event"] and setup["needs"] and setup["suppliers"]
        jar = pages.cookies(bench_app, [setup["officer"], *pages._users(setup)])
        plans = pages.plans(setup, jar)
        assert set(plans) == set(pages.PAGES)
        for page in pages.PAGES:
            assert plans[page], page
            for target in plans[page][:2]:
                response = bench_app.test_client(use_cookies=False).get(
                    target.path, headers=target.headers
                )
                assert response.status_code == 200, (page, target.path, response.status_code)
                # Signed in as the role the page is for, not shown a sign-in form.
                assert b'name="password"' not in response.data, (page, target.path)
        grid = bench_app.test_client(use_cookies=False).get(
            plans["event_grid"][0].path, headers=plans["event_grid"][0].headers
        )
        assert b'<small class="muted">M' in grid.data  # meetings placed in the grid
