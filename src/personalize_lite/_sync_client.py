"""The synchronous driver: runs plans over an ``httpx.Client`` and ``time.sleep``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import httpx

from ._call import Paginator, create, describe, wait
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    ThemeGenerationConfig,
)
from ._pages import JobSummaries
from ._steps import Blocking, Callback, Exclusive, Plan, Send
from ._transport import (
    POOL_LIMITS,
    TRANSPORT_EXCEPTIONS,
    BaseClient,
    build_request,
    map_transport_error,
    resume,
    tls_verify,
    to_response,
)

__all__ = ["PersonalizeClient"]

T = TypeVar("T")

#: What ``list_batch_inference_jobs`` returns (the same name in both clients, so their
#: signatures compare equal): an Iterator with close() here, an AsyncIterator with aclose()
#: in the other client.
SummaryIterator: TypeAlias = JobSummaries


class PersonalizeClient(BaseClient[httpx.Client]):
    """Amazon Personalize DescribeBatchInferenceJob, synchronously.

    Every keyword is optional; unset ones follow boto3's conventions (``AWS_*``
    variables, ``~/.aws/config`` and ``~/.aws/credentials``, profiles). Pass
    ``http_client`` to reuse your own ``httpx.Client``: you then own its lifetime.
    ``timeout`` (seconds or ``httpx.Timeout``) applies to every request we send.
    ``clock``, ``sleep``, ``jitter`` and ``env`` are injection points for tests.
    Configuration is read when the client is created.
    """

    _http_client_type = httpx.Client
    _default_sleep = staticmethod(time.sleep)

    def _setup(self) -> None:
        self._context = self._run(self._configure_plan())
        if self._client is None:
            self._client = httpx.Client(
                follow_redirects=False,
                limits=POOL_LIMITS,
                timeout=self._timeout,
                verify=tls_verify(self._context.endpoint.url, ca_bundle=self._context.ca_bundle),
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
        return self._run(
            wait(
                self._ready(),
                arn,
                poll_interval=poll_interval,
                timeout=timeout,
                on_update=on_update,
            )
        )

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
                    assert self._client is not None
                    try:
                        request = build_request(self._client, step, self._timeout)
                        value = to_response(self._client.send(request, follow_redirects=False))
                    except TRANSPORT_EXCEPTIONS as exc:
                        error = map_transport_error(exc)
                elif isinstance(step, Blocking):
                    try:
                        value = step.fn()
                    except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                        error = exc
                elif isinstance(step, Callback):
                    value = step.fn(step.arg)
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
                else:
                    self._sleep(step.seconds)
        finally:
            plan.close()  # a cancelled or failed run leaves no suspended plan behind

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_client and self._client is not None:
            self._client.close()

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
        return self._run(
            create(
                self._ready(),
                {
                    "job_name": job_name,
                    "solution_version_arn": solution_version_arn,
                    "role_arn": role_arn,
                    "job_input": job_input,
                    "job_output": job_output,
                    "filter_arn": filter_arn,
                    "num_results": num_results,
                    "batch_inference_job_config": batch_inference_job_config,
                    "batch_inference_job_mode": batch_inference_job_mode,
                    "theme_generation_config": theme_generation_config,
                    "tags": tags,
                },
            )
        )

    def list_batch_inference_jobs(
        self, *, solution_version_arn: str | None = None, page_size: int | None = None
    ) -> SummaryIterator:
        """Iterate over the batch inference jobs, optionally of one solution version.

        Lazy: a page (``page_size`` jobs, 1..100; the service's default is 100) is
        requested only when the previous one is used up; closing the iterator early
        requests nothing more. Invalid arguments raise ``ParamValidationError`` at once.
        """
        paginator = Paginator(
            {"solution_version_arn": solution_version_arn, "page_size": page_size}
        )
        return JobSummaries(
            lambda: self._run(paginator.next_page(self._ready())), lambda: paginator.done
        )
