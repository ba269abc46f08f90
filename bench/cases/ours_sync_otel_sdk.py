"""Tracing case (c), for orientation: ``ours_sync`` with the SDK's ``TracerProvider`` set
and no span processor: every call builds its span (attributes, an ``attempt`` event) and
ends it; nothing is exported.
"""

from _otel import check, clear_otel_environment, run_ours_sync

clear_otel_environment()
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

trace.set_tracer_provider(TracerProvider())

run_ours_sync()
check(otel_imported=True, tracer_made=True)
