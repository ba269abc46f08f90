"""Argument checks shared by several modules (standard library and the error tree only)."""

from __future__ import annotations

import math

from ._errors import ParamValidationError

__all__ = ["positive_seconds"]


def positive_seconds(value: object, *, what: str = "timeout") -> float:
    """``value`` as a float number of seconds: finite and > 0 (booleans refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ParamValidationError(
            f"{what} must be a positive, finite number of seconds, not {value!r}"
        )
    return float(value)
