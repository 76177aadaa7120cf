# Everything a newcomer needs: `make demo` and `make test` set up their own local venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 6006

.PHONY: setup demo test lint bench clean

$(BIN)/.ploteries-installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/.ploteries-installed

chromium:
	@command -v chromium >/dev/null 2>&1 || command -v /usr/bin/chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Write a demo database from a small CPU training loop, then serve the viewer on http://127.0.0.1:$(PORT)
demo: setup
	$(BIN)/python examples/train_demo.py --log-dir runs/demo
	$(BIN)/python -m ploteries.viz runs --port $(PORT)

## Install everything (venv, torch, chromium) and run the whole test suite
test: setup chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
