"""AWS JSON 1.1 framing for DescribeBatchInferenceJob: input validation, the request
body, and decoding of replies and errors (Smithy awsJson1_1 rules).

Error code: the ``x-amzn-ErrorType`` header, else the body's ``code``, else ``__type``;
anything from the first ``:`` is dropped, then everything up to the first ``#``. Message:
``message`` or ``Message``; other members of an error are ignored. Request id:
``x-amzn-RequestId``. Bodies that are not JSON objects (``null``, HTML from a proxy) still
give a :class:`PersonalizeServiceError` with the HTTP status and a short message. A 2xx
body that is empty reads as ``{}``; the reply's ``Content-Type`` is not consulted.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Final

import cattrs

from ._converter import structure_job
from ._errors import (
    ParamValidationError,
    PersonalizeServiceError,
    RedirectError,
    ResponseParseError,
    service_error_class,
)
from ._models import BatchInferenceJob
from ._retry import classify
from ._steps import HttpResponse

__all__ = [
    "CONTENT_TYPE",
    "OPERATION",
    "TARGET",
    "decode_error",
    "decode_job",
    "encode_request",
    "request_body",
    "request_id_of",
    "sanitize_error_code",
    "validate_arn",
]

OPERATION: Final = "DescribeBatchInferenceJob"
TARGET: Final = "AmazonPersonalize.DescribeBatchInferenceJob"
CONTENT_TYPE: Final = "application/x-amz-json-1.1"

_ARN_MAX: Final = 256
_ARN_PATTERN: Final = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHORT: Final = 200


def validate_arn(arn: object) -> str:
    """Check a batch inference job ARN as the service model constrains it."""
    if not isinstance(arn, str):
        raise ParamValidationError(f"batchInferenceJobArn must be a str, got {type(arn).__name__}")
    if len(arn) > _ARN_MAX:
        raise ParamValidationError(
            f"batchInferenceJobArn is {len(arn)} characters long; at most {_ARN_MAX} are allowed"
        )
    if _CONTROL.search(arn):
        raise ParamValidationError("batchInferenceJobArn contains control characters")
    if not _ARN_PATTERN.fullmatch(arn):
        raise ParamValidationError(
            f"batchInferenceJobArn {arn!r} does not match {_ARN_PATTERN.pattern!r}"
            " (expected arn:aws:personalize:REGION:ACCOUNT:batch-inference-job/NAME)"
        )
    return arn


def encode_request(arn: str) -> bytes:
    """The request body, byte for byte as botocore's JSON serializer writes it."""
    return json.dumps({"batchInferenceJobArn": arn}).encode("utf-8")


def request_body(arn: object) -> bytes:
    """Validate ``arn`` and encode the request: the validated body is kept per ARN
    (pollers ask for the same few jobs again and again); a bad ARN raises every time."""
    if not isinstance(arn, str):
        return encode_request(validate_arn(arn))  # raises ParamValidationError
    return _request_body(arn)


@functools.lru_cache(maxsize=256)
def _request_body(arn: str) -> bytes:
    return encode_request(validate_arn(arn))


def request_id_of(response: HttpResponse) -> str | None:
    return response.headers.get("x-amzn-requestid") or response.headers.get("x-amz-request-id")


def _load_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def sanitize_error_code(raw: str) -> str:
    """Smithy's two steps: keep what precedes the first ``:``, then what follows the
    first ``#`` (botocore takes what follows the last ``#``; a shape id has one)."""
    code = raw.split(":", 1)[0]
    return code.split("#", 1)[-1].strip()


def _snippet(body: bytes) -> str:
    text = body[:_SHORT].decode("utf-8", "replace")
    text = _CONTROL.sub(" ", text).strip()
    return text + ("..." if len(body) > _SHORT else "")


def decode_error(response: HttpResponse) -> PersonalizeServiceError | RedirectError:
    """The error a non-2xx reply stands for."""
    status = response.status_code
    request_id = request_id_of(response)
    if 300 <= status < 400:
        location = response.headers.get("location", "(none)")
        return RedirectError(
            f"endpoint answered HTTP {status} redirecting to {location[:_SHORT]}; "
            "redirects are never followed (check endpoint_url and region)"
        )
    body = _load_object(response.body)
    header_code = response.headers.get("x-amzn-errortype")
    candidates: list[object] = [header_code]
    if body is not None:
        candidates += [body.get("code"), body.get("__type")]
    raw_code = next((c for c in candidates if isinstance(c, str) and c), "")
    code = sanitize_error_code(raw_code)
    message: object = None
    if body is not None:
        # "message" when it is a string (even empty, as botocore), else "Message".
        message = body.get("message")
        if not isinstance(message, str):
            message = body.get("Message")
    if not isinstance(message, str):
        message = None
    if not code:
        # No modelled error (a proxy, a load balancer, an empty reply): like botocore,
        # the HTTP status stands in for the code.
        code = str(status)
        if message is None:
            detail = _snippet(response.body)
            message = f"HTTP {status} with " + (
                f"an unrecognised body: {detail!r}" if detail else "an empty body"
            )
    retryable, throttling = classify(code, status)
    cls = service_error_class(code)
    return cls(
        message or "",
        code=code,
        status_code=status,
        request_id=request_id,
        retryable=retryable,
        throttling=throttling,
    )


def decode_job(
    response: HttpResponse, *, converter: cattrs.Converter | None = None
) -> BatchInferenceJob:
    """Decode a 2xx reply into a :class:`BatchInferenceJob`."""
    request_id = request_id_of(response)
    if not response.body.strip():
        # awsJson1_1: a server with no output members SHOULD send an empty body, and a
        # client reads it as {}. For this operation {} still lacks the job: name it.
        raise ResponseParseError(
            f"HTTP {response.status_code} reply body is empty (no batchInferenceJob object)",
            path="batchInferenceJob",
            request_id=request_id,
        )
    try:
        payload = json.loads(response.body)
    except (ValueError, RecursionError) as exc:
        detail = _snippet(response.body)
        what = f"not JSON: {detail!r}" if detail else "empty"
        raise ResponseParseError(
            f"HTTP {response.status_code} reply body is {what}", request_id=request_id
        ) from exc
    return structure_job(payload, converter=converter, request_id=request_id)
