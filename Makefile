# Two commands for a fresh machine (only Python 3.10+ and make):  make demo  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test test-min lint bench sim dist docs clean

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

# The suite on the lowest versions pyproject.toml allows: each direct dependency at its
# floor, chosen by uv's resolver (uv comes from PyPI into that venv). Two steps, because
# ccxt pins aiohttp: the suite but what imports ccxt with the aiohttp extra, then what
# imports ccxt (the ccxt tests, the docs build and docstring checks that cover o2_ccxt,
# the guides, the compatibility suite) with the ccxt extra. A failure means a floor is
# not true (tests/ccxt runs alone: its conftest and tests/compat's share a module name).
# Made anew every run; what each step ran on is left in $(MIN_VENV)/*.txt.
NEEDS_CCXT = tests/ccxt tests/compat tests/test_docs.py tests/test_docstrings.py tests/test_guides.py \
             tests/test_public_names.py tests/test_readme.py
MIN_VENV ?= build/test-min-venv
MIN_PIP   = $(MIN_VENV)/bin/python -m uv pip
test-min:  ## the whole test suite on the lowest declared dependency versions
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet uv
	$(MIN_PIP) install --quiet --python $(MIN_VENV)/bin/python --resolution lowest-direct \
		-e '.[aiohttp,test]'
	$(MIN_PIP) freeze --python $(MIN_VENV)/bin/python > $(MIN_VENV)/aiohttp-test.txt
	$(MIN_VENV)/bin/python -m pytest -q $(addprefix --ignore=,$(NEEDS_CCXT))
	$(MIN_PIP) install --quiet --python $(MIN_VENV)/bin/python --resolution lowest-direct \
		-e '.[ccxt,test]'
	$(MIN_PIP) freeze --python $(MIN_VENV)/bin/python > $(MIN_VENV)/ccxt-test.txt
	$(MIN_VENV)/bin/python -m pytest -q tests/ccxt
	$(MIN_VENV)/bin/python -m pytest -q $(filter-out tests/ccxt,$(NEEDS_CCXT))

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/.bench-installed  ## benchmarks side by side with the official o2-sdk
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_client.py
	$(BIN)/python benchmarks/bench_stream.py
	$(BIN)/python benchmarks/bench_parallel.py

dist: $(BIN)/.installed  ## build the sdist and the wheel into dist/
	$(BIN)/python -m pip install --quiet build
	$(BIN)/python -m build --outdir dist .

docs: $(BIN)/.installed  ## the documentation site in docs/_build/html (a warning fails it)
	$(BIN)/sphinx-build -W --keep-going -n -q docs docs/_build/html

sim: $(BIN)/.installed  ## serve the local exchange on 127.0.0.1
	$(BIN)/o2-sim --port 8080

clean:
	rm -rf $(VENV) *.egg-info build dist
