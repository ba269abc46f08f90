"""The declared dependency floors are the ones the version matrix proves.

``noxfile.py``'s ``lowest`` session installs the package with every runtime dependency
pinned by ``tools/lowest-constraints.txt``; a floor raised in ``pyproject.toml`` and not in
that file (or the other way round) would make the session prove some other version. Read
from the installed distribution's metadata, so the check holds for an editable install, the
wheel the matrix installs, and the unpacked sdist (which ships the constraints file).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

CONSTRAINTS = Path(__file__).resolve().parents[1] / "tools" / "lowest-constraints.txt"


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            name, sep, version = text.partition("==")
            assert sep, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _floors() -> dict[str, str]:
    floors: dict[str, str] = {}
    for text in importlib.metadata.requires("personalize-lite") or ():
        requirement = Requirement(text)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{text!r}: one '>=' floor expected"
        floors[canonicalize_name(requirement.name)] = lower[0]
    return floors


def test_every_declared_floor_is_pinned_at_that_version_for_the_lowest_session() -> None:
    floors, pins = _floors(), _pins()
    assert floors, "no requirements read from the metadata"
    mismatched = {
        name: (floor, pins.get(name))
        for name, floor in floors.items()
        if name not in pins or Version(pins[name]) != Version(floor)
    }
    assert mismatched == {}, "declared floor vs lowest-constraints pin"


def test_the_constraints_pin_nothing_the_package_does_not_declare_beyond_test_tools() -> None:
    # Test tools are pinned only where their newest release cannot run with a floor.
    test_tools = {"opentelemetry-sdk", "opentelemetry-instrumentation-httpx", "setuptools"}
    undeclared = set(_pins()) - set(_floors()) - test_tools
    assert undeclared == set()
