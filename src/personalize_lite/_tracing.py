"""OpenTelemetry spans, when the application traces; nothing at all otherwise.

opentelemetry is never imported here: :func:`start` looks for ``opentelemetry.trace`` in
``sys.modules``. An application that traces has imported it (to set a tracer provider,
or the auto-instrumentation did); one that does not pays one dict lookup per call. A
provider still unset (the API's proxy) or the no-op provider also means no span.

The span names and attributes follow ``opentelemetry-instrumentation-botocore``: one
CLIENT span per operation call named ``Personalize.<Operation>`` with ``rpc.system``
``aws-api``, ``rpc.service``, ``rpc.method``, ``aws.region``, ``aws.request_id``,
``retry_attempts``; and ``cloud.region`` and ``http.response.status_code`` (the current
semantic conventions' names), plus ``personalize_lite.attempts``. Each attempt is a span
event (``attempt``). A waiter and a listing are one INTERNAL parent span over their calls.

A span is made current while its plan runs: the plan runs in the driver's thread or
task (``generator.send`` runs it there), so the span is current when the driver sends,
and httpx's own instrumentation makes its spans our span's children. :class:`Scope`
attaches on start and detaches on :meth:`Scope.end`, which every plan calls in a
``finally``, in the same thread or task.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Final

from ._retry import Attempt
from ._version import __version__

__all__ = ["SERVICE_ID", "Scope", "start"]

#: The botocore service id of Amazon Personalize (the span name's prefix).
SERVICE_ID: Final = "Personalize"

_TRACER_NAME: Final = "personalize_lite"

#: (provider, tracer) for the last provider seen: get_tracer once per provider.
_cached: tuple[Any, Any] | None = None


def _tracer(trace: Any) -> Any:
    """Our tracer from the global provider, or None when nothing would record."""
    global _cached
    provider = trace.get_tracer_provider()
    # A tuple, not ``A | B``: the union would be built anew on every call.
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    cached = _cached
    if cached is not None and cached[0] is provider:
        return cached[1]
    tracer = provider.get_tracer(_TRACER_NAME, __version__)
    _cached = (provider, tracer)
    return tracer


class Scope:
    """One span, current from :func:`start` until :meth:`end`."""

    __slots__ = ("_attempts", "_ended", "_span", "_token", "_trace")

    def __init__(self, trace: Any, span: Any, *, attach: bool = True) -> None:
        self._trace = trace
        self._span = span
        self._token = self.activate() if attach else None
        self._attempts = 0
        self._ended = False

    def activate(self) -> object:
        """Make the span current (a listing's parent, for one page); the token is for
        :meth:`deactivate`, in the same thread or task."""
        context: Any = importlib.import_module("opentelemetry.context")

        return context.attach(self._trace.set_span_in_context(self._span))

    def deactivate(self, token: object) -> None:
        context: Any = importlib.import_module("opentelemetry.context")

        context.detach(token)

    def attempt(self, record: Attempt, max_attempts: int) -> None:
        """One attempt of the call: an ``attempt`` event, and the last attempt's status
        and request id as the span's attributes."""
        self._attempts += 1
        event: dict[str, Any] = {
            "attempt": record.number,
            "max_attempts": max_attempts,
            "elapsed_ms": round(record.elapsed_ms, 3),
        }
        if record.status_code is not None:
            event["http.response.status_code"] = record.status_code
        if record.request_id is not None:
            event["aws.request_id"] = record.request_id
        if record.error_code is not None:
            event["error.type"] = record.error_code
        if record.delay is not None:
            event["retry_in_s"] = record.delay
        if record.gave_up is not None:
            event["gave_up"] = record.gave_up
        span = self._span
        span.add_event("attempt", event)
        span.set_attribute("personalize_lite.attempts", self._attempts)
        span.set_attribute("retry_attempts", self._attempts - 1)
        if record.status_code is not None:
            span.set_attribute("http.response.status_code", record.status_code)
            span.set_attribute("http.status_code", record.status_code)
        if record.request_id is not None:
            span.set_attribute("aws.request_id", record.request_id)

    def end(self, error: BaseException | None = None) -> None:
        """Detach and end the span; ``error`` (our typed exception) sets status ERROR
        and is recorded. A plan closed unfinished (cancelled) ends its span unset."""
        if self._ended:
            return
        self._ended = True
        context: Any = importlib.import_module("opentelemetry.context")

        try:
            if error is not None:
                status = self._trace.Status(self._trace.StatusCode.ERROR, type(error).__name__)
                self._span.set_status(status)
                self._span.set_attribute("error.type", type(error).__name__)
                self._span.record_exception(error)
        finally:
            if self._token is not None:
                context.detach(self._token)
            self._span.end()


def start(
    name: str, *, region: str | None, client: bool = True, attach: bool = True
) -> Scope | None:
    """Start the span of one call (``client``) or of a waiter or listing (INTERNAL),
    current unless ``attach`` is false; None when the application does not trace."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    tracer = _tracer(trace)
    if tracer is None:
        return None
    attributes: dict[str, Any] = {"rpc.system": "aws-api", "rpc.service": SERVICE_ID}
    if region is not None:
        attributes["aws.region"] = region
        attributes["cloud.region"] = region
    if client:
        attributes["rpc.method"] = name
        kind = trace.SpanKind.CLIENT
    else:
        kind = trace.SpanKind.INTERNAL
    span = tracer.start_span(f"{SERVICE_ID}.{name}", kind=kind, attributes=attributes)
    return Scope(trace, span, attach=attach)
