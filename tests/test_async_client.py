"""Tests for personalize_lite._async_client: AsyncPersonalizeClient on asyncio and trio,
over respx and over a real loopback FixtureServer, plus sync/async API parity.

respx runs with ``using="httpx"`` so it also intercepts the aiohttp transport the client
creates under asyncio. Retries never sleep for real: ``sleep`` is an async recorder.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest
import respx

from personalize_lite import (
    AccessDeniedException,
    AsyncPersonalizeClient,
    ConfigurationError,
    ConnectionClosedError,
    EndpointConnectionError,
    ExpiredTokenException,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeClient,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResourceNotFoundException,
    RetryConfig,
    TransportError,
)
from personalize_lite._steps import Plan
from personalize_lite.testing import FixtureServer
from tests.support.jobs import (
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


def error_response(status: int, code: str, message: str = "boom") -> httpx.Response:
    return httpx.Response(
        status, json={"__type": code, "message": message}, headers={"x-amzn-RequestId": "rid"}
    )


class SleepRecorder:
    """An async ``sleep`` that records delays and advances a fake clock, never waiting."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=7)
        await anyio.lowlevel.checkpoint()


def make_client(env: dict[str, str], **kwargs: Any) -> AsyncPersonalizeClient:
    kwargs.setdefault("region", REGION)
    kwargs.setdefault("credentials", CREDS)
    kwargs.setdefault("sleep", SleepRecorder())
    return AsyncPersonalizeClient(env=env, **kwargs)


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text


def is_closed(http: httpx.AsyncClient) -> bool:
    return http.is_closed  # a function, so mypy does not narrow the property


# --------------------------------------------------------------------------- FixtureServer

#: job name in the ARN -> expected status (first reply) or error class
SERVED: dict[str, str | type[PersonalizeServiceError]] = {
    "movie-recs-full": "ACTIVE",
    "movie-recs-pending": "PENDING",
    "movie-recs-running": "IN PROGRESS",
    "movie-recs-failed": "CREATE FAILED",
    "trending-now": "ACTIVE",
    "themes-2024": "ACTIVE",
    "busy-job": "ACTIVE",
    "flaky-job": "ACTIVE",
    "nightly-batch": "PENDING",
    "no-such-job": ResourceNotFoundException,
    "forbidden-job": AccessDeniedException,
    "needs-fresh-token": ExpiredTokenException,
}


@pytest.mark.anyio
async def test_every_cassette_gives_the_expected_job_or_error(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    sleep = SleepRecorder()
    async with make_client(
        aws_env, endpoint_url=fixture_server.url, sleep=sleep, jitter=lambda: 0.0
    ) as client:
        assert client.endpoint_url == fixture_server.url
        for name, expected in SERVED.items():
            if isinstance(expected, str):
                job = await client.describe_batch_inference_job(arn(name))
                assert job.status == expected, name
                assert job.job_name == name
            else:
                with pytest.raises(expected) as info:
                    await client.describe_batch_inference_job(arn(name))
                assert info.value.code == expected.__name__
                assert info.value.status_code == 400
                assert info.value.request_id is not None
                assert info.value.request_id.startswith("5f1c0e7a-0000-4000-8000-")
    assert sleep.slept == [0.0, 0.0]  # one retry each for busy-job and flaky-job


@pytest.mark.anyio
async def test_active_full_and_lifecycle(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    async with make_client(aws_env, endpoint_url=fixture_server.url) as client:
        full = await client.describe_batch_inference_job(arn("movie-recs-full"))
        statuses = [
            (await client.describe_batch_inference_job(arn("nightly-batch"))).status
            for _ in range(4)
        ]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]
    assert full.filter_arn == "arn:aws:personalize:us-east-1:123456789012:filter/no-watched"
    assert full.job_input is not None
    assert full.job_input.s3_data_source.kms_key_arn is not None
    assert full.batch_inference_job_config is not None
    assert full.batch_inference_job_config.item_exploration_config == {
        "explorationWeight": "0.3",
        "explorationItemAgeCutOff": "30",
    }
    assert full.last_updated_date_time == datetime(
        2023, 11, 14, 22, 28, 20, 456000, tzinfo=timezone.utc
    )


@pytest.mark.anyio
async def test_fifty_concurrent_calls(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    names = ["movie-recs-full", "movie-recs-pending", "trending-now", "themes-2024", "no-such-job"]
    results: dict[int, str] = {}

    async with make_client(aws_env, endpoint_url=fixture_server.url) as client:

        async def one(index: int) -> None:
            name = names[index % len(names)]
            try:
                job = await client.describe_batch_inference_job(arn(name))
            except ResourceNotFoundException as exc:
                results[index] = exc.code
            else:
                assert job.job_name == name
                results[index] = str(job.status)

        async with anyio.create_task_group() as tg:
            for index in range(50):
                tg.start_soon(one, index)

    assert len(results) == 50
    assert sum(1 for status in results.values() if status == "ResourceNotFoundException") == 10
    assert sum(1 for status in results.values() if status == "ACTIVE") == 30


# --------------------------------------------------------------------------- configuration


@pytest.mark.anyio
async def test_endpoint_url_needs_configuration_first(aws_env: dict[str, str]) -> None:
    client = make_client(aws_env)
    assert repr(client) == "<AsyncPersonalizeClient (not yet configured)>"
    with pytest.raises(ConfigurationError, match="async with"):
        _ = client.endpoint_url
    async with client:
        assert client.endpoint_url == "https://personalize.us-east-1.amazonaws.com"
        assert repr(client) == (
            "<AsyncPersonalizeClient endpoint_url='https://personalize.us-east-1.amazonaws.com'"
            " region='us-east-1'>"
        )


@pytest.mark.anyio
async def test_first_call_configures_the_client(aws_env: dict[str, str]) -> None:
    client = make_client(aws_env, region="eu-west-1")
    try:
        with respx.mock(using="httpx") as router:
            route = router.post("https://personalize.eu-west-1.amazonaws.com/").mock(
                return_value=httpx.Response(200, json=job_body())
            )
            await client.describe_batch_inference_job(arn("job"))
        assert client.endpoint_url == "https://personalize.eu-west-1.amazonaws.com"
        assert route.call_count == 1
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_invalid_region_fails_on_entry(aws_env: dict[str, str]) -> None:
    client = make_client(aws_env, region="us-east-1.evil.example")
    with pytest.raises(ConfigurationError):
        async with client:
            pytest.fail("entered a client with an invalid region")
    assert client._client is None  # nothing was opened


@pytest.mark.anyio
async def test_plain_http_to_a_remote_host_needs_allow_http(aws_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="allow_http"):
        async with make_client(aws_env, endpoint_url="http://personalize.example.test"):
            pass
    async with make_client(
        aws_env, endpoint_url="http://personalize.example.test", allow_http=True
    ) as client:
        assert client.endpoint_url == "http://personalize.example.test"


@pytest.mark.anyio
async def test_no_credentials_fails_before_any_request(aws_env: dict[str, str]) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        async with AsyncPersonalizeClient(region=REGION, env=aws_env) as client:
            with pytest.raises(NoCredentialsError) as info:
                await client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 0
    assert info.value.tried


@pytest.mark.anyio
@pytest.mark.parametrize("bad_arn", [None, 42, arn("x" * 256), arn("a\x1fb"), "arn:aws:s3:::b"])
async def test_invalid_arn_sends_nothing(bad_arn: object, aws_env: dict[str, str]) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
        async with make_client(aws_env) as client:
            with pytest.raises(ParamValidationError):
                await client.describe_batch_inference_job(bad_arn)  # type: ignore[arg-type]
    assert route.call_count == 0
    assert router.calls.call_count == 0


@pytest.mark.parametrize("timeout", [0, -1, "x", float("nan")])
def test_invalid_timeout(timeout: object, aws_env: dict[str, str]) -> None:
    with pytest.raises(ParamValidationError, match="timeout"):
        make_client(aws_env, timeout=timeout)


def test_wrong_http_client_type_is_rejected(aws_env: dict[str, str]) -> None:
    with httpx.Client() as sync_http, pytest.raises(ParamValidationError, match="AsyncClient"):
        make_client(aws_env, http_client=sync_http)


# --------------------------------------------------------------------------- request shape


@pytest.mark.anyio
async def test_request_shape_and_fresh_signature_per_attempt(aws_env: dict[str, str]) -> None:
    sleep = SleepRecorder()
    with respx.mock(using="httpx") as router:
        route = router.post(URL).mock(
            side_effect=[
                error_response(400, "ThrottlingException"),
                httpx.Response(200, json=job_body()),
                httpx.Response(200, json=job_body()),
            ]
        )
        async with make_client(
            aws_env,
            credentials=CREDS_WITH_TOKEN,
            clock=sleep.clock,
            sleep=sleep,
            jitter=lambda: 1.0,
        ) as client:
            await client.describe_batch_inference_job(arn("job"))
            await client.describe_batch_inference_job(arn("job"))
    assert sleep.slept == [1.0]
    first, second, third = (call.request for call in route.calls)
    for request in (first, second, third):
        assert request.method == "POST"
        assert str(request.url) == URL
        assert request.headers["X-Amz-Target"] == "AmazonPersonalize.DescribeBatchInferenceJob"
        assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert request.headers["User-Agent"].startswith("personalize-lite/")
        assert request.headers["X-Amz-Security-Token"] == TOKEN
    assert first.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert second.headers["amz-sdk-request"] == "attempt=2; max=3"
    assert third.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert first.headers["amz-sdk-invocation-id"] == second.headers["amz-sdk-invocation-id"]
    assert third.headers["amz-sdk-invocation-id"] != first.headers["amz-sdk-invocation-id"]
    assert first.headers["X-Amz-Date"] == "20231114T221320Z"
    assert second.headers["X-Amz-Date"] == "20231114T221327Z"
    assert first.headers["Authorization"] != second.headers["Authorization"]


# --------------------------------------------------------------------------- errors


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_never_followed(status: int, aws_env: dict[str, str]) -> None:
    with respx.mock(using="httpx", assert_all_called=False) as router:
        route = router.post(URL).mock(
            return_value=httpx.Response(status, headers={"Location": "https://evil.example/"})
        )
        elsewhere = router.route(host="evil.example").mock(return_value=httpx.Response(200))
        async with make_client(aws_env) as client:
            with pytest.raises(RedirectError):
                await client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 1
    assert elsewhere.call_count == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("refused"), EndpointConnectionError),
        (httpx.ReadTimeout("slow"), ReadTimeoutError),
        (httpx.RemoteProtocolError("peer closed"), ConnectionClosedError),
    ],
)
async def test_transport_errors_after_max_attempts(
    raised: Exception, expected: type[TransportError], aws_env: dict[str, str]
) -> None:
    sleep = SleepRecorder()
    with respx.mock(using="httpx") as router:
        route = router.post(URL).mock(side_effect=raised)
        async with make_client(aws_env, sleep=sleep, jitter=lambda: 1.0) as client:
            with pytest.raises(expected) as info:
                await client.describe_batch_inference_job(arn("job"))
    assert route.call_count == 3
    assert len(info.value.attempts) == 3
    assert sleep.slept == [1.0, 2.0]
    assert info.value.attempts[-1].gave_up == "max attempts reached"


@pytest.mark.anyio
async def test_server_that_never_answers_times_out_in_bounded_time(
    silent_server: tuple[str, int], aws_env: dict[str, str]
) -> None:
    host, port = silent_server
    sleep = SleepRecorder()
    started = time.monotonic()
    async with make_client(
        aws_env,
        endpoint_url=f"http://{host}:{port}",
        timeout=0.3,
        retry=RetryConfig(max_attempts=2),
        sleep=sleep,
        jitter=lambda: 0.0,
    ) as client:
        with pytest.raises(ReadTimeoutError) as info:
            await client.describe_batch_inference_job(arn("job"))
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert len(info.value.attempts) == 2
    assert sleep.slept == [0.0]


@pytest.mark.anyio
async def test_connection_refused(refused_port: int, aws_env: dict[str, str]) -> None:
    sleep = SleepRecorder()
    async with make_client(
        aws_env, endpoint_url=f"http://127.0.0.1:{refused_port}", sleep=sleep
    ) as client:
        with pytest.raises(EndpointConnectionError) as info:
            await client.describe_batch_inference_job(arn("job"))
    assert len(info.value.attempts) == 3
    assert len(sleep.slept) == 2


@pytest.mark.anyio
async def test_server_that_hangs_up(
    hangup_server: tuple[str, int], aws_env: dict[str, str]
) -> None:
    host, port = hangup_server
    async with make_client(aws_env, endpoint_url=f"http://{host}:{port}") as client:
        with pytest.raises(ConnectionClosedError) as info:
            await client.describe_batch_inference_job(arn("job"))
    assert len(info.value.attempts) == 3


@pytest.mark.anyio
async def test_errors_and_repr_hold_no_secrets(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    errors: list[PersonalizeError] = []
    async with make_client(
        aws_env, endpoint_url=fixture_server.url, credentials=CREDS_WITH_TOKEN
    ) as client:
        assert_no_secrets(repr(client))
        for name in ("no-such-job", "forbidden-job", "needs-fresh-token"):
            with pytest.raises(PersonalizeServiceError) as info:
                await client.describe_batch_inference_job(arn(name))
            errors.append(info.value)
    assert len(errors) == 3
    for error in errors:
        assert_no_secrets(str(error), repr(error), repr(error.attempts))


# --------------------------------------------------------------------------- http client


@pytest.mark.anyio
async def test_borrowed_async_client_is_used_and_left_open(aws_env: dict[str, str]) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        with respx.mock(using="httpx") as router:
            route = router.post(URL).mock(return_value=httpx.Response(200, json=job_body()))
            async with make_client(aws_env, http_client=http) as client:
                assert client._client is http
                await client.describe_batch_inference_job(arn("job"))
            await client.aclose()
        assert route.call_count == 1
        assert len(seen) == 1
        assert not is_closed(http)
    assert is_closed(http)


@pytest.mark.anyio
async def test_owned_client_transport_matches_the_backend(
    anyio_backend: str, aws_env: dict[str, str]
) -> None:
    async with make_client(aws_env) as client:
        http = client._client
        assert isinstance(http, httpx.AsyncClient)
        transport = http._transport
        if anyio_backend == "asyncio":
            httpx_aiohttp = pytest.importorskip("httpx_aiohttp")
            assert isinstance(transport, httpx_aiohttp.AiohttpTransport)
        else:
            assert type(transport) is httpx.AsyncHTTPTransport
        assert not is_closed(http)
    assert is_closed(http)


@pytest.mark.anyio
async def test_owned_client_serves_real_requests(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    client = make_client(aws_env, endpoint_url=fixture_server.url)
    job = await client.describe_batch_inference_job(arn("movie-recs-pending"))
    http = client._client
    assert isinstance(http, httpx.AsyncClient)
    await client.aclose()
    assert job.status == "PENDING"
    assert is_closed(http)


# --------------------------------------------------------------------------- cancellation


@pytest.mark.anyio
async def test_cancellation_while_sleeping_between_retries(
    anyio_backend: str, aws_env: dict[str, str]
) -> None:
    sleeping = anyio.Event()
    events: list[str] = []

    async def sleep_forever(seconds: float) -> None:
        events.append("sleep")
        sleeping.set()
        try:
            await anyio.sleep_forever()
        finally:
            events.append("sleep exited")

    outcome: list[object] = []
    with respx.mock(using="httpx") as router:
        route = router.post(URL).mock(return_value=error_response(503, "ServiceUnavailable"))
        async with make_client(aws_env, sleep=sleep_forever) as client:
            tasks_before = asyncio.all_tasks() if anyio_backend == "asyncio" else set()

            async def call() -> None:
                try:
                    await client.describe_batch_inference_job(arn("job"))
                except anyio.get_cancelled_exc_class():
                    outcome.append("cancelled")
                    raise
                except PersonalizeError as exc:  # pragma: no cover - the failure we test for
                    outcome.append(exc)

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await sleeping.wait()
                tg.cancel_scope.cancel()

            assert outcome == ["cancelled"]
            assert events == ["sleep", "sleep exited"]
            assert route.call_count == 1  # no attempt after the cancel
            if anyio_backend == "asyncio":
                assert asyncio.all_tasks() == tasks_before
            # the client still works after a cancelled call
            route.mock(return_value=httpx.Response(200, json=job_body()))
            job = await client.describe_batch_inference_job(arn("job"))
    assert job.status == "ACTIVE"
    assert route.call_count == 2


@pytest.mark.anyio
async def test_cancel_scope_deadline_around_a_call(aws_env: dict[str, str]) -> None:
    gate = anyio.Event()

    async def blocked_sleep(seconds: float) -> None:
        gate.set()
        await anyio.sleep_forever()

    with respx.mock(using="httpx") as router:
        router.post(URL).mock(return_value=error_response(500, "InternalFailure"))
        async with make_client(aws_env, sleep=blocked_sleep) as client:
            with anyio.CancelScope() as scope:

                async def cancel_when_sleeping() -> None:
                    await gate.wait()
                    scope.cancel()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(cancel_when_sleeping)
                    await client.describe_batch_inference_job(arn("job"))
                pytest.fail("the call returned instead of being cancelled")
    assert scope.cancelled_caught


# --------------------------------------------------------------------------- parity

_ASYNC_NAME = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}
_ASYNC_ONLY = {
    "describe_batch_inference_job",
    "wait_for_batch_inference_job",
    "close",
    "__enter__",
    "__exit__",
}


def _public_names(cls: type) -> set[str]:
    """Everything a user can reach on the class (inherited included), plus the dunders
    that make up its protocol."""
    names = {name for name in dir(cls) if not name.startswith("_")}
    return names | {
        name
        for name in ("__init__", "__enter__", "__exit__", "__repr__")
        if inspect.getattr_static(cls, name, None) is not inspect.getattr_static(object, name, None)
    }


def _normalise(signature: inspect.Signature) -> str:
    return (
        str(signature)
        .replace("AsyncPersonalizeClient", "PersonalizeClient")
        .replace("httpx.AsyncClient", "httpx.Client")
    )


def test_both_clients_expose_the_same_api() -> None:
    sync_names = _public_names(PersonalizeClient)
    assert sync_names >= {"describe_batch_inference_job", "close", "endpoint_url", "__init__"}
    async_names = {name for name in dir(AsyncPersonalizeClient) if not name.startswith("_")}
    assert async_names == {_ASYNC_NAME.get(n, n) for n in sync_names if not n.startswith("_")}
    for name in sorted(sync_names):
        sync_attr = inspect.getattr_static(PersonalizeClient, name)
        async_attr = inspect.getattr_static(AsyncPersonalizeClient, _ASYNC_NAME.get(name, name))
        if isinstance(sync_attr, property):
            assert isinstance(async_attr, property), name
            assert sync_attr.fget is not None
            assert async_attr.fget is not None
            sync_attr, async_attr = sync_attr.fget, async_attr.fget
        assert callable(sync_attr)
        assert callable(async_attr)
        assert _normalise(inspect.signature(sync_attr)) == _normalise(
            inspect.signature(async_attr)
        ), name
        assert not inspect.iscoroutinefunction(sync_attr), name
        if name in _ASYNC_ONLY:
            assert inspect.iscoroutinefunction(async_attr), name


def test_async_signatures_differ_only_in_the_http_client_type() -> None:
    # One __init__ serves both clients; only the accepted httpx client type differs.
    shared: Any = inspect.getattr_static(PersonalizeClient, "__init__")
    assert inspect.getattr_static(AsyncPersonalizeClient, "__init__") is shared
    params = inspect.signature(PersonalizeClient.__init__).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in params.items() if n != "self")
    assert PersonalizeClient._http_client_type is httpx.Client
    assert AsyncPersonalizeClient._http_client_type is httpx.AsyncClient
    with pytest.raises(ParamValidationError, match=r"httpx\.AsyncClient"):
        AsyncPersonalizeClient(region="us-east-1", http_client=httpx.Client())  # type: ignore[arg-type]


def _odd_step() -> Plan[None]:
    yield object()  # type: ignore[misc]  # a step of no known kind


@pytest.mark.anyio
async def test_a_step_of_no_known_kind_fails_instead_of_being_taken_for_a_sleep(
    aws_env: dict[str, str],
) -> None:
    sleep = SleepRecorder()
    client = make_client(aws_env, sleep=sleep)
    async with client:
        with pytest.raises(AssertionError, match="a step of no known kind"):
            await client._run(_odd_step())
    assert sleep.slept == []
