"""The version matrix: ``make matrix`` (CI runs it through ``make test``).

Every session builds the sdist and the wheel from this checkout, unpacks the sdist into a
fresh temporary directory (no sibling folders: it proves a bare clone and the sdist at
once), installs the wheel (not editable) with the ``aiohttp``, ``otel`` and ``testing`` extras and
the ``test`` dependency group, and runs the whole suite from the unpacked tree, warnings
as errors, without coverage.

- ``tests-3.10`` ... ``tests-3.13``: the newest releases the resolver picks.
- ``lowest``: the oldest supported Python with every runtime dependency pinned to the
  floor pyproject.toml declares (``tools/lowest-constraints.txt``).

A Python that is not installed is skipped, and nox says so ("Skipping ... interpreter
not found"); ``make matrix`` puts ``~/.pyenv/versions/*/bin`` on PATH first.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: Warnings as errors, like ``make unit``; no cache directory written into the tree.
PYTEST_ARGS = ("-W", "error", "-q", "-p", "no:cacheprovider")
LOWEST_CONSTRAINTS = ROOT / "tools" / "lowest-constraints.txt"

#: Printed by every session, so that its log says what it proved.
_VERSIONS = (
    "import sys, importlib.metadata as m; print(sys.version.split()[0], *(f'{d}=={m.version(d)}' "
    "for d in ('personalize-lite', 'httpx', 'httpx-aiohttp', 'attrs', 'cattrs', 'anyio', "
    "'botocore', 'respx', 'opentelemetry-api')))"
)

nox.options.sessions = ["tests", "lowest"]
# Skip (and say so) rather than fail when an interpreter is missing; nox would otherwise
# turn that into an error whenever CI is set.
nox.options.error_on_missing_interpreters = False
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = False


def _build(session: nox.Session, out: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel of this checkout into ``out``."""
    session.install("build>=1.2")
    session.run("python", "-m", "build", "--outdir", str(out), str(ROOT), silent=True)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def _unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    (tree,) = (path for path in into.iterdir() if path.is_dir())
    return tree


def _suite(session: nox.Session, constraints: list[str]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="personalize-lite-matrix-"))
    try:
        sdist, wheel = _build(session, workdir / "dist")
        tree = _unpack(sdist, workdir / "src")
        session.install(
            *constraints,
            f"{wheel}[aiohttp,otel,testing]",
            *nox.project.dependency_groups(PYPROJECT, "test"),
        )
        session.run("python", "-c", _VERSIONS)
        session.chdir(tree)
        session.run("python", "-m", "pytest", *PYTEST_ARGS, *session.posargs)
    finally:
        session.chdir(ROOT)
        shutil.rmtree(workdir, ignore_errors=True)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The full suite from the unpacked sdist, newest dependency releases."""
    _suite(session, [])


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The full suite from the unpacked sdist at the declared floors, oldest Python."""
    _suite(session, ["-c", str(LOWEST_CONSTRAINTS)])
