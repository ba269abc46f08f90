"""Helpers for the create and list tests: one client per driver (sync in a worker thread,
async on asyncio with the aiohttp transport it creates, async on trio) pointed at a
loopback server, with backoff sleeps recorded instead of slept."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import httpx

from personalize_lite import AsyncPersonalizeClient, Credentials, PersonalizeClient, RetryConfig
from tests.support.drive import DRIVERS
from tests.support.fault_server import Seen, error_body, json_bytes

__all__ = [
    "ACCOUNT",
    "CREDS",
    "DRIVERS",
    "HANG",
    "JOB_ARN",
    "ROLE",
    "SV",
    "TIMEOUT",
    "Client",
    "Sleeps",
    "body",
    "client_for",
    "error_body",
    "json_bytes",
    "target",
]

CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="lifecycleSecretKeyEXAMPLE")
ACCOUNT = "123456789012"
SV = f"arn:aws:personalize:us-east-1:{ACCOUNT}:solution/shoes/abc123"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PersonalizeBatch"
JOB_ARN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:batch-inference-job/nightly-1"
TIMEOUT = 0.5
#: ``fail_after`` limit for one test: generous, so only a hang trips it.
HANG = 30.0


def target(seen: Seen) -> str:
    return seen.headers["x-amz-target"].removeprefix("AmazonPersonalize.")


def body(seen: Seen) -> dict[str, Any]:
    value = json.loads(seen.body)
    assert isinstance(value, dict)
    return value


class Sleeps:
    """Records backoff sleeps; never sleeps (async: one checkpoint)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sync(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def async_(self, seconds: float) -> None:
        self.slept.append(seconds)
        await anyio.lowlevel.checkpoint()


class Client:
    """The same calls on every driver: ``await client.call(name, **kwargs)`` runs the sync
    client's method in a worker thread, or awaits the async one."""

    def __init__(
        self, driver: str, sync: PersonalizeClient | None, aio: AsyncPersonalizeClient | None
    ) -> None:
        self.driver = driver
        self.sync = sync
        self.aio = aio

    async def create(self, **kwargs: Any) -> str:
        if self.sync is not None:
            sync = self.sync
            return await anyio.to_thread.run_sync(
                lambda: sync.create_batch_inference_job(**kwargs), abandon_on_cancel=True
            )
        assert self.aio is not None
        return await self.aio.create_batch_inference_job(**kwargs)

    async def in_thread(self, fn: Callable[[], Any]) -> Any:
        return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)


@asynccontextmanager
async def client_for(
    driver: str,
    env: dict[str, str],
    url: str,
    *,
    sleeps: Sleeps | None = None,
    attempts: int = 3,
    transport: Callable[[bool], httpx.BaseTransport | httpx.AsyncBaseTransport] | None = None,
) -> AsyncIterator[Client]:
    """A client of ``driver`` for ``url``. ``transport(is_async)``: an httpx transport to
    use instead of the client's own (wrapping a real one)."""
    sleeps = sleeps or Sleeps()
    kwargs: dict[str, Any] = {
        "region": "us-east-1",
        "credentials": CREDS,
        "env": env,
        "endpoint_url": url,
        "timeout": TIMEOUT,
        "retry": RetryConfig(max_attempts=attempts),
        "jitter": lambda: 0.5,
    }
    verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if driver == "sync":
        borrowed = None
        if transport is not None:
            sync_transport = transport(False)
            assert isinstance(sync_transport, httpx.BaseTransport)
            borrowed = httpx.Client(transport=sync_transport, verify=verify)
            kwargs["http_client"] = borrowed
        client = PersonalizeClient(sleep=sleeps.sync, **kwargs)
        try:
            yield Client(driver, client, None)
        finally:
            client.close()
            if borrowed is not None:
                borrowed.close()
        return
    aborrowed = None
    if transport is not None:
        async_transport = transport(True)
        assert isinstance(async_transport, httpx.AsyncBaseTransport)
        aborrowed = httpx.AsyncClient(transport=async_transport, verify=verify)
        kwargs["http_client"] = aborrowed
    async with AsyncPersonalizeClient(sleep=sleeps.async_, **kwargs) as aclient:
        try:
            yield Client(driver, None, aclient)
        finally:
            if aborrowed is not None:
                await aborrowed.aclose()
