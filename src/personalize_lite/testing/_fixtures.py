"""Where the bundled fixtures live, and the example keys the emulator accepts by default.

Data only: this module imports nothing else from the package, so the server, the
emulator, replay and the CLI can all use it without importing one another. The keys are
the AWS documentation's public example pair, kept in the fixtures'
``credentials/example.json`` (never a literal in the package's code).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Final

__all__ = ["SECRET_KEY_ENV", "default_fixtures", "example_keys"]

#: Environment variable that replaces the example secret key the emulator accepts.
SECRET_KEY_ENV: Final = "PERSONALIZE_LITE_EMULATOR_SECRET_KEY"  # noqa: S105 (a variable name)

_EXAMPLE_FILE: Final = ("credentials", "example.json")


def _repository_fixtures() -> Path:
    """``fixtures/`` at the top of a checkout (editable and development installs)."""
    return Path(__file__).resolve().parents[3] / "fixtures"


def default_fixtures() -> Path:
    """The bundled cassettes: ``personalize_lite/fixtures`` inside an installed wheel, else
    the repository's ``fixtures/`` (an editable or development install)."""
    packaged = resources.files("personalize_lite") / "fixtures"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return _repository_fixtures()


def example_keys(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The example access key id and secret (``$PERSONALIZE_LITE_EMULATOR_SECRET_KEY``
    replaces the secret when set); :func:`example_credentials` wraps them."""
    source = default_fixtures().joinpath(*_EXAMPLE_FILE)
    data = json.loads(source.read_text(encoding="utf-8"))
    secret = (os.environ if env is None else env).get(SECRET_KEY_ENV) or data["secret_access_key"]
    return data["access_key_id"], secret
