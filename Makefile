# nashra: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := config/demo-articles.jsonl

.PHONY: run test lint bench clean

$(BIN)/nashra: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/nashra
	$(BIN)/nashra import --if-empty $(DEMO)
	$(BIN)/nashra serve --host 127.0.0.1 --port 8000

test: $(BIN)/nashra
	$(BIN)/ruff check feeds store tests
	$(BIN)/ruff format --check feeds store tests
	$(BIN)/python -m pytest

bench: $(BIN)/nashra
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
