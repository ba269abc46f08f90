"""Observability: OpenTelemetry spans on every driver (sync, asyncio, trio) with the SDK's
in-memory exporter, the Lambda ``X-Amzn-Trace-Id`` header against botocore's own handler
and signer, and the log levels a library keeps."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from unittest import mock

import anyio
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from personalize_lite import (
    AsyncPersonalizeClient,
    Credentials,
    ParamValidationError,
    PersonalizeClient,
    ResourceNotFoundException,
    RetryConfig,
    ThrottlingException,
)
from personalize_lite._call import lambda_trace_id

with warnings.catch_warnings():
    # opentelemetry-instrumentation 0.41b0 (the lowest session's pin, paired with the
    # opentelemetry-api 1.20 floor) imports pkg_resources, which warns on import.
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", DeprecationWarning)
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

pytestmark = pytest.mark.anyio

ACCOUNT = "123456789012"
ARN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:batch-inference-job/nightly-1"
SV = f"arn:aws:personalize:us-east-1:{ACCOUNT}:solution/shoes/abc123"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PersonalizeBatch"
CREDS = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="tracingSecretKeyEXAMPLE")
ENV = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
HANG = 15.0
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def job(status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "batchInferenceJob": {
            "jobName": "nightly-1",
            "batchInferenceJobArn": ARN,
            "solutionVersionArn": SV,
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://b/in.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://b/out/"}},
            "status": status,
            "creationDateTime": 1700000000.0,
            "lastUpdatedDateTime": 1700000000.0,
        }
    }


def reply(status: int, payload: dict[str, Any], request_id: str = "rid") -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(payload).encode(),
        headers={"x-amzn-RequestId": request_id, "Content-Type": "application/x-amz-json-1.1"},
    )


def error(status: int, code: str, request_id: str = "rid") -> httpx.Response:
    return reply(status, {"__type": code, "message": "boom"}, request_id)


class Service:
    """Scripted replies, in order; every request is kept."""

    def __init__(self, *replies: httpx.Response) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.replies, f"unexpected request {request.headers.get('x-amz-target')}"
        return self.replies.pop(0)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[TracerProvider]:
    """A real SDK provider as the global one (restored after the test)."""
    tracer_provider = TracerProvider()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", tracer_provider)
    yield tracer_provider
    tracer_provider.shutdown()


@pytest.fixture
def exporter(provider: TracerProvider) -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


class Calls:
    """The same calls on every driver (the sync client is called directly: the mock
    transport never blocks)."""

    def __init__(
        self,
        driver: str,
        service: Service,
        *,
        attempts: int = 3,
        env: dict[str, str] | None = None,
        instrument: TracerProvider | None = None,
    ) -> None:
        self.driver = driver
        self.kwargs: dict[str, Any] = {
            "region": "us-east-1",
            "credentials": CREDS,
            "env": ENV if env is None else env,
            "retry": RetryConfig(max_attempts=attempts),
            "jitter": lambda: 0.5,
        }
        self.service = service
        self.instrument = instrument

    async def run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        transport = httpx.MockTransport(self.service)
        if self.driver == "sync":
            with httpx.Client(transport=transport) as http:
                if self.instrument is not None:
                    HTTPXClientInstrumentor.instrument_client(http, tracer_provider=self.instrument)
                with PersonalizeClient(
                    http_client=http, sleep=lambda _s: None, **self.kwargs
                ) as client:
                    result = getattr(client, method)(*args, **kwargs)
                    return list(result) if method == "list_batch_inference_jobs" else result

        async def no_sleep(_seconds: float) -> None:
            await anyio.lowlevel.checkpoint()

        async with httpx.AsyncClient(transport=transport) as ahttp:
            if self.instrument is not None:
                HTTPXClientInstrumentor.instrument_client(ahttp, tracer_provider=self.instrument)
            async with AsyncPersonalizeClient(
                http_client=ahttp, sleep=no_sleep, **self.kwargs
            ) as aclient:
                if method == "list_batch_inference_jobs":
                    return [item async for item in aclient.list_batch_inference_jobs(**kwargs)]
                return await getattr(aclient, method)(*args, **kwargs)


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def attempt_events(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(event.attributes or {}) for event in span.events if event.name == "attempt"]


async def test_describe_is_one_client_span_named_and_attributed_like_botocore(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    service = Service(reply(200, job(), "req-1"))
    with anyio.fail_after(HANG):
        found = await Calls(driver, service).run("describe_batch_inference_job", ARN)
    assert found.status == "ACTIVE"
    (span,) = exporter.get_finished_spans()
    assert span.name == "Personalize.DescribeBatchInferenceJob"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "rpc.system": "aws-api",
        "rpc.service": "Personalize",
        "rpc.method": "DescribeBatchInferenceJob",
        "aws.region": "us-east-1",
        "cloud.region": "us-east-1",
        "aws.request_id": "req-1",
        "http.response.status_code": 200,
        "http.status_code": 200,
        "retry_attempts": 0,
        "personalize_lite.attempts": 1,
    }
    (event,) = attempt_events(span)
    assert event["attempt"] == 1
    assert event["aws.request_id"] == "req-1"


async def test_each_retry_is_an_attempt_event_and_the_last_attempt_sets_the_attributes(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    service = Service(
        error(500, "InternalFailure", "req-1"),
        error(400, "ThrottlingException", "req-2"),
        reply(200, job(), "req-3"),
    )
    with anyio.fail_after(HANG):
        await Calls(driver, service).run("describe_batch_inference_job", ARN)
    (span,) = exporter.get_finished_spans()
    events = attempt_events(span)
    assert [e["attempt"] for e in events] == [1, 2, 3]
    assert [e.get("error.type") for e in events] == [
        "InternalFailure",
        "ThrottlingException",
        None,
    ]
    assert [e["http.response.status_code"] for e in events] == [500, 400, 200]
    assert [e["aws.request_id"] for e in events] == ["req-1", "req-2", "req-3"]
    assert events[0]["retry_in_s"] > 0
    assert "retry_in_s" not in events[2]
    attributes = dict(span.attributes or {})
    assert attributes["aws.request_id"] == "req-3"
    assert attributes["http.response.status_code"] == 200
    assert attributes["personalize_lite.attempts"] == 3
    assert attributes["retry_attempts"] == 2
    assert span.status.status_code is StatusCode.UNSET


async def test_a_failure_sets_status_error_and_records_the_typed_exception(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    service = Service(*[error(400, "ThrottlingException", f"req-{n}") for n in (1, 2)])
    with anyio.fail_after(HANG), pytest.raises(ThrottlingException):
        await Calls(driver, service, attempts=2).run("describe_batch_inference_job", ARN)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ThrottlingException"
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == "ThrottlingException"
    assert attributes["aws.request_id"] == "req-2"
    assert attributes["http.response.status_code"] == 400
    assert attributes["personalize_lite.attempts"] == 2
    (recorded,) = [event for event in span.events if event.name == "exception"]
    assert str(dict(recorded.attributes or {})["exception.type"]).endswith("ThrottlingException")
    assert attempt_events(span)[-1]["gave_up"] == "max attempts reached"


async def test_create_is_one_span_and_its_safe_retry_describe_a_child(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    service = Service(
        error(500, "InternalFailure", "req-1"),
        error(400, "ResourceAlreadyExistsException", "req-2"),
        reply(200, job("CREATE PENDING"), "req-3"),
    )
    with anyio.fail_after(HANG):
        arn = await Calls(driver, service).run(
            "create_batch_inference_job",
            job_name="nightly-1",
            solution_version_arn=SV,
            role_arn=ROLE,
            job_input="s3://b/in.json",
            job_output="s3://b/out/",
        )
    assert arn == ARN
    spans = exporter.get_finished_spans()
    (create,) = by_name(spans, "Personalize.CreateBatchInferenceJob")
    (describe,) = by_name(spans, "Personalize.DescribeBatchInferenceJob")
    assert create.kind is SpanKind.CLIENT
    assert dict(create.attributes or {})["rpc.method"] == "CreateBatchInferenceJob"
    assert create.status.status_code is StatusCode.UNSET  # the job is ours: a success
    assert [e["error.type"] for e in attempt_events(create)] == [
        "InternalFailure",
        "ResourceAlreadyExistsException",
    ]
    assert describe.parent is not None
    assert describe.parent.span_id == create.context.span_id


async def test_the_waiter_is_one_parent_span_over_its_describes(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    service = Service(reply(200, job("CREATE PENDING")), reply(200, job("ACTIVE")))
    with anyio.fail_after(HANG):
        await Calls(driver, service).run("wait_for_batch_inference_job", ARN, poll_interval=1)
    spans = exporter.get_finished_spans()
    (waiter,) = by_name(spans, "Personalize.wait_for_batch_inference_job")
    describes = by_name(spans, "Personalize.DescribeBatchInferenceJob")
    assert len(spans) == 3
    assert waiter.kind is SpanKind.INTERNAL
    assert waiter.parent is None
    assert len(describes) == 2
    for span in describes:
        assert span.parent is not None
        assert span.parent.span_id == waiter.context.span_id
        assert span.context.trace_id == waiter.context.trace_id


async def test_the_listing_is_one_parent_span_over_its_pages(
    driver: str, exporter: InMemorySpanExporter
) -> None:
    def summaries(*names: str, token: str | None = None) -> dict[str, Any]:
        jobs = [
            {"batchInferenceJobArn": f"{ARN}-{n}", "jobName": n, "status": "ACTIVE"} for n in names
        ]
        return {"batchInferenceJobs": jobs, **({"nextToken": token} if token else {})}

    service = Service(reply(200, summaries("a", "b", token="t1")), reply(200, summaries("c")))
    with anyio.fail_after(HANG):
        items = await Calls(driver, service).run("list_batch_inference_jobs")
    assert [item.job_name for item in items] == ["a", "b", "c"]
    spans = exporter.get_finished_spans()
    (listing,) = by_name(spans, "Personalize.list_batch_inference_jobs")
    pages = by_name(spans, "Personalize.ListBatchInferenceJobs")
    assert listing.kind is SpanKind.INTERNAL
    assert len(pages) == 2
    assert all(p.parent is not None and p.parent.span_id == listing.context.span_id for p in pages)
    assert all(p.kind is SpanKind.CLIENT for p in pages)


def test_closing_a_listing_early_ends_its_span_and_none_stays_current(
    exporter: InMemorySpanExporter,
) -> None:
    page = {"batchInferenceJobs": [{"jobName": "a", "status": "ACTIVE"}], "nextToken": "t1"}
    service = Service(reply(200, page))
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(http_client=http, region="us-east-1", credentials=CREDS, env=ENV) as c,
    ):
        jobs = c.list_batch_inference_jobs()
        assert next(jobs).job_name == "a"
        # Between pages the caller's code runs with its own current span, not ours.
        assert not trace.get_current_span().get_span_context().is_valid
        assert [s.name for s in exporter.get_finished_spans()] == [
            "Personalize.ListBatchInferenceJobs"
        ]
        jobs.close()
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["Personalize.ListBatchInferenceJobs", "Personalize.list_batch_inference_jobs"]
    assert len(service.requests) == 1


async def test_httpx_instrumentation_spans_are_children_of_ours(
    driver: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    service = Service(error(503, "ServiceUnavailable"), reply(200, job()))
    with anyio.fail_after(HANG):
        await Calls(driver, service, instrument=provider).run("describe_batch_inference_job", ARN)
    spans = exporter.get_finished_spans()
    (ours,) = by_name(spans, "Personalize.DescribeBatchInferenceJob")
    http_spans = [span for span in spans if span is not ours]
    assert len(http_spans) == 2, [span.name for span in spans]  # one per attempt
    for span in http_spans:
        assert span.name == "POST"
        assert span.parent is not None
        assert span.parent.span_id == ours.context.span_id
    assert not trace.get_current_span().get_span_context().is_valid  # nothing left attached


async def test_our_span_is_a_child_of_the_callers_span(
    driver: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    service = Service(reply(200, job()))
    tracer = provider.get_tracer("app")
    with anyio.fail_after(HANG), tracer.start_as_current_span("handler") as outer:
        await Calls(driver, service).run("describe_batch_inference_job", ARN)
    (ours,) = by_name(exporter.get_finished_spans(), "Personalize.DescribeBatchInferenceJob")
    assert ours.parent is not None
    assert ours.parent.span_id == outer.get_span_context().span_id


async def test_without_a_tracer_provider_there_are_no_spans_and_no_errors(
    driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personalize_lite import _tracing

    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    scopes: list[object] = []
    real_init = _tracing.Scope.__init__

    def counting_init(self: _tracing.Scope, *args: Any, **kwargs: Any) -> None:
        scopes.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(_tracing.Scope, "__init__", counting_init)
    service = Service(error(500, "InternalFailure"), reply(200, job()))
    with anyio.fail_after(HANG):
        found = await Calls(driver, service).run("describe_batch_inference_job", ARN)
        await Calls(driver, Service(reply(200, job()))).run("wait_for_batch_inference_job", ARN)
    assert found.status == "ACTIVE"
    assert scopes == []
    assert not trace.get_current_span().get_span_context().is_valid
    # The same calls with a provider do make spans (the counter counts).
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", TracerProvider())
    with anyio.fail_after(HANG):
        await Calls(driver, Service(reply(200, job()))).run("wait_for_batch_inference_job", ARN)
    assert len(scopes) == 2


def test_with_no_provider_no_span_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy provider's tracer would still build no-op spans: we do not even ask."""
    from personalize_lite import _tracing

    started: list[str] = []

    def get_tracer(*_args: object, **_kwargs: object) -> None:
        started.append("get_tracer")

    monkeypatch.setattr(trace.ProxyTracerProvider, "get_tracer", get_tracer)
    assert _tracing.start("DescribeBatchInferenceJob", region="us-east-1") is None
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", trace.NoOpTracerProvider())
    assert _tracing.start("DescribeBatchInferenceJob", region="us-east-1") is None
    assert started == []


def test_bad_input_sends_nothing_and_makes_no_span(exporter: InMemorySpanExporter) -> None:
    service = Service()
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(http_client=http, region="us-east-1", credentials=CREDS, env=ENV) as c,
    ):
        with pytest.raises(ParamValidationError):
            c.describe_batch_inference_job("not-an-arn")
        with pytest.raises(ParamValidationError):
            c.create_batch_inference_job(
                job_name="", solution_version_arn=SV, role_arn=ROLE, job_input="x", job_output="y"
            )
    assert service.requests == []
    assert exporter.get_finished_spans() == ()


def test_a_missing_job_fails_the_waiter_span_too(exporter: InMemorySpanExporter) -> None:
    service = Service(error(400, "ResourceNotFoundException"))
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(http_client=http, region="us-east-1", credentials=CREDS, env=ENV) as c,
        pytest.raises(ResourceNotFoundException),
    ):
        c.wait_for_batch_inference_job(ARN)
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == [
        "Personalize.DescribeBatchInferenceJob",
        "Personalize.wait_for_batch_inference_job",
    ]
    assert all(s.status.status_code is StatusCode.ERROR for s in spans)


# --------------------------------------------------------------------------- Lambda


TRACE_VALUES = [
    TRACE,
    "Root=1-abc;Lineage=a87bd80c:1|68fd508a:5",  # '|' is escaped by botocore
    "Root=1-abc;Parent=x y;Sampled=0",  # space
    "Root=1-5759e988\n;Sampled=1",  # a newline must not split the header
    "Root=ü-\u2603;x=[{}]\"',+&",
    "-=;:+&[]{}\"',",  # every character botocore leaves as it is
    "%41/?#",
]


@pytest.mark.parametrize("value", TRACE_VALUES)
def test_trace_header_value_is_botocores(value: str) -> None:
    from botocore.handlers import add_recursion_detection_header

    params: dict[str, Any] = {"headers": {}}
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "_X_AMZN_TRACE_ID": value}
    with mock.patch.dict(os.environ, lambda_env):
        add_recursion_detection_header(params)
    assert lambda_trace_id(lambda_env) == params["headers"]["X-Amzn-Trace-Id"]


@pytest.mark.parametrize(
    "env",
    [
        {"_X_AMZN_TRACE_ID": TRACE},  # not in Lambda
        {"AWS_LAMBDA_FUNCTION_NAME": "fn"},  # no trace id
        {"AWS_LAMBDA_FUNCTION_NAME": "fn", "_X_AMZN_TRACE_ID": ""},
    ],
)
def test_no_trace_header_outside_lambda_or_without_a_trace_id(env: dict[str, str]) -> None:
    from botocore.handlers import add_recursion_detection_header

    params: dict[str, Any] = {"headers": {}}
    with mock.patch.dict(os.environ, env, clear=True):
        add_recursion_detection_header(params)
    assert params["headers"] == {}
    assert lambda_trace_id(env) is None


async def test_each_request_carries_the_trace_header_in_lambda(driver: str) -> None:
    env = {**ENV, "AWS_LAMBDA_FUNCTION_NAME": "fn", "_X_AMZN_TRACE_ID": TRACE + "|x"}
    service = Service(error(500, "InternalFailure"), reply(200, job()))
    with anyio.fail_after(HANG):
        await Calls(driver, service, env=env).run("describe_batch_inference_job", ARN)
    assert len(service.requests) == 2
    for request in service.requests:
        assert request.headers.get_list("X-Amzn-Trace-Id") == [TRACE + "%7Cx"]
        assert "x-amzn-trace-id" not in request.headers["Authorization"]  # not signed


async def test_a_trace_header_the_user_set_on_the_http_client_is_kept(driver: str) -> None:
    """botocore does not override an X-Amzn-Trace-Id already on the request; ours comes
    from your ``http_client``'s headers. Not signed, so the signature still holds."""
    env = {**ENV, "AWS_LAMBDA_FUNCTION_NAME": "fn", "_X_AMZN_TRACE_ID": TRACE}
    service = Service(reply(200, job()))
    mine = "Root=1-00000000-mine"
    kwargs: dict[str, Any] = {"region": "us-east-1", "credentials": CREDS, "env": env}
    transport = httpx.MockTransport(service)
    with anyio.fail_after(HANG):
        if driver == "sync":
            with (
                httpx.Client(transport=transport, headers={"X-Amzn-Trace-Id": mine}) as http,
                PersonalizeClient(http_client=http, **kwargs) as client,
            ):
                client.describe_batch_inference_job(ARN)
        else:
            async with (
                httpx.AsyncClient(transport=transport, headers={"X-Amzn-Trace-Id": mine}) as ah,
                AsyncPersonalizeClient(http_client=ah, **kwargs) as aclient,
            ):
                await aclient.describe_batch_inference_job(ARN)
    assert service.requests[0].headers.get_list("X-Amzn-Trace-Id") == [mine]


async def test_no_trace_header_outside_lambda(driver: str) -> None:
    env = {**ENV, "_X_AMZN_TRACE_ID": TRACE}
    service = Service(reply(200, job()))
    with anyio.fail_after(HANG):
        await Calls(driver, service, env=env).run("describe_batch_inference_job", ARN)
    assert "X-Amzn-Trace-Id" not in service.requests[0].headers


def _two_calls_in_the_live_environment(
    monkeypatch: pytest.MonkeyPatch,
    *,
    lambda_at_start: bool,
    between: dict[str, str],
) -> list[str | None]:
    """Two describes from one client over ``os.environ`` (set for the first), with
    ``between`` set before the second; the trace header each request carried."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    if lambda_at_start:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    else:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-first")
    service = Service(reply(200, job()), reply(200, job()))
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(http_client=http, region="us-east-1", credentials=CREDS) as client,
    ):
        client.describe_batch_inference_job(ARN)
        for name, value in between.items():
            monkeypatch.setenv(name, value)
        client.describe_batch_inference_job(ARN)
    return [r.headers.get("X-Amzn-Trace-Id") for r in service.requests]


def test_the_trace_id_is_read_per_request_from_the_live_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Lambda runtime sets a new ``_X_AMZN_TRACE_ID`` per invocation; a client made at
    import time (the usual Lambda pattern) must send the current one, as botocore does."""
    sent = _two_calls_in_the_live_environment(
        monkeypatch, lambda_at_start=True, between={"_X_AMZN_TRACE_ID": "Root=1-second"}
    )
    assert sent == ["Root=1-first", "Root=1-second"]


def test_whether_we_run_in_lambda_is_read_when_the_client_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``AWS_LAMBDA_FUNCTION_NAME`` is set by the runtime before any code runs and never
    changes: it is read once, at the client's first call (not per request: a missing
    name cost a raised and caught KeyError in ``os.environ`` on every request)."""
    sent = _two_calls_in_the_live_environment(
        monkeypatch, lambda_at_start=False, between={"AWS_LAMBDA_FUNCTION_NAME": "fn"}
    )
    assert sent == [None, None]


def test_signed_request_matches_botocore_byte_for_byte_with_the_trace_header() -> None:
    """botocore adds the header before signing (before-call) and leaves it unsigned
    (SIGNED_HEADERS_BLACKLIST): same headers, same order, same signature."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials
    from botocore.handlers import add_recursion_detection_header

    from personalize_lite._call import ClockSkew, _sign
    from personalize_lite._endpoints import resolve_endpoint
    from personalize_lite._retry import RetryConfig as Retry
    from personalize_lite.credentials import CredentialCache

    when = datetime(2026, 12, 4, 6, 0, 0, tzinfo=timezone.utc)
    lambda_env = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "_X_AMZN_TRACE_ID": TRACE + " |ü"}
    from personalize_lite._call import CallContext

    ctx = CallContext(
        endpoint=resolve_endpoint(
            "us-east-1", use_fips=False, use_dualstack=False, endpoint_url=None
        ),
        credentials=CredentialCache(None, lambda: when),  # type: ignore[arg-type]
        retry=Retry(),
        quota=None,
        skew=ClockSkew(),
        user_agent="ua/1",
        clock=lambda: when,
        monotonic=lambda: 0.0,
        jitter=lambda: 0.5,
        new_id=lambda: "id",
        trace_env=lambda_env,
    )
    body = b'{"batchInferenceJobArn": "x"}'
    target = "AmazonPersonalize.DescribeBatchInferenceJob"
    ours = _sign(ctx, target, body, CREDS, 1, 3, "inv-1")
    params: dict[str, Any] = {
        "headers": {
            "X-Amz-Target": target,
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": "ua/1",
        }
    }
    with mock.patch.dict(os.environ, lambda_env):
        add_recursion_detection_header(params)
    request = AWSRequest(method="POST", url=ctx.url, data=body, headers=params["headers"])
    signer = SigV4Auth(
        BotoCredentials(CREDS.access_key_id, CREDS.secret_access_key), "personalize", "us-east-1"
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
        signer.add_auth(request)
    assert list(ours.headers[: len(request.headers)]) == list(request.headers.items())
    assert ours.header("X-Amzn-Trace-Id") == params["headers"]["X-Amzn-Trace-Id"]


# --------------------------------------------------------------------------- logging


def test_a_failed_call_with_retries_logs_nothing_above_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="personalize_lite")
    service = Service(*[error(400, "ThrottlingException") for _ in range(3)])
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(
            http_client=http,
            region="us-east-1",
            credentials=CREDS,
            env=ENV,
            sleep=lambda _s: None,
            retry=RetryConfig(max_attempts=3),
        ) as client,
        pytest.raises(ThrottlingException),
    ):
        client.describe_batch_inference_job(ARN)
    ours = [r for r in caplog.records if r.name.startswith("personalize_lite")]
    assert [r.levelno for r in ours] == [logging.DEBUG] * 4  # three attempts, gave up
    assert "gave up after 3 attempts" in ours[-1].getMessage()


def test_only_the_create_retry_decision_is_logged_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="personalize_lite")
    service = Service(
        error(500, "InternalFailure"),
        error(400, "ResourceAlreadyExistsException"),
        reply(200, job("CREATE PENDING")),
    )
    with (
        httpx.Client(transport=httpx.MockTransport(service)) as http,
        PersonalizeClient(
            http_client=http, region="us-east-1", credentials=CREDS, env=ENV, sleep=lambda _s: None
        ) as client,
    ):
        client.create_batch_inference_job(
            job_name="nightly-1",
            solution_version_arn=SV,
            role_arn=ROLE,
            job_input="s3://b/in.json",
            job_output="s3://b/out/",
        )
    ours = [r for r in caplog.records if r.name.startswith("personalize_lite")]
    assert len(ours) >= 4  # the attempts and the describe, at DEBUG
    above_debug = [r for r in ours if r.levelno > logging.DEBUG]
    assert len(above_debug) == 1
    assert above_debug[0].levelno == logging.INFO
    assert "treating" in above_debug[0].getMessage()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_cancelled_call_ends_its_span_and_leaves_nothing_attached(
    anyio_backend: str, exporter: InMemorySpanExporter
) -> None:
    async def hang(_request: httpx.Request) -> httpx.Response:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    with anyio.fail_after(HANG):
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(hang)) as http,
            AsyncPersonalizeClient(
                http_client=http, region="us-east-1", credentials=CREDS, env=ENV
            ) as client,
        ):
            with anyio.move_on_after(0.05) as scope:
                await client.wait_for_batch_inference_job(ARN)
    assert scope.cancelled_caught
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == [
        "Personalize.DescribeBatchInferenceJob",
        "Personalize.wait_for_batch_inference_job",
    ]
    assert not trace.get_current_span().get_span_context().is_valid


async def test_global_httpx_instrumentation_on_the_clients_own_transports(
    driver: str, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """``HTTPXClientInstrumentor().instrument()`` patches httpx's own transports: the
    sync client's and the async client's on trio (and on asyncio without the aiohttp
    extra) have HTTP spans under ours. The asyncio client over httpx-aiohttp has none
    from it (aiohttp's own instrumentation covers that transport): ours is still there."""
    from tests.support.fault_server import FaultServer, Reply

    replies = [Reply(503, json.dumps({"__type": "ServiceUnavailable"}).encode())]
    replies.append(Reply(200, json.dumps(job()).encode(), headers=[("x-amzn-RequestId", "r")]))
    server = FaultServer(replies)
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    kwargs: dict[str, Any] = {
        "region": "us-east-1",
        "credentials": CREDS,
        "env": ENV,
        "endpoint_url": server.url,
        "jitter": lambda: 0.0,
    }
    try:
        with anyio.fail_after(HANG):
            if driver == "sync":
                with PersonalizeClient(sleep=lambda _s: None, **kwargs) as client:
                    await anyio.to_thread.run_sync(
                        lambda: client.describe_batch_inference_job(ARN), abandon_on_cancel=True
                    )
            else:

                async def no_sleep(_seconds: float) -> None:
                    await anyio.lowlevel.checkpoint()

                async with AsyncPersonalizeClient(sleep=no_sleep, **kwargs) as aclient:
                    await aclient.describe_batch_inference_job(ARN)
                    transport = type(aclient._client._transport).__name__  # type: ignore[union-attr]
    finally:
        instrumentor.uninstrument()
        server.close()
    spans = exporter.get_finished_spans()
    (ours,) = by_name(spans, "Personalize.DescribeBatchInferenceJob")
    http_spans = [span for span in spans if span is not ours]
    if driver == "asyncio" and transport == "AiohttpTransport":
        assert http_spans == []
        return
    assert [span.name for span in http_spans] == ["POST", "POST"]
    assert all(
        s.parent is not None and s.parent.span_id == ours.context.span_id for s in http_spans
    )
