"""The reply cap, the attempt deadline and the no-compression rule of the shared Exchange
(``_httpx.py``), through the sync client over ``httpx.MockTransport`` and directly;
the sync client's hard deadline (``_deadline.py``, ``_deadline_backend.py``) with a
stub network backend.
The loopback, four-driver versions are in ``test_faults.py`` ("bounded replies")."""

from __future__ import annotations

import gzip
import json
import math
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    ConnectionClosedError,
    Credentials,
    ParamValidationError,
    PersonalizeClient,
    ReadTimeoutError,
    ResponseParseError,
    ResponseTooLargeError,
    RetryConfig,
    _deadline,
)
from personalize_lite._deadline_backend import DeadlineBackend, bounded, is_bounded
from personalize_lite._httpx import DEFAULT_MAX_RESPONSE_BYTES, Exchange, attempt_seconds
from personalize_lite._proxies import ProxyRouter
from personalize_lite._steps import HttpRequest, Send
from tests.support.fault_server import Drip, FaultServer
from tests.support.fault_server import Reply as FaultReply
from tests.support.paths import FIXTURES

FIXTURE = FIXTURES / "strict-active.json"
JOB_BODY: bytes = json.loads(FIXTURE.read_text())["interactions"][0]["response"]["body"].encode()
ARN = json.loads(JOB_BODY)["batchInferenceJob"]["batchInferenceJobArn"]
CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="replyBoundsSecretEXAMPLE")
_MIB = 1024 * 1024
ENV = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def streamed(body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A reply whose body is streamed in 16 KiB chunks, as from a socket (a reply built
    with ``content=bytes`` is read at once, and httpx would decode it itself)."""
    chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)]
    return httpx.Response(200, headers=headers, content=iter(chunks))


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


class Endpoint:
    """A MockTransport handler: answers every request with ``reply()``; keeps requests."""

    def __init__(self, reply: Callable[[], httpx.Response]) -> None:
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply()


def client(endpoint: Endpoint, **kwargs: Any) -> PersonalizeClient:
    return PersonalizeClient(
        region="us-east-1",
        credentials=CREDS,
        env=ENV,
        retry=RetryConfig(max_attempts=3),
        sleep=lambda _s: None,
        http_client=httpx.Client(transport=httpx.MockTransport(endpoint)),
        **kwargs,
    )


def encoded(body: bytes, encoding: str, **headers: str) -> Callable[[], httpx.Response]:
    return lambda: streamed(body, {"content-encoding": encoding, **headers})


# --------------------------------------------------------------------------- keywords

BAD_SIZES = [0, -1, True, 1.5, "16", None, 2**20 + 0.0]
BAD_DEADLINES = [0, -1.0, True, "1", math.inf, math.nan]


@pytest.mark.parametrize("value", BAD_SIZES, ids=repr)
@pytest.mark.parametrize("cls", [PersonalizeClient, AsyncPersonalizeClient])
def test_max_response_bytes_must_be_a_positive_int(cls: type[Any], value: object) -> None:
    endpoint = Endpoint(lambda: httpx.Response(200, content=JOB_BODY))
    transport = httpx.MockTransport(endpoint)
    borrowed = (httpx.Client if cls is PersonalizeClient else httpx.AsyncClient)(
        transport=transport
    )
    with pytest.raises(ParamValidationError, match="max_response_bytes must be a positive int"):
        cls(
            region="us-east-1",
            credentials=CREDS,
            env=ENV,
            http_client=borrowed,
            max_response_bytes=value,
        )
    assert endpoint.requests == []


@pytest.mark.parametrize("value", BAD_DEADLINES, ids=repr)
@pytest.mark.parametrize("cls", [PersonalizeClient, AsyncPersonalizeClient])
def test_attempt_timeout_must_be_positive_seconds_or_none(cls: type[Any], value: object) -> None:
    with pytest.raises(ParamValidationError, match="attempt_timeout"):
        cls(region="us-east-1", credentials=CREDS, env=ENV, attempt_timeout=value)


def test_the_defaults() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 16 * _MIB
    assert attempt_seconds(httpx.Timeout(60.0)) == 120.0
    assert attempt_seconds(httpx.Timeout(5.0, read=30.0)) == 60.0
    assert attempt_seconds(httpx.Timeout(None)) is None


# --------------------------------------------------------------------------- no compression


def test_every_request_asks_for_identity_and_does_not_sign_it() -> None:
    endpoint = Endpoint(lambda: httpx.Response(200, content=JOB_BODY))
    with client(endpoint) as c:
        c.describe_batch_inference_job(ARN)
    (request,) = endpoint.requests
    assert request.headers.get_list("accept-encoding") == ["identity"]
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "accept-encoding" not in signed.split(";")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped
        ("deflate", raw_deflate),  # raw, as httpx
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate, gzip", lambda b: gzip.compress(zlib.compress(b))),
        ("identity", lambda b: b),
        ("br", lambda b: b),  # a coding we never decode passes through, as httpx does
        ("gzip", lambda b: gzip.compress(b) + b"trailing"),  # ignored, as httpx does
    ],
    ids=[
        "gzip",
        "x-gzip",
        "deflate-zlib",
        "deflate-raw",
        "gzip-gzip",
        "deflate-gzip",
        "identity",
        "unknown",
        "gzip-trailing",
    ],
)
def test_a_reply_compressed_anyway_is_decoded(
    encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    endpoint = Endpoint(encoded(compress(JOB_BODY), encoding))
    with client(endpoint) as c:
        assert c.describe_batch_inference_job(ARN).job_name == "my-batch-job"


def test_corrupt_and_truncated_codings_keep_their_errors() -> None:
    """As httpx's decoders: not gzip is a transport failure (retried), a truncated stream
    yields what it had (the JSON then fails to parse, not retried)."""
    endpoint = Endpoint(encoded(b"this is not gzip at all", "gzip"))
    with client(endpoint) as c, pytest.raises(ConnectionClosedError):
        c.describe_batch_inference_job(ARN)
    assert len(endpoint.requests) == 3
    endpoint = Endpoint(encoded(gzip.compress(JOB_BODY)[:-12], "gzip"))
    with client(endpoint) as c, pytest.raises(ResponseParseError):
        c.describe_batch_inference_job(ARN)
    assert len(endpoint.requests) == 1


# --------------------------------------------------------------------------- the cap


def deflate_bomb(decoded: int) -> bytes:
    return zlib.compress(bytes(decoded), 9)


@pytest.mark.parametrize("encoding", ["deflate", "gzip, gzip"])
def test_decoded_bytes_count_against_the_cap(encoding: str) -> None:
    body = deflate_bomb(4 * _MIB)
    if encoding != "deflate":
        body = gzip.compress(gzip.compress(bytes(4 * _MIB)))
    assert len(body) < 64 * 1024
    endpoint = Endpoint(encoded(body, encoding))
    cap = pytest.raises(ResponseTooLargeError, match="more than 1048576 bytes decoded")
    with client(endpoint, max_response_bytes=_MIB) as c, cap as info:
        c.describe_batch_inference_job(ARN)
    assert info.value.limit == _MIB
    assert isinstance(info.value, ResponseParseError)
    assert len(endpoint.requests) == 1  # never retried


def test_a_reply_of_exactly_the_cap_parses_and_one_more_byte_does_not() -> None:
    body = JOB_BODY + b" " * 100
    endpoint = Endpoint(lambda: streamed(body, {"content-length": str(len(body))}))
    with client(endpoint, max_response_bytes=len(body)) as c:
        assert c.describe_batch_inference_job(ARN).job_name == "my-batch-job"
    cap = pytest.raises(ResponseTooLargeError, match=f"Content-Length: {len(body)}")
    with client(endpoint, max_response_bytes=len(body) - 1) as c, cap:
        c.describe_batch_inference_job(ARN)


def test_a_streamed_body_without_length_is_counted() -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 65536

    endpoint = Endpoint(lambda: httpx.Response(200, content=chunks()))
    cap = pytest.raises(ResponseTooLargeError, match="more than 1048576 bytes received")
    with client(endpoint, max_response_bytes=_MIB) as c, cap:
        c.describe_batch_inference_job(ARN)
    assert len(endpoint.requests) == 1


def test_the_error_carries_the_request_id_and_no_secret() -> None:
    endpoint = Endpoint(lambda: streamed(b"x" * 2048, {"x-amzn-RequestId": "rid-1"}))
    with (
        client(endpoint, max_response_bytes=1024) as c,
        pytest.raises(ResponseTooLargeError) as info,
    ):
        c.describe_batch_inference_job(ARN)
    error = info.value
    assert error.request_id == "rid-1"
    assert error.__cause__ is None
    assert error.__context__ is None
    assert CREDS.secret_access_key not in repr(error) + str(error)


# --------------------------------------------------------------------------- the deadline


class Ticks:
    """An injected monotonic clock that advances ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def exchange(monotonic: Callable[[], float], **kwargs: Any) -> Exchange:
    request = HttpRequest(method="GET", url="http://127.0.0.1:1/x", headers=(), body=b"")
    options: dict[str, Any] = {
        "timeout": httpx.Timeout(1.0),
        "attempt_timeout": None,
        "max_bytes": _MIB,
        "monotonic": monotonic,
    }
    options.update(kwargs)
    step = options.pop("step", Send(request=request))
    with httpx.Client() as http:
        return Exchange(http, step, **options)


def test_the_deadline_is_checked_with_the_injected_clock_between_chunks() -> None:
    ticks = Ticks(0.5)  # built at 0.5: the 2 s deadline is 2.5
    ex = exchange(ticks)
    assert ex.seconds == 2.0
    assert ex.start(streamed(b""))  # the head: no clock read (nothing is lost yet)
    assert ex.feed(b"a")  # 1.0
    assert ex.feed(b"b")  # 1.5
    assert ex.feed(b"c")  # 2.0
    assert ex.feed(b"d")  # 2.5: exactly at the deadline is still on time
    assert not ex.feed(b"e")  # 3.0: late
    assert not ex.feed(b"f")  # stays stopped
    with pytest.raises(ReadTimeoutError, match=r"attempt deadline \(2 s, attempt_timeout\)"):
        ex.finish()


def test_a_step_timeout_sets_its_own_deadline_and_the_keyword_caps_it() -> None:
    request = HttpRequest(method="GET", url="http://127.0.0.1:1/x", headers=(), body=b"")
    step = Send(request=request, timeout=0.25)
    assert exchange(Ticks(0), step=step).seconds == 0.5
    assert exchange(Ticks(0), step=step, attempt_timeout=0.3).seconds == 0.3
    assert exchange(Ticks(0), step=step, attempt_timeout=9.0).seconds == 0.5
    assert exchange(Ticks(0), attempt_timeout=9.0).seconds == 9.0  # the client's requests


def test_phases_longer_than_the_deadline_are_clamped() -> None:
    ex = exchange(Ticks(0), attempt_timeout=0.3)
    assert ex.request.extensions["timeout"] == {
        "connect": 0.3,
        "read": 0.3,
        "write": 0.3,
        "pool": 0.3,
    }


# --------------------------------------------------------------------------- the hard deadline
# _deadline.py: the sync client's network backend. Loopback runs of every phase are in
# test_faults.py ("a head dripping in", "a body gap just under the read timeout").


class Stream(httpcore.NetworkStream):
    """A network stream that records the timeout of each call and can time out."""

    def __init__(self, *, time_out: bool = False) -> None:
        self.timeouts: list[float | None] = []
        self.time_out = time_out

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.timeouts.append(timeout)
        if self.time_out:
            raise httpcore.ReadTimeout("timed out")
        return b"x"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.timeouts.append(timeout)
        if self.time_out:
            raise httpcore.WriteTimeout("timed out")

    def close(self) -> None:
        return None


class Backend(httpcore.NetworkBackend):
    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.timeouts: list[float | None] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        return self.stream


@pytest.fixture
def attempt() -> Iterator[Callable[[float | None], None]]:
    """``attempt(seconds)``: begin an attempt in this thread; ended after the test."""
    previous: list[float | None] = []

    def begin(seconds: float | None) -> None:
        previous.append(_deadline.begin(seconds))

    yield begin
    for value in reversed(previous):
        _deadline.end(value)


def connect(stream: Stream) -> tuple[Backend, httpcore.NetworkStream]:
    inner = Backend(stream)
    return inner, DeadlineBackend(inner).connect_tcp("127.0.0.1", 1, timeout=5.0)


def test_without_a_deadline_every_timeout_passes_through() -> None:
    inner, stream = connect(Stream())
    stream.read(10, timeout=5.0)
    stream.write(b"x", timeout=None)
    assert inner.timeouts == [5.0]
    assert inner.stream.timeouts == [5.0, None]
    assert not _deadline.passed()


def test_each_operation_gets_at_most_the_time_left(
    attempt: Callable[[float | None], None],
) -> None:
    attempt(2.0)
    inner, stream = connect(Stream())
    stream.read(10, timeout=0.5)  # the phase timeout is shorter: kept
    stream.read(10, timeout=5.0)  # the time left is shorter: clamped
    stream.write(b"x", timeout=None)  # no phase timeout: the time left
    assert inner.timeouts[0] is not None
    assert 1.5 < inner.timeouts[0] <= 2.0
    first, second, third = inner.stream.timeouts
    assert first == 0.5
    assert second is not None
    assert 1.5 < second <= 2.0
    assert third is not None
    assert 1.5 < third <= second
    assert not _deadline.passed()


def test_a_timeout_is_the_deadlines_only_when_the_deadline_set_it(
    attempt: Callable[[float | None], None],
) -> None:
    attempt(60.0)
    _, stream = connect(Stream(time_out=True))
    with pytest.raises(httpcore.ReadTimeout):
        stream.read(10, timeout=0.5)  # the phase's own timeout
    assert not _deadline.passed()
    with pytest.raises(httpcore.WriteTimeout):
        stream.write(b"x", timeout=120.0)  # clamped to the ~60 s left
    assert _deadline.passed()


def test_with_no_time_left_nothing_touches_the_socket(
    attempt: Callable[[float | None], None],
) -> None:
    inner, stream = connect(Stream())
    attempt(1e-9)
    time.sleep(0.001)
    with pytest.raises(httpcore.ReadTimeout, match="attempt deadline passed"):
        stream.read(10, timeout=5.0)
    with pytest.raises(httpcore.WriteTimeout, match="attempt deadline passed"):
        stream.write(b"x", timeout=5.0)
    assert inner.stream.timeouts == []
    assert _deadline.passed()
    backend = Backend(Stream())
    with pytest.raises(httpcore.ConnectTimeout, match="attempt deadline passed"):
        DeadlineBackend(backend).connect_tcp("127.0.0.1", 1, timeout=5.0)
    assert backend.timeouts == []
    _deadline.begin(None)  # the next attempt starts afresh
    assert not _deadline.passed()


def test_the_transports_we_create_are_bounded_and_a_borrowed_one_is_not() -> None:
    proxied = {**ENV, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    with PersonalizeClient(region="us-east-1", credentials=CREDS, env=proxied) as ours:
        router = ours._client._transport  # type: ignore[union-attr]
        assert isinstance(router, ProxyRouter)
        assert is_bounded(router.direct)
        assert router._via
        assert all(is_bounded(t) for t in router._via.values())
        assert ours._direct()._transport is router.direct
    with PersonalizeClient(region="us-east-1", credentials=CREDS, env=ENV) as ours:
        assert is_bounded(ours._client._transport)  # type: ignore[union-attr]
    # Your own client keeps its transport; the direct client we make for it is ours.
    borrowed = httpx.Client(transport=httpx.HTTPTransport(proxy="http://127.0.0.1:9"))
    with PersonalizeClient(
        region="us-east-1", credentials=CREDS, env=ENV, http_client=borrowed
    ) as yours:
        assert not is_bounded(borrowed._transport)
        assert is_bounded(yours._direct()._transport)
    plain = httpx.Client()
    with PersonalizeClient(
        region="us-east-1", credentials=CREDS, env=ENV, http_client=plain
    ) as yours:
        assert yours._direct()._transport is plain._transport
        assert not is_bounded(plain._transport)
    borrowed.close()
    plain.close()


def test_bounded_wraps_once_and_leaves_other_pools_alone() -> None:
    transport = bounded(httpx.HTTPTransport())
    backend = transport._pool._network_backend
    assert isinstance(backend, DeadlineBackend)
    assert isinstance(backend.backend, httpcore.SyncBackend)
    assert bounded(transport)._pool._network_backend is backend
    assert is_bounded(bounded(httpx.HTTPTransport(proxy="http://127.0.0.1:9")))
    mock = httpx.MockTransport(lambda _request: httpx.Response(200))
    assert bounded(mock) is mock
    assert not is_bounded(mock)
    transport.close()


def test_the_deadline_belongs_to_the_thread_that_set_it(
    attempt: Callable[[float | None], None],
) -> None:
    attempt(1e-9)
    time.sleep(0.001)
    seen: list[list[float | None]] = []

    def other_thread() -> None:
        inner, stream = connect(Stream())
        stream.read(10, timeout=5.0)
        seen.append(inner.stream.timeouts)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(timeout=10)
    assert seen == [[5.0]]  # untouched by this thread's spent deadline
    with pytest.raises(httpcore.ConnectTimeout):  # while this thread's is spent
        connect(Stream())


def test_a_borrowed_client_keeps_its_read_timeout_and_the_between_chunks_check() -> None:
    """Your own http_client's transport is not rebuilt: a body piece every 0.9 s (read
    timeout 1 s, deadline 1 s) is cut at the first piece after the deadline (~1.8 s),
    by the Exchange's check, not at the deadline itself as over our own transports."""
    server = FaultServer([Drip(FaultReply(200, JOB_BODY), pieces=3, interval=0.9)])
    borrowed = httpx.Client()
    try:
        with PersonalizeClient(
            region="us-east-1",
            credentials=CREDS,
            env=ENV,
            endpoint_url=server.url,
            retry=RetryConfig(max_attempts=1),
            timeout=1.0,
            attempt_timeout=1.0,
            http_client=borrowed,
        ) as c:
            started = time.monotonic()
            with pytest.raises(ReadTimeoutError, match=r"attempt deadline \(1 s"):
                c.describe_batch_inference_job(ARN)
            elapsed = time.monotonic() - started
    finally:
        borrowed.close()
        server.close()
    assert 1.7 <= elapsed < 1.8 + 0.5, f"{elapsed:.2f} s"
