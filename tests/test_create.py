"""create_batch_inference_job on every driver (sync, asyncio, trio) against a real
loopback server (``tests/support/fault_server.py``): success, validation errors that send
nothing, and every branch of the safe retry.

Safe retry: after an attempt whose outcome is unknown (5xx, read timeout, connection
lost after sending), a ``ResourceAlreadyExistsException`` from the retry leads to a
describe of the derived job ARN; the ARN is returned when the job is the one asked for,
otherwise the exception is raised. A conflict after attempts that failed clearly (a
first attempt, a throttle, a connect failure) is raised without a describe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from personalize_lite import (
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    ParamValidationError,
    PersonalizeError,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    S3DataConfig,
)
from personalize_lite._call import outcome_unknown
from personalize_lite._errors import Attempt
from tests.support.fault_server import Action, FaultServer, Reply, Reset, Silent
from tests.support.lifecycle import (
    HANG,
    JOB_ARN,
    ROLE,
    SV,
    Sleeps,
    body,
    client_for,
    error_body,
    json_bytes,
    target,
)

pytestmark = pytest.mark.anyio

INPUT = "s3://bucket/in/users.json"
OUTPUT = "s3://bucket/out/"
ARGS: dict[str, Any] = {
    "job_name": "nightly-1",
    "solution_version_arn": SV,
    "role_arn": ROLE,
    "job_input": INPUT,
    "job_output": OUTPUT,
}
CREATED = Reply(200, json_bytes({"batchInferenceJobArn": JOB_ARN}))
CONFLICT = Reply(400, error_body("ResourceAlreadyExistsException", "job exists"))
THROTTLED = Reply(400, error_body("ThrottlingException", "slow down"))


def described(**overrides: Any) -> Reply:
    """A DescribeBatchInferenceJob reply for the job ARGS asks for, with ``overrides``."""
    job: dict[str, Any] = {
        "jobName": "nightly-1",
        "batchInferenceJobArn": JOB_ARN,
        "solutionVersionArn": SV,
        "roleArn": ROLE,
        "jobInput": {"s3DataSource": {"path": INPUT}},
        "jobOutput": {"s3DataDestination": {"path": OUTPUT}},
        "batchInferenceJobMode": "BATCH_INFERENCE",
        "status": "CREATE PENDING",
        "creationDateTime": 1700000000.0,
        "lastUpdatedDateTime": 1700000000.0,
    }
    job.update(overrides)
    return Reply(
        200, json_bytes({"batchInferenceJob": {k: v for k, v in job.items() if v is not None}})
    )


async def create(driver: str, env: dict[str, str], url: str, **kwargs: Any) -> str:
    async with client_for(driver, env, url) as client:
        return await client.create(**{**ARGS, **kwargs})


def targets(server: FaultServer) -> list[str]:
    return [target(seen) for seen in server.requests]


@pytest.fixture
def decisions(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.INFO, logger="personalize_lite")

    def info() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "personalize_lite" and r.levelno == logging.INFO
        ]

    return info


# --------------------------------------------------------------------------- plain create


async def test_create_returns_the_new_jobs_arn(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(CREATED)
    with anyio.fail_after(HANG):
        arn = await create(
            driver,
            aws_env,
            server.url,
            job_input=BatchInferenceJobInput(s3_data_source=S3DataConfig(path=INPUT)),
            job_output=BatchInferenceJobOutput(s3_data_destination=S3DataConfig(path=OUTPUT)),
            num_results=25,
            tags={"team": "recs", "環境": "本番"},
        )
    assert arn == JOB_ARN
    assert targets(server) == ["CreateBatchInferenceJob"]
    seen = server.requests[0]
    assert seen.headers["content-type"] == "application/x-amz-json-1.1"
    assert seen.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert body(seen) == {
        "jobName": "nightly-1",
        "solutionVersionArn": SV,
        "numResults": 25,
        "jobInput": {"s3DataSource": {"path": INPUT}},
        "jobOutput": {"s3DataDestination": {"path": OUTPUT}},
        "roleArn": ROLE,
        "tags": [{"tagKey": "team", "tagValue": "recs"}, {"tagKey": "環境", "tagValue": "本番"}],
    }


@pytest.mark.parametrize(
    ("bad", "names"),
    [
        ({"job_name": "bad name"}, "job_name (jobName)"),
        ({"role_arn": "arn:aws:iam::1:role/x"}, "role_arn (roleArn)"),
        ({"job_input": "bucket/key"}, "job_input (jobInput.s3DataSource.path)"),
        ({"num_results": "10"}, "num_results (numResults)"),
        ({"tags": {"k#": "v"}}, "tags (tags[].tagKey)"),
        ({"batch_inference_job_mode": "FAST"}, "batch_inference_job_mode (batchInferenceJobMode)"),
    ],
)
async def test_invalid_input_raises_before_anything_is_sent(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    bad: dict[str, Any],
    names: str,
) -> None:
    server = serve(CREATED)
    with anyio.fail_after(HANG), pytest.raises(ParamValidationError) as caught:
        await create(driver, aws_env, server.url, **bad)
    assert names in str(caught.value)
    assert caught.value.attempts == ()
    assert server.requests == []
    assert server.connections == 0


async def test_a_clear_conflict_on_the_first_attempt_is_never_ours(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
) -> None:
    server = serve(CONFLICT, described())
    with anyio.fail_after(HANG), pytest.raises(ResourceAlreadyExistsException) as caught:
        await create(driver, aws_env, server.url)
    assert targets(server) == ["CreateBatchInferenceJob"]  # no describe
    assert caught.value.code == "ResourceAlreadyExistsException"
    assert len(caught.value.attempts) == 1
    assert decisions() == []


# --------------------------------------------------------------------------- safe retry


UNKNOWN_OUTCOMES: dict[str, Action] = {
    "HTTP 500": Reply(500, error_body("InternalServerError")),
    "HTTP 503 without a body": Reply(503),
    "read timeout after sending": Silent(),
    "connection reset after sending": Reset(),
}


@pytest.mark.parametrize("first", UNKNOWN_OUTCOMES.values(), ids=UNKNOWN_OUTCOMES.keys())
async def test_a_conflict_after_an_unknown_outcome_returns_the_matching_job(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
    first: Action,
) -> None:
    server = serve(first, CONFLICT, described())
    with anyio.fail_after(HANG):
        arn = await create(driver, aws_env, server.url)
    assert arn == JOB_ARN
    assert targets(server) == [
        "CreateBatchInferenceJob",
        "CreateBatchInferenceJob",
        "DescribeBatchInferenceJob",
    ]
    assert body(server.requests[0]) == body(server.requests[1])
    assert body(server.requests[2]) == {"batchInferenceJobArn": JOB_ARN}
    [line] = decisions()
    assert "matches the request" in line
    assert JOB_ARN in line


async def test_the_describe_uses_the_solution_versions_partition_region_and_account(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    sv = "arn:aws-cn:personalize:cn-north-1:210987654321:solution/shoes/v9"
    expected = "arn:aws-cn:personalize:cn-north-1:210987654321:batch-inference-job/nightly-1"
    server = serve(
        Reply(502), CONFLICT, described(solutionVersionArn=sv, batchInferenceJobArn=expected)
    )
    with anyio.fail_after(HANG):
        arn = await create(driver, aws_env, server.url, solution_version_arn=sv)
    assert arn == expected
    assert body(server.requests[2]) == {"batchInferenceJobArn": expected}


@pytest.mark.parametrize(
    "difference",
    [
        {"solutionVersionArn": SV.replace("abc123", "other")},
        {"jobInput": {"s3DataSource": {"path": "s3://bucket/in/other.json"}}},
        {"jobOutput": {"s3DataDestination": {"path": "s3://other-bucket/out/"}}},
        {"roleArn": ROLE + "Other"},
        {"batchInferenceJobMode": "THEME_GENERATION"},
    ],
    ids=["solution version", "input", "output", "role", "mode"],
)
async def test_a_conflict_with_a_different_job_raises(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
    difference: dict[str, Any],
) -> None:
    server = serve(Reply(500), CONFLICT, described(**difference))
    with anyio.fail_after(HANG), pytest.raises(ResourceAlreadyExistsException) as caught:
        await create(driver, aws_env, server.url)
    assert caught.value.message == "job exists"
    assert [a.status_code for a in caught.value.attempts] == [500, 400]
    assert len(server.requests) == 3
    [line] = decisions()
    assert "not ours" in line


async def test_an_absent_mode_is_batch_inference(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    # The request names the default mode; an older job reports none.
    server = serve(Reply(500), CONFLICT, described(batchInferenceJobMode=None))
    with anyio.fail_after(HANG):
        arn = await create(driver, aws_env, server.url, batch_inference_job_mode="BATCH_INFERENCE")
    assert arn == JOB_ARN


async def test_a_conflict_whose_job_cannot_be_described_raises_the_conflict(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
) -> None:
    server = serve(Reply(500), CONFLICT, Reply(400, error_body("ResourceNotFoundException")))
    with anyio.fail_after(HANG), pytest.raises(ResourceAlreadyExistsException) as caught:
        await create(driver, aws_env, server.url)
    assert isinstance(caught.value.__cause__, ResourceNotFoundException)
    assert len(server.requests) == 3
    [line] = decisions()
    assert "describing" in line
    assert "ResourceNotFoundException" in line


async def test_a_conflict_after_a_throttle_is_not_ours(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
) -> None:
    # A throttled request was refused, not carried out: the outcome is known.
    server = serve(THROTTLED, CONFLICT, described())
    with anyio.fail_after(HANG), pytest.raises(ResourceAlreadyExistsException):
        await create(driver, aws_env, server.url)
    assert targets(server) == ["CreateBatchInferenceJob", "CreateBatchInferenceJob"]
    assert decisions() == []


class _RefuseFirst:
    """Wraps a real transport to the loopback server; the first request fails to
    connect (``exc``) without reaching it."""

    def __init__(self, exc: type[httpx.TransportError]) -> None:
        self.exc = exc
        self.calls = 0

    def sync(self) -> httpx.BaseTransport:
        outer = self

        class Transport(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                outer.calls += 1
                if outer.calls == 1:
                    raise outer.exc("refused for the test", request=request)
                return super().handle_request(request)

        return Transport()

    def asynchronous(self) -> httpx.AsyncBaseTransport:
        outer = self

        class Transport(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                outer.calls += 1
                if outer.calls == 1:
                    raise outer.exc("refused for the test", request=request)
                return await super().handle_async_request(request)

        return Transport()

    def __call__(self, is_async: bool) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
        return self.asynchronous() if is_async else self.sync()


@pytest.mark.parametrize("exc", [httpx.ConnectTimeout, httpx.ConnectError])
async def test_a_conflict_after_a_connect_failure_is_not_ours(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    decisions: Callable[[], list[str]],
    exc: type[httpx.TransportError],
) -> None:
    # The first request never reached the server: its outcome is known (nothing happened).
    server = serve(CONFLICT, described())
    refuse = _RefuseFirst(exc)
    with anyio.fail_after(HANG), pytest.raises(ResourceAlreadyExistsException) as caught:
        async with client_for(driver, aws_env, server.url, transport=refuse) as client:
            await client.create(**ARGS)
    assert refuse.calls == 2
    assert targets(server) == ["CreateBatchInferenceJob"]
    assert [a.error_code for a in caught.value.attempts] == [
        "ConnectTimeoutError" if exc is httpx.ConnectTimeout else "EndpointConnectionError",
        "ResourceAlreadyExistsException",
    ]
    assert decisions() == []


async def test_a_conflict_after_a_connect_failure_and_an_unknown_outcome_is_checked(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(503), CONFLICT, described())
    refuse = _RefuseFirst(httpx.ConnectError)
    sleeps = Sleeps()
    with anyio.fail_after(HANG):
        async with client_for(
            driver, aws_env, server.url, transport=refuse, sleeps=sleeps, attempts=3
        ) as client:
            arn = await client.create(**ARGS)
    assert arn == JOB_ARN
    assert sleeps.slept == [0.5, 1.0]
    assert targets(server) == [
        "CreateBatchInferenceJob",
        "CreateBatchInferenceJob",
        "DescribeBatchInferenceJob",
    ]


async def test_unknown_outcomes_that_exhaust_the_retries_raise_the_last_error(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(500))
    with anyio.fail_after(HANG), pytest.raises(PersonalizeError) as caught:
        await create(driver, aws_env, server.url)
    assert [a.status_code for a in caught.value.attempts] == [500, 500, 500]
    assert targets(server) == ["CreateBatchInferenceJob"] * 3


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("status", "error_code", "unknown"),
    [
        (500, "InternalServerError", True),
        (503, "503", True),
        (None, "ReadTimeoutError", True),
        (None, "ConnectionClosedError", True),
        (None, "ConnectTimeoutError", False),
        (None, "EndpointConnectionError", False),
        (400, "ThrottlingException", False),
        (429, "429", False),
        (400, "InvalidSignatureException", False),
    ],
)
def test_which_attempts_have_an_unknown_outcome(
    status: int | None, error_code: str, unknown: bool
) -> None:
    record = Attempt(
        number=1, status_code=status, error_code=error_code, request_id=None, elapsed_ms=1.0
    )
    assert outcome_unknown(record) is unknown
