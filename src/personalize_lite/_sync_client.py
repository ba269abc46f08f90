"""The synchronous driver: runs plans over an ``httpx.Client`` and ``time.sleep``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

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

__all__ = ["PersonalizeClient"]

T = TypeVar("T")


class PersonalizeClient:
    """Amazon Personalize DescribeBatchInferenceJob, synchronously.

    Every keyword is optional; unset ones follow boto3's conventions (``AWS_*``
    variables, ``~/.aws/config`` and ``~/.aws/credentials``, profiles). Pass
    ``http_client`` to reuse your own ``httpx.Client``: you then own its lifetime.
    ``timeout`` (seconds or ``httpx.Timeout``) applies to every request we send.
    ``clock``, ``sleep`` and ``jitter`` are injection points for tests.
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
        http_client: httpx.Client | None = None,
        allow_http: bool = False,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ParamValidationError(
                f"http_client must be an httpx.Client, got {type(http_client).__name__}"
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
        self._sleep = sleep or time.sleep
        self._owns_client = http_client is None
        self._client = http_client
        self._core.context = self._run(self._core.configure_plan())
        if self._client is None:
            self._client = httpx.Client(follow_redirects=False, timeout=self._core.timeout)

    @property
    def endpoint_url(self) -> str:
        """The resolved endpoint, e.g. ``https://personalize.us-east-1.amazonaws.com``."""
        return self._core.ready().endpoint.url

    def describe_batch_inference_job(self, arn: str) -> BatchInferenceJob:
        """Describe one batch inference job by ARN."""
        return self._run(describe(self._core.ready(), arn))

    def _run(self, plan: Plan[T]) -> T:
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
                    value = to_response(self._client.send(request, follow_redirects=False))
                except TRANSPORT_EXCEPTIONS as exc:
                    error = map_transport_error(exc)
            elif isinstance(step, Blocking):
                try:
                    value = step.fn()
                except Exception as exc:  # noqa: BLE001 - handed to the plan, which decides
                    error = exc
            else:
                self._sleep(step.seconds)

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

    def __repr__(self) -> str:
        return self._core.describe_repr(type(self).__name__)
