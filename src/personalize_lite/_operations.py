"""The operations, described as data: one :class:`Operation` per API call.

An operation says what the generic attempt loop (``_call.call``) needs and nothing
else: its name (the ``X-Amz-Target`` is ``AmazonPersonalize.<name>``), how its input is
validated (keyword arguments in, the wire parameters out, :class:`ParamValidationError`
naming the Python keyword and the wire member on bad input), how the wire parameters
are serialized (as botocore's JSON serializer writes them: ``json.dumps`` with its
defaults, members in the order given), how a 2xx reply decodes (to the models, through
the one converter), the service errors it models, and whether resending it is safe.

Everything here is pure: no I/O, no clock. The constraints come from botocore's service
model (``personalize/2018-05-22``). Where the model gives a pattern in Java syntax, the
check here implements it: ``\\d`` is ASCII only, and ``\\p{L}``, ``\\p{Z}``, ``\\p{N}``
are the Unicode general categories ``L*``, ``Z*``, ``N*``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar

import attrs
import cattrs

from ._converter import structure_model
from ._errors import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ParamValidationError,
    PersonalizeServiceError,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    ResponseParseError,
    TooManyTagsException,
)
from ._json_protocol import decode_job, request_body, request_id_of, validate_arn
from ._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobSummary,
    S3DataConfig,
    ThemeGenerationConfig,
)
from ._steps import HttpResponse

__all__ = [
    "CREATE_BATCH_INFERENCE_JOB",
    "DESCRIBE_BATCH_INFERENCE_JOB",
    "LIST_BATCH_INFERENCE_JOBS",
    "TARGET_PREFIX",
    "Operation",
    "Page",
    "job_arn_for",
    "serialize_json",
    "validate_create",
    "validate_list",
]

R = TypeVar("R")

TARGET_PREFIX: Final = "AmazonPersonalize"


def serialize_json(params: Mapping[str, Any]) -> bytes:
    """The request body, byte for byte as botocore's JSON serializer writes it."""
    return json.dumps(params).encode("utf-8")


@attrs.frozen(kw_only=True)
class Operation(Generic[R]):
    """One API operation, as data."""

    #: The operation's name in the service model (``CreateBatchInferenceJob``).
    name: str
    #: Keyword arguments (Python names) -> wire parameters; raises ParamValidationError.
    validate: Callable[[Mapping[str, Any]], dict[str, Any]]
    #: A 2xx reply -> the result; raises ResponseParseError.
    decode: Callable[[HttpResponse, cattrs.Converter], R]
    #: The service errors the model lists for this operation.
    errors: tuple[type[PersonalizeServiceError], ...]
    #: True when sending the same request twice has the effect of sending it once.
    idempotent: bool
    #: Wire parameters -> request body.
    serialize: Callable[[Mapping[str, Any]], bytes] = serialize_json
    #: A faster equivalent of ``serialize(validate(params))`` (a cache), if any.
    encoder: Callable[[Mapping[str, Any]], bytes] | None = None

    @property
    def target(self) -> str:
        return f"{TARGET_PREFIX}.{self.name}"

    def encode(self, params: Mapping[str, Any]) -> bytes:
        """Validate and serialize: the request body, or ParamValidationError."""
        if self.encoder is not None:
            return self.encoder(params)
        return self.serialize(self.validate(params))


# --------------------------------------------------------------------------- checks

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ARN_MAX: Final = 256
_PERSONALIZE_ARN: Final = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+", re.ASCII)
_ROLE_ARN: Final = re.compile(r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+", re.ASCII)
_KMS_ARN: Final = re.compile(r"arn:aws.*:kms:.*:[0-9]{12}:key/.*", re.ASCII)
_KMS_MAX: Final = 2048
_S3_PATH: Final = re.compile(r"(s3|http|https)://.+", re.ASCII)
_S3_MAX: Final = 256
_NAME: Final = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*", re.ASCII)
_NAME_MAX: Final = 63
_COLUMN: Final = re.compile(r"[A-Za-z_][A-Za-z\d_]*", re.ASCII)
_COLUMN_MAX: Final = 150
_MODES: Final = ("BATCH_INFERENCE", "THEME_GENERATION")
_RANKING_KEYS: Final = ("POPULARITY", "FRESHNESS")
_EXPLORATION_MAX: Final = 100
_PARAMETER_NAME_MAX: Final = 256
_PARAMETER_VALUE_MAX: Final = 1000
_TAGS_MAX: Final = 200
_TAG_KEY_MAX: Final = 128
_TAG_VALUE_MAX: Final = 256
#: The punctuation ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`` allows besides letters,
#: separators and numbers.
_TAG_PUNCTUATION: Final = frozenset("_.:/=+-@")
_PAGE_MIN: Final = 1
_PAGE_MAX: Final = 100
_TOKEN_MAX: Final = 1500


def _fail(name: str, wire: str, problem: str) -> ParamValidationError:
    return ParamValidationError(f"{name} ({wire}) {problem}")


def _short(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:80] + "...")


def _string(value: object, name: str, wire: str) -> str:
    if not isinstance(value, str):
        raise _fail(name, wire, f"must be a str, got {type(value).__name__}")
    return value


def _patterned(
    value: object,
    name: str,
    wire: str,
    pattern: re.Pattern[str],
    *,
    max_len: int,
    min_len: int = 1,
    hint: str = "",
) -> str:
    if (
        type(value) is str
        and min_len <= len(value) <= max_len
        and pattern.fullmatch(value)
        and not _CONTROL.search(value)
    ):
        return value  # valid: the checks below, in one expression
    text = _string(value, name, wire)
    if len(text) > max_len:
        raise _fail(name, wire, f"is {len(text)} characters long; at most {max_len} are allowed")
    if len(text) < min_len:
        raise _fail(name, wire, f"must be at least {min_len} character(s) long")
    if _CONTROL.search(text):
        raise _fail(name, wire, "contains control characters")
    if not pattern.fullmatch(text):
        raise _fail(name, wire, f"{_short(text)} does not match {pattern.pattern!r}{hint}")
    return text


def _personalize_arn(value: object, name: str, wire: str) -> str:
    return _patterned(
        value,
        name,
        wire,
        _PERSONALIZE_ARN,
        max_len=_ARN_MAX,
        hint=" (expected arn:PARTITION:personalize:REGION:ACCOUNT:RESOURCE)",
    )


def _integer(value: object, name: str, wire: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, wire, f"must be an int, got {type(value).__name__}")
    return value


def _s3_data(value: object, name: str, wire: str) -> dict[str, Any]:
    """An ``S3DataConfig`` (or, from the string form, a path alone) -> wire dict."""
    if isinstance(value, str):
        path, kms = value, None
    elif isinstance(value, S3DataConfig):
        path, kms = value.path, value.kms_key_arn
    else:
        raise _fail(name, wire, f"must be an S3DataConfig, got {type(value).__name__}")
    wire_data: dict[str, Any] = {
        "path": _patterned(
            path,
            name,
            f"{wire}.path",
            _S3_PATH,
            max_len=_S3_MAX,
            hint=" (expected s3://BUCKET/KEY)",
        )
    }
    if kms is not None:
        wire_data["kmsKeyArn"] = _patterned(
            kms, name, f"{wire}.kmsKeyArn", _KMS_ARN, max_len=_KMS_MAX
        )
    return wire_data


def _job_input(value: object) -> dict[str, Any]:
    name, wire = "job_input", "jobInput"
    if isinstance(value, BatchInferenceJobInput):
        return {"s3DataSource": _s3_data(value.s3_data_source, name, f"{wire}.s3DataSource")}
    if isinstance(value, str):
        return {"s3DataSource": _s3_data(value, name, f"{wire}.s3DataSource")}
    raise _fail(
        name, wire, f"must be a BatchInferenceJobInput or an s3:// path, got {type(value).__name__}"
    )


def _job_output(value: object) -> dict[str, Any]:
    name, wire = "job_output", "jobOutput"
    if isinstance(value, BatchInferenceJobOutput):
        return {
            "s3DataDestination": _s3_data(
                value.s3_data_destination, name, f"{wire}.s3DataDestination"
            )
        }
    if isinstance(value, str):
        return {"s3DataDestination": _s3_data(value, name, f"{wire}.s3DataDestination")}
    raise _fail(
        name,
        wire,
        f"must be a BatchInferenceJobOutput or an s3:// path, got {type(value).__name__}",
    )


def _mapping(value: object, name: str, wire: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise _fail(name, wire, f"must be a mapping, got {type(value).__name__}")
    return value


def _job_config(value: object) -> dict[str, Any]:
    name, wire = "batch_inference_job_config", "batchInferenceJobConfig"
    if not isinstance(value, BatchInferenceJobConfig):
        raise _fail(name, wire, f"must be a BatchInferenceJobConfig, got {type(value).__name__}")
    out: dict[str, Any] = {}
    if value.item_exploration_config is not None:
        where = f"{wire}.itemExplorationConfig"
        exploration = _mapping(value.item_exploration_config, name, where)
        if len(exploration) > _EXPLORATION_MAX:
            raise _fail(
                name, where, f"has {len(exploration)} entries; at most {_EXPLORATION_MAX} allowed"
            )
        items: dict[str, str] = {}
        for key, item in exploration.items():
            key = _string(key, name, f"{where} key")
            if len(key) > _PARAMETER_NAME_MAX:
                raise _fail(name, f"{where} key", f"is longer than {_PARAMETER_NAME_MAX}")
            item = _string(item, name, f"{where}[{key!r}]")
            if len(item) > _PARAMETER_VALUE_MAX:
                raise _fail(name, f"{where}[{key!r}]", f"is longer than {_PARAMETER_VALUE_MAX}")
            items[key] = item
        out["itemExplorationConfig"] = items
    if value.ranking_influence is not None:
        where = f"{wire}.rankingInfluence"
        influence = _mapping(value.ranking_influence, name, where)
        weights: dict[str, float] = {}
        for key, weight in influence.items():
            if key not in _RANKING_KEYS:
                raise _fail(
                    name, f"{where} key", f"must be one of {', '.join(_RANKING_KEYS)}, got {key!r}"
                )
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not math.isfinite(weight)
                or not 0 <= weight <= 1
            ):
                raise _fail(
                    name, f"{where}[{key!r}]", f"must be a number from 0 to 1, got {weight!r}"
                )
            weights[key] = weight
        out["rankingInfluence"] = weights
    return out


def _theme_config(value: object) -> dict[str, Any]:
    name, wire = "theme_generation_config", "themeGenerationConfig"
    if not isinstance(value, ThemeGenerationConfig):
        raise _fail(name, wire, f"must be a ThemeGenerationConfig, got {type(value).__name__}")
    item_name = _patterned(
        value.fields_for_theme_generation.item_name,
        name,
        f"{wire}.fieldsForThemeGeneration.itemName",
        _COLUMN,
        max_len=_COLUMN_MAX,
    )
    return {"fieldsForThemeGeneration": {"itemName": item_name}}


def _tag_text_ok(text: str) -> bool:
    """``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``: letters, separators, numbers (any script)
    and ``_.:/=+-@``."""
    return all(unicodedata.category(char)[0] in "LZN" or char in _TAG_PUNCTUATION for char in text)


def _tags(value: object) -> list[dict[str, str]]:
    name, wire = "tags", "tags"
    tags = _mapping(value, name, wire)
    if len(tags) > _TAGS_MAX:
        raise _fail(name, wire, f"has {len(tags)} entries; at most {_TAGS_MAX} are allowed")
    out: list[dict[str, str]] = []
    for key, text in tags.items():
        # Tag keys and values are 'sensitive' in the model: never quoted in messages.
        key = _string(key, name, f"{wire}[].tagKey")
        if not 1 <= len(key) <= _TAG_KEY_MAX:
            raise _fail(name, f"{wire}[].tagKey", f"must be 1 to {_TAG_KEY_MAX} characters long")
        if not _tag_text_ok(key):
            raise _fail(
                name,
                f"{wire}[].tagKey",
                "may contain only letters, numbers, spaces and _.:/=+-@",
            )
        text = _string(text, name, f"{wire}[].tagValue")
        if len(text) > _TAG_VALUE_MAX:
            raise _fail(
                name, f"{wire}[].tagValue", f"must be at most {_TAG_VALUE_MAX} characters long"
            )
        if not _tag_text_ok(text):
            raise _fail(
                name,
                f"{wire}[].tagValue",
                "may contain only letters, numbers, spaces and _.:/=+-@",
            )
        out.append({"tagKey": key, "tagValue": text})
    return out


def validate_create(params: Mapping[str, Any]) -> dict[str, Any]:
    """CreateBatchInferenceJob keyword arguments -> wire parameters, in the service
    model's member order."""
    required = ("job_name", "solution_version_arn", "role_arn", "job_input", "job_output")
    for key in required:
        if params.get(key) is None:
            raise _fail(key, camel_of(key), "is required")
    wire: dict[str, Any] = {
        "jobName": _patterned(params["job_name"], "job_name", "jobName", _NAME, max_len=_NAME_MAX),
        "solutionVersionArn": _personalize_arn(
            params["solution_version_arn"], "solution_version_arn", "solutionVersionArn"
        ),
    }
    if params.get("filter_arn") is not None:
        wire["filterArn"] = _personalize_arn(params["filter_arn"], "filter_arn", "filterArn")
    if params.get("num_results") is not None:
        wire["numResults"] = _integer(params["num_results"], "num_results", "numResults")
    wire["jobInput"] = _job_input(params["job_input"])
    wire["jobOutput"] = _job_output(params["job_output"])
    wire["roleArn"] = _patterned(
        params["role_arn"],
        "role_arn",
        "roleArn",
        _ROLE_ARN,
        max_len=_ARN_MAX,
        hint=" (expected arn:PARTITION:iam::ACCOUNT:role/NAME)",
    )
    if params.get("batch_inference_job_config") is not None:
        wire["batchInferenceJobConfig"] = _job_config(params["batch_inference_job_config"])
    if params.get("tags") is not None:
        wire["tags"] = _tags(params["tags"])
    mode = params.get("batch_inference_job_mode")
    if mode is not None:
        if mode not in _MODES:
            raise _fail(
                "batch_inference_job_mode",
                "batchInferenceJobMode",
                f"must be one of {', '.join(_MODES)}, got {mode!r}",
            )
        wire["batchInferenceJobMode"] = mode
    if params.get("theme_generation_config") is not None:
        wire["themeGenerationConfig"] = _theme_config(params["theme_generation_config"])
    return wire


def validate_list(params: Mapping[str, Any]) -> dict[str, Any]:
    """ListBatchInferenceJobs keyword arguments -> wire parameters."""
    wire: dict[str, Any] = {}
    if params.get("solution_version_arn") is not None:
        wire["solutionVersionArn"] = _personalize_arn(
            params["solution_version_arn"], "solution_version_arn", "solutionVersionArn"
        )
    if params.get("next_token") is not None:
        wire["nextToken"] = _next_token(params["next_token"], "next_token")
    if params.get("page_size") is not None:
        size = _integer(params["page_size"], "page_size", "maxResults")
        if not _PAGE_MIN <= size <= _PAGE_MAX:
            raise _fail(
                "page_size", "maxResults", f"must be from {_PAGE_MIN} to {_PAGE_MAX}, got {size}"
            )
        wire["maxResults"] = size
    return wire


def _next_token(value: object, name: str) -> str:
    token = _string(value, name, "nextToken")
    if len(token) > _TOKEN_MAX or not token.isascii():
        raise _fail(name, "nextToken", f"must be at most {_TOKEN_MAX} ASCII characters")
    return token


def camel_of(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def job_arn_for(solution_version_arn: str, job_name: str) -> str | None:
    """The ARN a job named ``job_name`` gets when created from ``solution_version_arn``:
    same partition, region and account. None when the ARN has no region or account."""
    parts = solution_version_arn.split(":", 5)
    if len(parts) < 6:
        return None
    _, partition, _service, region, account, _resource = parts
    if not (partition and region and account):
        return None
    return f"arn:{partition}:personalize:{region}:{account}:batch-inference-job/{job_name}"


# --------------------------------------------------------------------------- replies


def _reply_object(response: HttpResponse) -> dict[str, Any]:
    request_id = request_id_of(response)
    try:
        payload = json.loads(response.body)
    except (ValueError, RecursionError) as exc:
        raise ResponseParseError(
            f"HTTP {response.status_code} reply body is not JSON", request_id=request_id
        ) from exc
    if not isinstance(payload, dict):
        raise ResponseParseError(
            f"expected a JSON object, got {type(payload).__name__}", request_id=request_id
        )
    return payload


def decode_create(response: HttpResponse, _converter: cattrs.Converter) -> str:
    """CreateBatchInferenceJob's reply -> the new job's ARN."""
    arn = _reply_object(response).get("batchInferenceJobArn")
    if not isinstance(arn, str) or not arn:
        raise ResponseParseError(
            "reply has no batchInferenceJobArn string",
            path="batchInferenceJobArn",
            request_id=request_id_of(response),
        )
    return arn


@attrs.frozen(kw_only=True)
class Page:
    """One page of ListBatchInferenceJobs."""

    jobs: tuple[BatchInferenceJobSummary, ...]
    next_token: str | None


def decode_list(response: HttpResponse, converter: cattrs.Converter) -> Page:
    """ListBatchInferenceJobs' reply -> a :class:`Page`. A missing list is an empty page;
    a missing or empty ``nextToken`` ends the listing."""
    payload = _reply_object(response)
    request_id = request_id_of(response)
    raw_jobs = payload.get("batchInferenceJobs")
    if raw_jobs is None:
        raw_jobs = []
    if not isinstance(raw_jobs, list):
        raise ResponseParseError(
            f"batchInferenceJobs is a {type(raw_jobs).__name__}, not a list",
            path="batchInferenceJobs",
            request_id=request_id,
        )
    jobs: tuple[BatchInferenceJobSummary, ...] | None
    try:
        # The whole page at once, with the hook looked up once (what structure() does
        # per item); a summary's path is spelled out only when one fails.
        hook = converter.get_structure_hook(BatchInferenceJobSummary)
        jobs = tuple([hook(item, BatchInferenceJobSummary) for item in raw_jobs])
    except Exception:  # noqa: BLE001 - structure_model below names the member and why
        jobs = None
    if jobs is None:  # outside the handler: the error raised has the chain it always had
        jobs = tuple(
            structure_model(
                item,
                BatchInferenceJobSummary,
                path=f"batchInferenceJobs[{index}]",
                converter=converter,
                request_id=request_id,
            )
            for index, item in enumerate(raw_jobs)
        )
    token = payload.get("nextToken")
    if token is not None and (
        not isinstance(token, str) or len(token) > _TOKEN_MAX or not token.isascii()
    ):
        raise ResponseParseError(
            f"nextToken must be a string of at most {_TOKEN_MAX} ASCII characters",
            path="nextToken",
            request_id=request_id,
        )
    return Page(jobs=jobs, next_token=token or None)


def _decode_describe(response: HttpResponse, converter: cattrs.Converter) -> BatchInferenceJob:
    return decode_job(response, converter=converter)


def _validate_describe(params: Mapping[str, Any]) -> dict[str, Any]:
    # validate_arn's messages are part of today's behaviour: kept.
    return {"batchInferenceJobArn": validate_arn(params.get("arn"))}


DESCRIBE_BATCH_INFERENCE_JOB: Final[Operation[BatchInferenceJob]] = Operation(
    name="DescribeBatchInferenceJob",
    validate=_validate_describe,
    decode=_decode_describe,
    errors=(InvalidInputException, ResourceNotFoundException),
    idempotent=True,
    # The validated body is kept per ARN (pollers ask for the same few jobs again).
    encoder=lambda params: request_body(params.get("arn")),
)

CREATE_BATCH_INFERENCE_JOB: Final[Operation[str]] = Operation(
    name="CreateBatchInferenceJob",
    validate=validate_create,
    decode=decode_create,
    errors=(
        InvalidInputException,
        ResourceAlreadyExistsException,
        LimitExceededException,
        ResourceNotFoundException,
        ResourceInUseException,
        TooManyTagsException,
    ),
    # No client token: a resent create may make a second job, or answer
    # ResourceAlreadyExistsException for the job the first attempt made.
    idempotent=False,
)

LIST_BATCH_INFERENCE_JOBS: Final[Operation[Page]] = Operation(
    name="ListBatchInferenceJobs",
    validate=validate_list,
    decode=decode_list,
    errors=(InvalidInputException, InvalidNextTokenException),
    idempotent=True,
)
