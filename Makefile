# prep_app: `make run` to try it, `make test` to check it. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# `make run` is development mode (a per-machine secret key, cookies over plain http); the
# tests are testing mode. Anything else (gunicorn wsgi:app) is production: see .env.example.
FLASK := PREP_ENV=development $(BIN)/flask --app prep_app
PYTEST := PREP_ENV=testing $(BIN)/pytest

.PHONY: install run test lint test-sqlite test-postgres bench audit pico messages clean

# Each language's translations (prep_app/translations/<language>/LC_MESSAGES/messages.po),
# compiled to the .mo files the app reads.
TRANSLATIONS := prep_app/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

install: $(VENV)/.installed $(MO)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# The Nu Html Checker (npm package vnu-jar, run with the machine's Java) for `make test`;
# Lighthouse too for `make audit`. Both into node_modules/, at the versions package-lock.json
# pins; --ignore-scripts: vnu-jar's own install script would download a Java runtime.
VNU := node_modules/vnu-jar/build/dist/vnu.jar
LIGHTHOUSE := node_modules/.bin/lighthouse

$(VNU): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --omit=dev --ignore-scripts --no-audit --no-fund && touch $@; \
	else echo "npm is missing: the Nu Html Checker test skips (and fails in CI)"; fi

$(LIGHTHOUSE): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@ $(VNU)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

# The web server and, beside it, the job worker that sends texts and emails (in development
# they land in the outbox: /board/outbox). Ctrl+C stops both.
run: install
	$(FLASK) db upgrade
	$(FLASK) jobs init
	PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT) with a job worker  (Ctrl+C stops both)"
	@export PUBLIC_BASE_URL=http://$(HOST):$(PORT); \
	$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff (with the S security rules) and bandit: zero findings, or a commented exception.
lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive prep_app wsgi.py

# The whole suite, browser tests included (the Nu Html Checker last, on every page they saved), once on SQLite and once on a throwaway PostgreSQL
# the tests start themselves. Without PostgreSQL or Chromium those tests skip, saying so;
# with PREP_REQUIRE_ALL=1 (CI) they fail instead.
test-sqlite: install $(VNU)
	PREP_TEST_DB=sqlite $(PYTEST)

test-postgres: install $(VNU)
	PREP_TEST_DB=postgresql $(PYTEST)

test: lint test-sqlite test-postgres

# Lighthouse on patient and staff pages and the Nu Html Checker on the pages the last
# browser-test run saved; scores into docs/audit.md. Not part of `make test` (minutes, and
# scores vary with the machine's load).
audit: install $(LIGHTHOUSE)
	$(BIN)/python -m audit

# Pico, only the modules styles/pico-subset.scss keeps, from the npm package's Sass sources.
PICO := prep_app/static/vendor/pico-2.1.1.subset.min.css
pico: $(LIGHTHOUSE)
	{ printf '/*! Pico CSS v2.1.1 (https://picocss.com), MIT licence: pico-2.1.1.LICENSE.md. Only the modules in styles/pico-subset.scss. */\n'; \
	  node_modules/.bin/sass --no-source-map --no-charset --style=compressed --quiet-deps --silence-deprecation=import \
	    --load-path=node_modules/@picocss/pico/scss styles/pico-subset.scss; } > $(PICO)

bench: install
	$(BIN)/python -m bench

# The translation template (every string wrapped in _() in the code and templates), merged
# into each language's .po: new strings arrive there untranslated, to be written.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching \
	  --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules instance/*.sqlite3* .pytest_cache .ruff_cache
