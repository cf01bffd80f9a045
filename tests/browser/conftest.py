"""A live KetNoi server and a real headless Chromium, driven by Playwright.

The server is the session's ``app`` (migrated SQLite, demo catalog, real index, Celery
eager) served by Werkzeug in a thread on a free ephemeral port, with CSRF protection
switched on for the duration of the browser tests so that the real forms are exercised.
Chromium is Debian's (``make browser`` installs it); ``playwright install`` is never used.

On a failing test, every page the test opened is saved as a full-page screenshot under
``test-artifacts/screenshots/``; the wall time of the browser tests is written to
``test-artifacts/browser-timing.txt``.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TIMING_FILE = ARTIFACTS / "browser-timing.txt"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

_timing: dict[str, object] = {"durations": {}}


def chromium_executable() -> str:
    """Debian's chromium; a clear failure (not a skip) when it is missing."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.fail(
            "Chromium is not installed: the browser tests need Debian's `chromium` "
            "(run `make browser`, or `apt-get install chromium`).",
            pytrace=False,
        )
    return found


def pytest_configure(config):
    # Also to be declared in setup.cfg ([tool:pytest] markers); registering it here keeps
    # --strict-markers happy until then (a duplicate declaration is harmless).
    config.addinivalue_line("markers", "browser: end-to-end tests in headless Chromium")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and item.get_closest_marker("browser") is not None:
        _timing["durations"][item.nodeid] = report.duration
    return report


def pytest_terminal_summary(terminalreporter):
    if "started" not in _timing:
        return
    line = _timing_lines()[0]
    terminalreporter.write_line(line)


def _timing_lines() -> list[str]:
    wall = _timing.get("ended", time.perf_counter()) - _timing["started"]
    durations: dict[str, float] = _timing["durations"]
    lines = [
        f"browser tests: {len(durations)} test(s), {wall:.1f} s wall time "
        f"(live server and Chromium up to last teardown; session fixture setup excluded)"
    ]
    lines += [f"  {seconds:6.2f} s  {nodeid}" for nodeid, seconds in durations.items()]
    return lines


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:
    """The shared app served on http://127.0.0.1:<free port>, with CSRF on."""
    from webapp.extensions import limiter

    _timing["started"] = time.perf_counter()
    csrf_before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True
    # The sign-in/registration rate limit counts per address, and every test client is
    # 127.0.0.1 too: start from a clean count so that earlier tests cannot trip it.
    limiter.reset()
    # Port 0: the kernel picks a free ephemeral port, never one of Chromium's blocked
    # "unsafe" ports (those are all below 10081).
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.config["WTF_CSRF_ENABLED"] = csrf_before
        limiter.reset()
        _timing["ended"] = time.perf_counter()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        TIMING_FILE.write_text("\n".join(_timing_lines()) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def browser(live_server):
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def new_page(request, browser, live_server) -> Iterator[Callable[..., object]]:
    """``new_page(locale="vi-VN")``: a page in a fresh browser context (its own cookies)."""
    contexts, pages = [], []

    def make(locale: str = "vi-VN"):
        context = browser.new_context(locale=locale, base_url=live_server)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield make

    report = getattr(request.node, "rep_call", None) or getattr(request.node, "rep_setup", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.name)
        for n, page in enumerate(pages):
            suffix = "" if n == 0 else f"-{n + 1}"
            try:
                page.screenshot(path=str(SCREENSHOTS / f"{stem}{suffix}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"screenshot of page {n + 1} failed: {exc}")
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page):
    """A page in a new browser context, Vietnamese locale."""
    return new_page()
