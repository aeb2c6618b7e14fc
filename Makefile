# canary: `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test fuzz screenshot lint typecheck check peers-venv bench-peers clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies (skipped when up to date)

run: $(STAMP) ## Run every monitor of canary.yaml on the bundled sample warehouse
	$(BIN)/canary run

test: $(STAMP) ## Run the whole test suite (two workers; PYTEST_ARGS adds options)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

fuzz: $(STAMP) ## Run the property tests with many random examples (FUZZ_EXAMPLES, default 500)
	CANARY_PROPERTY_EXAMPLES=$(or $(FUZZ_EXAMPLES),500) $(BIN)/python -m pytest -n 2 $(wildcard tests/test_*_properties.py) $(PYTEST_ARGS)

screenshot: $(STAMP) ## Regenerate the README's pictures in docs/ (Slack and the Prefect UI; Debian's chromium, fonts-lato)
	$(BIN)/python -m screens docs
	CANARY_UI_SCREENSHOT=$(CURDIR)/docs/prefect-ui-failed-run.png $(BIN)/python -m pytest -m prefect_ui

lint: $(STAMP) ## ruff on the code
	$(BIN)/ruff check src tests flows screens $(wildcard bench)
	$(BIN)/ruff format --check src tests flows screens $(wildcard bench)

typecheck: $(STAMP) ## mypy on src and screens
	$(BIN)/mypy src screens

check: lint typecheck test ## Everything CI runs

SODA       := .bench/soda
SODA_STAMP := $(SODA)/.installed

$(SODA_STAMP): bench/peers-constraints.txt
	test -x $(SODA)/bin/python || $(PYTHON) -m venv $(SODA)
	$(SODA)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/peers-constraints.txt
	touch $(SODA_STAMP)

peers-venv: $(SODA_STAMP) ## Soda Core in a venv of the bench's own (.bench/soda), never canary's

bench-peers: $(STAMP) $(SODA_STAMP) ## canary against Soda Core on the same tables (SIZES, default 200000x8,200000x104)
	$(BIN)/python -m bench.peers $(if $(SIZES),--sizes $(SIZES)) $(PEERS_ARGS)

clean: ## Remove the venv, the sample data and caches
	rm -rf $(VENV) .bench .canary .pytest_cache .mypy_cache .ruff_cache
