"""tools/dist_check.py's content rules, on made-up file lists (``make dist-check`` runs the
whole check, the fresh-venv install included, on the real artefacts)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "dist_check.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dist_check", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dist_check"] = module
    spec.loader.exec_module(module)
    return module


dist_check = _load()

GOOD_WHEEL = [
    "personalize_lite/__init__.py",
    "personalize_lite/py.typed",
    "personalize_lite/fixtures/active-full.json",
    "personalize_lite/fixtures/credentials/example.json",
    "personalize_lite-0.2.0.dist-info/METADATA",
    "personalize_lite-0.2.0.dist-info/licenses/LICENSE",
]
GOOD_SDIST = [
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "noxfile.py",
    "tools/dist_check.py",
    "tools/lowest-constraints.txt",
    "src/personalize_lite/__init__.py",
    "src/personalize_lite/py.typed",
    "fixtures/credentials/example.json",
    "tests/conftest.py",
    "tests/support/__init__.py",
    "tests/reliability/conftest.py",
    "tests/vectors/README.md",
]


def test_a_complete_wheel_passes() -> None:
    assert dist_check.check_wheel_names(GOOD_WHEEL) == []


@pytest.mark.parametrize(
    "missing",
    [
        "personalize_lite/py.typed",
        "personalize_lite/fixtures/active-full.json",
        "personalize_lite-0.2.0.dist-info/licenses/LICENSE",
    ],
)
def test_a_wheel_without_a_required_file_fails(missing: str) -> None:
    problems = dist_check.check_wheel_names(n for n in GOOD_WHEEL if n != missing)
    assert len(problems) == 1
    assert "lacks" in problems[0]


@pytest.mark.parametrize(
    "extra",
    [
        "tests/test_cli.py",
        "personalize_lite/__pycache__/_cli.cpython-311.pyc",
        ".venv/bin/python",
        "personalize_lite/.mypy_cache/x.json",
        "bench/run.py",
        "conftest.py",
    ],
)
def test_a_wheel_with_tests_caches_or_venvs_fails(extra: str) -> None:
    assert dist_check.check_wheel_names([*GOOD_WHEEL, extra]) == [f"wheel must not hold {extra}"]


def test_the_intended_sdist_passes() -> None:
    assert dist_check.check_sdist_names(GOOD_SDIST) == []


@pytest.mark.parametrize(
    "extra",
    [
        "bench/run.py",
        ".ci/run",
        "Makefile",
        "RELIABILITY.md",
        "docs/usage.md",
        "tests/__pycache__/conftest.cpython-311.pyc",
        "tests/.hypothesis/examples/x",
        "tests/support/__pycache__/paths.cpython-311.pyc",
        ".venv/bin/python",
    ],
)
def test_an_sdist_with_anything_off_the_list_fails(extra: str) -> None:
    assert dist_check.check_sdist_names([*GOOD_SDIST, extra]) == [f"sdist must not hold {extra}"]


def test_an_sdist_without_its_tests_fails() -> None:
    names = [n for n in GOOD_SDIST if not n.startswith("tests/")]
    assert dist_check.check_sdist_names(names) == [
        "sdist lacks tests/conftest.py",
        "sdist lacks tests/support/__init__.py",
        "sdist lacks tests/reliability/conftest.py",
        "sdist lacks tests/vectors/README.md",
    ]


def test_describe_output_must_name_the_active_job() -> None:
    job = {"batchInferenceJobArn": dist_check.JOB_ARN, "status": "ACTIVE"}
    good = json.dumps({"batchInferenceJob": job})
    assert dist_check._check_describe(0, good, "") == []
    pending = json.dumps({"batchInferenceJob": {**job, "status": "PENDING"}})
    assert dist_check._check_describe(0, pending, "") == [
        "describe printed status 'PENDING', expected 'ACTIVE'"
    ]
    assert dist_check._check_describe(0, json.dumps(job), "") != []
    assert dist_check._check_describe(1, good, "boom") == [
        "personalize-lite describe exited 1: boom"
    ]
