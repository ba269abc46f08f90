"""Tests for personalize_lite.testing._server and ._emulator: the bundled fixtures'
location, and FixtureServer run in-process with SigV4 checking on (what
``personalize-lite serve`` runs), talked to by our clients and by raw httpx requests
signed, then tampered with.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.resources
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

import personalize_lite
from personalize_lite import (
    AsyncPersonalizeClient,
    Credentials,
    InvalidSignatureException,
    PersonalizeClient,
    ResourceNotFoundException,
    UnrecognizedClientException,
)
from personalize_lite._sigv4 import sign_headers
from personalize_lite.testing import FixtureServer, default_fixtures
from personalize_lite.testing._emulator import SECRET_KEY_ENV, check_signature, example_credentials
from personalize_lite.testing._server import loopback_host
from tests.support.paths import FIXTURES as FIXTURES_DIR

SRC_DIR = Path(__file__).resolve().parents[1] / "src"
#: The AWS documentation's example secret key (public; tests may spell it out, src/ may not).
DOCUMENTED_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE = example_credentials(env={})
CUSTOM = Credentials(access_key_id="AKIDCUSTOMEMULATOR", secret_access_key="custom/secret+key=")
TARGET = "AmazonPersonalize.DescribeBatchInferenceJob"
JSON_1_1 = "application/x-amz-json-1.1"
PREFIX = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
FULL_ARN = PREFIX + "movie-recs-full"
MISMATCH = "The request signature we calculated does not match the signature you provided."


def body_for(arn: str) -> bytes:
    return json.dumps({"batchInferenceJobArn": arn}).encode()


# ------------------------------------------------------------------ bundled fixtures


#: Where the package under test was imported from: this checkout's src/ (an editable
#: install), or an installed wheel (the version matrix runs the suite that way).
PACKAGE_DIR = Path(personalize_lite.__file__).resolve().parent
EDITABLE = PACKAGE_DIR.is_relative_to(SRC_DIR.resolve())


def _cassettes(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*.json")
    }


def test_default_fixtures_are_the_checkouts_cassettes_wherever_installed() -> None:
    # An editable install has no personalize_lite/fixtures: the repository's directory;
    # an installed wheel: its own copy, which must hold the same files.
    expected = FIXTURES_DIR if EDITABLE else PACKAGE_DIR / "fixtures"
    assert default_fixtures() == expected
    assert (default_fixtures() / "active-full.json").is_file()
    assert _cassettes(default_fixtures()) == _cassettes(FIXTURES_DIR)


def test_default_fixtures_prefers_the_copy_inside_an_installed_wheel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    packaged = tmp_path / "site-packages" / "personalize_lite"
    (packaged / "fixtures").mkdir(parents=True)
    asked: list[str] = []

    def files(package: str) -> Path:
        asked.append(package)
        return packaged

    monkeypatch.setattr(importlib.resources, "files", files)
    assert default_fixtures() == packaged / "fixtures"
    assert asked == ["personalize_lite"]
    # A package directory without fixtures/ (an editable install) falls back to the
    # fixtures/ beside src/: this checkout's when the package is imported from it.
    (packaged / "fixtures").rmdir()
    assert default_fixtures() == PACKAGE_DIR.parents[1] / "fixtures"
    if EDITABLE:
        assert default_fixtures() == FIXTURES_DIR


def test_example_credentials_are_the_documented_pair_read_from_bundled_data() -> None:
    data_file = FIXTURES_DIR / "credentials" / "example.json"
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert EXAMPLE.access_key_id == data["access_key_id"] == "AKIDEXAMPLE"
    assert EXAMPLE.secret_access_key == data["secret_access_key"] == DOCUMENTED_SECRET
    assert "AWS documentation" in data["source"]
    replaced = example_credentials(env={SECRET_KEY_ENV: "another-secret"})
    assert replaced.access_key_id == "AKIDEXAMPLE"
    assert replaced.secret_access_key == "another-secret"
    assert example_credentials(env={SECRET_KEY_ENV: ""}).secret_access_key == DOCUMENTED_SECRET


def test_no_package_file_spells_out_the_example_secret() -> None:
    """The public example key lives with the fixtures (data), not in the package's files."""
    offenders = [
        path
        for path in SRC_DIR.rglob("*")
        if path.is_file() and path.suffix != ".pyc" and b"wJalrXUtnFEMI" in path.read_bytes()
    ]
    assert offenders == []


# ------------------------------------------------------------------ servers and clients


@pytest.fixture
def emulator() -> Iterator[FixtureServer]:
    """FixtureServer as ``personalize-lite serve`` runs it: signatures checked against the
    example keys."""
    with FixtureServer(
        [FIXTURES_DIR], credentials={EXAMPLE.access_key_id: EXAMPLE.secret_access_key}
    ) as server:
        yield server


@pytest.fixture
def make_client(aws_env: dict[str, str]) -> Iterator[Callable[..., PersonalizeClient]]:
    made: list[PersonalizeClient] = []

    def make(url: str, **kwargs: Any) -> PersonalizeClient:
        kwargs.setdefault("credentials", EXAMPLE)
        client = PersonalizeClient(
            region="us-east-1",
            endpoint_url=url,
            env=aws_env,
            sleep=lambda _seconds: None,
            jitter=lambda: 0.0,
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def signed_request(
    url: str,
    body: bytes,
    *,
    credentials: Credentials = EXAMPLE,
    now: datetime | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    service: str = "personalize",
    target: str = TARGET,
) -> dict[str, str]:
    """Headers of a POST / signed the way our client signs it (Host comes from the URL)."""
    headers = sign_headers(
        method="POST",
        url=url + "/",
        headers=[("Content-Type", JSON_1_1), ("X-Amz-Target", target), *extra],
        body=body,
        credentials=credentials,
        region="us-east-1",
        now=now or datetime.now(timezone.utc),
        service=service,
    )
    return dict(headers)


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client() as http:
        return http.post(url + "/", content=body, headers=headers)


def aws_error(response: httpx.Response) -> tuple[int, str, str]:
    """(status, code, message) of a JSON 1.1 error, checking its framing."""
    assert response.headers["content-type"] == JSON_1_1
    assert response.headers["x-amzn-requestid"]
    assert response.headers["date"]
    doc = response.json()
    return response.status_code, doc["__type"], doc["message"]


def test_our_client_signed_with_the_example_keys_is_served(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    assert emulator.checks_signatures
    job = make_client(emulator.url).describe_batch_inference_job(FULL_ARN)
    assert job.job_name == "movie-recs-full"
    assert job.status == "ACTIVE"


def test_a_given_key_pair_replaces_the_example_keys(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    pair = {CUSTOM.access_key_id: CUSTOM.secret_access_key}
    with FixtureServer([FIXTURES_DIR], credentials=pair) as server:
        job = make_client(server.url, credentials=CUSTOM).describe_batch_inference_job(FULL_ARN)
        assert job.job_name == "movie-recs-full"
        with pytest.raises(UnrecognizedClientException) as info:
            make_client(server.url).describe_batch_inference_job(FULL_ARN)
    assert info.value.status_code == 400
    assert info.value.message == "The security token included in the request is invalid."


def test_a_wrong_secret_is_an_invalid_signature(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    wrong = Credentials(access_key_id=EXAMPLE.access_key_id, secret_access_key="not-the-secret")
    with pytest.raises(InvalidSignatureException) as info:
        make_client(emulator.url, credentials=wrong).describe_batch_inference_job(FULL_ARN)
    assert info.value.code == "InvalidSignatureException"
    assert info.value.status_code == 400
    assert info.value.message.startswith(MISMATCH)
    assert info.value.request_id
    # The emulator's Date agrees with our clock: no skew correction, no retry.
    assert len(info.value.attempts) == 1


def test_an_unknown_access_key_is_unrecognized(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    stranger = Credentials(
        access_key_id="AKIDSTRANGER", secret_access_key=EXAMPLE.secret_access_key
    )
    with pytest.raises(UnrecognizedClientException) as info:
        make_client(emulator.url, credentials=stranger).describe_batch_inference_job(FULL_ARN)
    assert info.value.status_code == 400
    assert info.value.message == "The security token included in the request is invalid."


def test_a_session_token_is_signed_over(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    with_token = Credentials(
        access_key_id=EXAMPLE.access_key_id,
        secret_access_key=EXAMPLE.secret_access_key,
        session_token="EXAMPLE-SESSION-TOKEN",
    )
    client = make_client(emulator.url, credentials=with_token)
    assert client.describe_batch_inference_job(FULL_ARN).status == "ACTIVE"
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body, credentials=with_token)
    headers["X-Amz-Security-Token"] = "ANOTHER-TOKEN"
    assert aws_error(post(emulator.url, body, headers))[:2] == (400, "InvalidSignatureException")


def test_the_untouched_signed_request_is_served(emulator: FixtureServer) -> None:
    body = body_for(FULL_ARN)
    response = post(emulator.url, body, signed_request(emulator.url, body))
    assert response.status_code == 200
    assert response.json()["batchInferenceJob"]["jobName"] == "movie-recs-full"


def test_a_tampered_body_is_refused(emulator: FixtureServer) -> None:
    headers = signed_request(emulator.url, body_for(FULL_ARN))
    response = post(emulator.url, body_for(PREFIX + "movie-recs-pending"), headers)
    status, code, message = aws_error(response)
    assert (status, code) == (400, "InvalidSignatureException")
    assert message.startswith(MISMATCH)


def test_a_tampered_signed_header_is_refused_an_unsigned_one_is_not(
    emulator: FixtureServer,
) -> None:
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body, extra=(("X-Amz-User-Agent", "signed/1.0"),))
    assert "x-amz-user-agent" in headers["Authorization"]
    assert post(emulator.url, body, {**headers, "User-Agent": "anything/2.0"}).status_code == 200
    tampered = {**headers, "X-Amz-User-Agent": "changed/1.0"}
    assert aws_error(post(emulator.url, body, tampered))[:2] == (400, "InvalidSignatureException")
    other_type = {**headers, "Content-Type": "application/x-amz-json-1.0"}
    assert aws_error(post(emulator.url, body, other_type))[:2] == (
        400,
        "InvalidSignatureException",
    )


def test_a_payload_hash_header_is_checked_against_the_body(emulator: FixtureServer) -> None:
    body = body_for(FULL_ARN)
    digest = hashlib.sha256(body).hexdigest()
    headers = signed_request(emulator.url, body, extra=(("X-Amz-Content-SHA256", digest),))
    assert post(emulator.url, body, headers).status_code == 200
    # botocore's signer takes X-Amz-Content-SHA256 on trust; the emulator must not.
    status, code, message = aws_error(post(emulator.url, body_for(PREFIX + "x"), headers))
    assert (status, code) == (400, "InvalidSignatureException")
    assert "x-amz-content-sha256" in message


def test_a_missing_authorization_is_a_missing_token(emulator: FixtureServer) -> None:
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body)
    del headers["Authorization"]
    assert aws_error(post(emulator.url, body, headers)) == (
        400,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


@pytest.mark.parametrize(
    ("authorization", "needle"),
    [
        ("Bearer abc", "Unsupported AWS 'algorithm' (expected AWS4-HMAC-SHA256)"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/personalize/aws4_request",
            "requires 'Signature' parameter. Authorization header requires 'SignedHeaders'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00",
            "Credential must have exactly 5 slash-delimited elements",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/personalize/aws5, "
            "SignedHeaders=host;x-amz-date, Signature=00",
            "valid terminator: 'aws4_request'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/personalize/aws4_request, "
            "SignedHeaders=x-amz-date;x-amz-target, Signature=00",
            "'Host' or ':authority' must be a 'SignedHeader'",
        ),
    ],
)
def test_a_garbled_authorization_is_an_incomplete_signature(
    emulator: FixtureServer, authorization: str, needle: str
) -> None:
    body = body_for(FULL_ARN)
    headers = {**signed_request(emulator.url, body), "Authorization": authorization}
    status, code, message = aws_error(post(emulator.url, body, headers))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert needle in message


def test_auth_errors_never_quote_a_signature_or_the_secret(emulator: FixtureServer) -> None:
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body)
    signature = headers["Authorization"].rpartition("Signature=")[2]
    credential = headers["Authorization"].split("Credential=")[1].split(",")[0]
    scope = credential.split("/")
    garbled = [
        # Commas left out: the signature runs into the Credential or SignedHeaders value.
        headers["Authorization"].replace(",", ""),
        f"AWS4-HMAC-SHA256 Credential={credential} Signature={signature}, SignedHeaders=host",
        f"AWS4-HMAC-SHA256 Credential={scope[0]}/{scope[1]}/{signature}/personalize/"
        f"aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;;{signature}, "
        f"Signature={signature}",
    ]
    with FixtureServer(
        [FIXTURES_DIR], credentials={EXAMPLE.access_key_id: EXAMPLE.secret_access_key},
        region="eu-west-1",
    ) as regional:  # fmt: skip
        for authorization in garbled:
            for url in (emulator.url, regional.url):
                response = post(url, body, {**headers, "Authorization": authorization})
                status, code, message = aws_error(response)
                assert status == 400
                assert signature not in response.text, (code, message)
                assert EXAMPLE.secret_access_key not in response.text
        # The region is quoted back when it looks like one.
        response = post(regional.url, body, headers)
        assert "not 'us-east-1'" in aws_error(response)[2]
    for value in (emulator, emulator._httpd):
        assert EXAMPLE.secret_access_key not in repr(value)


def test_a_missing_or_malformed_signing_date_is_an_incomplete_signature(
    emulator: FixtureServer,
) -> None:
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body)
    without_date = {k: v for k, v in headers.items() if k != "X-Amz-Date"}
    status, code, message = aws_error(post(emulator.url, body, without_date))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert "X-Amz-Date" in message
    bad_date = {**headers, "X-Amz-Date": "yesterday"}
    status, code, message = aws_error(post(emulator.url, body, bad_date))
    assert (status, code) == (400, "IncompleteSignatureException")
    assert "ISO-8601 'basic format'" in message


def test_the_credential_scope_must_name_personalize(emulator: FixtureServer) -> None:
    body = body_for(FULL_ARN)
    headers = signed_request(emulator.url, body, service="s3")
    status, code, message = aws_error(post(emulator.url, body, headers))
    assert (status, code) == (400, "InvalidSignatureException")
    assert message.startswith("Credential should be scoped to correct service: 'personalize'")


def test_a_signature_from_another_time_is_refused() -> None:
    now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    secrets = {EXAMPLE.access_key_id: EXAMPLE.secret_access_key}
    with FixtureServer([FIXTURES_DIR], credentials=secrets, clock=lambda: now) as server:
        body = body_for(FULL_ARN)
        within = signed_request(server.url, body, now=now - timedelta(minutes=4))
        assert post(server.url, body, within).status_code == 200
        late = signed_request(server.url, body, now=now - timedelta(minutes=6))
        assert aws_error(post(server.url, body, late)) == (
            400,
            "InvalidSignatureException",
            "Signature expired: 20240301T115400Z is now earlier than 20240301T115500Z "
            "(20240301T120000Z - 5 min.)",
        )
        early = signed_request(server.url, body, now=now + timedelta(minutes=6))
        status, code, message = aws_error(post(server.url, body, early))
        assert (status, code) == (400, "InvalidSignatureException")
        assert message.startswith("Signature not yet current: 20240301T120600Z")
        # One Date, from the server's clock (http.server adds its own unless told otherwise).
        assert post(server.url, body, late).headers.get_list("date") == [
            "Fri, 01 Mar 2024 12:00:00 GMT"
        ]


def test_our_client_learns_the_emulators_time_and_retries(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    # Our clock runs 10 minutes late: the emulator refuses the first signature as expired,
    # its Date header tells the client the offset, the re-signed request is served.
    def late_clock() -> datetime:
        return datetime.now(timezone.utc) - timedelta(minutes=10)

    client = make_client(emulator.url, clock=late_clock)
    assert client.describe_batch_inference_job(FULL_ARN).status == "ACTIVE"
    assert client.describe_batch_inference_job(FULL_ARN).status == "ACTIVE"  # offset kept


def test_an_unknown_arn_is_not_found(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        make_client(emulator.url).describe_batch_inference_job(PREFIX + "never-recorded")
    assert info.value.status_code == 400
    assert info.value.message.endswith(PREFIX + "never-recorded")


def test_another_target_or_route_is_an_unknown_operation(emulator: FixtureServer) -> None:
    body = b"{}"
    # ListBatchInferenceJobs and CreateBatchInferenceJob are served (the live lifecycle).
    headers = signed_request(emulator.url, body, target="AmazonPersonalize.DeleteFilter")
    status, code, _ = aws_error(post(emulator.url, body, headers))
    assert (status, code) == (400, "UnknownOperationException")
    with httpx.Client() as http:
        for response in (
            http.get(emulator.url + "/"),
            http.put(emulator.url + "/", content=b"{}"),
            http.post(emulator.url + "/other", content=body_for(FULL_ARN)),
        ):
            status, code, message = aws_error(response)
            assert (status, code) == (400, "UnknownOperationException")
            assert response.request.method in message
        head = http.head(emulator.url + "/")
    assert head.status_code == 400
    assert head.content == b""


def test_a_job_lifecycle_is_served_in_order(
    emulator: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(emulator.url)
    statuses = [
        client.describe_batch_inference_job(PREFIX + "nightly-batch").status for _ in "1234"
    ]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]


@pytest.mark.anyio
async def test_the_async_client_is_served(emulator: FixtureServer, aws_env: dict[str, str]) -> None:
    async with AsyncPersonalizeClient(
        region="us-east-1", endpoint_url=emulator.url, credentials=EXAMPLE, env=aws_env
    ) as client:
        job = await client.describe_batch_inference_job(FULL_ARN)
    assert job.job_name == "movie-recs-full"


def test_without_credentials_nothing_is_checked(fixture_server: FixtureServer) -> None:
    assert not fixture_server.checks_signatures
    response = post(fixture_server.url, body_for(FULL_ARN), {"X-Amz-Target": TARGET})
    assert response.status_code == 200
    assert response.json()["batchInferenceJob"]["status"] == "ACTIVE"


def test_a_bad_content_length_closes_the_connection(emulator: FixtureServer) -> None:
    host, port = emulator.url.removeprefix("http://").split(":")
    for length, status, code in (
        ("abc", 400, "BadRequestException"),
        (str(2 << 20), 413, "RequestEntityTooLargeException"),
    ):
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.putrequest("POST", "/")
            conn.putheader("Content-Length", length)
            conn.endheaders()
            response = conn.getresponse()
            assert response.status == status
            assert response.getheader("Connection") == "close"
            assert response.getheader("x-amzn-ErrorType") == code
            assert json.loads(response.read())["__type"] == code
        finally:
            conn.close()


# ------------------------------------------------------------------ the check itself


def test_check_signature_accepts_exactly_what_was_signed() -> None:
    now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    body = body_for(FULL_ARN)
    headers = sign_headers(
        method="POST",
        url="http://127.0.0.1:4566/",
        headers=[("Host", "127.0.0.1:4566"), ("X-Amz-Target", TARGET)],
        body=body,
        credentials=EXAMPLE,
        region="eu-west-1",  # any region: a local endpoint has none of its own
        now=now,
    )
    secrets = {EXAMPLE.access_key_id: EXAMPLE.secret_access_key}

    def check(**changes: Any) -> Any:
        request: dict[str, Any] = {
            "method": "POST",
            "path": "/",
            "headers": headers,
            "body": body,
            "secrets": secrets,
            "now": now,
        }
        return check_signature(**{**request, **changes})

    assert check() is None
    assert check(now=now.astimezone(timezone(timedelta(hours=2)))) is None  # any aware zone
    assert check(method="PUT").code == "InvalidSignatureException"
    assert check(path="/?a=b").code == "InvalidSignatureException"
    other_host = [(k, "127.0.0.1:9999" if k == "Host" else v) for k, v in headers]
    assert check(headers=other_host).code == "InvalidSignatureException"
    assert check(secrets={}).code == "UnrecognizedClientException"


def test_loopback_host_refuses_everything_else() -> None:
    assert loopback_host("127.0.0.1") == "127.0.0.1"
    assert loopback_host("127.1.2.3") == "127.1.2.3"
    assert loopback_host("localhost") == "127.0.0.1"
    assert loopback_host("[::1]") == "::1"
    for host in ("0.0.0.0", "192.0.2.10", "::", "example.com", ""):  # noqa: S104 (refused)
        with pytest.raises(ValueError, match="not a loopback address"):
            loopback_host(host)
    with pytest.raises(ValueError, match="not a loopback address"):
        FixtureServer([FIXTURES_DIR], host="0.0.0.0")  # noqa: S104 (refused)


def test_credentials_must_be_non_empty_strings() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        FixtureServer([FIXTURES_DIR], credentials={"AKIDEXAMPLE": ""})


def test_a_server_never_started_stops_at_once() -> None:
    server = FixtureServer([FIXTURES_DIR])
    started = time.monotonic()
    server.stop()  # shutdown() alone would wait forever for a loop that never ran
    assert time.monotonic() - started < 1.0


def test_ipv6_loopback_is_served_with_signatures_checked(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    secrets = {EXAMPLE.access_key_id: EXAMPLE.secret_access_key}
    try:
        server = FixtureServer([FIXTURES_DIR], host="::1", credentials=secrets)
    except OSError:  # pragma: no cover - a host without IPv6
        pytest.skip("no IPv6 loopback on this host")
    with server:
        assert server.url.startswith("http://[::1]:")
        job = make_client(server.url).describe_batch_inference_job(FULL_ARN)
    assert job.job_name == "movie-recs-full"
