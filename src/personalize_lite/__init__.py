"""personalize-lite: Amazon Personalize DescribeBatchInferenceJob, sync and async, without boto3.

The public surface; the modules behind it are private.
"""

from ._async_client import AsyncPersonalizeClient
from ._credentials import Credentials
from ._errors import (
    AccessDeniedException,
    BatchInferenceJobFailed,
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    ExpiredTokenException,
    InvalidInputException,
    InvalidSignatureException,
    LimitExceededException,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
    PersonalizeServiceError,
    ReadTimeoutError,
    RedirectError,
    ResourceNotFoundException,
    ResponseParseError,
    ThrottlingException,
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
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)
from ._retry import Attempt, RetryConfig
from ._sync_client import PersonalizeClient
from ._version import __version__

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
    "ConfigurationError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CredentialRetrievalError",
    "Credentials",
    "EndpointConnectionError",
    "ExpiredTokenException",
    "FieldsForThemeGeneration",
    "InvalidInputException",
    "InvalidSignatureException",
    "LimitExceededException",
    "NoCredentialsError",
    "ParamValidationError",
    "PersonalizeClient",
    "PersonalizeError",
    "PersonalizeServiceError",
    "ReadTimeoutError",
    "RedirectError",
    "ResourceNotFoundException",
    "ResponseParseError",
    "RetryConfig",
    "S3DataConfig",
    "ThemeGenerationConfig",
    "ThrottlingException",
    "TransportError",
    "UnrecognizedClientException",
    "WaiterTimeoutError",
    "__version__",
]
