"""The nginx every network case talks to.

:func:`running_nginx` fills in ``bench/nginx.conf.template`` in a temporary prefix, starts
nginx (``daemon off``, in its own process group) on two free loopback ports, waits until
both answer, checks the reply and that keep-alive holds, and always stops it: on return,
on an error, on Ctrl-C. nginx answers by operation (``X-Amz-Target``): describe, create,
and the three pages of a listing (told apart by ``Content-Length``, see
``bench/cases/_replies.py``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cases import _replies

__all__ = [
    "CannedReply",
    "Counters",
    "NginxError",
    "Server",
    "find_nginx",
    "nginx_version",
    "running_nginx",
]

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH / "nginx.conf.template"
FIXTURE = BENCH.parent / "fixtures" / "strict-active.json"

#: Where Debian puts nginx; not on a non-root user's PATH.
_SBIN = "/usr/sbin:/usr/local/sbin:/sbin"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
_START_ATTEMPTS = 3  # free ports are picked before nginx binds them: another process may win


class NginxError(RuntimeError):
    """nginx is missing, would not start, or does not answer as expected."""


def find_nginx() -> str:
    """The nginx executable: on PATH, or in the sbin directories."""
    found = shutil.which("nginx") or shutil.which("nginx", path=_SBIN)
    if found is None:
        raise NginxError("nginx not found on PATH nor in /usr/sbin; `make bench` installs it")
    return found


def nginx_version(nginx: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own nginx path, no shell
        [nginx, "-v"], capture_output=True, text=True, timeout=30, check=True
    )
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: ")


@dataclass(frozen=True)
class CannedReply:
    """The replies nginx serves: DescribeBatchInferenceJob's (``body``, also the answer to
    anything else), CreateBatchInferenceJob's, and the pages of ListBatchInferenceJobs."""

    body: str
    request_id: str
    create_body: str
    list_bodies: tuple[str, ...]

    @classmethod
    def from_fixture(cls, path: Path = FIXTURE) -> CannedReply:
        """Describe: the response of the (only) interaction of a cassette; create and list:
        ``bench/cases/_replies.py``."""
        response = json.loads(path.read_text(encoding="utf-8"))["interactions"][0]["response"]
        headers = {name.lower(): value for name, value in response["headers"].items()}
        return cls(
            body=response["body"],
            request_id=headers["x-amzn-requestid"],
            create_body=_replies.create_reply(),
            list_bodies=tuple(
                _replies.list_page(page) for page in range(1, _replies.LIST_PAGES + 1)
            ),
        )


@dataclass(frozen=True)
class Counters:
    """nginx's stub_status totals since start (each status read counts itself)."""

    connections: int
    requests: int


@dataclass(frozen=True)
class Server:
    """A running nginx: the endpoint's port and the stub_status port."""

    port: int
    status_port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def counters(self) -> Counters:
        """Accepted connections and requests so far, this read included."""
        conn = http.client.HTTPConnection("127.0.0.1", self.status_port, timeout=5)
        try:
            conn.request("GET", "/")
            text = conn.getresponse().read().decode("ascii")
        finally:
            conn.close()
        # "Active connections: 1 \nserver accepts handled requests\n 7 7 9 \nReading: ..."
        accepts, _handled, requests = (int(n) for n in text.splitlines()[2].split())
        return Counters(connections=accepts, requests=requests)


def _nginx_string(text: str) -> str:
    """``text`` for a single-quoted nginx string."""
    if "$" in text:
        raise NginxError("the canned reply contains '$', which nginx would expand")
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGTERM); SIGKILL to its process group if that does not work."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # nginx is its own group: master and worker
        proc.wait(_STOP_TIMEOUT)


def _start(nginx: str, prefix: Path, reply: CannedReply) -> tuple[subprocess.Popen[bytes], Server]:
    """Start nginx on free ports; retried when another process takes a port first."""
    error_log = prefix / "error.log"
    attempt = 0
    while True:
        attempt += 1
        server = Server(port=_free_port(), status_port=_free_port())
        config = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
            prefix=prefix,
            port=server.port,
            status_port=server.status_port,
            reply_request_id=reply.request_id,
            reply_body=_nginx_string(reply.body),
            create_body=_nginx_string(reply.create_body),
            list_body_1=_nginx_string(reply.list_bodies[0]),
            list_body_2=_nginx_string(reply.list_bodies[1]),
            list_body_3=_nginx_string(reply.list_bodies[2]),
        )
        (prefix / "nginx.conf").write_text(config, encoding="utf-8")
        error_log.write_text("", encoding="utf-8")
        proc = subprocess.Popen(  # noqa: S603 - our own nginx path and config, no shell
            [nginx, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e", str(error_log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the harness, which stops nginx in order
        )
        deadline = time.monotonic() + _START_TIMEOUT
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if _answers(server.port) and _answers(server.status_port):
                    return proc, server
                time.sleep(0.02)
        except BaseException:
            _stop(proc)
            raise
        exited = proc.poll() is not None
        _stop(proc)
        log = error_log.read_text(encoding="utf-8", errors="replace").strip()
        if "Address already in use" not in log or attempt >= _START_ATTEMPTS:
            what = (
                f"exited with status {proc.returncode}"
                if exited
                else f"did not answer within {_START_TIMEOUT:.0f} s"
            )
            raise NginxError(f"nginx {what}:\n{log}")


def _probes(reply: CannedReply) -> list[tuple[str, dict[str, str], bytes, str]]:
    """(path, headers, body, expected reply): describe (and anything unknown), create, and
    each page of a listing, with the request bodies the clients send."""
    create = {"X-Amz-Target": _replies.CREATE_TARGET}
    listing = {"X-Amz-Target": _replies.LIST_TARGET}
    pages = [b"{}"] + [
        json.dumps({"nextToken": token}).encode() for token in (_replies.TOKEN_2, _replies.TOKEN_3)
    ]
    return [
        ("/", {}, b'{"batchInferenceJobArn": "x"}', reply.body),
        ("/any/path", {}, b'{"batchInferenceJobArn": "x"}', reply.body),
        ("/", create, b'{"jobName": "x"}', reply.create_body),
        ("/", create, b'{"jobName": "' + b"x" * 300 + b'"}', reply.create_body),
        *(("/", listing, body, page) for body, page in zip(pages, reply.list_bodies, strict=True)),
        # a short solution-version filter stays on page 1
        (
            "/",
            listing,
            json.dumps(
                {"solutionVersionArn": "arn:aws:personalize:us-east-1:1:solution/s"}
            ).encode(),
            reply.list_bodies[0],
        ),
    ]


def _check(server: Server, reply: CannedReply) -> None:
    """Every probe of :func:`_probes` on one connection: the expected reply each time, one
    connection."""
    before = server.counters()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    probes = _probes(reply)
    try:
        for path, headers, body, expected in probes:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8")
            got = (
                response.status,
                response.getheader("Content-Type"),
                response.getheader("x-amzn-RequestId"),
                body,
            )
            want = (200, "application/x-amz-json-1.1", reply.request_id, expected)
            if got != want:
                raise NginxError(
                    f"nginx answered POST {path} {headers} ({len(body)} bytes) with "
                    f"{got!r}, expected {want!r}"
                )
    finally:
        conn.close()
    after = server.counters()
    used = after.connections - before.connections - 1
    if used != 1:
        raise NginxError(f"{len(probes)} keep-alive POSTs used {used} connections, expected 1")


@contextlib.contextmanager
def running_nginx(nginx: str, reply: CannedReply) -> Iterator[Server]:
    """nginx serving ``reply``, checked, for the duration of the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as prefix:
        proc, server = _start(nginx, Path(prefix), reply)
        try:
            _check(server, reply)
            yield server
        finally:
            _stop(proc)
