"""The waiter: the plan driven by hand (injected time, no sleeping), then both clients
against the lifecycle cassette on a loopback server, cancellation included."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import anyio
import httpx
import pytest

from personalize_lite import (
    AccessDeniedException,
    AsyncPersonalizeClient,
    BatchInferenceJob,
    BatchInferenceJobFailed,
    Credentials,
    ParamValidationError,
    PersonalizeClient,
    ResourceNotFoundException,
    WaiterTimeoutError,
)
from personalize_lite._call import wait
from personalize_lite.testing import FixtureServer
from tests.support.plans import ARN, FakeClock, drive, error, make_ctx, ok

LIFECYCLE = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/nightly-batch"
CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="example")


def test_polls_until_active_and_reports_each_status_change() -> None:
    clock = FakeClock()
    seen: list[str | None] = []
    outcomes = [ok(status="PENDING"), ok(status="PENDING"), ok(status="IN PROGRESS"), ok()]
    run = drive(
        wait(
            make_ctx(clock=clock, jitter=[0.5] * 9),
            ARN,
            poll_interval=30,
            on_update=lambda j: seen.append(j.status),
        ),
        outcomes,
        on_sleep=clock.advance,
    )
    assert isinstance(run.result, BatchInferenceJob)
    assert run.result.status == "ACTIVE"
    assert len(run.requests) == 4
    assert run.sleeps == [30.0, 30.0, 30.0]  # jitter draw 0.5 is the midpoint: no change
    assert seen == ["PENDING", "IN PROGRESS", "ACTIVE"]  # changes only, not every poll


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.8), (1.0, 1.2), (0.25, 0.9)])
def test_poll_interval_is_jittered(draw: float, factor: float) -> None:
    run = drive(wait(make_ctx(jitter=[draw]), ARN, poll_interval=10), [ok(status="PENDING"), ok()])
    assert run.sleeps == [pytest.approx(10 * factor)]


def test_create_failed_raises_with_the_job_and_reason() -> None:
    failed = ok(status="CREATE FAILED", failureReason="AccessDenied on s3://bucket/in.json")
    run = drive(wait(make_ctx(), ARN), [ok(status="IN PROGRESS"), failed])
    assert isinstance(run.error, BatchInferenceJobFailed)
    assert run.error.failure_reason == "AccessDenied on s3://bucket/in.json"
    assert run.error.job.status == "CREATE FAILED"
    assert "AccessDenied on s3://bucket/in.json" in str(run.error)


def test_deadline_raises_with_the_last_job_and_never_oversleeps() -> None:
    clock = FakeClock()
    run = drive(
        wait(make_ctx(clock=clock, jitter=[1.0] * 20), ARN, poll_interval=30, timeout=100),
        [ok(status="IN PROGRESS")],
        on_sleep=clock.advance,
    )
    assert isinstance(run.error, WaiterTimeoutError)
    assert run.error.last_job is not None
    assert run.error.last_job.status == "IN PROGRESS"
    assert sum(run.sleeps) == pytest.approx(100)  # the last sleep is cut to the deadline
    assert run.sleeps[-1] < 36  # 1.2 x 30 would have overslept
    assert "100" in str(run.error)


def test_missing_job_fails_at_once() -> None:
    run = drive(wait(make_ctx(), ARN), [error(400, "ResourceNotFoundException", "nope")])
    assert isinstance(run.error, ResourceNotFoundException)
    assert len(run.requests) == 1
    assert run.sleeps == []


def test_other_service_errors_fail_at_once() -> None:
    run = drive(wait(make_ctx(), ARN), [error(400, "AccessDeniedException", "no")])
    assert isinstance(run.error, AccessDeniedException)
    assert run.sleeps == []


def test_throttling_while_polling_backs_off_instead_of_failing() -> None:
    throttled = error(400, "ThrottlingException", "Rate exceeded")
    # The describe call retries 3 times itself; all throttled, then the next poll works.
    outcomes = [ok(status="IN PROGRESS"), throttled, throttled, throttled, ok()]
    run = drive(wait(make_ctx(jitter=[0.5] * 9), ARN, poll_interval=10), outcomes)
    assert isinstance(run.result, BatchInferenceJob)
    assert run.result.status == "ACTIVE"
    # poll sleep 10, the call's own two retry backoffs, then a doubled poll interval 20
    assert run.sleeps[0] == pytest.approx(10)
    assert run.sleeps[-1] == pytest.approx(20)
    assert len(run.requests) == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"poll_interval": 0},
        {"poll_interval": -5},
        {"poll_interval": "30"},
        {"timeout": 0},
        {"timeout": float("nan")},
        {"on_update": "print"},
    ],
)
def test_bad_arguments_send_nothing(kwargs: dict[str, Any]) -> None:
    run = drive(wait(make_ctx(), ARN, **kwargs), [ok()])
    assert isinstance(run.error, ParamValidationError)
    assert run.requests == []


def test_bad_arn_sends_nothing() -> None:
    run = drive(wait(make_ctx(), "not-an-arn"), [ok()])
    assert isinstance(run.error, ParamValidationError)
    assert run.requests == []


# ------------------------------------------------------------------- through the clients


def test_sync_client_waits_through_the_lifecycle(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    slept: list[float] = []
    seen: list[str | None] = []
    with PersonalizeClient(
        region="us-east-1",
        endpoint_url=fixture_server.url,
        credentials=CREDS,
        env=aws_env,
        sleep=slept.append,
    ) as client:
        job = client.wait_for_batch_inference_job(
            LIFECYCLE, poll_interval=5, on_update=lambda j: seen.append(j.status)
        )
    assert job.status == "ACTIVE"
    assert seen == ["PENDING", "IN PROGRESS", "ACTIVE"]
    assert len(slept) == 2
    assert all(4.0 <= s <= 6.0 for s in slept)


def test_sync_client_refuses_an_async_callback_instead_of_dropping_it(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    """The sync client cannot await ``on_update``'s coroutine: a typed error, and the
    coroutine is closed (never left to warn that it was not awaited)."""
    made: list[Any] = []

    async def record(job: BatchInferenceJob) -> None:
        raise AssertionError("never run")

    def on_update(job: BatchInferenceJob) -> Any:
        made.append(record(job))
        return made[-1]

    with (
        PersonalizeClient(
            region="us-east-1",
            endpoint_url=fixture_server.url,
            credentials=CREDS,
            env=aws_env,
            sleep=lambda _seconds: None,
        ) as client,
        pytest.raises(ParamValidationError, match="cannot await"),
    ):
        client.wait_for_batch_inference_job(LIFECYCLE, poll_interval=5, on_update=on_update)
    assert len(made) == 1
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED


NO_FILES = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def test_sync_client_refuses_an_async_def_callback_before_sending() -> None:
    sent: list[httpx.Request] = []

    async def on_update(job: BatchInferenceJob) -> None:
        raise AssertionError("never run")

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with (
        PersonalizeClient(
            region="us-east-1", credentials=CREDS, http_client=http, env=NO_FILES
        ) as client,
        pytest.raises(ParamValidationError, match="cannot await"),
    ):
        client.wait_for_batch_inference_job(LIFECYCLE, on_update=on_update)
    assert sent == []


@pytest.mark.anyio
async def test_async_client_waits_with_an_async_callback(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    slept: list[float] = []
    seen: list[str | None] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def on_update(job: BatchInferenceJob) -> None:
        await anyio.sleep(0)
        seen.append(job.status)

    async with AsyncPersonalizeClient(
        region="us-east-1",
        endpoint_url=fixture_server.url,
        credentials=CREDS,
        env=aws_env,
        sleep=record_sleep,
    ) as client:
        job = await client.wait_for_batch_inference_job(
            LIFECYCLE, poll_interval=5, on_update=on_update
        )
    assert job.status == "ACTIVE"
    assert seen == ["PENDING", "IN PROGRESS", "ACTIVE"]
    assert len(slept) == 2


@pytest.mark.anyio
async def test_async_client_accepts_a_plain_callback(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    seen: list[str | None] = []

    async def no_sleep(_seconds: float) -> None:
        return None

    async with AsyncPersonalizeClient(
        region="us-east-1",
        endpoint_url=fixture_server.url,
        credentials=CREDS,
        env=aws_env,
        sleep=no_sleep,
    ) as client:
        await client.wait_for_batch_inference_job(
            LIFECYCLE, on_update=lambda j: seen.append(j.status)
        )
    assert seen == ["PENDING", "IN PROGRESS", "ACTIVE"]


@pytest.mark.anyio
async def test_cancelling_mid_sleep_leaves_nothing_behind(
    fixture_server: FixtureServer, aws_env: dict[str, str], anyio_backend: str
) -> None:
    tasks_before = len(asyncio.all_tasks()) if anyio_backend == "asyncio" else 0
    seen: list[str | None] = []
    async with AsyncPersonalizeClient(
        region="us-east-1", endpoint_url=fixture_server.url, credentials=CREDS, env=aws_env
    ) as client:
        with anyio.move_on_after(0.3) as scope:  # real sleep: the poll interval is 60 s
            await client.wait_for_batch_inference_job(
                LIFECYCLE, poll_interval=60, on_update=lambda j: seen.append(j.status)
            )
        assert scope.cancelled_caught
        assert seen == ["PENDING"]  # one poll, then cancelled while sleeping
        # The client still works, and the cassette moved on by exactly one poll.
        job = await client.describe_batch_inference_job(LIFECYCLE)
        assert job.status == "IN PROGRESS"
    if anyio_backend == "asyncio":
        assert len(asyncio.all_tasks()) == tasks_before
