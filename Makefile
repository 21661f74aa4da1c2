# Two commands do everything on a fresh machine: `make repro` and `make test`.
# Both create .venv, install the pinned requirements and then this package (editable) on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Stage commands say `python`: the venv's, so it comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: repro test benchmark
repro: $(VENV)/.installed
	$(BIN)/dvc repro

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

benchmark: $(VENV)/.installed
	$(BIN)/python benchmarks/benchmark.py --full-repro

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (or run: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@
