"""Tests for personalize_lite.credentials._imds: InstanceMetadataProvider against a stand-in IMDS.

The stand-in (:class:`MetadataServer` of ``tests/support/metadata_server.py``, shared with
``test_container.py``) is a threaded ``http.server`` on 127.0.0.1 with scripted replies per
route. Network behaviour is run through the real drivers (``tests/support/drive.py``): every such
test runs three times, on the sync driver and on the async driver under asyncio and trio
(conftest's ``driver`` fixture picks the anyio backend). Sleeps between attempts are
recorded, never slept; the only real waits are the bounded 0.2 s timeout tests.
Configuration tests step the plan by hand and never connect (the IPv6 and default
endpoints are only ever looked at).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.utils import InstanceMetadataFetcher

from personalize_lite._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    NoCredentialsError,
)
from personalize_lite._steps import Send
from personalize_lite.credentials._base import ChainProvider
from personalize_lite.credentials._imds import (
    IPV4_ENDPOINT,
    IPV6_ENDPOINT,
    REQUIRED_FIELDS,
    InstanceMetadataProvider,
    parse_metadata_credentials,
)
from tests.support.drive import sync_runner
from tests.support.metadata_server import (
    ACCESS_KEY,
    EXPECTED,
    SECRET,
    TOKEN,
    MetadataServer,
    Reply,
    Run,
    assert_no_secret,
    creds_document,
    make_ctx,
)

# --------------------------------------------------------------------------- IMDS routes

ROLE = "web-server-role"
IMDS_TOKEN = "AQAEAIMDSv2tokenEXAMPLE=="
TOKEN_PATH = "/latest/api/token"
ROLES_PATH = "/latest/meta-data/iam/security-credentials/"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"


def imds(server: MetadataServer, **env: str) -> InstanceMetadataProvider:
    return InstanceMetadataProvider(
        make_ctx({"AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url, **env})
    )


def script(
    server: MetadataServer,
    *,
    token: Reply | list[Reply] | None = None,
    listing: Reply | list[Reply] | None = None,
    creds: Reply | list[Reply] | None = None,
) -> None:
    """A working IMDS by default; pass replies to change one stage."""

    def replies(value: Reply | list[Reply] | None, default: Reply) -> list[Reply]:
        if value is None:
            return [default]
        return value if isinstance(value, list) else [value]

    server.route("PUT", TOKEN_PATH, *replies(token, Reply(200, IMDS_TOKEN)))
    server.route("GET", ROLES_PATH, *replies(listing, Reply(200, ROLE)))
    server.route(
        "GET", ROLES_PATH + ROLE, *replies(creds, Reply(200, json.dumps(creds_document())))
    )


# --------------------------------------------------------------------------- IMDSv2 and v1


@pytest.mark.anyio
async def test_imdsv2_credentials(run: Run, server: MetadataServer) -> None:
    script(server)
    provider = imds(server)
    assert await run(provider.load()) == EXPECTED
    assert server.paths() == [
        ("PUT", TOKEN_PATH),
        ("GET", ROLES_PATH),
        ("GET", ROLES_PATH + ROLE),
    ]
    put, listing, creds = server.seen
    assert put.headers[TTL_HEADER] == "21600"
    assert TOKEN_HEADER not in put.headers
    assert listing.headers[TOKEN_HEADER] == IMDS_TOKEN
    assert creds.headers[TOKEN_HEADER] == IMDS_TOKEN


@pytest.mark.anyio
async def test_role_listing_uses_first_line(run: Run, server: MetadataServer) -> None:
    script(server, listing=Reply(200, f"{ROLE}\nsecond-role\n"))
    assert await run(imds(server).load()) == EXPECTED
    assert server.paths()[-1] == ("GET", ROLES_PATH + ROLE)


@pytest.mark.anyio
@pytest.mark.parametrize("status", [403, 404, 405])
async def test_token_refused_falls_back_to_v1(
    run: Run, server: MetadataServer, status: int
) -> None:
    script(server, token=Reply(status))
    assert await run(imds(server).load()) == EXPECTED
    assert [seen.method for seen in server.seen] == ["PUT", "GET", "GET"]
    assert all(TOKEN_HEADER not in seen.headers for seen in server.seen[1:])


@pytest.mark.anyio
async def test_token_400_is_an_error(run: Run, server: MetadataServer) -> None:
    script(server, token=Reply(400))
    with pytest.raises(CredentialRetrievalError, match="HTTP 400") as info:
        await run(imds(server).load())
    assert info.value.provider == "iam-role"
    assert server.paths() == [("PUT", TOKEN_PATH)]


@pytest.mark.anyio
async def test_v1_disabled_refuses_the_fallback(run: Run, server: MetadataServer) -> None:
    script(server, token=Reply(404))
    provider = imds(server, AWS_EC2_METADATA_V1_DISABLED="true")
    with pytest.raises(CredentialRetrievalError, match="IMDSv1 is disabled"):
        await run(provider.load())
    assert server.paths() == [("PUT", TOKEN_PATH)]


@pytest.mark.anyio
async def test_v1_disabled_in_profile(run: Run, server: MetadataServer) -> None:
    script(server, token=Reply(403))
    ctx = make_ctx(
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url},
        {"default": {"ec2_metadata_v1_disabled": "True"}},
    )
    with pytest.raises(CredentialRetrievalError, match=r"HTTP 403.*IMDSv1 is disabled"):
        await run(InstanceMetadataProvider(ctx).load())


@pytest.mark.anyio
async def test_v1_disabled_still_uses_v2(run: Run, server: MetadataServer) -> None:
    script(server)
    provider = imds(server, AWS_EC2_METADATA_V1_DISABLED="true")
    assert await run(provider.load()) == EXPECTED


# --------------------------------------------------------------------------- timeouts, retries


@pytest.mark.anyio
async def test_token_timeout_falls_back_to_v1(run: Run, server: MetadataServer) -> None:
    """botocore's hop-limit case: the PUT times out, tokenless GETs still work."""
    script(server, token=Reply(200, IMDS_TOKEN, delay=1.0))
    provider = imds(server, AWS_METADATA_SERVICE_TIMEOUT="0.2")
    assert await run(provider.load()) == EXPECTED
    assert all(TOKEN_HEADER not in seen.headers for seen in server.seen[1:])
    assert len(server.seen) == 3  # a read timeout is not retried (botocore)


@pytest.mark.anyio
async def test_silent_service_is_skipped(run: Run, server: MetadataServer) -> None:
    script(server, token=Reply(200, IMDS_TOKEN, delay=1.0), listing=Reply(200, ROLE, delay=1.0))
    provider = imds(server, AWS_METADATA_SERVICE_TIMEOUT="0.2")
    assert await run(provider.load()) is None
    assert provider.skip_reason().startswith(f"no instance metadata service at {server.url}")
    assert "timed out" in provider.skip_reason()


@pytest.mark.anyio
async def test_unreachable_service_is_skipped(
    run: Run, refused_port: int, sleeps: list[float]
) -> None:
    url = f"http://127.0.0.1:{refused_port}"
    provider = InstanceMetadataProvider(
        make_ctx(
            {
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": url,
                "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2",
            }
        )
    )
    assert await run(provider.load()) is None
    assert provider.skip_reason().startswith(f"no instance metadata service at {url}:")
    # Two attempts at the token, then (as botocore) two at the tokenless listing.
    assert sleeps == [provider.RETRY_SLEEP, provider.RETRY_SLEEP]


@pytest.mark.anyio
async def test_unreachable_with_v1_disabled_is_skipped(run: Run, refused_port: int) -> None:
    """Deviation: botocore raises here; not being on EC2 is normal, so we skip."""
    url = f"http://127.0.0.1:{refused_port}"
    provider = InstanceMetadataProvider(
        make_ctx({"AWS_EC2_METADATA_SERVICE_ENDPOINT": url, "AWS_EC2_METADATA_V1_DISABLED": "true"})
    )
    assert await run(provider.load()) is None
    assert provider.skip_reason().startswith(f"no instance metadata service at {url}:")


@pytest.mark.anyio
async def test_5xx_then_ok_is_retried(
    run: Run, server: MetadataServer, sleeps: list[float]
) -> None:
    script(
        server,
        token=[Reply(503), Reply(200, IMDS_TOKEN)],
        listing=[Reply(500), Reply(200, ROLE)],
        creds=[Reply(500), Reply(200, json.dumps(creds_document()))],
    )
    provider = imds(server, AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
    assert await run(provider.load()) == EXPECTED
    assert len(server.seen) == 6
    assert server.seen[-1].headers[TOKEN_HEADER] == IMDS_TOKEN
    assert sleeps == [provider.RETRY_SLEEP] * 3


@pytest.mark.anyio
async def test_5xx_on_every_attempt_is_an_error(run: Run, server: MetadataServer) -> None:
    script(server, creds=Reply(500, "oops"))
    provider = imds(server, AWS_METADATA_SERVICE_NUM_ATTEMPTS="3")
    with pytest.raises(CredentialRetrievalError, match="answered HTTP 500"):
        await run(provider.load())
    assert server.paths().count(("GET", ROLES_PATH + ROLE)) == 3


@pytest.mark.anyio
async def test_token_5xx_on_every_attempt_falls_back_to_v1(
    run: Run, server: MetadataServer
) -> None:
    """botocore retries other token statuses, then goes on without a token."""
    script(server, token=Reply(500))
    provider = imds(server, AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
    assert await run(provider.load()) == EXPECTED
    assert server.paths()[:2] == [("PUT", TOKEN_PATH), ("PUT", TOKEN_PATH)]
    assert TOKEN_HEADER not in server.seen[-1].headers


@pytest.mark.anyio
async def test_truncated_json_then_good_is_retried(run: Run, server: MetadataServer) -> None:
    """botocore retries a credentials reply that is not JSON."""
    good = json.dumps(creds_document())
    script(server, creds=[Reply(200, good[:40]), Reply(200, good)])
    provider = imds(server, AWS_METADATA_SERVICE_NUM_ATTEMPTS="2")
    assert await run(provider.load()) == EXPECTED


# --------------------------------------------------------------------------- no role, bad docs


@pytest.mark.anyio
@pytest.mark.parametrize("listing", [Reply(200, ""), Reply(200, "\n"), Reply(404, "nope")])
async def test_no_role_attached_is_skipped(
    run: Run, server: MetadataServer, listing: Reply
) -> None:
    script(server, listing=listing)
    provider = imds(server)
    assert await run(provider.load()) is None
    assert provider.skip_reason().startswith("no IAM role attached")
    assert server.paths()[-1] == ("GET", ROLES_PATH)


@pytest.mark.anyio
async def test_role_credentials_404_is_skipped(run: Run, server: MetadataServer) -> None:
    script(server, creds=Reply(404))
    provider = imds(server)
    assert await run(provider.load()) is None
    assert ROLE in provider.skip_reason()
    assert "HTTP 404" in provider.skip_reason()


@pytest.mark.anyio
async def test_truncated_json_is_an_error(run: Run, server: MetadataServer) -> None:
    body = json.dumps(creds_document())
    cut = body[: body.index(SECRET) + 10]  # part of the secret is in the body
    script(server, creds=Reply(200, cut))
    with pytest.raises(CredentialRetrievalError, match="not valid JSON") as info:
        await run(imds(server).load())
    assert_no_secret(info.value)
    assert SECRET[:10] not in str(info.value)


@pytest.mark.anyio
async def test_code_not_success_is_an_error(run: Run, server: MetadataServer) -> None:
    document = creds_document(Code="AssumeRoleUnauthorizedAccess", Message="EC2 is not trusted")
    script(server, creds=Reply(200, json.dumps(document)))
    with pytest.raises(CredentialRetrievalError) as info:
        await run(imds(server).load())
    assert "'AssumeRoleUnauthorizedAccess'" in str(info.value)
    assert "EC2 is not trusted" in str(info.value)
    assert_no_secret(info.value)


@pytest.mark.anyio
async def test_missing_field_is_an_error(run: Run, server: MetadataServer) -> None:
    script(server, creds=Reply(200, json.dumps(creds_document(Token=None))))
    with pytest.raises(CredentialRetrievalError, match="without the field Token") as info:
        await run(imds(server).load())
    assert_no_secret(info.value)


@pytest.mark.anyio
async def test_invalid_role_name_is_an_error(run: Run, server: MetadataServer) -> None:
    script(server, listing=Reply(200, "../../latest/api/token"))
    with pytest.raises(CredentialRetrievalError, match="not a valid IAM role name"):
        await run(imds(server).load())
    assert len(server.seen) == 2  # the odd name was never requested


# --------------------------------------------------------------------------- parsing (no I/O)


@pytest.mark.parametrize("missing", REQUIRED_FIELDS)
def test_each_required_field_is_named(missing: str) -> None:
    body = json.dumps(creds_document(**{missing: None})).encode()
    with pytest.raises(CredentialRetrievalError, match=f"without the field {missing}$") as info:
        parse_metadata_credentials(body, provider="iam-role", source="imds")
    assert_no_secret(info.value)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"[]", "expected an object"),
        (b"\xff\xfe{", "not"),
        (b"", "not valid JSON"),
        (json.dumps(creds_document(SecretAccessKey=12)).encode(), "SecretAccessKey that is not"),
        (json.dumps(creds_document(Token="")).encode(), "Token that is not a non-empty string"),
        (json.dumps(creds_document(Expiration="soon")).encode(), "Expiration that is not an ISO"),
        (json.dumps(creds_document(Code=None)).encode(), None),  # no Code is fine
        (
            json.dumps(creds_document(SecretAccessKey=SECRET + " x")).encode(),
            "unusable credentials: secret_access_key",
        ),
    ],
)
def test_credentials_document_problems(body: bytes, match: str | None) -> None:
    if match is None:
        assert parse_metadata_credentials(body, provider="p", source="s") == EXPECTED
        return
    with pytest.raises(CredentialRetrievalError, match=match) as info:
        parse_metadata_credentials(body, provider="p", source="s")
    assert_no_secret(info.value)
    assert info.value.__cause__ is None


def test_credentials_repr_and_provider_repr_hide_secrets() -> None:
    credentials = parse_metadata_credentials(
        json.dumps(creds_document()).encode(), provider="p", source="s"
    )
    provider = InstanceMetadataProvider(make_ctx({}))
    for text in (repr(credentials), repr(provider)):
        assert SECRET not in text
        assert TOKEN not in text
    assert ACCESS_KEY in repr(credentials)


# --------------------------------------------------------------------------- configuration


def first_send(provider: InstanceMetadataProvider) -> Send:
    """The first step of a load, taken without running it (nothing connects)."""
    plan = provider.load()
    step = next(plan)
    plan.close()
    assert isinstance(step, Send)
    return step


def test_disabled_returns_none_without_a_request() -> None:
    for value in ("true", "TRUE", "True"):
        provider = InstanceMetadataProvider(make_ctx({"AWS_EC2_METADATA_DISABLED": value}))
        plan = provider.load()
        with pytest.raises(StopIteration) as done:
            next(plan)
        assert done.value.value is None
        assert "AWS_EC2_METADATA_DISABLED" in provider.skip_reason()
    assert not InstanceMetadataProvider(make_ctx({"AWS_EC2_METADATA_DISABLED": "no"})).disabled()


def test_disabled_in_the_chain_is_reported() -> None:
    chain = ChainProvider(
        [InstanceMetadataProvider(make_ctx({"AWS_EC2_METADATA_DISABLED": "true"}))]
    )
    with sync_runner() as run_sync, pytest.raises(NoCredentialsError) as info:
        run_sync(chain.load())
    assert info.value.tried == (("iam-role", "disabled by AWS_EC2_METADATA_DISABLED=true"),)


def test_default_request_shape() -> None:
    step = first_send(InstanceMetadataProvider(make_ctx({})))
    assert step.request.method == "PUT"
    assert step.request.url == f"{IPV4_ENDPOINT}/latest/api/token"
    assert step.request.header(TTL_HEADER) == "21600"
    assert step.timeout == 1.0  # botocore's default
    assert step.attempt == 1


@pytest.mark.parametrize(
    ("env", "config", "expected"),
    [
        ({}, {}, IPV4_ENDPOINT),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}, {}, IPV6_ENDPOINT),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "ipv4"}, {}, IPV4_ENDPOINT),
        ({}, {"ec2_metadata_service_endpoint_mode": "IPv6"}, IPV6_ENDPOINT),
        (
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"},
            {"ec2_metadata_service_endpoint_mode": "IPv6"},
            IPV4_ENDPOINT,
        ),
        ({"AWS_IMDS_USE_IPV6": "true"}, {}, IPV6_ENDPOINT),
        ({}, {"imds_use_ipv6": "true"}, IPV6_ENDPOINT),
        (
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4", "AWS_IMDS_USE_IPV6": "true"},
            {},
            IPV4_ENDPOINT,
        ),
        (
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"},
            {"ec2_metadata_service_endpoint": "http://10.1.2.3:8080/"},
            "http://10.1.2.3:8080/",
        ),
        (
            {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "https://[fd00:ec2::254]"},
            {"ec2_metadata_service_endpoint": "http://10.1.2.3"},
            "https://[fd00:ec2::254]",
        ),
    ],
)
def test_endpoint_selection(env: dict[str, str], config: dict[str, str], expected: str) -> None:
    provider = InstanceMetadataProvider(make_ctx(env, {"default": config}))
    assert provider.config().base_url == expected
    step = first_send(provider)  # never sent: validation and URL building only
    assert step.request.url == expected.rstrip("/") + "/latest/api/token"


def test_endpoint_from_the_named_profile() -> None:
    ctx = make_ctx(
        {"AWS_PROFILE": "ec2"},
        {
            "default": {"ec2_metadata_service_endpoint_mode": "IPv4"},
            "profile ec2": {"ec2_metadata_service_endpoint_mode": "IPv6"},
        },
    )
    assert InstanceMetadataProvider(ctx).config().base_url == IPV6_ENDPOINT


@pytest.mark.parametrize(
    ("env", "config", "match"),
    [
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv5"}, {}, "must be IPv4 or IPv6"),
        ({}, {"ec2_metadata_service_endpoint_mode": "v6"}, "in profile 'default'"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"}, {}, "http:// or https://"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "ftp://imds"}, {}, "http:// or https://"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://"}, {}, "must name a host"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://a b"}, {}, "without spaces"),
        ({"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://h:99999"}, {}, "not a valid URL"),
        ({}, {"ec2_metadata_service_endpoint": "nope"}, "ec2_metadata_service_endpoint in"),
        ({"AWS_METADATA_SERVICE_TIMEOUT": "soon"}, {}, "positive number of seconds"),
        ({"AWS_METADATA_SERVICE_TIMEOUT": "0"}, {}, "positive number of seconds"),
        ({}, {"metadata_service_timeout": "inf"}, "metadata_service_timeout in"),
        ({"AWS_METADATA_SERVICE_NUM_ATTEMPTS": "0"}, {}, "whole number >= 1"),
        ({}, {"metadata_service_num_attempts": "1.5"}, "whole number >= 1"),
        ({"AWS_EC2_METADATA_V1_DISABLED": "yes"}, {}, "'true' or 'false'"),
        ({}, {"ec2_metadata_v1_disabled": {"nested": "x"}}, "single value"),
    ],
)
def test_bad_settings_are_configuration_errors(
    env: dict[str, str], config: dict[str, Any], match: str
) -> None:
    provider = InstanceMetadataProvider(make_ctx(env, {"default": config}))
    with pytest.raises(ConfigurationError, match=match):
        first_send(provider)


def test_settings_from_env_beat_the_profile() -> None:
    config = {
        "default": {
            "metadata_service_timeout": "5",
            "metadata_service_num_attempts": "4",
            "ec2_metadata_v1_disabled": "true",
        }
    }
    from_profile = InstanceMetadataProvider(make_ctx({}, config)).config()
    assert (from_profile.timeout, from_profile.attempts, from_profile.v1_disabled) == (5, 4, True)
    env = {
        "AWS_METADATA_SERVICE_TIMEOUT": "0.5",
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "2",
        "AWS_EC2_METADATA_V1_DISABLED": "false",
    }
    from_env = InstanceMetadataProvider(make_ctx(env, config)).config()
    assert (from_env.timeout, from_env.attempts, from_env.v1_disabled) == (0.5, 2, False)
    step = first_send(InstanceMetadataProvider(make_ctx(env, config)))
    assert step.timeout == 0.5


# --------------------------------------------------------------------------- botocore parity


@pytest.mark.parametrize("token_status", [200, 404])
def test_same_credentials_as_botocore(server: MetadataServer, token_status: int) -> None:
    script(server, token=Reply(token_status, IMDS_TOKEN if token_status == 200 else ""))
    fetcher = InstanceMetadataFetcher(timeout=1, num_attempts=1, base_url=server.url, env={})
    theirs = fetcher.retrieve_iam_role_credentials()
    botocore_requests = list(server.seen)
    server.seen.clear()
    with sync_runner() as run_sync:
        ours = run_sync(imds(server).load())
    assert theirs["role_name"] == ROLE
    assert ours.access_key_id == theirs["access_key"]
    assert ours.secret_access_key == theirs["secret_key"]
    assert ours.session_token == theirs["token"]
    assert ours.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") == theirs["expiry_time"]
    assert [(s.method, s.target) for s in botocore_requests] == server.paths()
    assert [s.headers.get(TOKEN_HEADER) for s in botocore_requests] == [
        s.headers.get(TOKEN_HEADER) for s in server.seen
    ]


# --------------------------------------------------------------------------- secrets sweep

GOOD_DOCUMENT = json.dumps(creds_document())
LEAKY: dict[str, dict[str, Reply]] = {
    "creds 500 echoing a document": {"creds": Reply(500, GOOD_DOCUMENT)},
    "creds 401 echoing a document": {"creds": Reply(401, GOOD_DOCUMENT)},
    "listing 403 echoing a document": {"listing": Reply(403, GOOD_DOCUMENT)},
    "token 400 echoing a secret": {"token": Reply(400, SECRET)},
    "Code is not Success": {"creds": Reply(200, json.dumps(creds_document(Code="Failed")))},
    "bad Expiration": {"creds": Reply(200, json.dumps(creds_document(Expiration="x")))},
    "secret with a space": {
        "creds": Reply(200, json.dumps(creds_document(SecretAccessKey=SECRET + " x")))
    },
    "token with a newline": {"creds": Reply(200, json.dumps(creds_document(Token=TOKEN + "\n")))},
    "truncated": {"creds": Reply(200, GOOD_DOCUMENT[:-2])},
    "a list": {"creds": Reply(200, json.dumps([SECRET, TOKEN]))},
    "a document where the role name belongs": {"listing": Reply(200, GOOD_DOCUMENT)},
}


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", sorted(LEAKY))
async def test_no_secret_in_any_error(run: Run, server: MetadataServer, scenario: str) -> None:
    script(server, **LEAKY[scenario])
    with pytest.raises(CredentialRetrievalError) as info:
        await run(imds(server).load())
    assert_no_secret(info.value)
