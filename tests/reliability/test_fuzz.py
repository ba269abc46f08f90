"""Hostile input: property tests for every place outside data enters.

* Replies: arbitrary bytes, arbitrary JSON, and the job of ``fixtures/strict-active.json``
  with random mutations (wrong types, missing members, huge, negative and non-finite
  numbers, odd timestamps, deep nesting, unicode and lone surrogates, other encodings)
  go through ``_json_protocol.decode_job`` and through real clients over
  ``httpx.MockTransport``: the outcome is a well-typed ``BatchInferenceJob`` or a
  ``ResponseParseError``, nothing else. Error replies go through ``decode_error`` and the
  clients: always a ``PersonalizeServiceError`` (``RedirectError`` for a 3xx).
* Caller input: ARNs, regions, endpoint URLs and profile names against the rules the code
  documents (docs/, ``validate_arn``, ``_endpoints``, ``_config``): success, or
  ``ParamValidationError`` / ``ConfigurationError`` with NOTHING sent (the mock
  transport records every request).
* Files and the environment: config and credentials files of garbage bytes, invalid
  UTF-8, NUL bytes, 5 MB lines, options without a section, duplicate sections and
  options, directories, FIFOs and symbolic-link loops, unusable paths, and generated
  INI documents; hostile ``AWS_*`` values. Outcome: a ``ConfigurationError`` (or the
  documented behaviour), never a raw configparser, decoding or OS error.

Every property runs :data:`SCALE` times its base number of examples
(``PERSONALIZE_LITE_FUZZ_SCALE``, default 1; the figures are in docs/reliability.md,
"Hostile input and secrets").
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import string
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from personalize_lite import (
    AsyncPersonalizeClient,
    BatchInferenceJob,
    ConfigurationError,
    ConnectionClosedError,
    CredentialRetrievalError,
    Credentials,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeClient,
    PersonalizeError,
    PersonalizeServiceError,
    RedirectError,
    ResponseParseError,
    RetryConfig,
    _cli,
)
from personalize_lite._errors import service_error_class
from personalize_lite._json_protocol import decode_error, decode_job
from personalize_lite._steps import HttpResponse
from tests.support.paths import FIXTURES

SCALE = float(os.environ.get("PERSONALIZE_LITE_FUZZ_SCALE", "1"))
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/my-batch-job"
CREDS = Credentials(access_key_id="AKIDFUZZ", secret_access_key="fuzz/secret/key")
ENV = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
ACTIVE = json.dumps({"batchInferenceJob": {"status": "ACTIVE", "batchInferenceJobArn": ARN}})
UTC = timezone.utc


def fuzz(base: int) -> settings:
    """``@settings`` for a property: ``base * SCALE`` examples, no deadline."""
    return settings(
        max_examples=max(1, int(base * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- helpers


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``one_of`` with weights (``one_of`` draws its branches about equally often)."""
    branches = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(branches))).flatmap(lambda index: branches[index])


def label(text: str) -> None:
    """A hypothesis event (shown by ``--hypothesis-show-statistics``); lone surrogates,
    which its statistics cannot encode, are escaped."""
    hypothesis_event(text.encode("utf-8", "backslashreplace").decode("utf-8"))


class Recorder:
    """A MockTransport handler: records every request, answers with ``answer``."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer or (lambda _request: httpx.Response(200, text=ACTIVE))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answer(request)

    @property
    def personalize_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "X-Amz-Target" in r.headers]


@contextlib.contextmanager
def mock_client(recorder: Recorder, **kwargs: Any) -> Iterator[PersonalizeClient]:
    """A sync client whose every request goes to ``recorder``."""
    kwargs.setdefault("env", ENV)
    kwargs.setdefault("sleep", lambda _seconds: None)
    with (
        httpx.Client(transport=httpx.MockTransport(recorder)) as http,
        PersonalizeClient(http_client=http, **kwargs) as client,
    ):
        yield client


def run_client(
    recorder: Recorder, **kwargs: Any
) -> tuple[str, PersonalizeError | BatchInferenceJob]:
    """Build a client and describe ARN: ``("init", error)`` when construction fails, else
    ``("call", job or error)``. Anything but a PersonalizeError propagates (and fails)."""
    kwargs.setdefault("env", ENV)
    kwargs.setdefault("sleep", lambda _seconds: None)
    with httpx.Client(transport=httpx.MockTransport(recorder)) as http:
        try:
            client = PersonalizeClient(http_client=http, **kwargs)
        except PersonalizeError as exc:
            return "init", exc
        with client:
            try:
                return "call", client.describe_batch_inference_job(ARN)
            except PersonalizeError as exc:
                return "call", exc


def try_client(recorder: Recorder, **kwargs: Any) -> PersonalizeError | BatchInferenceJob:
    """The job, or the PersonalizeError raised, building the client or calling it."""
    return run_client(recorder, **kwargs)[1]


def assert_well_typed(job: BatchInferenceJob) -> None:
    """Every field has its declared type (the converter's strict scalars)."""
    for name in (
        "job_name",
        "batch_inference_job_arn",
        "filter_arn",
        "failure_reason",
        "solution_version_arn",
        "role_arn",
        "batch_inference_job_mode",
        "status",
    ):
        value = getattr(job, name)
        assert value is None or type(value) is str, name
    assert job.num_results is None or type(job.num_results) is int
    for stamp in (job.creation_date_time, job.last_updated_date_time):
        assert stamp is None or (isinstance(stamp, datetime) and stamp.utcoffset() == timedelta(0))
    for s3 in (
        job.job_input.s3_data_source if job.job_input else None,
        job.job_output.s3_data_destination if job.job_output else None,
    ):
        if s3 is not None:
            assert type(s3.path) is str
            assert s3.kms_key_arn is None or type(s3.kms_key_arn) is str
    config = job.batch_inference_job_config
    if config is not None:
        for key, text in (config.item_exploration_config or {}).items():
            assert type(key) is str
            assert type(text) is str
        for key, weight in (config.ranking_influence or {}).items():
            assert type(key) is str
            assert type(weight) is float
    if job.theme_generation_config is not None:
        assert type(job.theme_generation_config.fields_for_theme_generation.item_name) is str
    assert isinstance(job.is_terminal, bool)


def outcome_event(outcome: object) -> None:
    """Label the example for ``--hypothesis-show-statistics``: the outcome, and for a
    parse error the top-level member it names."""
    if isinstance(outcome, ResponseParseError):
        label(f"ResponseParseError at {'.'.join(outcome.path.split('.')[:2]) or '(body)'}")
    else:
        label(type(outcome).__name__)


def assert_parse_error(exc: ResponseParseError, request_id: str | None) -> None:
    assert type(exc) is ResponseParseError
    assert isinstance(exc.path, str)
    assert exc.path == "" or exc.path.startswith("batchInferenceJob")
    assert exc.request_id == (request_id or None)
    assert str(exc)
    assert repr(exc)


# --------------------------------------------------------------------------- replies

_JOB_BODY = json.loads(
    json.loads((FIXTURES / "strict-active.json").read_text(encoding="utf-8"))["interactions"][0][
        "response"
    ]["body"]
)
BASE_JOB: dict[str, Any] = _JOB_BODY["batchInferenceJob"]


def _member_paths(value: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            paths.append((*prefix, key))
            paths += _member_paths(child, (*prefix, key))
    return paths


#: Every member of the fixture's job, nested ones included, plus the optional members it
#: lacks and an unknown one.
JOB_PATHS = sorted(
    {
        *_member_paths(BASE_JOB),
        ("failureReason",),
        ("themeGenerationConfig",),
        ("themeGenerationConfig", "fieldsForThemeGeneration"),
        ("themeGenerationConfig", "fieldsForThemeGeneration", "itemName"),
        ("batchInferenceJobConfig", "rankingInfluence"),
        ("batchInferenceJobConfig", "rankingInfluence", "POPULARITY"),
        ("batchInferenceJobConfig", "itemExplorationConfig", ""),
        ("someFutureMember",),
    }
)

#: JSON text no Python value serialises to: spliced in where a marker string was dumped.
RAW_TOKENS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1E-400",
    "-0",
    "-0.0",
    "1" * 5000,  # past int()'s 4300-digit limit: the JSON parser itself refuses it
    "-" + "9" * 4000,  # a parseable 4000-digit negative integer
    "9" * 20,
    "1.7976931348623157e308",
    "253402300800",  # 10000-01-01T00:00:00Z
    "-62135596801",  # one second before 0001-01-01
    "[" * 50_000 + "]" * 50_000,  # nesting past the parser's recursion limit
    "[" * 400 + "]" * 400,  # deep, but parseable
    '{"a":' * 400 + "0" + "}" * 400,
)
_MARKER = "\x00raw{}\x00"

ODD_TIMESTAMPS = (
    "",
    " ",
    "0",
    "-0",
    "1e3",
    "1e400",
    "-1e400",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1700000000.123",
    "2023-11-14T22:13:20Z",
    "2023-11-14T22:13:20.123456789+05:30",
    "2023-11-14T22:13:20.1234567890Z",
    "2023-02-30T00:00:00Z",
    "2023-13-01T00:00:00Z",
    "2023-11-14T25:00:00Z",
    "2023-11-14T22:13:20+24:00",
    "2023-11-14T22:13:20+23:59",
    "2023-11-14T22:13:20-99:59",
    "2023-11-14 22:13:20",
    "2023-11-14t22:13:20z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "Tue, 29 Apr 2014 18:30:38 GMT",
    "Tue, 29 Apr 2014 18:30:38",
    "Tue, 32 Apr 2014 18:30:38 GMT",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "29 Apr 2014",
    "\u0661\u0667\u0660\u0660",  # Arabic-Indic digits
    "\uff11\uff17\uff10\uff10",  # full-width digits
    "1" * 400,
    "1." + "0" * 400,
)

_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
UNICODE = st.text(st.characters() | _surrogates, max_size=30)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**30), 10**30),
    st.floats(),  # NaN and the infinities included: json.dumps writes them as tokens
    UNICODE,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(UNICODE, inner, max_size=4),
    max_leaves=12,
)
_offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
TIMESTAMPS = st.one_of(
    st.sampled_from(ODD_TIMESTAMPS),
    st.integers(),
    st.floats(),
    st.datetimes(timezones=_offsets).map(lambda d: d.isoformat()),
    st.datetimes(timezones=_offsets).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S ") + d.strftime("%z")
    ),
    UNICODE,
)
HOSTILE = st.one_of(
    JSON_VALUES,
    TIMESTAMPS,
    st.integers(0, len(RAW_TOKENS) - 1).map(_MARKER.format),
    # Long strings, cheaply: drawing thousands of characters one by one is slow.
    st.builds(
        str.__mul__,
        st.sampled_from(["a", "Z9", " ", "\u00e9", "\U0001f600"]),
        st.integers(1000, 100_000),
    ),
)


def _set(job: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    node: Any = job
    for key in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(key, {})
    if isinstance(node, dict):
        node[path[-1]] = value


def _delete(job: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = job
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _dumps(value: object, *, ascii_only: bool) -> str:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if "raw" in text:
        for index, token in enumerate(RAW_TOKENS):
            text = text.replace(json.dumps(_MARKER.format(index)), token)
    return text


def _encode(text: str, encoding: str) -> bytes:
    # surrogatepass: a lone surrogate becomes bytes that are not valid UTF-8 (or -16/-32).
    return text.encode(encoding, "surrogatepass")


@st.composite
def mutated_jobs(draw: st.DrawFn) -> bytes:
    """The fixture's reply with 1-5 mutations, serialised (sometimes re-encoded or cut)."""
    job = copy.deepcopy(BASE_JOB)
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(JOB_PATHS))
        op = draw(st.sampled_from(["set", "set", "set", "delete", "wrap"]))
        if op == "delete":
            _delete(job, path)
        elif op == "wrap":
            _set(job, path, [draw(HOSTILE)] if draw(st.booleans()) else {"value": draw(HOSTILE)})
        elif path[-1] in ("creationDateTime", "lastUpdatedDateTime"):
            _set(job, path, draw(TIMESTAMPS | HOSTILE))
        else:
            _set(job, path, draw(HOSTILE))
    payload: dict[str, Any] = {"batchInferenceJob": job}
    if draw(st.booleans()):
        payload.update(draw(st.dictionaries(UNICODE, JSON_VALUES, max_size=2)))
    text = _dumps(payload, ascii_only=draw(st.booleans()))
    body = _encode(text, draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32"])))
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


def _json_body(value: object, ascii_only: bool) -> bytes:
    return _encode(_dumps(value, ascii_only=ascii_only), "utf-8")


BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(_json_body, JSON_VALUES, st.booleans()),
    st.builds(_json_body, st.fixed_dictionaries({"batchInferenceJob": JSON_VALUES}), st.booleans()),
    mutated_jobs(),
    st.sampled_from(RAW_TOKENS).map(str.encode),
)
REQUEST_IDS = st.none() | st.text(string.ascii_letters + string.digits + "-", max_size=40)


def _reply_headers(request_id: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if request_id is not None:
        headers["x-amzn-RequestId"] = request_id
    return headers


@fuzz(500)
@given(BODIES, REQUEST_IDS)
@example(json.dumps(_JOB_BODY).encode(), None)
@example(b"", "rid")
@example(b"\xff\xfe\x00", None)
def test_decode_job_gives_a_job_or_a_response_parse_error(
    body: bytes, request_id: str | None
) -> None:
    headers = {} if request_id is None else {"x-amzn-requestid": request_id}
    try:
        job = decode_job(HttpResponse(status_code=200, headers=headers, body=body))
    except ResponseParseError as exc:
        outcome_event(exc)
        assert_parse_error(exc, request_id)
    else:
        outcome_event(job)
        assert_well_typed(job)


@fuzz(300)
@given(BODIES, REQUEST_IDS, st.sampled_from([200, 201, 202, 203, 204, 206, 299]))
def test_the_sync_client_gives_a_job_or_a_response_parse_error(
    body: bytes, request_id: str | None, status: int
) -> None:
    recorder = Recorder(
        lambda _r: httpx.Response(status, headers=_reply_headers(request_id), content=body)
    )
    outcome = try_client(recorder, region="us-east-1", credentials=CREDS)
    outcome_event(outcome)
    if isinstance(outcome, BatchInferenceJob):
        assert_well_typed(outcome)
    else:
        assert isinstance(outcome, ResponseParseError), repr(outcome)
        assert_parse_error(outcome, request_id)
        assert len(outcome.attempts) == 1
    assert len(recorder.requests) == 1  # a 2xx, however broken, is never retried


@fuzz(100)
@given(BODIES, REQUEST_IDS, st.sampled_from(["asyncio", "trio"]))
def test_the_async_client_gives_a_job_or_a_response_parse_error(
    body: bytes, request_id: str | None, backend: str
) -> None:
    recorder = Recorder(
        lambda _r: httpx.Response(200, headers=_reply_headers(request_id), content=body)
    )

    async def describe() -> BatchInferenceJob | PersonalizeError:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http,
            AsyncPersonalizeClient(
                region="us-east-1", credentials=CREDS, env=ENV, http_client=http
            ) as client,
        ):
            try:
                return await client.describe_batch_inference_job(ARN)
            except PersonalizeError as exc:
                return exc

    outcome = anyio.run(describe, backend=backend)
    outcome_event(outcome)
    if isinstance(outcome, BatchInferenceJob):
        assert_well_typed(outcome)
    else:
        assert isinstance(outcome, ResponseParseError), repr(outcome)
        assert_parse_error(outcome, request_id)


@fuzz(100)
@given(st.sampled_from(["gzip", "deflate", "br", "zstd", "identity", "x-bogus"]), BODIES)
def test_a_body_that_fails_to_decompress_is_a_transport_error(encoding: str, body: bytes) -> None:
    recorder = Recorder(
        lambda _r: httpx.Response(200, headers={"Content-Encoding": encoding}, content=body)
    )
    outcome = try_client(recorder, region="us-east-1", credentials=CREDS)
    outcome_event(outcome)
    assert isinstance(outcome, BatchInferenceJob | ResponseParseError | ConnectionClosedError), (
        repr(outcome)
    )


# --------------------------------------------------------------------------- error replies

_codes = st.one_of(
    st.sampled_from(
        [
            "ResourceNotFoundException",
            "ThrottlingException",
            "InvalidSignatureException",
            "ExpiredTokenException",
            "aws.personalize#ResourceNotFoundException:http://internal.amazon.com/",
            "#",
            ":",
            " ",
            "",
        ]
    ),
    UNICODE,
)


@st.composite
def error_bodies(draw: st.DrawFn) -> bytes:
    """An error object whose members have random types, or anything else."""
    members = st.one_of(_codes, JSON_VALUES)
    body = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "__type": members,
                "code": members,
                "message": members,
                "Message": members,
            },
        )
    )
    if draw(st.booleans()):
        body.update(draw(st.dictionaries(UNICODE, JSON_VALUES, max_size=2)))
    return _json_body(body, draw(st.booleans()))


ERROR_BODIES = st.one_of(error_bodies(), BODIES)
_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)


@fuzz(400)
@given(
    st.integers(100, 599).filter(lambda s: not 200 <= s < 300),
    ERROR_BODIES,
    st.fixed_dictionaries(
        {},
        optional={
            "x-amzn-errortype": _header_text,
            "x-amzn-requestid": _header_text,
            "location": _header_text,
        },
    ),
)
def test_decode_error_is_always_a_service_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    error = decode_error(HttpResponse(status_code=status, headers=headers, body=body))
    label(type(error).__name__)
    assert str(error)
    assert repr(error)
    if 300 <= status < 400:
        assert type(error) is RedirectError
        return
    assert isinstance(error, PersonalizeServiceError)
    assert type(error) is service_error_class(error.code)
    assert error.code
    assert ":" not in error.code
    # Smithy keeps what follows the *first* '#' (test_json_protocol: "a#b#Foo" -> "b#Foo"),
    # so a malformed code may keep a later '#' ("##" -> "#"); never the namespace part.
    assert not any(
        raw and "#" in raw and error.code == raw.split(":", 1)[0].strip()
        for raw in (headers.get("x-amzn-errortype"),)
    )
    assert isinstance(error.message, str)
    assert error.status_code == status
    assert error.request_id == (headers.get("x-amzn-requestid") or None)
    assert isinstance(error.retryable, bool)
    assert isinstance(error.throttling, bool)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


#: ``Date`` values the client may learn a clock offset from. Years stay within
#: 1971..2999 here: see test_a_date_at_the_end_of_time_is_not_a_raw_overflow_error.
DATES = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1), timezones=st.just(UTC)
    ).map(_http_date),
    st.text(string.ascii_letters + " ,:-+", max_size=40),  # no digits: never a date
)


@fuzz(300)
@given(
    st.integers(100, 599).filter(lambda s: not 200 <= s < 300),
    ERROR_BODIES,
    st.none() | _codes.filter(lambda c: c.isprintable() and c.isascii()),
    DATES,
)
def test_the_client_raises_a_service_error_for_any_error_reply(
    status: int, body: bytes, code: str | None, date: str | None
) -> None:
    headers = {} if code is None else {"x-amzn-ErrorType": code}
    if date is not None:
        headers["Date"] = date
    recorder = Recorder(lambda _r: httpx.Response(status, headers=headers, content=body))
    outcome = try_client(
        recorder, region="us-east-1", credentials=CREDS, retry=RetryConfig(max_attempts=2)
    )
    label(type(outcome).__name__)
    expected = RedirectError if 300 <= status < 400 else PersonalizeServiceError
    assert isinstance(outcome, expected), repr(outcome)
    assert 1 <= len(outcome.attempts) == len(recorder.requests) <= 3  # 2 + one skew retry
    assert str(outcome)


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 -2359", "Fri, 31 Dec 9999 23:30:00 -0100"]
)
def test_a_date_at_the_end_of_time_is_not_a_raw_overflow_error(date: str) -> None:
    recorder = Recorder(
        lambda _r: httpx.Response(
            403, headers={"Date": date, "x-amzn-ErrorType": "InvalidSignatureException"}
        )
    )
    with mock_client(recorder, region="us-east-1", credentials=CREDS) as client:
        for _ in range(2):  # the offset is learned by the first call, used by the next
            with pytest.raises(PersonalizeServiceError):
                client.describe_batch_inference_job(ARN)


# --------------------------------------------------------------------------- ARNs

_ARN_RULE = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def documented_valid_arn(arn: object) -> bool:
    """The documented rule (docs/errors.md): a str matching the pattern, at most 256
    characters, no control characters."""
    return (
        isinstance(arn, str)
        and len(arn) <= 256
        and not _CONTROL.search(arn)
        and _ARN_RULE.fullmatch(arn) is not None
    )


_edit_chars = st.sampled_from(
    [":", "/", " ", "\n", "\x00", "\x7f", "\x85", "\u2028", "\u0430", "\uff1a", "A", "*", "\ud800"]
)


@st.composite
def near_miss_arns(draw: st.DrawFn) -> str:
    """A valid ARN with a few character edits, a swapped part, or a length at the limit."""
    arn = draw(
        st.sampled_from(
            [
                ARN,
                "arn:aws-cn:personalize:cn-north-1:123456789012:batch-inference-job/x",
                "arn:aws:personalize:::x",
                "arn:aws:s3:::example-bucket",
                "ARN:AWS:PERSONALIZE:us-east-1:1:batch-inference-job/x",
                "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
                + "n" * (256 - 64),
            ]
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(arn)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "pad"]))
        if edit == "insert":
            arn = arn[:at] + draw(_edit_chars) + arn[at:]
        elif edit == "delete":
            arn = arn[:at] + arn[at + 1 :]
        elif edit == "replace":
            arn = arn[:at] + draw(_edit_chars) + arn[at + 1 :]
        else:
            arn = arn + "n" * draw(st.integers(0, 3))
    return arn


ARNS = weighted(
    (6, near_miss_arns()),
    (2, UNICODE | st.text(max_size=300)),
    (1, st.none() | st.integers() | st.binary(max_size=20) | st.lists(st.text(max_size=5))),
)


@fuzz(400)
@given(ARNS, st.booleans())
@example(ARN + "\n", False)
@example("arn:aws:personalize:us-east-1:1:batch-inference-job/" + "n" * 205, False)
@example("arn:aws:personalize:us-east-1:1:batch-inference-job/" + "n" * 204, True)
def test_an_arn_is_sent_only_when_the_documented_rule_accepts_it(arn: Any, wait: bool) -> None:
    recorder = Recorder()
    refused: ParamValidationError | None = None
    with mock_client(recorder, region="us-east-1", credentials=CREDS) as client:
        try:
            if wait:
                client.wait_for_batch_inference_job(arn, poll_interval=1.0, timeout=5.0)
            else:
                client.describe_batch_inference_job(arn)
        except ParamValidationError as exc:
            refused = exc
    label("refused" if refused is not None else "sent")
    if refused is not None:
        assert not documented_valid_arn(arn), f"{arn!r} refused: {refused}"
        assert recorder.requests == []
        return
    assert documented_valid_arn(arn), f"{arn!r} accepted"
    assert len(recorder.requests) == 1
    assert json.loads(recorder.requests[0].content) == {"batchInferenceJobArn": arn}


# --------------------------------------------------------------------------- regions

_REGION_RULE = re.compile(r"\A(?![0-9]+\Z)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)\Z")


def documented_region(region: str) -> str | None:
    """The signing region the documented rule (docs/configuration.md) gives ``region`` (a
    FIPS pseudo region loses its ``fips-``/``-fips``), or None when the rule refuses it."""
    if not _REGION_RULE.match(region):
        return None
    normalized = region.replace("fips-", "").replace("-fips", "")
    return normalized if _REGION_RULE.match(normalized) else None


@st.composite
def near_miss_regions(draw: st.DrawFn) -> str:
    region = draw(
        st.sampled_from(
            ["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "local"]
        )
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(region)))
        piece = draw(
            st.sampled_from(
                [".", "/", "@", ":", " ", "\n", "-", "fips-", "-fips", "..", "\u0131", "%2e", "_"]
            )
        )
        region = region[:at] + piece + region[at:]
    if draw(st.booleans()):
        region = region + "x" * draw(st.integers(0, 64))
    return region


@fuzz(300)
@given(
    weighted(
        (6, near_miss_regions()),
        (3, st.text(max_size=70)),
        (1, st.integers() | st.binary(max_size=8)),
    ),
    st.booleans(),
)
@example("us-east-1.evil.example", False)
@example("fips-us-east-1-fips", False)
@example("1234", True)
def test_a_region_is_a_host_label_or_a_configuration_error(region: Any, fips: bool) -> None:
    recorder = Recorder()
    outcome = try_client(recorder, region=region, use_fips=fips, credentials=CREDS)
    label(type(outcome).__name__)
    if not isinstance(region, str):
        assert isinstance(outcome, ParamValidationError)
        assert recorder.requests == []
        return
    signing = documented_region(region)
    if signing is None:
        assert isinstance(outcome, ConfigurationError), repr(outcome)
        assert recorder.requests == []
        return
    assert isinstance(outcome, BatchInferenceJob), repr(outcome)
    (request,) = recorder.requests
    labels = request.url.host.split(".")
    assert labels[0] in ("personalize", "personalize-fips")
    assert labels[1] == signing.lower()
    assert f"/{signing}/personalize/aws4_request" in request.headers["Authorization"]


# --------------------------------------------------------------------------- endpoint URLs

_url_chars = st.sampled_from(
    [
        *string.ascii_letters[:6],
        *string.digits[:3],
        *"-._~%:@[]/?#!$&'()*+,;=\\\"<>{}|^` ",
        *("\x00", "\n", "\u00e9", "xn--", "::1", "127.0.0.1", "localhost", "\ud800"),
    ]
)
_url_text = st.lists(_url_chars, max_size=14).map("".join)


_PORTS = st.sampled_from(["", ":", ":0", ":1", ":443", ":65535", ":65536", ":8a", ":00080", ":-1"])
_HOSTS = st.sampled_from(
    ["localhost", "localhost.", "127.0.0.1", "127.1.2.3", "[::1]", "example.com", "a" * 64]
)
#: Mostly valid: a host of DNS labels, a port, a path of unreserved characters.
_PLAUSIBLE_URLS = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["https", "http", "HTTPS"]),
    _HOSTS
    | st.from_regex(
        r"[a-z0-9_]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9-]{1,8}){0,3}\.?", fullmatch=True
    ),
    _PORTS,
    st.text("abc/-_.~%", max_size=12).map(lambda path: "/" + path if path else ""),
)
_HOSTILE_URLS = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["https", "http", "HTTPS", "ftp", "", "https:"]),
    _url_text | _HOSTS,
    _PORTS,
    _url_text,
)


@fuzz(400)
@given(
    weighted(
        (4, _PLAUSIBLE_URLS),
        (4, _HOSTILE_URLS),
        (2, st.text(max_size=40)),
        (1, st.integers() | st.binary(max_size=8)),
    ),
    st.booleans(),
)
@example("https://user:pass@example.com", False)
@example("http://169.254.169.254/", False)
@example("https://[::1]:8443/a/", False)
@example("https://0000.0.0.0", False)  # httpx takes it for an IPv4 address, then refuses it
@example("https://1.2.3.256/", True)
def test_an_endpoint_url_is_used_as_validated_or_refused(url: Any, allow_http: bool) -> None:
    recorder = Recorder()
    outcome = try_client(
        recorder, region="us-east-1", endpoint_url=url, allow_http=allow_http, credentials=CREDS
    )
    label(type(outcome).__name__)
    if isinstance(outcome, ConfigurationError | ParamValidationError):
        assert recorder.requests == []
        assert isinstance(url, str) or isinstance(outcome, ParamValidationError)
        return
    assert isinstance(outcome, BatchInferenceJob), repr(outcome)
    (request,) = recorder.requests
    assert isinstance(url, str)
    scheme, _, rest = url.partition("://")
    assert request.url.scheme == scheme.lower()
    assert "@" not in rest
    assert "?" not in url
    assert "#" not in url
    host = request.url.raw_host.decode("ascii")
    given_host = rest.partition("/")[0].rsplit(":", 1)[0] if "]" not in rest else ""
    if given_host:
        assert host == given_host.lower()
    if request.url.scheme == "http" and not allow_http:
        # Only the exact name localhost (no trailing dot: that one is resolved through DNS)
        # and loopback literals may carry plain http without allow_http.
        assert host in ("localhost", "::1") or host.startswith("127.")


# --------------------------------------------------------------------------- profiles

_PROFILE_KEYS = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n"


@fuzz(200)
@given(
    weighted(
        (6, st.text(max_size=20)),
        (3, st.sampled_from(["default", "dev", "a b", "[x]", "profile", "x]\n[y", " ", "\t"])),
        (1, st.integers() | st.binary(max_size=8)),
    ),
)
def test_a_profile_name_selects_that_profile_or_is_a_configuration_error(name: Any) -> None:
    with tempfile.TemporaryDirectory() as home:
        credentials = Path(home, "credentials")
        section = f"[{name}]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = n\n"
        credentials.write_text(_PROFILE_KEYS + section, encoding="utf-8", errors="surrogatepass")
        env = {**ENV, "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": home}
        recorder = Recorder()
        outcome = try_client(recorder, region="us-east-1", profile=name, env=env)
    label(type(outcome).__name__)
    if not isinstance(name, str):
        assert isinstance(outcome, ParamValidationError)
    elif isinstance(outcome, BatchInferenceJob):
        (request,) = recorder.requests
        key = "AKIDDEFAULT" if name == "default" else "AKIDNAMED"
        assert f"Credential={key}/" in request.headers["Authorization"]
        return
    else:
        assert isinstance(outcome, ConfigurationError), repr(outcome)
    assert recorder.requests == []


# --------------------------------------------------------------------------- files


FILE_VARS = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
FIVE_MB = 5 * 1024 * 1024


def _bad_contents() -> dict[str, bytes]:
    return {
        "garbage": bytes(range(256)) * 8,
        "invalid-utf8": b"[default]\nregion = us-east-\xff1\n",
        "latin-1": "[default]\nregion = r\u00e9gion\n".encode("latin-1"),
        "utf-16": "[default]\nregion = us-east-1\n".encode("utf-16"),
        "huge-line": b"[default]\naws_secret_access_key = " + b"S" * FIVE_MB + b"\n",
        "huge-garbage": os.urandom(FIVE_MB),
        "nul-bytes": b"[default]\x00\nregion = us-east-1\x00\n",
        "no-header": b"region = us-east-1\n[default]\n",
        "duplicate-section": b"[default]\nregion = us-east-1\n[default]\nregion = eu-west-1\n",
        "duplicate-option": b"[default]\naws_secret_access_key = a\naws_secret_access_key = b\n",
        "no-delimiter": b"[default]\naws_secret_access_key SECRETVALUE\n",
        "unclosed-header": b"[default\nregion = us-east-1\n",
        "bad-nesting": b"[default]\ns3 =\n  SECRETVALUE\n",
    }


BAD_CONTENTS = _bad_contents()


@pytest.mark.parametrize("variable", FILE_VARS)
@pytest.mark.parametrize("case", sorted(BAD_CONTENTS))
def test_a_bad_file_is_a_configuration_error_naming_it(
    case: str, variable: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / f"bad-{case}"
    path.write_bytes(BAD_CONTENTS[case])
    recorder = Recorder()
    outcome = try_client(
        recorder, region="us-east-1", credentials=CREDS, env={**aws_env, variable: str(path)}
    )
    assert isinstance(outcome, ConfigurationError), repr(outcome)
    message = str(outcome)
    assert str(path) in message
    assert len(message) < 500
    assert "SECRETVALUE" not in message
    assert "SSSS" not in message
    assert recorder.requests == []


def _special_path(kind: str, tmp_path: Path) -> str:
    if kind == "directory":
        return str(tmp_path)
    if kind == "symlink-loop":
        loop = tmp_path / "loop"
        loop.symlink_to(loop)
        return str(loop)
    if kind == "nul-in-path":
        return str(tmp_path / "a\x00b")
    if kind == "surrogate-in-path":
        return str(tmp_path / "a\ud800b")
    if kind == "name-too-long":
        return str(tmp_path / ("n" * 5000))
    raise AssertionError(kind)


@pytest.mark.parametrize("variable", FILE_VARS)
@pytest.mark.parametrize(
    "kind", ["directory", "symlink-loop", "nul-in-path", "surrogate-in-path", "name-too-long"]
)
def test_an_unusable_path_is_a_configuration_error(
    kind: str, variable: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """Tests run as root, so a chmod 000 file would still be read: unreadable means a
    directory, a symbolic-link loop, or a path the OS cannot take."""
    recorder = Recorder()
    outcome = try_client(
        recorder,
        region="us-east-1",
        credentials=CREDS,
        env={**aws_env, variable: _special_path(kind, tmp_path)},
    )
    assert isinstance(outcome, ConfigurationError), repr(outcome)
    assert len(str(outcome)) < 6000  # the 5000-character name is the longest part
    assert recorder.requests == []


@pytest.mark.parametrize("variable", FILE_VARS)
@pytest.mark.parametrize("kind", ["fifo", "missing", "missing-parent", "under-a-file"])
def test_what_is_not_a_regular_file_reads_as_empty(
    kind: str, variable: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """The documented behaviour: a missing file is empty, and so is anything that is not
    a regular file (``/dev/null``; a FIFO is never opened, so nothing blocks)."""
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "missing-parent":
        path = tmp_path / "no-such-dir" / "config"
    elif kind == "under-a-file":
        (tmp_path / "file").write_text("", encoding="utf-8")
        path = tmp_path / "file" / "config"
    recorder = Recorder()
    outcome = try_client(
        recorder, region="us-east-1", credentials=CREDS, env={**aws_env, variable: str(path)}
    )
    assert isinstance(outcome, BatchInferenceJob), repr(outcome)


_INI_KEYS = (
    "region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "endpoint_url",
    "max_attempts",
    "retry_mode",
    "use_fips_endpoint",
    "use_dualstack_endpoint",
    "ignore_configured_endpoint_urls",
    "services",
    "personalize",
    "sts",
    "sso",
    "role_arn",
    "source_profile",
    "credential_source",
    "duration_seconds",
    "external_id",
    "role_session_name",
    "mfa_serial",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "ec2_metadata_service_endpoint_mode",
    "metadata_service_num_attempts",
    "Region",
)
_INI_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "true",
            "false",
            "TRUE",
            "yes",
            "us-east-1",
            "us-east-1.evil.example",
            "0",
            "-1",
            "5",
            "1" * 5000,
            "9" * 4200,
            "legacy",
            "standard",
            "default",
            "dev",
            "s",
            "Environment",
            "EcsContainer",
            "Ec2InstanceMetadata",
            "arn:aws:iam::123456789012:role/r",
            "https://example.com",
            "http://127.0.0.1:1",
            "http://evil.example",
            "900",
            "43201",
            "AKIDFILE",
            "secret/key",
            "\n  endpoint_url = https://example.com",
            "\n  endpoint_url",
            "\n  = x",
            "%(x)s",
            "$HOME",
        ]
    ),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
)
_INI_SECTIONS = st.sampled_from(
    [
        "default",
        "profile default",
        "profile dev",
        "dev",
        "DEFAULT",
        "services s",
        "sso-session s",
        'profile "a b"',
        "profile",
        "profile dev extra",
    ]
)


def _one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws (``integers(...) == 0`` would favour the bound)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def ini_documents(draw: st.DrawFn) -> bytes:
    """A generated INI document: sections of keys the library reads, with hostile values;
    in about one document of four, junk lines; in one of eight, junk bytes."""
    lines: list[str] = []
    # Duplicate sections and options are errors (the parametrised cases above cover
    # them): unique here, so that most documents get past the parser.
    for section in draw(st.lists(_INI_SECTIONS, max_size=4, unique=True)):
        lines.append(f"[{section}]")
        for key in draw(st.lists(st.sampled_from(_INI_KEYS), max_size=5, unique=True)):
            value = draw(_INI_VALUES)
            delimiter = draw(st.sampled_from([" = "] * 6 + ["=", ": ", " "]))
            lines.append(f"{key}{delimiter}{value}")
    if draw(_one_in(4)):
        junk = draw(
            st.sampled_from(
                ["", "#c", ";c", "  indented", "[", "[]", "]", "=", "= x", "\x00", "\r", "\\"]
            )
            | st.text(max_size=10)
        )
        lines.insert(draw(st.integers(0, len(lines))), junk)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    data = newline.join(lines).encode("utf-8", "surrogatepass")
    if draw(_one_in(8)):
        at = draw(st.integers(0, len(data)))
        junk_bytes = st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\xe2\x82", b"\x80"])
        data = data[:at] + draw(junk_bytes | st.binary(min_size=1, max_size=4)) + data[at:]
    if draw(_one_in(10)):
        data = b"\xef\xbb\xbf" + data
    return data


def assert_documented_outcome(
    stage: str, outcome: PersonalizeError | BatchInferenceJob, recorder: Recorder
) -> None:
    """Construction: success or ConfigurationError, nothing sent. The call: the job, or a
    configuration or credentials error with no Personalize request sent (a provider's own
    requests, to STS or a container endpoint, may have gone to the mock)."""
    detail = "" if isinstance(outcome, BatchInferenceJob) else str(outcome)
    detail = re.sub(r"/tmp/[^ :]*", "<tmp>", detail)
    label(f"{stage}: {type(outcome).__name__} {detail[:80]}".rstrip())
    if stage == "init":
        assert isinstance(outcome, ConfigurationError), repr(outcome)
        assert recorder.requests == []
    elif not isinstance(outcome, BatchInferenceJob):
        assert isinstance(
            outcome, ConfigurationError | NoCredentialsError | CredentialRetrievalError
        ), repr(outcome)
        assert recorder.personalize_requests == [], repr(outcome)
        assert str(outcome)


@fuzz(250)
@given(
    ini_documents(),
    ini_documents(),
    st.sampled_from([None, None, "dev", "default", "a b"]),
    st.sampled_from([None, "us-east-1", "us-east-1", "us-east-1"]),
    st.booleans(),
)
@example(b"[default]\nmax_attempts = " + b"1" * 5000, b"", None, "us-east-1", False)
@example(b"[default]\nservices = s\n[services s]\npersonalize = x", b"", None, "us-east-1", False)
@example(b"[profile dev]\nrole_arn = r\nsource_profile = dev\n", b"", "dev", "us-east-1", False)
@example(b"[profile dev]\nduration_seconds = " + b"9" * 4400, b"", "dev", None, False)
def test_generated_aws_files_give_a_job_or_a_personalize_error(
    config: bytes, credentials: bytes, profile: str | None, region: str | None, env_keys: bool
) -> None:
    with tempfile.TemporaryDirectory() as home:
        config_path, credentials_path = Path(home, "config"), Path(home, "credentials")
        config_path.write_bytes(config)
        credentials_path.write_bytes(credentials)
        env = {
            "AWS_CONFIG_FILE": str(config_path),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials_path),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": home,
        }
        if env_keys:  # the environment wins (unless a profile is named): the rest is read
            env.update(AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="env/secret")
        recorder = Recorder(_personalize_or_404)
        stage, outcome = run_client(recorder, profile=profile, region=region, env=env)
    assert_documented_outcome(stage, outcome, recorder)


def _personalize_or_404(request: httpx.Request) -> httpx.Response:
    if "X-Amz-Target" in request.headers:
        return httpx.Response(200, text=ACTIVE)
    return httpx.Response(404)


# --------------------------------------------------------------------------- environment

#: Stands for a readable token file under the example's HOME.
TOKEN_FILE = "<token file>"
_ENV_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "false",
            "x",
            "us-east-1",
            "us-east-1.evil.example",
            "1" * 5000,
            "0",
            "-3",
            "legacy",
            "https://example.com",
            "http://evil.example",
            "http://127.0.0.1:9",
            "/nonexistent/file",
            "/",
            "~",
            "~/x",
            "~nosuchuser/x",
            "$HOME/x",
            "a\x00b",
            "a\ud800b",
            "2030-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "AKIDENV",
            "secret with space",
            "arn:aws:iam::123456789012:role/r",
            "http://127.0.0.1:9/a\udcffb",
            "http://[::1",
            "http://a]9][::1/creds",
            "https://\uff0e/creds",
            "https://0000.0.0.0/creds",
            "/a\udcffb",
            "/creds",
            TOKEN_FILE,
        ]
    ),
    st.text(max_size=20),
)
_ENV_NAMES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_PERSONALIZE",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    "AWS_METADATA_SERVICE_TIMEOUT",
    "HOME",
)


@fuzz(300)
@given(st.dictionaries(st.sampled_from(_ENV_NAMES), _ENV_VALUES, max_size=4), st.booleans())
@example({"AWS_MAX_ATTEMPTS": "1" * 5000}, True)
@example(
    {
        "AWS_ACCESS_KEY_ID": "AKIDENV",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_CREDENTIAL_EXPIRATION": "0001-01-01T00:00:00+01:00",
    },
    True,
)
@example({"AWS_CONFIG_FILE": "a\x00b"}, True)
@example({"AWS_SHARED_CREDENTIALS_FILE": "a\ud800b"}, True)
@example({"AWS_WEB_IDENTITY_TOKEN_FILE": "a\x00b", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"}, True)
@example({"AWS_WEB_IDENTITY_TOKEN_FILE": "/", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"}, True)
@example(
    {
        "AWS_WEB_IDENTITY_TOKEN_FILE": TOKEN_FILE,
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
        "AWS_ROLE_SESSION_NAME": "a\udcffb",  # undecodable bytes in os.environ look so
    },
    False,
)
@example({"AWS_SESSION_TOKEN": "a\udcffb"}, True)
@example({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/a\udcffb"}, False)
@example({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/a\udcffb"}, False)
@example({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[::1"}, False)
@example({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://a]9][::1/creds"}, False)
@example({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://\uff0e/creds"}, False)
@example({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://0000.0.0.0/creds"}, False)
@example(
    {
        "AWS_EC2_METADATA_DISABLED": "false",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9/a\udcffb",
    },
    False,
)
@example({"AWS_EC2_METADATA_DISABLED": "", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1" * 5000}, False)
@example({"AWS_ACCESS_KEY_ID": "AKID\u00e9"}, True)
@example(
    {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "a\x00b",
    },
    True,
)
def test_hostile_environment_values_give_a_job_or_a_personalize_error(
    values: dict[str, str], with_keys: bool
) -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**ENV, "HOME": home, "AWS_REGION": "us-east-1"}
        if with_keys:
            env.update(AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="env/secret")
        env.update(values)  # IMDS may be switched back on: the mock answers it (404s)
        token_file = Path(home, "token")
        token_file.write_text("eyJhbGciOiJSUzI1NiJ9.fuzz.token", encoding="utf-8")
        env = {k: str(token_file) if v == TOKEN_FILE else v for k, v in env.items()}
        recorder = Recorder(_personalize_or_404)
        stage, outcome = run_client(recorder, env=env)
    assert_documented_outcome(stage, outcome, recorder)


# --------------------------------------------------------------------------- the CLI

_TERMINAL_HOSTILE = st.lists(
    st.sampled_from(["\x1b[31m", "\x1b]0;pwned\x07", "\r", "\n", "\t", "\x9b", "\x00", "\ud800"])
    | st.characters(),
    max_size=12,
).map("".join)
_CLI_FIELDS = ("jobName", "status", "batchInferenceJobMode", "solutionVersionArn", "failureReason")
_CONTROL_OUTPUT = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the newline


@fuzz(100)
@given(
    st.fixed_dictionaries({}, optional=dict.fromkeys(_CLI_FIELDS, _TERMINAL_HOSTILE)),
    st.sampled_from(_cli.OUTPUTS),
    st.sampled_from(["utf-8", "ascii", "latin-1"]),
    st.booleans(),
)
@example({"jobName": "bad\ud800\x1b[31mname"}, "json", "utf-8", False)
@example({"jobName": "caf\u00e9 \u2603"}, "json", "ascii", False)
@example({"failureReason": "\x1b]0;pwned\x07"}, "table", "utf-8", True)
def test_the_cli_prints_any_reply_as_one_safe_screen(
    fields: dict[str, str], output: str, encoding: str, failed: bool
) -> None:
    """Whatever strings a reply holds, ``describe`` exits 0 and writes output the stream's
    encoding can take, without control characters (a reply must not drive the terminal),
    and ``--output json`` stays valid JSON holding the same strings. An error reply is
    one line on stderr."""
    job = {"batchInferenceJobArn": ARN, **fields}
    body = _json_body({"batchInferenceJob": job}, ascii_only=True)
    error = _json_body(
        {"__type": "ThrottlingException", "message": fields.get("jobName", "")}, True
    )
    recorder = Recorder(
        lambda _r: (
            httpx.Response(400, content=error) if failed else httpx.Response(200, content=body)
        )
    )
    raw_out, raw_err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(raw_out, encoding=encoding)  # strict, as a real terminal's
    stderr = io.TextIOWrapper(raw_err, encoding=encoding, errors="backslashreplace")
    with (
        httpx.Client(transport=httpx.MockTransport(recorder)) as http,
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):

        def client(**kwargs: Any) -> PersonalizeClient:
            kwargs["sleep"] = lambda _seconds: None  # the throttled reply is retried
            return PersonalizeClient(http_client=http, env=ENV, credentials=CREDS, **kwargs)

        patch.setattr(_cli, "PersonalizeClient", client)
        code = _cli.main(["describe", ARN, "--output", output, "--region", "us-east-1"])
        stdout.flush()
        stderr.flush()
    out = raw_out.getvalue().decode(encoding)
    err = raw_err.getvalue().decode(encoding)
    if output == "text" and not failed:  # tabs separate its nine fields, and only they
        assert out.count("\t") == 8, repr(out)
        out = out.replace("\t", " ")
    assert not _CONTROL_OUTPUT.search(out), repr(out)
    assert not _CONTROL_OUTPUT.search(err), repr(err)
    if failed:
        assert code == 1
        assert out == ""
        assert len(err.splitlines()) == 1, repr(err)
        return
    assert code == 0, err
    assert err == ""
    if output == "json":
        assert json.loads(out)["batchInferenceJob"] == job


# --------------------------------------------------------------------------- STS XML encodings


def _codec_names() -> list[str]:
    import encodings.aliases

    return sorted({*encodings.aliases.aliases, *encodings.aliases.aliases.values()})


_STS_REPLY = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
    "<Credentials><AccessKeyId>ASIAFUZZ</AccessKeyId><SecretAccessKey>fuzz/secret</SecretAccessKey>"
    "<SessionToken>fuzz-token</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
    "</Credentials></AssumeRoleResult></AssumeRoleResponse>"
)


@fuzz(300)
@given(
    encoding=st.one_of(
        st.sampled_from(_codec_names()),
        st.sampled_from(["bogus", "shift_jis", "utf-7", "idna", "rot13", "hex", "punycode"]),
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
    ),
    status=st.sampled_from([200, 400, 403, 500]),
)
@example(encoding="bogus", status=200)
@example(encoding="shift_jis", status=403)
def test_an_sts_reply_in_any_declared_encoding_stays_in_the_error_tree(
    encoding: str, status: int
) -> None:
    """Review C1: ``encoding="bogus"`` raised LookupError, ``"shift_jis"`` ValueError, out
    of the error tree (and past the providers-tried list)."""
    from personalize_lite.credentials._sts import _parse_credentials, _parse_error

    declaration = f'<?xml version="1.0" encoding="{encoding.replace(chr(34), "")}"?>'
    body = (declaration + _STS_REPLY).encode("latin-1", "replace")
    hypothesis_event("parsed" if status == 200 else "error reply")

    def fail(message: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(message, provider="fuzz")

    outcome: Credentials | CredentialRetrievalError
    try:
        outcome = _parse_credentials(body, "AssumeRole", fail)
    except CredentialRetrievalError as exc:
        outcome = exc
    if isinstance(outcome, CredentialRetrievalError):
        assert outcome.__cause__ is None
        assert outcome.__context__ is None
        assert "fuzz/secret" not in str(outcome)
    else:
        assert outcome.access_key_id == "ASIAFUZZ"
    code, message, _ = _parse_error(HttpResponse(status_code=status, headers={}, body=body))
    assert code == f"HTTP {status}"  # the reply has no <Error>, parsed or not
    assert message.startswith("STS sent "), message
