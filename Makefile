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
# The version matrix (noxfile.py) finds interpreters on PATH: add pyenv's, when present.
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/*/bin)
EMPTY :=
SPACE := $(EMPTY) $(EMPTY)
MATRIX_PATH := $(subst $(SPACE),:,$(PYENV_BINS))$(if $(PYENV_BINS),:)$(PATH)
# In CI (CI=true) `make test` also runs dist-check and the version matrix; MATRIX=1 asks for
# both outside CI. A newcomer's `make test` stays lint, types and the suite (~6 min).
RUN_MATRIX := $(filter 1 true,$(or $(MATRIX),$(CI)))

.PHONY: help install run test lint types unit coverage clean bench reliability soak dist dist-check matrix

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[aiohttp,testing]' --group dev
	touch $(STAMP)

install: $(STAMP) ## create .venv: the package (editable) with its aiohttp and testing extras, and the dev group

run: $(STAMP) ## start the local emulator (`personalize-lite serve`, SigV4 checked) and play a job lifecycle: create, list, wait, describe
	env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		$(BIN)/python -m personalize_lite.testing.demo

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests bench tools noxfile.py
	$(BIN)/ruff format --check src tests bench tools noxfile.py

types: $(STAMP) ## mypy --strict
	$(BIN)/mypy

# coverage starts before pytest: the pytest11 plugin imports the package at start-up,
# before pytest-cov would begin measuring.
unit: $(STAMP) ## pytest, warnings as errors, with coverage
	$(BIN)/coverage run -m pytest -W error
	$(BIN)/coverage report --skip-covered

test: lint types unit $(if $(RUN_MATRIX),dist-check matrix) ## lint, types, tests; in CI (CI=true) or with MATRIX=1 also dist-check and the version matrix

matrix: $(STAMP) ## the suite from the unpacked sdist on every Python 3.10-3.13 found, and at the dependency floors (nox)
	PATH="$(MATRIX_PATH)" $(BIN)/nox --non-interactive

dist: $(STAMP) ## build the sdist and the wheel into dist/
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

dist-check: dist ## twine check, the wheel's and sdist's contents, the wheel alone in a fresh venv (serve + describe)
	$(BIN)/python tools/dist_check.py dist

# Selected by marker: tests/reliability/conftest.py marks every test in that folder
# `reliability`; test_soak.py marks its own `soak`.
reliability: $(STAMP) ## the reliability tests (tests/reliability: faults, fuzz, secrets, fast soak), warnings as errors
	$(BIN)/python -m pytest -W error -m reliability tests/reliability

soak: $(STAMP) ## the long soak (~20,000 calls per client, figures printed); see RELIABILITY.md
	PL_SOAK=long $(BIN)/python -m pytest -W error -s -m soak tests/reliability

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage .nox dist

# One pip run, so that boto3 resolves to the botocore that aiobotocore pins. The otel extra
# (opentelemetry-api) and the SDK of bench/requirements.txt are there for the tracing cases.
$(BENCH_STAMP): pyproject.toml bench/requirements.txt
	$(PYTHON) -m venv --clear $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[aiohttp,otel]' -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## against a local nginx: cold start, memory, µs/call vs boto3, aiobotocore, raw httpx, and callgrind instructions per sync call (BENCH_ARGS=--quick, --no-instructions)
	@PATH="$$PATH:/usr/sbin:/usr/local/sbin:/sbin"; command -v nginx >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light || \
		 DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx)
	@case " $(BENCH_ARGS) " in *" --no-instructions "*) ;; *) \
		command -v valgrind >/dev/null || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind);; esac
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)
