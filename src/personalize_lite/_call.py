"""The call plans: everything a call decides, with no I/O.

:func:`configure` turns the client's keywords into a :class:`CallContext` (reading the
AWS files through a ``Blocking`` step). :func:`call` is the one attempt loop, driven by
an operation description (``_operations``): validate and serialize, get credentials,
then per attempt build, sign (afresh, with a fresh ``X-Amz-Date``), ``Send``, decode,
classify, and either return, correct the clock and re-sign once, ``Sleep`` and retry,
or raise with the attempt history attached. :func:`describe`, :func:`create` (with its
safe-retry check), :class:`Paginator` (a call per page) and :func:`wait` (describe
calls) are built on it.

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
from typing import Any, Final, TypeVar
from urllib.parse import quote

import attrs
import cattrs

from ._checks import positive_seconds
from ._config import load_aws_files, resolve_settings
from ._converter import default_converter
from ._endpoints import Endpoint, resolve_endpoint
from ._errors import (
    Attempt,
    BatchInferenceJobFailed,
    ConfigurationError,
    ConnectionClosedError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    ResourceAlreadyExistsException,
    ResponseParseError,
    WaiterTimeoutError,
)
from ._json_protocol import (
    CONTENT_TYPE,
    OPERATION,
    decode_error,
    request_id_of,
    validate_arn,
)
from ._models import BatchInferenceJob, BatchInferenceJobSummary
from ._operations import (
    CREATE_BATCH_INFERENCE_JOB,
    DESCRIBE_BATCH_INFERENCE_JOB,
    LIST_BATCH_INFERENCE_JOBS,
    Operation,
    Page,
    job_arn_for,
)
from ._retry import DEFAULT_MAX_ATTEMPTS, RetryConfig, RetryQuota, is_clock_skew_code
from ._sigv4 import sign_headers
from ._steps import Blocking, Callback, HttpRequest, HttpResponse, Plan, Send, Sleep
from ._tracing import Scope
from ._tracing import start as start_span
from .credentials import CredentialCache, Credentials, ProviderContext, as_provider

__all__ = [
    "TRACE_HEADER",
    "CallContext",
    "ClientOptions",
    "ClockSkew",
    "Decision",
    "Paginator",
    "call",
    "configure",
    "create",
    "describe",
    "lambda_trace_id",
    "outcome_unknown",
    "wait",
]

R = TypeVar("R")

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
    #: Where ``_X_AMZN_TRACE_ID`` is read, on every request: ``os.environ`` itself unless
    #: the client was given ``env`` (the Lambda runtime sets a new trace id for each
    #: invocation, after the client was made). None outside Lambda: whether
    #: ``AWS_LAMBDA_FUNCTION_NAME`` is set is read once, when the client is configured
    #: (the runtime sets it before any code of ours runs, and it never changes; a lookup
    #: of a missing name in ``os.environ`` raised and caught a KeyError on every request).
    #: Not in the repr: it is the whole environment, secrets included.
    trace_env: Mapping[str, str] | None = attrs.field(default=None, repr=False)

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
    trace_env: Mapping[str, str] | None = None,
) -> Plan[CallContext]:
    """Resolve region, endpoint, retry settings and the credential provider.
    ``trace_env``: where the Lambda trace id is read per request (default: ``env``),
    when ``AWS_LAMBDA_FUNCTION_NAME`` is set there now."""
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
        trace_env=_lambda_env(env if trace_env is None else trace_env),
    )


def _lambda_env(env: Mapping[str, str]) -> Mapping[str, str] | None:
    """``env`` when it says we run in Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set), else None."""
    return env if "AWS_LAMBDA_FUNCTION_NAME" in env else None


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


def _decode_failure(
    operation: Operation[Any], response: HttpResponse, converter: cattrs.Converter
) -> PersonalizeError:
    """The error decoding a 2xx reply raises (decoding it is known to fail)."""
    try:
        operation.decode(response, converter)
    except PersonalizeError as exc:
        return exc
    raise AssertionError("a reply that failed to decode decoded")  # pragma: no cover


def _sign(
    ctx: CallContext,
    target: str,
    body: bytes,
    credentials: Credentials,
    attempt: int,
    max_attempts: int,
    invocation_id: str,
) -> HttpRequest:
    to_sign = [
        ("X-Amz-Target", target),
        ("Content-Type", CONTENT_TYPE),
        ("User-Agent", ctx.user_agent),
    ]
    trace_id = None if ctx.trace_env is None else lambda_trace_id(ctx.trace_env)
    if trace_id is not None:
        # Where botocore's before-call handler puts it: before X-Amz-Date. Not signed
        # (it is in botocore's SIGNED_HEADERS_BLACKLIST, which our signer uses).
        to_sign.append((TRACE_HEADER, trace_id))
    headers = sign_headers(
        method="POST",
        url=ctx.url,
        headers=to_sign,
        body=body,
        credentials=credentials,
        region=ctx.endpoint.signing_region,
        now=ctx.clock() + ctx.skew.offset,
    )
    headers.append(("amz-sdk-invocation-id", invocation_id))
    headers.append(("amz-sdk-request", f"attempt={attempt}; max={max_attempts}"))
    return HttpRequest(method="POST", url=ctx.url, headers=tuple(headers), body=body)


#: botocore's recursion-detection header (``handlers.add_recursion_detection_header``).
TRACE_HEADER: Final = "X-Amzn-Trace-Id"
#: The characters botocore leaves unquoted in it (``urllib.parse.quote``'s ``safe``).
_TRACE_SAFE: Final = "-=;:+&[]{}\"',"


def lambda_trace_id(env: Mapping[str, str]) -> str | None:
    """The ``X-Amzn-Trace-Id`` value botocore sends from ``env``: inside Lambda
    (``AWS_LAMBDA_FUNCTION_NAME`` set) with a non-empty ``_X_AMZN_TRACE_ID``, that value
    percent-quoted as botocore quotes it; otherwise None. As botocore keeps a trace
    header set before its handler, an ``X-Amzn-Trace-Id`` among your own
    ``http_client``'s headers is kept (``_httpx.build_request``)."""
    if "AWS_LAMBDA_FUNCTION_NAME" not in env:
        return None
    trace_id = env.get("_X_AMZN_TRACE_ID")
    if not trace_id:
        return None
    return quote(trace_id, safe=_TRACE_SAFE)


@attrs.frozen(kw_only=True)
class Decision:
    """What follows a failed attempt."""

    #: Seconds to sleep before the next attempt; None: no retry.
    delay: float | None
    #: Why no retry followed when the error was retryable ("max attempts reached",
    #: "retry quota exhausted"); None otherwise.
    gave_up: str | None
    #: The retry quota the call holds now (refunded on success).
    cost: int | None


def _skew_offset(
    ctx: CallContext, response: HttpResponse | None, error: PersonalizeError, corrected: bool
) -> timedelta | None:
    """The clock offset to adopt before one free, re-signed retry: when the service
    said the signature or time was off and its ``Date`` disagrees with our clock (once
    per call). None otherwise."""
    if (
        response is None
        or corrected
        or not isinstance(error, PersonalizeServiceError)
        or not is_clock_skew_code(error.code)
    ):
        return None
    return _server_skew(response, ctx.clock())


def call(ctx: CallContext, operation: Operation[R], params: Mapping[str, Any]) -> Plan[R]:
    """The generic attempt loop, for any operation, in its span (``_tracing``) when the
    application traces.

    Validate and serialize ``params`` (nothing is sent on bad input), get credentials,
    then per attempt: sign afresh, ``Send``, decode a 2xx reply (when that fails, the
    error is rebuilt from the body with every secret masked), or decode the error from
    the masked body, correct a skewed clock once, and retry with backoff while the
    retry policy allows; the final error carries the attempt history.
    """
    body = operation.encode(params)  # bad input: nothing sent, no span
    span = start_span(operation.name, region=ctx.endpoint.signing_region)
    if span is None:
        return (yield from _attempts(ctx, operation, body, None))
    return (yield from _spanned(span, _attempts(ctx, operation, body, span)))


def _spanned(span: Scope, plan: Plan[R]) -> Plan[R]:
    """Run ``plan`` with ``span`` current, ending it with the outcome: an error (ours, or
    any other) sets status ERROR and is recorded; a closed plan (cancelled) just ends."""
    error: BaseException | None = None
    try:
        return (yield from plan)
    except Exception as exc:
        error = exc
        raise
    finally:
        span.end(error)


def _attempts(
    ctx: CallContext, operation: Operation[R], body: bytes, span: Scope | None
) -> Plan[R]:
    """:func:`call`'s loop over an encoded ``body``; each attempt is reported to ``span``."""
    name = operation.name
    invocation_id = ctx.new_id()
    history: list[Attempt] = []
    last_cost: int | None = None
    skew_corrected = False
    attempt = 1
    max_attempts = ctx.retry.max_attempts
    credentials: Credentials = yield from ctx.credentials.get()
    while True:
        request = _sign(
            ctx, operation.target, body, credentials, attempt, max_attempts, invocation_id
        )
        started = ctx.monotonic()
        response: HttpResponse | None = None
        error: PersonalizeError
        try:
            response = yield Send(request=request, attempt=attempt)
        except PersonalizeError as exc:  # no usable reply: transport, too large, too late
            error = exc
        elapsed_ms = (ctx.monotonic() - started) * 1000.0
        if response is not None and 200 <= response.status_code < 300:
            # A success needs its Attempt only to log it or report it to the span.
            observed = span is not None or logger.isEnabledFor(logging.DEBUG)
            seen = _record(attempt, response, elapsed_ms) if observed else None
            if seen is not None:
                _log_attempt(name, seen, max_attempts)
                if span is not None:
                    span.attempt(seen, max_attempts)
            if ctx.quota is not None:
                ctx.quota.release(last_cost)
            failure: PersonalizeError
            try:
                return operation.decode(response, ctx.converter)
            except PersonalizeError as exc:
                failure = exc
            record = seen if seen is not None else _record(attempt, response, elapsed_ms)
            masked = _masked(response, _secrets(request, credentials))
            if masked is not response:
                # The reply quoted a secret: decode the masked body again, outside the
                # handler, so that neither the error nor its context carries it.
                failure = _decode_failure(operation, masked, ctx.converter)
            history.append(attrs.evolve(record, error_code=type(failure).__name__))
            if span is not None:
                span.attempt(history[-1], max_attempts)
            failure.attempts = tuple(history)
            raise failure
        record = _record(attempt, response, elapsed_ms)
        if response is not None:
            error = decode_error(_masked(response, _secrets(request, credentials)))
        code = error.code if isinstance(error, PersonalizeServiceError) else type(error).__name__
        record = attrs.evolve(record, error_code=code)

        # Clock skew: learn AWS's time from Date, re-sign, retry once (not counted).
        offset = _skew_offset(ctx, response, error, skew_corrected)
        if offset is not None:
            skew_corrected = True
            ctx.skew.offset = offset
            record = attrs.evolve(record, delay=0.0)
            history.append(record)
            _log_attempt(name, record, max_attempts, offset=offset)
            if span is not None:
                span.attempt(record, max_attempts)
            max_attempts += 1
            attempt += 1
            continue

        decision = _decide(ctx, attempt, max_attempts, error, last_cost)
        last_cost = decision.cost
        record = attrs.evolve(record, delay=decision.delay, gave_up=decision.gave_up)
        history.append(record)
        _log_attempt(name, record, max_attempts)
        if span is not None:
            span.attempt(record, max_attempts)
        if decision.delay is None:
            if decision.gave_up is not None:
                # DEBUG: the error raised says it (with its attempts); a library that
                # warns on every failed call floods the application's logs.
                logger.debug(
                    "%s gave up after %d attempt%s (%s): %s",
                    name,
                    attempt,
                    "" if attempt == 1 else "s",
                    decision.gave_up,
                    code,
                )
            error.attempts = tuple(history)
            raise error
        yield Sleep(seconds=decision.delay)
        attempt += 1
        credentials = yield from ctx.credentials.get()


def _record(attempt: int, response: HttpResponse | None, elapsed_ms: float) -> Attempt:
    """The Attempt of an answered (``response``) or failed (None) attempt."""
    return Attempt(
        number=attempt,
        status_code=response.status_code if response is not None else None,
        error_code=None,
        request_id=request_id_of(response) if response is not None else None,
        elapsed_ms=elapsed_ms,
    )


def describe(ctx: CallContext, arn: object) -> Plan[BatchInferenceJob]:
    """The DescribeBatchInferenceJob plan."""
    return (yield from call(ctx, DESCRIBE_BATCH_INFERENCE_JOB, {"arn": arn}))


def _decide(
    ctx: CallContext,
    attempt: int,
    max_attempts: int,
    error: PersonalizeError,
    last_cost: int | None,
) -> Decision:
    """What follows failed attempt number ``attempt``."""
    retryable = getattr(error, "retryable", False)
    if not retryable:
        return Decision(delay=None, gave_up=None, cost=last_cost)
    if attempt >= max_attempts:
        return Decision(delay=None, gave_up="max attempts reached", cost=last_cost)
    cost = last_cost
    if ctx.quota is not None:
        acquired = ctx.quota.acquire(timeout=getattr(error, "is_timeout", False))
        if acquired is None:
            return Decision(delay=None, gave_up="retry quota exhausted", cost=last_cost)
        cost = acquired
    delay = ctx.retry.next_delay(attempt, _unit(ctx.jitter()))
    return Decision(delay=delay, gave_up=None, cost=cost)


def _unit(value: float) -> float:
    """Clamp an injected jitter draw into [0, 1]."""
    if not math.isfinite(value):
        return 1.0
    return min(max(value, 0.0), 1.0)


def _log_attempt(
    operation: str, record: Attempt, max_attempts: int, *, offset: timedelta | None = None
) -> None:
    """One DEBUG line per attempt. Never a header, a key or a signature."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    fmt = "%s attempt %d/%d: status=%s request_id=%s elapsed_ms=%.1f"
    args: list[Any] = [
        operation,
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
    plan = _wait(ctx, arn, interval, limit, on_update)
    span = start_span(WAITER_SPAN, region=ctx.endpoint.signing_region, client=False)
    if span is None:
        return (yield from plan)
    return (yield from _spanned(span, plan))


#: The names (after ``Personalize.``) of the parent spans of a waiter and a listing: the
#: public methods' names, so they never read as one API call.
WAITER_SPAN: Final = "wait_for_batch_inference_job"
LISTING_SPAN: Final = "list_batch_inference_jobs"


def _wait(
    ctx: CallContext,
    arn: object,
    interval: float,
    limit: float | None,
    on_update: Callable[[BatchInferenceJob], Any] | None,
) -> Plan[BatchInferenceJob]:
    """:func:`wait`'s polling loop, its arguments checked."""
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


# --------------------------------------------------------------------------- create

#: Transport errors raised after the request may have reached the service: the
#: attempt's outcome is unknown. (A connect timeout or a refused connection never sent
#: it: its outcome is known, nothing happened.)
_SENT_TRANSPORT_ERRORS: Final = frozenset(
    {ReadTimeoutError.__name__, ConnectionClosedError.__name__}
)


def outcome_unknown(record: Attempt) -> bool:
    """True when the attempt may have been carried out by the service though we got no
    answer saying so: a 5xx reply, or a read timeout or lost connection after sending."""
    if record.status_code is not None:
        return record.status_code >= 500
    return record.error_code in _SENT_TRANSPORT_ERRORS


def _matches(job: BatchInferenceJob, wire: Mapping[str, Any]) -> bool:
    """Whether ``job`` is what CreateBatchInferenceJob was asked for: solution version,
    input path, output path, role and mode (an absent mode is BATCH_INFERENCE)."""
    source = job.job_input.s3_data_source.path if job.job_input is not None else None
    destination = job.job_output.s3_data_destination.path if job.job_output is not None else None
    default_mode = "BATCH_INFERENCE"
    return bool(
        job.solution_version_arn == wire["solutionVersionArn"]
        and source == wire["jobInput"]["s3DataSource"]["path"]
        and destination == wire["jobOutput"]["s3DataDestination"]["path"]
        and job.role_arn == wire["roleArn"]
        and (job.batch_inference_job_mode or default_mode)
        == wire.get("batchInferenceJobMode", default_mode)
    )


def create(ctx: CallContext, params: Mapping[str, Any]) -> Plan[str]:
    """The CreateBatchInferenceJob plan: the new job's ARN.

    CreateBatchInferenceJob has no client token, so a retry after an attempt whose
    outcome is unknown (:func:`outcome_unknown`) may answer
    ``ResourceAlreadyExistsException`` for the job that attempt created. Then the job's
    ARN is derived (partition, region and account of the solution version, and the job
    name) and described: when its solution version, input and output paths, role and
    mode are the ones asked for, its ARN is returned; otherwise the
    ``ResourceAlreadyExistsException`` is raised. A conflict on a first attempt, or
    after attempts that all failed clearly, is never taken for ours.
    """
    operation = CREATE_BATCH_INFERENCE_JOB
    body = operation.encode(params)  # bad input: nothing sent, no span
    span = start_span(operation.name, region=ctx.endpoint.signing_region)
    plan = _create(ctx, params, body, span)
    if span is None:
        return (yield from plan)
    # One span over the call and its safe-retry check (a describe: a child span).
    return (yield from _spanned(span, plan))


def _create(
    ctx: CallContext, params: Mapping[str, Any], body: bytes, span: Scope | None
) -> Plan[str]:
    """:func:`create` for an encoded ``body``."""
    operation = CREATE_BATCH_INFERENCE_JOB
    try:
        return (yield from _attempts(ctx, operation, body, span))
    except ResourceAlreadyExistsException as conflict:
        earlier = conflict.attempts[:-1]
        if not any(outcome_unknown(record) for record in earlier):
            raise
        wire = operation.validate(params)  # valid: the call sent it
        job_name = wire["jobName"]
        arn = job_arn_for(wire["solutionVersionArn"], job_name)
        if arn is None:
            logger.info(
                "%s: job %s already exists after an attempt with an unknown outcome; "
                "cannot derive its ARN from the solution version ARN: raising",
                operation.name,
                job_name,
            )
            raise
        try:
            job = yield from describe(ctx, arn)
        except PersonalizeError as exc:
            logger.info(
                "%s: job %s already exists after an attempt with an unknown outcome; "
                "describing %s failed (%s): raising ResourceAlreadyExistsException",
                operation.name,
                job_name,
                arn,
                getattr(exc, "code", type(exc).__name__),
            )
            raise conflict from exc
        if not _matches(job, wire):
            logger.info(
                "%s: job %s already exists after an attempt with an unknown outcome, "
                "but %s differs from the request (solution version, input, output, role "
                "or mode): not ours, raising ResourceAlreadyExistsException",
                operation.name,
                job_name,
                arn,
            )
            raise
        logger.info(
            "%s: job %s already exists after an attempt with an unknown outcome and "
            "matches the request: treating %s as created by this call",
            operation.name,
            job_name,
            arn,
        )
        return arn


# --------------------------------------------------------------------------- list


class Paginator:
    """ListBatchInferenceJobs as a sequence of page plans, one generic call each.

    Validates the arguments when built (before any I/O). :meth:`next_page` is the plan
    for the next page; it follows ``nextToken`` and raises
    :class:`ResponseParseError` (path ``nextToken``) when the service hands back a token
    it gave before, instead of looping. No I/O here: the drivers' iterators run the
    plans, one page when the caller asks for it.
    """

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = dict(params)
        LIST_BATCH_INFERENCE_JOBS.validate(self._params)  # ParamValidationError, nothing sent
        self._token: str | None = None
        self._seen: set[str] = set()
        self.done = False
        #: Page requests answered so far.
        self.pages = 0
        #: The listing's parent span (when traced): started by the first page, current
        #: only while a page plan runs (never across the caller's code between pages),
        #: ended by the last page, an error or :meth:`close`.
        self._span: Scope | None = None

    def close(self) -> None:
        """The caller stopped early: no further page; the listing's span ends."""
        self.done = True
        self._end(None)

    def _end(self, error: BaseException | None) -> None:
        span, self._span = self._span, None
        if span is not None:
            span.end(error)

    def next_page(self, ctx: CallContext) -> Plan[tuple[BatchInferenceJobSummary, ...]]:
        """The plan for the next page's jobs (empty once :attr:`done`)."""
        if self.done:
            return ()
        if self.pages == 0 and self._span is None:
            self._span = start_span(
                LISTING_SPAN, region=ctx.endpoint.signing_region, client=False, attach=False
            )
        span = self._span
        if span is None:
            return (yield from self._next_page(ctx))
        token = span.activate()
        error: BaseException | None = None
        finished = False
        try:
            jobs = yield from self._next_page(ctx)
            finished = True
            return jobs
        except Exception as exc:
            error = exc
            raise
        finally:
            span.deactivate(token)
            if self.done or not finished:  # the last page, an error or a cancelled page
                self.done = True
                self._end(error)

    def _next_page(self, ctx: CallContext) -> Plan[tuple[BatchInferenceJobSummary, ...]]:
        page: Page = yield from call(
            ctx, LIST_BATCH_INFERENCE_JOBS, {**self._params, "next_token": self._token}
        )
        self.pages += 1
        token = page.next_token
        if token is None:
            self.done = True
        elif token in self._seen:
            self.done = True
            raise ResponseParseError(
                f"ListBatchInferenceJobs returned a nextToken it returned before (after "
                f"page {self.pages}); stopping instead of looping",
                path="nextToken",
            )
        else:
            self._seen.add(token)
            self._token = token
        return page.jobs
