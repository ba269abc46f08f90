"""The default chain end to end: precedence across real loopback credential servers, and
boto3's refresh windows through a client with an injected clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    CredentialRetrievalError,
    NoCredentialsError,
    PersonalizeClient,
)
from personalize_lite.testing import FixtureServer
from tests.support.jobs import FULL_ARN as ARN
from tests.support.plans import FakeClock
from tests.support.sts_server import SOURCE, StsStandIn

START = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _creds_json(key: str, expires: datetime) -> dict[str, str]:
    return {
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": key,
        "SecretAccessKey": "secret-" + key,
        "Token": "token-" + key,
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class _Server:
    """A loopback server answering from a route table; counts hits per route."""

    def __init__(self, routes: dict[tuple[str, str], Callable[[], tuple[int, str]]]) -> None:
        self.routes = routes
        self.hits: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                key = (self.command, self.path)
                outer.hits.append(key)
                status, body = outer.routes.get(key, lambda: (404, "not found"))()
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def container() -> Iterator[_Server]:
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    server = _Server(
        {("GET", "/creds"): lambda: (200, json.dumps(_creds_json("AKIDCONTAINER", expires)))}
    )
    yield server
    server.close()


@pytest.fixture
def imds() -> Iterator[_Server]:
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    base = "/latest/meta-data/iam/security-credentials/"
    server = _Server(
        {
            ("PUT", "/latest/api/token"): lambda: (200, "imds-token"),
            ("GET", base): lambda: (200, "my-role"),
            ("GET", base + "my-role"): lambda: (200, json.dumps(_creds_json("AKIDIMDS", expires))),
        }
    )
    yield server
    server.close()


def _describe_key(env: dict[str, str], fixture_server: FixtureServer) -> str | None:
    """Run one call and return the access key id the chain chose."""
    with PersonalizeClient(region="us-east-1", endpoint_url=fixture_server.url, env=env) as client:
        client.describe_batch_inference_job(ARN)
        chain = client._ready().credentials.provider
        return getattr(chain, "last_provider_name", None)


def test_precedence_env_then_container_then_imds(
    aws_env: dict[str, str], fixture_server: FixtureServer, container: _Server, imds: _Server
) -> None:
    env = {
        **aws_env,
        "AWS_EC2_METADATA_DISABLED": "false",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url + "/creds",
    }
    with_env_keys = {**env, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}
    assert _describe_key(with_env_keys, fixture_server) == "env"
    assert container.hits == []
    assert imds.hits == []

    assert _describe_key(env, fixture_server) == "container-role"
    assert container.hits == [("GET", "/creds")]
    assert imds.hits == []  # never asked: the container won

    del env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert _describe_key(env, fixture_server) == "iam-role"
    assert [method for method, _ in imds.hits] == ["PUT", "GET", "GET"]


def test_nothing_configured_lists_every_source(
    aws_env: dict[str, str], fixture_server: FixtureServer
) -> None:
    with pytest.raises(NoCredentialsError) as info:
        _describe_key(aws_env, fixture_server)
    names = [name for name, _ in info.value.tried]
    assert names[0] == "env"
    assert names[-2:] == ["container-role", "iam-role"]
    assert len(names) == 9


# ------------------------------------------------------------ refresh windows, end to end


class _Scenario:
    """One httpx transport playing both the container endpoint and Personalize."""

    CREDS = "http://127.0.0.1:9/creds"  # never dialled: the mock transport answers

    def __init__(self) -> None:
        self.issue: Callable[[], httpx.Response] = lambda: self.creds(
            "AKID1", START + timedelta(hours=1)
        )
        self.fetches = 0
        self.keys_used: list[str] = []

    @staticmethod
    def creds(key: str, expires: datetime) -> httpx.Response:
        return httpx.Response(200, json=_creds_json(key, expires))

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == self.CREDS:
            self.fetches += 1
            return self.issue()
        scope = request.headers["authorization"].split("Credential=")[1]
        self.keys_used.append(scope.split("/")[0])
        return httpx.Response(200, json={"batchInferenceJob": {"status": "ACTIVE"}})


Outcome = CredentialRetrievalError | None


def _windows(scenario: _Scenario, clock: FakeClock) -> Generator[None, Outcome, None]:
    """The scenario: yields where a call is made and receives its outcome (None: success)."""
    assert (yield) is None
    assert (scenario.fetches, scenario.keys_used) == (1, ["AKID1"])

    clock.advance(40 * 60)  # 20 minutes left: fresh, no fetch
    assert (yield) is None
    assert scenario.fetches == 1

    scenario.issue = lambda: httpx.Response(500, text="down")
    clock.advance(7 * 60)  # 13 minutes left: advisory window, refresh fails, old keys kept
    assert (yield) is None
    assert scenario.keys_used[-1] == "AKID1"
    assert scenario.fetches > 1

    clock.advance(5 * 60)  # 8 minutes left: mandatory window, the refresh must succeed
    assert isinstance((yield), CredentialRetrievalError)

    scenario.issue = lambda: scenario.creds("AKID2", START + timedelta(hours=2))
    assert (yield) is None
    assert scenario.keys_used[-1] == "AKID2"


def _env(aws_env: dict[str, str]) -> dict[str, str]:
    return {**aws_env, "AWS_CONTAINER_CREDENTIALS_FULL_URI": _Scenario.CREDS}


def test_refresh_windows_sync(aws_env: dict[str, str]) -> None:
    scenario, clock = _Scenario(), FakeClock(START)
    steps = _windows(scenario, clock)
    next(steps)
    with (
        httpx.Client(transport=httpx.MockTransport(scenario.handler)) as http,
        PersonalizeClient(
            region="us-east-1",
            env=_env(aws_env),
            clock=clock,
            http_client=http,
            sleep=lambda _: None,
        ) as client,
    ):
        while True:
            outcome: Outcome = None
            try:
                client.describe_batch_inference_job(ARN)
            except CredentialRetrievalError as exc:
                outcome = exc
            try:
                steps.send(outcome)
            except StopIteration:
                break
    assert scenario.keys_used[-1] == "AKID2"


@pytest.mark.anyio
async def test_refresh_windows_async(aws_env: dict[str, str]) -> None:
    scenario, clock = _Scenario(), FakeClock(START)
    steps = _windows(scenario, clock)
    next(steps)

    async def no_sleep(_seconds: float) -> None:
        return None

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(scenario.handler)) as http,
        AsyncPersonalizeClient(
            region="us-east-1", env=_env(aws_env), clock=clock, http_client=http, sleep=no_sleep
        ) as client,
    ):
        while True:
            outcome: Outcome = None
            try:
                await client.describe_batch_inference_job(ARN)
            except CredentialRetrievalError as exc:
                outcome = exc
            try:
                steps.send(outcome)
            except StopIteration:
                break
    assert scenario.keys_used[-1] == "AKID2"


# ------------------------------------------------ assume-role wiring of the default chain

ROLE = "arn:aws:iam::123456789012:role/reader"


def _client_through_sts(
    aws_env: dict[str, str], sts: StsStandIn, fixture_server: FixtureServer, config: str, **env: str
) -> str | None:
    Path(aws_env["AWS_CONFIG_FILE"]).write_text(config, encoding="utf-8")
    full_env = {**aws_env, "AWS_ENDPOINT_URL_STS": sts.url, **env}
    with PersonalizeClient(
        region="us-east-1", endpoint_url=fixture_server.url, profile="r", env=full_env
    ) as client:
        assert client.describe_batch_inference_job(ARN).status == "ACTIVE"
        return getattr(client._ready().credentials.provider, "last_provider_name", None)


def test_credential_source_environment_through_the_chain(
    aws_env: dict[str, str], sts: StsStandIn, fixture_server: FixtureServer
) -> None:
    config = f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n"
    env = {
        "AWS_ACCESS_KEY_ID": SOURCE.access_key_id,
        "AWS_SECRET_ACCESS_KEY": SOURCE.secret_access_key,
    }
    if SOURCE.session_token:
        env["AWS_SESSION_TOKEN"] = SOURCE.session_token
    # profile= is explicit, so the env provider is out of the chain: only the role's
    # credential_source reads the environment.
    assert _client_through_sts(aws_env, sts, fixture_server, config, **env) == "assume-role"
    assert len(sts.requests) == 1
    assert sts.problems == []  # signed with the environment's keys


def test_source_profile_with_static_keys_through_the_chain(
    aws_env: dict[str, str], sts: StsStandIn, fixture_server: FixtureServer
) -> None:
    config = (
        f"[profile r]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile base]\naws_access_key_id = {SOURCE.access_key_id}\n"
        f"aws_secret_access_key = {SOURCE.secret_access_key}\n"
        + (f"aws_session_token = {SOURCE.session_token}\n" if SOURCE.session_token else "")
    )
    assert _client_through_sts(aws_env, sts, fixture_server, config) == "assume-role"
    assert len(sts.requests) == 1
    assert sts.problems == []
