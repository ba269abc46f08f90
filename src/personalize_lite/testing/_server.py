"""A loopback HTTP server that answers DescribeBatchInferenceJob from cassettes.

Any client can talk to it (ours, boto3, the AWS CLI) with ``--endpoint-url``. It binds to
127.0.0.1 only. An unknown ARN gets ``ResourceNotFoundException`` (400) and anything
that is not DescribeBatchInferenceJob gets ``UnknownOperationException``, both framed
as JSON 1.1 errors.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from ._cassette import Cassette, RecordedResponse, load_cassettes, match_key

__all__ = ["FixtureServer"]

_TARGET = "AmazonPersonalize.DescribeBatchInferenceJob"
_MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # A reply is two writes (head, body): with Nagle's algorithm and the client's delayed
    # ACK, every keep-alive exchange would stall ~40 ms on loopback.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server is for tests and demos."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._reply_error(413, "RequestEntityTooLargeException", "request too large")
            return
        body = self.rfile.read(length)
        headers = dict(self.headers.items())
        if headers.get("X-Amz-Target", self.headers.get("x-amz-target")) != _TARGET:
            self._reply_error(400, "UnknownOperationException", "only DescribeBatchInferenceJob")
            return
        key = match_key("POST", headers, body)
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

    def _reply(self, recorded: RecordedResponse) -> None:
        data = recorded.body.encode("utf-8")
        self.send_response(recorded.status)
        sent = {k.lower() for k in recorded.headers}
        for name, value in recorded.headers.items():
            if name.lower() not in {"content-length", "date", "connection"}:
                self.send_header(name, value)
        if "x-amzn-requestid" not in sent:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply_error(self, status: int, code: str, message: str) -> None:
        self._reply(
            RecordedResponse(
                status=status,
                headers={"Content-Type": "application/x-amz-json-1.1"},
                body=json.dumps({"__type": code, "message": message}),
            )
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once must not wait on the backlog
    cassettes: list[Cassette]


class FixtureServer:
    """Serve cassettes on ``http://127.0.0.1:PORT`` from a background thread.

    ``with FixtureServer([Path("fixtures")]) as server: ... server.url ...``
    """

    def __init__(self, paths: Iterable[Path], *, port: int = 0) -> None:
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.cassettes = load_cassettes(paths)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def cassettes(self) -> list[Cassette]:
        return self._httpd.cassettes

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def default_fixtures() -> Path:
    """The repository's ``fixtures/`` directory (the bundled cassettes)."""
    return Path(__file__).resolve().parents[3] / "fixtures"
