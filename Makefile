# personalize-lite: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The benchmark has its own venv: the package with its aiohttp extra, boto3, aiobotocore.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS  ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint types unit coverage clean bench reliability soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,aiohttp,testing]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its dev and aiohttp extras

run: $(STAMP) ## start the local emulator (`personalize-lite serve`, SigV4 checked) and play a job lifecycle: create, list, wait, describe
	env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		$(BIN)/python -m personalize_lite.testing.demo

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP) ## mypy --strict
	$(BIN)/mypy

# coverage starts before pytest: the pytest11 plugin imports the package at start-up,
# before pytest-cov would begin measuring.
unit: $(STAMP) ## pytest, warnings as errors, with coverage
	$(BIN)/coverage run -m pytest -W error
	$(BIN)/coverage report --skip-covered

test: lint types unit ## everything CI runs: lint, types, tests

RELIABILITY_TESTS := tests/test_faults.py tests/test_fuzz.py tests/test_secrets.py tests/test_soak.py

reliability: $(STAMP) ## the reliability tests (faults, fuzz, secrets, fast soak), warnings as errors
	$(BIN)/python -m pytest -W error $(RELIABILITY_TESTS)

soak: $(STAMP) ## the long soak (~20,000 calls per client, figures printed); see RELIABILITY.md
	PL_SOAK=long $(BIN)/python -m pytest -W error -s tests/test_soak.py

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage

# One pip run, so that boto3 resolves to the botocore that aiobotocore pins.
$(BENCH_STAMP): pyproject.toml bench/requirements.txt
	$(PYTHON) -m venv --clear $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[aiohttp]' -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## against a local nginx: cold start, memory, µs/call vs boto3, aiobotocore, raw httpx (BENCH_ARGS=--quick)
	@PATH="$$PATH:/usr/sbin:/usr/local/sbin:/sbin"; command -v nginx >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light || \
		 DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx)
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)
