"""Retry policy: configuration, backoff, classification, quota, against botocore's traces."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from personalize_lite import ParamValidationError, RetryConfig
from personalize_lite._retry import (
    THROTTLING_CODES,
    TRANSIENT_CODES,
    TRANSIENT_STATUSES,
    RetryQuota,
    classify,
)
from tests.support.paths import load_json

RETRIES = load_json("botocore-observed/retries.out.json")
CONSTANTS = RETRIES["constants"]


def test_defaults_match_the_contract() -> None:
    cfg = RetryConfig()
    assert (cfg.max_attempts, cfg.max_backoff, cfg.mode) == (3, 20.0, "standard")
    assert CONSTANTS["standard.DEFAULT_MAX_ATTEMPTS"] == cfg.max_attempts
    assert CONSTANTS["standard.ExponentialBackoff._MAX_BACKOFF"] == cfg.max_backoff


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"max_attempts": 2.5},
        {"max_attempts": True},
        {"max_attempts": "3"},
        {"max_backoff": -1},
        {"max_backoff": float("nan")},
        {"max_backoff": float("inf")},
        {"mode": "fast"},
    ],
)
def test_bad_config_is_a_param_validation_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ParamValidationError):
        RetryConfig(**kwargs)


def test_config_is_frozen_and_keyword_only() -> None:
    cfg = RetryConfig()
    with pytest.raises(AttributeError):
        cfg.max_attempts = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        RetryConfig(3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "row", RETRIES["backoff_tables"], ids=lambda r: str(r["attempt_number_that_failed"])
)
def test_backoff_table_with_full_jitter(row: dict[str, Any]) -> None:
    attempt = row["attempt_number_that_failed"]
    standard = RetryConfig(max_attempts=20)
    legacy = RetryConfig(max_attempts=20, mode="legacy")
    assert standard.next_delay(attempt, 1.0) == row["standard_max_delay_s(rand=1)"]
    assert legacy.next_delay(attempt, 1.0) == row["legacy_max_delay_s(rand=1)"]
    assert standard.next_delay(attempt, 0.0) == 0.0


@given(attempt=st.integers(1, 60), draw=st.floats(0, 1), cap=st.floats(0, 100))
def test_standard_delay_is_bounded(attempt: int, draw: float, cap: float) -> None:
    delay = RetryConfig(max_attempts=61, max_backoff=cap).next_delay(attempt, draw)
    assert 0.0 <= delay <= min(2.0 ** (attempt - 1), cap)


def test_throttling_codes_are_botocores_except_limit_exceeded() -> None:
    botocore_codes = set(CONSTANTS["ThrottledRetryableChecker._THROTTLED_ERROR_CODES"])
    # Deliberate difference: LimitExceededException is a quota error, not throttling.
    assert botocore_codes - THROTTLING_CODES == {"LimitExceededException"}
    assert botocore_codes >= THROTTLING_CODES
    assert set(CONSTANTS["TransientRetryableChecker._TRANSIENT_ERROR_CODES"]) == TRANSIENT_CODES
    assert set(CONSTANTS["TransientRetryableChecker._TRANSIENT_STATUS_CODES"]) == TRANSIENT_STATUSES


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, (True, True)),
        ("TooManyRequestsException", 429, (True, True)),
        ("Whatever", 429, (True, True)),
        ("BandwidthLimitExceeded", 509, (True, True)),
        ("ServiceUnavailable", 503, (True, False)),
        ("InternalFailure", 500, (True, False)),
        ("RequestTimeoutException", 400, (True, False)),
        ("LimitExceededException", 400, (False, False)),
        ("ResourceNotFoundException", 400, (False, False)),
        ("InvalidInputException", 400, (False, False)),
        ("AccessDeniedException", 400, (False, False)),
        ("ExpiredTokenException", 400, (False, False)),
        ("501", 501, (False, False)),
    ],
)
def test_classify(code: str, status: int, expected: tuple[bool, bool]) -> None:
    assert classify(code, status) == expected


def test_quota_costs_and_refunds() -> None:
    quota = RetryQuota()
    assert quota.available == CONSTANTS["quota.RetryQuota.INITIAL_CAPACITY"] == 500
    assert quota.acquire(timeout=False) == CONSTANTS["standard.RetryQuotaChecker._RETRY_COST"]
    assert (
        quota.acquire(timeout=True)
        == CONSTANTS["standard.RetryQuotaChecker._TIMEOUT_RETRY_REQUEST"]
    )
    assert quota.available == 485
    quota.release(10)
    assert quota.available == 495
    quota.release(None)
    assert quota.available == 496
    for _ in range(10):
        quota.release(10)
    assert quota.available == 500  # never above the initial capacity


def test_quota_exhausts_and_refuses() -> None:
    quota = RetryQuota(capacity=12)
    assert quota.acquire(timeout=False) == 5
    assert quota.acquire(timeout=False) == 5
    assert quota.acquire(timeout=False) is None
    assert quota.acquire(timeout=True) is None
    assert quota.available == 2


def test_quota_is_thread_safe() -> None:
    quota = RetryQuota()
    taken: list[int | None] = []

    def worker() -> None:
        for _ in range(50):
            taken.append(quota.acquire(timeout=False))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted = [t for t in taken if t is not None]
    assert len(granted) == 100  # 500 / 5, exactly, however the threads interleave
    assert quota.available == 0


def test_legacy_backoff_never_overflows() -> None:
    """Legacy backoff is uncapped, as in botocore; past attempt 1024 it stays the largest
    finite power of two instead of raising OverflowError."""
    legacy = RetryConfig(max_attempts=5000, mode="legacy")
    assert legacy.next_delay(1025, 0.5) == 0.5 * 2.0**1023
    assert legacy.next_delay(4000, 1.0) == 2.0**1023
