# Yiyang: `make demo` runs the platform with a demo city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

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

## The test suite alone (DATABASE_URL=postgres://... runs it on PostgreSQL)
pytest: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

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
