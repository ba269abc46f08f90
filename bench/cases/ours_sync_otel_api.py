"""Tracing case (b): ``ours_sync`` in an application that imported ``opentelemetry.trace``
(opentelemetry-api installed) and set no tracer provider: no SDK.

``_tracing.start`` finds the API, asks it for the global provider, gets the API's
``ProxyTracerProvider`` and makes no span. Issue 13 wants this within noise of (a).
"""

from _otel import check, clear_otel_environment, run_ours_sync

clear_otel_environment()
import opentelemetry.trace  # noqa: E402, F401 - what the application did; no provider set

run_ours_sync()
check(otel_imported=True, tracer_made=False)
