"""The one error tree: shape, fields, messages."""

from __future__ import annotations

import inspect
import pickle

import pytest

import personalize_lite
from personalize_lite import _errors
from personalize_lite._errors import (
    Attempt,
    BatchInferenceJobFailed,
    CredentialRetrievalError,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    ResourceNotFoundException,
    ResponseParseError,
    ResponseTooLargeError,
    ThrottlingException,
    WaiterTimeoutError,
    service_error_class,
)
from personalize_lite._models import BatchInferenceJob

ERROR_CLASSES = [
    obj
    for name, obj in vars(_errors).items()
    if inspect.isclass(obj) and issubclass(obj, Exception) and not name.startswith("_")
]


def test_every_error_is_a_personalize_error_and_public() -> None:
    assert len(ERROR_CLASSES) >= 19
    for cls in ERROR_CLASSES:
        assert issubclass(cls, PersonalizeError), cls
        assert getattr(personalize_lite, cls.__name__) is cls, cls


def test_the_docstring_tree_names_every_class() -> None:
    doc = _errors.__doc__ or ""
    for cls in ERROR_CLASSES:
        assert cls.__name__ in doc, cls


@pytest.mark.parametrize(
    "code",
    [
        "ResourceNotFoundException",
        "InvalidInputException",
        "ThrottlingException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "LimitExceededException",
        "InvalidSignatureException",
    ],
)
def test_known_codes_have_their_own_class(code: str) -> None:
    cls = service_error_class(code)
    assert cls.__name__ == code
    assert issubclass(cls, PersonalizeServiceError)


def test_unknown_codes_stay_generic() -> None:
    assert service_error_class("SomethingNewException") is PersonalizeServiceError
    assert service_error_class("") is PersonalizeServiceError


def test_service_error_fields_and_text() -> None:
    err = ResourceNotFoundException(
        "Could not find job", code="ResourceNotFoundException", status_code=400, request_id="r-1"
    )
    assert (err.code, err.message, err.status_code, err.request_id) == (
        "ResourceNotFoundException",
        "Could not find job",
        400,
        "r-1",
    )
    assert not err.retryable
    assert not err.throttling
    assert err.attempts == ()
    assert str(err) == "ResourceNotFoundException (HTTP 400, request id r-1): Could not find job"
    assert "status_code=400" in repr(err)


def test_no_credentials_lists_every_provider() -> None:
    err = NoCredentialsError([("env", "AWS_ACCESS_KEY_ID not set"), ("config-file", "no keys")])
    assert err.tried == (("env", "AWS_ACCESS_KEY_ID not set"), ("config-file", "no keys"))
    assert "env: AWS_ACCESS_KEY_ID not set" in str(err)
    assert "config-file: no keys" in str(err)


def test_validation_errors_are_also_value_errors() -> None:
    assert issubclass(personalize_lite.ParamValidationError, ValueError)
    assert issubclass(personalize_lite.ConfigurationError, ValueError)


def _pickle_cases() -> list[PersonalizeError]:
    job = BatchInferenceJob(job_name="j", status="CREATE FAILED", failure_reason="bad role")
    throttled = ThrottlingException(
        "Rate exceeded",
        code="ThrottlingException",
        status_code=400,
        request_id="rid-1",
        retryable=True,
        throttling=True,
    )
    throttled.attempts = (
        Attempt(
            number=1,
            status_code=400,
            error_code="ThrottlingException",
            request_id="rid-0",
            elapsed_ms=1.5,
            delay=0.2,
        ),
        Attempt(
            number=2,
            status_code=400,
            error_code="ThrottlingException",
            request_id="rid-1",
            elapsed_ms=2.5,
            gave_up="max attempts",
        ),
    )
    return [
        ParamValidationError("bad arn"),
        NoCredentialsError([("env", "not set"), ("shared-credentials-file", "no file")]),
        CredentialRetrievalError("run aws sso login", provider="sso"),
        BatchInferenceJobFailed(job),
        WaiterTimeoutError(3.0, job),
        ResponseParseError("not a number", path="batchInferenceJob.numResults", request_id="r"),
        ResponseTooLargeError("too big", limit=1024, request_id="r"),
        ReadTimeoutError("read timed out"),
        throttled,
        PersonalizeServiceError("odd", code="SomethingNew", status_code=418),
    ]


@pytest.mark.parametrize("error", _pickle_cases(), ids=lambda e: type(e).__name__)
def test_every_error_survives_pickling_with_its_fields(error: PersonalizeError) -> None:
    """Errors cross process boundaries (multiprocessing, concurrent.futures): keyword-only
    constructors must not make unpickling fail or garble the fields."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (bytes we just made)
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)
    assert str(copy) == str(error)
    assert repr(copy) == repr(error)
    assert copy.attempts == error.attempts
