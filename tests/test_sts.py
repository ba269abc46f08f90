"""Tests for personalize_lite.credentials._sts: the STS endpoint, the Query request, the XML reply.

HTTP goes to :class:`StsStandIn` (``tests/support/sts_server.py``, shared with
``test_assume_role.py``), a threaded ``http.server`` on 127.0.0.1 that parses the form
body, verifies SigV4 signatures against the keys it knows (and the absence of one for web
identity), and answers with XML, or to moto's STS in server mode. Plans run through
the real drivers (``tests/support/drive.py``); a few core tests step a plan by hand.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import attrs
import botocore.config
import botocore.session
import pytest
from moto.server import ThreadedMotoServer

from personalize_lite._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    ReadTimeoutError,
    TransportError,
)
from personalize_lite._steps import HttpResponse, Send, Sleep
from personalize_lite.credentials._base import Credentials
from personalize_lite.credentials._sts import (
    GLOBAL_ENDPOINT,
    MAX_ATTEMPTS,
    STS_TIMEOUT,
    _parse_credentials,
    assume_role_plan,
    assume_role_with_web_identity_plan,
    sts_endpoint,
)
from tests.support.drive import async_runner, sync_runner
from tests.support.sts_server import NOW, SOURCE, WEB_TOKEN, StsStandIn, make_ctx

ROLE = "arn:aws:iam::123456789012:role/reader"


def _no_secrets(error: BaseException) -> None:
    text = f"{error} {error!r}"
    for secret in (
        SOURCE.secret_access_key,
        SOURCE.session_token or "",
        WEB_TOKEN,
    ):
        assert secret not in text


# --------------------------------------------------------------------------- endpoint


@pytest.mark.parametrize(
    ("region", "url", "signing_region"),
    [
        ("eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1"),
        ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("us-east-1", "https://sts.us-east-1.amazonaws.com", "us-east-1"),
        (None, GLOBAL_ENDPOINT, "us-east-1"),
        ("aws-global", GLOBAL_ENDPOINT, "us-east-1"),
    ],
)
def test_sts_endpoint_regional(region: str | None, url: str, signing_region: str) -> None:
    assert sts_endpoint(make_ctx(), region) == (url, signing_region)


def test_sts_endpoint_configured_url_wins() -> None:
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566/"})
    assert sts_endpoint(ctx, "eu-west-1") == ("http://127.0.0.1:4566", "eu-west-1")
    assert sts_endpoint(ctx, None) == ("http://127.0.0.1:4566", "us-east-1")
    # Another service's variable does not redirect STS; the generic one does.
    other = make_ctx({"AWS_ENDPOINT_URL_PERSONALIZE": "http://127.0.0.1:1"})
    assert sts_endpoint(other, "eu-west-1")[0] == "https://sts.eu-west-1.amazonaws.com"
    generic = make_ctx({"AWS_ENDPOINT_URL": "https://sts.example.test"})
    assert sts_endpoint(generic, "eu-west-1")[0] == "https://sts.example.test"


def test_sts_endpoint_configured_url_from_services_section() -> None:
    config = (
        "[default]\nservices = local\n\n"
        "[services local]\nsts =\n    endpoint_url = http://127.0.0.1:9999\n"
    )
    assert sts_endpoint(make_ctx(config=config), "eu-west-1")[0] == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({}, "eu_west_1"),
        ({}, "eu-west-1.evil.example"),
        ({"AWS_ENDPOINT_URL_STS": "http://sts.example.test"}, "eu-west-1"),
        ({"AWS_ENDPOINT_URL_STS": "https://user:pw@sts.example.test"}, "eu-west-1"),
    ],
)
def test_sts_endpoint_rejects_bad_region_or_url(env: dict[str, str], region: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        sts_endpoint(make_ctx(env), region)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize(
    ("region", "fips", "dualstack"),
    [
        ("eu-west-1", False, False),
        ("cn-north-1", False, False),
        ("us-east-1", True, False),
        ("us-gov-west-1", True, False),
        ("eu-west-1", False, True),
        ("us-east-1", True, True),
        ("us-east-1-fips", False, False),
        (None, False, False),
    ],
)
def test_sts_endpoint_matches_botocore(region: str | None, fips: bool, dualstack: bool) -> None:
    env = {
        "AWS_USE_FIPS_ENDPOINT": str(fips).lower(),
        "AWS_USE_DUALSTACK_ENDPOINT": str(dualstack).lower(),
    }
    ours = sts_endpoint(make_ctx(env, region=region), region)
    session = botocore.session.Session()
    client = session.create_client(
        "sts",
        region_name=region,
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=botocore.config.Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
    )
    try:
        theirs = (client.meta.endpoint_url, client._request_signer._region_name)
    finally:
        client.close()
    assert ours == theirs


# --------------------------------------------------------------------------- core steps


def test_plan_yields_signed_send_with_sts_timeout_and_parses_reply() -> None:
    ctx = make_ctx(region="eu-west-1")
    plan = assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="s1")
    step = next(plan)
    assert isinstance(step, Send)
    assert step.timeout == STS_TIMEOUT
    request = step.request
    assert (request.method, request.url) == ("POST", "https://sts.eu-west-1.amazonaws.com/")
    assert request.header("X-Amz-Date") == "20300102T030405Z"
    auth = request.header("Authorization") or ""
    assert "Credential=AKIDSOURCEKEY/20300102/eu-west-1/sts/aws4_request" in auth
    assert request.header("X-Amz-Security-Token") == SOURCE.session_token
    assert urllib.parse.parse_qs(request.body.decode()) == {
        "Action": ["AssumeRole"],
        "Version": ["2011-06-15"],
        "RoleArn": [ROLE],
        "RoleSessionName": ["s1"],
    }
    reply = (
        b"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
        b"<SecretAccessKey>sk</SecretAccessKey><SessionToken>tk</SessionToken>"
        b"<Expiration>2030-01-02T04:04:05Z</Expiration></Credentials></AssumeRoleResult>"
        b"</AssumeRoleResponse>"
    )
    with pytest.raises(StopIteration) as done:
        plan.send(HttpResponse(status_code=200, headers={}, body=reply))
    assert done.value.value == Credentials(
        access_key_id="ASIAX",
        secret_access_key="sk",
        session_token="tk",
        expiration=datetime(2030, 1, 2, 4, 4, 5, tzinfo=timezone.utc),
    )


def test_retry_backoff_and_resign_on_each_attempt() -> None:
    times = iter([NOW, NOW.replace(second=9), NOW.replace(second=30)])
    ctx = attrs.evolve(make_ctx(), clock=lambda: next(times))
    plan = assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="s1")
    first = next(plan)
    assert isinstance(first, Send)
    assert first.attempt == 1
    sleep = plan.throw(ReadTimeoutError("timed out"))
    assert sleep == Sleep(seconds=0.25)
    second = plan.send(None)
    assert isinstance(second, Send)
    assert second.attempt == 2
    assert second.request.header("X-Amz-Date") == "20300102T030409Z"
    assert plan.send(HttpResponse(status_code=503, headers={}, body=b"")) == Sleep(seconds=0.5)
    third = plan.send(None)
    assert isinstance(third, Send)
    assert third.request.header("X-Amz-Date") == "20300102T030430Z"
    with pytest.raises(CredentialRetrievalError) as info:
        plan.send(HttpResponse(status_code=503, headers={"x-amzn-requestid": "r3"}, body=b""))
    assert info.value.provider == "assume-role"
    assert "HTTP 503" in str(info.value)
    assert "request id r3" in str(info.value)
    assert f"{MAX_ATTEMPTS} attempts" in str(info.value)


def test_web_identity_request_is_unsigned_and_token_only_in_body() -> None:
    plan = assume_role_with_web_identity_plan(
        ctx=make_ctx(), role_arn=ROLE, session_name="web", token=WEB_TOKEN, duration_seconds=900
    )
    step = next(plan)
    assert isinstance(step, Send)
    assert step.request.header("Authorization") is None
    assert step.request.header("X-Amz-Date") is None
    form = urllib.parse.parse_qs(step.request.body.decode())
    assert form["Action"] == ["AssumeRoleWithWebIdentity"]
    assert form["WebIdentityToken"] == [WEB_TOKEN]
    assert form["DurationSeconds"] == ["900"]
    assert all(WEB_TOKEN not in value for _, value in step.request.headers)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"duration_seconds": 899}, "duration_seconds"),
        ({"duration_seconds": 43201}, "duration_seconds"),
        ({"session_name": "x" * 65}, "RoleSessionName"),
        ({"role_arn": "arn:short"}, "RoleArn"),
        ({"external_id": "x"}, "ExternalId"),
    ],
)
def test_parameters_checked_before_sending(kwargs: dict[str, Any], needle: str) -> None:
    args: dict[str, Any] = {"role_arn": ROLE, "session_name": "s1", **kwargs}
    plan = assume_role_plan(ctx=make_ctx(), source=SOURCE, **args)
    with pytest.raises(ConfigurationError, match=needle):
        next(plan)


def test_web_identity_token_length_checked_without_echo() -> None:
    plan = assume_role_with_web_identity_plan(
        ctx=make_ctx(), role_arn=ROLE, session_name="web", token="x" * 20001
    )
    with pytest.raises(ConfigurationError, match="WebIdentityToken") as info:
        next(plan)
    assert "xxxx" not in str(info.value)


# --------------------------------------------------------------------------- over HTTP


def test_assume_role_through_sync_driver(sts: StsStandIn) -> None:
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url}, region="eu-west-1")
    plan = assume_role_plan(
        ctx=ctx,
        source=SOURCE,
        role_arn=ROLE,
        session_name="sess-1",
        external_id="ext-123",
        duration_seconds=1800,
    )
    with sync_runner() as run:
        credentials = run(plan)
    assert sts.problems == []
    assert credentials == sts.issue(ROLE, SOURCE.access_key_id)
    [received] = sts.requests
    assert received.signed_by == SOURCE.access_key_id
    assert received.region == "eu-west-1"
    assert received.headers["x-amz-date"] == "20300102T030405Z"
    assert received.form == {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": ROLE,
        "RoleSessionName": "sess-1",
        "ExternalId": "ext-123",
        "DurationSeconds": "1800",
    }


@pytest.mark.anyio
async def test_both_actions_through_async_driver(sts: StsStandIn) -> None:
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    async with async_runner() as run:
        role = await run(
            assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="async-role")
        )
        web = await run(
            assume_role_with_web_identity_plan(
                ctx=ctx, role_arn=ROLE, session_name="web-1", token=WEB_TOKEN
            )
        )
    assert sts.problems == []
    assert role == sts.issue(ROLE, SOURCE.access_key_id)
    assert web == sts.issue(ROLE, WEB_TOKEN)
    assert [r.signed_by for r in sts.requests] == [SOURCE.access_key_id, None]
    assert sts.requests[1].form["WebIdentityToken"] == WEB_TOKEN


def test_access_denied_is_not_retried_and_names_code(sts: StsStandIn) -> None:
    sts.script = ["denied"]
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess"))
    message = str(info.value)
    assert message.startswith(f"assume-role: AccessDenied: not authorized to assume {ROLE}")
    assert "HTTP 403" in message
    assert "request id req-err-1" in message
    assert len(sts.requests) == 1
    _no_secrets(info.value)


def test_server_error_then_ok_is_retried_with_small_backoff(sts: StsStandIn) -> None:
    sts.script = ["500"]
    slept: list[float] = []
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner(sleep=slept.append) as run:
        credentials = run(
            assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess")
        )
    assert credentials.access_key_id.startswith("ASIA")
    assert len(sts.requests) == 2
    assert slept == [0.25]
    assert sts.problems == []


def test_throttling_gives_up_after_max_attempts(sts: StsStandIn) -> None:
    sts.script = ["throttle"] * 5
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess"))
    assert "Throttling: Rate exceeded" in str(info.value)
    assert len(sts.requests) == MAX_ATTEMPTS


def test_idp_communication_error_is_retried_for_web_identity(sts: StsStandIn) -> None:
    sts.script = ["idp", "idp"]
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run:
        credentials = run(
            assume_role_with_web_identity_plan(
                ctx=ctx, role_arn=ROLE, session_name="web-1", token=WEB_TOKEN
            )
        )
    assert credentials == sts.issue(ROLE, WEB_TOKEN)
    assert len(sts.requests) == 3


def test_sts_message_echoing_the_token_is_masked(sts: StsStandIn) -> None:
    sts.script = ["echo-token"]
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(
            assume_role_with_web_identity_plan(
                ctx=ctx, role_arn=ROLE, session_name="web-1", token=WEB_TOKEN
            )
        )
    assert "InvalidIdentityToken: bad token *** (audience)" in str(info.value)
    assert info.value.provider == "assume-role-with-web-identity"
    _no_secrets(info.value)


@pytest.mark.parametrize(
    ("mode", "needle"),
    [
        ("truncated", "not well-formed XML"),
        ("non-xml", "not well-formed XML"),
        ("doctype", "not well-formed XML"),
        ("missing:AccessKeyId", "Credentials/AccessKeyId"),
        ("missing:SecretAccessKey", "Credentials/SecretAccessKey"),
        ("missing:SessionToken", "Credentials/SessionToken"),
        ("missing:Expiration", "Credentials/Expiration"),
    ],
)
def test_bad_success_replies(sts: StsStandIn, mode: str, needle: str) -> None:
    sts.script = [mode]
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run, pytest.raises(CredentialRetrievalError, match=needle) as info:
        run(assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess"))
    issued = sts.issue(ROLE, SOURCE.access_key_id)
    assert issued.secret_access_key not in str(info.value)
    assert (issued.session_token or "") not in str(info.value)
    assert len(sts.requests) == 1  # a bad 200 is not retried
    _no_secrets(info.value)


def test_unreachable_endpoint_after_retries(refused_port: int) -> None:
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{refused_port}"})
    slept: list[float] = []
    with sync_runner(sleep=slept.append) as run, pytest.raises(CredentialRetrievalError) as info:
        run(assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess"))
    assert isinstance(info.value.__cause__, TransportError)
    assert f"after {MAX_ATTEMPTS} attempts" in str(info.value)
    assert slept == [0.25, 0.5]
    _no_secrets(info.value)


def test_credentials_repr_hides_issued_secrets(sts: StsStandIn) -> None:
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url})
    with sync_runner() as run:
        credentials = run(
            assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="sess")
        )
    assert credentials.secret_access_key not in repr(credentials)
    assert (credentials.session_token or "") not in repr(credentials)
    assert credentials.access_key_id in repr(credentials)


# --------------------------------------------------------------------------- moto


@pytest.fixture(scope="module")
def moto_sts() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_moto_assume_role_and_web_identity(moto_sts: str) -> None:
    now = datetime.now(timezone.utc)
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": moto_sts}, clock=now)
    source = Credentials(access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="x" * 40)
    with sync_runner() as run:
        role = run(
            assume_role_plan(
                ctx=ctx, source=source, role_arn=ROLE, session_name="moto", duration_seconds=900
            )
        )
        web = run(
            assume_role_with_web_identity_plan(
                ctx=ctx, role_arn=ROLE, session_name="moto-web", token=WEB_TOKEN
            )
        )
    for credentials in (role, web):
        assert credentials.access_key_id.startswith("ASIA")
        assert credentials.session_token
        assert credentials.expiration is not None
        assert credentials.expiration > now
    # moto honours DurationSeconds: 900 s for the role, its default 3600 s for web identity.
    assert role.expiration is not None
    assert web.expiration is not None
    assert role.expiration < web.expiration


@pytest.mark.anyio
async def test_moto_through_async_driver(moto_sts: str) -> None:
    now = datetime.now(timezone.utc)
    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": moto_sts}, clock=now)
    async with async_runner() as run:
        credentials = await run(
            assume_role_plan(ctx=ctx, source=SOURCE, role_arn=ROLE, session_name="moto")
        )
    assert credentials.access_key_id.startswith("ASIA")
    assert credentials.expiration is not None
    assert credentials.expiration > now


# --------------------------------------------------------------------------- DTDs (issue 14, 6)

_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_GOOD_XML = (
    f'<AssumeRoleResponse xmlns="{_NS}"><AssumeRoleResult><Credentials>'
    "<AccessKeyId>ASIAXMLEXAMPLE</AccessKeyId><SecretAccessKey>xml/secret+key</SecretAccessKey>"
    "<SessionToken>xml-session-token</SessionToken>"
    "<Expiration>2030-01-01T00:00:00Z</Expiration>"
    "</Credentials></AssumeRoleResult></AssumeRoleResponse>"
)
_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
_HOSTILE = {
    "billion laughs": _LAUGHS + "<AssumeRoleResponse>&lol9;</AssumeRoleResponse>",
    "external entity": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f'<AssumeRoleResponse xmlns="{_NS}"><AssumeRoleResult><Credentials>'
    "<AccessKeyId>&x;</AccessKeyId></Credentials></AssumeRoleResult></AssumeRoleResponse>",
    "internal entity in a valid reply": '<!DOCTYPE r [<!ENTITY k "ASIAXMLEXAMPLE">]>'
    + _GOOD_XML.replace("ASIAXMLEXAMPLE", "&k;"),
    "bare doctype": "<!DOCTYPE AssumeRoleResponse>" + _GOOD_XML,
    "parameter entity": '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x"> %p;]>'
    + _GOOD_XML,
}
_ENCODINGS = {
    "utf-8": lambda text: b'<?xml version="1.0" encoding="UTF-8"?>' + text.encode("utf-8"),
    "utf-8, no declaration": lambda text: text.encode("utf-8"),
    "utf-16 with BOM": lambda text: (
        '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + text.encode("utf-16")[2:]
    ),  # one BOM, at the start
    "utf-16, no declaration": lambda text: text.encode("utf-16"),
    "utf-16-be with BOM": lambda text: ("\ufeff" + text).encode("utf-16-be"),
}


def _fail(message: str) -> CredentialRetrievalError:
    return CredentialRetrievalError(message, provider="test")


@pytest.mark.parametrize("encoding", list(_ENCODINGS))
def test_valid_sts_replies_parse_in_any_encoding(encoding: str) -> None:
    credentials = _parse_credentials(_ENCODINGS[encoding](_GOOD_XML), "AssumeRole", _fail)
    assert credentials.access_key_id == "ASIAXMLEXAMPLE"
    assert credentials.secret_access_key == "xml/secret+key"
    assert credentials.session_token == "xml-session-token"
    assert credentials.expiration == datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("encoding", list(_ENCODINGS))
@pytest.mark.parametrize("document", list(_HOSTILE))
def test_documents_with_a_dtd_are_refused_by_the_parser(document: str, encoding: str) -> None:
    """Before the fix the refusal searched the raw bytes: UTF-16 documents were parsed,
    their entities expanded."""
    body = _ENCODINGS[encoding](_HOSTILE[document])
    started = time.perf_counter()
    with pytest.raises(CredentialRetrievalError, match="not well-formed XML") as info:
        _parse_credentials(body, "AssumeRole", _fail)
    assert time.perf_counter() - started < 1.0
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert "lol" not in str(info.value)
