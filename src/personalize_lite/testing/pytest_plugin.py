"""pytest plugin for personalize-lite cassettes (registered through the ``pytest11``
entry point ``personalize_lite``, so installing the package enables it).

- ``personalize_replay``: a fixture returning ``start(*cassettes, strict=False) ->
  Replay``; every replay it started is stopped at teardown.
- ``@pytest.mark.personalize_cassette("active-full", ..., strict=False)``: the test runs
  under a replay of those cassettes (bundled names or paths); the ``personalize_cassette``
  fixture gives that :class:`~personalize_lite.testing.Replay`. The closest marker wins
  (a function's over its class's or module's).

A request the cassettes do not hold fails the test with ``CassetteMismatchError``; if the
code under test swallowed that error, the test still fails at teardown.

This module imports nothing heavy: personalize-lite's replay code (and respx, from the
``testing`` extra) load only when a test uses the fixture or the marker.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._replay import CassetteSource, Replay

__all__ = [
    "personalize_cassette",
    "personalize_replay",
    "pytest_configure",
    "pytest_runtest_makereport",
]

MARKER = "personalize_cassette"
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*cassettes, strict=False): replay these personalize-lite cassettes "
        "(bundled names or paths) through respx for the whole test; the "
        f"{MARKER} fixture is the Replay",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember how the test's call phase went, so teardown does not pile a second
    failure on a test that already failed."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def _finish(request: pytest.FixtureRequest, replays: list[Replay]) -> None:
    for started in reversed(replays):
        started.stop()
    report = request.node.stash.get(_CALL_REPORT, None)
    if report is not None and report.passed:
        for started in replays:
            started.check()


@pytest.fixture
def personalize_replay(request: pytest.FixtureRequest) -> Iterator[Callable[..., Replay]]:
    """``personalize_replay("active-full", strict=False)`` starts a replay for this test
    and returns it; all are stopped at teardown."""
    from ._replay import Replay

    started: list[Replay] = []

    def start(*cassettes: CassetteSource, strict: bool = False) -> Replay:
        replay = Replay(*cassettes, strict=strict).start()
        started.append(replay)
        return replay

    yield start
    _finish(request, started)


@pytest.fixture
def personalize_cassette(request: pytest.FixtureRequest) -> Iterator[Replay]:
    """The replay of the test's ``@pytest.mark.personalize_cassette(...)``."""
    from ._replay import Replay

    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        pytest.fail(
            f"the {MARKER} fixture needs @pytest.mark.{MARKER}('cassette', ...) on the test",
            pytrace=False,
        )
    options: dict[str, Any] = dict(marker.kwargs)
    strict = options.pop("strict", False)
    if options or not marker.args:
        pytest.fail(
            f"@pytest.mark.{MARKER} takes cassette names or paths and strict=; "
            f"got args={marker.args!r} kwargs={marker.kwargs!r}",
            pytrace=False,
        )
    replay = Replay(*marker.args, strict=bool(strict)).start()
    yield replay
    _finish(request, [replay])


@pytest.fixture(autouse=True)
def _personalize_cassette_marker(request: pytest.FixtureRequest) -> None:
    """Start the marker's replay for tests that carry the marker (and only those)."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("personalize_cassette")
