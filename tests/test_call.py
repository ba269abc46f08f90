"""The call plan, driven by hand: botocore's retry traces, clock skew, credentials,
attempt history, request framing, and secrets kept out of logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from personalize_lite import (
    BatchInferenceJob,
    ConnectTimeoutError,
    Credentials,
    EndpointConnectionError,
    InvalidSignatureException,
    LimitExceededException,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResourceNotFoundException,
    ResponseParseError,
    ResponseTooLargeError,
    RetryConfig,
    ThrottlingException,
    TransportError,
)
from personalize_lite._call import describe
from personalize_lite._retry import RetryQuota
from personalize_lite._steps import HttpResponse, Plan, Send
from personalize_lite.credentials._base import CredentialCache
from tests.support.paths import load_json
from tests.support.plans import ARN, FakeClock, drive, error, make_ctx, ok, reply

RETRIES = load_json("botocore-observed/retries.out.json")
STANDARD = RETRIES["scenarios"]["standard"]

Outcome = HttpResponse | BaseException

# Each botocore scenario, as the outcomes our transport would hand the plan.
SCENARIOS: dict[str, Sequence[Outcome]] = {
    "500_then_200": [error(500, "InternalFailure"), ok()],
    "503_always": [error(503, "ServiceUnavailable", "Service Unavailable")],
    "throttling_then_200": [error(400, "ThrottlingException", "Rate exceeded")] * 2 + [ok()],
    "throttling_always": [error(400, "ThrottlingException", "Rate exceeded")],
    "throttling_with_x_amz_retry_after_1500ms": [
        error(400, "ThrottlingException", x_amz_retry_after="1500"),
        ok(),
    ],
    "429_always": [error(429, "TooManyRequestsException", "slow down")],
    "509_always": [error(509, "BandwidthLimitExceeded", "x")],
    "RequestTimeoutException_then_200": [error(400, "RequestTimeoutException"), ok()],
    "ResourceNotFound": [error(400, "ResourceNotFoundException", "nope")],
    "EndpointConnectionError_always": [EndpointConnectionError("refused")],
    "ConnectTimeoutError_then_200": [ConnectTimeoutError("slow connect"), ok()],
    "ReadTimeoutError_then_200": [ReadTimeoutError("slow read"), ok()],
    "ConnectionClosedError_then_200": [TransportError("reset"), ok()],
    "SSLError_always": [EndpointConnectionError("bad cert")],
}
# Where we differ on purpose (docs/botocore-differences.md):
DIFFERENT = {
    # quota error, not throttling: one attempt instead of three
    "LimitExceededException_always",
    # we correct the clock and re-sign; botocore gives up (tested separately below)
    "InvalidSignatureException_clock_skew",
}


def _jitter_for(sleeps: list[float], cfg: RetryConfig) -> list[float]:
    """The random draws that make our backoff reproduce botocore's recorded sleeps."""
    return [s / min(2.0**i, cfg.max_backoff) for i, s in enumerate(sleeps)]


def test_every_standard_scenario_is_covered() -> None:
    assert set(STANDARD) == set(SCENARIOS) | DIFFERENT


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_botocore_standard_trace(name: str) -> None:
    trace = STANDARD[name]
    cfg = RetryConfig()
    ctx = make_ctx(retry=cfg, jitter=_jitter_for(trace["sleep_seconds"], cfg))
    run = drive(describe(ctx, ARN), SCENARIOS[name])
    assert len(run.requests) == trace["attempts"]
    assert run.sleeps == pytest.approx(trace["sleep_seconds"])
    assert [r.header("amz-sdk-request") for r in run.requests] == [
        f"attempt={n}; max=3" for n in range(1, trace["attempts"] + 1)
    ]
    if trace["result"] == "success":
        assert isinstance(run.result, BatchInferenceJob)
        assert run.error is None
    else:
        assert run.error is not None
        expected = trace["result"].split("(")[-1].rstrip(")").split(".")[-1]
        if isinstance(run.error, PersonalizeServiceError):
            assert run.error.code == expected
        else:
            assert isinstance(run.error, EndpointConnectionError)
        assert len(run.error.attempts) == trace["attempts"]


def test_limit_exceeded_is_not_retried() -> None:
    run = drive(describe(make_ctx(), ARN), [error(400, "LimitExceededException", "limit")])
    assert isinstance(run.error, LimitExceededException)
    assert len(run.requests) == 1
    assert run.sleeps == []
    assert STANDARD["LimitExceededException_always"]["attempts"] == 3  # botocore retries it


def test_legacy_mode_retries_five_times_uncapped() -> None:
    legacy = RETRIES["scenarios"]["legacy"]["503_always"]
    cfg = RetryConfig(max_attempts=5, mode="legacy")
    draws = [s / 2.0**i for i, s in enumerate(legacy["sleep_seconds"])]
    ctx = make_ctx(retry=cfg, jitter=draws)
    assert ctx.quota is None
    run = drive(describe(ctx, ARN), [error(503, "ServiceUnavailable")])
    assert len(run.requests) == legacy["attempts"] == 5
    assert run.sleeps == pytest.approx(legacy["sleep_seconds"])


def test_quota_exhaustion_matches_botocore() -> None:
    trace = RETRIES["quota_exhaustion_standard"]
    quota = RetryQuota()
    for row in trace["calls"]:
        if not isinstance(row["call"], int):
            continue
        ctx = make_ctx(quota=quota, jitter=[0.0] * 3)
        run = drive(describe(ctx, ARN), [error(503, "ServiceUnavailable")])
        assert len(run.requests) == row["attempts"], row
        assert quota.available == row["capacity_after"], row
        if row["RetryQuotaReached"]:
            assert run.error is not None
            assert run.error.attempts[-1].gave_up == "retry quota exhausted"  # type: ignore[attr-defined]
    # A success without retries refunds 1; a timeout retry needs 10, so with 1 left none is made.
    ctx = make_ctx(quota=quota)
    assert isinstance(drive(describe(ctx, ARN), [ok()]).result, BatchInferenceJob)
    assert quota.available == 1
    run = drive(describe(make_ctx(quota=quota), ARN), [ReadTimeoutError("slow"), ok()])
    assert isinstance(run.error, ReadTimeoutError)
    assert len(run.requests) == 1
    assert quota.available == 1


def test_success_after_retry_refunds_the_retry_cost() -> None:
    quota = RetryQuota()
    ctx = make_ctx(quota=quota, jitter=[0.0])
    run = drive(describe(ctx, ARN), [ReadTimeoutError("slow"), ok()])
    assert isinstance(run.result, BatchInferenceJob)
    assert quota.available == 500


def test_each_attempt_is_signed_afresh_with_the_clock() -> None:
    clock = FakeClock()
    ctx = make_ctx(clock=clock, jitter=[1.0, 1.0])
    run = drive(
        describe(ctx, ARN), [error(503, "ServiceUnavailable")] * 2 + [ok()], on_sleep=clock.advance
    )
    dates = [r.header("X-Amz-Date") for r in run.requests]
    assert dates == ["20150830T123600Z", "20150830T123601Z", "20150830T123603Z"]
    signatures = {r.header("Authorization") for r in run.requests}
    assert len(signatures) == 3
    assert {r.header("amz-sdk-invocation-id") for r in run.requests} == {
        "00000000-1111-4222-8333-444444444444"
    }


def test_first_request_matches_the_captured_botocore_request() -> None:
    captured = load_json("botocore-observed/capture_request.out.json")["cases"][0]["request"]
    run = drive(describe(make_ctx(), ARN), [ok()])
    request = run.requests[0]
    assert request.method == captured["method"] == "POST"
    assert request.url == captured["url"]
    assert request.body == captured["body"].encode()
    wanted = dict(captured["headers"])
    for name in (
        "X-Amz-Target",
        "Content-Type",
        "X-Amz-Date",
        "Authorization",
        "amz-sdk-invocation-id",
    ):
        assert request.header(name) == wanted[name], name
    assert request.header("User-Agent") == "personalize-lite/test"


@pytest.mark.parametrize(
    "code",
    [
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "RequestTimeTooSkewed",
        "RequestExpired",
    ],
)
def test_clock_skew_is_learned_and_corrected_once(code: str) -> None:
    clock = FakeClock()  # our clock says 12:36:00; AWS says 12:46:00
    server_time = format_datetime(
        clock.now.replace(tzinfo=timezone.utc) + timedelta(minutes=10), usegmt=True
    )
    ctx = make_ctx(clock=clock)
    run = drive(describe(ctx, ARN), [error(403, code, "Signature expired", date=server_time), ok()])
    assert isinstance(run.result, BatchInferenceJob)
    assert [r.header("X-Amz-Date") for r in run.requests] == [
        "20150830T123600Z",
        "20150830T124600Z",
    ]
    assert run.sleeps == []
    assert ctx.skew.offset == timedelta(minutes=10)
    # Later calls sign with the learned offset from the start.
    later = drive(describe(ctx, ARN), [ok()])
    assert later.requests[0].header("X-Amz-Date") == "20150830T124600Z"


def test_clock_skew_correction_happens_only_once_per_call() -> None:
    clock = FakeClock()
    date = format_datetime(clock.now + timedelta(hours=1), usegmt=True)
    run = drive(
        describe(make_ctx(clock=clock), ARN),
        [error(403, "InvalidSignatureException", "expired", date=date)],
    )
    assert isinstance(run.error, InvalidSignatureException)
    assert len(run.requests) == 2
    assert len(run.error.attempts) == 2


def test_signature_error_without_skew_is_not_retried() -> None:
    clock = FakeClock()
    date = format_datetime(clock.now + timedelta(minutes=1), usegmt=True)
    run = drive(
        describe(make_ctx(clock=clock), ARN),
        [error(403, "InvalidSignatureException", "bad secret", date=date), ok()],
    )
    assert isinstance(run.error, InvalidSignatureException)
    assert len(run.requests) == 1


@pytest.mark.parametrize(
    "arn",
    [
        None,
        42,
        b"arn:aws:personalize:us-east-1:1:batch-inference-job/x",
        "",
        "not-an-arn",
        "arn:aws:s3:::bucket",
        "arn:aws:personalize:us-east-1:1:batch-inference-job/x\n",
        "arn:aws:personalize:us-east-1:1:batch-inference-job/" + "x" * 250,
    ],
)
def test_invalid_arn_sends_nothing(arn: Any) -> None:
    run = drive(describe(make_ctx(), arn), [ok()])
    assert isinstance(run.error, ParamValidationError)
    assert run.requests == []


def test_parse_error_is_not_retried_and_carries_history() -> None:
    run = drive(describe(make_ctx(), ARN), [reply(200, {"batchInferenceJob": {"numResults": "x"}})])
    assert isinstance(run.error, ResponseParseError)
    assert run.error.path == "batchInferenceJob.numResults"
    assert len(run.requests) == 1
    assert len(run.error.attempts) == 1


def test_redirect_is_not_followed_or_retried() -> None:
    run = drive(describe(make_ctx(), ARN), [reply(301, b"", location="https://elsewhere.example/")])
    assert isinstance(run.error, RedirectError)
    assert "elsewhere.example" in str(run.error)
    assert len(run.requests) == 1


def test_service_error_carries_its_fields_and_history() -> None:
    run = drive(
        describe(make_ctx(jitter=[0.5, 0.5]), ARN),
        [error(400, "ThrottlingException", "Rate exceeded")],
    )
    err = run.error
    assert isinstance(err, ThrottlingException)
    assert (err.code, err.message, err.status_code, err.request_id) == (
        "ThrottlingException",
        "Rate exceeded",
        400,
        "rid-400",
    )
    assert err.throttling
    assert err.retryable
    assert [a.number for a in err.attempts] == [1, 2, 3]
    assert [a.delay for a in err.attempts] == [0.5, 1.0, None]
    assert err.attempts[-1].gave_up == "max attempts reached"
    assert "after 3 attempts" in str(err)


def test_not_found_is_immediate() -> None:
    run = drive(describe(make_ctx(), ARN), [error(400, "ResourceNotFoundException", "nope")])
    assert isinstance(run.error, ResourceNotFoundException)
    assert len(run.requests) == 1
    assert run.sleeps == []


class _CountingProvider:
    name = "counting"

    def __init__(self, make: Callable[[int], Credentials | None]) -> None:
        self.calls = 0
        self.make = make

    def load(self) -> Plan[Credentials | None]:
        self.calls += 1
        yield from ()
        return self.make(self.calls)


def test_credentials_are_cached_and_refreshed_before_expiry() -> None:
    clock = FakeClock()
    provider = _CountingProvider(
        lambda n: Credentials(
            access_key_id=f"AKID{n}",
            secret_access_key="secret",
            session_token=f"token{n}",
            expiration=clock.now + timedelta(minutes=30),
        )
    )
    ctx = make_ctx(clock=clock)
    object.__setattr__(ctx, "credentials", CredentialCache(provider, clock))
    first = drive(describe(ctx, ARN), [ok()])
    second = drive(describe(ctx, ARN), [ok()])
    assert provider.calls == 1
    assert first.requests[0].header("X-Amz-Security-Token") == "token1"
    assert second.requests[0].header("X-Amz-Security-Token") == "token1"
    clock.advance(21 * 60)  # 9 minutes left: inside the 10-minute window
    third = drive(describe(ctx, ARN), [ok()])
    assert provider.calls == 2
    assert third.requests[0].header("X-Amz-Security-Token") == "token2"


def test_a_provider_returning_nothing_is_no_credentials() -> None:
    ctx = make_ctx()
    object.__setattr__(
        ctx, "credentials", CredentialCache(_CountingProvider(lambda _: None), ctx.clock)
    )
    run = drive(describe(ctx, ARN), [ok()])
    assert isinstance(run.error, NoCredentialsError)
    assert run.requests == []
    assert "counting" in str(run.error)


SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue0123456789abcdef=="


def test_no_secret_token_or_signature_in_debug_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key=SECRET, session_token=TOKEN)
    clock = FakeClock()
    skewed = format_datetime(clock.now + timedelta(hours=2), usegmt=True)
    outcomes: list[Outcome] = [
        error(403, "InvalidSignatureException", "expired", date=skewed),
        error(503, "ServiceUnavailable"),
        ReadTimeoutError("slow"),
        error(400, "ThrottlingException"),
    ]
    run = drive(
        describe(
            make_ctx(
                credentials=creds, clock=clock, jitter=[0.0] * 5, retry=RetryConfig(max_attempts=4)
            ),
            ARN,
        ),
        outcomes,
        on_sleep=lambda _: clock.advance(1),  # a fresh X-Amz-Date, so a fresh signature
    )
    assert run.error is not None
    signatures = {r.header("Authorization").rsplit("=", 1)[1] for r in run.requests}  # type: ignore[union-attr]
    assert len(signatures) == 5
    texts = [caplog.text, str(run.error), repr(run.error), repr(run.error.attempts), repr(creds)]  # type: ignore[attr-defined]
    assert "attempt 1/4" in caplog.text
    assert "attempt 5/5" in caplog.text
    assert "clock_offset=7200s" in caplog.text
    for text in texts:  # ...and none of them holds a secret
        assert SECRET not in text
        assert TOKEN not in text
        for signature in signatures:
            assert signature not in text


def _chain_texts(exc: BaseException | None) -> str:
    texts = []
    while exc is not None:
        texts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


@pytest.mark.parametrize("status", [200, 400])
def test_a_reply_quoting_the_secrets_never_puts_them_in_the_error(status: int) -> None:
    """A 2xx that does not decode, or an error reply, quoting the session token, the
    secret key and the request's signature: none of them reaches the error or its chain."""
    token = "FQoGZXIvYXdzEXAMPLE-session-token-0123456789"
    secret = "example-secret-key-0123456789"
    ctx = make_ctx(
        credentials=Credentials(
            access_key_id="AKIDEXAMPLE", secret_access_key=secret, session_token=token
        )
    )
    drive(ctx.credentials.get(), [])  # loaded: the plan's first step is its Send
    plan = describe(ctx, ARN)
    first = next(plan)
    assert isinstance(first, Send)
    signature = (first.request.header("Authorization") or "").rpartition("Signature=")[2]
    body = f"<html>x-amz-security-token:{token} {secret} {signature}".encode()
    expected = ResponseParseError if status == 200 else PersonalizeServiceError
    with pytest.raises(expected) as info:
        plan.send(reply(status, body))
    texts = _chain_texts(info.value)
    assert "***" in texts
    for value in (token, secret, signature):
        assert value not in texts


def test_a_reply_over_the_cap_is_not_retried_and_carries_its_attempt() -> None:
    """The driver throws ResponseTooLargeError into the plan: it ends the call at once
    (the same request would bring the same reply) with the attempt history attached,
    like every other failed call."""
    too_large = ResponseTooLargeError("reply larger than 16 bytes", limit=16)
    run = drive(describe(make_ctx(), ARN), [too_large, ok()])
    assert run.error is too_large
    assert len(run.requests) == 1
    assert run.sleeps == []
    (attempt,) = too_large.attempts
    assert attempt.number == 1
    assert attempt.status_code is None
    assert attempt.error_code == "ResponseTooLargeError"
    assert attempt.delay is None
