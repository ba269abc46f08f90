"""The asynchronous driver: runs plans over an ``httpx.AsyncClient``, sleeping with
anyio (asyncio and trio) and running blocking steps in worker threads.

When the ``aiohttp`` extra is installed and the loop is asyncio, the client it creates
uses ``httpx_aiohttp.AiohttpTransport`` (measured ~7x cheaper per call than httpx's own
async pool at 50 requests in flight). aiohttp is imported only then.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
import anyio.to_thread
import httpx

from ._call import describe, wait
from ._errors import PersonalizeError
from ._models import BatchInferenceJob
from ._steps import Blocking, Callback, Exclusive, HttpResponse, Plan, Send
from ._transport import (
    POOL_LIMITS,
    TRANSPORT_EXCEPTIONS,
    BaseClient,
    map_transport_error,
    resume,
    tls_verify,
)

__all__ = ["AsyncPersonalizeClient"]

T = TypeVar("T")


def _running_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio (or no loop)
        return False
    return True


def _new_http_client(timeout: httpx.Timeout, verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    transport: httpx.AsyncBaseTransport | None = None
    if _running_asyncio():
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            pass
        else:
            transport = AiohttpTransport(verify=verify, limits=POOL_LIMITS)
    return httpx.AsyncClient(
        follow_redirects=False,
        limits=POOL_LIMITS,
        timeout=timeout,
        transport=transport,
        verify=verify,
    )


class AsyncPersonalizeClient(BaseClient[httpx.AsyncClient]):
    """Amazon Personalize DescribeBatchInferenceJob, for asyncio and trio.

    Takes the same keywords as :class:`PersonalizeClient` (``http_client`` is an
    ``httpx.AsyncClient``; ``sleep`` an async callable), ``max_response_bytes`` and
    ``attempt_timeout`` included. Here the attempt deadline cancels the whole exchange
    (connect, send, headers, body) on time, on asyncio and trio; it runs on the event
    loop's clock, while the between-chunk check uses the injectable one. Configuration
    (the AWS files) is read in a worker thread on first use, so the event loop never
    blocks.
    """

    _http_client_type = httpx.AsyncClient
    _default_sleep = staticmethod(anyio.sleep)

    def _setup(self) -> None:
        self._setup_lock = anyio.Lock()

    async def describe_batch_inference_job(self, arn: str) -> BatchInferenceJob:
        """Describe one batch inference job by ARN."""
        await self._ensure_ready()
        return await self._run(describe(self._ready(), arn))

    async def wait_for_batch_inference_job(
        self,
        arn: str,
        *,
        poll_interval: float = 30.0,
        timeout: float | None = None,
        on_update: Callable[[BatchInferenceJob], Any] | None = None,
    ) -> BatchInferenceJob:
        """Poll until the job is ``ACTIVE`` and return it (see the sync client).

        ``on_update`` may be a plain or an async callable. Cancelling the waiter (for
        example mid-sleep) leaves nothing running.
        """
        await self._ensure_ready()
        return await self._run(
            wait(
                self._ready(),
                arn,
                poll_interval=poll_interval,
                timeout=timeout,
                on_update=on_update,
            )
        )

    async def _ensure_ready(self) -> None:
        if self._context is not None and self._client is not None:
            return
        async with self._setup_lock:
            if self._context is None:
                self._context = await self._run(self._configure_plan())
            if self._client is None:
                self._client = _new_http_client(
                    self._timeout,
                    tls_verify(self._context.endpoint.url, ca_bundle=self._context.ca_bundle),
                )

    async def _run(self, plan: Plan[T]) -> T:
        try:
            value: Any = None
            error: BaseException | None = None
            while True:
                try:
                    step = resume(plan, value, error)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                value = error = None
                if isinstance(step, Send):
                    try:
                        value = await self._send(step)
                    except PersonalizeError as exc:  # too large, or past the attempt deadline
                        error = exc
                    except TRANSPORT_EXCEPTIONS as exc:
                        error = map_transport_error(exc)
                    except Exception as exc:
                        # httpx-aiohttp re-raises the aiohttp errors it does not map (a
                        # malformed reply's ClientResponseError); anything else is a bug.
                        if not type(exc).__module__.startswith("aiohttp"):
                            raise
                        error = map_transport_error(exc)
                elif isinstance(step, Blocking):
                    try:
                        value = await anyio.to_thread.run_sync(step.fn)
                    except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                        error = exc
                elif isinstance(step, Callback):
                    value = step.fn(step.arg)
                    if inspect.isawaitable(value):
                        value = await value
                elif isinstance(step, Exclusive):
                    if step.lock.async_lock is None:  # no await in between: no race in one loop
                        step.lock.async_lock = anyio.Lock()
                    if not step.wait and step.lock.async_lock.locked():
                        step.plan.close()  # held by another task, and told not to wait
                        value = step.busy
                    else:
                        async with step.lock.async_lock:
                            try:
                                value = await self._run(step.plan)
                            except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                                error = exc
                else:
                    await self._sleep(step.seconds)
        finally:
            plan.close()  # a cancelled or failed run leaves no suspended plan behind

    async def _send(self, step: Send) -> HttpResponse:
        """One attempt: the body streamed into the shared Exchange (cap, decoding, deadline
        checked between chunks), the whole exchange cancelled at the deadline.

        The body is read raw and decoded by the Exchange, in plain synchronous code: httpx
        decoding inside its async generators left them suspended when a corrupt
        Content-Encoding raised (trio warns as it collects them). For the same reason a
        read is never left by an exception or a break: the Exchange says stop and the
        read is cancelled, which ends inside httpx's generators and finishes them all. The
        raw iterator and the response are closed shielded.
        """
        assert self._client is not None
        exchange = self._exchange(step)
        with anyio.move_on_after(exchange.seconds) as deadline:
            response = await self._client.send(
                exchange.request, stream=True, follow_redirects=False
            )
            chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
            try:
                if exchange.start(response):
                    with anyio.CancelScope() as reading:
                        async for chunk in chunks:
                            if not exchange.feed(chunk):
                                reading.cancel()  # ends the read inside httpx's generators
            finally:
                with anyio.CancelScope(shield=True):
                    await chunks.aclose()
                    await response.aclose()
        if deadline.cancelled_caught:
            raise exchange.timed_out()
        return exchange.finish()

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
