"""The emulator's live state: batch inference jobs created through it, and how they move.

A job created at ``t0`` with a duration ``d`` (``personalize-lite serve --job-duration``)
is ``PENDING`` until ``t0 + d/10``, ``IN_PROGRESS`` until ``t0 + d``, then ``ACTIVE``; a
job whose name matches the ``fail_jobs`` glob ends in ``CREATE FAILED`` with a
``failureReason`` instead. ``lastUpdatedDateTime`` is the time of the last change. The
status is derived from the store's clock whenever it is asked, so nothing runs in the
background and a test moves time by moving its clock.

The store also lists the jobs recorded in the cassettes (their last recorded
DescribeBatchInferenceJob reply), merged with the live ones, newest first. Page tokens
are opaque: the position after the last job served (creation time and ARN, so jobs
created between two pages neither repeat nor shift the listing) and the filter, signed
with an HMAC key drawn when the store is made; a token the store did not issue, or used
with another filter, is refused.

Input is validated with the client's own validators (:mod:`personalize_lite._operations`);
every refusal is the service error a client would get (the one error tree,
:mod:`personalize_lite._errors`: ``ResourceAlreadyExistsException``,
``InvalidInputException``, ...), with its AWS code, message and HTTP status, which the
server sends as a JSON 1.1 error.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final

import attrs

from .._errors import ParamValidationError, PersonalizeServiceError, service_error_class
from .._models import (
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)
from .._operations import job_arn_for, validate_create, validate_list

__all__ = [
    "DEFAULT_FAIL_JOBS",
    "DEFAULT_JOB_DURATION",
    "DEFAULT_PAGE_SIZE",
    "MAX_JOBS",
    "PENDING_SHARE",
    "JobStore",
    "refusal",
]

#: Seconds a created job takes to reach ACTIVE (or CREATE FAILED) by default.
DEFAULT_JOB_DURATION: Final = 5.0
#: Jobs whose name matches this glob end in CREATE FAILED by default.
DEFAULT_FAIL_JOBS: Final = "fail-*"
#: Share of the duration a job spends PENDING before IN_PROGRESS.
PENDING_SHARE: Final = 0.1
#: Live jobs one emulator keeps; one more is LimitExceededException.
MAX_JOBS: Final = 10_000
#: ListBatchInferenceJobs' page size when maxResults is not given (as AWS).
DEFAULT_PAGE_SIZE: Final = 100
_MODE: Final = "BATCH_INFERENCE"
_CREATE_MEMBERS: Final = frozenset(
    {
        "jobName",
        "solutionVersionArn",
        "filterArn",
        "numResults",
        "jobInput",
        "jobOutput",
        "roleArn",
        "batchInferenceJobConfig",
        "tags",
        "batchInferenceJobMode",
        "themeGenerationConfig",
    }
)
_LIST_MEMBERS: Final = frozenset({"solutionVersionArn", "nextToken", "maxResults"})
_SUMMARY_FIELDS: Final = (
    "batchInferenceJobArn",
    "jobName",
    "status",
    "creationDateTime",
    "lastUpdatedDateTime",
    "failureReason",
    "solutionVersionArn",
    "batchInferenceJobMode",
)


def refusal(code: str, message: str) -> PersonalizeServiceError:
    """The service error for ``code`` (its typed class when the tree has one), HTTP 400."""
    return service_error_class(code)(message, code=code, status_code=400)


def _invalid(message: str) -> PersonalizeServiceError:
    return refusal("InvalidInputException", message)


@attrs.frozen(kw_only=True)
class _Job:
    """A job created through the emulator: what the request gave, and when."""

    arn: str
    wire: Mapping[str, Any]  # the validated request members, tags removed
    created: float  # epoch seconds
    fails: bool


def _epoch(moment: datetime) -> float:
    return round(moment.astimezone(timezone.utc).timestamp(), 3)


# ------------------------------------------------------------ wire -> keyword arguments


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid(f"{where} must be a structure")
    return value


def _s3(value: object, where: str) -> S3DataConfig:
    data = _object(value, where)
    path, kms = data.get("path"), data.get("kmsKeyArn")
    if not isinstance(path, str) or (kms is not None and not isinstance(kms, str)):
        raise _invalid(f"{where}.path (and kmsKeyArn) must be strings")
    return S3DataConfig(path=path, kms_key_arn=kms)


def _create_kwargs(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The wire request as the client's keyword arguments (so its validators apply)."""
    unknown = sorted(set(payload) - _CREATE_MEMBERS)
    if unknown:
        raise refusal("SerializationException", f"unknown member {unknown[0][:64]!r}")
    kwargs: dict[str, Any] = {
        "job_name": payload.get("jobName"),
        "solution_version_arn": payload.get("solutionVersionArn"),
        "role_arn": payload.get("roleArn"),
        "filter_arn": payload.get("filterArn"),
        "num_results": payload.get("numResults"),
        "batch_inference_job_mode": payload.get("batchInferenceJobMode"),
    }
    if "jobInput" in payload:
        source = _object(payload["jobInput"], "jobInput").get("s3DataSource")
        kwargs["job_input"] = BatchInferenceJobInput(
            s3_data_source=_s3(source, "jobInput.s3DataSource")
        )
    if "jobOutput" in payload:
        target = _object(payload["jobOutput"], "jobOutput").get("s3DataDestination")
        kwargs["job_output"] = BatchInferenceJobOutput(
            s3_data_destination=_s3(target, "jobOutput.s3DataDestination")
        )
    if payload.get("batchInferenceJobConfig") is not None:
        config = _object(payload["batchInferenceJobConfig"], "batchInferenceJobConfig")
        kwargs["batch_inference_job_config"] = BatchInferenceJobConfig(
            item_exploration_config=config.get("itemExplorationConfig"),
            ranking_influence=config.get("rankingInfluence"),
        )
    if payload.get("themeGenerationConfig") is not None:
        theme = _object(payload["themeGenerationConfig"], "themeGenerationConfig")
        fields = _object(theme.get("fieldsForThemeGeneration"), "fieldsForThemeGeneration")
        item_name = fields.get("itemName")
        if not isinstance(item_name, str):
            raise _invalid("themeGenerationConfig.fieldsForThemeGeneration.itemName is required")
        kwargs["theme_generation_config"] = ThemeGenerationConfig(
            fields_for_theme_generation=FieldsForThemeGeneration(item_name=item_name)
        )
    if payload.get("tags") is not None:
        tags = payload["tags"]
        if not isinstance(tags, list):
            raise _invalid("tags must be a list")
        mapping: dict[object, object] = {}
        for tag in tags:
            item = _object(tag, "tags[]")
            key = item.get("tagKey")
            if not isinstance(key, str) or key in mapping:
                raise _invalid("tags[].tagKey must be a string, each key once")
            mapping[key] = item.get("tagValue")
        kwargs["tags"] = mapping
    return kwargs


def _validated(check: Callable[[Mapping[str, Any]], dict[str, Any]], kwargs: Any) -> dict[str, Any]:
    try:
        return check(kwargs)
    except ParamValidationError as exc:
        raise _invalid(f"1 validation error detected: {exc}") from None


# ------------------------------------------------------------ page tokens


def _fingerprint(solution_version_arn: str | None) -> str:
    return hashlib.sha256((solution_version_arn or "").encode()).hexdigest()[:16]


class JobStore:
    """Live batch inference jobs plus the recorded ones, safe to use from many threads.

    ``clock`` returns aware datetimes (the emulator's time); ``job_duration`` is in
    seconds (0: ACTIVE at once); ``fail_jobs`` is a glob on job names; ``recorded``
    are DescribeBatchInferenceJob ``batchInferenceJob`` objects listed beside the live
    jobs; at most ``max_jobs`` live jobs are kept.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        job_duration: float = DEFAULT_JOB_DURATION,
        fail_jobs: str = DEFAULT_FAIL_JOBS,
        recorded: Iterable[Mapping[str, Any]] = (),
        max_jobs: int = MAX_JOBS,
    ) -> None:
        if not job_duration >= 0:  # NaN too
            raise ValueError(f"job_duration must be 0 or more seconds, not {job_duration!r}")
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, not {max_jobs!r}")
        self._clock = clock
        self._duration = float(job_duration)
        self._fail_jobs = fail_jobs
        self._max_jobs = max_jobs
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._recorded: dict[str, dict[str, Any]] = {}
        for job in recorded:
            arn = job.get("batchInferenceJobArn")
            if isinstance(arn, str):
                self._recorded[arn] = dict(job)

    @property
    def job_duration(self) -> float:
        return self._duration

    @property
    def fail_jobs(self) -> str:
        return self._fail_jobs

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    # -------------------------------------------------------------- operations

    def create(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """CreateBatchInferenceJob: the reply object, or a service error."""
        wire = _validated(validate_create, _create_kwargs(payload))
        arn = job_arn_for(wire["solutionVersionArn"], wire["jobName"])
        if arn is None:
            raise _invalid(
                "solutionVersionArn must name a region and an account "
                "(arn:PARTITION:personalize:REGION:ACCOUNT:solution/...)"
            )
        wire.pop("tags", None)  # tags are not part of DescribeBatchInferenceJob
        wire.setdefault("batchInferenceJobMode", _MODE)
        name = wire["jobName"]
        with self._lock:
            if arn in self._jobs or arn in self._recorded:
                raise refusal(
                    "ResourceAlreadyExistsException",
                    f"Batch inference job {arn} already exists.",
                )
            if len(self._jobs) >= self._max_jobs:
                raise refusal(
                    "LimitExceededException",
                    f"The emulator keeps at most {self._max_jobs} batch inference jobs.",
                )
            self._jobs[arn] = _Job(
                arn=arn,
                wire=wire,
                created=_epoch(self._clock()),
                fails=fnmatch.fnmatchcase(name, self._fail_jobs),
            )
        return {"batchInferenceJobArn": arn}

    def describe(self, arn: str) -> dict[str, Any] | None:
        """DescribeBatchInferenceJob's reply for a live job, or None if there is none."""
        with self._lock:
            job = self._jobs.get(arn)
        if job is None:
            return None
        return {"batchInferenceJob": self._describe(job, _epoch(self._clock()))}

    def list(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """ListBatchInferenceJobs: one page, newest first, or a service error."""
        unknown = sorted(set(payload) - _LIST_MEMBERS)
        if unknown:
            raise refusal("SerializationException", f"unknown member {unknown[0][:64]!r}")
        wire = _validated(
            validate_list,
            {
                "solution_version_arn": payload.get("solutionVersionArn"),
                "next_token": payload.get("nextToken"),
                "page_size": payload.get("maxResults"),
            },
        )
        wanted = wire.get("solutionVersionArn")
        size = wire.get("maxResults", DEFAULT_PAGE_SIZE)
        after = self._read_token(wire["nextToken"], wanted) if "nextToken" in wire else None
        now = _epoch(self._clock())
        with self._lock:
            live = list(self._jobs.values())
        summaries = [self._summary(self._describe(job, now)) for job in live]
        summaries += [self._summary(job) for job in self._recorded.values()]
        if wanted is not None:
            summaries = [job for job in summaries if job.get("solutionVersionArn") == wanted]
        summaries.sort(key=_order, reverse=True)
        if after is not None:
            summaries = [job for job in summaries if _order(job) < after]
        page = summaries[:size]
        reply: dict[str, Any] = {"batchInferenceJobs": page}
        if len(summaries) > size:
            reply["nextToken"] = self._token(_order(page[-1]), wanted)
        return reply

    # -------------------------------------------------------------- helpers

    def _describe(self, job: _Job, now: float) -> dict[str, Any]:
        elapsed = now - job.created
        pending_until = job.created + self._duration * PENDING_SHARE
        if elapsed >= self._duration:
            status = "CREATE FAILED" if job.fails else "ACTIVE"
            updated = job.created + self._duration
        elif now >= pending_until:
            status, updated = "IN_PROGRESS", pending_until
        else:
            status, updated = "PENDING", job.created
        described: dict[str, Any] = {
            "jobName": job.wire["jobName"],
            "batchInferenceJobArn": job.arn,
        }
        described.update(job.wire)
        described["status"] = status
        described["creationDateTime"] = job.created
        described["lastUpdatedDateTime"] = round(updated, 3)
        if status == "CREATE FAILED":
            described["failureReason"] = (
                f"The emulator fails jobs whose name matches {self._fail_jobs!r}."
            )
        return described

    @staticmethod
    def _summary(job: Mapping[str, Any]) -> dict[str, Any]:
        return {name: job[name] for name in _SUMMARY_FIELDS if name in job}

    def _token(self, position: tuple[float, str], wanted: str | None) -> str:
        body = json.dumps(
            {"t": position[0], "a": position[1], "f": _fingerprint(wanted)},
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + body).decode("ascii")

    def _read_token(self, token: str, wanted: str | None) -> tuple[float, str]:
        refused = refusal("InvalidNextTokenException", "The next token is not valid.")
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (ValueError, binascii.Error):
            raise refused from None
        mac, body = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]):
            raise refused
        data = json.loads(body)
        if data["f"] != _fingerprint(wanted):
            raise refused
        return float(data["t"]), str(data["a"])


def _order(job: Mapping[str, Any]) -> tuple[float, str]:
    """Newest first, ties by ARN: a total order, so a page position is exact."""
    created = job.get("creationDateTime")
    return (
        float(created) if isinstance(created, int | float) else 0.0,
        str(job.get("batchInferenceJobArn", "")),
    )
