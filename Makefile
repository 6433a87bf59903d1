# socflow: `make run` starts the embedded server, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
export SOCFLOW_DATA_DIR ?= $(CURDIR)/.socflow

.PHONY: run test lint bench bench-peers-setup clean

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

# Benchmark peers for `python -m bench --suite engine-peers`, kept in bench/.work (never socflow
# dependencies). n8n 2.8.4 is the newest release that supports Node 20; its xlsx dependency points at
# a CDN, so the registry's xlsx 0.18.5 stands in (n8n's spreadsheet nodes are not used here).
PEERS := bench/.work
bench-peers-setup:
	mkdir -p $(PEERS)/n8n
	test -x $(PEERS)/prefect-venv/bin/python || $(PYTHON) -m venv $(PEERS)/prefect-venv
	$(PEERS)/prefect-venv/bin/pip install --quiet 'prefect>=3,<4'
	printf '%s\n' '{"name": "socflow-bench-n8n", "private": true,' \
	  '"dependencies": {"n8n": "2.8.4"}, "overrides": {"xlsx": "0.18.5"}}' > $(PEERS)/n8n/package.json
	cd $(PEERS)/n8n && npm install --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache coverage.xml .coverage
