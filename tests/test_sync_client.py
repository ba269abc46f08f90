"""Tests for personalize_lite._sync_client: PersonalizeClient over respx and over a real
loopback FixtureServer.

Every client gets ``env=`` pointing at empty AWS files under tmp_path, so the real ~/.aws
is never read. Retries never sleep for real: ``sleep`` is a recorder. Only the bounded
timeout tests wait on a real socket.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from personalize_lite import (
    AccessDeniedException,
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ExpiredTokenException,
    FieldsForThemeGeneration,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeClient,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResourceNotFoundException,
    RetryConfig,
    S3DataConfig,
    ThemeGenerationConfig,
    TransportError,
)
from personalize_lite._steps import Plan
from personalize_lite.testing import FixtureServer
from tests.support.jobs import (
    AKID,
    CREDS,
    CREDS_WITH_TOKEN,
    REGION,
    SECRET,
    T0,
    TOKEN,
    URL,
    arn,
    job_body,
)
from tests.support.paths import FIXTURES as FIXTURES_DIR


def error_response(status: int, code: str, message: str = "boom") -> httpx.Response:
    return httpx.Response(
        status,
        json={"__type": code, "message": message},
        headers={"x-amzn-RequestId": f"rid-{code}"},
    )


class FakeClock:
    """A settable UTC clock; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=7)


@pytest.fixture
def make_client(aws_env: dict[str, str]) -> Iterator[Callable[..., PersonalizeClient]]:
    """Build clients with example credentials and no real sleeping; closes them all."""
    made: list[PersonalizeClient] = []

    def make(**kwargs: Any) -> PersonalizeClient:
        kwargs.setdefault("region", REGION)
        kwargs.setdefault("credentials", CREDS)
        kwargs.setdefault("env", aws_env)
        kwargs.setdefault("sleep", lambda _seconds: None)
        client = PersonalizeClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def is_closed(http: httpx.Client) -> bool:
    return http.is_closed  # a function, so mypy does not narrow the property


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text


# --------------------------------------------------------------------------- FixtureServer

FULL_JOB = BatchInferenceJob(
    job_name="movie-recs-full",
    batch_inference_job_arn=arn("movie-recs-full"),
    filter_arn="arn:aws:personalize:us-east-1:123456789012:filter/no-watched",
    solution_version_arn="arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b",
    num_results=25,
    job_input=BatchInferenceJobInput(
        s3_data_source=S3DataConfig(
            path="s3://example-bucket/input/users.json",
            kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
    ),
    job_output=BatchInferenceJobOutput(
        s3_data_destination=S3DataConfig(
            path="s3://example-bucket/output/full/",
            kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
    ),
    batch_inference_job_config=BatchInferenceJobConfig(
        item_exploration_config={"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
    ),
    role_arn="arn:aws:iam::123456789012:role/PersonalizeBatchRole",
    batch_inference_job_mode="BATCH_INFERENCE",
    status="ACTIVE",
    creation_date_time=datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc),
    last_updated_date_time=datetime(2023, 11, 14, 22, 28, 20, 456000, tzinfo=timezone.utc),
)

#: cassette stem -> (job name in its ARN, expected status of the first reply or error class)
CASSETTES: dict[str, tuple[str, str | type[PersonalizeServiceError]]] = {
    "access-denied": ("forbidden-job", AccessDeniedException),
    "active-full": ("movie-recs-full", "ACTIVE"),
    "create-failed": ("movie-recs-failed", "CREATE FAILED"),
    "expired-token": ("needs-fresh-token", ExpiredTokenException),
    "in-progress": ("movie-recs-running", "IN PROGRESS"),
    "lifecycle": ("nightly-batch", "PENDING"),
    "not-found": ("no-such-job", ResourceNotFoundException),
    "pending": ("movie-recs-pending", "PENDING"),
    "ranking-influence": ("trending-now", "ACTIVE"),
    "theme-generation": ("themes-2024", "ACTIVE"),
    "throttled-then-ok": ("busy-job", "ACTIVE"),
    "unavailable-then-ok": ("flaky-job", "ACTIVE"),
}


def test_the_table_covers_every_bundled_cassette() -> None:
    # strict-* cassettes replay signatures, not scenarios: tests/test_replay.py covers them.
    stems = {p.stem for p in FIXTURES_DIR.glob("*.json") if not p.stem.startswith("strict-")}
    assert stems == set(CASSETTES)


@pytest.mark.parametrize("stem", sorted(CASSETTES))
def test_every_cassette_gives_the_expected_job_or_error(
    stem: str,
    fixture_server: FixtureServer,
    make_client: Callable[..., PersonalizeClient],
) -> None:
    name, expected = CASSETTES[stem]
    client = make_client(endpoint_url=fixture_server.url, jitter=lambda: 0.0)
    if isinstance(expected, str):
        job = client.describe_batch_inference_job(arn(name))
        assert job.status == expected
        assert job.job_name == name
        assert job.batch_inference_job_arn == arn(name)
        assert job.creation_date_time == datetime(
            2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc
        )
    else:
        with pytest.raises(expected) as info:
            client.describe_batch_inference_job(arn(name))
        assert info.value.code == expected.__name__
        assert info.value.status_code == 400
        assert info.value.request_id is not None
        assert info.value.request_id.startswith("5f1c0e7a-0000-4000-8000-")
        assert info.value.retryable is False
        assert len(info.value.attempts) == 1


def test_active_full_is_parsed_into_every_field(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    job = client.describe_batch_inference_job(arn("movie-recs-full"))
    assert job == FULL_JOB
    unset = {a.name for a in BatchInferenceJob.__attrs_attrs__ if getattr(job, a.name) is None}
    assert unset == {"failure_reason", "theme_generation_config"}
    assert job.is_active
    assert job.is_terminal
    assert not job.is_failed


def test_variant_cassettes_fill_their_specific_fields(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    failed = client.describe_batch_inference_job(arn("movie-recs-failed"))
    assert failed.is_failed
    assert failed.is_terminal
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith("AccessDenied: the role cannot read")
    themes = client.describe_batch_inference_job(arn("themes-2024"))
    assert themes.batch_inference_job_mode == "THEME_GENERATION"
    assert themes.theme_generation_config == ThemeGenerationConfig(
        fields_for_theme_generation=FieldsForThemeGeneration(item_name="TITLE")
    )
    ranking = client.describe_batch_inference_job(arn("trending-now"))
    assert ranking.batch_inference_job_config == BatchInferenceJobConfig(
        ranking_influence={"POPULARITY": 0.8, "FRESHNESS": 0.5}
    )
    running = client.describe_batch_inference_job(arn("movie-recs-running"))
    assert not running.is_terminal


def test_not_found_carries_code_status_and_request_id(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    with pytest.raises(ResourceNotFoundException) as info:
        client.describe_batch_inference_job(arn("no-such-job"))
    err = info.value
    assert err.code == "ResourceNotFoundException"
    assert err.status_code == 400
    assert err.request_id == "5f1c0e7a-0000-4000-8000-000000000010"
    assert "no-such-job" in err.message
    assert "ResourceNotFoundException (HTTP 400" in str(err)


def test_unknown_arn_gets_resource_not_found_from_the_server(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    with pytest.raises(ResourceNotFoundException) as info:
        client.describe_batch_inference_job(arn("never-recorded"))
    assert info.value.status_code == 400
    assert info.value.request_id  # the server makes one up
    assert arn("never-recorded") in info.value.message


@pytest.mark.parametrize("name", ["busy-job", "flaky-job"])
def test_retryable_cassettes_succeed_after_one_retry(
    name: str, fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    slept: list[float] = []
    client = make_client(endpoint_url=fixture_server.url, jitter=lambda: 0.0, sleep=slept.append)
    job = client.describe_batch_inference_job(arn(name))
    assert job.status == "ACTIVE"
    assert job.job_name == name
    assert slept == [0.0]


def test_retry_delay_follows_the_jitter_draw(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    slept: list[float] = []
    client = make_client(endpoint_url=fixture_server.url, jitter=lambda: 0.5, sleep=slept.append)
    assert client.describe_batch_inference_job(arn("busy-job")).status == "ACTIVE"
    assert slept == [0.5]  # 0.5 * 2**0


def test_lifecycle_is_served_in_order_then_repeats(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    statuses = [client.describe_batch_inference_job(arn("nightly-batch")).status for _ in range(4)]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]


def test_fixture_server_endpoint_and_repr(
    fixture_server: FixtureServer, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=fixture_server.url)
    assert client.endpoint_url == fixture_server.url
    assert repr(client) == (
        f"<PersonalizeClient endpoint_url={fixture_server.url!r} region='us-east-1'>"
    )


# --------------------------------------------------------------------------- request shape


def test_request_shape(make_client: Callable[..., PersonalizeClient]) -> None:
    with respx.mock:
        route = respx.post("https://personalize.eu-west-1.amazonaws.com/").mock(
            return_value=httpx.Response(200, json=job_body("shape"))
        )
        client = make_client(region="eu-west-1")
        assert client.endpoint_url == "https://personalize.eu-west-1.amazonaws.com"
        job = client.describe_batch_inference_job(arn("shape"))
    assert job.job_name == "shape"
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == "https://personalize.eu-west-1.amazonaws.com/"
    assert request.headers["X-Amz-Target"] == "AmazonPersonalize.DescribeBatchInferenceJob"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert request.headers["User-Agent"].startswith("personalize-lite/")
    assert json.loads(request.content) == {"batchInferenceJobArn": arn("shape")}
    assert request.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert re.fullmatch(r"[0-9a-f-]{36}", request.headers["amz-sdk-invocation-id"])
    assert request.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={AKID}/")
    assert "/eu-west-1/personalize/aws4_request" in request.headers["Authorization"]
    assert "X-Amz-Security-Token" not in request.headers


def test_session_token_is_sent(make_client: Callable[..., PersonalizeClient]) -> None:
    with respx.mock:
        route = respx.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        make_client(credentials=CREDS_WITH_TOKEN).describe_batch_inference_job(arn("job"))
    request = route.calls.last.request
    assert request.headers["X-Amz-Security-Token"] == TOKEN
    assert "x-amz-security-token" in request.headers["Authorization"]


def test_invocation_id_per_call_and_attempt_header_per_attempt(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    with respx.mock:
        route = respx.post(URL).mock(
            side_effect=[
                error_response(503, "ServiceUnavailableException"),
                error_response(500, "InternalFailure"),
                httpx.Response(200, json=job_body()),
                httpx.Response(200, json=job_body()),
            ]
        )
        client = make_client(jitter=lambda: 0.0)
        client.describe_batch_inference_job(arn("job"))
        client.describe_batch_inference_job(arn("job"))
    headers = [call.request.headers for call in route.calls]
    assert [h["amz-sdk-request"] for h in headers] == [
        "attempt=1; max=3",
        "attempt=2; max=3",
        "attempt=3; max=3",
        "attempt=1; max=3",
    ]
    ids = [h["amz-sdk-invocation-id"] for h in headers]
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[0]


def test_max_attempts_shows_in_the_attempt_header(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    with respx.mock:
        route = respx.post(URL).mock(return_value=error_response(503, "ServiceUnavailable"))
        client = make_client(retry=RetryConfig(max_attempts=5), jitter=lambda: 0.0)
        with pytest.raises(PersonalizeServiceError) as info:
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 5
    assert route.calls.last.request.headers["amz-sdk-request"] == "attempt=5; max=5"
    assert info.value.status_code == 503
    assert [a.number for a in info.value.attempts] == [1, 2, 3, 4, 5]
    assert info.value.attempts[-1].gave_up == "max attempts reached"


def test_each_attempt_is_signed_afresh_with_the_clock(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    clock = FakeClock()
    with respx.mock:
        route = respx.post(URL).mock(
            side_effect=[
                error_response(400, "ThrottlingException"),
                httpx.Response(200, json=job_body()),
            ]
        )
        client = make_client(clock=clock, sleep=clock.sleep, jitter=lambda: 1.0)
        client.describe_batch_inference_job(arn("job"))
    assert clock.slept == [1.0]
    first, second = (call.request.headers for call in route.calls)
    assert first["X-Amz-Date"] == "20231114T221320Z"
    assert second["X-Amz-Date"] == "20231114T221327Z"
    assert first["Authorization"] != second["Authorization"]
    assert (
        "Credential=AKIDEXAMPLE/20231114/us-east-1/personalize/aws4_request"
        in (second["Authorization"])
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bad_arn",
    [
        None,
        123,
        b"arn:aws:personalize:us-east-1:123456789012:batch-inference-job/x",
        arn("x" * 256),
        arn("with\x00nul"),
        arn("with\nnewline"),
        "arn:aws:s3:::example-bucket",
        "not-an-arn",
        "",
    ],
)
def test_invalid_arn_sends_nothing(
    bad_arn: object, make_client: Callable[..., PersonalizeClient]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        client = make_client()
        with pytest.raises(ParamValidationError) as info:
            client.describe_batch_inference_job(bad_arn)  # type: ignore[arg-type]
    assert route.call_count == 0
    assert router.calls.call_count == 0
    assert info.value.attempts == ()
    assert "batchInferenceJobArn" in str(info.value)


@pytest.mark.parametrize(
    "region", ["us-east-1.evil.example", "us-east-1/", "US-EAST-1 ", "", "us_east_1"]
)
def test_invalid_region_fails_at_construction(region: str, aws_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        PersonalizeClient(region=region, credentials=CREDS, env=aws_env)


def test_plain_http_to_a_remote_host_needs_allow_http(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    with pytest.raises(ConfigurationError, match="allow_http"):
        make_client(endpoint_url="http://personalize.example.test")
    with respx.mock:
        route = respx.post("http://personalize.example.test/").mock(
            return_value=httpx.Response(200, json=job_body())
        )
        client = make_client(endpoint_url="http://personalize.example.test", allow_http=True)
        assert client.endpoint_url == "http://personalize.example.test"
        assert client.describe_batch_inference_job(arn("job")).status == "ACTIVE"
    assert route.call_count == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.8.9.10"])
def test_plain_http_to_loopback_is_allowed(
    host: str, make_client: Callable[..., PersonalizeClient]
) -> None:
    client = make_client(endpoint_url=f"http://{host}:8123")
    assert client.endpoint_url == f"http://{host}:8123"


def test_no_credentials_fails_before_any_request(aws_env: dict[str, str]) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        with (
            PersonalizeClient(region=REGION, env=aws_env) as client,
            pytest.raises(NoCredentialsError) as info,
        ):
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 0
    assert info.value.tried  # every provider it tried is listed
    assert info.value.attempts == ()


def test_credentials_from_the_env_mapping_are_used(aws_env: dict[str, str]) -> None:
    env = {**aws_env, "AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET}
    env["AWS_SESSION_TOKEN"] = TOKEN
    env["AWS_REGION"] = "ap-southeast-2"
    with respx.mock:
        route = respx.post("https://personalize.ap-southeast-2.amazonaws.com/").mock(
            return_value=httpx.Response(200, json=job_body())
        )
        with PersonalizeClient(env=env, sleep=lambda _s: None) as client:
            client.describe_batch_inference_job(arn("job"))
            assert_no_secrets(repr(client))
    assert route.calls.last.request.headers["X-Amz-Security-Token"] == TOKEN


@pytest.mark.parametrize("timeout", [0, -1, "x", float("nan"), float("inf"), True, None])
def test_invalid_timeout(timeout: object, aws_env: dict[str, str]) -> None:
    with pytest.raises(ParamValidationError, match="timeout"):
        PersonalizeClient(region=REGION, credentials=CREDS, env=aws_env, timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (2.5, {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}),
        (7, {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}),
        (
            httpx.Timeout(5.0, connect=1.0),
            {"connect": 1.0, "read": 5.0, "write": 5.0, "pool": 5.0},
        ),
    ],
)
def test_valid_timeout_applies_to_every_request(
    timeout: float | httpx.Timeout,
    expected: dict[str, float],
    make_client: Callable[..., PersonalizeClient],
) -> None:
    with respx.mock:
        route = respx.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        make_client(timeout=timeout).describe_batch_inference_job(arn("job"))
    assert route.calls.last.request.extensions["timeout"] == expected


def test_wrong_http_client_type_is_rejected(aws_env: dict[str, str]) -> None:
    with pytest.raises(ParamValidationError, match=r"httpx\.Client"):
        PersonalizeClient(region=REGION, credentials=CREDS, env=aws_env, http_client=object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- client lifetime


def test_borrowed_http_client_is_used_and_left_open(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    seen: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [seen.append]}) as http:
        with respx.mock:
            route = respx.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
            with make_client(http_client=http) as client:
                assert client.describe_batch_inference_job(arn("job")).status == "ACTIVE"
            client.close()
        assert route.call_count == 1
        assert len(seen) == 1  # it went through our httpx.Client
        assert not is_closed(http)
    assert is_closed(http)


def test_owned_http_client_is_closed(make_client: Callable[..., PersonalizeClient]) -> None:
    client = make_client()
    http = client._client
    assert isinstance(http, httpx.Client)
    assert not is_closed(http)
    client.close()
    assert is_closed(http)
    client.close()  # idempotent


def test_with_block_closes_an_owned_client(aws_env: dict[str, str]) -> None:
    with PersonalizeClient(region=REGION, credentials=CREDS, env=aws_env) as client:
        http = client._client
        assert isinstance(http, httpx.Client)
        assert not is_closed(http)
    assert is_closed(http)


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed(
    status: int, make_client: Callable[..., PersonalizeClient]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(URL).mock(
            return_value=httpx.Response(status, headers={"Location": "https://evil.example/x"})
        )
        elsewhere = router.route(host="evil.example").mock(return_value=httpx.Response(200))
        client = make_client(jitter=lambda: 0.0)
        with pytest.raises(RedirectError) as info:
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 1
    assert elsewhere.call_count == 0
    assert f"HTTP {status}" in str(info.value)
    assert "evil.example" in str(info.value)
    assert len(info.value.attempts) == 1


# --------------------------------------------------------------------------- transport errors


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("refused"), EndpointConnectionError),
        (httpx.ConnectTimeout("slow connect"), ConnectTimeoutError),
        (httpx.ReadTimeout("slow read"), ReadTimeoutError),
        (httpx.RemoteProtocolError("peer closed connection"), ConnectionClosedError),
        (httpx.ReadError("connection reset"), ConnectionClosedError),
    ],
)
def test_transport_errors_are_retried_then_translated(
    raised: Exception,
    expected: type[TransportError],
    make_client: Callable[..., PersonalizeClient],
) -> None:
    slept: list[float] = []
    with respx.mock:
        route = respx.post(URL).mock(side_effect=raised)
        client = make_client(jitter=lambda: 1.0, sleep=slept.append)
        with pytest.raises(expected) as info:
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 3
    assert slept == [1.0, 2.0]
    attempts = info.value.attempts
    assert len(attempts) == 3
    assert [a.number for a in attempts] == [1, 2, 3]
    assert all(a.status_code is None for a in attempts)
    assert {a.error_code for a in attempts} == {expected.__name__}
    assert [a.delay for a in attempts] == [1.0, 2.0, None]
    assert attempts[-1].gave_up == "max attempts reached"
    assert str(raised) in str(info.value)


def test_transport_error_then_success(make_client: Callable[..., PersonalizeClient]) -> None:
    slept: list[float] = []
    with respx.mock:
        route = respx.post(URL).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=job_body())]
        )
        job = make_client(jitter=lambda: 0.0, sleep=slept.append).describe_batch_inference_job(
            arn("job")
        )
    assert job.status == "ACTIVE"
    assert route.call_count == 2
    assert slept == [0.0]


def test_server_that_never_answers_times_out_in_bounded_time(
    silent_server: tuple[str, int], make_client: Callable[..., PersonalizeClient]
) -> None:
    host, port = silent_server
    slept: list[float] = []
    client = make_client(
        endpoint_url=f"http://{host}:{port}",
        timeout=0.3,
        retry=RetryConfig(max_attempts=2),
        sleep=slept.append,
        jitter=lambda: 0.0,
    )
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError) as info:
        client.describe_batch_inference_job(arn("job"))
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert elapsed >= 0.5  # two attempts of ~0.3 s each really waited
    assert len(info.value.attempts) == 2
    assert slept == [0.0]


def test_connection_refused(
    refused_port: int, make_client: Callable[..., PersonalizeClient]
) -> None:
    slept: list[float] = []
    client = make_client(endpoint_url=f"http://127.0.0.1:{refused_port}", sleep=slept.append)
    with pytest.raises(EndpointConnectionError) as info:
        client.describe_batch_inference_job(arn("job"))
    assert len(info.value.attempts) == 3
    assert len(slept) == 2


def test_server_that_hangs_up(
    hangup_server: tuple[str, int], make_client: Callable[..., PersonalizeClient]
) -> None:
    host, port = hangup_server
    client = make_client(endpoint_url=f"http://{host}:{port}")
    with pytest.raises(ConnectionClosedError) as info:
        client.describe_batch_inference_job(arn("job"))
    assert len(info.value.attempts) == 3
    assert "disconnected" in str(info.value)


# --------------------------------------------------------------------------- secrets


def test_secrets_never_appear_in_reprs_or_errors(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    errors: list[PersonalizeError] = []
    with respx.mock:
        respx.post(URL).mock(
            side_effect=[
                httpx.ConnectError("refused"),
                httpx.ConnectError("refused"),
                httpx.ConnectError("refused"),
                httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
                error_response(403, "AccessDeniedException", "not allowed"),
                httpx.Response(200, content=b"<html>not json</html>"),
            ]
        )
        with PersonalizeClient(
            region=REGION,
            credentials=CREDS_WITH_TOKEN,
            env=aws_env,
            sleep=lambda _s: None,
            retry=RetryConfig(max_attempts=3),
        ) as client:
            assert_no_secrets(repr(client), str(client))
            for _ in range(4):
                with pytest.raises(PersonalizeError) as info:
                    client.describe_batch_inference_job(arn("job"))
                errors.append(info.value)
            with pytest.raises(ParamValidationError) as bad:
                client.describe_batch_inference_job("bad\x00arn")
            errors.append(bad.value)
    with PersonalizeClient(
        credentials=CREDS_WITH_TOKEN,
        env=aws_env,
        endpoint_url=fixture_server.url,
        sleep=lambda _s: None,
    ) as client:
        for name in ("no-such-job", "forbidden-job", "needs-fresh-token"):
            with pytest.raises(PersonalizeServiceError) as service:
                client.describe_batch_inference_job(arn(name))
            errors.append(service.value)
    with pytest.raises(ConfigurationError) as config:
        PersonalizeClient(
            region="us-east-1.evil.example", credentials=CREDS_WITH_TOKEN, env=aws_env
        )
    errors.append(config.value)
    with (
        pytest.raises(NoCredentialsError) as nocreds,
        PersonalizeClient(region=REGION, env=aws_env) as bare,
    ):
        bare.describe_batch_inference_job(arn("job"))
    errors.append(nocreds.value)
    assert len(errors) == 10
    assert {type(e).__name__ for e in errors} >= {
        "EndpointConnectionError",
        "RedirectError",
        "AccessDeniedException",
        "ResponseParseError",
        "ParamValidationError",
        "ResourceNotFoundException",
        "ExpiredTokenException",
        "ConfigurationError",
        "NoCredentialsError",
    }
    for error in errors:
        assert_no_secrets(str(error), repr(error), repr(error.args), repr(error.attempts))
        cause = error.__cause__ or error.__context__
        if cause is not None:
            assert_no_secrets(str(cause), repr(cause))


@pytest.mark.parametrize(
    ("env", "attempts", "mode"),
    [
        ({"AWS_MAX_ATTEMPTS": "5"}, 5, "standard"),
        ({"AWS_RETRY_MODE": "legacy"}, 5, "legacy"),
        ({"AWS_RETRY_MODE": "legacy", "AWS_MAX_ATTEMPTS": "2"}, 2, "legacy"),
        ({}, 3, "standard"),
    ],
)
def test_retry_settings_from_the_environment(
    env: dict[str, str], attempts: int, mode: str, aws_env: dict[str, str]
) -> None:
    with respx.mock() as router:
        route = router.post(URL).mock(return_value=error_response(503, "ServiceUnavailable"))
        with (
            PersonalizeClient(
                region="us-east-1",
                credentials=CREDS,
                env={**aws_env, **env},
                sleep=lambda _: None,
            ) as client,
            pytest.raises(PersonalizeServiceError) as info,
        ):
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == attempts
    assert len(info.value.attempts) == attempts
    agent = route.calls.last.request.headers["user-agent"]
    assert agent.endswith(f"cfg/retry-mode#{mode}")


def test_explicit_retry_config_beats_the_environment(aws_env: dict[str, str]) -> None:
    with respx.mock() as router:
        route = router.post(URL).mock(return_value=error_response(503, "ServiceUnavailable"))
        with (
            PersonalizeClient(
                region="us-east-1",
                credentials=CREDS,
                env={**aws_env, "AWS_MAX_ATTEMPTS": "5"},
                retry=RetryConfig(max_attempts=1),
            ) as client,
            pytest.raises(PersonalizeServiceError),
        ):
            client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 1


def _odd_step() -> Plan[None]:
    yield object()  # type: ignore[misc]  # a step of no known kind


def test_a_step_of_no_known_kind_fails_instead_of_being_taken_for_a_sleep(
    make_client: Callable[..., PersonalizeClient],
) -> None:
    slept: list[float] = []
    client = make_client(sleep=slept.append)
    with pytest.raises(AssertionError, match="a step of no known kind"):
        client._run(_odd_step())
    assert slept == []
