# prep_app: `make run` to try it, `make test` to check it. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := PREP_ENV=development $(BIN)/flask --app prep_app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint test-sqlite test-postgres bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check prep_app tests migrations wsgi.py
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive prep_app

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	PREP_TEST_DB=postgresql $(BIN)/pytest -m "not e2e"

test: lint test-sqlite test-postgres

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
