# Three commands do everything on a fresh machine: `make sample` (offline), `make repro` and
# `make test`. Each creates .venv, installs the pinned requirements and then this package
# (editable) on first use. A .venv this Makefile created whose set-up was interrupted, or whose
# requirements.txt or pyproject.toml changed since, is made again from empty; a .venv you made
# yourself is installed into, never removed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Marks a .venv this Makefile created (and so may remove).
MADE_HERE := .created-by-make
# Stage commands say `python`: the venv's, so it comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: repro sample test benchmark
repro: $(VENV)/.installed
	@$(BIN)/dvc repro || { status=$$?; echo; \
	  echo "make repro failed. Offline (no TFDS download)? 'make sample' runs the whole pipeline on the"; \
	  echo "real AG News sample bundled in data/sample, with no network."; exit $$status; }

# The whole DAG on the bundled sample, as a DVC experiment: the workspace ends with its
# outputs, and params.yaml says data.source: csv (what produced them; `git checkout HEAD -- params.yaml`
# and `make repro` go back to the full dataset).
# A second run with nothing changed records no new experiment.
sample: $(VENV)/.installed
	@if $(BIN)/python -c "$$SAMPLE_SET" 2>/dev/null && $(BIN)/dvc status --quiet 2>/dev/null; then \
	  echo "make sample: params.yaml already names the sample and every stage is up to date: nothing to run"; \
	else $(BIN)/dvc exp run -S data.source=csv -S data.csv_dir=data/sample; fi
export SAMPLE_SET := import sys, yaml; d = yaml.safe_load(open("params.yaml"))["data"]; sys.exit(d["source"] != "csv" or d["csv_dir"] != "data/sample")

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

benchmark: $(VENV)/.installed
	$(BIN)/python benchmarks/benchmark.py --full-repro

# Bytecode of the installed packages is compiled by compileall on every core, not by pip on one
# (TensorFlow's thousands of files: ~16 s instead of ~30 s on 2 cores).
$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (or run: make PYTHON=python3 ...)"; exit 1; }
	@# pip would count the half-unpacked packages of an interrupted set-up as installed
	@if [ -f $(VENV)/$(MADE_HERE) ]; then echo "removing $(VENV) (an earlier set-up's) to set up again"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	touch $(VENV)/$(MADE_HERE)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@
