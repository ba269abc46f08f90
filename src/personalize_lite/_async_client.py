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
from collections.abc import AsyncGenerator, Callable, Mapping
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import anyio
import anyio.to_thread
import httpx

from ._call import Paginator, create, describe, wait
from ._client_base import BaseClient, keyword_arguments
from ._errors import PersonalizeError
from ._httpx import POOL_LIMITS, tls_verify
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobSummary,
    ThemeGenerationConfig,
)
from ._pages import AsyncJobSummaries
from ._proxies import AsyncProxyRouter, ProxyRoutes, aiohttp_forward_auth
from ._steps import (
    Blocking,
    Callback,
    Exclusive,
    HttpResponse,
    Plan,
    Send,
    Sleep,
    assert_never,
    resume,
)
from ._transport_errors import TRANSPORT_EXCEPTIONS, map_transport_error

__all__ = ["AsyncPersonalizeClient"]

T = TypeVar("T")

#: What ``list_batch_inference_jobs`` returns (the same name in both clients, so their
#: signatures compare equal): an Iterator with close() here, an AsyncIterator with aclose()
#: in the other client.
SummaryIterator: TypeAlias = AsyncJobSummaries


def _running_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio (or no loop)
        return False
    return True


def _transport_maker(
    verify: ssl.SSLContext | bool,
) -> Callable[[httpx.Proxy | None], httpx.AsyncBaseTransport]:
    """What makes our client's transports (one per proxy, or the direct one):
    httpx-aiohttp's on asyncio when installed, else httpx's own. Proxies by our rule
    (``_proxies.py``), never by httpx's or aiohttp's ``trust_env`` (aiohttp's sessions do
    not read the environment by default)."""
    ssl_context = httpx.create_ssl_context(verify=verify)

    def make(proxy: httpx.Proxy | None) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(verify=ssl_context, limits=POOL_LIMITS, proxy=proxy)

    if _running_asyncio():
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            pass
        else:

            def make(proxy: httpx.Proxy | None) -> httpx.AsyncBaseTransport:
                transport = AiohttpTransport(verify=ssl_context, limits=POOL_LIMITS, proxy=proxy)
                return aiohttp_forward_auth(transport, proxy)

    return make


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
    _direct_transport = staticmethod(httpx.AsyncHTTPTransport)

    def _setup(self) -> None:
        self._setup_lock = anyio.Lock()
        # Read now, so a bad proxy URL fails here; unused with your own http_client.
        self._routes = ProxyRoutes.from_env(self._env) if self._client is None else None

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
        params = keyword_arguments(locals())
        await self._ensure_ready()
        return await self._run(wait(self._ready(), **params))

    async def _ensure_ready(self) -> None:
        if self._context is not None and self._client is not None:
            return
        async with self._setup_lock:
            if self._context is None:
                self._context = await self._run(self._configure_plan())
            if self._client is None:
                assert self._routes is not None
                make = _transport_maker(
                    tls_verify(self._context.endpoint.url, ca_bundle=self._context.ca_bundle)
                )
                self._client = self._new_http_client(
                    AsyncProxyRouter(self._routes, make) if self._routes else make(None)
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
                elif isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                else:
                    assert_never(step)
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
        client = self._direct() if step.direct else self._client
        exchange = self._exchange(client, step)
        with anyio.move_on_after(exchange.seconds) as deadline:
            response = await client.send(exchange.request, stream=True, follow_redirects=False)
            # aiter_raw() is typed as an AsyncIterator; it is an async generator (aclose()).
            chunks: AsyncGenerator[bytes, None] = response.aiter_raw()  # type: ignore[assignment]
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
        for http in self._owned_clients():
            await http.aclose()

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

    async def create_batch_inference_job(
        self,
        *,
        job_name: str,
        solution_version_arn: str,
        role_arn: str,
        job_input: BatchInferenceJobInput | str,
        job_output: BatchInferenceJobOutput | str,
        filter_arn: str | None = None,
        num_results: int | None = None,
        batch_inference_job_config: BatchInferenceJobConfig | None = None,
        batch_inference_job_mode: str | None = None,
        theme_generation_config: ThemeGenerationConfig | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Create a batch inference job and return its ARN (see the sync client).

        ``job_input`` / ``job_output``: the models, or an ``s3://`` path (no KMS key).
        ``tags``: tag key -> value. Invalid arguments raise ``ParamValidationError``
        before anything is sent. Safe to retry: when an attempt's outcome is unknown
        (a 5xx, a read timeout, a lost connection) and the retry answers
        ``ResourceAlreadyExistsException``, the existing job is described and its ARN
        returned if it is the job asked for (solution version, input and output paths,
        role, mode); otherwise the exception is raised.
        """
        params = keyword_arguments(locals())
        await self._ensure_ready()
        return await self._run(create(self._ready(), params))

    def list_batch_inference_jobs(
        self, *, solution_version_arn: str | None = None, page_size: int | None = None
    ) -> SummaryIterator:
        """Asynchronously iterate over the batch inference jobs, optionally of one solution version.

        Lazy: a page (``page_size`` jobs, 1..100; the service's default is 100) is
        requested only when the previous one is used up; closing the iterator early
        requests nothing more. Invalid arguments raise ``ParamValidationError`` at once.
        """
        paginator = Paginator(keyword_arguments(locals()))

        async def fetch() -> tuple[BatchInferenceJobSummary, ...]:
            await self._ensure_ready()
            return await self._run(paginator.next_page(self._ready()))

        return AsyncJobSummaries(fetch, lambda: paginator.done, paginator.close)
