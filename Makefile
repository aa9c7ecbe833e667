# Two commands a newcomer needs: `make run` (site on the sample content) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=1
PORT ?= 8000

# `make run DATA=path/to/data` serves another content folder with a database and uploads of
# its own (in var/, named after the folder), so it never mixes with the sample content.
ifdef DATA
DATA_DIR := $(abspath $(DATA))
SITE_DIR := $(CURDIR)/var/$(notdir $(DATA_DIR))-$(shell printf %s '$(DATA_DIR)' | cksum | cut -d' ' -f1)
DEV_ENV += GUIDES_DATA_DIR=$(DATA_DIR) MEDIA_ROOT=$(SITE_DIR)/media \
	$(if $(DATABASE_URL),,DATABASE_URL=sqlite:///$(SITE_DIR)/db.sqlite3)
endif

.PHONY: setup run serve test lint bench loadtest db editor clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# axe-core for the accessibility tests (npm); without npm those tests are skipped, saying so.
node_modules/.installed: package.json
	@if command -v npm >/dev/null; then \
		npm install --no-package-lock --no-audit --no-fund --silent && touch $@ \
			|| echo "npm install failed: the accessibility tests will be skipped"; \
	else echo "npm not found: the accessibility tests will be skipped (apt-get install npm)"; fi

setup: $(VENV)/.installed node_modules/.installed

db: setup
	@$(if $(SITE_DIR),mkdir -p $(SITE_DIR) && echo "Site folder: $(SITE_DIR) (the database and uploads for $(DATA_DIR))")
	$(DEV_ENV) $(PY) manage.py migrate --verbosity 0
	$(DEV_ENV) $(PY) manage.py import_guides
	$(DEV_ENV) $(PY) manage.py render_guides --verbosity 0  # what an older renderer made

# An account for the admin: `make editor NAME=alice` asks for its password (DATA= as for run).
NAME ?= $(or $(USER),editor)
editor: db
	$(DEV_ENV) $(PY) manage.py create_editor $(NAME)

# Absolute URLs (feeds, sitemaps, canonical links) name the port served, unless set.
# A task worker runs beside the server (Sync now, scheduled publishing) and stops with it.
run: db
	@echo "Site:  http://127.0.0.1:$(PORT)/"
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/  (an account: make editor NAME=you$(if $(DATA), DATA=$(DATA)))"
	@$(DEV_ENV) $(PY) manage.py run_worker --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	GUIDES_BASE_URL=$${GUIDES_BASE_URL:-http://127.0.0.1:$(PORT)/guides} \
		$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production-style: gunicorn with 2 workers per CPU (+1), whitenoise for static files, and
# one task worker beside it (on more machines, run `manage.py run_worker` on any of them).
# Needs SECRET_KEY and ALLOWED_HOSTS in the environment (docs/deploying.md).
serve: setup
	$(PY) manage.py migrate --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py run_worker --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn guides_site.wsgi --bind $${BIND:-127.0.0.1:8000} \
		--workers $${WEB_CONCURRENCY:-$$(( $$(nproc) * 2 + 1 ))} --access-logfile - \
		--logger-class guides_site.serving.RedactingLogger

# The suite in parallel: TEST_WORKERS processes (each with its own test database), one more
# than the CPUs: tests wait on servers, browsers and git, but the run is CPU-bound, and on
# two CPUs a fourth worker only adds contention (PostgreSQL 3 min 56 s with 3, 4 min 09 s
# with 4; SQLite 3 min 33 s and 3 min 30 s). Tests go out two at a time (--maxschedchunk 2):
# xdist's first hand-out is otherwise a quarter of each worker's share in one block, and the
# slow tests (first: tests/conftest.py) kept two workers busy 80 s after the others ended.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/run_all.py

# 60 s at 64 connections against gunicorn, then again while imports run (needs wrk).
loadtest: setup
	$(PY) bench/load_test.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
