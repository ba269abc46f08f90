"""Where the tests' data lives: the bundled cassettes (``fixtures/``) and the reference
vectors (``tests/vectors``, origins and licences in its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "REPO", "VECTORS", "load_json"]

#: The checkout (or the unpacked sdist): ``tests/support/paths.py`` is two levels below it.
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
VECTORS = REPO / "tests" / "vectors"


def load_json(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))
