"""The adapter both drivers share: transport error mapping, responses, keywords."""

from __future__ import annotations

import math
import ssl
import uuid
from typing import Any

import httpx
import pytest

import personalize_lite
from personalize_lite import (
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from personalize_lite._transport import (
    TRANSPORT_EXCEPTIONS,
    _as_timeout,
    invocation_id,
    map_transport_error,
    tls_verify,
    to_response,
    user_agent,
)

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


def test_response_headers_are_lower_cased_and_body_read() -> None:
    resp = httpx.Response(
        400,
        headers=[("X-Amzn-RequestId", "r"), ("X-Amzn-ErrorType", "Oops")],
        content=b"{}",
        request=REQ,
    )
    out = to_response(resp)
    assert out.status_code == 400
    assert out.headers["x-amzn-requestid"] == "r"
    assert out.headers["x-amzn-errortype"] == "Oops"
    assert out.body == b"{}"


@pytest.mark.parametrize(
    "headers",
    [
        [("Set-Cookie", "a=1"), ("X-Amzn-RequestId", "r"), ("set-cookie", "b=2")],
        [("X-Note", "caf\u00e9".encode()), ("Date", "Sat, 28 Nov 2026 00:00:00 GMT")],
        [("X-Latin", "\u00e9t\u00e9".encode("latin-1"))],
        [],
    ],
)
def test_response_headers_match_httpx_items(headers: list[tuple[str, Any]]) -> None:
    """Same names, values, joining of repeats and decoding as ``httpx.Headers.items()``."""
    resp = httpx.Response(200, headers=headers, content=b"{}", request=REQ)
    assert to_response(resp).headers == dict(resp.headers.items())


def test_invocation_ids_are_random_version_4_uuids() -> None:
    ids = [invocation_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every variant digit and every random hex digit shows up across 2000 draws.
    assert {text[19] for text in ids} == set("89ab")
    assert set("".join(text[:8] for text in ids)) == set("0123456789abcdef")


def test_user_agent_names_us_httpx_and_python() -> None:
    ua = user_agent()
    assert ua.startswith(
        f"personalize-lite/{personalize_lite.__version__} httpx/{httpx.__version__} python/"
    )


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True, None])
def test_bad_timeouts(bad: object) -> None:
    with pytest.raises(ParamValidationError):
        _as_timeout(bad)


def test_good_timeouts() -> None:
    assert _as_timeout(2) == httpx.Timeout(2.0)
    custom = httpx.Timeout(1.0, connect=0.5)
    assert _as_timeout(custom) is custom


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


def test_https_endpoints_verify_with_httpx_defaults() -> None:
    assert tls_verify("https://personalize.us-east-1.amazonaws.com") is True


def test_http_endpoints_get_a_context_that_trusts_nothing() -> None:
    """No CA bundle is loaded for a plain-HTTP endpoint (start-up cost), and the context
    still demands a verified certificate, so any TLS attempt through it fails closed."""
    context = tls_verify("http://127.0.0.1:8080")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] == 0


@pytest.mark.parametrize(
    ("endpoint_url", "loads_ca"),
    [("http://127.0.0.1:8080", False), ("https://personalize.example.com", True)],
)
def test_clients_we_create_use_tls_verify(endpoint_url: str, loads_ca: bool) -> None:
    env = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    creds = personalize_lite.Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="x")
    with personalize_lite.PersonalizeClient(
        region="us-east-1", endpoint_url=endpoint_url, env=env, credentials=creds
    ) as client:
        pool = client._client._transport._pool  # type: ignore[union-attr]
        assert (pool._ssl_context.cert_store_stats()["x509_ca"] > 0) is loads_ca


def test_the_sync_client_keeps_every_connection_it_may_open() -> None:
    """Above 20 threads httpx's default pool closed a connection on every return."""
    env = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    creds = personalize_lite.Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="x")
    with personalize_lite.PersonalizeClient(
        region="us-east-1", endpoint_url="http://127.0.0.1:9", env=env, credentials=creds
    ) as client:
        pool = client._client._transport._pool  # type: ignore[union-attr]
        assert pool._max_keepalive_connections == pool._max_connections == 100
