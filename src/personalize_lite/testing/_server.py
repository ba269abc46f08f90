"""A loopback HTTP server that answers DescribeBatchInferenceJob from cassettes, and
plays the batch inference job lifecycle (create, list, describe) with live state.

Any client can talk to it (ours, boto3, the AWS CLI) with ``--endpoint-url``. It binds to
a loopback address only (127.0.0.0/8 or ::1). An unknown ARN gets
``ResourceNotFoundException`` (400) and anything that is not ``POST /`` with the
DescribeBatchInferenceJob, CreateBatchInferenceJob or ListBatchInferenceJobs target gets
``UnknownOperationException`` (400), both framed
as JSON 1.1 errors (``{"__type": ..., "message": ...}``, ``x-amzn-RequestId``,
``x-amzn-ErrorType``). Jobs created through the server live in a :class:`JobStore`
(:mod:`._jobs`): they move from PENDING to ACTIVE (or CREATE FAILED) over ``job_duration``
seconds of the server's clock, and are listed with the jobs the cassettes recorded.

Signatures are not checked unless ``credentials`` (access key id to secret key) is
given: then every request must be SigV4-signed by one of those keys, as AWS would insist
(see :mod:`._emulator`). ``personalize-lite serve`` runs it that way.

Whatever arrives, the answer is an HTTP reply or a closed connection, never a traceback:
a request that cannot be framed (request line, headers, ``Host``, ``Content-Length``)
gets a JSON 1.1 error and the connection is closed; a body that is not a UTF-8 JSON
object gets ``SerializationException``. Request heads, bodies, idle time and the number
of connections served at once are bounded (the ``MAX_*`` and ``IDLE_TIMEOUT`` values).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from .._errors import PersonalizeServiceError
from ._cassette import Cassette, RecordedResponse, load_cassettes, match_key
from ._emulator import check_signature
from ._fixtures import default_fixtures
from ._jobs import DEFAULT_FAIL_JOBS, DEFAULT_JOB_DURATION, MAX_JOBS, JobStore

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_BODY",
    "MAX_CONNECTIONS",
    "MAX_HEAD",
    "MAX_HEADERS",
    "MAX_REQUEST_LINE",
    "FixtureServer",
    "default_fixtures",  # defined in _fixtures; still importable from here
    "loopback_host",
    "recorded_jobs",
]

_TARGET: Final = "AmazonPersonalize.DescribeBatchInferenceJob"
_CREATE: Final = "AmazonPersonalize.CreateBatchInferenceJob"
_LIST: Final = "AmazonPersonalize.ListBatchInferenceJobs"
_JSON_1_1: Final = "application/x-amz-json-1.1"
#: Largest request body accepted (413 beyond).
MAX_BODY: Final = 1 << 20
#: Longest request line (414 beyond).
MAX_REQUEST_LINE: Final = 8 << 10
#: Request line and headers together (431 beyond).
MAX_HEAD: Final = 64 << 10
#: Header fields in one request (431 beyond; http.client's own limit).
MAX_HEADERS: Final = http.client._MAXHEADERS  # type: ignore[attr-defined]
#: Seconds a connection may stay silent (between requests or within one) before it is closed.
IDLE_TIMEOUT: Final = 10.0
#: Connections served at once; one more is answered 503 and closed at once.
MAX_CONNECTIONS: Final = 64
#: Seconds spent reading what a client still sends once its connection is being closed.
_LINGER: Final = 0.2

_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)
#: ``Host``: a bracketed IPv6 literal or a registered name / IPv4, and an optional port.
_HOST: Final = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|[A-Za-z0-9._~-]+)(?::(?P<port>[0-9]{1,5}))?", re.ASCII
)
#: ``__type`` of the errors http.server itself raises while framing a request.
_FRAMING_CODES: Final = {
    400: "BadRequestException",
    411: "LengthRequiredException",
    413: "RequestEntityTooLargeException",
    414: "RequestURITooLongException",
    431: "RequestHeaderFieldsTooLargeException",
    505: "HTTPVersionNotSupportedException",
}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def loopback_host(host: str) -> str:
    """``host`` as the loopback IP address to bind (``localhost`` is 127.0.0.1); a
    ValueError for anything that is not loopback."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(
            f"{host!r} is not a loopback address; use 127.0.0.1, ::1 or localhost"
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"{host!r} is not a loopback address; the server only binds 127.0.0.0/8 or ::1"
        )
    return str(address)


def _valid_host(value: str) -> bool:
    """A ``Host`` value a URL can be built from: a name or an address, a port up to 65535."""
    found = _HOST.fullmatch(value)
    if found is None:
        return False
    if found.group("ipv6") is not None:
        try:
            ipaddress.IPv6Address(found.group("ipv6"))
        except ValueError:
            return False
    return found.group("port") is None or int(found.group("port")) <= 65535


def _error(status: int, code: str, message: str) -> RecordedResponse:
    """A JSON 1.1 error as AWS frames it."""
    return RecordedResponse(
        status=status,
        headers={"Content-Type": _JSON_1_1, "x-amzn-ErrorType": code},
        body=json.dumps({"__type": code, "message": message}),
    )


def _ok(payload: Mapping[str, Any]) -> RecordedResponse:
    """A JSON 1.1 success reply."""
    return RecordedResponse(
        status=200, headers={"Content-Type": _JSON_1_1}, body=json.dumps(payload)
    )


def recorded_jobs(cassettes: Iterable[Cassette]) -> list[dict[str, Any]]:
    """The jobs the cassettes describe: each ARN's last recorded 200 reply."""
    found: dict[str, dict[str, Any]] = {}
    for cassette in cassettes:
        for interaction in cassette.interactions:
            if interaction.response.status != 200:
                continue
            reply = _decode(interaction.response.body.encode("utf-8"))
            job = reply.get("batchInferenceJob") if isinstance(reply, dict) else None
            if isinstance(job, dict) and isinstance(job.get("batchInferenceJobArn"), str):
                found[job["batchInferenceJobArn"]] = job
    return list(found.values())


class _HeadReader(io.BufferedIOBase):
    """The connection's reader with a byte budget and a deadline for each request's head
    and then its body: a ``readline`` beyond :data:`MAX_HEAD` raises ``LineTooLong``,
    which http.server answers with 431; past ``deadline`` (``time.monotonic()``) a read
    raises TimeoutError.
    Before each read from the socket its timeout is set to the time left, so a client
    trickling one byte at a time cannot hold a connection slot past the deadline."""

    def __init__(self, raw: io.BufferedReader, connection: socket.socket) -> None:
        super().__init__()
        self._raw = raw
        self._connection = connection
        self.left = MAX_HEAD
        self.deadline = float("inf")

    def _arm(self, what: str) -> None:
        """Before one socket read: its timeout is the time left to ``deadline``."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{what} did not arrive in time")
        self._connection.settimeout(remaining)

    def readline(self, size: int | None = -1, /) -> bytes:
        want = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        line = bytearray()
        while len(line) < want:
            self._arm("the request head")
            chunk = self._raw.peek(1)[: want - len(line)]  # at most one read from the socket
            if not chunk:
                break  # the client closed
            end = chunk.find(b"\n")
            line += self._raw.read(len(chunk) if end < 0 else end + 1)  # already buffered
            if end >= 0:
                break
        self.left -= len(line)
        if self.left < 0:
            raise http.client.LineTooLong(f"request head beyond {MAX_HEAD} bytes")
        return bytes(line)

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (a request body), each socket read bounded by the time
        left to ``deadline``: a body trickled one byte at a time ends at the deadline
        (TimeoutError) instead of holding the connection for a read timeout per byte."""
        if size is None or size < 0:
            raise ValueError("the emulator reads a body of a known length only")
        data = bytearray()
        while len(data) < size:
            self._arm("the request body")
            chunk = self._raw.read1(size - len(data))  # at most one read from the socket
            if not chunk:
                break  # the client closed
            data += chunk
        return bytes(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # A reply is two writes (head, body): with Nagle's algorithm and the client's delayed
    # ACK, every keep-alive exchange would stall ~40 ms on loopback.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # every read and write
        self._reader = _HeadReader(self.rfile, self.connection)  # type: ignore[arg-type]
        self.rfile = self._reader

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server is for tests and demos."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` that ``send_response`` adds, from the server's clock: clients learn
        their clock skew from it."""
        return formatdate(
            self.server.clock().timestamp() if timestamp is None else timestamp, usegmt=True
        )

    def handle_one_request(self) -> None:
        """http.server's loop step, with our bounds, and every method served by
        :meth:`_serve` (an unknown one is an unknown operation, not a 501)."""
        self._reader.left = MAX_HEAD
        # The whole head (including the wait for its first byte) within the idle timeout.
        self._reader.deadline = time.monotonic() + self.server.idle_timeout
        self._replied = False
        try:
            self.raw_requestline = self._reader.readline(MAX_REQUEST_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline = self.command = ""
                self.request_version = self.default_request_version
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.parse_request():
                return  # http.server has answered, through send_error
            # The whole body within the idle timeout, counted from the end of the head.
            self._reader.deadline = time.monotonic() + self.server.idle_timeout
            self._serve()
            self.wfile.flush()
        except (TimeoutError, ConnectionError):
            self.close_connection = True  # silent for IDLE_TIMEOUT, or gone: drop it
        except Exception:
            self.close_connection = True
            if not self._replied:  # a bug of ours: say so, then let handle_error print it
                self._reply(_error(500, "InternalFailure", "the emulator failed"))
            raise

    def send_error(
        self,
        code: int,
        message: str | None = None,
        explain: str | None = None,  # noqa: ARG002 (http.server's HTML detail: not sent)
    ) -> None:
        """http.server's own refusals (request line, version, headers), as JSON 1.1
        errors; the connection is closed after them."""
        self.close_connection = True
        phrase = message or HTTPStatus(code).phrase
        self._reply(_error(code, _FRAMING_CODES.get(code, "BadRequestException"), phrase))

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not _valid_host(hosts[0]):
            self.close_connection = True
            self._reply(_error(400, "BadRequestException", "one valid Host header is required"))
            return
        self._reply(self._answer(body))

    def _read_body(self) -> bytes | None:
        """The request body, or None once the connection is to be closed (an error has
        been sent, or the client left mid-body): what is left of the request cannot be
        told from the next one."""
        if self.headers.get_all("Transfer-Encoding"):
            self.send_error(411, "a Content-Length is required (no Transfer-Encoding)")
            return None
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if len(values) > 1 or not all(_DIGITS.fullmatch(value) for value in values):
            self.send_error(400, "invalid Content-Length")
            return None
        digits = (values.pop() if values else "0").lstrip("0") or "0"
        if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:
            self.send_error(413, f"request body beyond {MAX_BODY} bytes")
            return None
        length = int(digits)
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _answer(self, body: bytes) -> RecordedResponse:
        """The reply to a well-framed request: route, signature, target, then the
        operation."""
        # Not urlsplit: an absolute-form target ("http://[x/") would make it raise.
        if self.command != "POST" or self.path.partition("?")[0] != "/":
            return _error(
                400, "UnknownOperationException", f"{self.command} {self.path} is not an operation"
            )
        headers = list(self.headers.items())
        if self.server.secrets is not None:
            failure = check_signature(
                method=self.command,
                path=self.path,
                headers=headers,
                body=body,
                secrets=self.server.secrets,
                now=self.server.clock(),
                region=self.server.region,
            )
            if failure is not None:
                return _error(failure.status, failure.code, failure.message)
        target = self.headers.get("X-Amz-Target")
        if target not in {_TARGET, _CREATE, _LIST}:
            return _error(
                400,
                "UnknownOperationException",
                "only DescribeBatchInferenceJob, CreateBatchInferenceJob, ListBatchInferenceJobs",
            )
        payload = _decode(body)
        if not isinstance(payload, dict):
            return _error(400, "SerializationException", "the body must be a UTF-8 JSON object")
        if target == _TARGET:
            return self.server.describe(payload, match_key("POST", dict(headers), body))
        try:
            if target == _CREATE:
                return _ok(self.server.jobs.create(payload))
            return _ok(self.server.jobs.list(payload))
        except PersonalizeServiceError as exc:  # what the store refused, as AWS frames it
            return _error(exc.status_code, exc.code, exc.message)

    def _reply(self, recorded: RecordedResponse) -> None:
        self._replied = True
        # Every answer is written with a full idle timeout, whatever the reads left.
        self.connection.settimeout(self.server.idle_timeout)
        if self.request_version == "HTTP/0.9":  # http.server would send a bare body
            self.request_version = "HTTP/1.0"
        data = recorded.body.encode("utf-8")
        self.send_response(recorded.status)
        sent = {k.lower() for k in recorded.headers}
        for name, value in recorded.headers.items():
            if name.lower() not in {"content-length", "date", "connection"}:
                self.send_header(name, value)
        if "x-amzn-requestid" not in sent:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _decode(body: bytes) -> Any:
    """The JSON document in ``body``, or None if it is not UTF-8 JSON (or nests deeper
    than the parser's recursion limit)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once must not wait on the backlog
    cassettes: list[Cassette]
    secrets: Mapping[str, str] | None
    region: str | None
    clock: Callable[[], datetime]
    idle_timeout: float
    slots: threading.BoundedSemaphore
    jobs: JobStore

    def describe(self, payload: dict[str, Any], key: tuple[str, str, str]) -> RecordedResponse:
        """DescribeBatchInferenceJob: a live job as it is now, else the next recorded
        answer for this request."""
        arn = payload.get("batchInferenceJobArn")
        if not isinstance(arn, str):
            return _error(
                400,
                "ValidationException",
                "1 validation error detected: Value null at 'batchInferenceJobArn' failed "
                "to satisfy constraint: Member must not be null",
            )
        live = self.jobs.describe(arn)
        if live is not None:
            return _ok(live)
        for cassette in self.cassettes:
            recorded = cassette.next_response(key)
            if recorded is not None:
                return recorded
        return _error(
            400, "ResourceNotFoundException", f"Could not find batch inference job: {arn}"
        )

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, up to ``slots``; beyond, 503 and close at once."""
        if not self.slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def _refuse(self, request: socket.socket) -> None:
        body = json.dumps(
            {"__type": "ServiceUnavailableException", "message": "too many connections"}
        ).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\n"
            f"Date: {formatdate(self.clock().timestamp(), usegmt=True)}\r\n"
            f"Content-Type: {_JSON_1_1}\r\n"
            "x-amzn-ErrorType: ServiceUnavailableException\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # the client may be gone already
            request.settimeout(0.5)
            request.sendall(head.encode("ascii") + body)
        super().shutdown_request(request)  # no lingering: this runs in the accept loop

    def shutdown_request(self, request: Any) -> None:
        """Close a handled connection after a bounded lingering close: closing a socket
        with unread bytes sends a reset, which can destroy the error reply just written
        (to a request whose rest was never read) before the client reads it."""
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER
            drained = 0
            while drained < MAX_HEAD + MAX_BODY and (left := deadline - time.monotonic()) > 0:
                request.settimeout(left)
                chunk = request.recv(1 << 16)
                if not chunk:
                    break
                drained += len(chunk)
        self.close_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away or went silent: nothing to report
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class FixtureServer:
    """Serve cassettes on ``http://127.0.0.1:PORT`` from a background thread.

    ``with FixtureServer([Path("fixtures")]) as server: ... server.url ...``

    ``paths`` are cassette files, directories of them, or loaded :class:`Cassette` objects.
    ``credentials`` (access key id to secret key) turns SigV4 checking on: requests must
    be signed by one of those keys, and for ``region`` when it is given (any region
    otherwise). ``idle_timeout`` (seconds) closes a silent connection; at most
    ``max_connections`` are served at once, one more gets 503 and is closed. ``clock``
    (aware datetimes) is the server's time, used for the signing-time check and the
    ``Date`` header, and for the lifecycle of created jobs: PENDING, then IN_PROGRESS
    after a tenth of ``job_duration`` seconds, then ACTIVE, or CREATE FAILED for a name
    matching the ``fail_jobs`` glob; at most ``max_jobs`` are created. ``host`` must be
    loopback.
    """

    def __init__(
        self,
        paths: Iterable[Path | Cassette],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        credentials: Mapping[str, str] | None = None,
        region: str | None = None,
        clock: Callable[[], datetime] | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        job_duration: float = DEFAULT_JOB_DURATION,
        fail_jobs: str = DEFAULT_FAIL_JOBS,
        max_jobs: int = MAX_JOBS,
    ) -> None:
        address = loopback_host(host)
        cassettes: list[Cassette] = []
        for item in paths:
            cassettes.extend([item] if isinstance(item, Cassette) else load_cassettes([item]))
        if credentials is not None and not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in credentials.items()
        ):
            raise ValueError("credentials must map non-empty access key ids to secret keys")
        if not idle_timeout > 0:
            raise ValueError(f"idle_timeout must be positive, not {idle_timeout!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections!r}")
        jobs = JobStore(
            clock=clock or _utc_now,
            job_duration=job_duration,
            fail_jobs=fail_jobs,
            recorded=recorded_jobs(cassettes),
            max_jobs=max_jobs,
        )
        server_class = _Server6 if ":" in address else _Server
        self._httpd = server_class((address, port), _Handler)
        self._httpd.cassettes = cassettes
        self._httpd.secrets = None if credentials is None else dict(credentials)
        self._httpd.region = region
        self._httpd.clock = clock or _utc_now
        self._httpd.idle_timeout = idle_timeout
        self._httpd.slots = threading.BoundedSemaphore(max_connections)
        self._httpd.jobs = jobs
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = f"[{host!s}]" if self._httpd.address_family == socket.AF_INET6 else str(host)
        return f"http://{host}:{port}"

    @property
    def cassettes(self) -> list[Cassette]:
        return self._httpd.cassettes

    @property
    def jobs(self) -> JobStore:
        """The live jobs (created through this server) and the recorded ones."""
        return self._httpd.jobs

    @property
    def checks_signatures(self) -> bool:
        return self._httpd.secrets is not None

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
