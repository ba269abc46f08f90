"""The step vocabulary's one helper plan: send_with_retries."""

from __future__ import annotations

from personalize_lite import ReadTimeoutError
from personalize_lite._steps import HttpRequest, HttpResponse, send_with_retries
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
