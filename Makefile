# Two commands for a fresh machine (only Python 3.10+ and make):  make demo  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint bench sim clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(BIN)/.bench-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

demo: $(BIN)/.installed  ## run the quickstart against the embedded local exchange
	$(BIN)/python examples/quickstart.py

test: $(BIN)/.installed  ## run the whole test suite
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/.bench-installed  ## benchmarks side by side with the official o2-sdk
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_client.py
	$(BIN)/python benchmarks/bench_stream.py
	$(BIN)/python benchmarks/bench_parallel.py

.PHONY: docs
docs: $(BIN)/.installed  ## the documentation site in docs/_build/html (a warning fails it)
	$(BIN)/sphinx-build -W --keep-going -n -q docs docs/_build/html

sim: $(BIN)/.installed  ## serve the local exchange on 127.0.0.1
	$(BIN)/o2-sim --port 8080

clean:
	rm -rf $(VENV) *.egg-info
