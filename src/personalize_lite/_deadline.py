"""The sync client's hard attempt deadline: an httpcore network backend whose every
connect, TLS handshake, read and write is given no more time than is left before the
current attempt's deadline.

httpcore reads a request's read timeout once per phase and hands it to every socket read:
a server dripping the header lines (up to h11's 100 KiB limit), or a body, each gap under
the read timeout, is bounded per read only. Here each network operation gets
``min(its phase timeout, time left)``; with no time left it raises httpcore's
``ConnectTimeout``/``ReadTimeout``/``WriteTimeout`` at once, before touching the socket.

The deadline is per thread (a client may be shared by threads; httpcore's sync pool does
each request's I/O in the thread that sent it): the sync driver's ``_send`` calls
:func:`begin` before sending and :func:`end` after the body is read. No deadline set
(another caller of the same transport): operations pass through unchanged.

It runs on real time (``time.monotonic``): a socket wait can only be bounded by the real
clock. The client's injectable clock keeps governing what the shared ``Exchange`` decides
between body chunks (``_transport.py``).

Installed only on the transports this package creates (:func:`bounded`): a user's own
``http_client`` keeps its transport, and its per-read timeouts.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any, Final, TypeVar

import httpcore
import httpx

__all__ = ["DeadlineBackend", "begin", "bounded", "end", "is_bounded", "passed"]

T = TypeVar("T", bound=httpx.BaseTransport)


class _State(threading.local):
    #: The current attempt's deadline, on ``time.monotonic``; None: no deadline.
    deadline: float | None = None
    #: Whether an operation of the current attempt ran out of time (or found none left).
    expired: bool = False


_state: Final = _State()


def begin(seconds: float | None) -> float | None:
    """Start an attempt of ``seconds`` (None: unbounded) in this thread; returns the
    deadline it replaces, for :func:`end`."""
    previous = _state.deadline
    _state.deadline = None if seconds is None else time.monotonic() + seconds
    _state.expired = False
    return previous


def end(previous: float | None) -> None:
    """End the attempt :func:`begin` started (restoring ``previous``)."""
    _state.deadline = previous


def passed() -> bool:
    """Whether the current attempt's deadline cut a network operation short: a timeout
    raised then is the attempt deadline's, not a phase timeout's."""
    return _state.expired


def _left(
    timeout: float | None, error: type[httpcore.TimeoutException]
) -> tuple[float | None, bool]:
    """The timeout for one operation, and whether the deadline set it (so a timeout of
    that operation is the deadline's). Raises ``error`` when no time is left."""
    deadline = _state.deadline
    if deadline is None:
        return timeout, False
    left = deadline - time.monotonic()
    if left <= 0:
        _state.expired = True
        raise error("the attempt deadline passed")
    if timeout is None or left < timeout:
        return left, True
    return timeout, False


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose operations end by the attempt deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout, clamped = _left(timeout, httpcore.ReadTimeout)
        try:
            return self._stream.read(max_bytes, timeout)
        except httpcore.ReadTimeout:
            if clamped:
                _state.expired = True
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout, clamped = _left(timeout, httpcore.WriteTimeout)
        try:
            self._stream.write(buffer, timeout)
        except httpcore.WriteTimeout:
            if clamped:
                _state.expired = True
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout, clamped = _left(timeout, httpcore.ConnectTimeout)
        try:
            return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))
        except httpcore.ConnectTimeout:
            if clamped:
                _state.expired = True
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """``backend`` (httpcore's ``SyncBackend`` by default) with every connect, handshake,
    read and write ending by the current thread's attempt deadline."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self.backend = httpcore.SyncBackend() if backend is None else backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, clamped = _left(timeout, httpcore.ConnectTimeout)
        try:
            stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        except httpcore.ConnectTimeout:
            if clamped:
                _state.expired = True
            raise
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, clamped = _left(timeout, httpcore.ConnectTimeout)
        try:
            stream = self.backend.connect_unix_socket(path, timeout, socket_options)
        except httpcore.ConnectTimeout:
            if clamped:
                _state.expired = True
            raise
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def bounded(transport: T) -> T:
    """``transport`` with its connection pool's network backend wrapped in a
    :class:`DeadlineBackend`. Any other transport, or one whose pool is not the httpcore
    pool this was written against, is returned as it is (then only the between-chunks
    check bounds an attempt).

    httpx.HTTPTransport takes no ``network_backend``: it builds its httpcore pool
    (``ConnectionPool``, or ``HTTPProxy``/``SOCKSProxy``, both subclasses) itself, keeping
    it in ``_pool``, and each pool hands its ``_network_backend`` to every connection it
    opens. Wrapping that attribute, before any connection exists, keeps every other
    setting exactly as httpx built it (TLS, limits, proxy headers) instead of rebuilding
    the pool here. Both names are private (read against httpx 0.29.0 and httpcore
    1.0.9): if a version renames them, the transport is left as it is and
    ``test_reply_bounds.py`` (our transports are bounded) fails.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if (
        isinstance(pool, httpcore.ConnectionPool)
        and isinstance(backend, httpcore.NetworkBackend)
        and not isinstance(backend, DeadlineBackend)
    ):
        pool._network_backend = DeadlineBackend(backend)
    return transport


def is_bounded(transport: object) -> bool:
    """Whether ``transport`` is an httpx.HTTPTransport that :func:`bounded` wrapped."""
    pool = getattr(transport, "_pool", None)
    return isinstance(getattr(pool, "_network_backend", None), DeadlineBackend)
