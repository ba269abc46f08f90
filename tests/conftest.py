"""Shared fixtures: the anyio backends and the drivers, an isolated AWS environment, the
fixture server, the loopback stand-ins of ``tests/support``, and a guard that fails a test
which opens a socket to anything but loopback."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from personalize_lite._steps import Plan
from personalize_lite.testing import FixtureServer
from tests.support.drive import DRIVERS, async_runner, sync_runner
from tests.support.fault_server import FaultServer, started_servers
from tests.support.metadata_server import MetadataServer, Run
from tests.support.paths import FIXTURES as FIXTURES_DIR
from tests.support.sts_server import StsStandIn

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _parametrizes(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test's own ``parametrize`` marks name ``name``."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs["argnames"]
        if name in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """An async test that does not take ``driver`` runs on asyncio and on trio (unless it
    parametrizes ``anyio_backend`` itself); one that takes ``driver`` gets one backend per
    driver from ``anyio_backend`` below."""
    if (
        "anyio_backend" in metafunc.fixturenames
        and "driver" not in metafunc.fixturenames
        and not _parametrizes(metafunc, "anyio_backend")
    ):
        metafunc.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The backend of every ``pytest.mark.anyio`` test: asyncio and trio in turn, or, for a
    test that takes ``driver``, the driver's own: trio for "trio", asyncio for the others
    (the sync client then runs in a worker thread of an asyncio test, so ``fail_after``
    still bounds it). Every driver thus runs once, never once per backend."""
    if "driver" in request.fixturenames:
        return "trio" if request.getfixturevalue("driver") == "trio" else "asyncio"
    return str(request.param)


@pytest.fixture
def aws_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose AWS files are empty files under tmp_path (never ~/.aws)."""
    config = tmp_path / "aws-config"
    shared = tmp_path / "aws-credentials"
    config.write_text("", encoding="utf-8")
    shared.write_text("", encoding="utf-8")
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(shared),
        # Never let a credential search reach the real instance metadata address.
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def botocore_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """os.environ with every AWS_ variable removed, for the botocore side of parity tests
    (test_config, test_credentials); botocore's chain never reaches the instance metadata
    address. test_assume_role has its own: it also points the files at tmp_path and sets a
    region, and returns that folder."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """A fresh FixtureServer per test (cassettes count what they served)."""
    with FixtureServer([FIXTURES_DIR]) as server:
        yield server


def _tcp_server(on_accept: Callable[[socket.socket], None]) -> Iterator[tuple[str, int]]:
    """A TCP server on 127.0.0.1 (in a thread) calling ``on_accept`` on each connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # includes the accept timeout
                continue
            accepted.append(conn)
            on_accept(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()[:2]
        yield str(host), int(port)
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """Accepts connections and never answers."""
    yield from _tcp_server(lambda _conn: None)


@pytest.fixture
def hangup_server() -> Iterator[tuple[str, int]]:
    """Accepts a connection, reads the request, closes without answering."""

    def hang_up(conn: socket.socket) -> None:
        conn.settimeout(1.0)
        with contextlib.suppress(OSError):
            # The whole request: closing with any of it unread sends a reset, which the
            # client reports as "reset by peer" instead of the clean hang-up under test
            # (seen under load, when the body arrived after the first read).
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            while len(body) < length and (chunk := conn.recv(65536)):
                body += chunk
        conn.close()

    yield from _tcp_server(hang_up)


@pytest.fixture
def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse (and report) any name lookup or connection that is not loopback: every test
    talks to respx, a mock transport, or a server on 127.0.0.1, never anything else."""
    violations: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def host_of(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and host_of(host) not in _LOOPBACK:
            violations.append(f"getaddrinfo({host!r})")
            raise OSError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if (
            sock.family in (socket.AF_INET, socket.AF_INET6)
            and host_of(address[0]) not in _LOOPBACK
        ):
            violations.append(f"connect({address!r})")
            raise OSError(f"test tried to connect to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    assert not violations, f"non-loopback network access: {violations}"


# ----------------------------------------------------------------- provider stand-ins
# Shared by test_imds / test_container (``server``, ``driver``, ``sleeps``, ``run``) and by
# test_sts / test_assume_role (``sts``). ``driver`` also serves test_create, test_list and
# test_tracing; reliability/test_faults and test_proxy have four drivers of their own.


@pytest.fixture
def server() -> Iterator[MetadataServer]:
    """A fresh IMDS / container-endpoint stand-in on 127.0.0.1
    (``tests/support/metadata_server.py``), closed after the test."""
    stub = MetadataServer()
    try:
        yield stub
    finally:
        stub.close()


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    """The driver under test (``run`` uses it): the sync one, or the async one on asyncio
    or on trio; an async test taking it runs on that driver's backend only."""
    return str(request.param)


@pytest.fixture
def sleeps() -> list[float]:
    """Every Sleep step the driver was asked for (none is slept for real)."""
    return []


@pytest.fixture
def run(driver: str, sleeps: list[float]) -> Run:
    """``await run(plan)``: the plan's result through the driver under test."""

    async def run_plan(plan: Plan[Any]) -> Any:
        if driver == "sync":
            with sync_runner(sleep=sleeps.append) as run_sync:
                return run_sync(plan)

        async def record(seconds: float) -> None:
            sleeps.append(seconds)

        async with async_runner(sleep=record) as run_async:
            return await run_async(plan)

    return run_plan


@pytest.fixture
def sts() -> Iterator[StsStandIn]:
    """A fresh loopback STS stand-in (``tests/support/sts_server.py``), shut down after the test."""
    with StsStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def serve() -> Iterator[Callable[..., FaultServer]]:
    """``serve(action, ...)``: a started FaultServer (``tests/support/fault_server.py``)
    with that script; every one started is closed after the test (test_create, test_list,
    reliability/test_faults)."""
    yield from started_servers()
