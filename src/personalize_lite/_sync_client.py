"""The synchronous driver: runs plans over an ``httpx.Client`` and ``time.sleep``."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Generator, Mapping
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import httpx

from ._call import Paginator, create, describe, wait
from ._client_base import BaseClient, keyword_arguments
from ._deadline import begin as begin_deadline
from ._deadline import end as end_deadline
from ._deadline import passed as deadline_passed
from ._errors import ParamValidationError, PersonalizeError
from ._httpx import POOL_LIMITS, tls_verify
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    ThemeGenerationConfig,
)
from ._pages import JobSummaries
from ._proxies import ProxyRouter, ProxyRoutes
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

__all__ = ["PersonalizeClient"]


def _bounded(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """``transport`` with every socket operation ending by the attempt deadline; httpcore
    (and what it loads) is imported only here, when a client builds its transport."""
    from ._deadline_backend import bounded

    return bounded(transport)


def _new_direct_transport() -> httpx.HTTPTransport:
    """The private direct client's transport, bounded by the attempt deadline too."""
    return _bounded(httpx.HTTPTransport())


T = TypeVar("T")


_CANNOT_AWAIT = (
    "on_update returns an awaitable, which PersonalizeClient cannot await: pass a plain "
    "callable, or use AsyncPersonalizeClient"
)


def _not_awaited(awaitable: object) -> ParamValidationError:
    """The error for a callback (``on_update``) that returned an awaitable: this client
    cannot await it. A coroutine is closed, so it is not left to warn unawaited."""
    if inspect.iscoroutine(awaitable):
        awaitable.close()
    return ParamValidationError(_CANNOT_AWAIT)


#: What ``list_batch_inference_jobs`` returns (the same name in both clients, so their
#: signatures compare equal): an Iterator with close() here, an AsyncIterator with aclose()
#: in the other client.
SummaryIterator: TypeAlias = JobSummaries


class PersonalizeClient(BaseClient[httpx.Client]):
    """Amazon Personalize DescribeBatchInferenceJob, synchronously.

    Every keyword is optional; unset ones follow boto3's conventions (``AWS_*``
    variables, ``~/.aws/config`` and ``~/.aws/credentials``, profiles). Pass
    ``http_client`` to reuse your own ``httpx.Client``: you then own its lifetime.
    ``timeout`` (seconds or ``httpx.Timeout``) applies to every request we send: each
    connect, read and write. ``attempt_timeout`` (seconds) bounds one whole attempt
    (connect, send, headers, body) however slowly the bytes arrive; None (the default)
    means twice the largest phase of ``timeout`` (120 s for the default 60), and twice a
    credential request's own timeout. A late attempt raises ``ReadTimeoutError`` and is
    retried as one. Over the HTTP clients this client creates every connect, read and
    write ends by that deadline; over your own ``http_client``, the deadline is checked
    between body chunks, so an attempt ends within ``attempt_timeout`` plus one read
    timeout (and its header block is bounded by your read timeout per read only).
    ``max_response_bytes`` (default 16 MiB) caps every reply, counted after decoding: past
    it reading stops and ``ResponseTooLargeError`` is raised, not retried. We ask for no
    compression (``Accept-Encoding: identity``); a reply compressed anyway is decoded
    incrementally.
    ``clock``, ``sleep``, ``jitter`` and ``env`` are injection points for tests.
    Configuration is read when the client is created.
    """

    _http_client_type = httpx.Client
    _default_sleep = staticmethod(time.sleep)
    _direct_transport = staticmethod(_new_direct_transport)

    def _setup(self) -> None:
        routes = ProxyRoutes.from_env(self._env) if self._client is None else None
        self._context = self._run(self._configure_plan())
        if routes is not None:
            # Our proxy rule (_proxies.py), not httpx's trust_env: one rule for every transport.
            ssl_context = httpx.create_ssl_context(
                verify=tls_verify(self._context.endpoint.url, ca_bundle=self._context.ca_bundle)
            )

            def make(proxy: httpx.Proxy | None) -> httpx.BaseTransport:
                # Every socket operation ends by the attempt deadline (_deadline.py).
                return _bounded(
                    httpx.HTTPTransport(verify=ssl_context, limits=POOL_LIMITS, proxy=proxy)
                )

            self._client = self._new_http_client(
                ProxyRouter(routes, make) if routes else make(None)
            )

    def describe_batch_inference_job(self, arn: str) -> BatchInferenceJob:
        """Describe one batch inference job by ARN."""
        return self._run(describe(self._ready(), arn))

    def wait_for_batch_inference_job(
        self,
        arn: str,
        *,
        poll_interval: float = 30.0,
        timeout: float | None = None,
        on_update: Callable[[BatchInferenceJob], Any] | None = None,
    ) -> BatchInferenceJob:
        """Poll until the job is ``ACTIVE`` and return it.

        Raises ``BatchInferenceJobFailed`` on ``CREATE FAILED``, ``WaiterTimeoutError``
        after ``timeout`` seconds, ``ResourceNotFoundException`` at once for a missing
        job. ``on_update(job)`` is called on every status change.
        """
        params = keyword_arguments(locals())
        if inspect.iscoroutinefunction(on_update):  # known before anything is sent
            raise ParamValidationError(_CANNOT_AWAIT)
        return self._run(wait(self._ready(), **params))

    def _run(self, plan: Plan[T]) -> T:
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
                        value = self._send(step)
                    except PersonalizeError as exc:  # too large, or past the attempt deadline
                        error = exc
                    except TRANSPORT_EXCEPTIONS as exc:
                        error = map_transport_error(exc)
                elif isinstance(step, Blocking):
                    try:
                        value = step.fn()
                    except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                        error = exc
                elif isinstance(step, Callback):
                    value = step.fn(step.arg)
                    if inspect.isawaitable(value):
                        value, error = None, _not_awaited(value)
                elif isinstance(step, Exclusive):
                    lock = step.lock.thread_lock
                    if not lock.acquire(blocking=step.wait):
                        step.plan.close()  # held by another thread, and told not to wait
                        value = step.busy
                    else:
                        try:
                            value = self._run(step.plan)
                        except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                            error = exc
                        finally:
                            lock.release()
                elif isinstance(step, Sleep):
                    self._sleep(step.seconds)
                else:
                    assert_never(step)
        finally:
            plan.close()  # a cancelled or failed run leaves no suspended plan behind

    def _send(self, step: Send) -> HttpResponse:
        """One attempt: the body streamed into the shared Exchange (cap, decoding, deadline
        checked between chunks with the client's clock). Over the transports we create,
        every connect, read and write also ends by the deadline on real time
        (``_deadline.py``), so a head or body dripping in cannot outlive it; over your
        own ``http_client`` a blocked read is bounded by its read timeout only."""
        assert self._client is not None
        client = self._direct() if step.direct else self._client
        exchange = self._exchange(client, step)
        previous = begin_deadline(exchange.seconds)
        late = False
        try:
            response = client.send(exchange.request, stream=True, follow_redirects=False)
            # iter_raw() is typed as an Iterator; it is a generator (close() below).
            chunks: Generator[bytes, None, None] = response.iter_raw()  # type: ignore[assignment]
            try:
                if exchange.start(response):
                    for chunk in chunks:
                        if not exchange.feed(chunk):
                            break  # too large, undecodable or late: finish() raises why
            finally:
                chunks.close()
                response.close()
        except httpx.TimeoutException:
            if not deadline_passed():
                raise  # a phase timeout: mapped by _run
            late = True
        finally:
            end_deadline(previous)
        if late:  # raised here, outside the handler: nothing (no request) on its chain
            raise exchange.timed_out()
        return exchange.finish()

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        for http in self._owned_clients():
            http.close()

    def __enter__(self) -> PersonalizeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def create_batch_inference_job(
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
        """Create a batch inference job and return its ARN.

        ``job_input`` / ``job_output``: the models, or an ``s3://`` path (no KMS key).
        ``tags``: tag key -> value. Invalid arguments raise ``ParamValidationError``
        before anything is sent. Safe to retry: when an attempt's outcome is unknown
        (a 5xx, a read timeout, a lost connection) and the retry answers
        ``ResourceAlreadyExistsException``, the existing job is described and its ARN
        returned if it is the job asked for (solution version, input and output paths,
        role, mode); otherwise the exception is raised.
        """
        params = keyword_arguments(locals())
        return self._run(create(self._ready(), params))

    def list_batch_inference_jobs(
        self, *, solution_version_arn: str | None = None, page_size: int | None = None
    ) -> SummaryIterator:
        """Iterate over the batch inference jobs, optionally of one solution version.

        Lazy: a page (``page_size`` jobs, 1..100; the service's default is 100) is
        requested only when the previous one is used up; closing the iterator early
        requests nothing more. Invalid arguments raise ``ParamValidationError`` at once.
        """
        paginator = Paginator(keyword_arguments(locals()))
        return JobSummaries(
            lambda: self._run(paginator.next_page(self._ready())),
            lambda: paginator.done,
            paginator.close,
        )
