"""Tracing case (a): ``ours_sync`` as today, opentelemetry installed but never imported.

personalize-lite's ``_tracing.start`` finds no ``opentelemetry.trace`` in ``sys.modules``
and makes no span: one dict lookup per call.
"""

from _otel import check, clear_otel_environment, run_ours_sync

clear_otel_environment()
run_ours_sync()
check(otel_imported=False, tracer_made=False)
