"""The steps a plan yields to its driver, and the plain HTTP values they carry.

A *plan* is a generator (``Plan[T]``) that decides everything and performs no I/O. It
yields one of three steps and receives the outcome through ``generator.send``:

* :class:`Send` -- send this request; the driver sends back an :class:`HttpResponse`, or
  throws a :class:`~personalize_lite._errors.TransportError` into the plan.
* :class:`Sleep` -- wait this many seconds; the driver sends back ``None``.
* :class:`Blocking` -- run this blocking callable (file reads, later subprocesses); the
  sync driver calls it, the async driver runs it in a worker thread. Its return value is
  sent back; an exception it raises is thrown into the plan.

The plan's return value (``StopIteration.value``) is the result. The pattern is httpx's
``Auth.auth_flow`` and h11's bytes-in/events-out: two thin drivers, one plan.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

import attrs

__all__ = ["Blocking", "HttpRequest", "HttpResponse", "Plan", "Send", "Sleep", "Step"]

T = TypeVar("T")


@attrs.frozen(kw_only=True, slots=True)
class HttpRequest:
    """A request ready for the wire. Header names keep their case, order is kept."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@attrs.frozen(kw_only=True, slots=True)
class HttpResponse:
    """A complete response. ``headers`` keys are lower-case."""

    status_code: int
    headers: dict[str, str]
    body: bytes


@attrs.frozen(kw_only=True, slots=True)
class Send:
    request: HttpRequest
    #: Used for log lines only (1-based).
    attempt: int = 1


@attrs.frozen(kw_only=True, slots=True)
class Sleep:
    seconds: float


@attrs.frozen(kw_only=True, slots=True)
class Blocking:
    fn: Callable[[], Any]


Step = Send | Sleep | Blocking
#: A plan yields steps, receives their outcome, and returns a T.
Plan = Generator[Step, Any, T]
