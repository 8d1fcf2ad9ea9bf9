# Two commands set everything up on a fresh machine with only Python:
#   make demo   — create .venv, install leadcore, run the end-to-end example (LABELS=en for English)
#   make test   — create .venv, install dev extras, run ruff, mypy --strict and pytest (docs included)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LABELS ?= zh

.PHONY: demo test bench bench-quick clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.runtime
	$(PY) examples/quickstart.py --labels $(LABELS)

test: $(VENV)/.dev
	$(PY) -m ruff check src tests benchmarks examples
	$(PY) -m ruff format --check src tests benchmarks examples
	$(PY) -m mypy --strict src tests benchmarks examples
	$(PY) -m pytest -q

bench: $(VENV)/.dev
	$(PY) benchmarks/run.py

bench-quick: $(VENV)/.dev
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build src/*.egg-info .mypy_cache .ruff_cache .hypothesis
