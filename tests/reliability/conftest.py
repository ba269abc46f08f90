"""The reliability suites: faults, fuzz, secrets and soak.

Every test collected below this folder carries the ``reliability`` marker, so that
``make reliability`` (``pytest -m reliability``) selects them without a file list and
``pytest -m "not reliability"`` leaves them out. They also run with the whole suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's collection hook sees every item of the session, not only its folder's.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.reliability)
