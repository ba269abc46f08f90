"""The emulator (FixtureServer, as ``personalize-lite serve`` runs it) against requests no
client should send: every malformed request gets an HTTP error reply (JSON 1.1, AWS's
shape) or a closed connection, never a traceback in a handler thread; idle connections
time out; the connections served at once are capped; a fuzz test throws garbage at it.

Every test here runs under ``no_leaks``: it captures ``threading.excepthook`` and the
process's stderr (where socketserver prints a handler's traceback) and fails on anything.
Everything talks to 127.0.0.1 over raw sockets with timeouts.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from personalize_lite._sigv4 import sign_headers
from personalize_lite.testing import FixtureServer
from personalize_lite.testing._emulator import example_credentials
from personalize_lite.testing._server import MAX_BODY, MAX_HEAD, MAX_HEADERS, MAX_REQUEST_LINE
from tests.support.paths import FIXTURES as FIXTURES_DIR

EXAMPLE = example_credentials(env={})
SECRETS = {EXAMPLE.access_key_id: EXAMPLE.secret_access_key}
TARGET = "AmazonPersonalize.DescribeBatchInferenceJob"
JSON_1_1 = "application/x-amz-json-1.1"
FULL_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-full"
#: Short, so that tests waiting on it stay fast; the default is 10 s.
IDLE = 0.5


@pytest.fixture(autouse=True)
def no_leaks(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Fail the test if a thread died with an exception or anything reached stderr."""
    died: list[str] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        died.append(f"{args.exc_type.__name__}: {args.exc_value}")

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous
    err = capfd.readouterr().err
    assert died == []
    assert "Traceback" not in err
    assert err == ""


@contextlib.contextmanager
def running(**kwargs: object) -> Iterator[FixtureServer]:
    kwargs.setdefault("credentials", SECRETS)
    kwargs.setdefault("idle_timeout", IDLE)
    with FixtureServer([FIXTURES_DIR], **kwargs) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with running() as started:
        yield started


def address(server: FixtureServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def exchange(server: FixtureServer, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data``, close our side, and read until the server closes (or resets)."""
    received = bytearray()
    with socket.create_connection(address(server), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            # It closed with our bytes unread (a reset), or before our shutdown (ENOTCONN,
            # as after a 503 refusal): counted as closed, with what was received.
            pass
    return bytes(received)


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers lower-cased, body) of the first reply in ``raw``."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep, raw[:200]
    lines = head.decode("latin-1").split("\r\n")
    version, status, _ = lines[0].split(" ", 2)
    assert version == "HTTP/1.1", lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status), headers, rest[: int(headers.get("content-length", len(rest)))]


def aws_error(raw: bytes) -> tuple[int, str, dict[str, str]]:
    """(status, __type, headers) of a JSON 1.1 error reply, checking its framing."""
    status, headers, body = parse(raw)
    assert headers["content-type"] == JSON_1_1
    assert headers["x-amzn-requestid"]
    assert headers["date"]
    doc = json.loads(body)
    assert set(doc) == {"__type", "message"}
    assert headers["x-amzn-errortype"] == doc["__type"]
    return status, doc["__type"], headers


def request(
    lines: list[str] | None = None, body: bytes = b"", *, head: bytes | None = None
) -> bytes:
    """A raw POST / with ``lines`` as header lines (Host and Content-Length are not added)."""
    if head is None:
        head = ("POST / HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines or [])).encode(
            "latin-1"
        )
    return head + b"\r\n" + body


def signed(
    server: FixtureServer, body: bytes, *, host: str | None = None, length: str | None = None
) -> bytes:
    """A POST / signed with the example keys, as our client signs it; ``host`` and
    ``length`` replace the Host and Content-Length sent (after signing)."""
    headers = sign_headers(
        method="POST",
        url=server.url + "/",
        headers=[("Content-Type", JSON_1_1), ("X-Amz-Target", TARGET)],
        body=body,
        credentials=EXAMPLE,
        region="us-east-1",
        now=datetime.now(timezone.utc),
    )
    lines = [f"Host: {server.url.removeprefix('http://') if host is None else host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    return request(lines, body)


def valid(server: FixtureServer) -> bytes:
    return signed(server, json.dumps({"batchInferenceJobArn": FULL_ARN}).encode())


def assert_still_serving(server: FixtureServer, *, within: float = 3.0) -> None:
    """A valid request gets its job. The server frees a connection slot in the handler
    thread just after it closes that connection, so a test that has just had its last
    slot freed may first see the 503 of a full server: retried until ``within``."""
    deadline = time.monotonic() + within
    raw = exchange(server, valid(server))
    while (not raw or parse(raw)[0] == 503) and time.monotonic() < deadline:
        time.sleep(0.05)
        raw = exchange(server, valid(server))
    status, _, body = parse(raw)
    assert status == 200
    assert json.loads(body)["batchInferenceJob"]["jobName"] == "movie-recs-full"


# ------------------------------------------------------------ malformed requests

HOST = "Host: 127.0.0.1"
#: (id, request bytes, expected status, expected __type). Framing errors close the connection.
FRAMING = [
    # int("²") raised ValueError in the handler thread ("²".isdigit() is True).
    ("length-superscript-two", request([HOST, "Content-Length: \xb2"]), 400, "BadRequestException"),
    ("length-superscript-one", request([HOST, "Content-Length: \xb9"]), 400, "BadRequestException"),
    ("length-utf8-superscript", request([HOST, "Content-Length: \xc2\xb2"]), 400,
     "BadRequestException"),
    # int() of more than 4,300 digits raised ValueError in the handler thread.
    ("length-5000-digits", request([HOST, "Content-Length: " + "9" * 5000]), 413,
     "RequestEntityTooLargeException"),
    ("length-zeros-then-5000-digits",
     request([HOST, "Content-Length: " + "0" * 5000 + "1" * 5000]), 413,
     "RequestEntityTooLargeException"),
    ("length-negative", request([HOST, "Content-Length: -1"]), 400, "BadRequestException"),
    ("length-words", request([HOST, "Content-Length: abc"]), 400, "BadRequestException"),
    ("length-two-values", request([HOST, "Content-Length: 2", "Content-Length: 3"], b"{}"), 400,
     "BadRequestException"),
    ("length-list", request([HOST, "Content-Length: 2, 2"], b"{}"), 400, "BadRequestException"),
    ("length-beyond-the-cap", request([HOST, f"Content-Length: {MAX_BODY + 1}"]), 413,
     "RequestEntityTooLargeException"),
    ("chunked", request([HOST, "Transfer-Encoding: chunked"], b"0\r\n\r\n"), 411,
     "LengthRequiredException"),
    ("no-host", request(["Content-Length: 0"]), 400, "BadRequestException"),
    ("two-hosts", request([HOST, "Host: 127.0.0.2", "Content-Length: 0"]), 400,
     "BadRequestException"),
    ("host-unclosed-bracket", request(["Host: [x", "Content-Length: 0"]), 400,
     "BadRequestException"),
    ("host-port-too-big", request(["Host: 127.0.0.1:99999", "Content-Length: 0"]), 400,
     "BadRequestException"),
    ("host-with-path", request(["Host: a/b", "Content-Length: 0"]), 400, "BadRequestException"),
    # http.server answered these with a bare HTML body and no status line (HTTP/0.9).
    ("request-line-one-word", b"GARBAGE\r\n\r\n", 400, "BadRequestException"),
    ("http-0.9-request", b"GET /\r\n", 400, "BadRequestException"),
    ("request-line-bad-version", b"POST / HTTP/x.y\r\n\r\n", 400, "BadRequestException"),
    ("request-line-http2", b"POST / HTTP/2.0\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
    ("request-line-too-long", b"POST /" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.1\r\n\r\n", 414,
     "RequestURITooLongException"),
    ("header-line-too-long", request([HOST, "X-Big: " + "a" * MAX_HEAD]), 431,
     "RequestHeaderFieldsTooLargeException"),
    # 100 headers of 1 KiB each were accepted (6.5 MB of headers could be).
    ("head-too-large", request([HOST, *(f"X-H{i}: {'a' * 1000}" for i in range(90))]), 431,
     "RequestHeaderFieldsTooLargeException"),
    ("too-many-headers", request([HOST, *(f"X-H{i}: a" for i in range(MAX_HEADERS + 1))]), 431,
     "RequestHeaderFieldsTooLargeException"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [pytest.param(data, status, code, id=name) for name, data, status, code in FRAMING],
)
def test_a_request_that_cannot_be_framed_gets_an_error_and_the_connection_closes(
    server: FixtureServer, data: bytes, status: int, code: str
) -> None:
    raw = exchange(server, data)
    got_status, got_code, headers = aws_error(raw)
    assert (got_status, got_code) == (status, code)
    assert headers["connection"] == "close"
    assert raw.count(b"HTTP/1.1 ") == 1  # nothing after it was taken for a request
    assert_still_serving(server)


def test_a_signed_request_with_an_invalid_host_is_refused(server: FixtureServer) -> None:
    # Signed with the example keys: the signature check built a URL from "[x" and raised.
    body = json.dumps({"batchInferenceJobArn": FULL_ARN}).encode()
    for host in ("[x", "[::1", "[not-an-address]", "a b", "127.0.0.1:65536"):
        status, code, _ = aws_error(exchange(server, signed(server, body, host=host)))
        assert (status, code) == (400, "BadRequestException"), host
    assert_still_serving(server)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b"{not json", "SerializationException", id="bad-json"),
        pytest.param(b'{"batchInferenceJobArn": "\xff\xfe"}', "SerializationException",
                     id="not-utf8"),
        pytest.param(b"[" * 100_000, "SerializationException", id="nested-too-deep"),
        pytest.param(b'{"a": ' + b"[" * 100_000 + b"}", "SerializationException",
                     id="nested-too-deep-in-an-object"),
        pytest.param(b"[]", "SerializationException", id="not-an-object"),
        pytest.param(b"", "SerializationException", id="empty"),
        pytest.param(b"{}", "ValidationException", id="no-arn"),
        pytest.param(b'{"batchInferenceJobArn": 7}', "ValidationException", id="arn-not-a-string"),
    ],
)  # fmt: skip
def test_a_signed_body_that_is_not_the_operations_json_is_a_400(
    server: FixtureServer, body: bytes, code: str
) -> None:
    status, got, headers = aws_error(exchange(server, signed(server, body)))
    assert (status, got) == (400, code)
    assert headers.get("connection") != "close"  # well framed: the connection could go on
    assert_still_serving(server)


def test_a_client_that_leaves_mid_body_is_dropped_quietly(server: FixtureServer) -> None:
    assert exchange(server, request([HOST, "Content-Length: 100"], b"{}")) == b""
    assert_still_serving(server)


@pytest.mark.parametrize(
    "line",
    [
        b"BREW / HTTP/1.1",  # an unknown method: not http.server's 501 HTML page
        b"POST http://[x/ HTTP/1.1",  # absolute form: urlsplit raised on it
        b"POST http://127.0.0.1/ HTTP/1.1",
        b"POST * HTTP/1.1",
        b"POST /#x HTTP/1.1",
    ],
)
def test_another_method_or_request_target_is_an_unknown_operation(
    server: FixtureServer, line: bytes
) -> None:
    data = line + b"\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    status, code, _ = aws_error(exchange(server, data))
    assert (status, code) == (400, "UnknownOperationException")
    assert_still_serving(server)


def test_error_bodies_never_quote_an_authorization_value(server: FixtureServer) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWJlYXJlci10b2tlbg"  # made up
    for value in (token, f"Bearer {token}", f"{token} Credential=x"):
        raw = exchange(server, request([HOST, f"Authorization: {value}", "Content-Length: 0"]))
        status, code, _ = aws_error(raw)
        assert (status, code) == (400, "IncompleteSignatureException")
        assert token not in raw.decode("latin-1")


# ------------------------------------------------------------ idle time and connection count


def test_an_idle_connection_is_closed_after_the_idle_timeout(server: FixtureServer) -> None:
    for sent in (b"", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"):  # silent, or mid-head
        with socket.create_connection(address(server), timeout=IDLE * 6) as sock:
            sock.sendall(sent)
            started = time.monotonic()
            assert sock.recv(1024) == b""  # closed by the server, no reply
            assert IDLE * 0.8 <= time.monotonic() - started < IDLE * 6
    assert_still_serving(server)


def test_a_client_trickling_its_request_head_is_dropped_when_the_head_is_late() -> None:
    """Review C3: the idle timeout applied to each read, so a client sending one byte of
    its head every 0.6 idle timeouts held its connection slot for ever (and, with
    max_connections=1, every other client got 503). The whole head now has to arrive
    within the idle timeout."""
    assert_trickler_dropped(b"", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40)


def assert_trickler_dropped(sent_at_once: bytes, trickled: bytes) -> None:
    """Against a one-slot server (idle timeout 0.5 s): send ``sent_at_once``, then
    ``trickled`` one byte every 0.3 s; the server must close (no reply) between 0.4 and
    2 s into the trickle, and then serve the next client."""
    idle = 0.5
    with running(max_connections=1, idle_timeout=idle) as server:
        with socket.create_connection(address(server), timeout=idle * 10) as slow:
            slow.sendall(sent_at_once)
            started = time.monotonic()
            closed_after = None
            for byte in trickled:  # ~0.3 s a byte if never closed; the close is awaited
                try:
                    slow.sendall(bytes([byte]))
                except ConnectionError:
                    closed_after = time.monotonic() - started
                    break
                ready, _, _ = select.select([slow], [], [], idle * 0.6)
                if ready:
                    try:
                        reply = slow.recv(1024)
                    except ConnectionError:
                        reply = b""
                    assert reply == b"", reply[:200]  # closed, no reply
                    closed_after = time.monotonic() - started
                    break
            assert closed_after is not None, "the trickling client was never dropped"
            assert idle * 0.8 <= closed_after < idle * 4, closed_after
        assert_still_serving(server)  # the one slot is free again


def test_a_client_trickling_its_request_body_is_dropped_when_the_body_is_late() -> None:
    """The idle timeout applied to each read of the body, so a client sending one byte of
    a 1 MiB body every 0.6 idle timeouts could hold its connection slot for days. The
    whole body now has to arrive within the idle timeout after the head."""
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60\r\n\r\n"
    assert_trickler_dropped(head, b"{" * 60)


def replies_within(sockets: list[socket.socket], seconds: float, wanted: int) -> list[bytes]:
    """The non-empty first reads of ``sockets`` within ``seconds`` (stops at ``wanted``)."""
    pending, replies = set(sockets), list[bytes]()
    deadline = time.monotonic() + seconds
    while pending and len(replies) < wanted and (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(list(pending), [], [], left)
        for sock in ready:
            pending.discard(sock)
            if reply := sock.recv(4096):
                replies.append(reply)
    return replies


def thread_count_settles(target: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if threading.active_count() <= target:
            return True
        time.sleep(0.05)
    return threading.active_count() <= target


def test_300_idle_connections_do_not_leave_300_threads() -> None:
    cap, idle = 16, 3.0
    with running(max_connections=cap, idle_timeout=idle) as server:
        baseline = peak = threading.active_count()
        sockets: list[socket.socket] = []
        try:
            started = time.monotonic()
            for _ in range(300):  # on a loaded machine this can take a while: sample as we go
                sockets.append(socket.create_connection(address(server), timeout=5))
                peak = max(peak, threading.active_count())
            connecting = time.monotonic() - started
            assert baseline < peak <= baseline + cap
            # Those beyond the cap were answered 503 at once (our client retries that) and
            # closed; a served one only speaks, by closing, after the idle timeout. At most
            # `cap` are served per idle timeout that passed while we were connecting.
            served_at_most = cap * (int(connecting / idle) + 1)
            refused = replies_within(sockets, 2.0, wanted=300 - served_at_most)
            assert len(refused) >= 300 - served_at_most, (len(refused), connecting)
            for reply in refused:
                status, code, _ = aws_error(reply)
                assert (status, code) == (503, "ServiceUnavailableException")
            # The served ones time out; then the thread count is back to where it was.
            assert thread_count_settles(baseline, within=idle * 3), threading.active_count()
            assert_still_serving(server)
        finally:
            for sock in sockets:
                sock.close()


# ------------------------------------------------------------ fuzz

_METHODS = st.sampled_from(["POST", "GET", "HEAD", "PUT", "", "P\x00ST", "POST POST"])
_PATHS = st.sampled_from(["/", "/x", "", "*", "http://[x/", "/?a=%zz", "/\xff"])
_VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/9.9", "", "HTTP/1.1 x"])
_HEADER_NAMES = st.sampled_from(
    ["Host", "Content-Length", "Transfer-Encoding", "Authorization", "X-Amz-Date",
     "X-Amz-Target", "Connection", "Expect", "X-Amz-Security-Token", "", " Host", "Host "]
)  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(["0", "2", "-1", "\xb2", "9" * 50, "[x", "127.0.0.1", "chunked",
                     "close", "100-continue", TARGET, "AWS4-HMAC-SHA256 Credential=a/b/c/d/e"]),
    st.text(max_size=40),
)  # fmt: skip


@st.composite
def http_like(draw: st.DrawFn) -> bytes:
    """Something shaped like a request: line, headers and body each possibly broken."""
    line = f"{draw(_METHODS)} {draw(_PATHS)} {draw(_VERSIONS)}"
    headers = draw(st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=8))
    head = line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)
    ending = draw(st.sampled_from(["\r\n", "\n", "", "\r\n\r\n"]))
    body = draw(st.binary(max_size=64))
    return head.encode("utf-8", "surrogatepass") + ending.encode() + body


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(st.binary(max_size=300), http_like()))
@example(data=b"POST / HTTP/1.1\r\nHost: [x\r\nContent-Length: \xb2\r\n\r\n")
@example(data=b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + b"1" * 5000 + b"\r\n\r\n")
@example(data=b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n" + b"[" * 9)
@example(data=b"POST http://[x/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
@example(data=b"\r\n\r\n\r\n")
@example(data=b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a TLS ClientHello
def test_fuzz_garbage_gets_a_status_or_a_close_and_the_server_keeps_serving(
    server: FixtureServer, data: bytes
) -> None:
    # One server takes every example (the fixture is per test, not per example), and
    # must answer a valid request after each.
    started = time.monotonic()
    raw = exchange(server, data, timeout=IDLE * 6)
    assert time.monotonic() - started < IDLE * 6
    raw = raw.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")  # Expect: 100-continue
    if raw:
        assert raw.startswith(b"HTTP/1.1 "), raw[:100]
        status = int(raw[9:12])
        assert 400 <= status < 500 or status == 505, raw[:200]
        if data.split(maxsplit=1)[0:1] != [b"HEAD"]:  # a reply to HEAD has no body
            aws_error(raw)  # JSON 1.1 framed, whatever the status
    assert_still_serving(server)


#: RFC 9110 token characters: what a header name (or, here, a region) may be made of.
_HEADER_TOKEN = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=12,
)
_LATIN1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra=st.lists(st.tuples(_HEADER_TOKEN, _LATIN1), max_size=4),
    region=st.one_of(st.just("us-east-1"), _HEADER_TOKEN.filter(lambda r: "/" not in r)),
    path=st.sampled_from(["/", "/?a=b", "/?x=%ff", "/?[x]", "/?a=\xe9"]),
    body=st.one_of(
        st.binary(max_size=64),
        st.builds(lambda arn: json.dumps({"batchInferenceJobArn": arn}).encode(), _LATIN1),
    ),
)
def test_fuzz_signed_requests_with_odd_headers_region_path_and_body(
    server: FixtureServer, extra: list[tuple[str, str]], region: str, path: str, body: bytes
) -> None:
    """Validly signed requests carrying whatever a signer accepts: the signature check
    (which recomputes over all of it) answers 200 or a JSON 1.1 4xx, never a traceback."""
    headers = sign_headers(
        method="POST",
        url=server.url + path,
        headers=[("Content-Type", JSON_1_1), ("X-Amz-Target", TARGET), *extra],
        body=body,
        credentials=EXAMPLE,
        region=region,
        now=datetime.now(timezone.utc),
    )
    lines = [f"Host: {server.url.removeprefix('http://')}", *(f"{k}: {v}" for k, v in headers)]
    lines.append(f"Content-Length: {len(body)}")
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines)
    raw = exchange(server, head.encode("latin-1") + b"\r\n" + body)
    status, _, _ = parse(raw)
    if status != 200:
        assert 400 <= status < 500, raw[:300]
        _, code, _ = aws_error(raw)
        if not {name.strip().lower() for name, _ in extra} & _FRAMING_HEADERS:
            # What our signer signed, the emulator's check accepts (same bytes, same rules).
            assert code not in ("InvalidSignatureException", "IncompleteSignatureException")
    assert_still_serving(server)


#: Headers the request above sets itself, or that change how it is framed or signed.
_FRAMING_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "authorization", "x-amz-date",
     "x-amz-security-token", "x-amz-content-sha256", "content-type", "x-amz-target",
     "expect", "connection"}
)  # fmt: skip
