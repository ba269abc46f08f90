"""Timing loops and result output for the throughput cases (standard library only).

A throughput case is run as ``python bench/cases/<case>.py ENDPOINT_URL CALLS WARMUP``; it
makes ``WARMUP`` untimed calls, then ``CALLS`` timed ones, and prints one JSON object on
stdout: wall and CPU (``time.process_time``) microseconds per call, plus case extras.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

#: Requests in flight in the async cases.
CONCURRENCY = 50


def arguments() -> tuple[str, int, int]:
    """``(endpoint_url, calls, warmup)`` from the command line."""
    endpoint_url, calls, warmup = sys.argv[1:4]
    return endpoint_url, int(calls), int(warmup)


def _check(result: T, ok: Callable[[T], bool]) -> None:
    if not ok(result):
        raise RuntimeError(f"unexpected result: {result!r}")


def time_sync(
    call: Callable[[], T], ok: Callable[[T], bool], *, calls: int, warmup: int
) -> dict[str, float]:
    """Call ``call`` ``warmup`` times, then time ``calls`` calls; ``ok`` checks the last."""
    for _ in range(warmup):
        call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls - 1):
        call()
    result = call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check(result, ok)
    return {"us_per_call": wall * 1e6 / calls, "cpu_us_per_call": cpu * 1e6 / calls}


async def _bounded(call: Callable[[], Awaitable[T]], total: int) -> list[T]:
    """Make ``total`` calls, ``CONCURRENCY`` at a time (workers pulling from a counter);
    the last result, if any."""
    remaining = total
    last: list[T] = []

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            last[:] = [await call()]

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return last


async def time_async(
    call: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, calls: int, warmup: int
) -> dict[str, float]:
    """``warmup`` untimed calls, then ``calls`` timed ones, ``CONCURRENCY`` in flight;
    microseconds per call are elapsed / calls. ``ok`` checks the last result."""
    await _bounded(call, warmup)
    wall, cpu = time.perf_counter(), time.process_time()
    (result,) = await _bounded(call, calls)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check(result, ok)
    return {"us_per_call": wall * 1e6 / calls, "cpu_us_per_call": cpu * 1e6 / calls}


def emit(result: Mapping[str, object]) -> None:
    """Hand the result to bench/run.py."""
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
