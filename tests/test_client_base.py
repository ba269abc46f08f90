"""What both clients share (``_client_base.py``): invocation ids, the user agent, the
``timeout`` keyword."""

from __future__ import annotations

import math
import uuid

import httpx
import pytest

import personalize_lite
from personalize_lite import ParamValidationError
from personalize_lite._client_base import _as_timeout, invocation_id, user_agent


def test_invocation_ids_are_random_version_4_uuids() -> None:
    ids = [invocation_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every variant digit and every random hex digit shows up across 2000 draws.
    assert {text[19] for text in ids} == set("89ab")
    assert set("".join(text[:8] for text in ids)) == set("0123456789abcdef")


def test_user_agent_names_us_httpx_and_python() -> None:
    ua = user_agent()
    assert ua.startswith(
        f"personalize-lite/{personalize_lite.__version__} httpx/{httpx.__version__} python/"
    )


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True, None])
def test_bad_timeouts(bad: object) -> None:
    with pytest.raises(ParamValidationError):
        _as_timeout(bad)


def test_good_timeouts() -> None:
    assert _as_timeout(2) == httpx.Timeout(2.0)
    custom = httpx.Timeout(1.0, connect=0.5)
    assert _as_timeout(custom) is custom
