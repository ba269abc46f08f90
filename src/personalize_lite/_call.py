"""The call plans: everything a call decides, with no I/O.

:func:`configure` turns the client's keywords into a :class:`CallContext` (reading the
AWS files through a ``Blocking`` step). :func:`describe` is the DescribeBatchInferenceJob
plan: validate, get credentials, then per attempt build, sign (afresh, with a fresh
``X-Amz-Date``), ``Send``, decode, classify, and either return, correct the clock and
re-sign once, ``Sleep`` and retry, or raise with the attempt history attached.

The drivers (``_sync_client``, ``_async_client``) only send, sleep and run blocking
callables. Time, jitter and ids come from the context, so tests replay any scenario
without sleeping.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final

import attrs
import cattrs

from ._chain import as_provider
from ._checks import positive_seconds
from ._config import load_aws_files, resolve_settings
from ._converter import default_converter
from ._credentials import CredentialCache, Credentials, ProviderContext
from ._endpoints import Endpoint, resolve_endpoint
from ._errors import (
    BatchInferenceJobFailed,
    ConfigurationError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    TransportError,
    WaiterTimeoutError,
)
from ._json_protocol import (
    CONTENT_TYPE,
    OPERATION,
    TARGET,
    decode_error,
    decode_job,
    request_body,
    request_id_of,
    validate_arn,
)
from ._models import BatchInferenceJob
from ._retry import DEFAULT_MAX_ATTEMPTS, Attempt, RetryConfig, RetryQuota, is_clock_skew_code
from ._sigv4 import sign_headers
from ._steps import Blocking, Callback, HttpRequest, HttpResponse, Plan, Send, Sleep

__all__ = [
    "CallContext",
    "ClientOptions",
    "ClockSkew",
    "configure",
    "describe",
    "wait",
]

logger = logging.getLogger("personalize_lite")
# A library logs nothing unless the application configures logging (no lastResort output).
logger.addHandler(logging.NullHandler())

#: A server ``Date`` further than this from our clock counts as skew.
_SKEW_THRESHOLD: Final = timedelta(minutes=4)


class ClockSkew:
    """The offset between our clock and AWS's, learned from a skew error's ``Date``."""

    def __init__(self) -> None:
        self.offset = timedelta(0)


@attrs.frozen(kw_only=True)
class ClientOptions:
    """The client's keywords, as given."""

    region: str | None = None
    credentials: Any = None
    profile: str | None = None
    endpoint_url: str | None = None
    use_fips: bool | None = None
    use_dualstack: bool | None = None
    retry: RetryConfig | None = None
    allow_http: bool = False


@attrs.frozen(kw_only=True)
class CallContext:
    """What every call of one client shares. Built once by :func:`configure`."""

    endpoint: Endpoint
    credentials: CredentialCache
    retry: RetryConfig
    quota: RetryQuota | None
    skew: ClockSkew
    user_agent: str
    #: ``AWS_CA_BUNDLE`` / profile ``ca_bundle``: the PEM file TLS is verified with.
    ca_bundle: str | None = None
    clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    jitter: Callable[[], float]
    new_id: Callable[[], str]
    converter: cattrs.Converter = attrs.field(factory=default_converter)

    @property
    def url(self) -> str:
        return self.endpoint.url + "/"


def configure(
    options: ClientOptions,
    *,
    env: Mapping[str, str],
    user_agent: str,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float],
    jitter: Callable[[], float],
    new_id: Callable[[], str],
) -> Plan[CallContext]:
    """Resolve region, endpoint, retry settings and the credential provider."""
    files = yield Blocking(fn=lambda: load_aws_files(env))
    settings = resolve_settings(
        env=env,
        files=files,
        profile=options.profile,
        region=options.region,
        endpoint_url=options.endpoint_url,
        use_fips=options.use_fips,
        use_dualstack=options.use_dualstack,
    )
    if settings.region is None and settings.endpoint_url is None:
        raise ConfigurationError(
            "No region: pass region=..., set AWS_REGION or AWS_DEFAULT_REGION, "
            f"or set region in the profile {settings.profile!r}"
        )
    endpoint = resolve_endpoint(
        settings.region,
        use_fips=settings.use_fips,
        use_dualstack=settings.use_dualstack,
        endpoint_url=settings.endpoint_url,
        allow_http=options.allow_http,
    )
    retry = options.retry
    if retry is None:
        mode = settings.retry_mode or "standard"
        retry = RetryConfig(
            max_attempts=settings.max_attempts or DEFAULT_MAX_ATTEMPTS[mode],
            mode=mode,  # type: ignore[arg-type]
        )
    skew = ClockSkew()

    def now() -> datetime:
        return clock() + skew.offset

    provider_ctx = ProviderContext(env=env, files=files, settings=settings, clock=now)
    provider = as_provider(options.credentials, provider_ctx)
    return CallContext(
        endpoint=endpoint,
        credentials=CredentialCache(provider, now),
        retry=retry,
        quota=RetryQuota() if retry.uses_quota else None,
        skew=skew,
        user_agent=f"{user_agent} cfg/retry-mode#{retry.mode}",
        ca_bundle=settings.ca_bundle,
        clock=clock,
        monotonic=monotonic,
        jitter=jitter,
        new_id=new_id,
    )


def _server_skew(response: HttpResponse, now: datetime) -> timedelta | None:
    """Server time minus ours, from ``Date``, when further off than the threshold."""
    date = response.headers.get("date")
    if not date:
        return None
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    if server.tzinfo is None:
        server = server.replace(tzinfo=timezone.utc)
    try:
        offset = server - now
        (now + offset).astimezone(timezone.utc)  # a clock we can sign with (years 1..9999)
    except OverflowError:  # "31 Dec 9999 23:59:59 -2359" is past datetime.max in UTC
        return None
    return offset if abs(offset) > _SKEW_THRESHOLD else None


#: Secrets shorter than this are not searched for in error texts (a one-letter test key
#: would mangle every message); real secret keys are 40 characters, tokens hundreds.
_MIN_SECRET: Final = 8


def _secrets(request: HttpRequest, credentials: Credentials) -> list[str]:
    """What an error text must never show: the secret key, the session token and the
    request's signature."""
    authorization = request.header("Authorization") or ""
    found = [
        credentials.secret_access_key,
        credentials.session_token or "",
        authorization.rpartition("Signature=")[2],
    ]
    return [secret for secret in found if len(secret) >= _MIN_SECRET]


def _masked(response: HttpResponse, secrets: list[str]) -> HttpResponse:
    """``response`` with every secret in its body replaced by ``***`` (itself when none
    is there). AWS's own InvalidSignatureException quotes the canonical request, session
    token included, and a proxy's error page may print the request's headers: errors
    quote the body, so the body is masked before it is decoded."""
    body = response.body
    for secret in secrets:
        body = body.replace(secret.encode("utf-8", "surrogatepass"), b"***")
    return response if body == response.body else attrs.evolve(response, body=body)


def _decode_failure(response: HttpResponse, converter: cattrs.Converter) -> PersonalizeError:
    """The error decoding a 2xx reply raises (decoding it is known to fail)."""
    try:
        decode_job(response, converter=converter)
    except PersonalizeError as exc:
        return exc
    raise AssertionError("a reply that failed to decode decoded")  # pragma: no cover


def _sign(
    ctx: CallContext,
    body: bytes,
    credentials: Credentials,
    attempt: int,
    max_attempts: int,
    invocation_id: str,
) -> HttpRequest:
    headers = sign_headers(
        method="POST",
        url=ctx.url,
        headers=[
            ("X-Amz-Target", TARGET),
            ("Content-Type", CONTENT_TYPE),
            ("User-Agent", ctx.user_agent),
        ],
        body=body,
        credentials=credentials,
        region=ctx.endpoint.signing_region,
        now=ctx.clock() + ctx.skew.offset,
    )
    headers.append(("amz-sdk-invocation-id", invocation_id))
    headers.append(("amz-sdk-request", f"attempt={attempt}; max={max_attempts}"))
    return HttpRequest(method="POST", url=ctx.url, headers=tuple(headers), body=body)


def describe(ctx: CallContext, arn: object) -> Plan[BatchInferenceJob]:
    """The DescribeBatchInferenceJob plan."""
    body = request_body(arn)
    invocation_id = ctx.new_id()
    history: list[Attempt] = []
    last_cost: int | None = None
    skew_corrected = False
    attempt = 1
    max_attempts = ctx.retry.max_attempts
    credentials: Credentials = yield from ctx.credentials.get()
    while True:
        request = _sign(ctx, body, credentials, attempt, max_attempts, invocation_id)
        started = ctx.monotonic()
        response: HttpResponse | None = None
        error: PersonalizeError
        try:
            response = yield Send(request=request, attempt=attempt)
        except TransportError as exc:
            error = exc
        record = Attempt(
            number=attempt,
            status_code=response.status_code if response is not None else None,
            error_code=None,
            request_id=request_id_of(response) if response is not None else None,
            elapsed_ms=(ctx.monotonic() - started) * 1000.0,
        )
        if response is not None and 200 <= response.status_code < 300:
            _log_attempt(record, max_attempts)
            if ctx.quota is not None:
                ctx.quota.release(last_cost)
            failure: PersonalizeError
            try:
                return decode_job(response, converter=ctx.converter)
            except PersonalizeError as exc:
                failure = exc
            masked = _masked(response, _secrets(request, credentials))
            if masked is not response:
                # The reply quoted a secret: decode the masked body again, outside the
                # handler, so that neither the error nor its context carries it.
                failure = _decode_failure(masked, ctx.converter)
            history.append(attrs.evolve(record, error_code=type(failure).__name__))
            failure.attempts = tuple(history)
            raise failure
        if response is not None:
            error = decode_error(_masked(response, _secrets(request, credentials)))
        code = error.code if isinstance(error, PersonalizeServiceError) else type(error).__name__
        record = attrs.evolve(record, error_code=code)

        # Clock skew: learn AWS's time from Date, re-sign, retry once (not counted).
        if (
            response is not None
            and not skew_corrected
            and isinstance(error, PersonalizeServiceError)
            and is_clock_skew_code(error.code)
        ):
            offset = _server_skew(response, ctx.clock())
            if offset is not None:
                skew_corrected = True
                ctx.skew.offset = offset
                record = attrs.evolve(record, delay=0.0)
                history.append(record)
                _log_attempt(record, max_attempts, offset=offset)
                max_attempts += 1
                attempt += 1
                continue

        delay, gave_up, last_cost = _decide(ctx, attempt, max_attempts, error, last_cost)
        record = attrs.evolve(record, delay=delay, gave_up=gave_up)
        history.append(record)
        _log_attempt(record, max_attempts)
        if delay is None:
            if gave_up is not None:
                logger.warning(
                    "%s gave up after %d attempt%s (%s): %s",
                    OPERATION,
                    attempt,
                    "" if attempt == 1 else "s",
                    gave_up,
                    code,
                )
            error.attempts = tuple(history)
            raise error
        yield Sleep(seconds=delay)
        attempt += 1
        credentials = yield from ctx.credentials.get()


def _decide(
    ctx: CallContext,
    attempt: int,
    max_attempts: int,
    error: PersonalizeError,
    last_cost: int | None,
) -> tuple[float | None, str | None, int | None]:
    """``(delay or None, why we gave up, quota cost now held)`` after a failed attempt."""
    retryable = getattr(error, "retryable", False)
    if not retryable:
        return None, None, last_cost
    if attempt >= max_attempts:
        return None, "max attempts reached", last_cost
    if ctx.quota is not None:
        cost = ctx.quota.acquire(timeout=getattr(error, "is_timeout", False))
        if cost is None:
            return None, "retry quota exhausted", last_cost
        last_cost = cost
    delay = ctx.retry.next_delay(attempt, _unit(ctx.jitter()))
    return delay, None, last_cost


def _unit(value: float) -> float:
    """Clamp an injected jitter draw into [0, 1]."""
    if not math.isfinite(value):
        return 1.0
    return min(max(value, 0.0), 1.0)


def _log_attempt(record: Attempt, max_attempts: int, *, offset: timedelta | None = None) -> None:
    """One DEBUG line per attempt. Never a header, a key or a signature."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    fmt = "%s attempt %d/%d: status=%s request_id=%s elapsed_ms=%.1f"
    args: list[Any] = [
        OPERATION,
        record.number,
        max_attempts,
        record.status_code,
        record.request_id,
        record.elapsed_ms,
    ]
    if record.error_code is not None:
        fmt += " error=%s"
        args.append(record.error_code)
    if record.delay is not None:
        fmt += " retry_in=%.3fs"
        args.append(record.delay)
    if offset is not None:
        fmt += " clock_offset=%.0fs"
        args.append(offset.total_seconds())
    logger.debug(fmt, *args)


#: Throttled polls back off up to this many poll intervals.
_MAX_POLL_BACKOFF: Final = 8


def wait(
    ctx: CallContext,
    arn: object,
    *,
    poll_interval: object = 30.0,
    timeout: object = None,
    on_update: Callable[[BatchInferenceJob], Any] | None = None,
) -> Plan[BatchInferenceJob]:
    """Poll DescribeBatchInferenceJob until the job is ``ACTIVE``.

    ``CREATE FAILED`` raises :class:`BatchInferenceJobFailed`; the deadline raises
    :class:`WaiterTimeoutError` with the last job seen; a missing job raises
    ``ResourceNotFoundException`` at once (the first describe raises it). Throttling that
    outlasts the call's own retries backs the poll interval off instead of failing. Each
    sleep is jittered by +-20 % and never runs past the deadline; ``on_update(job)`` is
    called on every status change.
    """
    validate_arn(arn)
    interval = positive_seconds(poll_interval, what="poll_interval")
    limit = None if timeout is None else positive_seconds(timeout, what="timeout")
    if on_update is not None and not callable(on_update):
        raise ParamValidationError("on_update must be callable")
    deadline = None if limit is None else ctx.monotonic() + limit
    last_job: BatchInferenceJob | None = None
    throttled = 0
    while True:
        try:
            job: BatchInferenceJob = yield from describe(ctx, arn)
        except PersonalizeServiceError as exc:
            if not exc.throttling:
                raise
            throttled += 1
            delay = interval * min(2.0**throttled, _MAX_POLL_BACKOFF)
            logger.debug("%s waiter throttled; next poll in %.1fs", OPERATION, delay)
        else:
            throttled = 0
            changed = last_job is None or job.status != last_job.status
            last_job = job
            if changed and on_update is not None:
                yield Callback(fn=on_update, arg=job)
            if job.is_active:
                return job
            if job.is_failed:
                raise BatchInferenceJobFailed(job)
            delay = interval
        delay *= 0.8 + 0.4 * _unit(ctx.jitter())
        if deadline is not None:
            remaining = deadline - ctx.monotonic()
            if remaining <= 0:
                raise WaiterTimeoutError(limit or 0.0, last_job)
            delay = min(delay, remaining)
        yield Sleep(seconds=delay)
