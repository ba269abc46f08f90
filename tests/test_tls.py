"""TLS: verification is always on for the clients we create; ``AWS_CA_BUNDLE`` (or the
profile's ``ca_bundle``) replaces the trust store, as in botocore. A real HTTPS server on
127.0.0.1 with a certificate from a throw-away CA (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import trustme

from personalize_lite import (
    AsyncPersonalizeClient,
    ConfigurationError,
    Credentials,
    EndpointConnectionError,
    PersonalizeClient,
)
from personalize_lite._httpx import tls_verify
from personalize_lite.testing import FixtureServer
from tests.support.jobs import FULL_ARN as ARN
from tests.support.paths import FIXTURES as FIXTURES_DIR

CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="tls-test-secret")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_url(ca: trustme.CA) -> Iterator[str]:
    """The fixture server, behind TLS with a certificate for 127.0.0.1 signed by ``ca``."""
    server = FixtureServer([FIXTURES_DIR])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    httpd = server._httpd
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    with server:
        yield server.url.replace("http://", "https://")


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        **extra,
    }


def test_an_unknown_ca_is_refused(https_url: str, tmp_path: Path) -> None:
    with (
        PersonalizeClient(
            region="us-east-1", endpoint_url=https_url, credentials=CREDS, env=_env(tmp_path)
        ) as client,
        pytest.raises(EndpointConnectionError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.describe_batch_inference_job(ARN)


def test_aws_ca_bundle_is_trusted(https_url: str, bundle: str, tmp_path: Path) -> None:
    env = _env(tmp_path, AWS_CA_BUNDLE=bundle)
    with PersonalizeClient(
        region="us-east-1", endpoint_url=https_url, credentials=CREDS, env=env
    ) as client:
        assert client.describe_batch_inference_job(ARN).status == "ACTIVE"


def test_profile_ca_bundle_is_trusted(https_url: str, bundle: str, tmp_path: Path) -> None:
    (tmp_path / "config").write_text(f"[profile tls]\nca_bundle = {bundle}\n")
    with PersonalizeClient(
        region="us-east-1",
        endpoint_url=https_url,
        credentials=CREDS,
        profile="tls",
        env=_env(tmp_path),
    ) as client:
        assert client.describe_batch_inference_job(ARN).status == "ACTIVE"


@pytest.mark.anyio
async def test_async_clients_verify_the_same_way(
    https_url: str, bundle: str, tmp_path: Path
) -> None:
    """asyncio (the aiohttp transport) and trio (httpx's own pool) both honour the bundle
    and both refuse an unknown CA."""
    with anyio.fail_after(20):
        async with AsyncPersonalizeClient(
            region="us-east-1", endpoint_url=https_url, credentials=CREDS, env=_env(tmp_path)
        ) as client:
            with pytest.raises(EndpointConnectionError):
                await client.describe_batch_inference_job(ARN)
        env = _env(tmp_path, AWS_CA_BUNDLE=bundle)
        async with AsyncPersonalizeClient(
            region="us-east-1", endpoint_url=https_url, credentials=CREDS, env=env
        ) as client:
            assert (await client.describe_batch_inference_job(ARN)).status == "ACTIVE"


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_an_unusable_bundle_is_a_configuration_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "bundle.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match="cannot load the CA bundle"):
        tls_verify("https://personalize.us-east-1.amazonaws.com", ca_bundle=str(path))


def test_the_bundle_does_not_apply_to_plain_http(bundle: str) -> None:
    context = tls_verify("http://127.0.0.1:8080", ca_bundle=bundle)
    assert isinstance(context, ssl.SSLContext)
    assert context.cert_store_stats()["x509_ca"] == 0
