"""Logging is configured in one place, the app factory (``webapp.register_logging``):
the level of KetNoi's own loggers comes from ``KETNOI_LOG_LEVEL``."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from webapp import LOG_PACKAGES, register_logging


@pytest.fixture()
def levels():
    saved = {name: logging.getLogger(name).level for name in LOG_PACKAGES}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_the_level_comes_from_the_environment(levels, monkeypatch):
    monkeypatch.setenv("KETNOI_LOG_LEVEL", "warning")
    register_logging(Flask("probe"))
    assert {logging.getLogger(n).level for n in LOG_PACKAGES} == {logging.WARNING}
    assert not logging.getLogger("jobs.tasks").isEnabledFor(logging.INFO)
    monkeypatch.delenv("KETNOI_LOG_LEVEL")
    register_logging(Flask("probe"))  # the default
    assert logging.getLogger("matching").level == logging.INFO


def test_an_unknown_level_stops_the_start(levels, monkeypatch):
    monkeypatch.setenv("KETNOI_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="KETNOI_LOG_LEVEL"):
        register_logging(Flask("probe"))
