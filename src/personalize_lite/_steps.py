"""The steps a plan yields to its driver, and the plain HTTP values they carry.

A *plan* is a generator (``Plan[T]``) that decides everything and performs no I/O. It
yields one of five steps and receives the outcome through ``generator.send``:

* :class:`Send` -- send this request; the driver sends back an :class:`HttpResponse`, or
  throws a :class:`~personalize_lite._errors.TransportError` into the plan.
* :class:`Sleep` -- wait this many seconds; the driver sends back ``None``.
* :class:`Blocking` -- run this blocking callable (file reads, subprocesses); the sync
  driver calls it, the async driver runs it in a worker thread. Its return value is
  sent back; an exception it raises is thrown into the plan.
* :class:`Callback` -- call the user's ``fn(arg)`` (the waiter's ``on_update``); the async
  driver awaits the result when it is awaitable, the sync driver cannot and throws a
  ``ParamValidationError`` into the plan instead (closing a coroutine unawaited).
* :class:`Exclusive` -- run this sub-plan while holding ``lock`` (a thread lock in the
  sync driver, an anyio lock in the async one) and send back its result: single-flight
  credential refreshes, so concurrent callers share one fetch. With ``wait=False`` a
  caller that finds the lock held does not wait: the sub-plan is closed unrun and
  ``busy`` is sent back (an advisory refresh is already under way).

The plan's return value (``StopIteration.value``) is the result. The pattern is httpx's
``Auth.auth_flow`` and h11's bytes-in/events-out: two thin drivers, one plan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any, NoReturn, TypeVar

import attrs

from ._errors import TransportError

__all__ = [
    "Blocking",
    "Callback",
    "Exclusive",
    "FlightLock",
    "HttpRequest",
    "HttpResponse",
    "Plan",
    "Send",
    "Sleep",
    "Step",
    "assert_never",
    "resume",
    "send_with_retries",
]

T = TypeVar("T")


_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})


def _headers_repr(headers: tuple[tuple[str, str], ...]) -> str:
    """The headers with the signature and the session token masked."""
    shown = tuple(
        (name, "***" if name.lower() in _SECRET_HEADERS else value) for name, value in headers
    )
    return repr(shown)


@attrs.frozen(kw_only=True, slots=True)
class HttpRequest:
    """A request ready for the wire. Header names keep their case, order is kept. Its
    repr masks ``Authorization`` and ``X-Amz-Security-Token``."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=_headers_repr)
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
    #: Seconds for this request (connect, read, write, pool); None: the client's timeout.
    timeout: float | None = None
    #: A credential endpoint (instance metadata, container): never sent through a proxy
    #: of the environment, of ours or of the user's ``http_client`` that we can see (its
    #: mounts, an httpx or httpx-aiohttp proxy transport, our recorders around one; see
    #: ``_proxies.direct_transport``). The exception: a user transport of a type we
    #: cannot look into (a custom class that proxies by itself) is trusted as direct.
    direct: bool = False


@attrs.frozen(kw_only=True, slots=True)
class Sleep:
    seconds: float


@attrs.frozen(kw_only=True, slots=True)
class Blocking:
    fn: Callable[[], Any]


@attrs.frozen(kw_only=True, slots=True)
class Callback:
    fn: Callable[[Any], Any]
    arg: Any


class FlightLock:
    """A lock for :class:`Exclusive` usable by both drivers.

    The sync driver takes ``thread_lock``; the async driver takes ``async_lock``, an
    ``anyio.Lock`` it creates on first use inside the event loop (``None`` until then).
    """

    def __init__(self) -> None:
        self.thread_lock = threading.Lock()
        self.async_lock: Any = None


@attrs.frozen(kw_only=True, slots=True)
class Exclusive:
    lock: FlightLock
    plan: Generator[Any, Any, Any]
    #: False: if ``lock`` is held, close ``plan`` unrun and send back ``busy`` at once.
    wait: bool = True
    busy: Any = None


Step = Send | Sleep | Blocking | Exclusive | Callback
#: A plan yields steps, receives their outcome, and returns a T.
Plan = Generator[Step, Any, T]


def assert_never(step: NoReturn) -> NoReturn:
    """The last branch of a driver's dispatch: mypy checks that every kind of :data:`Step`
    was handled before it (``typing.assert_never`` is 3.11+); at run time a step of no
    known kind fails here instead of being taken for another."""
    raise AssertionError(f"a step of no known kind: {step!r}")


def send_with_retries(
    request: HttpRequest,
    *,
    attempts: int,
    timeout: float | None,
    pause: float,
    retry: Callable[[HttpResponse], bool],
    direct: bool = False,
) -> Plan[HttpResponse | TransportError]:
    """Send ``request`` up to ``attempts`` times, pausing between tries, while the
    transport fails or ``retry(response)`` is true; the last outcome is returned (never
    raised). The small retry loop of the metadata and container credential providers;
    ``direct`` marks the Send steps (see :class:`Send`)."""
    outcome: HttpResponse | TransportError | None = None
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            yield Sleep(seconds=pause)
        try:
            response: HttpResponse = yield Send(
                request=request, attempt=attempt, timeout=timeout, direct=direct
            )
        except TransportError as exc:
            outcome = exc
            continue
        outcome = response
        if not retry(response):
            return response
    assert outcome is not None, "attempts must be >= 1"
    return outcome


def resume(plan: Plan[T], value: Any, error: BaseException | None) -> Step:
    """Feed the last outcome to ``plan``; the next step, or ``StopIteration`` with the result."""
    if error is not None:
        return plan.throw(error)
    return plan.send(value)
