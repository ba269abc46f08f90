"""The DescribeBatchInferenceJob result as frozen, keyword-only attrs values.

Field names are the snake_case forms of botocore's ``personalize/2018-05-22`` members;
the camelCase mapping lives in one place, :mod:`personalize_lite._converter`. Members the
model marks optional default to ``None``. ``status`` and ``batch_inference_job_mode``
stay plain strings: the service may add values, and an unknown one must never break a
caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

__all__ = [
    "BatchInferenceJob",
    "BatchInferenceJobConfig",
    "BatchInferenceJobInput",
    "BatchInferenceJobOutput",
    "BatchInferenceJobStatus",
    "BatchInferenceJobSummary",
    "FieldsForThemeGeneration",
    "S3DataConfig",
    "ThemeGenerationConfig",
]


class BatchInferenceJobStatus:
    """Status values the service is documented to send (it may send others).

    The service spells the in-progress and failed states with a space
    (``"IN PROGRESS"``, ``"CREATE FAILED"``); some responses use underscores.
    """

    PENDING: Final = "PENDING"
    CREATE_PENDING: Final = "CREATE PENDING"
    IN_PROGRESS: Final = "IN_PROGRESS"
    IN_PROGRESS_SPACED: Final = "IN PROGRESS"
    CREATE_IN_PROGRESS: Final = "CREATE IN_PROGRESS"
    ACTIVE: Final = "ACTIVE"
    CREATE_FAILED: Final = "CREATE FAILED"
    CREATE_FAILED_UNDERSCORE: Final = "CREATE_FAILED"

    #: Statuses after which the job never changes again.
    TERMINAL: Final = frozenset({ACTIVE, CREATE_FAILED, CREATE_FAILED_UNDERSCORE})
    #: Statuses that mean the job failed.
    FAILED: Final = frozenset({CREATE_FAILED, CREATE_FAILED_UNDERSCORE})


@attrs.frozen(kw_only=True, slots=True)
class S3DataConfig:
    path: str
    kms_key_arn: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class BatchInferenceJobInput:
    s3_data_source: S3DataConfig


@attrs.frozen(kw_only=True, slots=True)
class BatchInferenceJobOutput:
    s3_data_destination: S3DataConfig


@attrs.frozen(kw_only=True, slots=True)
class BatchInferenceJobConfig:
    """Both maps are dense (no ``@sparse``): a ``null`` value on the wire drops its key.
    ``ranking_influence`` keys are open: a type the service adds comes through as is."""

    item_exploration_config: dict[str, str] | None = None
    ranking_influence: dict[str, float] | None = None


@attrs.frozen(kw_only=True, slots=True)
class FieldsForThemeGeneration:
    item_name: str


@attrs.frozen(kw_only=True, slots=True)
class ThemeGenerationConfig:
    fields_for_theme_generation: FieldsForThemeGeneration


@attrs.frozen(kw_only=True, slots=True)
class BatchInferenceJob:
    """A batch inference job, as DescribeBatchInferenceJob returns it.

    Timestamps are aware UTC datetimes (botocore returns local time; we differ on
    purpose).
    """

    job_name: str | None = None
    batch_inference_job_arn: str | None = None
    filter_arn: str | None = None
    failure_reason: str | None = None
    solution_version_arn: str | None = None
    num_results: int | None = None
    job_input: BatchInferenceJobInput | None = None
    job_output: BatchInferenceJobOutput | None = None
    batch_inference_job_config: BatchInferenceJobConfig | None = None
    role_arn: str | None = None
    batch_inference_job_mode: str | None = None
    theme_generation_config: ThemeGenerationConfig | None = None
    status: str | None = None
    creation_date_time: datetime | None = None
    last_updated_date_time: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the job will not change again (``ACTIVE`` or ``CREATE FAILED``)."""
        return self.status in BatchInferenceJobStatus.TERMINAL

    @property
    def is_failed(self) -> bool:
        return self.status in BatchInferenceJobStatus.FAILED

    @property
    def is_active(self) -> bool:
        return self.status == BatchInferenceJobStatus.ACTIVE


@attrs.frozen(kw_only=True, slots=True)
class BatchInferenceJobSummary:
    """One job as ListBatchInferenceJobs returns it (a subset of
    :class:`BatchInferenceJob`). Timestamps are aware UTC datetimes."""

    batch_inference_job_arn: str | None = None
    job_name: str | None = None
    status: str | None = None
    creation_date_time: datetime | None = None
    last_updated_date_time: datetime | None = None
    failure_reason: str | None = None
    solution_version_arn: str | None = None
    batch_inference_job_mode: str | None = None
