# socflow: `make run` starts the embedded server, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
export SOCFLOW_DATA_DIR ?= $(CURDIR)/.socflow

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/socflow db upgrade
	$(BIN)/socflow serve

test: $(STAMP_TEST)
	$(BIN)/ruff check socflow tests bench
	$(BIN)/mypy socflow
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --cov --cov-report=term:skip-covered --cov-report=xml

lint: $(STAMP_TEST)
	$(BIN)/ruff check socflow tests bench
	$(BIN)/ruff format --check socflow tests bench
	$(BIN)/mypy socflow
	$(BIN)/lint-imports

bench: $(STAMP_TEST)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache coverage.xml .coverage
