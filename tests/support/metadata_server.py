"""The loopback stand-in for the instance metadata service and the container credentials
endpoint, shared by ``test_imds.py`` and ``test_container.py``.

:class:`MetadataServer` is a threaded ``http.server`` on 127.0.0.1 with scripted replies per
route (the ``server`` fixture in ``conftest.py`` starts one per test). Also here: the
credentials document it serves and the :class:`Credentials` expected from it, the secrets
no error may show (:func:`assert_no_secret`), and :func:`make_ctx`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from personalize_lite._config import AwsFiles, resolve_settings
from personalize_lite._steps import Plan
from personalize_lite.credentials._base import Credentials, ProviderContext
from tests.support.exchange import Reply, Seen

__all__ = [
    "ACCESS_KEY",
    "AUTH",
    "EXPECTED",
    "EXPIRATION",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "MetadataServer",
    "Reply",
    "Run",
    "Seen",
    "assert_no_secret",
    "creds_document",
    "make_ctx",
]

SECRET = "imdsSecretKeyDoNotLeak/0123456789abcdefEXAMPLE"
TOKEN = "imdsSessionTokenDoNotLeak+FwoGZXIvYXdzEXAMPLE"
AUTH = "containerAuthTokenDoNotLeak-eyJhbGciOi"
SECRETS = (SECRET, TOKEN, AUTH)
ACCESS_KEY = "ASIAIMDSEXAMPLE"
EXPIRATION = "2099-01-02T03:04:05Z"


def creds_document(**changes: Any) -> dict[str, Any]:
    """The credentials document IMDS serves; ``changes`` set keys (``None`` drops one)."""
    document: dict[str, Any] = {
        "Code": "Success",
        "LastUpdated": "2099-01-01T21:04:05Z",
        "Type": "AWS-HMAC",
        "AccessKeyId": ACCESS_KEY,
        "SecretAccessKey": SECRET,
        "Token": TOKEN,
        "Expiration": EXPIRATION,
    }
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


EXPECTED = Credentials(
    access_key_id=ACCESS_KEY,
    secret_access_key=SECRET,
    session_token=TOKEN,
    expiration=datetime(2099, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
)


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        stub = self.server.stub
        reply = stub.reply_for(self.command, self.path, headers)
        if reply.delay:
            stub.closing.wait(reply.delay)
        body = reply.data()
        try:
            self.send_response(reply.status)
            if not reply.has_header("content-type"):
                self.send_header("Content-Type", "application/json")
            for name, value in reply.headers:
                self.send_header(name, value)
            if not reply.has_header("content-length"):
                self.send_header("Content-Length", str(reply.declared_length()))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout tests)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


class _HttpServer(ThreadingHTTPServer):
    # Handler threads are joined on close, so no thread outlives its test.
    daemon_threads = False
    stub: MetadataServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client hanging up mid-reply is expected in the timeout tests


class MetadataServer:
    """A scripted HTTP server on 127.0.0.1.

    ``route(method, path, *replies)``: the replies are used in order, the last one
    repeats. Unrouted requests get 404. With ``required_auth`` set, a request whose
    ``Authorization`` differs gets 401 (its body echoes the header, to test redaction).
    Every request is recorded in ``seen``.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self.required_auth: str | None = None
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def reply_for(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.seen.append(Seen(method, path, headers))
            if self.required_auth is not None and headers.get("authorization") != (
                self.required_auth
            ):
                return Reply(
                    401, json.dumps({"message": f"bad token {headers.get('authorization')}"})
                )
            queue = self.routes.get((method, path))
            if not queue:
                return Reply(404, b"")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def paths(self) -> list[tuple[str, str]]:
        return [(seen.method, seen.target) for seen in self.seen]

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def assert_no_secret(exc: BaseException) -> None:
    """No secret in the message, repr or args of ``exc`` or of anything it chains to."""
    current: BaseException | None = exc
    while current is not None:
        for text in (str(current), repr(current), repr(current.args)):
            for secret in SECRETS:
                assert secret not in text, f"secret leaked in {type(current).__name__}"
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )


#: ``await run(plan)``: the ``run`` fixture of ``conftest.py``.
Run = Callable[[Plan[Any]], Awaitable[Any]]


def make_ctx(
    env: Mapping[str, str], config: Mapping[str, Mapping[str, Any]] | None = None
) -> ProviderContext:
    """A context whose files are ``config`` (the config file's sections), never ~/.aws."""
    full_env = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    full_env.update(env)
    files = AwsFiles(config=dict(config or {}), config_path="test-config")
    return ProviderContext(
        env=full_env,
        files=files,
        settings=resolve_settings(env=full_env, files=files),
        clock=lambda: datetime.now(timezone.utc),
    )
