"""The asynchronous driver: runs plans over an ``httpx.AsyncClient``, sleeping with
anyio (asyncio and trio) and running blocking steps in worker threads.

When the ``aiohttp`` extra is installed and the loop is asyncio, the client it creates
uses ``httpx_aiohttp.AiohttpTransport`` (measured ~7x cheaper per call than httpx's own
async pool at 50 requests in flight). aiohttp is imported only then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx

from ._call import describe
from ._errors import ParamValidationError
from ._models import BatchInferenceJob
from ._retry import RetryConfig
from ._steps import Blocking, Plan, Send
from ._transport import (
    TRANSPORT_EXCEPTIONS,
    ClientCore,
    build_request,
    map_transport_error,
    resume,
    to_response,
)

__all__ = ["AsyncPersonalizeClient"]

T = TypeVar("T")


def _running_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio (or no loop)
        return False
    return True


def _new_http_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
    transport: httpx.AsyncBaseTransport | None = None
    if _running_asyncio():
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            pass
        else:
            transport = AiohttpTransport()
    return httpx.AsyncClient(follow_redirects=False, timeout=timeout, transport=transport)


class AsyncPersonalizeClient:
    """Amazon Personalize DescribeBatchInferenceJob, for asyncio and trio.

    Takes the same keywords as :class:`PersonalizeClient` (``http_client`` is an
    ``httpx.AsyncClient``; ``sleep`` an async callable). Configuration (the AWS files)
    is read in a worker thread on first use, so the event loop never blocks.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        credentials: Any = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        use_fips: bool | None = None,
        use_dualstack: bool | None = None,
        retry: RetryConfig | None = None,
        timeout: float | httpx.Timeout = 60.0,
        http_client: httpx.AsyncClient | None = None,
        allow_http: bool = False,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ParamValidationError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
            )
        self._core = ClientCore(
            region=region,
            credentials=credentials,
            profile=profile,
            endpoint_url=endpoint_url,
            use_fips=use_fips,
            use_dualstack=use_dualstack,
            retry=retry,
            timeout=timeout,
            allow_http=allow_http,
            clock=clock,
            jitter=jitter,
            env=env,
        )
        self._sleep = sleep or anyio.sleep
        self._owns_client = http_client is None
        self._client = http_client
        self._setup_lock = anyio.Lock()

    @property
    def endpoint_url(self) -> str:
        """The resolved endpoint (available once the client is entered or has made a call)."""
        return self._core.ready().endpoint.url

    async def describe_batch_inference_job(self, arn: str) -> BatchInferenceJob:
        """Describe one batch inference job by ARN."""
        await self._ensure_ready()
        return await self._run(describe(self._core.ready(), arn))

    async def _ensure_ready(self) -> None:
        if self._core.context is not None and self._client is not None:
            return
        async with self._setup_lock:
            if self._core.context is None:
                self._core.context = await self._run(self._core.configure_plan())
            if self._client is None:
                self._client = _new_http_client(self._core.timeout)

    async def _run(self, plan: Plan[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = resume(plan, value, error)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            value = error = None
            if isinstance(step, Send):
                assert self._client is not None
                try:
                    request = build_request(self._client, step.request, self._core.timeout)
                    value = to_response(await self._client.send(request, follow_redirects=False))
                except TRANSPORT_EXCEPTIONS as exc:
                    error = map_transport_error(exc)
            elif isinstance(step, Blocking):
                try:
                    value = await anyio.to_thread.run_sync(step.fn)
                except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                    error = exc
            else:
                await self._sleep(step.seconds)

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncPersonalizeClient:
        await self._ensure_ready()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return self._core.describe_repr(type(self).__name__)
