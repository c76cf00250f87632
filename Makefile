# Two commands a new user needs: `make run` and `make test`. Everything else is detail.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# make run PORT=8001 serves elsewhere; links in e-mails and grants follow (SITE_URL).
PORT ?= 8000

.PHONY: run test lint format migrate clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed-run $@

## make run: install, migrate, load the demo catalogue, serve on http://127.0.0.1:8000 (or PORT)
## with a Celery worker and beat. SQLite and an embedded broker unless DATABASE_URL / REDIS_URL
## are set. Exits non-zero if the port is taken or a process stops on its own.
run: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py run_local --addrport 127.0.0.1:$(PORT)

## make test: the whole suite. PostgreSQL and Redis are used when they answer; REQUIRE_SERVICES=1
## makes their absence an error instead of a skip.
test: $(VENV)/.installed-dev
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n auto --dist loadfile

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/ .pytest_cache .ruff_cache
