"""The sync client's hard attempt deadline: the per-thread deadline of the current
attempt, and :func:`bounded`, which gives a transport we build a network backend whose
every connect, TLS handshake, read and write ends by it (``_deadline_backend.py``).

httpcore reads a request's read timeout once per phase and hands it to every socket read:
a server dripping the header lines (up to h11's 100 KiB limit), or a body, each gap under
the read timeout, is bounded per read only. With the backend, each network operation gets
``min(its phase timeout, time left)``; with no time left it raises httpcore's
``ConnectTimeout``/``ReadTimeout``/``WriteTimeout`` at once, before touching the socket.

The deadline is per thread (a client may be shared by threads; httpcore's sync pool does
each request's I/O in the thread that sent it): the sync driver's ``_send`` calls
:func:`begin` before sending and :func:`end` after the body is read. No deadline set
(another caller of the same transport): operations pass through unchanged.

It runs on real time (``time.monotonic``): a socket wait can only be bounded by the real
clock. The client's injectable clock keeps governing what the shared ``Exchange`` decides
between body chunks (``_httpx.py``).

Installed only on the transports this package creates: a user's own ``http_client``
keeps its transport, and its per-read timeouts. httpcore (which imports anyio and trio
when they are installed) is loaded only when a transport is bounded, as httpx does.
"""

from __future__ import annotations

import threading
import time
from typing import Final

__all__ = ["begin", "clamp", "end", "expire", "passed"]


class _State(threading.local):
    #: The current attempt's deadline, on ``time.monotonic``; None: no deadline.
    deadline: float | None = None
    #: Whether an operation of the current attempt ran out of time (or found none left).
    expired: bool = False


_state: Final = _State()


def begin(seconds: float | None) -> float | None:
    """Start an attempt of ``seconds`` (None: unbounded) in this thread; returns the
    deadline it replaces, for :func:`end`."""
    previous = _state.deadline
    _state.deadline = None if seconds is None else time.monotonic() + seconds
    _state.expired = False
    return previous


def end(previous: float | None) -> None:
    """End the attempt :func:`begin` started (restoring ``previous``)."""
    _state.deadline = previous


def passed() -> bool:
    """Whether the current attempt's deadline cut a network operation short: a timeout
    raised then is the attempt deadline's, not a phase timeout's."""
    return _state.expired


def expire() -> None:
    """Record that an operation the deadline clamped (see :func:`clamp`) timed out."""
    _state.expired = True


def clamp(timeout: float | None, error: type[Exception]) -> tuple[float | None, bool]:
    """The timeout for one network operation in this thread, and whether the deadline set
    it (so that operation's timeout is the deadline's). Raises ``error`` (recording it)
    when no time is left."""
    deadline = _state.deadline
    if deadline is None:
        return timeout, False
    left = deadline - time.monotonic()
    if left <= 0:
        _state.expired = True
        raise error("the attempt deadline passed")
    if timeout is None or left < timeout:
        return left, True
    return timeout, False
