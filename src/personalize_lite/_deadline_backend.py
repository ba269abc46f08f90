"""The network backend of :func:`._deadline.bounded`: httpcore's sync backend with every
connect, TLS handshake, read and write given no more time than is left before the current
thread's attempt deadline (:func:`._deadline.clamp`). Imported only when a transport is
bounded: httpcore loads anyio and trio when they are installed."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any, TypeVar

import httpcore
import httpx

from ._deadline import clamp, expire

__all__ = ["DeadlineBackend", "bounded", "is_bounded"]

T = TypeVar("T", bound=httpx.BaseTransport)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose operations end by the attempt deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout, clamped = clamp(timeout, httpcore.ReadTimeout)
        try:
            return self._stream.read(max_bytes, timeout)
        except httpcore.ReadTimeout:
            if clamped:
                expire()
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        timeout, clamped = clamp(timeout, httpcore.WriteTimeout)
        try:
            self._stream.write(buffer, timeout)
        except httpcore.WriteTimeout:
            if clamped:
                expire()
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout, clamped = clamp(timeout, httpcore.ConnectTimeout)
        try:
            return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))
        except httpcore.ConnectTimeout:
            if clamped:
                expire()
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
        timeout, clamped = clamp(timeout, httpcore.ConnectTimeout)
        try:
            stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        except httpcore.ConnectTimeout:
            if clamped:
                expire()
            raise
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout, clamped = clamp(timeout, httpcore.ConnectTimeout)
        try:
            stream = self.backend.connect_unix_socket(path, timeout, socket_options)
        except httpcore.ConnectTimeout:
            if clamped:
                expire()
            raise
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def bounded(transport: T) -> T:
    """``transport`` with its connection pool's network backend wrapped in a
    ``DeadlineBackend`` (``_deadline_backend.py``). Any other transport, or one whose
    pool is not the httpcore pool this was written against, is returned as it is (then
    only the between-chunks check bounds an attempt).

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
