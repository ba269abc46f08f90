"""list_batch_inference_jobs on every driver (sync, asyncio, trio) against a real loopback
server: pagination, laziness (requests counted as the caller iterates), early close,
a repeated nextToken, page_size and the solution-version filter, aware UTC datetimes,
retries within a page, and an abandoned async iterator leaving nothing suspended."""

from __future__ import annotations

import gc
import inspect
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

import personalize_lite
from personalize_lite import (
    AsyncPersonalizeClient,
    BatchInferenceJobSummary,
    InvalidNextTokenException,
    ParamValidationError,
    PersonalizeClient,
    ResponseParseError,
)
from personalize_lite._pages import AsyncJobSummaries, JobSummaries
from tests.support.fault_server import FaultServer, Reply, Silent
from tests.support.lifecycle import (
    ACCOUNT,
    HANG,
    SV,
    Client,
    Sleeps,
    body,
    client_for,
    error_body,
    json_bytes,
    target,
)

pytestmark = pytest.mark.anyio

_END = object()
JOBS = f"arn:aws:personalize:us-east-1:{ACCOUNT}:batch-inference-job"


def summary(name: str, created: float = 1700000000.0) -> dict[str, Any]:
    return {
        "batchInferenceJobArn": f"{JOBS}/{name}",
        "jobName": name,
        "status": "ACTIVE",
        "creationDateTime": created,
        "lastUpdatedDateTime": "2023-11-14T22:13:20.5+01:00",
        "solutionVersionArn": SV,
        "batchInferenceJobMode": "BATCH_INFERENCE",
    }


def page(names: list[str], token: str | None = None) -> Reply:
    payload: dict[str, Any] = {"batchInferenceJobs": [summary(n) for n in names]}
    if token is not None:
        payload["nextToken"] = token
    return Reply(200, json_bytes(payload), headers=[("x-amzn-RequestId", "rid")])


THREE_PAGES = (page(["a", "b"], "t1"), page(["c", "d"], "t2"), page(["e"]))


class Lister:
    """One listing on any driver: ``await lister.next()`` is an item or ``_END``."""

    def __init__(self, client: Client, **kwargs: Any) -> None:
        self.client = client
        if client.sync is not None:
            self.sync_it: JobSummaries | None = client.sync.list_batch_inference_jobs(**kwargs)
            self.async_it: AsyncJobSummaries | None = None
        else:
            assert client.aio is not None
            self.sync_it = None
            self.async_it = client.aio.list_batch_inference_jobs(**kwargs)

    async def next(self) -> Any:
        if self.sync_it is not None:
            it = self.sync_it
            return await self.client.in_thread(lambda: next(it, _END))
        assert self.async_it is not None
        try:
            return await self.async_it.__anext__()
        except StopAsyncIteration:
            return _END

    async def close(self) -> None:
        if self.sync_it is not None:
            self.sync_it.close()
        else:
            assert self.async_it is not None
            await self.async_it.aclose()

    async def rest(self) -> list[BatchInferenceJobSummary]:
        items = []
        while (item := await self.next()) is not _END:
            items.append(item)
        return items


async def test_pages_are_requested_one_at_a_time_as_the_caller_iterates(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(*THREE_PAGES)
    requests_before_each_item = []
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            lister = Lister(client)
            assert len(server.requests) == 0  # building the iterator sends nothing
            names = []
            while True:
                item = await lister.next()
                requests_before_each_item.append(len(server.requests))
                if item is _END:
                    break
                names.append(item.job_name)
            assert await lister.next() is _END
    assert names == ["a", "b", "c", "d", "e"]
    # Requests seen after each item (and after the end): a page per two items.
    assert requests_before_each_item == [1, 1, 2, 2, 3, 3]
    assert len(server.requests) == 3
    assert all(target(seen) == "ListBatchInferenceJobs" for seen in server.requests)
    assert [body(seen) for seen in server.requests] == [
        {},
        {"nextToken": "t1"},
        {"nextToken": "t2"},
    ]


async def test_closing_early_requests_nothing_more(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(*THREE_PAGES)
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            lister = Lister(client)
            first = await lister.next()
            await lister.close()
            after = await lister.next()
    assert first.job_name == "a"
    assert after is _END
    assert len(server.requests) == 1


async def test_page_size_and_filter_go_on_every_page(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(*THREE_PAGES)
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            items = await Lister(client, solution_version_arn=SV, page_size=2).rest()
    assert len(items) == 5
    assert [body(seen) for seen in server.requests] == [
        {"solutionVersionArn": SV, "maxResults": 2},
        {"solutionVersionArn": SV, "nextToken": "t1", "maxResults": 2},
        {"solutionVersionArn": SV, "nextToken": "t2", "maxResults": 2},
    ]


async def test_summaries_carry_aware_utc_datetimes(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(page(["a"]))
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            [job] = await Lister(client).rest()
    assert job == BatchInferenceJobSummary(
        batch_inference_job_arn=f"arn:aws:personalize:us-east-1:{ACCOUNT}:batch-inference-job/a",
        job_name="a",
        status="ACTIVE",
        creation_date_time=datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc),
        last_updated_date_time=datetime(2023, 11, 14, 21, 13, 20, 500000, tzinfo=timezone.utc),
        failure_reason=None,
        solution_version_arn=SV,
        batch_inference_job_mode="BATCH_INFERENCE",
    )
    assert job.creation_date_time is not None
    assert job.creation_date_time.tzinfo is timezone.utc
    assert job.last_updated_date_time is not None
    assert job.last_updated_date_time.tzinfo is timezone.utc


@pytest.mark.parametrize(
    ("script", "delivered", "requests"),
    [
        # t1 -> t2 -> t1: a cycle.
        ((page(["a"], "t1"), page(["b"], "t2"), page(["c"], "t1")), ["a", "b"], 3),
        # The token sent comes back.
        ((page(["a"], "t1"), page(["b"], "t1")), ["a"], 2),
    ],
    ids=["cycle", "same token again"],
)
async def test_a_repeated_next_token_is_an_error_not_a_loop(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    script: tuple[Reply, ...],
    delivered: list[str],
    requests: int,
) -> None:
    server = serve(*script)
    names: list[str | None] = []
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            lister = Lister(client)

            async def drain() -> None:
                while (item := await lister.next()) is not _END:
                    names.append(item.job_name)

            with pytest.raises(ResponseParseError) as caught:
                await drain()
            assert await lister.next() is _END  # finished after the error
    assert caught.value.path == "nextToken"
    assert "returned before" in str(caught.value)
    assert names == delivered
    assert len(server.requests) == requests


async def test_a_page_is_retried_as_one_call(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(page(["a"], "t1"), Reply(503), page(["b"]))
    sleeps = Sleeps()
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url, sleeps=sleeps) as client:
            items = await Lister(client).rest()
    assert [i.job_name for i in items] == ["a", "b"]
    assert sleeps.slept == [0.5]
    assert [body(seen) for seen in server.requests] == [
        {},
        {"nextToken": "t1"},
        {"nextToken": "t1"},
    ]
    assert [seen.headers["amz-sdk-request"] for seen in server.requests] == [
        "attempt=1; max=3",
        "attempt=1; max=3",
        "attempt=2; max=3",
    ]


async def test_a_refused_token_raises_the_typed_error(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(page(["a"], "t1"), Reply(400, error_body("InvalidNextTokenException")))
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            lister = Lister(client)
            assert (await lister.next()).job_name == "a"
            with pytest.raises(InvalidNextTokenException) as caught:
                await lister.next()
    assert len(caught.value.attempts) == 1
    assert len(server.requests) == 2


async def test_an_empty_listing_is_one_request(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(Reply(200, b"{}"))
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            assert await Lister(client).rest() == []
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"page_size": 0}, "page_size (maxResults)"),
        ({"page_size": 101}, "page_size (maxResults)"),
        ({"solution_version_arn": "solution/x"}, "solution_version_arn (solutionVersionArn)"),
    ],
)
async def test_invalid_arguments_raise_at_the_call_and_send_nothing(
    driver: str,
    aws_env: dict[str, str],
    serve: Callable[..., FaultServer],
    kwargs: dict[str, Any],
    names: str,
) -> None:
    server = serve(page(["a"]))
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            with pytest.raises(ParamValidationError) as caught:
                Lister(client, **kwargs)
    assert names in str(caught.value)
    assert server.connections == 0


_PACKAGE_DIR = str(Path(personalize_lite.__file__).resolve().parent) + os.sep


def _suspended_in_package() -> list[object]:
    """Coroutines and async generators of personalize_lite left suspended."""
    found: list[object] = []
    for obj in gc.get_objects():
        if inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == "CORO_SUSPENDED":
            code = obj.cr_code
        elif inspect.isasyncgen(obj) and obj.ag_frame is not None:  # started, not finished
            code = obj.ag_code
        elif inspect.isgenerator(obj) and inspect.getgeneratorstate(obj) == "GEN_SUSPENDED":
            code = obj.gi_code
        else:
            continue
        # Our package's own files only: a checkout or an unpacked sdist may itself sit in
        # a folder named personalize_lite-X.Y (the matrix runs the tests from one).
        if code.co_filename.startswith(_PACKAGE_DIR):
            found.append(obj)
    return found


@pytest.mark.parametrize("driver", ["asyncio", "trio"])
async def test_an_abandoned_async_iterator_leaves_nothing_suspended(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(*THREE_PAGES)
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            assert client.aio is not None
            it = client.aio.list_batch_inference_jobs()
            assert (await it.__anext__()).job_name == "a"
            assert _suspended_in_package() == []  # between pages: no frame held
            del it
            gc.collect()
            await anyio.sleep(0)
            assert _suspended_in_package() == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("driver", ["asyncio", "trio"])
async def test_a_cancelled_page_request_leaves_nothing_suspended(
    driver: str, aws_env: dict[str, str], serve: Callable[..., FaultServer]
) -> None:
    server = serve(page(["a"], "t1"), Silent())
    with anyio.fail_after(HANG):
        async with client_for(driver, aws_env, server.url) as client:
            assert client.aio is not None
            it = client.aio.list_batch_inference_jobs()
            assert (await it.__anext__()).job_name == "a"
            with anyio.move_on_after(0.1):
                await it.__anext__()  # the silent server: cancelled mid-request
            gc.collect()
            assert _suspended_in_package() == []
            with pytest.raises(StopAsyncIteration):  # finished after the cancellation
                await it.__anext__()
    assert len(server.requests) == 2


def test_the_sync_client_returns_an_iterator_and_the_async_one_an_async_iterator(
    aws_env: dict[str, str],
) -> None:
    sync = PersonalizeClient(region="us-east-1", env=aws_env, credentials=None)
    aio = AsyncPersonalizeClient(region="us-east-1", env=aws_env)
    it = sync.list_batch_inference_jobs()
    ait = aio.list_batch_inference_jobs()
    assert isinstance(it, Iterator)
    assert isinstance(ait, AsyncIterator)
    assert not isinstance(ait, Iterator)
    assert not inspect.iscoroutinefunction(AsyncPersonalizeClient.list_batch_inference_jobs)
    assert inspect.iscoroutinefunction(AsyncPersonalizeClient.create_batch_inference_job)
    sync.close()
