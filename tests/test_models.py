"""Tests for personalize_lite._models: frozen, slotted, keyword-only values and statuses.

The expected field names come from botocore's own ``personalize`` service model, so a
member AWS adds to ``BatchInferenceJob`` (or to a nested structure) makes these tests fail
until the model grows the field too.
"""

from __future__ import annotations

import re
import typing
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape, StructureShape

from personalize_lite._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobStatus,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)

MODELS: tuple[type[Any], ...] = (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)

#: The smallest valid value of every model (required members only).
MINIMAL: dict[type[Any], dict[str, Any]] = {
    BatchInferenceJob: {},
    BatchInferenceJobConfig: {},
    BatchInferenceJobInput: {"s3_data_source": S3DataConfig(path="s3://b/in")},
    BatchInferenceJobOutput: {"s3_data_destination": S3DataConfig(path="s3://b/out")},
    FieldsForThemeGeneration: {"item_name": "title"},
    S3DataConfig: {"path": "s3://b/k"},
    ThemeGenerationConfig: {
        "fields_for_theme_generation": FieldsForThemeGeneration(item_name="title")
    },
}


def snake(name: str) -> str:
    """botocore's camelCase member -> our field: ``s3DataSource`` -> ``s3_data_source``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _botocore_structure(name: str) -> StructureShape:
    model = ServiceModel(Loader().load_service_model("personalize", "service-2"))
    shape = model.shape_for(name)
    assert isinstance(shape, StructureShape)
    return shape


def _structures(shape: Shape) -> dict[str, StructureShape]:
    """Every structure reachable from ``shape``, by botocore shape name."""
    found: dict[str, StructureShape] = {}

    def walk(s: Shape) -> None:
        if isinstance(s, StructureShape) and s.name not in found:
            found[s.name] = s
            for member in s.members.values():
                walk(member)

    walk(shape)
    return found


BOTOCORE_STRUCTURES = _structures(_botocore_structure("BatchInferenceJob"))


def test_botocore_model_reaches_every_model_class() -> None:
    assert set(BOTOCORE_STRUCTURES) == {cls.__name__ for cls in MODELS}


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_fields_match_botocore_members(cls: type[Any]) -> None:
    shape = BOTOCORE_STRUCTURES[cls.__name__]
    expected = {snake(member) for member in shape.members}
    assert {f.name for f in attrs.fields(cls)} == expected


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_required_members_have_no_default_and_optional_ones_default_to_none(
    cls: type[Any],
) -> None:
    shape = BOTOCORE_STRUCTURES[cls.__name__]
    required = {snake(m) for m in shape.required_members}
    for field in attrs.fields(cls):
        if field.name in required:
            assert field.default is attrs.NOTHING, field.name
        else:
            assert field.default is None, field.name
    assert set(MINIMAL[cls]) == required


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_optional_fields_are_none_by_default(cls: type[Any]) -> None:
    value = cls(**MINIMAL[cls])
    optional = [f.name for f in attrs.fields(cls) if f.name not in MINIMAL[cls]]
    assert all(getattr(value, name) is None for name in optional)


def test_batch_inference_job_has_every_member_optional() -> None:
    job = BatchInferenceJob()
    assert attrs.asdict(job) == {f.name: None for f in attrs.fields(BatchInferenceJob)}


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_frozen(cls: type[Any]) -> None:
    value = cls(**MINIMAL[cls])
    name = attrs.fields(cls)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(value, name, None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(value, name)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_slotted(cls: type[Any]) -> None:
    value = cls(**MINIMAL[cls])
    assert attrs.has(cls)
    assert "__slots__" in cls.__dict__
    assert not hasattr(value, "__dict__")
    with pytest.raises((AttributeError, TypeError)):
        value.not_a_field = 1


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_keyword_only(cls: type[Any]) -> None:
    assert all(f.kw_only for f in attrs.fields(cls))
    positional = [MINIMAL[cls].get(f.name) for f in attrs.fields(cls)]
    with pytest.raises(TypeError):
        cls(*positional)


def test_required_member_missing_raises_type_error() -> None:
    with pytest.raises(TypeError, match="path"):
        S3DataConfig()  # type: ignore[call-arg]


def test_values_compare_and_hash_by_content() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    a = BatchInferenceJob(
        job_name="j",
        job_input=BatchInferenceJobInput(s3_data_source=S3DataConfig(path="s3://b/in")),
        creation_date_time=when,
    )
    b = BatchInferenceJob(
        job_name="j",
        job_input=BatchInferenceJobInput(s3_data_source=S3DataConfig(path="s3://b/in")),
        creation_date_time=when,
    )
    assert a == b
    assert hash(a) == hash(b)
    assert attrs.evolve(a, job_name="k") != a
    assert attrs.evolve(a, job_name="k").job_name == "k"


# ----------------------------------------------------------------------- statuses


def test_status_constants() -> None:
    s = BatchInferenceJobStatus
    assert s.PENDING == "PENDING"
    assert s.CREATE_PENDING == "CREATE PENDING"
    assert s.IN_PROGRESS == "IN_PROGRESS"
    assert s.IN_PROGRESS_SPACED == "IN PROGRESS"
    assert s.CREATE_IN_PROGRESS == "CREATE IN_PROGRESS"
    assert s.ACTIVE == "ACTIVE"
    assert s.CREATE_FAILED == "CREATE FAILED"
    assert s.CREATE_FAILED_UNDERSCORE == "CREATE_FAILED"
    assert {"ACTIVE", "CREATE FAILED", "CREATE_FAILED"} == s.TERMINAL
    assert {"CREATE FAILED", "CREATE_FAILED"} == s.FAILED
    assert s.FAILED < s.TERMINAL


@pytest.mark.parametrize(
    ("status", "terminal", "failed", "active"),
    [
        (BatchInferenceJobStatus.PENDING, False, False, False),
        (BatchInferenceJobStatus.CREATE_PENDING, False, False, False),
        (BatchInferenceJobStatus.IN_PROGRESS, False, False, False),
        (BatchInferenceJobStatus.IN_PROGRESS_SPACED, False, False, False),
        (BatchInferenceJobStatus.CREATE_IN_PROGRESS, False, False, False),
        (BatchInferenceJobStatus.ACTIVE, True, False, True),
        (BatchInferenceJobStatus.CREATE_FAILED, True, True, False),
        (BatchInferenceJobStatus.CREATE_FAILED_UNDERSCORE, True, True, False),
        # Unknown values the service might add, or odd spellings: never raise.
        ("DELETE PENDING", False, False, False),
        ("SOMETHING_NEW", False, False, False),
        ("active", False, False, False),
        ("", False, False, False),
        (None, False, False, False),
    ],
)
def test_status_predicates(status: str | None, terminal: bool, failed: bool, active: bool) -> None:
    job = BatchInferenceJob(status=status)
    assert job.is_terminal is terminal
    assert job.is_failed is failed
    assert job.is_active is active


# ------------------------------------------------------------------ wire types per member

#: What each botocore scalar type must be in our fields (the decoding rules rest on it).
_SCALARS: dict[str, type] = {"string": str, "integer": int, "timestamp": datetime}
_MAP_VALUES: dict[str, type] = {"string": str, "double": float}


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_enums_and_maps_are_open_types(cls: type[Any]) -> None:
    """An enum member is a plain string and a map a plain dict of the value's type, so an
    enum value AWS adds later (``batchInferenceJobMode``, ``status``, a ``rankingInfluence``
    key) comes through as its string; a map value is never ``None`` (null entries are
    dropped: the model's maps are dense)."""
    shape = BOTOCORE_STRUCTURES[cls.__name__]
    hints = typing.get_type_hints(cls)
    for member, member_shape in shape.members.items():
        hint = hints[snake(member)]
        optional = member not in shape.required_members
        if member_shape.type_name == "map":
            assert member_shape.key.type_name == "string", member
            value = _MAP_VALUES[member_shape.value.type_name]
            mapping, none = typing.get_args(hint)
            assert none is type(None), member
            assert typing.get_origin(mapping) is dict, member
            assert typing.get_args(mapping) == (str, value), member
        elif member_shape.type_name in _SCALARS:
            scalar = _SCALARS[member_shape.type_name]
            assert hint == (scalar | None if optional else scalar), member
            if member_shape.metadata.get("enum"):
                assert scalar is str, member
        else:
            assert member_shape.type_name == "structure", member


def test_the_model_has_the_enums_and_maps_the_decoding_rules_name() -> None:
    job = BOTOCORE_STRUCTURES["BatchInferenceJob"].members
    assert job["batchInferenceJobMode"].enum == ["BATCH_INFERENCE", "THEME_GENERATION"]
    config = BOTOCORE_STRUCTURES["BatchInferenceJobConfig"].members
    assert config["rankingInfluence"].key.enum == ["POPULARITY", "FRESHNESS"]
    assert config["itemExplorationConfig"].value.type_name == "string"
    assert config["rankingInfluence"].value.type_name == "double"
