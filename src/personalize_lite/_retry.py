"""Retry policy: immutable configuration and pure decisions (urllib3's ``Retry``,
aiodynamo's ``RetryConfig``), plus botocore's standard-mode retry quota.

* :class:`RetryConfig` is data: ``next_delay(attempt, jitter)`` is a pure function.
* :func:`classify` decides, once, whether an error code / status is retryable or
  throttling; errors carry the answer, so nothing here matches class names.
* :class:`RetryQuota` is the one piece of shared mutable state (a token bucket of 500,
  5 per retry, 10 per timeout retry, refunded on success), shared by every call of a
  client and safe across threads.

Deliberate difference from botocore: ``LimitExceededException`` is a service quota
error, not throttling, so it is never retried (botocore lists it as throttling).
"""

from __future__ import annotations

import math
import threading
from typing import Final, Literal

import attrs

from ._errors import Attempt, ParamValidationError

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "Attempt",  # defined in _errors (the error carries it); still importable from here
    "RetryConfig",
    "RetryMode",
    "RetryQuota",
    "classify",
    "is_clock_skew_code",
]

RetryMode = Literal["standard", "legacy", "adaptive"]
_MODES: Final = ("standard", "legacy", "adaptive")
#: botocore's defaults: standard/adaptive 3 attempts, legacy 5.
DEFAULT_MAX_ATTEMPTS: Final = {"standard": 3, "adaptive": 3, "legacy": 5}

THROTTLING_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES: Final = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUSES: Final = frozenset({500, 502, 503, 504})
CLOCK_SKEW_CODES: Final = frozenset(
    {
        "RequestTimeTooSkewed",
        "RequestExpired",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "RequestInTheFuture",
    }
)

_INITIAL_CAPACITY: Final = 500
_RETRY_COST: Final = 5
_TIMEOUT_RETRY_COST: Final = 10
_NO_RETRY_INCREMENT: Final = 1


def classify(code: str, status_code: int) -> tuple[bool, bool]:
    """``(retryable, throttling)`` for a service error."""
    throttling = code in THROTTLING_CODES or status_code == 429
    retryable = throttling or code in TRANSIENT_CODES or status_code in TRANSIENT_STATUSES
    return retryable, throttling


def is_clock_skew_code(code: str) -> bool:
    return code in CLOCK_SKEW_CODES


def _check(cfg: RetryConfig) -> None:
    if isinstance(cfg.max_attempts, bool) or not isinstance(cfg.max_attempts, int):
        raise ParamValidationError(f"max_attempts must be an int, got {cfg.max_attempts!r}")
    if cfg.max_attempts < 1:
        raise ParamValidationError(f"max_attempts must be >= 1, got {cfg.max_attempts}")
    backoff = cfg.max_backoff
    if (
        isinstance(backoff, bool)
        or not isinstance(backoff, int | float)
        or not math.isfinite(backoff)
        or backoff < 0
    ):
        raise ParamValidationError(f"max_backoff must be a finite number >= 0, got {backoff!r}")
    if cfg.mode not in _MODES:
        raise ParamValidationError(f"mode must be one of {', '.join(_MODES)}, got {cfg.mode!r}")


@attrs.frozen(kw_only=True, slots=True)
class RetryConfig:
    """How a call retries.

    ``max_attempts`` counts the first try (3 = one try and two retries). ``mode``:
    ``standard`` (default; exponential backoff with full jitter capped at
    ``max_backoff``, and a retry quota), ``legacy`` (botocore's old mode: uncapped
    backoff, no quota) or ``adaptive`` (accepted for compatibility with
    ``AWS_RETRY_MODE``; behaves as ``standard``, without botocore's client-side rate
    limiter).
    """

    max_attempts: int = 3
    max_backoff: float = 20.0
    mode: RetryMode = "standard"

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def uses_quota(self) -> bool:
        return self.mode != "legacy"

    def next_delay(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``jitter`` is a draw from ``[0, 1)``: standard is ``jitter * min(2**(n-1),
        max_backoff)``; legacy is ``jitter * 2**(n-1)``, uncapped as in botocore.
        """
        base = 2.0 ** min(attempt - 1, 1023)  # float's range: 2.0 ** 1024 overflows
        if self.mode == "legacy":
            return jitter * base
        return jitter * min(base, self.max_backoff)


class RetryQuota:
    """botocore's standard-mode retry quota, shared by all calls of one client."""

    def __init__(self, capacity: int = _INITIAL_CAPACITY) -> None:
        self._max = capacity
        self._available = capacity
        self._lock = threading.Lock()

    @property
    def available(self) -> int:
        return self._available

    def acquire(self, *, timeout: bool) -> int | None:
        """Take the cost of one retry; the amount taken, or None when exhausted."""
        cost = _TIMEOUT_RETRY_COST if timeout else _RETRY_COST
        with self._lock:
            if cost > self._available:
                return None
            self._available -= cost
            return cost

    def release(self, last_acquired: int | None) -> None:
        """On success: refund the last retry's cost, or 1 when the call did not retry."""
        amount = _NO_RETRY_INCREMENT if last_acquired is None else last_acquired
        with self._lock:
            self._available = min(self._max, self._available + amount)
