"""``make dist-check``: check the sdist and the wheel in ``dist/`` before they are published.

1. ``twine check`` passes on both.
2. The wheel holds ``py.typed``, the bundled cassettes and the licence file, and no
   tests, caches or virtual environments.
3. The sdist holds exactly the tree pyproject.toml asks for: every path starts with one of
   ``SDIST_ALLOWED`` and every entry of ``SDIST_REQUIRED`` is there (bench/, .ci/, the
   Makefile and the long docs stay out on purpose).
4. The wheel alone, installed in a fresh venv, works: ``personalize-lite serve`` starts on
   127.0.0.1 and ``personalize-lite describe`` against it prints the job. Every wait is
   bounded; the server is stopped at the end, whatever happens.

Usage: ``python tools/dist_check.py [DIST_DIR]`` (default ``dist``). Exit 0 when all hold.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import venv
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Final

__all__ = [
    "SDIST_ALLOWED",
    "SDIST_REQUIRED",
    "WHEEL_FORBIDDEN",
    "WHEEL_REQUIRED",
    "check_sdist_names",
    "check_wheel_names",
    "main",
]

#: Every wheel must hold these (paths inside the wheel).
WHEEL_REQUIRED: Final = (
    "personalize_lite/__init__.py",
    "personalize_lite/py.typed",
    "personalize_lite/fixtures/active-full.json",
    "personalize_lite/fixtures/credentials/example.json",
)
#: No path component of a wheel entry may be one of these.
WHEEL_FORBIDDEN: Final = (
    "tests",
    "__pycache__",
    ".venv",
    ".venv-bench",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "bench",
    "tools",
)
#: What the sdist may hold (relative to its top directory): a path must equal one of these
#: or lie under one that ends with "/".
SDIST_ALLOWED: Final = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    ".gitignore",
    "noxfile.py",
    "tools/dist_check.py",
    "tools/lowest-constraints.txt",
    "src/personalize_lite/",
    "fixtures/",
    "tests/",
)
SDIST_REQUIRED: Final = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "noxfile.py",
    "tools/lowest-constraints.txt",
    "src/personalize_lite/py.typed",
    "fixtures/credentials/example.json",
    "tests/conftest.py",
    "tests/support/__init__.py",
    "tests/reliability/conftest.py",
    "tests/vectors/README.md",
)
_SDIST_FORBIDDEN_PARTS: Final = frozenset(WHEEL_FORBIDDEN) - {"tests", "tools"}

JOB_ARN: Final = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-full"
_READY: Final = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
_WAIT: Final = 60.0


def check_wheel_names(names: Iterable[str]) -> list[str]:
    """The problems with a wheel holding ``names`` (empty when it is fine)."""
    names = list(names)
    problems = [f"wheel lacks {need}" for need in WHEEL_REQUIRED if need not in names]
    if not any(re.fullmatch(r"[^/]+\.dist-info/licenses/LICENSE", name) for name in names):
        problems.append("wheel lacks the licence file (*.dist-info/licenses/LICENSE)")
    for name in names:
        parts = name.split("/")
        bad = [part for part in parts if part in WHEEL_FORBIDDEN or part.endswith(".pyc")]
        top = parts[0] == "personalize_lite" or parts[0].endswith(".dist-info")
        if bad or not top:
            problems.append(f"wheel must not hold {name}")
    return problems


def check_sdist_names(names: Iterable[str]) -> list[str]:
    """The problems with an sdist holding ``names`` (paths below its top directory)."""
    names = list(names)
    problems = [f"sdist lacks {need}" for need in SDIST_REQUIRED if need not in names]
    for name in names:
        allowed = any(
            name == entry or (entry.endswith("/") and name.startswith(entry))
            for entry in SDIST_ALLOWED
        )
        parts = name.split("/")
        cached = any(part in _SDIST_FORBIDDEN_PARTS or part.endswith(".pyc") for part in parts)
        if not allowed or cached:
            problems.append(f"sdist must not hold {name}")
    return problems


def _sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        members = [m.name for m in archive.getmembers() if not m.isdir()]
    return [name.split("/", 1)[1] for name in members if "/" in name]


def _twine_check(files: list[Path]) -> list[str]:
    result = subprocess.run(  # noqa: S603 (our interpreter, our files)
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    print(result.stdout, end="")
    return [] if result.returncode == 0 else [f"twine check failed: {result.stderr.strip()}"]


def _example_keys(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        keys = json.loads(archive.read("personalize_lite/fixtures/credentials/example.json"))
    return {"id": keys["access_key_id"], "secret": keys["secret_access_key"]}


def _clean_env(home: Path) -> dict[str, str]:
    """No profile, no config file, no token from the caller's shell."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PYTHON", "PERSONALIZE_LITE_", "VIRTUAL_ENV", "PIP_"))
    }
    env |= {
        "HOME": str(home),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_REGION": "us-east-1",
    }
    return env


def _read_line(stream: IO[str] | None, timeout: float) -> str:
    """One line from a pipe, or "" after ``timeout`` seconds (readline alone could block)."""
    if stream is None:
        return ""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else ""


def smoke_test(wheel: Path) -> list[str]:
    """Install ``wheel`` alone in a fresh venv; serve, then describe against the server."""
    with tempfile.TemporaryDirectory(prefix="personalize-lite-dist-check-") as tmp:
        root = Path(tmp)
        venv.create(root / "venv", with_pip=True)
        bin_dir = root / "venv" / "bin"
        subprocess.run(  # noqa: S603 (the fresh venv's pip, our wheel)
            [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
            check=True,
            timeout=600,
        )
        env = _clean_env(root)
        cli = str(bin_dir / "personalize-lite")
        with subprocess.Popen(  # noqa: S603 (the installed console script)
            [cli, "serve", "--port", "0", "--host", "127.0.0.1"],
            env=env,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        ) as server:
            try:
                ready = _read_line(server.stdout, _WAIT)
                found = _READY.search(ready)
                if found is None:
                    return [f"personalize-lite serve did not start: {ready!r}"]
                keys = _example_keys(wheel)
                env |= {"AWS_ACCESS_KEY_ID": keys["id"], "AWS_SECRET_ACCESS_KEY": keys["secret"]}
                result = subprocess.run(  # noqa: S603 (the installed console script)
                    [cli, "describe", JOB_ARN, "--output", "json", "--endpoint-url", found[1]],
                    env=env,
                    cwd=root,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=_WAIT,
                    check=False,
                )
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
        print(f"$ personalize-lite describe {JOB_ARN} --output json\n{result.stdout}", end="")
        return _check_describe(result.returncode, result.stdout, result.stderr)


def _check_describe(code: int, stdout: str, stderr: str) -> list[str]:
    if code != 0:
        return [f"personalize-lite describe exited {code}: {stderr.strip()}"]
    try:
        job = json.loads(stdout)["batchInferenceJob"]
    except (ValueError, KeyError, TypeError):
        return [f"personalize-lite describe printed no job: {stdout!r}"]
    problems = []
    if job.get("batchInferenceJobArn") != JOB_ARN:
        problems.append(f"describe printed another job: {job.get('batchInferenceJobArn')!r}")
    if job.get("status") != "ACTIVE":
        problems.append(f"describe printed status {job.get('status')!r}, expected 'ACTIVE'")
    return problems


def main(argv: list[str] | None = None) -> int:
    dist = Path((argv if argv is not None else sys.argv[1:])[0] if argv or sys.argv[1:] else "dist")
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"dist-check: expected one sdist and one wheel in {dist}/", file=sys.stderr)
        return 1
    sdist, wheel = sdists[0], wheels[0]
    with zipfile.ZipFile(wheel) as archive:
        problems = check_wheel_names(archive.namelist())
    problems += check_sdist_names(_sdist_names(sdist))
    problems += _twine_check([sdist, wheel])
    if not problems:
        problems += smoke_test(wheel)
    for problem in problems:
        print(f"dist-check: {problem}", file=sys.stderr)
    print(f"dist-check: {'FAILED' if problems else 'ok'} ({sdist.name}, {wheel.name})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
