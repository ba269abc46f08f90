"""The httpx adapter (``_httpx.py``): responses, TLS verification and the pool of the
clients we create. The reply bounds and decoding of ``Exchange``: ``test_reply_bounds.py``."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

import personalize_lite
from personalize_lite._httpx import tls_verify, to_response

REQ = httpx.Request("POST", "https://personalize.us-east-1.amazonaws.com/")


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
