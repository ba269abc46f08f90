"""The one error tree of personalize-lite.

Every exception the package raises derives from :class:`PersonalizeError`::

    PersonalizeError
    ├── ParamValidationError          bad input (ARN, keyword values); nothing was sent
    ├── ConfigurationError            bad region, endpoint URL, profile, config file, env value
    ├── NoCredentialsError            no provider produced credentials (lists every one tried)
    ├── CredentialRetrievalError      a configured provider failed (STS, SSO, IMDS, process...)
    ├── BatchInferenceJobFailed       the waited-for job ended in CREATE FAILED (.failure_reason)
    ├── WaiterTimeoutError            the waiter's deadline passed (.last_job)
    ├── ResponseParseError            a 2xx reply we cannot turn into a BatchInferenceJob
    │   └── ResponseTooLargeError     a reply past max_response_bytes (never retried)
    ├── TransportError                nothing usable came back from the network
    │   ├── EndpointConnectionError   connect refused / DNS / TLS failure
    │   ├── ConnectTimeoutError
    │   ├── ReadTimeoutError
    │   ├── ConnectionClosedError     reset or cut short mid-exchange
    │   └── RedirectError             a 3xx reply (never followed: credentials stay put)
    └── PersonalizeServiceError       the service answered with an error (code, message, ...)
        ├── ResourceNotFoundException
        ├── InvalidInputException
        ├── ThrottlingException
        ├── AccessDeniedException
        ├── UnrecognizedClientException
        ├── ExpiredTokenException
        ├── LimitExceededException
        ├── InvalidSignatureException
        ├── ResourceAlreadyExistsException   create: the job name is taken
        ├── ResourceInUseException           create: a resource it needs is busy
        ├── InvalidNextTokenException        list: the service refused the page token
        └── TooManyTagsException             create: over the tag limit

Service errors carry whether they are retryable or throttling, decided once by the
classifier (``_retry.classify``), so retry decisions never match class names.
Errors raised at the end of a call carry the history of its attempts (:class:`Attempt`,
defined here so that the error tree sits below the retry policy).

This module imports nothing else from the package (``_models`` only for type checking).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ._models import BatchInferenceJob

__all__ = [
    "AccessDeniedException",
    "Attempt",
    "BatchInferenceJobFailed",
    "ConfigurationError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CredentialRetrievalError",
    "EndpointConnectionError",
    "ExpiredTokenException",
    "InvalidInputException",
    "InvalidNextTokenException",
    "InvalidSignatureException",
    "LimitExceededException",
    "NoCredentialsError",
    "ParamValidationError",
    "PersonalizeError",
    "PersonalizeServiceError",
    "ReadTimeoutError",
    "RedirectError",
    "ResourceAlreadyExistsException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ThrottlingException",
    "TooManyTagsException",
    "TransportError",
    "UnrecognizedClientException",
    "WaiterTimeoutError",
    "service_error_class",
]


@attrs.frozen(kw_only=True, slots=True)
class Attempt:
    """One try of a call, as recorded in an error's ``attempts``."""

    number: int
    status_code: int | None
    error_code: str | None
    request_id: str | None
    elapsed_ms: float
    #: Seconds slept after this attempt before the next (None: no retry followed).
    delay: float | None = None
    #: Why no retry followed, when one could have ("max attempts", "retry quota").
    gave_up: str | None = None


class PersonalizeError(Exception):
    """Root of every error raised by personalize-lite."""

    #: Attempts made by the call that raised this error (empty when nothing was sent).
    attempts: tuple[Attempt, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls cls(*self.args): wrong for the errors whose
        # constructors take keyword-only fields (code, provider, limit...). Rebuild from
        # the instance's state instead, without running __init__ again.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(
    cls: type[PersonalizeError], args: tuple[Any, ...], state: dict[str, Any]
) -> PersonalizeError:
    """Unpickle an error: its args and attributes as they were, ``__init__`` not rerun."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ParamValidationError(PersonalizeError, ValueError):
    """An argument is invalid. Raised before anything is sent."""


class ConfigurationError(PersonalizeError, ValueError):
    """The configuration (region, endpoint, profile, files, environment) is unusable."""


class NoCredentialsError(PersonalizeError):
    """No credential provider produced credentials.

    ``tried`` holds ``(provider name, why it was skipped)`` for every provider, in order.
    """

    def __init__(self, tried: Sequence[tuple[str, str]]) -> None:
        self.tried: tuple[tuple[str, str], ...] = tuple(tried)
        lines = "; ".join(f"{name}: {why}" for name, why in self.tried)
        super().__init__(f"Unable to locate credentials. Tried: {lines}")


class CredentialRetrievalError(PersonalizeError):
    """A credential source is configured but failed to produce credentials.

    ``provider`` names it (``"sso"``, ``"assume-role"``, ``"container-role"``...). The
    message says what to do where there is something to do (``aws sso login``).
    """

    def __init__(self, message: str, *, provider: str) -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}")


class BatchInferenceJobFailed(PersonalizeError):
    """The job the waiter watched ended in ``CREATE FAILED``."""

    def __init__(self, job: BatchInferenceJob) -> None:
        self.job = job
        self.failure_reason = job.failure_reason
        reason = job.failure_reason or "no failure reason given"
        super().__init__(
            f"batch inference job {job.job_name or job.batch_inference_job_arn} failed: {reason}"
        )


class WaiterTimeoutError(PersonalizeError):
    """The waiter's deadline passed before the job finished. ``last_job`` is the last
    state seen (None when no describe call succeeded)."""

    def __init__(self, timeout: float, last_job: BatchInferenceJob | None) -> None:
        self.timeout = timeout
        self.last_job = last_job
        status = last_job.status if last_job is not None else "unknown"
        super().__init__(f"gave up waiting after {timeout:g} s; last status: {status}")


class ResponseParseError(PersonalizeError):
    """A successful reply could not be decoded into the expected shape.

    ``path`` names the offending field (for example ``batchInferenceJob.numResults``).
    """

    def __init__(self, message: str, *, path: str = "", request_id: str | None = None) -> None:
        self.path = path
        self.request_id = request_id
        super().__init__(message)


class ResponseTooLargeError(ResponseParseError):
    """A reply (any status, any endpoint, credential endpoints included) grew past the
    client's ``max_response_bytes``, counted after any ``Content-Encoding`` is decoded.
    Reading stopped there and the connection was closed. Never retried: the same
    request would bring the same reply. ``limit`` is the cap in bytes.
    """

    def __init__(self, message: str, *, limit: int, request_id: str | None = None) -> None:
        self.limit = limit
        super().__init__(message, request_id=request_id)


class TransportError(PersonalizeError):
    """The request did not produce a usable HTTP response."""

    #: Retrying may help (connection refused, timeouts, resets). Redirects: no.
    retryable: bool = True
    #: A timeout costs more retry quota than other errors (botocore: 10 vs 5).
    is_timeout: bool = False


class EndpointConnectionError(TransportError):
    """Could not connect to the endpoint (refused, DNS failure, TLS failure)."""


class ConnectTimeoutError(TransportError):
    """Connecting to the endpoint timed out."""

    is_timeout = True


class ReadTimeoutError(TransportError):
    """The endpoint did not answer (or finish answering) in time."""

    is_timeout = True


class ConnectionClosedError(TransportError):
    """The connection was reset or closed before a complete response arrived."""


class RedirectError(TransportError):
    """The endpoint answered with a redirect. Redirects are never followed."""

    retryable = False


class PersonalizeServiceError(PersonalizeError):
    """The service answered with an error.

    ``code`` is the Smithy error code (``ResourceNotFoundException``), ``message`` the
    service's text, ``status_code`` the HTTP status, ``request_id`` AWS's request id.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int,
        request_id: str | None = None,
        retryable: bool = False,
        throttling: bool = False,
    ) -> None:
        self.code = code
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.retryable = retryable
        self.throttling = throttling
        super().__init__(message)

    def __str__(self) -> str:
        rid = f", request id {self.request_id}" if self.request_id else ""
        tries = f" after {len(self.attempts)} attempts" if len(self.attempts) > 1 else ""
        return f"{self.code} (HTTP {self.status_code}{rid}){tries}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )


class ResourceNotFoundException(PersonalizeServiceError):
    """The batch inference job does not exist (in this account and region)."""


class InvalidInputException(PersonalizeServiceError):
    """The service rejected a parameter."""


class ThrottlingException(PersonalizeServiceError):
    """The request was throttled. Retried with backoff before this is raised."""


class AccessDeniedException(PersonalizeServiceError):
    """The credentials are not allowed to call DescribeBatchInferenceJob."""


class UnrecognizedClientException(PersonalizeServiceError):
    """The access key id is unknown to AWS."""


class ExpiredTokenException(PersonalizeServiceError):
    """The session token has expired."""


class LimitExceededException(PersonalizeServiceError):
    """A service quota was exceeded. A quota error, not throttling: never retried."""


class InvalidSignatureException(PersonalizeServiceError):
    """The signature did not match (wrong secret key, or a skewed clock)."""


_BY_CODE: dict[str, type[PersonalizeServiceError]] = {
    cls.__name__: cls
    for cls in (
        ResourceNotFoundException,
        InvalidInputException,
        ThrottlingException,
        AccessDeniedException,
        UnrecognizedClientException,
        ExpiredTokenException,
        LimitExceededException,
        InvalidSignatureException,
    )
}


def service_error_class(code: str) -> type[PersonalizeServiceError]:
    """The class for an error code; unknown codes map to :class:`PersonalizeServiceError`."""
    return _BY_CODE.get(code, PersonalizeServiceError)


class ResourceAlreadyExistsException(PersonalizeServiceError):
    """CreateBatchInferenceJob: a job with this name already exists. After an attempt
    whose outcome was unknown the client checks whether that job is the one it asked
    for (and then returns its ARN) before raising this."""


class ResourceInUseException(PersonalizeServiceError):
    """A resource the request needs is in use (for example not yet ACTIVE)."""


class InvalidNextTokenException(PersonalizeServiceError):
    """ListBatchInferenceJobs: the service refused the ``nextToken`` (expired or foreign)."""


class TooManyTagsException(PersonalizeServiceError):
    """More tags than the service allows on the resource."""


_BY_CODE.update(
    {
        cls.__name__: cls
        for cls in (
            ResourceAlreadyExistsException,
            ResourceInUseException,
            InvalidNextTokenException,
            TooManyTagsException,
        )
    }
)
