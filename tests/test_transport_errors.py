"""Transport failures mapped once into the error tree, chained to a sanitized copy
(``_transport_errors.py``)."""

from __future__ import annotations

import httpx
import pytest

import personalize_lite
from personalize_lite import (
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from personalize_lite._transport_errors import TRANSPORT_EXCEPTIONS, map_transport_error

REQ = httpx.Request("POST", "https://personalize.us-east-1.amazonaws.com/")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectTimeout("t", request=REQ), ConnectTimeoutError),
        (httpx.PoolTimeout("t", request=REQ), ConnectTimeoutError),
        (httpx.ReadTimeout("t", request=REQ), ReadTimeoutError),
        (httpx.WriteTimeout("t", request=REQ), ReadTimeoutError),
        (httpx.ConnectError("refused", request=REQ), EndpointConnectionError),
        (httpx.ReadError("reset", request=REQ), ConnectionClosedError),
        (httpx.WriteError("broken pipe", request=REQ), ConnectionClosedError),
        (httpx.RemoteProtocolError("cut short", request=REQ), ConnectionClosedError),
        (httpx.DecodingError("bad gzip", request=REQ), ConnectionClosedError),
        (httpx.UnsupportedProtocol("ftp", request=REQ), ConfigurationError),
    ],
)
def test_transport_errors_map_once_into_the_tree(exc: Exception, expected: type) -> None:
    assert isinstance(exc, TRANSPORT_EXCEPTIONS)
    mapped = map_transport_error(exc)
    assert type(mapped) is expected
    assert isinstance(mapped, personalize_lite.PersonalizeError)


def test_timeouts_are_flagged_for_the_quota() -> None:
    assert map_transport_error(httpx.ReadTimeout("t", request=REQ)).is_timeout  # type: ignore[attr-defined]
    assert not map_transport_error(httpx.ConnectError("x", request=REQ)).is_timeout  # type: ignore[attr-defined]


SIGNED = httpx.Request(
    "POST",
    "https://personalize.us-east-1.amazonaws.com/",
    headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=" + "ab12" * 16,
        "X-Amz-Security-Token": "sessionTOKENzz9",
        "x-amz-sso_bearer_token": "ssoBEARERzz9",
    },
)


def _texts(obj: object, depth: int = 0) -> list[str]:
    """repr and attributes of an exception and of everything on its chain."""
    if obj is None or depth > 6:
        return []
    found = [repr(obj), repr(vars(obj)) if hasattr(obj, "__dict__") else ""]
    if isinstance(obj, BaseException):
        found += _texts(obj.__cause__, depth + 1) + _texts(obj.__context__, depth + 1)
    return found


@pytest.mark.parametrize(
    "original",
    [
        httpx.ConnectError("[Errno 111] Connection refused", request=SIGNED),
        httpx.ReadTimeout("timed out", request=SIGNED),
        httpx.RemoteProtocolError("Server disconnected", request=SIGNED),
        httpx.StreamClosed(),
    ],
)
def test_a_sanitized_copy_of_the_original_exception_is_chained(original: Exception) -> None:
    """Issue 14, finding 3: the original was chained, and its .request held every header
    (signature, session token, SSO bearer token). The chain keeps its type and message
    only."""

    def fail() -> None:  # as httpx raises it: with a traceback, from the OS's error
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as exc:
            raise original from exc

    with pytest.raises(type(original)) as raised:
        fail()
    mapped = map_transport_error(raised.value)
    cause = mapped.__cause__
    assert cause is not None
    assert cause is not original
    assert type(cause).__name__ == type(original).__name__
    assert str(cause) == str(original)
    assert cause.__traceback__ is None
    assert type(cause.__cause__).__name__ == "ConnectionRefusedError"  # what happened, kept
    assert str(cause.__cause__) == "[Errno 111] Connection refused"
    with pytest.raises((RuntimeError, AttributeError)):  # httpx: ".request ... not been set"
        _ = cause.request  # type: ignore[attr-defined]
    texts = " ".join(_texts(mapped))
    for secret in ("ab12ab12", "sessionTOKENzz9", "ssoBEARERzz9", "Signature"):
        assert secret not in texts


def test_a_chained_stand_in_keeps_the_type_name_of_foreign_exceptions() -> None:
    original = httpx.ConnectTimeout("as mapped by httpx-aiohttp", request=SIGNED)
    original.__cause__ = _aiohttp_like("ClientConnectorError", "ClientOSError")
    cause = map_transport_error(original).__cause__
    assert type(cause) is httpx.ConnectTimeout
    assert cause is not None
    assert type(cause.__cause__).__name__ == "ClientConnectorError"
    assert str(cause.__cause__) == "boom"


class _FakeAiohttpError(Exception):
    """Stands in for aiohttp's classes: matched by module and class names only."""


def _aiohttp_like(name: str, *bases: str) -> Exception:
    mro_bases = tuple(
        type(base, (Exception,), {"__module__": "aiohttp.client_exceptions"}) for base in bases
    )
    cls: type[Exception] = type(
        name, mro_bases or (Exception,), {"__module__": "aiohttp.client_exceptions"}
    )
    return cls("boom")


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        # httpx-aiohttp turns all of these into httpx.ConnectTimeout; the cause tells the truth
        (_aiohttp_like("ClientConnectorError", "ClientOSError"), EndpointConnectionError),
        (_aiohttp_like("ServerDisconnectedError", "ClientConnectionError"), ConnectionClosedError),
        (_aiohttp_like("ConnectionTimeoutError", "ServerTimeoutError"), ConnectTimeoutError),
        (_aiohttp_like("SocketTimeoutError", "ServerTimeoutError"), ReadTimeoutError),
        (_aiohttp_like("ClientPayloadError"), ConnectionClosedError),
    ],
)
def test_aiohttp_causes_are_classified_by_name(cause: Exception, expected: type) -> None:
    wrapped = httpx.ConnectTimeout("as mapped by httpx-aiohttp", request=REQ)
    wrapped.__cause__ = cause
    assert type(map_transport_error(wrapped)) is expected


def test_non_aiohttp_causes_are_ignored() -> None:
    wrapped = httpx.ConnectTimeout("t", request=REQ)
    wrapped.__cause__ = _FakeAiohttpError("not from aiohttp")
    assert type(map_transport_error(wrapped)) is ConnectTimeoutError
