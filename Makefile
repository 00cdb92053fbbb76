# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
WORKER_CONCURRENCY ?= 4
# Links in emails point at the server make run starts, unless SITE_URL says otherwise.
SITE_URL ?= http://$(HOST):$(PORT)
export HOST PORT WEB_WORKERS WORKER_CONCURRENCY SITE_URL

.PHONY: run test lint migrate superuser clean bench bench-drift

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Driftwatch needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $@

## make run: web + worker + beat in the foreground (Ctrl-C stops all three).
run: $(VENV)/.installed
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) manage.py shell -c "from django.conf import settings as s; print('Driftwatch on http://$(HOST):$(PORT)  database=' + s.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1] + '  broker=' + s.CELERY_BROKER_URL.split('://')[0] + '  email=' + ('smtp' if s.EMAIL_URL else 'printed here'))"
	WEB_PORT=$(PORT) exec $(VENV)/bin/honcho -f Procfile start

## make test: the whole suite; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set, else SQLite + embedded broker.
test: $(VENV)/.installed
	@mkdir -p var
	@echo "database: $${DATABASE_URL:-embedded SQLite}   broker: $${REDIS_URL:-embedded filesystem transport}   chromium: $$(command -v chromium || echo 'not installed: browser tests will be skipped')"
	$(PY) -m pytest -rs -q $(PYTEST_ARGS)

## make bench: the benchmark on PostgreSQL + Redis (bench/README.md). It drops and recreates the bench
## database (DATABASE_URL, default .../driftwatch_bench) and flushes REDIS_URL (default db 7).
## Options in BENCH_ARGS, e.g. make bench BENCH_ARGS="--monitors 10000 --duration 600".
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)

## make bench-drift: parse + shape + diff of seeded 1 MB bodies (no database); writes bench/results/drift.json.
bench-drift: $(VENV)/.installed
	$(PY) -m bench.drift $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	@# DATA-07: the PostgreSQL SQL of each migration (SQLite's table rebuilds would all look unsafe).
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then $(PY) manage.py lintmigrations --no-cache --quiet ok ignore; \
	else echo "lintmigrations skipped: it lints PostgreSQL's SQL, set DATABASE_URL=postgres://..."; fi

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

superuser: $(VENV)/.installed
	$(PY) manage.py createsuperuser

clean:
	rm -rf var/broker var/cache var/test-db.sqlite3
