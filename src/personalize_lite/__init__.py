"""personalize-lite: Amazon Personalize DescribeBatchInferenceJob, sync and async, without boto3.

The public surface; the modules behind it are private. ``AsyncPersonalizeClient`` is
imported on first use, so a sync program never loads asyncio or anyio.
"""

from typing import TYPE_CHECKING, Any

from ._errors import (
    AccessDeniedException,
    Attempt,
    BatchInferenceJobFailed,
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    ExpiredTokenException,
    InvalidInputException,
    InvalidNextTokenException,
    InvalidSignatureException,
    LimitExceededException,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    ResponseParseError,
    ResponseTooLargeError,
    ThrottlingException,
    TooManyTagsException,
    TransportError,
    UnrecognizedClientException,
    WaiterTimeoutError,
)
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobStatus,
    BatchInferenceJobSummary,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)
from ._public import publish as _publish
from ._retry import RetryConfig
from ._sync_client import PersonalizeClient
from ._version import __version__
from .credentials import Credentials

if TYPE_CHECKING:
    from ._async_client import AsyncPersonalizeClient


def __getattr__(name: str) -> Any:
    if name == "AsyncPersonalizeClient":
        from ._async_client import AsyncPersonalizeClient

        _publish(AsyncPersonalizeClient, __name__)
        globals()[name] = AsyncPersonalizeClient
        return AsyncPersonalizeClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AccessDeniedException",
    "AsyncPersonalizeClient",
    "Attempt",
    "BatchInferenceJob",
    "BatchInferenceJobConfig",
    "BatchInferenceJobFailed",
    "BatchInferenceJobInput",
    "BatchInferenceJobOutput",
    "BatchInferenceJobStatus",
    "BatchInferenceJobSummary",
    "ConfigurationError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CredentialRetrievalError",
    "Credentials",
    "EndpointConnectionError",
    "ExpiredTokenException",
    "FieldsForThemeGeneration",
    "InvalidInputException",
    "InvalidNextTokenException",
    "InvalidSignatureException",
    "LimitExceededException",
    "NoCredentialsError",
    "ParamValidationError",
    "PersonalizeClient",
    "PersonalizeError",
    "PersonalizeServiceError",
    "ReadTimeoutError",
    "RedirectError",
    "ResourceAlreadyExistsException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RetryConfig",
    "S3DataConfig",
    "ThemeGenerationConfig",
    "ThrottlingException",
    "TooManyTagsException",
    "TransportError",
    "UnrecognizedClientException",
    "WaiterTimeoutError",
    "__version__",
]


for _name in __all__:
    _publish(globals().get(_name), __name__)  # AsyncPersonalizeClient: on first use, in __getattr__
del _name
