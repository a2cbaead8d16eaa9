# Yiyang: `make demo` runs the platform with a demo city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: demo test lint pytest browser lock schema messages clean

$(VENV)/.installed-base: requirements/base.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/base.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-base requirements/dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	@touch $@

## Run the platform with the demo city on SQLite (var/), on http://127.0.0.1:$(PORT)
demo: $(VENV)/.installed-base
	@YIYANG_MODE=demo PORT=$(PORT) $(BIN)/yiyang demo --port $(PORT)

## Lint, type-check, layering, translations, then the whole test suite
test: lint pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy .
	$(BIN)/python scripts/check_translations.py
	$(BIN)/python scripts/check_sizes.py

## The test suite alone (DATABASE_URL=postgres://... runs it on PostgreSQL): the unit and
## page tests on $(PYTEST_WORKERS) parallel workers, then the browser and live-broker tests on
## as many workers (each has its own live server, Chromium and database file; a browser file
## stays on one worker and the live-broker cases run in series on one, see tests/conftest.py;
## the two kinds spend much of their time waiting, the browser on pages and the kill tests
## on restarts and outages, so they overlap well). Exit code 5 ("nothing selected", e.g.
## PYTEST_ARGS=tests/browser) is not a failure.
pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser and not mqtt" --durations=20 $(PYTEST_ARGS) || [ $$? -eq 5 ]
	@# every browser and live-broker test is marked once: none runs on PostgreSQL
	[[ "$$DATABASE_URL" == postgres* ]] || $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "browser or mqtt" --durations=10 $(PYTEST_ARGS) || [ $$? -eq 5 ]

browser: $(VENV)/.installed-dev
	$(BIN)/pytest tests/browser -p no:xdist $(PYTEST_ARGS)

## Regenerate the committed OpenAPI schema (a test fails when it drifts)
schema: $(VENV)/.installed-dev
	YIYANG_MODE=test $(BIN)/yiyang spectacular --file docs/openapi.yaml --validate --fail-on-warn --lang en

messages: $(VENV)/.installed-dev
	YIYANG_MODE=test $(BIN)/yiyang makemessages -l zh_Hans --ignore=.venv --ignore=bench --ignore=tests --no-obsolete
	YIYANG_MODE=test $(BIN)/yiyang compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
