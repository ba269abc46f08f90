"""What both clients share (``_client_base.py``): invocation ids, the user agent, the
``timeout`` keyword, and the arguments a public method hands its plan."""

from __future__ import annotations

import inspect
import math
import re
import uuid
from typing import Any

import httpx
import pytest

import personalize_lite
from personalize_lite import (
    AsyncPersonalizeClient,
    Credentials,
    ParamValidationError,
    PersonalizeClient,
)
from personalize_lite._client_base import (
    _as_timeout,
    invocation_id,
    keyword_arguments,
    user_agent,
)


def test_invocation_ids_are_random_version_4_uuids() -> None:
    ids = [invocation_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every variant digit and every random hex digit shows up across 2000 draws.
    assert {text[19] for text in ids} == set("89ab")
    assert set("".join(text[:8] for text in ids)) == set("0123456789abcdef")


def test_user_agent_names_us_httpx_and_python() -> None:
    ua = user_agent()
    assert ua.startswith(
        f"personalize-lite/{personalize_lite.__version__} httpx/{httpx.__version__} python/"
    )


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True, None])
def test_bad_timeouts(bad: object) -> None:
    with pytest.raises(ParamValidationError):
        _as_timeout(bad)


def test_good_timeouts() -> None:
    assert _as_timeout(2) == httpx.Timeout(2.0)
    custom = httpx.Timeout(1.0, connect=0.5)
    assert _as_timeout(custom) is custom


def test_keyword_arguments_are_every_parameter_but_self() -> None:
    class Client:
        def method(self, *, a: int, b: str | None = None) -> dict[str, Any]:
            return keyword_arguments(locals())

    assert Client().method(a=1) == {"a": 1, "b": None}


# -- every argument of a public method reaches its plan --------------------------------

CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="example")
JOB_ARN = "arn:aws:personalize:us-east-1:111122223333:batch-inference-job/nightly"
#: Valid arguments of the methods whose arguments reach their plan through
#: keyword_arguments (the required ones only).
VALID: dict[str, dict[str, Any]] = {
    "create_batch_inference_job": {
        "job_name": "nightly",
        "solution_version_arn": "arn:aws:personalize:us-east-1:111122223333:solution/s/v",
        "role_arn": "arn:aws:iam::111122223333:role/r",
        "job_input": "s3://bucket/in.json",
        "job_output": "s3://bucket/out/",
    },
    "list_batch_inference_jobs": {},
    "wait_for_batch_inference_job": {"arn": JOB_ARN},
}
#: Per method, per parameter: a value it refuses, and the start of the refusal (the name
#: the message gives it). Most are refused as a float; the waiter's numbers are floats.
BAD: dict[str, dict[str, tuple[object, str]]] = {
    "create_batch_inference_job": {
        name: (12.5, f"{name} (")
        for name in (
            "job_name",
            "solution_version_arn",
            "role_arn",
            "job_input",
            "job_output",
            "filter_arn",
            "num_results",
            "batch_inference_job_config",
            "batch_inference_job_mode",
            "theme_generation_config",
            "tags",
        )
    },
    "list_batch_inference_jobs": {
        "solution_version_arn": (12.5, "solution_version_arn ("),
        "page_size": (12.5, "page_size ("),
    },
    "wait_for_batch_inference_job": {
        "arn": (12.5, "batchInferenceJobArn "),
        "poll_interval": (-1.0, "poll_interval "),
        "timeout": (-1.0, "timeout "),
        "on_update": (12.5, "on_update "),
    },
}


def _parameters(client: type, method: str) -> list[str]:
    return [
        name for name in inspect.signature(getattr(client, method)).parameters if name != "self"
    ]


def test_the_table_covers_every_parameter_of_both_clients() -> None:
    for client in (PersonalizeClient, AsyncPersonalizeClient):
        for method, bad in BAD.items():
            assert _parameters(client, method) == list(bad), (client, method)


def _cases() -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, parameter, arguments with that parameter refused, expected message)."""
    return [
        (method, name, {**VALID[method], name: value}, "^" + re.escape(start))
        for method, bad in BAD.items()
        for name, (value, start) in bad.items()
    ]


class _Recorder:
    """A MockTransport handler that keeps every request (none may be sent here)."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(500)


def test_every_sync_argument_reaches_the_plan(aws_env: dict[str, str]) -> None:
    """An argument dropped on its way to the plan would be accepted whatever its value."""
    recorder = _Recorder()
    refused: list[str] = []
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with PersonalizeClient(
        region="us-east-1", credentials=CREDS, env=aws_env, http_client=http
    ) as client:
        for method, name, arguments, message in _cases():
            with pytest.raises(ParamValidationError, match=message):
                getattr(client, method)(**arguments)
            refused.append(f"{method}.{name}")
    http.close()
    assert len(refused) == 17
    assert recorder.sent == []


async def _maybe_await(result: object) -> object:
    """The list method is not async (it returns an async iterator); the others are."""
    return await result if inspect.isawaitable(result) else result


@pytest.mark.anyio
async def test_every_async_argument_reaches_the_plan(aws_env: dict[str, str]) -> None:
    recorder = _Recorder()
    refused: list[str] = []
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncPersonalizeClient(
        region="us-east-1", credentials=CREDS, env=aws_env, http_client=http
    ) as client:
        for method, name, arguments, message in _cases():
            with pytest.raises(ParamValidationError, match=message):
                await _maybe_await(getattr(client, method)(**arguments))
            refused.append(f"{method}.{name}")
    await http.aclose()
    assert len(refused) == 17
    assert recorder.sent == []


@pytest.mark.anyio
async def test_the_http_clients_we_create_are_made_by_httpx_client_as_it_is_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Instrumentation that replaces ``httpx.Client`` / ``httpx.AsyncClient`` after our
    import (opentelemetry-instrumentation-httpx before 0.44 does) must see our clients:
    the class is looked up when a client is made, not kept from import time."""

    class Client(httpx.Client):
        pass

    class AsyncClient(httpx.AsyncClient):
        pass

    monkeypatch.setattr(httpx, "Client", Client)
    monkeypatch.setattr(httpx, "AsyncClient", AsyncClient)
    options: dict[str, Any] = {
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:9",  # never reached: nothing is sent
        "credentials": Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="s" * 40),
        "env": {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"},
    }
    with PersonalizeClient(**options) as client:
        assert type(client._client) is Client
    async with AsyncPersonalizeClient(**options) as aclient:
        await aclient._ensure_ready()  # where the async client makes its HTTP client
        assert type(aclient._client) is AsyncClient
