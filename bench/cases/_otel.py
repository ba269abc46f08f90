"""The tracing cases: the ``ours_sync`` case itself, run after a set-up of OpenTelemetry.

``ours_sync_otel_none``, ``ours_sync_otel_api`` and ``ours_sync_otel_sdk`` differ only in
what the application did before its first call; each then runs ``ours_sync.py`` as is
(``runpy``, once, before any timing), so the timed loop is the same code in all three.
Every ``OTEL_*`` variable is removed first: an exporter, a sampler or a provider named in
the environment would change what is measured.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

OURS_SYNC = Path(__file__).resolve().with_name("ours_sync.py")


def clear_otel_environment() -> None:
    """Drop ``OTEL_*`` settings, before opentelemetry is imported."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]


def run_ours_sync() -> None:
    """The ``ours_sync`` case, with this process's arguments (it prints the result)."""
    runpy.run_path(str(OURS_SYNC), run_name="__main__")


def check(*, otel_imported: bool, tracer_made: bool) -> None:
    """Fail the case unless the set-up was what it claims: opentelemetry imported or not,
    and whether personalize-lite got a tracer (it does only when spans would record)."""
    # Bench code: a private module, imported late so that the set-up's import order holds.
    from personalize_lite import _tracing

    imported = "opentelemetry.trace" in sys.modules
    made = _tracing._cached is not None
    if (imported, made) != (otel_imported, tracer_made):
        raise RuntimeError(
            f"set-up not as described: opentelemetry.trace imported {imported} "
            f"(expected {otel_imported}), tracer made {made} (expected {tracer_made})"
        )
