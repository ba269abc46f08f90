"""Tests for personalize_lite.credentials._container: ContainerProvider against a stand-in endpoint.

The stand-in is the :class:`MetadataServer` of ``tests/support/metadata_server.py`` (shared with
``test_imds.py``) on 127.0.0.1, reached through ``AWS_CONTAINER_CREDENTIALS_FULL_URI``.
Network tests run on the sync driver and on the async driver under asyncio and trio
(conftest's ``driver`` and ``run`` fixtures). The ECS address (``RELATIVE_URI``) and the
non-loopback hosts of the FULL_URI rule are only validated, never connected to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.utils import ContainerMetadataFetcher

from personalize_lite._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    NoCredentialsError,
    ParamValidationError,
)
from personalize_lite._steps import Blocking, Plan, Send
from personalize_lite.credentials._base import ChainProvider
from personalize_lite.credentials._container import ContainerProvider, check_full_uri
from personalize_lite.credentials._imds import InstanceMetadataProvider
from tests.support.drive import sync_runner
from tests.support.metadata_server import (
    AUTH,
    EXPECTED,
    SECRET,
    MetadataServer,
    Reply,
    Run,
    assert_no_secret,
    creds_document,
    make_ctx,
)

PATH = "/v1/credentials"
GOOD = json.dumps(
    {k: v for k, v in creds_document().items() if k not in ("Code", "LastUpdated", "Type")}
)


def container(env: Mapping[str, str], **options: Any) -> ContainerProvider:
    return ContainerProvider(make_ctx(env), **options)


def full_uri(server: MetadataServer, **env: str) -> dict[str, str]:
    return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + PATH, **env}


def first_send(plan: Plan[Any]) -> Send:
    """Step a load up to its first request, running blocking steps inline; never sends."""
    step = next(plan)
    while isinstance(step, Blocking):
        step = plan.send(step.fn())
    plan.close()
    assert isinstance(step, Send)
    return step


def test_every_container_request_is_marked_direct() -> None:
    """Review T1: ``direct`` on every attempt's Send step, so no proxy ever sees the
    Authorization token (the proxy tests' loopback container URL could not show it)."""
    from personalize_lite._steps import HttpResponse, Sleep

    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH,
    }
    plan = container(env, attempts=3).load()
    sends: list[Send] = []

    def drive() -> None:
        step: Any = next(plan)
        for _ in range(20):  # 3 attempts, 2 sleeps between them, and blocking steps
            if isinstance(step, Send):
                sends.append(step)
                step = plan.send(HttpResponse(status_code=500, headers={}, body=b""))
            elif isinstance(step, Blocking):
                step = plan.send(step.fn())
            else:
                assert isinstance(step, Sleep)
                step = plan.send(None)

    with pytest.raises(CredentialRetrievalError, match="after 3 attempts"):
        drive()
    assert len(sends) == 3
    assert all(send.direct for send in sends)


# --------------------------------------------------------------------------- success


@pytest.mark.anyio
async def test_full_uri_with_token(run: Run, server: MetadataServer) -> None:
    server.route("GET", PATH, Reply(200, GOOD))
    server.required_auth = AUTH
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH))
    assert await run(provider.load()) == EXPECTED
    (seen,) = server.seen
    assert seen.headers["authorization"] == AUTH
    assert seen.headers["accept"] == "application/json"


@pytest.mark.anyio
async def test_full_uri_without_token(run: Run, server: MetadataServer) -> None:
    server.route("GET", PATH, Reply(200, GOOD))
    assert await run(container(full_uri(server)).load()) == EXPECTED
    assert "authorization" not in server.seen[0].headers


@pytest.mark.anyio
async def test_token_file_wins_and_is_reread_on_every_load(
    run: Run, server: MetadataServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text(AUTH + "-one")
    server.route("GET", PATH, Reply(200, GOOD))
    server.required_auth = AUTH + "-one"
    provider = container(
        full_uri(
            server,
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
            AWS_CONTAINER_AUTHORIZATION_TOKEN="ignored-because-the-file-wins",
        )
    )
    assert await run(provider.load()) == EXPECTED
    token_file.write_text(AUTH + "-two")  # the kubelet rotated it
    server.required_auth = AUTH + "-two"
    assert await run(provider.load()) == EXPECTED
    assert [seen.headers["authorization"] for seen in server.seen] == [
        AUTH + "-one",
        AUTH + "-two",
    ]


def test_token_file_is_read_in_a_blocking_step(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(AUTH)
    provider = container(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        }
    )
    plan = provider.load()
    step = next(plan)
    assert isinstance(step, Blocking)
    sent = plan.send(step.fn())
    plan.close()
    assert isinstance(sent, Send)
    assert sent.request.header("Authorization") == AUTH
    assert sent.timeout == ContainerProvider.TIMEOUT_SECONDS == 2.0


# --------------------------------------------------------------------------- failures


@pytest.mark.anyio
async def test_5xx_then_ok_sleeps_like_botocore(
    run: Run, server: MetadataServer, sleeps: list[float]
) -> None:
    server.route("GET", PATH, Reply(500), Reply(503), Reply(200, GOOD))
    assert await run(container(full_uri(server)).load()) == EXPECTED
    assert len(server.seen) == 3
    assert sleeps == [1.0, 1.0]  # botocore's SLEEP_TIME, recorded, not slept


@pytest.mark.anyio
async def test_5xx_every_time_is_an_error(
    run: Run, server: MetadataServer, sleeps: list[float]
) -> None:
    server.route("GET", PATH, Reply(500, "internal error"))
    with pytest.raises(CredentialRetrievalError, match="after 3 attempts: HTTP 500") as info:
        await run(container(full_uri(server)).load())
    assert info.value.provider == "container-role"
    assert "internal error" in str(info.value)
    assert len(server.seen) == 3
    assert sleeps == [1.0, 1.0]


@pytest.mark.anyio
async def test_rejected_token_is_not_echoed(run: Run, server: MetadataServer) -> None:
    """The stand-in echoes the wrong token in its 401 body: it must be blanked out."""
    server.route("GET", PATH, Reply(200, GOOD))
    server.required_auth = "the-right-token"
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH))
    with pytest.raises(CredentialRetrievalError, match="HTTP 401") as info:
        await run(provider.load())
    assert "<redacted>" in str(info.value)
    assert_no_secret(info.value)


@pytest.mark.anyio
async def test_bad_json_is_retried_then_an_error(run: Run, server: MetadataServer) -> None:
    cut = GOOD[: GOOD.index(SECRET) + 10]
    server.route("GET", PATH, Reply(200, cut))
    with pytest.raises(CredentialRetrievalError, match="not valid JSON") as info:
        await run(container(full_uri(server)).load())
    assert len(server.seen) == 3
    assert_no_secret(info.value)
    assert SECRET[:10] not in str(info.value)


@pytest.mark.anyio
async def test_bad_json_then_good(run: Run, server: MetadataServer) -> None:
    server.route("GET", PATH, Reply(200, "{"), Reply(200, GOOD))
    assert await run(container(full_uri(server)).load()) == EXPECTED


@pytest.mark.anyio
@pytest.mark.parametrize("missing", ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"])
async def test_missing_field_is_an_error(run: Run, server: MetadataServer, missing: str) -> None:
    document = json.loads(GOOD)
    del document[missing]
    server.route("GET", PATH, Reply(200, json.dumps(document)))
    with pytest.raises(CredentialRetrievalError, match=f"without the field {missing}") as info:
        await run(container(full_uri(server)).load())
    assert len(server.seen) == 1  # as botocore: a KeyError, not retried
    assert_no_secret(info.value)


@pytest.mark.anyio
async def test_slow_endpoint_times_out(run: Run, server: MetadataServer) -> None:
    server.route("GET", PATH, Reply(200, GOOD, delay=1.0))
    provider = container(full_uri(server), timeout=0.2, attempts=2)
    with pytest.raises(CredentialRetrievalError, match="after 2 attempts: timed out"):
        await run(provider.load())
    assert len(server.seen) == 2


@pytest.mark.anyio
async def test_refused_connection_is_an_error(run: Run, refused_port: int) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{refused_port}/creds"}
    with pytest.raises(CredentialRetrievalError, match="could not connect"):
        await run(container(env).load())


@pytest.mark.anyio
async def test_unreadable_token_file(run: Run, server: MetadataServer, tmp_path: Path) -> None:
    server.route("GET", PATH, Reply(200, GOOD))
    missing = tmp_path / "nope"
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(missing)))
    with pytest.raises(CredentialRetrievalError, match=r"cannot read .*No such file"):
        await run(provider.load())
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path)))
    with pytest.raises(CredentialRetrievalError, match="cannot read"):
        await run(provider.load())
    assert server.seen == []


@pytest.mark.anyio
async def test_token_file_not_utf8(run: Run, server: MetadataServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(AUTH.encode() + b"\xff")
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file)))
    with pytest.raises(CredentialRetrievalError, match="not UTF-8") as info:
        await run(provider.load())
    assert_no_secret(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.anyio
@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, GOOD),  # an error status that somehow carries credentials
        Reply(403, json.dumps({"code": "AccessDenied", "message": f"token {AUTH} refused"})),
        Reply(403, f"token {AUTH} refused"),
        Reply(200, GOOD[:-3]),
        Reply(200, json.dumps({**json.loads(GOOD), "Expiration": "later"})),
        Reply(200, json.dumps({**json.loads(GOOD), "SecretAccessKey": SECRET + "\n"})),
    ],
)
async def test_no_secret_in_any_error(run: Run, server: MetadataServer, reply: Reply) -> None:
    server.route("GET", PATH, reply)
    provider = container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH))
    with pytest.raises(CredentialRetrievalError) as info:
        await run(provider.load())
    assert_no_secret(info.value)
    assert AUTH not in repr(provider)


# --------------------------------------------------------------------------- token checks


@pytest.mark.parametrize(
    ("token", "match"),
    [
        (AUTH + "\n", "line break"),
        (AUTH + "\r\nX-Injected: 1", "line break"),
        (AUTH + "\x00", "control or non-ASCII"),
        (AUTH + "é", "control or non-ASCII"),
    ],
)
def test_token_header_injection_is_refused(token: str, match: str, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(token, encoding="utf-8")
    uri = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds"}
    for env in (
        {**uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": token},
        {**uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file)},
    ):
        with pytest.raises(ConfigurationError, match=match) as info:
            first_send(container(env).load())
        assert_no_secret(info.value)


# --------------------------------------------------------------------------- endpoints


def test_neither_uri_set_returns_none() -> None:
    provider = container({"AWS_CONTAINER_AUTHORIZATION_TOKEN": AUTH})
    plan = provider.load()
    with pytest.raises(StopIteration) as done:
        next(plan)
    assert done.value.value is None
    assert provider.skip_reason() == (
        "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is set"
    )
    assert AUTH not in repr(provider)


def test_skip_reasons_in_the_chain() -> None:
    """boto3's order ends with the container provider, then instance metadata."""
    ctx = make_ctx({"AWS_EC2_METADATA_DISABLED": "true"})
    chain = ChainProvider([ContainerProvider(ctx), InstanceMetadataProvider(ctx)])
    with sync_runner() as run_sync, pytest.raises(NoCredentialsError) as info:
        run_sync(chain.load())
    assert info.value.tried == (
        (
            "container-role",
            "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
        ),
        ("iam-role", "disabled by AWS_EC2_METADATA_DISABLED=true"),
    )


def test_relative_uri_goes_to_the_ecs_address_and_wins() -> None:
    provider = container(
        {
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc?x=1",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://evil.example/",  # not even checked
        }
    )
    assert provider.endpoint() == "http://169.254.170.2/v2/credentials/abc?x=1"
    step = first_send(provider.load())  # looked at, never sent
    assert step.request.url == "http://169.254.170.2/v2/credentials/abc?x=1"
    assert step.request.method == "GET"


@pytest.mark.parametrize("relative", ["@evil.example/creds", "v2/creds", "/a b", "/a\nb"])
def test_relative_uri_must_be_a_path(relative: str) -> None:
    provider = container({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": relative})
    with pytest.raises(ConfigurationError, match="must be a path starting with '/'"):
        provider.endpoint()


ALLOWED = [
    "http://127.0.0.1:8080/creds",
    "http://127.1.2.3/creds",
    "http://[::1]:9000/creds",
    "http://localhost/creds",
    "http://LOCALHOST:80/creds",
    "http://169.254.170.2/v2/credentials",
    "http://169.254.170.23/v1/credentials",
    "http://[fd00:ec2::23]/v1/credentials",
    "https://anything.example/creds",
    "https://10.0.0.5:8443/creds",
]
REFUSED = [
    "http://evil.example/creds",
    "http://10.0.0.5/creds",
    "http://169.254.170.3/creds",
    "http://169.254.169.254/latest",
    "http://[fd00:ec2::24]/creds",
    "http://127.0.0.1@evil.example/creds",
    "http://localhost.evil.example/creds",
    "http://localhost./creds",  # resolved through DNS, not /etc/hosts (issue 14, 4)
    "http://LOCALHOST.:80/creds",
    "http://127.0.0.1./creds",
    "http://0.0.0.0/creds",
]


@pytest.mark.parametrize("url", ALLOWED)
def test_full_uri_allowed(url: str) -> None:
    assert check_full_uri(url) == url
    assert container({"AWS_CONTAINER_CREDENTIALS_FULL_URI": url}).endpoint() == url
    ContainerMetadataFetcher()._validate_allowed_url(url)  # botocore agrees


@pytest.mark.parametrize("url", REFUSED)
def test_full_uri_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="use an https:// URL for any other host") as info:
        check_full_uri(url)
    assert "loopback address" in str(info.value)
    with pytest.raises(ValueError, match="Unsupported host"):  # botocore agrees
        ContainerMetadataFetcher()._validate_allowed_url(url)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://localhost/creds", "http:// or https://"),
        ("localhost/creds", "http:// or https://"),
        ("https:///creds", "must name a host"),
        ("http://localhost:port/creds", "not a valid URL"),
    ],
)
def test_full_uri_malformed(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        check_full_uri(url)


def test_bad_options() -> None:
    ctx = make_ctx({})
    for options in ({"timeout": 0}, {"timeout": True}, {"attempts": 0}, {"retry_sleep": -1}):
        with pytest.raises(ParamValidationError):
            ContainerProvider(ctx, **options)


# --------------------------------------------------------------------------- botocore parity


def test_same_credentials_as_botocore(server: MetadataServer) -> None:
    server.route("GET", PATH, Reply(200, GOOD))
    server.required_auth = AUTH
    theirs = ContainerMetadataFetcher().retrieve_full_uri(
        server.url + PATH, headers={"Authorization": AUTH}
    )
    with sync_runner() as run_sync:
        ours = run_sync(container(full_uri(server, AWS_CONTAINER_AUTHORIZATION_TOKEN=AUTH)).load())
    assert ours.access_key_id == theirs["AccessKeyId"]
    assert ours.secret_access_key == theirs["SecretAccessKey"]
    assert ours.session_token == theirs["Token"]
    assert ours.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") == theirs["Expiration"]
    botocore_request, our_request = server.seen
    for header in ("authorization", "accept"):
        assert our_request.headers[header] == botocore_request.headers[header]


# --------------------------------------------------------------------------- bounded reads


def _load_blocking_steps(plan: Plan[Any]) -> Send:
    """Run a load's blocking steps inline (exceptions thrown back in, as the drivers do)
    up to its first request."""
    step = next(plan)
    while isinstance(step, Blocking):
        try:
            value = step.fn()
        except Exception as exc:  # handed to the plan, as the drivers do
            step = plan.throw(exc)
        else:
            step = plan.send(value)
    plan.close()
    assert isinstance(step, Send)
    return step


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("/dev/zero", r"not a regular file \(a character device\)"),
        ("sparse 64 MiB file", "larger than 1048576 bytes"),
        ("fifo", r"not a regular file \(a FIFO\)"),
    ],
)
def test_an_endless_huge_or_blocking_token_file_is_refused_quickly_in_bounded_memory(
    source: str, refusal: str, tmp_path: Path
) -> None:
    """Issue 14, finding 5: the token file was read whole (/dev/zero past 1 GiB).
    Review S4: a FIFO with no writer blocked the open forever (a watchdog opens its
    other end after 5 s, so a regression fails instead of hanging)."""
    import contextlib
    import os
    import threading
    import time
    import tracemalloc

    path = source
    watchdog = None
    if source.startswith("sparse"):
        big = tmp_path / "token"
        with big.open("wb") as stream:
            stream.truncate(64 * 1024 * 1024)
        path = str(big)
    elif source == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        path = str(tmp_path / "token")
        os.mkfifo(path)

        def release() -> None:
            with contextlib.suppress(OSError):  # no reader blocked on it: nothing to do
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

        watchdog = threading.Timer(5.0, release)
        watchdog.start()
    elif not Path(source).exists():
        pytest.skip(f"{source} does not exist on this system")
    uri = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"}
    provider = container({**uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": path})
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CredentialRetrievalError, match=refusal) as info:
            _load_blocking_steps(provider.load())
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        if watchdog is not None:
            watchdog.cancel()
    assert elapsed < 2.0
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while reading {source}"
    assert path in str(info.value)
    assert_no_secret(info.value)
