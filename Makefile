# joindots: `make demo` sets up and runs the demo; `make test` runs every check CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test check lint typecheck pytest clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,spark]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/joindots demo

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: setup
	$(BIN)/mypy

check: lint typecheck

pytest: setup
	scripts/test-services
	$(BIN)/pytest -n 2 --dist loadgroup

test: check pytest

clean:
	rm -rf $(VENV) joindots.db joindots-work .pytest_cache .mypy_cache .ruff_cache
