"""Transport failures into the error tree, at one boundary: httpx's exceptions (and
aiohttp's, behind httpx-aiohttp) become :class:`TransportError` subclasses, chained to a
sanitized copy that carries no request (no signature, no session or bearer token).
"""

from __future__ import annotations

import contextlib
import functools

import httpx

from ._errors import (
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    PersonalizeError,
    ReadTimeoutError,
    TransportError,
)

__all__ = ["TRANSPORT_EXCEPTIONS", "map_transport_error"]


def _aiohttp_error(exc: BaseException) -> TransportError | None:
    """Classify an aiohttp exception: ``exc`` itself, or the one behind an httpx-aiohttp
    error.

    httpx-aiohttp maps every ``aiohttp.ClientConnectionError`` (refused connections and
    server hang-ups included) to ``httpx.ConnectTimeout``; the original exception, its
    ``__cause__``, says what really happened. Errors it has no mapping for (the
    ``ClientResponseError`` of a malformed reply) it re-raises as they are. Matched by
    class name: no aiohttp import.
    """
    cause = exc if type(exc).__module__.startswith("aiohttp") else exc.__cause__
    if cause is None or not type(cause).__module__.startswith("aiohttp"):
        return None
    names = {cls.__name__ for cls in type(cause).__mro__}
    text = str(cause) or type(cause).__name__
    if "ConnectionTimeoutError" in names:
        return ConnectTimeoutError(f"timed out connecting to the endpoint: {text}")
    if names & {"ServerTimeoutError", "SocketTimeoutError"}:
        return ReadTimeoutError(f"timed out waiting for the endpoint: {text}")
    if "ClientConnectorError" in names:
        return EndpointConnectionError(f"could not connect to the endpoint: {text}")
    if names & {"ClientConnectionError", "ClientPayloadError"}:
        return ConnectionClosedError(
            f"connection failed mid-exchange ({type(cause).__name__}): {text}"
        )
    if names & {"ClientResponseError", "HttpProcessingError"}:
        # aiohttp's parser refused the reply: a bad status line, header, length or chunk
        # (httpx's own transport raises RemoteProtocolError, mapped the same way).
        return ConnectionClosedError(
            f"endpoint sent a malformed HTTP response ({type(cause).__name__}): {text}"
        )
    return None


class _StandIn(Exception):
    """Base of the stand-ins chained for transport exceptions that are not httpx's."""


@functools.cache
def _stand_in_type(name: str) -> type[Exception]:
    """An exception class named ``name`` (the original's), for a stand-in."""
    return type(name, (_StandIn,), {"__module__": __name__, "__qualname__": name})


def _sanitized(exc: BaseException, *, depth: int = 0) -> Exception:
    """What ``map_transport_error`` chains instead of ``exc``: an exception of the same
    type (httpx's) or type name (others: aiohttp's, OSError...) and message that holds
    nothing else. httpx's exceptions carry ``.request`` with every header (the SigV4
    signature, ``X-Amz-Security-Token``, the SSO bearer token), aiohttp's
    ``.request_info`` the same; neither may ride on our error's chain. The original's
    own cause (httpcore's or the OS's error, which says what really happened) is kept
    the same way, one level down; no traceback (its frames hold the request)."""
    text = str(exc)
    stand_in: Exception | None = None
    if isinstance(exc, httpx.HTTPError | httpx.InvalidURL) and depth == 0:
        with contextlib.suppress(TypeError):  # the stream errors take no message
            stand_in = type(exc)(text)
    if stand_in is None:
        stand_in = _stand_in_type(type(exc).__name__)(text)
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and depth == 0:
        stand_in.__cause__ = _sanitized(cause, depth=1)
    return stand_in


def map_transport_error(exc: Exception) -> PersonalizeError:
    """Translate an httpx (or transport) exception into our error tree, chained to a
    sanitized copy of it (same type and message, no request: see :func:`_sanitized`)."""
    text = str(exc) or type(exc).__name__
    error: PersonalizeError | None = _aiohttp_error(exc)
    if error is not None:
        pass
    elif isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        error = ConnectTimeoutError(f"timed out connecting to the endpoint: {text}")
    elif isinstance(exc, httpx.TimeoutException):
        error = ReadTimeoutError(f"timed out waiting for the endpoint: {text}")
    elif isinstance(exc, httpx.ConnectError):
        error = EndpointConnectionError(f"could not connect to the endpoint: {text}")
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        error = ConfigurationError(f"unusable endpoint URL: {text}")
    else:
        error = ConnectionClosedError(
            f"connection failed mid-exchange ({type(exc).__name__}): {text}"
        )
    error.__cause__ = _sanitized(exc)
    return error


#: Exceptions a transport may raise that mean "no usable response".
TRANSPORT_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TransportError,
    httpx.DecodingError,
    httpx.StreamError,
)
