# personalize-lite: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test lint types unit coverage clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,aiohttp,testing]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its dev and aiohttp extras

run: $(STAMP) ## start the local emulator (`personalize-lite serve`, SigV4 checked) and describe two jobs against it
	env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		$(BIN)/python -m personalize_lite.testing.demo

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

types: $(STAMP) ## mypy --strict
	$(BIN)/mypy

# coverage starts before pytest: the pytest11 plugin imports the package at start-up,
# before pytest-cov would begin measuring.
unit: $(STAMP) ## pytest, warnings as errors, with coverage
	$(BIN)/coverage run -m pytest -W error
	$(BIN)/coverage report --skip-covered

test: lint types unit ## everything CI runs: lint, types, tests

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage
