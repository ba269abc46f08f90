"""Drive call plans by hand: no network, no event loop, no real time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from personalize_lite import Credentials, RetryConfig
from personalize_lite._call import CallContext, ClockSkew
from personalize_lite._endpoints import Endpoint
from personalize_lite._retry import RetryQuota
from personalize_lite._steps import (
    Blocking,
    Callback,
    Exclusive,
    HttpRequest,
    HttpResponse,
    Plan,
    Send,
    Sleep,
)
from personalize_lite.credentials._base import CredentialCache, StaticProvider

__all__ = [
    "ARN",
    "EXAMPLE",
    "FROZEN",
    "Driven",
    "FakeClock",
    "drive",
    "error",
    "make_ctx",
    "ok",
    "reply",
]

ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/my-batch-job"
EXAMPLE = Credentials(
    access_key_id="AKIDEXAMPLE", secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)
FROZEN = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)


class FakeClock:
    """A clock that only moves when told to (or by each sleep, when driven)."""

    def __init__(self, start: datetime = FROZEN) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_ctx(
    *,
    retry: RetryConfig | None = None,
    jitter: Iterable[float] = (),
    clock: FakeClock | None = None,
    credentials: Credentials = EXAMPLE,
    quota: RetryQuota | None = None,
) -> CallContext:
    retry = retry or RetryConfig()
    draws = iter(jitter)
    clock = clock or FakeClock()
    return CallContext(
        endpoint=Endpoint(
            url="https://personalize.us-east-1.amazonaws.com", signing_region="us-east-1"
        ),
        credentials=CredentialCache(StaticProvider(credentials), clock),
        retry=retry,
        quota=quota if quota is not None else (RetryQuota() if retry.uses_quota else None),
        skew=ClockSkew(),
        user_agent="personalize-lite/test",
        clock=clock,
        monotonic=lambda: clock.now.timestamp(),
        jitter=lambda: next(draws, 1.0),
        new_id=lambda: "00000000-1111-4222-8333-444444444444",
    )


def reply(status: int, body: Any = None, **headers: str) -> HttpResponse:
    raw = (
        body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    )
    hdrs = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": f"rid-{status}"}
    hdrs.update({k.replace("_", "-").lower(): v for k, v in headers.items()})
    return HttpResponse(status_code=status, headers=hdrs, body=raw)


def ok(**job: Any) -> HttpResponse:
    return reply(200, {"batchInferenceJob": {"jobName": "my-batch-job", "status": "ACTIVE", **job}})


def error(status: int, code: str, message: str = "msg", **headers: str) -> HttpResponse:
    return reply(status, {"__type": code, "message": message}, **headers)


@attrs.define
class Driven:
    result: Any = None
    error: BaseException | None = None
    requests: list[HttpRequest] = attrs.field(factory=list)
    sleeps: list[float] = attrs.field(factory=list)


def drive(
    plan: Plan[Any],
    outcomes: Sequence[HttpResponse | BaseException],
    *,
    on_sleep: Callable[[float], None] | None = None,
) -> Driven:
    """Run ``plan``, answering each Send with the next outcome (the last one repeats)."""
    out = Driven()
    try:
        out.result = _run(plan, outcomes, out, on_sleep)
    except Exception as exc:
        out.error = exc
    return out


def _run(
    plan: Plan[Any],
    outcomes: Sequence[HttpResponse | BaseException],
    out: Driven,
    on_sleep: Callable[[float], None] | None,
) -> Any:
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            step = plan.throw(thrown) if thrown is not None else plan.send(value)
        except StopIteration as done:
            return done.value
        value = thrown = None
        if isinstance(step, Send):
            out.requests.append(step.request)
            outcome = outcomes[min(len(out.requests), len(outcomes)) - 1]
            if isinstance(outcome, BaseException):
                thrown = outcome
            else:
                value = outcome
        elif isinstance(step, Sleep):
            out.sleeps.append(step.seconds)
            if on_sleep is not None:
                on_sleep(step.seconds)
        elif isinstance(step, Blocking):
            value = step.fn()
        elif isinstance(step, Callback):
            value = step.fn(step.arg)
        elif isinstance(step, Exclusive):
            with step.lock.thread_lock:
                try:
                    value = _run(step.plan, outcomes, out, on_sleep)
                except Exception as exc:
                    thrown = exc
