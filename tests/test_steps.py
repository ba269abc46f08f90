"""The step vocabulary's helpers: the send_with_retries plan, and resume (the drivers'
way of handing an outcome back to a plan)."""

from __future__ import annotations

import pytest

from personalize_lite import ReadTimeoutError
from personalize_lite._steps import (
    HttpRequest,
    HttpResponse,
    Plan,
    Send,
    Sleep,
    assert_never,
    resume,
    send_with_retries,
)
from tests.support.plans import drive

REQUEST = HttpRequest(method="GET", url="http://127.0.0.1:9/x", headers=(), body=b"")


def _reply(status: int) -> HttpResponse:
    return HttpResponse(status_code=status, headers={}, body=b"")


def test_retries_transport_errors_and_rejected_replies_then_returns_the_good_one() -> None:
    run = drive(
        send_with_retries(
            REQUEST, attempts=3, timeout=1.0, pause=0.5, retry=lambda r: r.status_code >= 500
        ),
        [ReadTimeoutError("slow"), _reply(503), _reply(200)],
    )
    assert run.result.status_code == 200
    assert len(run.requests) == 3
    assert run.sleeps == [0.5, 0.5]  # a pause between tries, none before the first


def test_returns_the_last_outcome_instead_of_raising() -> None:
    run = drive(
        send_with_retries(REQUEST, attempts=2, timeout=1.0, pause=0.1, retry=lambda _: True),
        [_reply(500), ReadTimeoutError("slow")],
    )
    assert run.error is None
    assert isinstance(run.result, ReadTimeoutError)
    assert len(run.requests) == 2


def test_an_accepted_first_reply_is_not_retried() -> None:
    run = drive(
        send_with_retries(REQUEST, attempts=5, timeout=None, pause=1.0, retry=lambda _: False),
        [_reply(404)],
    )
    assert run.result.status_code == 404
    assert run.sleeps == []


def test_request_repr_masks_the_signature_and_the_token() -> None:
    request = HttpRequest(
        method="POST",
        url="https://personalize.us-east-1.amazonaws.com/",
        headers=(
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=deadbeef" * 2),
            ("x-amz-security-token", "FQoGZXIvYXdzEXAMPLE-token"),
            ("X-Amz-Target", "AmazonPersonalize.DescribeBatchInferenceJob"),
        ),
        body=b"{}",
    )
    text = repr(request)
    assert "deadbeef" not in text
    assert "EXAMPLE-token" not in text
    assert "AmazonPersonalize.DescribeBatchInferenceJob" in text
    assert "deadbeef" in (request.header("Authorization") or "")  # the value is intact


def _echo() -> Plan[str]:
    """Sleeps, then reports what it was sent or what was thrown into it."""
    try:
        got = yield Sleep(seconds=1.0)
    except ReadTimeoutError as exc:
        return f"thrown {exc}"
    return f"sent {got}"


def test_resume_sends_the_value_or_throws_the_error_into_the_plan() -> None:
    sent = _echo()
    assert resume(sent, None, None) == Sleep(seconds=1.0)  # the first step
    with pytest.raises(StopIteration) as done:
        resume(sent, "reply", None)
    assert done.value.value == "sent reply"
    thrown = _echo()
    resume(thrown, None, None)
    with pytest.raises(StopIteration) as done:
        resume(thrown, "ignored", ReadTimeoutError("slow"))
    assert done.value.value == "thrown slow"


def test_resume_lets_an_error_the_plan_does_not_handle_out() -> None:
    plan = send_with_retries(REQUEST, attempts=1, timeout=None, pause=0.0, retry=lambda _: False)
    assert isinstance(resume(plan, None, None), Send)
    with pytest.raises(KeyError):
        resume(plan, None, KeyError("not a transport error"))


def test_assert_never_names_the_step_it_does_not_know() -> None:
    with pytest.raises(AssertionError, match=r"a step of no known kind: 'sideways'"):
        assert_never("sideways")  # type: ignore[arg-type]
