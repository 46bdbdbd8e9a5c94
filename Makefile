# The quick start: `make serve` (install, migrate, demo data, serve on
# http://127.0.0.1:8000 with SQLite; PORT=8080 for another port) and `make test` (the whole suite).
VENV := .venv
PY := $(VENV)/bin/python
DEMO_PASSWORD ?= demo-pass-2026
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: serve test install chromium lint

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

serve: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@echo "Sign in at http://127.0.0.1:$(PORT)/ as marketer, manager or admin with password $(DEMO_PASSWORD)"
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Debian's Chromium drives the browser tests; Playwright never downloads one.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install chromium
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The performance benchmark (docs/performance.md): PostgreSQL at 127.0.0.1:5432
# and SQLite, gunicorn + wrk + Chromium; writes bench/results/latest.md and
# fails when a target is missed. About 6 minutes (the first run adds the data).
.PHONY: bench wrk
bench: install chromium wrk
	$(PY) bench/run.py

wrk:
	@test -x /usr/bin/wrk || { \
	  echo "Installing Debian's wrk for the benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

# The load test (docs/reliability.md): 50 planners saving for 2 minutes against
# gunicorn and PostgreSQL at 127.0.0.1:5432; fails on a server error or a lost
# update. Writes bench/loadtest/results/latest.md.
.PHONY: loadtest
loadtest: install
	$(PY) bench/loadtest/run.py
