"""Tests for personalize_lite._json_protocol: ARN validation, request bytes, reply and
error decoding.

Reference behaviour comes from three places: botocore itself (its JSON serializer and
parser run on the same inputs), botocore's JSON protocol test cases and Smithy's
awsJson1_1 ``errors.smithy`` (both copied into ``tests/vectors``).

Deliberate differences from botocore, asserted here as *our* (Smithy) behaviour:

* error code: botocore's JSON parser only reads the body's ``__type``; Smithy (and we)
  read the ``x-amzn-ErrorType`` header first, then the body's ``code``, then ``__type``.
  botocore lists those Smithy cases in ``protocol-tests-ignore-list.json``.
* a body that is not a JSON object keeps a short description as the message; botocore
  uses the raw body text.
* ``message`` wins over ``Message`` only when it is a non-empty string.
* ``LimitExceededException`` is a quota error: not throttling, never retried.
* timestamps are aware UTC datetimes (botocore: ``tzlocal()``).
* the error code keeps what follows the *first* ``#`` (Smithy); botocore the last.
* a null in a dense map drops the key (botocore keeps ``None``); doubles take Smithy's
  ``"NaN"``/``"Infinity"``/``"-Infinity"`` (botocore hands the string on). The full
  table is in docs/botocore-differences.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import botocore.parsers
import botocore.serialize
import pytest
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel
from hypothesis import example, given, settings
from hypothesis import strategies as st

from personalize_lite._converter import camel, make_converter, parse_timestamp
from personalize_lite._errors import (
    AccessDeniedException,
    ExpiredTokenException,
    InvalidInputException,
    InvalidSignatureException,
    LimitExceededException,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    RedirectError,
    ResourceNotFoundException,
    ResponseParseError,
    ThrottlingException,
    TransportError,
    UnrecognizedClientException,
)
from personalize_lite._json_protocol import (
    CONTENT_TYPE,
    OPERATION,
    TARGET,
    decode_error,
    decode_job,
    encode_request,
    request_id_of,
    validate_arn,
)
from personalize_lite._models import BatchInferenceJob
from personalize_lite._steps import HttpResponse
from tests.support.paths import VECTORS

UTC = timezone.utc
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/my-job"

SERVICE_MODEL = ServiceModel(Loader().load_service_model("personalize", "service-2"))
OPERATION_MODEL: OperationModel = SERVICE_MODEL.operation_model(OPERATION)
ISO = make_converter(timestamps="iso8601")


def response(status: int, body: bytes | str = b"", **headers: str) -> HttpResponse:
    """An HttpResponse; header names are lower-cased as the drivers do."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return HttpResponse(
        status_code=status,
        headers={k.lower().replace("_", "-"): v for k, v in headers.items()},
        body=raw,
    )


def vector_response(resp: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        status_code=int(resp["status_code"]),
        headers={k.lower(): v for k, v in resp.get("headers", {}).items()},
        body=resp.get("body", "").encode("utf-8"),
    )


def botocore_parse(status: int, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    parser = botocore.parsers.create_parser("json")
    parsed: dict[str, Any] = parser.parse(
        {"body": body, "headers": headers, "status_code": status}, OPERATION_MODEL.output_shape
    )
    return parsed


# =========================================================================== validate_arn

GOOD_ARNS = [
    ARN,
    "arn:aws-cn:personalize:cn-north-1:123456789012:batch-inference-job/j",
    "arn:aws-us-gov:personalize:us-gov-west-1:123456789012:batch-inference-job/j",
    "arn:aws-iso-b:personalize:us-isob-east-1:123456789012:batch-inference-job/j",
    "arn:aws:personalize:::x",  # the model's pattern allows empty region and account
    "arn:aws:personalize:eu-west-1:123456789012:batch-inference-job/j\u00e9\u2713\U0001f600",
    "arn:aws:personalize:us-east-1:123456789012:" + "j" * (256 - 43),  # exactly 256
]


@pytest.mark.parametrize("arn", GOOD_ARNS)
def test_validate_arn_accepts(arn: str) -> None:
    assert len(arn) <= 256
    assert validate_arn(arn) is arn


@pytest.mark.parametrize(
    ("arn", "match"),
    [
        (None, "must be a str"),
        (42, "must be a str"),
        (b"arn:aws:personalize:us-east-1:1:batch-inference-job/j", "must be a str"),
        (["arn"], "must be a str"),
        ("arn:aws:personalize:us-east-1:123456789012:" + "j" * (257 - 43), "257 characters"),
        ("arn:aws:personalize:us-east-1:123456789012:" + "j" * 1000, "at most 256"),
        ("arn:aws:personalize:us-east-1:1:batch-inference-job/j\n", "control characters"),
        ("arn:aws:personalize:us-east-1:1:batch-inference-job/\x00j", "control characters"),
        ("arn:aws:personalize:us-east-1:1:batch-inference-job/\tj", "control characters"),
        ("arn:aws:personalize:us-east-1:1:batch-inference-job/j\x7f", "control characters"),
        ("arn:aws:personalize:us-east-1:1:batch-inference-job/j\x85", "control characters"),
        ("", "does not match"),
        ("my-job", "does not match"),
        ("arn:aws:s3:::bucket/key", "does not match"),
        ("arn:aws:iam::123456789012:role/r", "does not match"),
        ("arn:aws:personalizeX:us-east-1:1:batch-inference-job/j", "does not match"),
        ("arn:AWS:personalize:us-east-1:1:batch-inference-job/j", "does not match"),
        ("arn::personalize:us-east-1:1:batch-inference-job/j", "does not match"),
        ("arn:aws:personalize:us-east-1:1:", "does not match"),  # empty resource
        ("ARN:aws:personalize:us-east-1:1:batch-inference-job/j", "does not match"),
        (" arn:aws:personalize:us-east-1:1:batch-inference-job/j", "does not match"),
    ],
)
def test_validate_arn_rejects(arn: object, match: str) -> None:
    with pytest.raises(ParamValidationError, match=match) as info:
        validate_arn(arn)
    assert isinstance(info.value, PersonalizeError)
    assert isinstance(info.value, ValueError)


def test_validate_arn_uses_the_botocore_model_constraints() -> None:
    member = OPERATION_MODEL.input_shape.members["batchInferenceJobArn"]
    assert member.metadata["max"] == 256
    pattern = re.compile(member.metadata["pattern"])
    for arn in GOOD_ARNS:
        assert pattern.fullmatch(arn)


# =========================================================================== encode_request

_no_control = st.characters(blacklist_categories=("Cc", "Cs"))
VALID_ARNS = st.builds(
    lambda partition, region, account, resource: (
        f"arn:{partition}:personalize:{region}:{account}:{resource}"
    ),
    st.from_regex(r"[a-z\d-]{1,12}", fullmatch=True),
    st.text(_no_control, max_size=30),
    st.text(_no_control, max_size=30),
    st.text(_no_control, min_size=1, max_size=120),
)


def botocore_request(arn: str) -> dict[str, Any]:
    serializer = botocore.serialize.create_serializer("json")
    request: dict[str, Any] = serializer.serialize_to_request(
        {"batchInferenceJobArn": arn}, OPERATION_MODEL
    )
    return request


def test_target_and_content_type_match_botocore() -> None:
    request = botocore_request(ARN)
    assert request["headers"]["X-Amz-Target"] == TARGET
    assert request["headers"]["Content-Type"] == CONTENT_TYPE
    assert request["method"] == "POST"
    assert request["url_path"] == "/"
    assert f"{SERVICE_MODEL.metadata['targetPrefix']}.{OPERATION}" == TARGET


def test_encode_request_known_bytes() -> None:
    assert encode_request(ARN) == (
        b'{"batchInferenceJobArn": "arn:aws:personalize:us-east-1:123456789012:'
        b'batch-inference-job/my-job"}'
    )
    assert encode_request("arn:aws:personalize:::\u00e9") == (
        b'{"batchInferenceJobArn": "arn:aws:personalize:::\\u00e9"}'
    )


@settings(max_examples=300, deadline=None)
@given(VALID_ARNS)
@example("arn:aws:personalize:eu-west-1:123456789012:batch-inference-job/\u00e9\u2713")
@example('arn:aws-cn:personalize:\u4e2d\u56fd:\U0001f600:"quoted"\\back/slash\u2028')
def test_encode_request_is_byte_identical_to_botocore(arn: str) -> None:
    assert validate_arn(arn) == arn
    body = encode_request(arn)
    assert body == botocore_request(arn)["body"]
    assert json.loads(body) == {"batchInferenceJobArn": arn}


RELEVANT = json.loads((VECTORS / "relevant_subset.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", RELEVANT["input_cases"], ids=lambda c: c["id"])
def test_input_vectors_framing(case: dict[str, Any]) -> None:
    """botocore's JSON 1.1 input cases: target is ``<targetPrefix>.<operation>``, the
    content type is ``application/x-amz-json-1.1``, and requests go to ``POST /``."""
    serialized = case["serialized"]
    meta = case["_metadata"]
    assert serialized["headers"]["Content-Type"] == CONTENT_TYPE
    assert (
        serialized["headers"]["X-Amz-Target"] == f"{meta['targetPrefix']}.{case['given']['name']}"
    )
    assert (serialized["method"], serialized["uri"]) == ("POST", "/")
    # The same rules, applied to our operation.
    assert f"{SERVICE_MODEL.metadata['targetPrefix']}.{OPERATION}" == TARGET
    assert SERVICE_MODEL.metadata["jsonVersion"] == meta["jsonVersion"] == "1.1"
    assert json.loads(encode_request(ARN)) == {"batchInferenceJobArn": ARN}


# =========================================================================== error vectors


def _relevant_error_cases() -> list[Any]:
    return [
        pytest.param(
            c["response"], c["errorCode"], c.get("errorMessage", ""), id=f"relevant:{c['id']}"
        )
        for c in RELEVANT["output_cases"]
        if "errorCode" in c
    ]


def _botocore_error_cases() -> list[Any]:
    params = []
    for path in sorted((VECTORS / "botocore-protocols" / "output").glob("*.json")):
        for suite in json.loads(path.read_text(encoding="utf-8")):
            for case in suite["cases"]:
                if "errorCode" not in case:
                    continue
                headers = {k.lower() for k in case["response"].get("headers", {})}
                if "x-amzn-query-error" in headers:
                    # awsQueryCompatible custom codes: a json_1_0 trait Personalize
                    # (awsJson1_1) does not use. Skipped on purpose.
                    continue
                params.append(
                    pytest.param(
                        case["response"],
                        case["errorCode"],
                        case.get("errorMessage", ""),
                        id=f"{path.stem}:{case['id']}",
                    )
                )
    return params


def _smithy_error_cases() -> list[Any]:
    """The httpResponseTests of errors.smithy, parsed just enough for this file."""
    text = (VECTORS / "smithy-awsJson1_1" / "errors.smithy").read_text(encoding="utf-8")
    params = []
    for block in re.split(r"^apply\s+", text, flags=re.M)[1:]:
        shape = block.split(None, 1)[0]
        for case in re.split(r'\bid:\s*"', block)[1:]:
            case_id = case.split('"', 1)[0]
            status = re.search(r"\bcode:\s*(\d+)", case)
            headers = re.search(r"\bheaders:\s*\{(.*?)\}", case, re.S)
            body = re.search(r'\bbody:\s*"""(.*?)"""', case, re.S)
            message = re.search(r'\bparams:\s*\{\s*Message:\s*"([^"]*)"', case)
            assert status is not None, case_id
            resp = {
                "status_code": int(status.group(1)),
                "headers": dict(re.findall(r'"([^"]+)"\s*:\s*"([^"]*)"', headers.group(1)))
                if headers
                else {},
                "body": body.group(1) if body else "",
            }
            params.append(
                pytest.param(
                    resp, shape, message.group(1) if message else "", id=f"smithy:{case_id}"
                )
            )
    return params


RELEVANT_ERRORS = _relevant_error_cases()
BOTOCORE_ERRORS = _botocore_error_cases()
SMITHY_ERRORS = _smithy_error_cases()
BOTOCORE_IGNORED = set(
    json.loads(
        (VECTORS / "botocore-protocols" / "protocol-tests-ignore-list.json").read_text(
            encoding="utf-8"
        )
    )["protocols"]["json"]["output"]["cases"]
)


def test_vector_files_were_loaded() -> None:
    assert len(RELEVANT_ERRORS) == 12
    assert len(BOTOCORE_ERRORS) == 25  # 12 json + 12 json_1_0 + 1 query-compatible
    assert len(SMITHY_ERRORS) == 14  # InvalidGreeting 1, ComplexError 2, FooError 11
    smithy_ids = {p.id for p in SMITHY_ERRORS}
    for case_id in RELEVANT["smithy_extra_case_ids_not_in_botocore_json"]:
        if case_id.startswith("AwsJson11Foo"):
            assert f"smithy:{case_id}" in smithy_ids


@pytest.mark.parametrize(
    ("resp", "code", "message"), RELEVANT_ERRORS + BOTOCORE_ERRORS + SMITHY_ERRORS
)
def test_error_vectors(resp: dict[str, Any], code: str, message: str) -> None:
    err = decode_error(vector_response(resp))
    assert isinstance(err, PersonalizeServiceError)
    assert type(err) is PersonalizeServiceError  # none of these codes is ours
    assert err.code == code
    assert err.message == message
    assert err.status_code == resp["status_code"]
    assert err.retryable is (resp["status_code"] >= 500)
    assert err.throttling is False


@pytest.mark.parametrize(
    ("resp", "code", "message"),
    [p for p in RELEVANT_ERRORS if p.id.removeprefix("relevant:") not in BOTOCORE_IGNORED],
)
def test_error_vectors_agree_with_botocore(resp: dict[str, Any], code: str, message: str) -> None:
    """Where botocore runs the case, its code and message are ours."""
    ours = decode_error(vector_response(resp))
    theirs = botocore_parse(
        resp["status_code"], resp.get("body", "").encode(), resp.get("headers", {})
    )
    assert isinstance(ours, PersonalizeServiceError)
    assert theirs["Error"]["Code"] == ours.code == code
    assert theirs["Error"]["Message"] == ours.message == message


@pytest.mark.parametrize(
    ("resp", "code", "message"),
    [p for p in RELEVANT_ERRORS if p.id.removeprefix("relevant:") in BOTOCORE_IGNORED],
)
def test_botocore_misses_the_header_and_code_rules(
    resp: dict[str, Any], code: str, message: str
) -> None:
    """The cases botocore ignores: it only reads ``__type`` and falls back to the HTTP
    status, where Smithy (and we) take x-amzn-ErrorType, then ``code``. If this starts
    failing, botocore changed: update docs/botocore-differences.md."""
    theirs = botocore_parse(
        resp["status_code"], resp.get("body", "").encode(), resp.get("headers", {})
    )
    assert theirs["Error"]["Code"] == str(resp["status_code"])
    ours = decode_error(vector_response(resp))
    assert isinstance(ours, PersonalizeServiceError)
    assert ours.code == code != theirs["Error"]["Code"]


# =========================================================================== decode_error rules


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        # header first, then body `code`, then `__type`
        (
            {"x-amzn-ErrorType": "FromHeader"},
            {"code": "FromCode", "__type": "FromType"},
            "FromHeader",
        ),
        ({}, {"code": "FromCode", "__type": "FromType"}, "FromCode"),
        ({}, {"__type": "FromType"}, "FromType"),
        ({"x-amzn-ErrorType": ""}, {"__type": "FromType"}, "FromType"),  # empty header: ignored
        ({}, {"code": "", "__type": "FromType"}, "FromType"),
        # text after ':' dropped, namespace before '#' dropped
        ({"x-amzn-ErrorType": "Foo:http://internal.amazon.com/x"}, {}, "Foo"),
        ({"x-amzn-ErrorType": "ns.a#Foo:http://internal.amazon.com/x#y"}, {}, "Foo"),
        ({}, {"code": "com.amazonaws.personalize#Foo"}, "Foo"),
        ({}, {"__type": "a#b#Foo"}, "b#Foo"),  # after the *first* '#' (botocore: "Foo")
        ({}, {"__type": "Foo:a#b"}, "Foo"),
        # a nested __type is not the error code (AwsJson11FooErrorWithNestedTypeProperty)
        ({}, {"__type": "ns#Foo", "Details": [{"__type": "other#Bar"}]}, "Foo"),
        ({}, {"Details": {"__type": "other#Bar"}}, "400"),
        # unusable codes: the HTTP status stands in
        ({}, {"__type": 5}, "400"),
        ({}, {"__type": None}, "400"),
        ({}, {"__type": ["Foo"]}, "400"),
        ({}, {"__type": ""}, "400"),
        ({}, {"__type": "ns#"}, "400"),
        ({}, {"__type": ":uri"}, "400"),
    ],
)
def test_error_code_rules(headers: dict[str, str], body: dict[str, Any], code: str) -> None:
    err = decode_error(response(400, json.dumps(body), **headers))
    assert isinstance(err, PersonalizeServiceError)
    assert err.code == code


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"__type": "Foo", "message": "lower"}, "lower"),
        ({"__type": "Foo", "Message": "upper"}, "upper"),
        ({"__type": "Foo", "message": "lower", "Message": "upper"}, "lower"),
        ({"__type": "Foo", "message": "", "Message": "upper"}, ""),  # as botocore
        ({"__type": "Foo", "message": None, "Message": "upper"}, "upper"),
        ({"__type": "Foo", "message": 5}, ""),
        ({"__type": "Foo", "message": {"text": "x"}}, ""),
        ({"__type": "Foo"}, ""),
        ({"__type": "Foo", "errorMessage": "not a message member"}, ""),
        ({"__type": "Foo", "message": "caf\u00e9 \u2713"}, "caf\u00e9 \u2713"),
        ({"message": "no code"}, "no code"),
    ],
)
def test_error_message_rules(body: dict[str, Any], message: str) -> None:
    err = decode_error(response(400, json.dumps(body)))
    assert isinstance(err, PersonalizeServiceError)
    assert err.message == message
    assert message in str(err)


def test_request_id_from_header() -> None:
    err = decode_error(response(400, '{"__type": "Foo"}', **{"x-amzn-RequestId": "1111-2222"}))
    assert isinstance(err, PersonalizeServiceError)
    assert err.request_id == "1111-2222"
    assert "1111-2222" in str(err)
    assert "1111-2222" in repr(err)
    without = decode_error(response(400, '{"__type": "Foo"}'))
    assert isinstance(without, PersonalizeServiceError)
    assert without.request_id is None


def test_request_id_of() -> None:
    assert request_id_of(response(200, "{}", **{"x-amzn-RequestId": "a"})) == "a"
    assert request_id_of(response(200, "{}", **{"x-amz-request-id": "b"})) == "b"
    assert request_id_of(response(200, "{}")) is None


BAD_BODIES = [
    b"",
    b"   ",
    b"null",
    b"[]",
    b'[{"__type": "Foo", "message": "in a list"}]',
    b'"a JSON string"',
    b"42",
    b"true",
    b"{",
    b'{"__type": "Foo"',
    b"not json at all",
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"<?xml version='1.0'?><Error><Code>Foo</Code></Error>",
    b"\xff\xfe\x00garbage",
    b"\x00\x01\x02",
    b"[" * 100_000,
    b"x" * 100_000,
]


@pytest.mark.parametrize("status", [400, 403, 404, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: repr(b[:24]))
def test_bodies_that_are_not_json_objects(status: int, body: bytes) -> None:
    err = decode_error(response(status, body, **{"x-amzn-RequestId": "rid"}))
    assert type(err) is PersonalizeServiceError
    assert err.code == str(status)  # like botocore: the status stands in for the code
    assert err.status_code == status
    assert err.request_id == "rid"
    assert err.message.startswith(f"HTTP {status} with ")
    assert len(err.message) < 300  # short, even for a 100 kB body
    assert not re.search(r"[\x00-\x1f]", err.message)
    assert err.retryable is (status in {429, 500, 502, 503, 504})
    assert err.throttling is (status == 429)


def test_empty_body_message() -> None:
    err = decode_error(response(503, b""))
    assert isinstance(err, PersonalizeServiceError)
    assert err.message == "HTTP 503 with an empty body"


def test_html_body_is_described() -> None:
    err = decode_error(response(502, b"<html>Bad Gateway</html>"))
    assert isinstance(err, PersonalizeServiceError)
    assert "Bad Gateway" in err.message


def test_header_code_with_a_non_json_body() -> None:
    err = decode_error(response(500, b"<html>oops</html>", **{"x-amzn-ErrorType": "Foo:uri"}))
    assert isinstance(err, PersonalizeServiceError)
    assert err.code == "Foo"
    assert err.message == ""


KNOWN = [
    ResourceNotFoundException,
    InvalidInputException,
    ThrottlingException,
    AccessDeniedException,
    UnrecognizedClientException,
    ExpiredTokenException,
    LimitExceededException,
    InvalidSignatureException,
]


@pytest.mark.parametrize("cls", KNOWN, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "where",
    ["__type", "namespaced __type", "code", "header"],
)
def test_known_codes_map_to_their_classes(cls: type[PersonalizeServiceError], where: str) -> None:
    name = cls.__name__
    headers: dict[str, str] = {}
    body: dict[str, Any] = {"message": "boom"}
    if where == "__type":
        body["__type"] = name
    elif where == "namespaced __type":
        body["__type"] = f"com.amazonaws.personalize#{name}:http://internal/x"
    elif where == "code":
        body["code"] = name
    else:
        headers["x-amzn-ErrorType"] = name
    err = decode_error(response(400, json.dumps(body), **headers))
    assert type(err) is cls
    assert isinstance(err, PersonalizeServiceError)
    assert err.code == name
    assert err.message == "boom"
    assert str(err).startswith(f"{name} (HTTP 400)")


@pytest.mark.parametrize("code", ["ValidationException", "ServiceQuotaExceededException", "Foo"])
def test_unknown_codes_stay_generic(code: str) -> None:
    err = decode_error(response(400, json.dumps({"__type": code, "message": "m"})))
    assert type(err) is PersonalizeServiceError
    assert err.code == code


@pytest.mark.parametrize(
    ("code", "status", "retryable", "throttling"),
    [
        ("ThrottlingException", 400, True, True),
        ("ThrottlingException", 429, True, True),
        ("Throttling", 400, True, True),
        ("TooManyRequestsException", 400, True, True),
        # A quota error: not throttling, never retried (botocore lists it as throttling).
        ("LimitExceededException", 400, False, False),
        ("ResourceNotFoundException", 400, False, False),
        ("ResourceNotFoundException", 404, False, False),
        ("InvalidInputException", 400, False, False),
        ("AccessDeniedException", 400, False, False),
        ("UnrecognizedClientException", 400, False, False),
        ("ExpiredTokenException", 400, False, False),
        ("InvalidSignatureException", 400, False, False),
        ("RequestTimeout", 400, True, False),
        ("InternalFailure", 500, True, False),
        ("ServiceUnavailable", 503, True, False),
        ("Foo", 500, True, False),
        ("Foo", 501, False, False),
        ("Foo", 502, True, False),
        ("Foo", 503, True, False),
        ("Foo", 504, True, False),
        ("Foo", 505, False, False),
        ("Foo", 400, False, False),
        ("Foo", 429, True, True),
    ],
)
def test_retryable_and_throttling(
    code: str, status: int, retryable: bool, throttling: bool
) -> None:
    err = decode_error(response(status, json.dumps({"__type": code})))
    assert isinstance(err, PersonalizeServiceError)
    assert (err.retryable, err.throttling) == (retryable, throttling)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_bare_5xx_is_retryable(status: int) -> None:
    err = decode_error(response(status))
    assert isinstance(err, PersonalizeServiceError)
    assert err.retryable is True
    assert err.throttling is False


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 307, 308, 399])
def test_3xx_is_a_redirect_error(status: int) -> None:
    err = decode_error(
        response(
            status,
            '{"__type": "ThrottlingException"}',
            location="https://elsewhere.example/",
            **{"x-amzn-RequestId": "r"},
        )
    )
    assert type(err) is RedirectError
    assert isinstance(err, TransportError)
    assert not isinstance(err, PersonalizeServiceError)
    assert err.retryable is False
    assert f"HTTP {status}" in str(err)
    assert "https://elsewhere.example/" in str(err)


def test_redirect_without_location() -> None:
    err = decode_error(response(302))
    assert isinstance(err, RedirectError)
    assert "(none)" in str(err)


def test_redirect_location_is_truncated() -> None:
    err = decode_error(response(301, location="https://x/" + "a" * 10_000))
    assert isinstance(err, RedirectError)
    assert len(str(err)) < 400


# =========================================================================== decode_job vectors

#: Members of botocore's JSON test shapes -> a member of ours with the same wire type.
MEMBER_MAP: dict[str, str] = {
    "datetime": "creationDateTime",
    "Timestamp": "creationDateTime",
    "Iso8601Timestamp": "creationDateTime",
    "HttpdateTimestamp": "creationDateTime",
    "String": "jobName",
    "string": "jobName",
    "Integer": "numResults",
    "MapOfStrings": "batchInferenceJobConfig.itemExplorationConfig",
    "Double": "batchInferenceJobConfig.rankingInfluence.POPULARITY",
}
_SNAKE = {
    "creationDateTime": "creation_date_time",
    "jobName": "job_name",
    "numResults": "num_results",
}


def _output_cases() -> list[Any]:
    params = []
    for case in RELEVANT["output_cases"]:
        if "errorCode" in case:
            continue
        params.append(pytest.param(case, id=case["id"]))
    return params


def _translate(members: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A vector's body members, moved onto our members by ``mapping`` (member name ->
    dotted path in a job; unknown members kept as they are)."""
    job: dict[str, Any] = {}
    for key, value in members.items():
        node = job
        *parents, last = mapping.get(key, key).split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[last] = value
    return job


@pytest.mark.parametrize("case", _output_cases())
def test_output_vectors(case: dict[str, Any]) -> None:
    resp = case["response"]
    raw = vector_response(resp)
    request_id = raw.headers.get("x-amzn-requestid")
    # As sent, no reply carries a batchInferenceJob: always our parse error, never a crash
    # (botocore returns {} here and leaves the KeyError to the caller).
    with pytest.raises(ResponseParseError) as info:
        decode_job(raw)
    assert info.value.request_id == request_id
    if not resp["body"].strip():
        assert "empty" in str(info.value)  # json_1_1_service_responds_with_no_payload
        return
    # The same members, moved into a DescribeBatchInferenceJob reply.
    wire = {"batchInferenceJob": _translate(json.loads(resp["body"]), MEMBER_MAP)}
    moved = HttpResponse(
        status_code=raw.status_code, headers=raw.headers, body=json.dumps(wire).encode()
    )
    job = decode_job(moved)
    assert request_id_of(moved) == request_id
    expected: dict[str, Any] = {}
    for key, value in case["result"].items():
        target = MEMBER_MAP[key]
        if target == "creationDateTime":
            value = datetime.fromtimestamp(value, UTC)
        expected[target] = value
    for target in set(MEMBER_MAP.values()):
        got: Any = job
        for part in target.split("."):
            if got is None:
                break
            got = got.get(part) if isinstance(got, dict) else getattr(got, _snake(part))
        assert got == expected.get(target), target
        if isinstance(got, datetime):
            assert got.tzinfo is UTC


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_request_id_vector() -> None:
    (case,) = [
        c for c in RELEVANT["output_cases"] if c["id"] == "parses_the_request_id_from_the_response"
    ]
    resp = vector_response(case["response"])
    assert request_id_of(resp) == "amazon-uniq-request-id"
    with pytest.raises(ResponseParseError) as info:
        decode_job(resp)
    assert info.value.request_id == "amazon-uniq-request-id"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"{}",
        b'{"batchInferenceJob": null}',
        b'{"batchInferenceJob": []}',
        b'{"batchInferenceJob": "x"}',
        b"<html>OK</html>",
        b"{",
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"batchInferenceJob": {"numResults": "1"}}',
        b'{"batchInferenceJob": {"creationDateTime": 1e400}}',
        b'{"batchInferenceJob": {"creationDateTime": 1' + b"0" * 400 + b"}}",
    ],
    ids=lambda b: repr(b[:40]),
)
def test_decode_job_bad_bodies(body: bytes) -> None:
    with pytest.raises(ResponseParseError) as info:
        decode_job(response(200, body, **{"x-amzn-RequestId": "rid"}))
    assert info.value.request_id == "rid"
    assert len(str(info.value)) < 400


def test_decode_job_with_a_strict_converter() -> None:
    body = json.dumps({"batchInferenceJob": {"jobName": "j", "newMember": 1}})
    assert decode_job(response(200, body)) == BatchInferenceJob(job_name="j")
    with pytest.raises(ResponseParseError) as info:
        decode_job(response(200, body), converter=make_converter(strict=True))
    assert info.value.path == "batchInferenceJob"
    assert "newMember" in str(info.value)


# =========================================================================== botocore parity

_text = st.text(max_size=20)
_epoch = st.one_of(
    st.integers(0, 2**32 - 1),
    st.floats(0, 2.0**32 - 1, allow_nan=False, allow_infinity=False),
)
_s3 = st.fixed_dictionaries({"path": _text}, optional={"kmsKeyArn": _text})
RESPONSES = st.fixed_dictionaries(
    {
        "batchInferenceJob": st.fixed_dictionaries(
            {},
            optional={
                "jobName": _text,
                "batchInferenceJobArn": VALID_ARNS,
                "filterArn": VALID_ARNS,
                "failureReason": _text,
                "solutionVersionArn": VALID_ARNS,
                "numResults": st.integers(0, 2**31 - 1),
                "jobInput": st.fixed_dictionaries({"s3DataSource": _s3}),
                "jobOutput": st.fixed_dictionaries({"s3DataDestination": _s3}),
                "batchInferenceJobConfig": st.fixed_dictionaries(
                    {},
                    optional={
                        "itemExplorationConfig": st.dictionaries(_text, _text, max_size=3),
                        "rankingInfluence": st.dictionaries(
                            st.sampled_from(["POPULARITY", "FRESHNESS"]),
                            st.floats(0, 1) | st.integers(0, 1),
                        ),
                    },
                ),
                "roleArn": _text,
                "batchInferenceJobMode": st.sampled_from(["BATCH_INFERENCE", "THEME_GENERATION"]),
                "themeGenerationConfig": st.fixed_dictionaries(
                    {"fieldsForThemeGeneration": st.fixed_dictionaries({"itemName": _text})}
                ),
                "status": st.sampled_from(
                    ["PENDING", "IN PROGRESS", "ACTIVE", "CREATE FAILED", "SOMETHING NEW"]
                ),
                "creationDateTime": _epoch,
                "lastUpdatedDateTime": _epoch,
            },
        )
    }
)


def _assert_same(ours: Any, theirs: dict[str, Any], path: str) -> None:
    """Field by field: ours (attrs, snake_case) against botocore's (dict, camelCase)."""
    names = {camel(f.name) for f in attrs.fields(type(ours))}
    assert set(theirs) <= names, path
    for field in attrs.fields(type(ours)):
        mine = getattr(ours, field.name)
        key = camel(field.name)
        where = f"{path}.{key}"
        if key not in theirs:
            assert mine is None, where
        elif attrs.has(type(mine)):
            _assert_same(mine, theirs[key], where)
        elif isinstance(mine, datetime):
            assert mine.tzinfo is UTC, where
            assert theirs[key].tzinfo is not None, where
            assert mine == theirs[key], where  # aware datetimes compare as instants
            assert mine == theirs[key].astimezone(UTC), where
        else:
            assert mine == theirs[key], where


def _to_utc_iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _to_utc_iso(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None)
@given(RESPONSES, st.booleans())
def test_decode_job_matches_botocore(wire: dict[str, Any], ascii_only: bool) -> None:
    body = json.dumps(wire, ensure_ascii=ascii_only).encode("utf-8")
    theirs = botocore_parse(200, body, {})
    ours = decode_job(response(200, body))
    _assert_same(ours, theirs["batchInferenceJob"], "batchInferenceJob")
    # And as whole documents, with timestamps as UTC ISO-8601 on both sides.
    assert ISO.unstructure(ours) == _to_utc_iso(theirs["batchInferenceJob"])


ERROR_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,30}", fullmatch=True)


@st.composite
def error_replies(draw: st.DrawFn) -> tuple[int, bytes, dict[str, str], str]:
    name = draw(ERROR_NAMES)
    namespace = draw(st.none() | st.from_regex(r"[a-z][a-z0-9.]{0,20}", fullmatch=True))
    uri = draw(st.none() | st.text(max_size=30))
    code = (f"{namespace}#" if namespace else "") + name + (f":{uri}" if uri is not None else "")
    body: dict[str, Any] = {"__type": code}
    message_key = draw(st.sampled_from([None, "message", "Message"]))
    if message_key is not None:
        body[message_key] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        body["extra"] = draw(st.dictionaries(_text, _text, max_size=2))
    headers = {}
    if draw(st.booleans()):
        headers["x-amzn-requestid"] = draw(st.uuids().map(str))
    status = draw(st.integers(400, 599))
    raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8")
    return status, raw, headers, name


@settings(max_examples=300, deadline=None)
@given(error_replies())
def test_decode_error_matches_botocore_for_dunder_type(
    reply: tuple[int, bytes, dict[str, str], str],
) -> None:
    status, body, headers, name = reply
    theirs = botocore_parse(status, body, headers)
    ours = decode_error(response(status, body, **headers))
    assert isinstance(ours, PersonalizeServiceError)
    assert ours.code == theirs["Error"]["Code"] == name
    assert ours.message == theirs["Error"]["Message"]
    assert ours.status_code == status
    assert ours.request_id == theirs["ResponseMetadata"].get("RequestId")


@settings(max_examples=200, deadline=None)
@given(st.integers(100, 599), st.binary(max_size=200), st.dictionaries(_text, _text, max_size=3))
def test_decode_error_never_raises(status: int, body: bytes, headers: dict[str, str]) -> None:
    err = decode_error(HttpResponse(status_code=status, headers=headers, body=body))
    if 300 <= status < 400:
        assert isinstance(err, RedirectError)
    else:
        assert isinstance(err, PersonalizeServiceError)
        assert err.code
        assert err.status_code == status


def test_timestamps_are_utc_while_botocore_is_local() -> None:
    body = b'{"batchInferenceJob": {"creationDateTime": 946845296}}'
    theirs = botocore_parse(200, body, {})["batchInferenceJob"]["creationDateTime"]
    ours = decode_job(response(200, body)).creation_date_time
    assert ours == theirs == parse_timestamp(946845296)
    assert ours is not None
    assert ours.tzinfo is UTC
    assert theirs.tzinfo is not UTC


# =========================================================================== Smithy output cases
# Every client-side httpResponseTests case of the Smithy awsJson1_1 files below (copies in
# tests/vectors/smithy-awsJson1_1), its members moved onto ours of the same wire type.
# Members of types this operation does not have (blobs, booleans, lists, unions...) stay
# in the reply as unknown members, which must be ignored.

SMITHY_OUTPUT_FILES = (
    "null.smithy",
    "datetime-offsets.smithy",
    "fractional-seconds.smithy",
    "json-structs.smithy",
    "kitchen-sink.smithy",
    "empty-operation.smithy",
    "enums.smithy",
)

#: Smithy test member -> our member with the same wire type.
SMITHY_MEMBERS: dict[str, str] = {
    "datetime": "creationDateTime",
    "Timestamp": "creationDateTime",
    "Iso8601Timestamp": "creationDateTime",
    "HttpdateTimestamp": "creationDateTime",
    "String": "jobName",
    "string": "jobName",
    "Integer": "numResults",
    "Double": "batchInferenceJobConfig.rankingInfluence.POPULARITY",
    "doubleValue": "batchInferenceJobConfig.rankingInfluence.POPULARITY",
    "Float": "batchInferenceJobConfig.rankingInfluence.FRESHNESS",
    "floatValue": "batchInferenceJobConfig.rankingInfluence.FRESHNESS",
    "MapOfStrings": "batchInferenceJobConfig.itemExplorationConfig",
    # Smithy's sparse map, onto our dense one: the null entry must be dropped, not kept.
    "sparseStringMap": "batchInferenceJobConfig.itemExplorationConfig",
    # An enum member: unknown values ("Foo", "0") are kept as they are.
    "fooEnum1": "batchInferenceJobMode",
    "fooEnumMap": "batchInferenceJobConfig.itemExplorationConfig",
}
_DENSE_MAPS = {"itemExplorationConfig", "rankingInfluence"}


def _smithy_string(text: str) -> str:
    """The value of a Smithy ``"..."`` or ``\"\"\"...\"\"\"`` string starting ``text``."""
    if text.startswith('"""'):
        end = text.index('"""', 3)
        inner = text[3:end]
        lines = inner.split("\n")
        if lines and not lines[0].strip():
            lines = lines[1:]
        indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
        return "\n".join(line[indent:] for line in lines)
    match = re.match(r'"((?:[^"\\]|\\.)*)"', text)
    assert match is not None, text[:60]
    return str(json.loads(f'"{match.group(1)}"'))


def _smithy_node(text: str) -> Any:
    """A Smithy node value ``{ a: 1, b: "x" }`` (as these files write them) -> Python."""
    depth, end = 0, 0
    while True:
        depth += text[end] in "{["
        depth -= text[end] in "}]"
        end += 1
        if depth == 0:
            break
    node = text[:end]
    node = re.sub(r"(?<=[{\s,])([A-Za-z_]\w*)\s*:", r'"\1":', node)
    node = re.sub(r'(["\d\]}el])[ \t]*\n(\s*["\[{\d-])', r"\1,\n\2", node)
    return json.loads(node)


def _smithy_output_cases() -> list[Any]:
    params = []
    for name in SMITHY_OUTPUT_FILES:
        text = (VECTORS / "smithy-awsJson1_1" / name).read_text(encoding="utf-8")
        for block in text.split("@httpResponseTests([")[1:]:
            block = block.split("\n])")[0]
            for case in re.split(r'\bid:\s*"', block)[1:]:
                case_id = case.split('"', 1)[0]
                if re.search(r'appliesTo:\s*"server"', case) or "errors" in case_id.lower():
                    continue
                fields = {
                    key: case[m.end() :]
                    for key in ("body", "params", "headers", "code")
                    if (m := re.search(rf"^\s*{key}:\s*", case, flags=re.M))
                }
                parsed = {
                    "id": case_id,
                    "code": int(re.match(r"\d+", fields["code"]).group()),  # type: ignore[union-attr]
                    "body": _smithy_string(fields["body"]) if "body" in fields else "",
                    "headers": _smithy_node(fields["headers"]) if "headers" in fields else {},
                    "params": _smithy_node(fields["params"]) if "params" in fields else {},
                }
                params.append(pytest.param(parsed, id=f"{name}:{case_id}"))
    return params


SMITHY_OUTPUTS = _smithy_output_cases()


def _expected(path: str, value: Any) -> Any:
    """A Smithy params value, as our model holds it."""
    if path == "creationDateTime":
        return datetime.fromtimestamp(value, UTC)
    if path.startswith("batchInferenceJobConfig.rankingInfluence"):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, value)
    if path.split(".")[-1] in _DENSE_MAPS:
        return {k: v for k, v in value.items() if v is not None}
    return value


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return bool(got == want)


def test_smithy_output_cases_were_loaded() -> None:
    ids = {p.id.split(":", 1)[1] for p in SMITHY_OUTPUTS}
    assert {
        "AwsJson11StructuresDontDeserializeNullValues",
        "AwsJson11SparseMapsDeserializeNullValues",
        "AwsJson11SparseListsDeserializeNull",
        "AwsJson11DateTimeWithNegativeOffset",
        "AwsJson11DateTimeWithPositiveOffset",
        "AwsJson11DateTimeWithFractionalSeconds",
        "AwsJson11SupportsNaNFloatInputs",
        "AwsJson11SupportsInfinityFloatInputs",
        "AwsJson11SupportsNegativeInfinityFloatInputs",
        "parses_httpdate_timestamps",
        "parses_map_shapes",
        "parses_the_request_id_from_the_response",
        "handles_unexpected_json_output",
        "json_1_1_service_responds_with_no_payload",
        "AwsJson11Enums",
    } <= ids
    assert len(SMITHY_OUTPUTS) == 37  # every client-side response case of the seven files


@pytest.mark.parametrize("case", SMITHY_OUTPUTS)
def test_smithy_output_cases(case: dict[str, Any]) -> None:
    headers = {k.lower(): v for k, v in case["headers"].items()}
    members = json.loads(case["body"]) if case["body"].strip() else {}
    assert isinstance(members, dict)
    moved = _translate(members, SMITHY_MEMBERS)
    body = json.dumps({"batchInferenceJob": moved}).encode()
    job = decode_job(HttpResponse(status_code=case["code"], headers=headers, body=body))
    seen: dict[str, Any] = ISO.unstructure(job)
    assert request_id_of(HttpResponse(status_code=200, headers=headers, body=b"")) == headers.get(
        "x-amzn-requestid"
    )
    for member, value in case["params"].items():
        path = SMITHY_MEMBERS.get(member)
        if path is None:
            continue  # a type this operation does not have: tolerated above, nothing to compare
        got: Any = job
        for part in path.split("."):
            got = got.get(part) if isinstance(got, dict) else getattr(got, _snake(part))
        want = _expected(path, value)
        assert _same(got, want), (path, got, want)
        if isinstance(got, datetime):
            assert got.tzinfo is UTC
    # Nothing we model came from an unknown member.
    mapped = {SMITHY_MEMBERS[m].split(".")[0] for m in members if m in SMITHY_MEMBERS}
    assert set(seen) <= mapped


# =========================================================================== bodies and headers


@pytest.mark.parametrize("body", [b"", b"  \r\n\t"])
def test_an_empty_2xx_body_reads_as_an_empty_object(body: bytes) -> None:
    # awsJson1_1: a server with no output members SHOULD send an empty body and clients
    # read it as {} (botocore too). For this operation {} lacks the job: the error names it.
    assert "batchInferenceJob" not in botocore_parse(200, body, {})
    with pytest.raises(ResponseParseError) as info:
        decode_job(response(200, body, **{"x-amzn-RequestId": "rid"}))
    assert info.value.path == "batchInferenceJob"
    assert info.value.request_id == "rid"
    assert "body is empty" in str(info.value)


CONTENT_TYPES = [
    {"Content-Type": "application/x-amz-json-1.1"},
    {"Content-Type": "application/x-amz-json-1.1; charset=utf-8"},
    {"Content-Type": "APPLICATION/X-AMZ-JSON-1.1"},
    {"Content-Type": "application/json"},
    {"Content-Type": "application/x-amz-json-1.0"},
    {"Content-Type": "text/plain"},
    {},
]


@pytest.mark.parametrize("headers", CONTENT_TYPES, ids=lambda h: h.get("Content-Type", "none"))
def test_content_type_does_not_change_decoding(headers: dict[str, str]) -> None:
    # Neither we nor botocore look at the reply's Content-Type: the body decides.
    body = json.dumps({"batchInferenceJob": {"jobName": "j", "numResults": 3}}).encode()
    assert decode_job(response(200, body, **headers)) == BatchInferenceJob(
        job_name="j", num_results=3
    )
    theirs = botocore_parse(200, body, {k.lower(): v for k, v in headers.items()})
    assert theirs["batchInferenceJob"] == {"jobName": "j", "numResults": 3}
    err = decode_error(
        response(400, b'{"__type": "InvalidInputException", "message": "m"}', **headers)
    )
    assert type(err) is InvalidInputException
    assert err.message == "m"


@pytest.mark.parametrize(
    "extra",
    [
        {"resourceArn": ARN},
        {"Details": {"field": "x", "__type": "ns#Other"}},
        {"code": None, "Message": "ignored: message wins"},
        {"reason": ["a", "b"], "retryAfterSeconds": 3},
    ],
)
def test_extra_members_in_an_error_are_ignored(extra: dict[str, Any]) -> None:
    body = json.dumps(
        {"__type": "com.amazonaws.personalize#ResourceNotFoundException", "message": "gone"} | extra
    ).encode()
    err = decode_error(response(404, body, **{"x-amzn-RequestId": "rid"}))
    assert type(err) is ResourceNotFoundException
    assert (err.code, err.message, err.request_id) == ("ResourceNotFoundException", "gone", "rid")
    theirs = botocore_parse(404, body, {"x-amzn-requestid": "rid"})["Error"]
    assert (theirs["Code"], theirs["Message"]) == (err.code, err.message)


@pytest.mark.parametrize(
    ("raw", "ours", "botocores"),
    [
        ("a#b#Foo", "b#Foo", "Foo"),
        ("x.y#InvalidInputException#z", "InvalidInputException#z", "z"),
    ],
)
def test_error_code_keeps_what_follows_the_first_hash(raw: str, ours: str, botocores: str) -> None:
    # Smithy (and smithy-rs, the Go SDK): after the first '#'. botocore: after the last.
    # A real shape id has one '#', so the two only part on malformed codes.
    body = json.dumps({"__type": raw}).encode()
    err = decode_error(response(400, body))
    assert isinstance(err, PersonalizeServiceError)
    assert err.code == ours
    assert botocore_parse(400, body, {})["Error"]["Code"] == botocores
