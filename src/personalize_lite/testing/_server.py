"""A loopback HTTP server that answers DescribeBatchInferenceJob from cassettes.

Any client can talk to it (ours, boto3, the AWS CLI) with ``--endpoint-url``. It binds to
a loopback address only (127.0.0.0/8 or ::1). An unknown ARN gets
``ResourceNotFoundException`` (400) and anything that is not ``POST /`` with the
DescribeBatchInferenceJob target gets ``UnknownOperationException`` (400), both framed
as JSON 1.1 errors.

Signatures are not checked unless ``credentials`` (access key id to secret key) is
given: then every request must be SigV4-signed by one of those keys, as AWS would insist
(see :mod:`._emulator`). ``personalize-lite serve`` runs it that way.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from ._cassette import Cassette, RecordedResponse, load_cassettes, match_key
from ._emulator import check_signature

__all__ = ["FixtureServer", "default_fixtures", "loopback_host"]

_TARGET = "AmazonPersonalize.DescribeBatchInferenceJob"
_MAX_BODY = 1 << 20
_JSON_1_1 = "application/x-amz-json-1.1"


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


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # A reply is two writes (head, body): with Nagle's algorithm and the client's delayed
    # ACK, every keep-alive exchange would stall ~40 ms on loopback.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server is for tests and demos."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` that ``send_response`` adds, from the server's clock: clients learn
        their clock skew from it."""
        return formatdate(
            self.server.clock().timestamp() if timestamp is None else timestamp, usegmt=True
        )

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if self.command != "POST" or urlsplit(self.path).path != "/":
            self._reply_error(
                400, "UnknownOperationException", f"{self.command} {self.path} is not an operation"
            )
            return
        headers = list(self.headers.items())
        if self.server.secrets is not None:
            failure = check_signature(
                method=self.command,
                path=self.path,
                headers=headers,
                body=body,
                secrets=self.server.secrets,
                now=self.server.clock(),
            )
            if failure is not None:
                self._reply_error(failure.status, failure.code, failure.message)
                return
        if self.headers.get("X-Amz-Target") != _TARGET:
            self._reply_error(400, "UnknownOperationException", "only DescribeBatchInferenceJob")
            return
        key = match_key("POST", dict(headers), body)
        for cassette in self.server.cassettes:
            recorded = cassette.next_response(key)
            if recorded is not None:
                self._reply(recorded)
                return
        try:
            arn = json.loads(body).get("batchInferenceJobArn", "?")
        except (ValueError, AttributeError):
            arn = "?"
        self._reply_error(
            400, "ResourceNotFoundException", f"Could not find batch inference job: {arn}"
        )

    # Every other method is an unknown operation, answered in JSON 1.1 like the rest.
    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_POST

    def _read_body(self) -> bytes | None:
        """The request body, or None once an error has been sent (the connection is then
        closed: what is left of the request cannot be told from the next one)."""
        raw = self.headers.get("Content-Length") or "0"
        length = int(raw) if raw.isdigit() else -1
        if length < 0 or "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._reply_error(411, "LengthRequiredException", "a valid Content-Length is required")
            return None
        if length > _MAX_BODY:
            self.close_connection = True
            self._reply_error(413, "RequestEntityTooLargeException", "request too large")
            return None
        return self.rfile.read(length)

    def _reply(self, recorded: RecordedResponse) -> None:
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

    def _reply_error(self, status: int, code: str, message: str) -> None:
        self._reply(
            RecordedResponse(
                status=status,
                headers={"Content-Type": _JSON_1_1},
                body=json.dumps({"__type": code, "message": message}),
            )
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once must not wait on the backlog
    cassettes: list[Cassette]
    secrets: Mapping[str, str] | None
    clock: Callable[[], datetime]

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away: nothing to report
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class FixtureServer:
    """Serve cassettes on ``http://127.0.0.1:PORT`` from a background thread.

    ``with FixtureServer([Path("fixtures")]) as server: ... server.url ...``

    ``paths`` are cassette files, directories of them, or loaded :class:`Cassette` objects.
    ``credentials`` (access key id to secret key) turns SigV4 checking on: requests must
    be signed by one of those keys. ``clock`` (aware datetimes) is the server's time, used
    for the signing-time check and the ``Date`` header. ``host`` must be loopback.
    """

    def __init__(
        self,
        paths: Iterable[Path | Cassette],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        credentials: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        address = loopback_host(host)
        cassettes: list[Cassette] = []
        for item in paths:
            cassettes.extend([item] if isinstance(item, Cassette) else load_cassettes([item]))
        if credentials is not None and not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in credentials.items()
        ):
            raise ValueError("credentials must map non-empty access key ids to secret keys")
        server_class = _Server6 if ":" in address else _Server
        self._httpd = server_class((address, port), _Handler)
        self._httpd.cassettes = cassettes
        self._httpd.secrets = None if credentials is None else dict(credentials)
        self._httpd.clock = clock or _utc_now
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
