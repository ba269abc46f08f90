"""The fault suite: both clients against a misbehaving loopback server.

Every case runs on four drivers: the sync client (in a worker thread of an asyncio test),
the async client on asyncio with the transport it creates itself (httpx-aiohttp), the async
client on asyncio over a plain ``httpx.AsyncClient()`` passed as ``http_client``, and the
async client on trio. The server (``tests/support/fault_server.py``) speaks raw HTTP/1.1 from a
thread, so all four meet the same bytes.

Each case asserts the outcome (the job after retries, or exactly the expected
``PersonalizeError`` subclass, never a raw httpx/anyio/aiohttp/json/OSError exception), the
number of requests the server saw (= the attempts expected, also in ``amz-sdk-request``),
and a wall-clock bound: attempts x timeout + backoff + slack (``bound``). Backoff sleeps are
recorded, not slept, except where a case says otherwise; the jitter draw is fixed at 0.5,
so the delays after attempts 1 and 2 are 0.5 s and 1.0 s. Every async test body runs under
``anyio.fail_after`` so a hang fails instead of blocking.

Beyond the issue's list: a connect timeout, malformed HTTP (which found the aiohttp escape
fixed in ``_transport_errors._aiohttp_error`` and the async driver), a borrowed client that follows
redirects, and a slow drip within the attempt deadline. Then the bounded replies: an
endless body and a gzip bomb cut at ``max_response_bytes``, a body or a head dripping
in cut at the attempt deadline, a credential request bounded by its own deadline.
docs/reliability.md ("Faults") tabulates the behaviour and measured times.

Run: ``.venv/bin/python -m pytest -q -W error tests/reliability/test_faults.py -p no:randomly``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import gzip
import json
import socket
import ssl
import sys
import time
import traceback
import tracemalloc
import warnings
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import TracebackType
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread
import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    BatchInferenceJob,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    Credentials,
    EndpointConnectionError,
    InvalidSignatureException,
    LimitExceededException,
    PersonalizeClient,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResponseParseError,
    ResponseTooLargeError,
    RetryConfig,
    ThrottlingException,
)
from personalize_lite._steps import Plan
from personalize_lite.credentials._container import ContainerProvider
from tests.support.drive import async_runner, sync_runner
from tests.support.fault_server import (
    Drip,
    DripHead,
    Endless,
    FaultServer,
    Raw,
    Reply,
    Reset,
    Seen,
    Silent,
    error_body,
    json_bytes,
)
from tests.support.metadata_server import make_ctx
from tests.support.paths import FIXTURES as FIXTURES_DIR

pytestmark = pytest.mark.anyio

E = TypeVar("E", bound=PersonalizeError)

_STRICT = json.loads((FIXTURES_DIR / "strict-active.json").read_text(encoding="utf-8"))
#: The reply body of strict-active.json: a job with every commonly set field.
JOB_BODY: bytes = _STRICT["interactions"][0]["response"]["body"].encode()
JOB: dict[str, Any] = json.loads(JOB_BODY)
ARN: str = JOB["batchInferenceJob"]["batchInferenceJobArn"]
CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="faultSuiteSecretKeyEXAMPLE")

DRIVERS = ("sync", "asyncio-aiohttp", "asyncio-httpx", "trio")
#: The client's timeout (connect, read, write, pool) in every case.
TIMEOUT = 0.5
#: The fixed backoff jitter draw: delays are 0.5 * min(2 ** (n - 1), max_backoff).
JITTER = 0.5
#: Seconds allowed on top of a computed bound for CI noise (a loaded 2-core runner).
SLACK = 2.0
#: Seconds ``fail_after`` allows on top of a bound before a hang fails the test.
HANG = 15.0


def bound(attempts: int, slept: list[float] | tuple[float, ...] = ()) -> float:
    """The most a call may take: every attempt running to the timeout, the backoff asked
    for (slept for real only where a case says so), and slack."""
    return attempts * TIMEOUT + sum(slept) + SLACK


def guard(attempts: int, *, calls: int = 1) -> float:
    """The ``fail_after`` limit of a test making ``calls`` calls of ``attempts`` attempts."""
    return calls * bound(attempts, [float(2**n) for n in range(attempts)]) + HANG


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def amz_date(seen: Seen) -> datetime:
    """The signing time of a request the server saw."""
    stamp = datetime.strptime(seen.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    return stamp.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- harness


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    """Overrides conftest's ``driver``: the four client set-ups under test."""
    return str(request.param)


@dataclass
class Outcome:
    """What one call did: its job or its error, its wall time, the backoff it asked for."""

    job: BatchInferenceJob | None
    error: Exception | None
    elapsed: float
    slept: list[float] = field(default_factory=list)

    def _typed(self) -> PersonalizeError:
        assert self.error is not None, f"the call succeeded: {self.job!r}"
        if not isinstance(self.error, PersonalizeError):
            trace = "".join(traceback.format_exception(self.error))
            pytest.fail(f"a raw {type(self.error).__name__} escaped the client:\n{trace}")
        return self.error

    def failed_with(self, cls: type[E]) -> E:
        """The error, which must be exactly ``cls`` (not a sibling, not a raw exception)."""
        error = self._typed()
        assert type(error) is cls, f"expected {cls.__name__}, got {type(error).__name__}: {error}"
        assert isinstance(error, cls)  # for mypy
        return error

    def succeeded(self) -> BatchInferenceJob:
        if self.error is not None:
            self._typed()
            pytest.fail(f"expected a job, got {type(self.error).__name__}: {self.error}")
        assert self.job is not None
        return self.job


class Caller:
    """One client of the driver under test pointed at ``url``: ``async with`` it, then
    ``await caller.describe()`` (any number of times)."""

    def __init__(
        self,
        driver: str,
        env: dict[str, str],
        url: str,
        *,
        attempts: int = 3,
        max_backoff: float = 20.0,
        real_sleep: bool = False,
        borrow_following: bool = False,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.driver = driver
        self.real_sleep = real_sleep
        self.borrow_following = borrow_following
        self.slept: list[float] = []
        self.kwargs: dict[str, Any] = {
            "region": "us-east-1",
            "credentials": CREDS,
            "env": env,
            "endpoint_url": url,
            "timeout": TIMEOUT,
            "retry": RetryConfig(max_attempts=attempts, max_backoff=max_backoff),
            "jitter": lambda: JITTER,
            **(options or {}),
        }
        self._sync: PersonalizeClient | None = None
        self._async: AsyncPersonalizeClient | None = None
        self._borrowed: httpx.Client | httpx.AsyncClient | None = None

    def _sleep_sync(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.real_sleep:
            time.sleep(seconds)

    async def _sleep_async(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.real_sleep:
            await anyio.sleep(seconds)
        else:
            await anyio.lowlevel.checkpoint()

    def _borrow(self) -> httpx.Client | httpx.AsyncClient | None:
        """The http_client passed in, if any: a plain httpx one for asyncio-httpx; with
        ``borrow_following``, one that follows redirects, on every driver. Each trusts no
        certificate, as the client's own for http:// (loading the CA bundle is slow)."""
        verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        follow = self.borrow_following
        if self.driver == "sync":
            return httpx.Client(verify=verify, follow_redirects=True) if follow else None
        if self.driver == "asyncio-aiohttp":
            if not follow:
                return None
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport(verify=verify)
            return httpx.AsyncClient(transport=transport, follow_redirects=True)
        if self.driver == "asyncio-httpx" or follow:
            return httpx.AsyncClient(verify=verify, follow_redirects=follow)
        return None

    async def __aenter__(self) -> Caller:
        self._borrowed = self._borrow()
        if self._borrowed is not None:
            self.kwargs["http_client"] = self._borrowed
        if self.driver == "sync":
            self._sync = PersonalizeClient(sleep=self._sleep_sync, **self.kwargs)
            return self
        self._async = AsyncPersonalizeClient(sleep=self._sleep_async, **self.kwargs)
        await self._async.__aenter__()
        transport = type(self._async._client._transport).__name__  # type: ignore[union-attr]
        expected = "AiohttpTransport" if self.driver == "asyncio-aiohttp" else "AsyncHTTPTransport"
        assert transport == expected, f"{self.driver} runs over {transport}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sync is not None:
            self._sync.close()
        if self._async is not None:
            await self._async.aclose()
        if isinstance(self._borrowed, httpx.Client):
            self._borrowed.close()
        elif self._borrowed is not None:
            await self._borrowed.aclose()

    def _describe_sync(self) -> BatchInferenceJob:
        assert self._sync is not None
        return self._sync.describe_batch_inference_job(ARN)

    async def describe(self) -> Outcome:
        self.slept = []
        job: BatchInferenceJob | None = None
        error: Exception | None = None
        started = time.monotonic()
        try:
            if self._sync is not None:
                job = await anyio.to_thread.run_sync(self._describe_sync, abandon_on_cancel=True)
            else:
                assert self._async is not None
                job = await self._async.describe_batch_inference_job(ARN)
        except Exception as exc:  # judged by Outcome: typed, or a raw escape to report
            error = exc
        return Outcome(job, error, time.monotonic() - started, list(self.slept))


async def describe_once(driver: str, env: dict[str, str], url: str, **kwargs: Any) -> Outcome:
    async with Caller(driver, env, url, **kwargs) as caller:
        return await caller.describe()


def assert_attempts(error: PersonalizeError, server: FaultServer | None, expected: int) -> None:
    """The error's attempt history and the server's request count both say ``expected``."""
    assert len(error.attempts) == expected, error.attempts
    assert [a.number for a in error.attempts] == list(range(1, expected + 1))
    if server is not None:
        assert len(server.requests) == expected
        assert server.requests[-1].headers["amz-sdk-request"].startswith(f"attempt={expected};")


# --------------------------------------------------------------------------- no usable reply


async def test_connection_refused(driver: str, aws_env: dict[str, str], refused_port: int) -> None:
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, f"http://127.0.0.1:{refused_port}")
    error = out.failed_with(EndpointConnectionError)
    assert_attempts(error, None, 3)
    assert all(a.status_code is None for a in error.attempts)
    assert out.slept == [0.5, 1.0]
    assert out.elapsed < bound(3, out.slept)


@pytest.fixture
def backlogged_port() -> Iterator[int]:
    """A loopback port whose listener never accepts and whose backlog is full, so a new
    connection's SYN is dropped and connecting hangs (Linux: ``listen(0)`` queues one)."""
    if sys.platform != "linux":
        pytest.skip("relies on Linux dropping SYNs to a full accept queue")
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        filler.connect(("127.0.0.1", port))
        yield port


async def test_connect_timeout(driver: str, aws_env: dict[str, str], backlogged_port: int) -> None:
    """One attempt (the never-answering server shows the retry of a timeout)."""
    url = f"http://127.0.0.1:{backlogged_port}"
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, url, attempts=1)
    error = out.failed_with(ConnectTimeoutError)
    assert_attempts(error, None, 1)
    assert TIMEOUT * 0.9 <= out.elapsed < bound(1)


#: A status line, and a status line with headers promising the job's body.
STATUS_LINE = b"HTTP/1.1 200 OK\r\n"
HEADERS = Reply(200, content_length=len(JOB_BODY)).head()


@pytest.mark.parametrize(
    "sent",
    [b"", STATUS_LINE, HEADERS],
    ids=["before-status-line", "after-status-line", "after-headers"],
)
async def test_connection_reset(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], sent: bytes
) -> None:
    server = serve(Reset(sent))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ConnectionClosedError)
    assert_attempts(error, server, 3)
    assert out.slept == [0.5, 1.0]
    assert out.elapsed < bound(3, out.slept)


async def test_reset_then_success(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reset(), Reset(HEADERS), Reply(200, JOB_BODY))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().job_name == "my-batch-job"
    assert len(server.requests) == 3
    assert out.elapsed < bound(3, out.slept)


#: Replies no HTTP/1.1 parser accepts. httpx's transport raises RemoteProtocolError;
#: aiohttp's a ClientResponseError, which httpx-aiohttp let escape as it was.
MALFORMED_HTTP = {
    "garbage-status-line": b"HELLO WORLD\r\n\r\n",
    "no-status-line": JOB_BODY,
    "bad-header-line": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\r\n\r\n{}",
    "nul-in-header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
    "bad-content-length": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}",
    "negative-content-length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}",
    "bad-chunk-size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "huge-header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
}


@pytest.mark.parametrize("data", list(MALFORMED_HTTP.values()), ids=list(MALFORMED_HTTP))
async def test_malformed_http_reply(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], data: bytes
) -> None:
    """Not HTTP: a ConnectionClosedError on every driver, retried like a reset."""
    server = serve(Raw(data))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ConnectionClosedError)
    assert_attempts(error, server, 3)
    assert out.elapsed < bound(3, out.slept)


@pytest.mark.parametrize("status", [200, 503])
async def test_body_cut_short(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], status: int
) -> None:
    """Content-Length promises more than arrives, then a normal close (FIN)."""
    server = serve(Reply(status, JOB_BODY[:40], content_length=len(JOB_BODY)))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ConnectionClosedError)
    assert_attempts(error, server, 3)
    assert out.elapsed < bound(3, out.slept)


async def test_server_that_never_answers(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Silent())
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url, attempts=2)
    error = out.failed_with(ReadTimeoutError)
    assert_attempts(error, server, 2)
    assert out.slept == [0.5]
    assert out.elapsed >= 2 * TIMEOUT * 0.9  # each attempt really waited for the timeout
    assert out.elapsed < bound(2, out.slept)


async def test_server_slower_than_the_read_timeout(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """One attempt (the never-answering server shows the retry of a timeout)."""
    server = serve(Reply(200, JOB_BODY, delay=3 * TIMEOUT))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url, attempts=1)
    error = out.failed_with(ReadTimeoutError)
    assert_attempts(error, server, 1)
    assert TIMEOUT * 0.9 <= out.elapsed < bound(1)


async def test_slow_but_within_the_timeout_succeeds(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(200, JOB_BODY, delay=TIMEOUT / 3))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 1
    assert out.elapsed < bound(1)


async def test_slow_drip_within_the_attempt_deadline_succeeds(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """A body dripping in, each gap under the read timeout: the call succeeds, after more
    than the timeout. ``timeout`` bounds each connect, read and write; the attempt as a
    whole is bounded by ``attempt_timeout`` (default 2 x timeout = 1 s here), which this
    drip (4 x 0.15 s) stays within. Past it: test_endless_drip_is_cut_at_the_deadline."""
    pieces, interval = 4, TIMEOUT * 0.3
    server = serve(Drip(Reply(200, JOB_BODY), pieces=pieces, interval=interval))
    with anyio.fail_after(guard(1) + pieces * interval):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 1
    assert TIMEOUT < pieces * interval <= out.elapsed + 0.05 < pieces * interval + SLACK


async def test_timeout_then_success(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(200, JOB_BODY, delay=3 * TIMEOUT), Reply(200, JOB_BODY))
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url, attempts=2)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 2
    assert out.slept == [0.5]
    assert TIMEOUT * 0.9 <= out.elapsed < bound(2, out.slept)


# --------------------------------------------------------------------------- 5xx and throttling

#: (status, body, expected error code): an AWS JSON error, and what proxies send.
STORMS = [
    (500, error_body("InternalFailure"), "InternalFailure"),
    (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "502"),
    (503, b"", "503"),
    (504, b"<html>Gateway Timeout</html>", "504"),
]


@pytest.mark.parametrize(("status", "body", "code"), STORMS, ids=[str(s[0]) for s in STORMS])
async def test_5xx_storm(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    status: int,
    body: bytes,
    code: str,
) -> None:
    server = serve(Reply(status, body, headers=[("x-amzn-RequestId", f"rid-{status}")]))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(PersonalizeServiceError)
    assert (error.code, error.status_code, error.retryable, error.throttling) == (
        code,
        status,
        True,
        False,
    )
    assert error.request_id == f"rid-{status}"
    assert_attempts(error, server, 3)
    assert [a.status_code for a in error.attempts] == [status] * 3
    assert error.attempts[-1].gave_up == "max attempts reached"
    assert out.slept == [0.5, 1.0]
    assert out.elapsed < bound(3, out.slept)


@pytest.mark.parametrize(("status", "body", "code"), STORMS, ids=[str(s[0]) for s in STORMS])
async def test_5xx_storm_that_ends_in_200(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    status: int,
    body: bytes,
    code: str,
) -> None:
    server = serve(Reply(status, body), Reply(status, body), Reply(200, JOB_BODY))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().job_name == "my-batch-job"
    assert len(server.requests) == 3
    assert out.slept == [0.5, 1.0]
    assert out.elapsed < bound(3, out.slept)


async def test_5xx_storm_with_real_backoff(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """The same storm with the backoff really slept (capped small): it stays in bound."""
    server = serve(Reply(503), Reply(502), Reply(200, JOB_BODY))
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url, max_backoff=0.1, real_sleep=True)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 3
    assert out.slept == [0.05, 0.05]
    assert sum(out.slept) <= out.elapsed < bound(3, out.slept)


#: (id, reply, error class, code, attempts, throttling)
THROTTLES = [
    ("400-ThrottlingException", Reply(400, error_body("ThrottlingException")), ThrottlingException,
     "ThrottlingException", 3, True),
    ("429-no-code", Reply(429, b""), PersonalizeServiceError, "429", 3, True),
    ("429-TooManyRequests", Reply(429, error_body("TooManyRequestsException")),
     PersonalizeServiceError, "TooManyRequestsException", 3, True),
    ("400-LimitExceeded", Reply(400, error_body("LimitExceededException")),
     LimitExceededException, "LimitExceededException", 1, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reply", "cls", "code", "attempts", "throttling"),
    [t[1:] for t in THROTTLES],
    ids=[t[0] for t in THROTTLES],
)
async def test_throttling_storm(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    reply: Reply,
    cls: type[PersonalizeServiceError],
    code: str,
    attempts: int,
    throttling: bool,
) -> None:
    """Throttling is retried to max_attempts; LimitExceededException (a quota) never is."""
    server = serve(reply)
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(cls)
    assert (error.code, error.throttling, error.retryable) == (code, throttling, throttling)
    assert_attempts(error, server, attempts)
    assert out.slept == [0.5, 1.0][: attempts - 1]
    assert out.elapsed < bound(attempts, out.slept)


async def test_throttling_storm_that_ends_in_200(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(
        Reply(400, error_body("ThrottlingException")), Reply(429, b""), Reply(200, JOB_BODY)
    )
    with anyio.fail_after(guard(3)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 3
    assert out.slept == [0.5, 1.0]
    assert out.elapsed < bound(3, out.slept)


@pytest.mark.parametrize(
    ("status", "header", "value"),
    [
        (503, "Retry-After", "30"),
        (429, "Retry-After", "30"),
        (503, "x-amz-retry-after", "30000"),
        (429, "x-amz-retry-after", "30000"),
        (503, "Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"),
    ],
    ids=["503-retry-after", "429-retry-after", "503-x-amz", "429-x-amz", "503-http-date"],
)
async def test_retry_after_headers_are_ignored(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    status: int,
    header: str,
    value: str,
) -> None:
    """Documented behaviour: ``Retry-After`` and ``x-amz-retry-after`` are ignored, as in
    botocore's standard mode; the delay is the jittered exponential backoff. The server asks
    for 30 s; the backoff (really slept here, capped at 0.1 s) is all the client waits."""
    server = serve(Reply(status, b"", headers=[(header, value)]), Reply(200, JOB_BODY))
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url, max_backoff=0.1, real_sleep=True)
    assert out.succeeded().status == "ACTIVE"
    assert len(server.requests) == 2
    assert out.slept == [JITTER * 0.1]
    assert out.elapsed < bound(2, out.slept) < 30


# --------------------------------------------------------------------------- bad 200 bodies

MALFORMED = {
    "truncated-json": b'{"batchInferenceJob": {"jobName": "my-batch-job", "status": ',
    "empty": b"",
    "html": b"<html><body>Service Unavailable</body></html>",
    "invalid-utf8": b'{"batchInferenceJob": {"jobName": "\xff\xfe"}}',
    "deeply-nested": b"[" * 100_000,
    "trailing-garbage": JOB_BODY + b"}}",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_200_with_malformed_json(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], body: bytes
) -> None:
    """A 200 that is not JSON: a ResponseParseError at once (a 200 is never retried)."""
    server = serve(Reply(200, body, headers=[("x-amzn-RequestId", "rid-bad")]))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ResponseParseError)
    assert error.request_id == "rid-bad"
    assert "reply body is" in str(error)
    assert len(str(error)) < 500  # a short snippet, never the whole body
    assert_attempts(error, server, 1)
    assert out.elapsed < bound(1)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (json_bytes([JOB]), "list"),
        (b"[]", "list"),
        (b"null", "NoneType"),
        (b'"ACTIVE"', "str"),
        (b"42", "int"),
    ],
    ids=["array-of-job", "empty-array", "null", "string", "number"],
)
async def test_200_whose_body_is_not_an_object(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], body: bytes, what: str
) -> None:
    server = serve(Reply(200, body))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ResponseParseError)
    assert str(error) == f"expected a JSON object, got {what}"
    assert_attempts(error, server, 1)
    assert out.elapsed < bound(1)


#: Members that are maps (their entries' paths are ``member['key']``), not structures.
_MAPS = frozenset({"itemExplorationConfig", "rankingInfluence"})


def _wrong_value(value: object) -> object:
    """A value of the wrong type for a member whose right value is ``value``."""
    if isinstance(value, dict):
        return ["not", "an", "object"]
    if isinstance(value, str):
        return 42
    if isinstance(value, int):
        return str(value)  # numResults: "25" is not an int
    return True  # a timestamp (epoch float): a boolean is not one


def _mutations(
    node: dict[str, Any], path: str, keys: tuple[str, ...], is_map: bool = False
) -> Iterator[tuple[str, tuple[str, ...], object]]:
    """(wire path, key path, wrong value) for every member at or below ``node``."""
    for key, value in node.items():
        where = f"{path}[{key!r}]" if is_map else f"{path}.{key}"
        yield where, (*keys, key), _wrong_value(value)
        if isinstance(value, dict):
            yield from _mutations(value, where, (*keys, key), is_map=key in _MAPS)


WRONG_TYPES = list(_mutations(JOB["batchInferenceJob"], "batchInferenceJob", ()))


def test_wrong_type_cases_cover_every_member() -> None:
    """Every member of the strict-active job, nested ones included, is a case."""
    assert len(WRONG_TYPES) == 22
    assert {p for p, _, _ in WRONG_TYPES} >= {
        f"batchInferenceJob.{key}" for key in JOB["batchInferenceJob"]
    }


@pytest.mark.parametrize(
    ("path", "keys", "wrong"), WRONG_TYPES, ids=[p.split(".", 1)[1] for p, _, _ in WRONG_TYPES]
)
async def test_200_with_a_wrong_type_in_one_field(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    path: str,
    keys: tuple[str, ...],
    wrong: object,
) -> None:
    body = copy.deepcopy(JOB)
    node = body["batchInferenceJob"]
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = wrong
    server = serve(Reply(200, json_bytes(body)))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ResponseParseError)
    assert error.path == path
    assert path in str(error)
    assert_attempts(error, server, 1)
    assert out.elapsed < bound(1)


_MIB = 1024 * 1024


def _padded_job() -> bytes:
    padded = copy.deepcopy(JOB)
    padded["batchInferenceJob"]["zzUnknownPadding"] = "x" * (8 * _MIB)
    return json_bytes(padded)


async def test_8_mib_valid_reply_with_a_huge_unknown_member(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    body = _padded_job()
    assert len(body) > 8 * _MIB
    server = serve(Reply(200, body))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().job_name == "my-batch-job"  # unknown members are tolerated
    assert len(server.requests) == 1
    assert out.elapsed < bound(1)


@pytest.mark.parametrize("status", [200, 503])
async def test_8_mib_of_garbage(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], status: int
) -> None:
    """8 MiB that is not JSON: on a 200 a ResponseParseError at once; on a 503 a retried
    service error. Either way the message holds a short snippet, not the body."""
    garbage = bytes(range(256)) * (8 * _MIB // 256)
    server = serve(Reply(status, garbage))
    attempts = 1 if status == 200 else 3
    with anyio.fail_after(guard(attempts)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(ResponseParseError if status == 200 else PersonalizeServiceError)
    assert len(str(error)) < 1000
    assert_attempts(error, server, attempts)
    assert out.elapsed < bound(attempts, out.slept)


# --------------------------------------------------------------------------- gzip

GZIP = [("Content-Encoding", "gzip")]


async def test_gzip_reply_is_decoded(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """We ask for no compression (issue 14.2); a server that compresses anyway is decoded."""
    server = serve(Reply(200, gzip.compress(JOB_BODY), headers=GZIP))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().job_name == "my-batch-job"
    assert server.requests[0].headers["accept-encoding"] == "identity"
    assert len(server.requests) == 1
    assert out.elapsed < bound(1)


async def test_gzip_error_reply_is_decoded(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(400, gzip.compress(error_body("LimitExceededException")), headers=GZIP))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(LimitExceededException)
    assert error.message == "boom"
    assert_attempts(error, server, 1)


@pytest.mark.parametrize(
    ("body", "cls", "attempts"),
    [
        (b"this is not gzip at all", ConnectionClosedError, 3),
        (b"\x1f\x8b" + b"\x00" * 40, ConnectionClosedError, 3),
        (gzip.compress(JOB_BODY)[:-12], ResponseParseError, 1),
    ],
    ids=["not-gzip", "bad-header", "truncated-stream"],
)
async def test_corrupt_gzip_reply(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    body: bytes,
    cls: type[PersonalizeError],
    attempts: int,
) -> None:
    """A gzip coding httpx cannot decode is a transport failure (ConnectionClosedError,
    retried like a body cut short). A gzip stream cut short is not detected by httpx's
    decoder: the client sees the partial JSON, a ResponseParseError at once."""
    server = serve(Reply(200, body, headers=GZIP))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with anyio.fail_after(guard(attempts)):
            out = await describe_once(driver, aws_env, server.url)
        error = out.failed_with(cls)
        assert_attempts(error, server, attempts)
        assert out.elapsed < bound(attempts, out.slept)
        # Nothing is left for the garbage collector to finalize: on trio, httpx's async
        # generators abandoned by a raising decoder warned here (fixed in the async driver).
        del out, error
        gc.collect()
    assert [str(w.message) for w in caught] == []


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_never_followed(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], status: int
) -> None:
    """A 3xx pointing at a second loopback server: not followed, not retried, the second
    server never sees a connection (so the signed request never goes elsewhere)."""
    elsewhere = serve(Reply(200, JOB_BODY))
    server = serve(Reply(status, b"", headers=[("Location", f"{elsewhere.url}/steal")]))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(RedirectError)
    assert f"HTTP {status}" in str(error)
    assert elsewhere.url in str(error)
    assert_attempts(error, server, 1)
    assert "authorization" in server.requests[0].headers
    assert elsewhere.connections == 0
    assert elsewhere.requests == []
    assert out.elapsed < bound(1)


async def test_redirects_are_not_followed_even_by_a_borrowed_client_that_follows(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """``http_client=httpx.Client(follow_redirects=True)`` (or the async one, on any
    transport): every send says ``follow_redirects=False``, so the client's setting never
    carries the signed request elsewhere."""
    elsewhere = serve(Reply(200, JOB_BODY))
    server = serve(Reply(307, b"", headers=[("Location", f"{elsewhere.url}/")]))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url, borrow_following=True)
    error = out.failed_with(RedirectError)
    assert_attempts(error, server, 1)
    assert elsewhere.connections == 0
    assert out.elapsed < bound(1)


# --------------------------------------------------------------------------- clock skew

SKEWS = [timedelta(days=-3), timedelta(hours=5)]
#: The class each skew code raises when it is not (or no longer) corrected.
SKEW_CLASSES: dict[str, type[PersonalizeServiceError]] = {
    "RequestTimeTooSkewed": PersonalizeServiceError,  # no class of its own
    "InvalidSignatureException": InvalidSignatureException,
}
SKEW_IDS = ["past", "future"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _close(a: datetime, b: datetime) -> bool:
    return abs(a - b) < timedelta(seconds=60)


@pytest.mark.parametrize("skew", SKEWS, ids=SKEW_IDS)
@pytest.mark.parametrize("code", ["RequestTimeTooSkewed", "InvalidSignatureException"])
async def test_skew_reply_is_corrected_once(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    code: str,
    skew: timedelta,
) -> None:
    """A 403 skew error whose Date is far from our clock: the client learns the offset,
    re-signs at once (no backoff, an extra attempt) and later calls sign with AWS's time."""
    server_time = _now() + skew
    server = serve(
        Reply(403, error_body(code), headers=[("Date", http_date(server_time))]),
        Reply(200, JOB_BODY),
    )
    with anyio.fail_after(guard(2, calls=2)):
        async with Caller(driver, aws_env, server.url) as caller:
            first = await caller.describe()
            second = await caller.describe()
    assert first.succeeded().status == "ACTIVE"
    assert second.succeeded().status == "ACTIVE"
    assert first.slept == []  # the skew retry does not back off
    assert len(server.requests) == 3  # skew reply + re-signed retry, then the second call
    signed = [amz_date(seen) for seen in server.requests]
    assert _close(signed[0], _now())
    assert _close(signed[1], server_time)
    assert _close(signed[2], server_time)
    assert [seen.headers["amz-sdk-request"] for seen in server.requests[:2]] == [
        "attempt=1; max=3",
        "attempt=2; max=4",
    ]
    assert first.elapsed < bound(2)


@pytest.mark.parametrize("code", ["RequestTimeTooSkewed", "InvalidSignatureException"])
async def test_skew_is_corrected_only_once_per_call(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], code: str
) -> None:
    """A second skew reply (even one far off the corrected clock) is not corrected again:
    the error is raised after two attempts."""
    now = _now()
    server = serve(
        Reply(403, error_body(code), headers=[("Date", http_date(now - timedelta(days=3)))]),
        Reply(403, error_body(code), headers=[("Date", http_date(now + timedelta(days=3)))]),
    )
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(SKEW_CLASSES[code])
    assert (error.code, error.status_code, error.retryable) == (code, 403, False)
    assert_attempts(error, server, 2)
    assert out.slept == []
    assert out.elapsed < bound(2)


@pytest.mark.parametrize(
    "date",
    [lambda: http_date(_now() + timedelta(seconds=30)), lambda: None, lambda: "not a date"],
    ids=["within-4-minutes", "no-date", "unparseable-date"],
)
async def test_skew_reply_without_a_far_date_is_not_retried(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    date: Callable[[], str | None],
) -> None:
    value = date()
    headers = [] if value is None else [("Date", value)]
    server = serve(Reply(403, error_body("InvalidSignatureException"), headers=headers))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    error = out.failed_with(InvalidSignatureException)
    assert_attempts(error, server, 1)
    assert out.elapsed < bound(1)


@pytest.mark.parametrize("skew", SKEWS, ids=SKEW_IDS)
async def test_far_date_on_a_200_is_ignored(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer], skew: timedelta
) -> None:
    """Only a skew *error* teaches the client AWS's time: a 200's Date changes nothing."""
    server = serve(Reply(200, JOB_BODY, headers=[("Date", http_date(_now() + skew))]))
    with anyio.fail_after(guard(1, calls=2)):
        async with Caller(driver, aws_env, server.url) as caller:
            first = await caller.describe()
            second = await caller.describe()
    assert first.succeeded().status == second.succeeded().status == "ACTIVE"
    assert len(server.requests) == 2
    assert all(_close(amz_date(seen), _now()) for seen in server.requests)
    assert first.elapsed < bound(1)


# --------------------------------------------------------------------------- bounded replies
# Issue 11 §3 and 14.2: a reply larger than max_response_bytes (16 MiB by default), an
# endless body, a gzip bomb and a body dripping past the attempt deadline all end, typed,
# in bounded time and memory. Figures are printed ("FIGURE ...") for docs/reliability.md.

_LIMIT = 16 * _MIB
#: Peak traced allocation growth allowed during one call (the cap is 16 MiB).
_PEAK = 64 * _MIB
#: The default attempt deadline with TIMEOUT = 0.5: twice the largest phase.
DEADLINE = 2 * TIMEOUT
#: The slack of the deadline tests: scheduling noise only. Every driver now ends an
#: attempt at its deadline (the sync client used to allow one more read timeout).
TIGHT = 0.5
#: The cap tests read 16 MiB under tracemalloc on a shared 2-core machine: once over
#: 1 s (the default deadline here), so they get a deadline that only a hang reaches. Their
#: phase timeout stays finite: under heavy load (load average ~6) an aiohttp read was seen
#: to get no data for over 0.5 s, and with 15 s instead it waited out the test's guard. A
#: stalled attempt times out and is retried like any read timeout; see cut_not_retried.
CAP_OPTIONS: dict[str, Any] = {"attempt_timeout": HANG, "timeout": 2.0}


def assert_cut_not_retried(
    error: ResponseTooLargeError, server: FaultServer, out: Outcome, max_attempts: int = 3
) -> None:
    """The attempt that reached the cap ended the call, with attempts to spare: a
    ResponseTooLargeError is never retried. Earlier attempts may only be read timeouts
    (a transport stalled under load before the cap), retried as any read timeout is."""
    attempts = error.attempts
    assert len(server.requests) == len(attempts) < max_attempts, attempts
    assert attempts[-1].error_code == "ResponseTooLargeError", attempts
    assert all(a.error_code == "ReadTimeoutError" for a in attempts[:-1]), attempts
    assert len(out.slept) == len(attempts) - 1


#: Their time bound: typically 0.02-0.2 s, 1.5 s seen over aiohttp on a loaded machine.
CAP_SECONDS = 10.0


@functools.cache
def gzip_bomb(decoded: int = 1024 * _MIB) -> bytes:
    """``decoded`` zero bytes, gzipped (~1 MiB for 1 GiB), built 1 MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(_MIB)
    parts = [packer.compress(block) for _ in range(decoded // _MIB)]
    parts.append(packer.flush())
    return b"".join(parts)


async def measured(driver: str, call: Callable[[], Awaitable[Outcome]]) -> tuple[Outcome, int]:
    """The outcome and the peak growth of traced memory (all threads) during ``call``."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = await call()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return out, peak


def figure(name: str, driver: str, out: Outcome, peak: int | None = None) -> None:
    growth = "" if peak is None else f" peak_growth_mib={peak / _MIB:.1f}"
    print(f"FIGURE {name} driver={driver} elapsed_s={out.elapsed:.2f}{growth}")


async def test_endless_body_is_cut_at_the_cap(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """A 200 whose chunked body never ends: reading stops past 16 MiB with
    ResponseTooLargeError, not retried, memory bounded (was: 2.1 GiB in 11 s)."""
    server = serve(Endless(b"x" * 65536))
    with anyio.fail_after(guard(1)):
        out, peak = await measured(
            driver, lambda: describe_once(driver, aws_env, server.url, options=CAP_OPTIONS)
        )
    error = out.failed_with(ResponseTooLargeError)
    assert error.limit == _LIMIT
    assert f"max_response_bytes ({_LIMIT} bytes)" in str(error)
    assert_cut_not_retried(error, server, out)
    assert peak < _PEAK, f"{peak / _MIB:.1f} MiB"
    assert out.elapsed < CAP_SECONDS, f"{out.elapsed:.2f} s"
    figure("endless-body", driver, out, peak)


async def test_gzip_bomb_is_cut_at_the_cap_counting_decoded_bytes(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """~1 MiB of gzip that inflates to 1 GiB, sent although we asked for identity: the
    decoded bytes count, so it stops past 16 MiB decoded; never inflated whole."""
    bomb = gzip_bomb()
    assert len(bomb) < _LIMIT  # the raw bytes alone are well under the cap
    server = serve(Reply(200, bomb, headers=GZIP))
    with anyio.fail_after(guard(1)):
        out, peak = await measured(
            driver, lambda: describe_once(driver, aws_env, server.url, options=CAP_OPTIONS)
        )
    error = out.failed_with(ResponseTooLargeError)
    assert "decoded" in str(error)
    assert server.requests[0].headers["accept-encoding"] == "identity"
    assert_cut_not_retried(error, server, out)
    assert peak < _PEAK, f"{peak / _MIB:.1f} MiB"
    assert out.elapsed < CAP_SECONDS, f"{out.elapsed:.2f} s"
    figure("gzip-bomb", driver, out, peak)


async def test_content_length_above_the_cap_is_refused_before_reading(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """A 2 MiB reply against a 1 MiB cap: refused from its Content-Length, not retried
    (a 503 would otherwise be retried)."""
    server = serve(Reply(503, b" " * (2 * _MIB)))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url, options={"max_response_bytes": _MIB})
    error = out.failed_with(ResponseTooLargeError)
    assert f"Content-Length: {2 * _MIB}" in str(error)
    assert len(server.requests) == 1
    assert out.slept == []


async def test_8_mib_reply_still_parses(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """Half the default cap, in an unknown field (tolerated), chunked: a job."""
    padded = json_bytes({**JOB, "padding": "p" * (8 * _MIB)})
    assert 8 * _MIB < len(padded) < _LIMIT
    server = serve(Reply(200, padded))
    with anyio.fail_after(guard(1)):
        out = await describe_once(driver, aws_env, server.url)
    assert out.succeeded().job_name == "my-batch-job"
    assert len(server.requests) == 1


async def test_endless_drip_is_cut_at_the_attempt_deadline(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """A 200 whose body drips one byte every 0.1 s forever (each gap well under the 0.5 s
    read timeout): every attempt ends at the 1 s deadline with ReadTimeoutError, retried
    as one, on every driver."""
    server = serve(Endless(b" ", interval=0.1))
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url, attempts=2)
    error = out.failed_with(ReadTimeoutError)
    assert "attempt deadline (1 s" in str(error)
    assert_attempts(error, server, 2)
    assert out.slept == [0.5]
    assert 2 * DEADLINE * 0.9 <= out.elapsed < 2 * DEADLINE + TIGHT, f"{out.elapsed:.2f} s"
    figure("drip-2-attempts-deadline-1s", driver, out)


async def test_attempt_timeout_keyword_sets_the_deadline(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Endless(b" ", interval=0.05))
    with anyio.fail_after(guard(1)):
        out = await describe_once(
            driver, aws_env, server.url, attempts=1, options={"attempt_timeout": 0.3}
        )
    error = out.failed_with(ReadTimeoutError)
    assert "(0.3 s, attempt_timeout)" in str(error)
    assert 0.3 * 0.9 <= out.elapsed < 0.3 + TIGHT, f"{out.elapsed:.2f} s"
    figure("drip-1-attempt-deadline-0.3s", driver, out)


async def test_a_head_dripping_in_is_cut_at_the_attempt_deadline(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """The header lines arrive one every 0.1 s (each gap under the 0.5 s read timeout,
    60 lines: 6 s per attempt): each attempt ends at the 1 s deadline, on every driver.
    The sync client used to read the whole head (bounded per read only: 12 s here)."""
    server = serve(DripHead(Reply(200, JOB_BODY), lines=60, interval=0.1))
    with anyio.fail_after(guard(2)):
        out = await describe_once(driver, aws_env, server.url, attempts=2)
    error = out.failed_with(ReadTimeoutError)
    assert "attempt deadline (1 s" in str(error)
    assert_attempts(error, server, 2)
    assert out.slept == [0.5]
    assert 2 * DEADLINE * 0.9 <= out.elapsed < 2 * DEADLINE + TIGHT, f"{out.elapsed:.2f} s"
    assert error.__cause__ is None  # nothing that held the signed request on the chain
    assert error.__context__ is None
    figure("head-drip-2-attempts-deadline-1s", driver, out)


async def test_a_body_gap_just_under_the_read_timeout_ends_at_the_deadline(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    """Read timeout 1 s, deadline 1 s, a body piece every 0.9 s: the attempt ends at the
    deadline, not at the first piece after it (1.8 s: the sync client's old bound of
    deadline + one read timeout)."""
    server = serve(Drip(Reply(200, JOB_BODY), pieces=20, interval=0.9))
    options = {"timeout": 1.0, "attempt_timeout": 1.0}
    with anyio.fail_after(guard(1) + 20):
        out = await describe_once(driver, aws_env, server.url, attempts=1, options=options)
    error = out.failed_with(ReadTimeoutError)
    assert "attempt deadline (1 s" in str(error)
    assert 0.9 <= out.elapsed < 1.0 + TIGHT, f"{out.elapsed:.2f} s"
    figure("body-gap-0.9s-deadline-1s", driver, out)


@contextlib.asynccontextmanager
async def plan_runner(driver: str) -> AsyncIterator[Callable[[Plan[Any]], Awaitable[Any]]]:
    """Run a bare plan (a credential provider's) through the driver under test."""
    if driver == "sync":
        with sync_runner(timeout=TIMEOUT) as run_sync:

            async def run(plan: Plan[Any]) -> Any:
                return await anyio.to_thread.run_sync(run_sync, plan, abandon_on_cancel=True)

            yield run
        return
    borrowed = httpx.AsyncClient() if driver == "asyncio-httpx" else None
    try:
        kwargs: dict[str, Any] = {"timeout": TIMEOUT}
        if borrowed is not None:
            kwargs["http_client"] = borrowed
        async with async_runner(**kwargs) as run_async:
            yield run_async
    finally:
        if borrowed is not None:
            await borrowed.aclose()


async def test_credential_request_is_bounded_by_its_own_deadline(
    driver: str, serve: Callable[..., FaultServer]
) -> None:
    """The container provider's request (timeout 0.2 s, 2 attempts) against a dripping
    endpoint: each attempt ends at twice its own timeout (0.4 s), then the provider's
    typed error."""
    server = serve(Endless(b" ", interval=0.05))
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{server.url}/creds"}
    provider = ContainerProvider(make_ctx(env), timeout=0.2, attempts=2, retry_sleep=0.01)
    started = time.monotonic()
    with anyio.fail_after(HANG):
        async with plan_runner(driver) as run:
            with pytest.raises(CredentialRetrievalError, match="attempt deadline") as info:
                await run(provider.load())
    elapsed = time.monotonic() - started
    assert "after 2 attempts" in str(info.value)
    assert len(server.requests) == 2
    assert server.requests[0].headers["accept-encoding"] == "identity"
    assert 2 * 0.4 * 0.9 <= elapsed < 2 * 0.4 + TIGHT, f"{elapsed:.2f} s"


async def test_a_credential_request_whose_head_drips_is_cut_at_its_deadline(
    driver: str, serve: Callable[..., FaultServer]
) -> None:
    """The container provider's request (timeout 0.2 s, 2 attempts: a 0.4 s deadline
    each) against an endpoint dripping header lines every 0.05 s (100 lines: 5 s)."""
    server = serve(DripHead(Reply(200, b"{}"), lines=100, interval=0.05))
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{server.url}/creds"}
    provider = ContainerProvider(make_ctx(env), timeout=0.2, attempts=2, retry_sleep=0.01)
    started = time.monotonic()
    with anyio.fail_after(HANG):
        async with plan_runner(driver) as run:
            with pytest.raises(CredentialRetrievalError, match="attempt deadline") as info:
                await run(provider.load())
    elapsed = time.monotonic() - started
    assert "after 2 attempts" in str(info.value)
    assert len(server.requests) == 2
    assert 2 * 0.4 * 0.9 <= elapsed < 2 * 0.4 + TIGHT, f"{elapsed:.2f} s"
    print(
        f"FIGURE credential-head-drip-2-attempts-deadline-0.4s driver={driver} "
        f"elapsed_s={elapsed:.2f}"
    )


async def test_credential_reply_is_capped_too(
    driver: str, serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(200, gzip_bomb(), headers=GZIP))
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{server.url}/creds"}
    provider = ContainerProvider(make_ctx(env), timeout=TIMEOUT, attempts=2)
    with anyio.fail_after(HANG):
        async with plan_runner(driver) as run:
            with pytest.raises(ResponseTooLargeError):
                await run(provider.load())
    assert len(server.requests) == 1
