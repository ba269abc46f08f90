"""A scriptable misbehaving HTTP/1.1 server on 127.0.0.1, for the fault suite
(``tests/reliability/test_faults.py``) and the create, list and reply-bounds tests.

Raw sockets in background threads, so the sync client and the async client (asyncio,
aiohttp or httpx transport, and trio) all meet exactly the same bytes. A script is a list
of :class:`Action`: the n-th request the server receives gets ``script[n]``, and the last
action repeats (as the cassettes do), so ``[Reply(503), Reply(200, body)]`` means "first
reply 503, then 200 forever". Every request is read completely (headers and
``Content-Length`` body) and recorded in :attr:`FaultServer.requests` *before* its action
runs, so a test can compare the number of requests seen with the attempts it expects.

Each connection carries one exchange: replies say ``Connection: close`` and the server
closes afterwards, so a scripted behaviour never leaks into the next attempt through a
kept-alive connection.

Actions:

* :class:`Reply` -- a status line, headers and a body, optionally after ``delay`` seconds;
  ``content_length`` may declare more bytes than are sent (a body cut short);
* :class:`Reset` -- an RST (``SO_LINGER`` 0) before the status line, or after the status
  line, or after the headers;
* :class:`Raw` -- bytes as they are, then a normal close (malformed HTTP);
* :class:`Drip` -- a reply whose body arrives in pieces, slowly;
* :class:`DripHead` -- a reply whose header lines arrive one by one, slowly;
* :class:`Endless` -- a chunked body that never ends, fast or dripping;
* :class:`Silent` -- accept, read the request, and never answer.

Every wait is cut short when the server closes, so no thread outlives its test.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from tests.support.exchange import Reply, Seen, reason

__all__ = [
    "Action",
    "Drip",
    "DripHead",
    "Endless",
    "FaultServer",
    "Raw",
    "Reply",
    "Reset",
    "Seen",
    "Silent",
    "error_body",
    "json_bytes",
    "started_servers",
]

#: The longest a handler waits for a request to arrive, or for a send to drain.
_IO_LIMIT: Final = 10.0
_MAX_HEAD: Final = 64 * 1024


@dataclass(frozen=True)
class Reset:
    """Abort the connection with an RST (``SO_LINGER`` 0) after sending ``sent``: nothing
    (before the status line), a status line, or a status line and headers. A short
    ``pause`` after sending lets the client read what was sent before the RST arrives."""

    sent: bytes = b""
    pause: float = 0.02


@dataclass(frozen=True)
class Raw:
    """Send ``data`` as it is, then close normally (FIN): replies that are not quite HTTP."""

    data: bytes


@dataclass(frozen=True)
class Drip:
    """``reply`` with its body sent in ``pieces`` parts, ``interval`` seconds apart."""

    reply: Reply
    pieces: int
    interval: float


@dataclass(frozen=True)
class DripHead:
    """``reply`` with its head sent line by line: the status line at once, then ``lines``
    extra header lines (``X-Drip-N: ...``, ~20 bytes each, far under h11's 100 KiB head
    limit), ``interval`` seconds apart, then the reply's own headers and body. Each gap is
    under a client's read timeout, so only a deadline on the whole attempt cuts it."""

    reply: Reply
    lines: int
    interval: float

    def parts(self) -> list[bytes]:
        status, _, rest = self.reply.head().partition(b"\r\n")
        drip = [f"X-Drip-{n}: {'d' * 8}\r\n".encode() for n in range(self.lines)]
        return [status + b"\r\n", *drip, rest + self.reply.data()]


@dataclass(frozen=True)
class Silent:
    """Read the request, then never answer: hold the connection until the client gives up
    (or the server closes)."""


@dataclass(frozen=True)
class Endless:
    """A ``status`` reply whose chunked body never ends: ``chunk`` again and again,
    ``interval`` seconds apart (0: as fast as the client reads), until the client goes
    away or the server closes. ``headers`` are added to the head."""

    chunk: bytes
    interval: float = 0.0
    status: int = 200
    headers: Sequence[tuple[str, str]] = ()

    def head(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}", "Transfer-Encoding: chunked"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def frame(self) -> bytes:
        return f"{len(self.chunk):x}\r\n".encode() + self.chunk + b"\r\n"


Action = Reply | Reset | Raw | Drip | DripHead | Silent | Endless


def json_bytes(value: object) -> bytes:
    """A JSON body for a :class:`Reply`."""
    return json.dumps(value).encode()


def error_body(code: str, message: str = "boom") -> bytes:
    """An AWS JSON 1.1 error body (``__type`` and ``message``) for a :class:`Reply`."""
    return json_bytes({"__type": code, "message": message})


class FaultServer:
    """The server: ``with FaultServer([Reply(503), Reply(200, body)]) as server: ...``.

    ``url`` is ``http://127.0.0.1:PORT``. ``connections`` counts accepted connections
    (including any that sent nothing); ``requests`` holds every complete request, in
    order of arrival.
    """

    def __init__(self, script: Sequence[Action]) -> None:
        if not script:
            raise ValueError("a script needs at least one action")
        self.script: tuple[Action, ...] = tuple(script)
        self.requests: list[Seen] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Every wait selects on this too: one byte written on close wakes them all at once.
        self._wake, self._waker = socket.socketpair()
        self._handlers: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, cut every wait short, join every thread, close every socket."""
        self._stop.set()
        self._waker.send(b"x")
        self._acceptor.join(timeout=5)
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:  # also wakes a handler blocked in sendall
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._handlers):
            thread.join(timeout=5)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._listener.close()
        self._wake.close()
        self._waker.close()

    # ------------------------------------------------------------------ internals

    def _readable(self, sock: socket.socket, timeout: float) -> bool:
        """Wait until ``sock`` is readable: True; False when the server is closing.
        Raises TimeoutError after ``timeout`` seconds."""
        ready, _, _ = select.select([sock, self._wake], [], [], timeout)
        if self._stop.is_set() or self._wake in ready:
            return False
        if not ready:
            raise TimeoutError
        return True

    def _accept_loop(self) -> None:
        while True:
            try:
                if not self._readable(self._listener, _IO_LIMIT):
                    return
                conn, _ = self._listener.accept()
            except OSError:  # includes TimeoutError: nobody connected for a while
                continue
            with self._lock:
                self.connections += 1
                self._sockets.append(conn)
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._handlers.append(thread)
            thread.start()

    def _next_action(self, seen: Seen) -> Action:
        with self._lock:
            index = min(len(self.requests), len(self.script) - 1)
            self.requests.append(seen)
            return self.script[index]

    def _handle(self, conn: socket.socket) -> None:
        try:
            seen = self._read_request(conn)
            if seen is None:
                return
            action = self._next_action(seen)
            if isinstance(action, Reply):
                self._reply(conn, action)
            elif isinstance(action, Raw):
                self._send_and_close(conn, action.data)
            elif isinstance(action, Drip):
                self._drip(conn, action)
            elif isinstance(action, DripHead):
                self._drip_head(conn, action)
            elif isinstance(action, Reset):
                self._reset(conn, action)
            elif isinstance(action, Endless):
                self._endless(conn, action)
            else:
                self._hold(conn)
        except OSError:  # the client went away first: nothing to do
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _recv(self, conn: socket.socket) -> bytes | None:
        """Up to 64 KiB, ``b""`` when the peer closed, None when the server is closing.
        Raises OSError (TimeoutError) when nothing arrives within the I/O limit."""
        if not self._readable(conn, _IO_LIMIT):
            return None
        return conn.recv(65536)

    def _read_request(self, conn: socket.socket) -> Seen | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self._recv(conn)
            if not chunk:
                return None
            data += chunk
            if len(data) > _MAX_HEAD:
                return None
        head, _, body = data.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = self._recv(conn)
            if not chunk:
                return None
            body += chunk
        return Seen(method=method, target=target, headers=headers, body=body[:length])

    def _reply(self, conn: socket.socket, reply: Reply) -> None:
        if reply.delay and self._stop.wait(reply.delay):
            return
        self._send_and_close(conn, reply.head() + reply.data())

    def _send_and_close(self, conn: socket.socket, data: bytes) -> None:
        conn.settimeout(_IO_LIMIT)
        conn.sendall(data)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        self._drain(conn)

    def _drip(self, conn: socket.socket, drip: Drip) -> None:
        body = drip.reply.data()
        size = -(-len(body) // drip.pieces)
        conn.settimeout(_IO_LIMIT)
        conn.sendall(drip.reply.head())
        for start in range(0, len(body), size):
            if self._stop.wait(drip.interval):
                return
            conn.sendall(body[start : start + size])
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        self._drain(conn)

    def _drip_head(self, conn: socket.socket, drip: DripHead) -> None:
        conn.settimeout(_IO_LIMIT)
        first, *rest = drip.parts()
        conn.sendall(first)
        for part in rest:
            if self._stop.wait(drip.interval):
                return
            conn.sendall(part)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        self._drain(conn)

    def _endless(self, conn: socket.socket, endless: Endless) -> None:
        """Until the client stops reading (sendall then fails, or times out) or we close."""
        frame = endless.frame()
        conn.settimeout(_IO_LIMIT)
        conn.sendall(endless.head())
        while not self._stop.is_set():
            if endless.interval and self._stop.wait(endless.interval):
                return
            conn.sendall(frame)

    def _reset(self, conn: socket.socket, reset: Reset) -> None:
        if reset.sent:
            conn.settimeout(_IO_LIMIT)
            conn.sendall(reset.sent)
            self._stop.wait(reset.pause)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # with linger 0: an RST, not a FIN

    def _hold(self, conn: socket.socket) -> None:
        self._drain(conn)

    def _drain(self, conn: socket.socket) -> None:
        """Read and discard until the client closes (or the server stops), so that our
        close never races the client's last read into an RST."""
        while True:
            chunk = self._recv(conn)
            if not chunk:
                return


def started_servers() -> Iterator[Callable[..., FaultServer]]:
    """The body of the tests' ``serve`` fixture: ``serve(action, ...)`` starts a
    FaultServer with that script; every one started is closed when the test ends."""
    servers: list[FaultServer] = []

    def start(*script: Action) -> FaultServer:
        server = FaultServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
