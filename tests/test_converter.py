"""Tests for personalize_lite._converter: timestamps, renames, strictness, error paths.

Timestamps must come out as aware UTC datetimes whatever the local zone (botocore returns
``tzlocal()``; we differ on purpose), and every structuring failure must surface as a
:class:`ResponseParseError` whose ``path`` is the camelCase wire path.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import botocore.parsers
import cattrs
import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from hypothesis import given, settings
from hypothesis import strategies as st

from personalize_lite._converter import (
    _FAST_EPOCH_MAX,
    _optional_datetime,
    _optional_members_fn,
    _slot_setters,
    _structure_datetime,
    camel,
    default_converter,
    make_converter,
    parse_timestamp,
    structure_job,
)
from personalize_lite._errors import PersonalizeError, ResponseParseError
from personalize_lite._models import (
    BatchInferenceJob,
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobSummary,
    FieldsForThemeGeneration,
    S3DataConfig,
    ThemeGenerationConfig,
)

UTC = timezone.utc
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/my-job"

#: A reply with every member of the model set.
FULL_WIRE: dict[str, Any] = {
    "jobName": "my-job",
    "batchInferenceJobArn": ARN,
    "filterArn": "arn:aws:personalize:us-east-1:123456789012:filter/f",
    "failureReason": "none",
    "solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/s/1",
    "numResults": 25,
    "jobInput": {
        "s3DataSource": {
            "path": "s3://bucket/in.json",
            "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
        }
    },
    "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
    "batchInferenceJobConfig": {
        "itemExplorationConfig": {"explorationWeight": "0.3"},
        "rankingInfluence": {"POPULARITY": 0.5, "FRESHNESS": 1},
    },
    "roleArn": "arn:aws:iam::123456789012:role/PersonalizeRole",
    "batchInferenceJobMode": "THEME_GENERATION",
    "themeGenerationConfig": {"fieldsForThemeGeneration": {"itemName": "title"}},
    "status": "ACTIVE",
    "creationDateTime": 1700000000,
    "lastUpdatedDateTime": 1700000123.25,
}

FULL_JOB = BatchInferenceJob(
    job_name="my-job",
    batch_inference_job_arn=ARN,
    filter_arn="arn:aws:personalize:us-east-1:123456789012:filter/f",
    failure_reason="none",
    solution_version_arn="arn:aws:personalize:us-east-1:123456789012:solution/s/1",
    num_results=25,
    job_input=BatchInferenceJobInput(
        s3_data_source=S3DataConfig(
            path="s3://bucket/in.json", kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k"
        )
    ),
    job_output=BatchInferenceJobOutput(s3_data_destination=S3DataConfig(path="s3://bucket/out/")),
    batch_inference_job_config=BatchInferenceJobConfig(
        item_exploration_config={"explorationWeight": "0.3"},
        ranking_influence={"POPULARITY": 0.5, "FRESHNESS": 1.0},
    ),
    role_arn="arn:aws:iam::123456789012:role/PersonalizeRole",
    batch_inference_job_mode="THEME_GENERATION",
    theme_generation_config=ThemeGenerationConfig(
        fields_for_theme_generation=FieldsForThemeGeneration(item_name="title")
    ),
    status="ACTIVE",
    creation_date_time=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
    last_updated_date_time=datetime(2023, 11, 14, 22, 15, 23, 250000, tzinfo=UTC),
)


def reply(job: object) -> dict[str, Any]:
    return {"batchInferenceJob": job}


def _keys(path: str) -> list[str]:
    """``a.b['k']`` -> ``['a', 'b', 'k']``."""
    keys: list[str] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        keys.append(name)
        keys.extend(re.findall(r"'([^']*)'", "[" + rest) if rest else [])
    return keys


def with_value(path: str, value: object) -> dict[str, Any]:
    """A deep copy of FULL_WIRE with the member at ``path`` replaced."""
    wire = copy.deepcopy(FULL_WIRE)
    *parents, last = _keys(path)
    node: Any = wire
    for key in parents:
        node = node[key]
    node[last] = value
    return wire


@pytest.fixture
def los_angeles() -> Iterator[None]:
    """Run with a local zone far from UTC (and with DST), restoring the zone afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        try:
            assert time.timezone == 8 * 3600  # the zone really took effect
            yield
        finally:
            mp.undo()
            time.tzset()


# ------------------------------------------------------------------ camel / make_converter


@pytest.mark.parametrize(
    ("snake", "expected"),
    [
        ("job_name", "jobName"),
        ("batch_inference_job_arn", "batchInferenceJobArn"),
        ("s3_data_source", "s3DataSource"),
        ("kms_key_arn", "kmsKeyArn"),
        ("path", "path"),
    ],
)
def test_camel(snake: str, expected: str) -> None:
    assert camel(snake) == expected


def test_make_converter_builds_a_fresh_private_converter() -> None:
    a, b = make_converter(), make_converter()
    assert a is not b
    assert isinstance(a, cattrs.Converter)
    assert a is not cattrs.global_converter
    assert default_converter() is default_converter()
    assert default_converter() is not cattrs.global_converter


def test_structure_full_reply() -> None:
    assert structure_job(reply(FULL_WIRE)) == FULL_JOB


def test_structure_empty_job_gives_all_none() -> None:
    assert structure_job(reply({})) == BatchInferenceJob()


def test_null_members_become_none() -> None:
    # Smithy AwsJson11StructuresDontDeserializeNullValues: a null member is "absent".
    job = structure_job(reply({"jobName": None, "status": None, "creationDateTime": None}))
    assert job == BatchInferenceJob()


def test_structure_job_accepts_an_explicit_converter() -> None:
    conv = make_converter(strict=True)
    assert structure_job(reply(FULL_WIRE), converter=conv) == FULL_JOB


# ------------------------------------------------------------------ parse_timestamp

EPOCH_2000 = datetime(2000, 1, 2, 20, 34, 56, tzinfo=UTC)  # 946845296


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (946845296, EPOCH_2000),
        (946845296.0, EPOCH_2000),
        (946845296.123, EPOCH_2000.replace(microsecond=123000)),
        (946845296.5, EPOCH_2000.replace(microsecond=500000)),
        (-1, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("946845296", EPOCH_2000),
        ("946845296.25", EPOCH_2000.replace(microsecond=250000)),
        (" 946845296 ", EPOCH_2000),
        ("9.46845296e8", EPOCH_2000),
        ("-1", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2000-01-02T20:34:56Z", EPOCH_2000),
        ("2000-01-02T20:34:56z", EPOCH_2000),
        ("2000-01-02t20:34:56Z", EPOCH_2000),
        ("2000-01-02 20:34:56Z", EPOCH_2000),
        ("2000-01-02T20:34:56+00:00", EPOCH_2000),
        ("2000-01-02T20:34:56-00:00", EPOCH_2000),
        ("2000-01-02T21:34:56+01:00", EPOCH_2000),
        ("2000-01-02T19:34:56-01:00", EPOCH_2000),
        ("2000-01-03T02:04:56+05:30", EPOCH_2000),
        ("2000-01-03T02:04:56+0530", EPOCH_2000),
        ("2000-01-02T10:34:56-10:00", EPOCH_2000),
        # naive -> UTC (never local time)
        ("2000-01-02T20:34:56", EPOCH_2000),
        # fractional seconds, 1..9 digits; beyond microseconds is truncated (as dateutil)
        ("2000-01-02T20:34:56.1Z", EPOCH_2000.replace(microsecond=100000)),
        ("2000-01-02T20:34:56.12Z", EPOCH_2000.replace(microsecond=120000)),
        ("2000-01-02T20:34:56.123Z", EPOCH_2000.replace(microsecond=123000)),
        ("2000-01-02T20:34:56.1234Z", EPOCH_2000.replace(microsecond=123400)),
        ("2000-01-02T20:34:56.12345Z", EPOCH_2000.replace(microsecond=123450)),
        ("2000-01-02T20:34:56.123456Z", EPOCH_2000.replace(microsecond=123456)),
        ("2000-01-02T20:34:56.1234567Z", EPOCH_2000.replace(microsecond=123456)),
        ("2000-01-02T20:34:56.12345678Z", EPOCH_2000.replace(microsecond=123456)),
        ("2000-01-02T20:34:56.123456789Z", EPOCH_2000.replace(microsecond=123456)),
        ("2000-01-02T20:34:56.999999999Z", EPOCH_2000.replace(microsecond=999999)),
        ("2000-01-02T21:34:56.5+01:00", EPOCH_2000.replace(microsecond=500000)),
        ("2000-01-02T20:34:56.5", EPOCH_2000.replace(microsecond=500000)),
        # leap day, year boundaries crossing through the offset
        ("2024-02-29T23:30:00-01:00", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2000-01-01T00:30:00+01:00", datetime(1999, 12, 31, 23, 30, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(value: object, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("los_angeles")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (946845296, EPOCH_2000),
        (946845296.5, EPOCH_2000.replace(microsecond=500000)),
        ("946845296", EPOCH_2000),
        ("2000-01-02T20:34:56", EPOCH_2000),  # naive: UTC, not Los Angeles
        ("2000-01-02T20:34:56Z", EPOCH_2000),
        ("2000-01-02T12:34:56-08:00", EPOCH_2000),
        # inside US DST (PDT), where a tzlocal mix-up would be off by 7 hours
        ("2023-07-01T12:00:00", datetime(2023, 7, 1, 12, tzinfo=UTC)),
        (1688212800, datetime(2023, 7, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_ignores_the_local_zone(value: object, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    # The same wall-clock reading as in UTC, not shifted by the local offset.
    assert parsed.replace(tzinfo=None) == expected.replace(tzinfo=None)


@pytest.mark.usefixtures("los_angeles")
def test_structure_and_unstructure_ignore_the_local_zone() -> None:
    job = structure_job(
        reply({"creationDateTime": 0, "lastUpdatedDateTime": "1970-01-01T00:00:00"})
    )
    assert job.creation_date_time == datetime(1970, 1, 1, tzinfo=UTC)
    assert job.creation_date_time is not None
    assert job.creation_date_time.tzinfo is UTC
    assert job.last_updated_date_time == datetime(1970, 1, 1, tzinfo=UTC)
    assert make_converter().unstructure(job) == {"creationDateTime": 0, "lastUpdatedDateTime": 0}
    iso = make_converter(timestamps="iso8601").unstructure(job)
    assert iso["creationDateTime"] == "1970-01-01T00:00:00+00:00"


@pytest.mark.parametrize("value", [True, False, None, [], {}, b"946845296", object()])
def test_parse_timestamp_rejects_other_types_with_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="expected a timestamp"):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "yesterday",
        "nan",
        "inf",
        "-Infinity",
        "2000-01-02",
        "20:34:56",
        "2000-01-02T20:34Z",
        "2000-1-2T20:34:56Z",
        "2000-13-02T20:34:56Z",
        "2000-02-30T20:34:56Z",
        "2000-01-02T24:00:00Z",
        "2000-01-02T20:60:00Z",
        "2000-01-02T20:34:56.Z",
        "2000-01-02T20:34:56.1234567890Z",
        "2000-01-02T20:34:56+1",
        "2000-01-02T20:34:56+24:00",
        "2000-01-02T20:34:56+01:60",
        "2000-01-02T20:34:56Z trailing",
        # non-finite and out of range: ValueError, never OverflowError / OSError
        math.nan,
        math.inf,
        -math.inf,
        1e300,
        -1e300,
        1e20,
        10**30,
        10**400,
        -(10**400),
        "1e400",
        "-1e400",
        "1" * 400,
        253402300800,  # 10000-01-01T00:00:00Z
        -62135596801,  # 0000-12-31T23:59:59Z
        "9999-12-31T23:59:59-01:00",  # past datetime.max once in UTC
        "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
    ],
)
def test_parse_timestamp_rejects_unusable_values_with_value_error(value: object) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the contract is "ValueError"
        parse_timestamp(value)
    assert not isinstance(info.value, OverflowError | OSError)


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        1e300,
        10**400,
        "1e400",
        253402300800,
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "2000-02-30T00:00:00Z",
        "not a date",
        True,
        [],
    ],
)
@pytest.mark.parametrize("field", ["creationDateTime", "lastUpdatedDateTime"])
def test_bad_timestamps_become_response_parse_errors(field: str, value: object) -> None:
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply({field: value}), request_id="rid-1")
    assert info.value.path == f"batchInferenceJob.{field}"
    assert info.value.request_id == "rid-1"
    assert f"batchInferenceJob.{field}" in str(info.value)


def test_edges_of_the_datetime_range_parse() -> None:
    assert parse_timestamp("9999-12-31T23:59:59.999999Z") == datetime.max.replace(tzinfo=UTC)
    assert parse_timestamp("0001-01-01T00:00:00Z") == datetime.min.replace(tzinfo=UTC)
    assert parse_timestamp(253402300799) == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_timestamp(-62135596800) == datetime.min.replace(tzinfo=UTC)


def _outcome(parse: Any, value: object) -> object:
    """What ``parse(value)`` gives: the datetime (with its zone object), or the error's
    type and message."""
    try:
        parsed = parse(value)
    except (TypeError, ValueError) as exc:
        return (type(exc), str(exc))
    return (parsed, parsed.tzinfo if isinstance(parsed, datetime) else None)


#: The edges of the one-frame epoch path, and values on either side of them.
EPOCH_EDGES: list[object] = [
    0,
    0.0,
    -0.0,
    -1,
    -1e-7,
    5e-7,
    1764400000.123,
    1764400000,
    _FAST_EPOCH_MAX - 1,
    _FAST_EPOCH_MAX - 1e-6,
    float(_FAST_EPOCH_MAX),
    _FAST_EPOCH_MAX,
    253402300799,
    253402300800,
    10**30,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "1764400000.5",
    None,
]


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.sampled_from(EPOCH_EDGES),
        st.floats(),
        st.floats(min_value=0, max_value=_FAST_EPOCH_MAX),
        st.integers(),
        st.integers(0, _FAST_EPOCH_MAX),
    )
)
def test_the_fast_timestamp_hooks_give_what_parse_timestamp_gives(value: object) -> None:
    # The hooks' one-frame path for JSON numbers must not change a result or an error.
    expected = _outcome(parse_timestamp, value)
    assert _outcome(lambda v: _structure_datetime(v, datetime), value) == expected
    if value is None:
        assert _optional_datetime(None, datetime | None) is None
    else:
        assert _outcome(lambda v: _optional_datetime(v, datetime | None), value) == expected


def test_timestamp_members_use_the_one_frame_hook() -> None:
    # Every timestamp member is ``datetime | None``: the converter must hand it the
    # combined hook, not the generic optional wrapper around the datetime hook.
    for conv in (default_converter(), make_converter(strict=True)):
        assert conv.get_structure_hook(datetime | None) is _optional_datetime
        assert conv.get_structure_hook(datetime) is _structure_datetime


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(), st.integers(), st.integers(-(10**20), 10**20).map(str), st.text()))
def test_parse_timestamp_only_ever_raises_value_error(value: object) -> None:
    # Anything but ValueError (OverflowError, OSError, TypeError...) propagates and fails.
    outcome: datetime | ValueError
    try:
        outcome = parse_timestamp(value)
    except ValueError as exc:
        outcome = exc
    if isinstance(outcome, datetime):
        assert outcome.tzinfo is UTC
    else:
        assert not isinstance(outcome, OverflowError | OSError)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9000, 12, 30)),
    offset_minutes=st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    digits=st.integers(0, 9),
    extra=st.text("0123456789", min_size=3, max_size=3),
    sep=st.sampled_from(["T", "t", " "]),
    colon=st.booleans(),
)
def test_iso8601_with_any_offset_and_fraction(
    moment: datetime, offset_minutes: int, digits: int, extra: str, sep: str, colon: bool
) -> None:
    fraction = (f"{moment.microsecond:06d}" + extra)[:digits]
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    offset = f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"
    text = moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if len(str(moment.year)) < 4:  # strftime does not pad years < 1000 everywhere
        text = f"{moment.year:04d}" + text[text.index("-") :]
    text += ("." + fraction if digits else "") + offset
    expected_micro = int(fraction.ljust(6, "0")[:6]) if digits else 0
    zone = timezone(timedelta(minutes=offset_minutes))
    expected = moment.replace(microsecond=expected_micro, tzinfo=zone)
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


# ------------------------------------------------------------------ unstructure


def test_unstructure_to_epoch() -> None:
    wire = make_converter().unstructure(FULL_JOB)
    assert wire == FULL_WIRE | {
        "batchInferenceJobConfig": {
            "itemExplorationConfig": {"explorationWeight": "0.3"},
            "rankingInfluence": {"POPULARITY": 0.5, "FRESHNESS": 1.0},
        }
    }
    assert type(wire["creationDateTime"]) is int
    assert wire["creationDateTime"] == 1700000000
    assert wire["lastUpdatedDateTime"] == 1700000123.25


def test_unstructure_to_iso8601() -> None:
    wire = make_converter(timestamps="iso8601").unstructure(FULL_JOB)
    assert wire["creationDateTime"] == "2023-11-14T22:13:20+00:00"
    assert wire["lastUpdatedDateTime"] == "2023-11-14T22:15:23.250000+00:00"
    assert wire["jobInput"] == FULL_WIRE["jobInput"]


def test_unstructure_converts_other_zones_to_utc() -> None:
    plus_five = timezone(timedelta(hours=5))
    job = BatchInferenceJob(creation_date_time=datetime(2020, 1, 1, 5, tzinfo=plus_five))
    assert make_converter().unstructure(job) == {"creationDateTime": 1577836800}
    assert make_converter(timestamps="iso8601").unstructure(job) == {
        "creationDateTime": "2020-01-01T00:00:00+00:00"
    }


def test_unstructure_omits_none_members() -> None:
    job = BatchInferenceJob(
        job_name="j", job_input=BatchInferenceJobInput(s3_data_source=S3DataConfig(path="s3://b"))
    )
    assert make_converter().unstructure(job) == {
        "jobName": "j",
        "jobInput": {"s3DataSource": {"path": "s3://b"}},
    }
    assert make_converter().unstructure(BatchInferenceJob()) == {}


# ------------------------------------------------------------------ round trip (hypothesis)

_text = st.text(max_size=20)
_epoch = st.one_of(
    st.integers(-(2**31), 2**32 - 1),
    st.floats(-(2.0**31), 2.0**32 - 1, allow_nan=False, allow_infinity=False),
)
_s3 = st.fixed_dictionaries({"path": _text}, optional={"kmsKeyArn": _text})
WIRE_JOBS = st.fixed_dictionaries(
    {},
    optional={
        "jobName": _text,
        "batchInferenceJobArn": _text,
        "filterArn": _text,
        "failureReason": _text,
        "solutionVersionArn": _text,
        "numResults": st.integers(-(2**31), 2**31 - 1),
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
        "batchInferenceJobMode": st.sampled_from(["BATCH_INFERENCE", "THEME_GENERATION"]) | _text,
        "themeGenerationConfig": st.fixed_dictionaries(
            {"fieldsForThemeGeneration": st.fixed_dictionaries({"itemName": _text})}
        ),
        "status": st.sampled_from(["ACTIVE", "CREATE FAILED", "CREATE PENDING"]) | _text,
        "creationDateTime": _epoch,
        "lastUpdatedDateTime": _epoch,
    },
)
_TIMESTAMPS = {
    "creationDateTime": "creation_date_time",
    "lastUpdatedDateTime": "last_updated_date_time",
}


#: Converters are built once: building one generates code and costs milliseconds.
STRICT = {
    "epoch": make_converter(strict=True),
    "iso8601": make_converter(strict=True, timestamps="iso8601"),
}


@settings(max_examples=250, deadline=None)
@given(WIRE_JOBS, st.sampled_from(sorted(STRICT)))
def test_round_trip(wire: dict[str, Any], timestamps: str) -> None:
    conv = STRICT[timestamps]
    job = structure_job(reply(wire), converter=conv)
    again = conv.unstructure(job)
    assert structure_job(reply(again), converter=conv) == job
    # Same members back; everything but timestamps byte for byte (ints stay ints).
    assert set(again) == set(wire)
    assert {k: v for k, v in again.items() if k not in _TIMESTAMPS} == {
        k: v for k, v in wire.items() if k not in _TIMESTAMPS
    }
    for key, name in _TIMESTAMPS.items():
        if key in wire:
            moment = getattr(job, name)
            assert isinstance(moment, datetime)
            assert moment.tzinfo is UTC
            # the same instant, to the microsecond
            assert math.isclose(moment.timestamp(), wire[key], abs_tol=5e-7)
            if timestamps == "epoch" and isinstance(wire[key], int):
                assert again[key] == wire[key]
                assert type(again[key]) is int


@settings(max_examples=200, deadline=None)
@given(WIRE_JOBS)
def test_structure_is_field_for_field(wire: dict[str, Any]) -> None:
    job = structure_job(reply(wire))
    for field in attrs.fields(BatchInferenceJob):
        value = getattr(job, field.name)
        if camel(field.name) not in wire:
            assert value is None
        elif field.name in {"creation_date_time", "last_updated_date_time"}:
            assert isinstance(value, datetime)
        elif attrs.has(type(value)):
            assert STRICT["epoch"].unstructure(value) == wire[camel(field.name)]
        else:
            assert value == wire[camel(field.name)]


# ------------------------------------------------------------------ unknown keys

UNKNOWN_KEY_SITES = [
    ("", "batchInferenceJob"),
    ("jobInput", "batchInferenceJob.jobInput"),
    ("jobInput.s3DataSource", "batchInferenceJob.jobInput.s3DataSource"),
    ("jobOutput", "batchInferenceJob.jobOutput"),
    ("jobOutput.s3DataDestination", "batchInferenceJob.jobOutput.s3DataDestination"),
    ("batchInferenceJobConfig", "batchInferenceJob.batchInferenceJobConfig"),
    ("themeGenerationConfig", "batchInferenceJob.themeGenerationConfig"),
    (
        "themeGenerationConfig.fieldsForThemeGeneration",
        "batchInferenceJob.themeGenerationConfig.fieldsForThemeGeneration",
    ),
]


def _with_unknown(site: str) -> dict[str, Any]:
    wire = copy.deepcopy(FULL_WIRE)
    node: Any = wire
    for key in _keys(site) if site else []:
        node = node[key]
    node["brandNewMember"] = {"added": "by AWS"}
    return wire


@pytest.mark.parametrize(("site", "path"), UNKNOWN_KEY_SITES)
def test_unknown_keys_are_tolerated_by_default(site: str, path: str) -> None:
    wire = _with_unknown(site)
    assert structure_job(reply(wire)) == FULL_JOB
    assert structure_job(reply(wire), converter=make_converter()) == FULL_JOB


@pytest.mark.parametrize(("site", "path"), UNKNOWN_KEY_SITES)
def test_unknown_keys_are_rejected_by_the_strict_converter(site: str, path: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply(_with_unknown(site)), converter=make_converter(strict=True))
    assert info.value.path == path
    assert "brandNewMember" in str(info.value)


def test_unknown_top_level_reply_keys_are_tolerated_even_when_strict() -> None:
    # Only the job object is structured; siblings of batchInferenceJob are not members.
    payload = reply(FULL_WIRE) | {"ResponseMetadata": {}}
    assert structure_job(payload, converter=make_converter(strict=True)) == FULL_JOB


# ------------------------------------------------------------------ wrong types

WRONG_TYPES: list[tuple[str, object]] = [
    ("jobName", 5),
    ("jobName", ["my-job"]),
    ("batchInferenceJobArn", 5),
    ("batchInferenceJobArn", {"arn": ARN}),
    ("filterArn", True),
    ("failureReason", 1.5),
    ("solutionVersionArn", []),
    ("numResults", "25"),
    ("numResults", 25.5),
    ("numResults", 1e400),  # inf: json.loads reads 1e400 so
    ("numResults", "NaN"),
    ("numResults", True),
    ("numResults", []),
    ("jobInput", "s3://bucket/in.json"),
    ("jobInput", []),
    ("jobInput.s3DataSource", "s3://bucket/in.json"),
    ("jobInput.s3DataSource", 5),
    ("jobInput.s3DataSource", None),
    ("jobInput.s3DataSource.path", 5),
    ("jobInput.s3DataSource.path", None),
    ("jobInput.s3DataSource.path", b"s3://bucket"),
    ("jobInput.s3DataSource.kmsKeyArn", 5),
    ("jobOutput", 5),
    ("jobOutput.s3DataDestination", ["s3://bucket/out/"]),
    ("jobOutput.s3DataDestination.path", {}),
    ("jobOutput.s3DataDestination.kmsKeyArn", False),
    # Regression: a string where an all-optional structure belongs used to become an
    # all-None object ("itemExplorationConfig" in "config" is a substring test).
    ("batchInferenceJobConfig", "config"),
    ("batchInferenceJobConfig", "rankingInfluence"),
    ("batchInferenceJobConfig.itemExplorationConfig", ["explorationWeight"]),
    ("batchInferenceJobConfig.itemExplorationConfig", "explorationWeight=0.3"),
    ("batchInferenceJobConfig.itemExplorationConfig['explorationWeight']", 0.3),
    ("batchInferenceJobConfig.rankingInfluence", [0.5]),
    ("batchInferenceJobConfig.rankingInfluence['POPULARITY']", "0.5"),
    ("batchInferenceJobConfig.rankingInfluence['POPULARITY']", True),
    ("batchInferenceJobConfig.rankingInfluence['FRESHNESS']", "nan"),  # only Smithy's spelling
    ("batchInferenceJobConfig.rankingInfluence['FRESHNESS']", "1.0"),
    ("roleArn", 123456789012),
    ("batchInferenceJobMode", 1),
    ("themeGenerationConfig", "title"),
    ("themeGenerationConfig.fieldsForThemeGeneration", "title"),
    ("themeGenerationConfig.fieldsForThemeGeneration.itemName", 5),
    ("status", 1),
    ("status", {"value": "ACTIVE"}),
    ("creationDateTime", True),
    ("creationDateTime", []),
    ("creationDateTime", "last tuesday"),
    ("lastUpdatedDateTime", {}),
    ("lastUpdatedDateTime", "2023-11-14"),
]


@pytest.mark.parametrize(("path", "value"), WRONG_TYPES)
def test_wrong_type_names_the_wire_path(path: str, value: object) -> None:
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply(with_value(path, value)), request_id="rid-2")
    err = info.value
    assert err.path == f"batchInferenceJob.{path}"
    assert err.request_id == "rid-2"
    assert str(err).startswith(f"cannot parse batchInferenceJob.{path}: ")
    assert isinstance(err, PersonalizeError)
    assert err.__cause__ is not None


def test_every_member_has_a_wrong_type_case() -> None:
    top = {path.split(".")[0].split("[")[0] for path, _ in WRONG_TYPES}
    assert top == set(FULL_WIRE)


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("jobInput", "s3DataSource"),
        ("jobInput.s3DataSource", "path"),
        ("jobOutput", "s3DataDestination"),
        ("jobOutput.s3DataDestination", "path"),
        ("themeGenerationConfig", "fieldsForThemeGeneration"),
        ("themeGenerationConfig.fieldsForThemeGeneration", "itemName"),
    ],
)
def test_missing_required_member_names_the_wire_path(path: str, missing: str) -> None:
    wire = copy.deepcopy(FULL_WIRE)
    node: Any = wire
    for key in _keys(path):
        node = node[key]
    del node[missing]
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply(wire))
    assert info.value.path == f"batchInferenceJob.{path}.{missing}"


def test_several_errors_report_one_path() -> None:
    wire = FULL_WIRE | {"jobName": 1, "numResults": "x"}
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply(wire))
    assert info.value.path in {"batchInferenceJob.jobName", "batchInferenceJob.numResults"}


# ------------------------------------------------------------------ reply envelope


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"BatchInferenceJob": FULL_WIRE},  # wrong case: not our member
        {"batchInferenceJob": None},
        {"batchInferenceJob": []},
        {"batchInferenceJob": [FULL_WIRE]},
        {"batchInferenceJob": "job"},
        {"batchInferenceJob": 5},
        {"batchInferenceJob": True},
    ],
)
def test_reply_without_a_job_object(payload: dict[str, Any]) -> None:
    with pytest.raises(ResponseParseError) as info:
        structure_job(payload, request_id="rid-3")
    assert info.value.path == "batchInferenceJob"
    assert info.value.request_id == "rid-3"
    assert "batchInferenceJob" in str(info.value)


@pytest.mark.parametrize("payload", [None, [], [reply(FULL_WIRE)], "x", 5, 1.5, True])
def test_reply_that_is_not_an_object(payload: object) -> None:
    with pytest.raises(ResponseParseError, match="expected a JSON object") as info:
        structure_job(payload, request_id="rid-4")
    assert info.value.request_id == "rid-4"


# ------------------------------------------------------------------ Smithy tolerance rules
# Each rule is compared with botocore's own parser (run on the same members) where the two
# differ; tests/vectors and tests/test_json_protocol.py run the Smithy protocol cases.


def _botocore_job(job: dict[str, Any]) -> dict[str, Any]:
    """What botocore's JSON parser makes of ``{"batchInferenceJob": job}``."""
    model = ServiceModel(Loader().load_service_model("personalize", "service-2"))
    shape = model.operation_model("DescribeBatchInferenceJob").output_shape
    parsed = botocore.parsers.create_parser("json").parse(
        {"body": json.dumps(reply(job)).encode(), "headers": {}, "status_code": 200}, shape
    )
    result: dict[str, Any] = parsed["batchInferenceJob"]
    return result


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"itemExplorationConfig": {"explorationWeight": None, "cutoff": "0.5"}},
            BatchInferenceJobConfig(item_exploration_config={"cutoff": "0.5"}),
        ),
        (
            {"rankingInfluence": {"POPULARITY": None, "FRESHNESS": 0.25}},
            BatchInferenceJobConfig(ranking_influence={"FRESHNESS": 0.25}),
        ),
        (
            {"itemExplorationConfig": {"a": None}, "rankingInfluence": {"POPULARITY": None}},
            BatchInferenceJobConfig(item_exploration_config={}, ranking_influence={}),
        ),
    ],
)
def test_null_in_a_dense_map_drops_that_key(
    config: dict[str, Any], expected: BatchInferenceJobConfig
) -> None:
    # Issue 11 section 4: this used to fail the whole describe with ResponseParseError.
    wire = {"jobName": "j", "batchInferenceJobConfig": config}
    for conv in (default_converter(), make_converter(strict=True), make_converter()):
        job = structure_job(reply(wire), converter=conv)
        assert job.batch_inference_job_config == expected
        assert job.job_name == "j"
    # botocore keeps the key with None, which dict[str, float] cannot hold.
    parsed = _botocore_job(wire)["batchInferenceJobConfig"]
    assert None in [v for m in parsed.values() for v in m.values()]


def test_dropping_nulls_leaves_the_callers_dict_alone() -> None:
    config = {"rankingInfluence": {"POPULARITY": None, "FRESHNESS": 0.25}}
    structure_job(reply({"batchInferenceJobConfig": config}))
    assert config == {"rankingInfluence": {"POPULARITY": None, "FRESHNESS": 0.25}}


def test_a_bad_value_beside_a_null_still_names_its_key() -> None:
    wire = {"batchInferenceJobConfig": {"itemExplorationConfig": {"a": None, "b": 5}}}
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply(wire))
    assert info.value.path == "batchInferenceJob.batchInferenceJobConfig.itemExplorationConfig['b']"


def test_a_null_map_is_an_absent_map() -> None:
    wire = {"batchInferenceJobConfig": {"itemExplorationConfig": None, "rankingInfluence": None}}
    assert structure_job(reply(wire)).batch_inference_job_config == BatchInferenceJobConfig()


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("NaN", math.isnan),
        ("Infinity", lambda v: v == math.inf),
        ("-Infinity", lambda v: v == -math.inf),
    ],
)
def test_doubles_take_smithys_non_finite_strings(text: str, check: Any) -> None:
    wire = {"batchInferenceJobConfig": {"rankingInfluence": {"POPULARITY": text}}}
    job = structure_job(reply(wire))
    assert job.batch_inference_job_config is not None
    value = (job.batch_inference_job_config.ranking_influence or {})["POPULARITY"]
    assert type(value) is float
    assert check(value)
    # botocore hands the string through untouched.
    assert _botocore_job(wire)["batchInferenceJobConfig"]["rankingInfluence"] == {
        "POPULARITY": text
    }
    # ...and we write it back the same way, so the wire form stays valid JSON.
    for conv in (make_converter(), make_converter(timestamps="iso8601")):
        out = conv.unstructure(job)
        assert out["batchInferenceJobConfig"]["rankingInfluence"] == {"POPULARITY": text}
        json.dumps(out, allow_nan=False)


@pytest.mark.parametrize("text", ["25", "25.0", "2.5e1", "250E-1"])
def test_integral_json_numbers_are_integers(text: str) -> None:
    # JSON has one number type; json.loads makes floats of all but the first.
    value = json.loads(text)
    job = structure_job(reply({"numResults": value}))
    assert job.num_results == 25
    assert type(job.num_results) is int
    assert _botocore_job({"numResults": value})["numResults"] == value  # passed through


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("batchInferenceJobMode", "SOME_FUTURE_MODE"),
        ("status", "CREATE STOPPING"),
        ("batchInferenceJobConfig.rankingInfluence['NOVELTY']", 0.5),
    ],
)
def test_unknown_enum_values_are_kept(path: str, value: object) -> None:
    # Smithy enums are open: a value added to the service after this client was built
    # must come through as its string, never fail the call (botocore does the same).
    job = STRICT["epoch"].unstructure(structure_job(reply(with_value(path, value))))
    node: Any = job
    for key in _keys(path):
        node = node[key]
    assert node == value
    wire_node: Any = _botocore_job(with_value(path, value))
    for key in _keys(path):
        wire_node = wire_node[key]
    assert wire_node == value


@pytest.mark.parametrize(
    "value",
    [
        1576540098,  # epoch seconds, the awsJson1_1 default
        946845296.123,  # fractional epoch seconds
        "946845296",  # epoch seconds as a string
        "946845296.5",
        "2019-12-16T22:48:18-01:00",  # Smithy AwsJson11DateTimeWithNegativeOffset
        "2019-12-17T00:48:18+01:00",  # ...WithPositiveOffset
        "2000-01-02T20:34:56.123Z",  # ...WithFractionalSeconds
        "2000-01-02T20:34:56.123456789Z",  # beyond microseconds: truncated, as botocore
        "Sun, 02 Jan 2000 20:34:56 GMT",  # http-date
    ],
)
def test_timestamps_are_the_instant_botocore_reads(value: object, los_angeles: None) -> None:
    ours = structure_job(reply({"creationDateTime": value})).creation_date_time
    theirs = _botocore_job({"creationDateTime": value})["creationDateTime"]
    assert ours is not None
    assert ours.tzinfo is UTC
    assert theirs.tzinfo is not None  # aware, in tzlocal() or the reply's offset
    assert ours == theirs


@pytest.mark.parametrize(
    "value", ["2023-11-14", "Nov 14 2023", "14/11/2023 10:00", True, "NaN", 1e20]
)
def test_timestamps_botocore_guesses_at_are_errors(value: object) -> None:
    # botocore hands other strings to dateutil (a date alone becomes local midnight, a
    # boolean becomes 1970-01-01T00:00:01) or raises a bare ValueError/RuntimeError; none
    # is a Smithy timestamp format, so we raise ResponseParseError naming the member.
    with pytest.raises(ResponseParseError) as info:
        structure_job(reply({"creationDateTime": value}))
    assert info.value.path == "batchInferenceJob.creationDateTime"


_MAYBE_NULL_MAPS = st.fixed_dictionaries(
    {},
    optional={
        "itemExplorationConfig": st.dictionaries(_text, st.none() | _text, max_size=4),
        "rankingInfluence": st.dictionaries(
            _text, st.none() | st.floats(allow_nan=False) | st.sampled_from(["NaN"]), max_size=4
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(_MAYBE_NULL_MAPS)
def test_fast_hooks_and_their_detailed_twin_agree_on_maps(config: dict[str, Any]) -> None:
    conv = make_converter()
    fast = conv.structure(config, BatchInferenceJobConfig)
    slow = conv.explainer().structure(config, BatchInferenceJobConfig)
    assert STRICT["epoch"].unstructure(fast) == STRICT["epoch"].unstructure(slow)
    for wire, got in (
        (config.get("itemExplorationConfig"), fast.item_exploration_config),
        (config.get("rankingInfluence"), fast.ranking_influence),
    ):
        if wire is None:
            assert got is None
        else:
            assert got is not None
            assert list(got) == [key for key, value in wire.items() if value is not None]


# ------------------------------------------------------------------ the one-frame structure


def _wrong_or_right(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A member's value: a valid one, null, or one of the wrong shape."""
    return st.one_of(
        right,
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )


_SUMMARY_MEMBERS = {
    "batchInferenceJobArn": _text,
    "jobName": _text,
    "status": _text,
    "creationDateTime": _epoch,
    "lastUpdatedDateTime": _epoch | st.sampled_from(["2024-02-29T23:30:00Z", "1.5e9"]),
    "failureReason": _text,
    "solutionVersionArn": _text,
    "batchInferenceJobMode": _text,
    "brandNewMember": st.integers(),
}
WIRE_SUMMARIES = st.fixed_dictionaries(
    {}, optional={key: _wrong_or_right(value) for key, value in _SUMMARY_MEMBERS.items()}
)
WIRE_JOBS_OR_WRONG = WIRE_JOBS.flatmap(
    lambda wire: st.fixed_dictionaries(
        {key: _wrong_or_right(st.just(value)) for key, value in wire.items()}
    )
)


def _structured(conv: cattrs.Converter, data: object, cls: type) -> object:
    try:
        return conv.structure(data, cls)
    except Exception:  # only whether it failed is compared
        return "failed"


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.tuples(st.just(BatchInferenceJobSummary), WIRE_SUMMARIES),
        st.tuples(st.just(BatchInferenceJob), WIRE_JOBS_OR_WRONG),
        st.tuples(
            st.sampled_from([BatchInferenceJobSummary, BatchInferenceJob]),
            _wrong_or_right(st.none()),
        ),
    )
)
def test_the_one_frame_structure_agrees_with_cattrs(case: tuple[type, object]) -> None:
    # The tolerant converter's own function for all-optional classes must give what the
    # cattrs-generated detailed twin gives: the same value, or a failure (whose message
    # the twin then writes).
    cls, data = case
    conv = default_converter()
    assert conv.get_structure_hook(cls).__code__.co_filename.startswith("<personalize_lite ")
    assert _structured(conv, data, cls) == _structured(conv.explainer(), data, cls)


def test_the_one_frame_structure_is_only_for_all_optional_classes() -> None:
    conv = default_converter()
    for cls in (S3DataConfig, BatchInferenceJobInput, ThemeGenerationConfig):
        # a required member: cattrs' own function, behind the object check
        assert not conv.get_structure_hook(cls).__code__.co_filename.startswith("<personalize_lite")
    strict = make_converter(strict=True)
    assert not strict.get_structure_hook(BatchInferenceJob).__code__.co_filename.startswith(
        "<personalize_lite"
    )


SUMMARY_WIRE: dict[str, Any] = {
    "batchInferenceJobArn": ARN,
    "jobName": "my-job",
    "status": "ACTIVE",
    "creationDateTime": 1700000000.25,
    "lastUpdatedDateTime": "2023-11-14T22:13:20Z",
    "failureReason": "none",
    "solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/s/1",
    "batchInferenceJobMode": "BATCH_INFERENCE",
}


@pytest.mark.parametrize(
    ("cls", "wire"),
    [(BatchInferenceJobSummary, SUMMARY_WIRE), (BatchInferenceJob, FULL_WIRE)],
)
def test_objects_built_by_filling_slots_are_the_objects_init_builds(
    cls: Any, wire: dict[str, Any]
) -> None:
    # The one-frame function fills the slots instead of calling __init__ (for the
    # summary, the job and its all-optional parts): the same value in every way an
    # application can look at it.
    assert _slot_setters(cls) is not None
    conv = default_converter()
    fast: Any = conv.structure(wire, cls)
    slow: Any = conv.explainer().structure(wire, cls)
    assert type(fast) is cls
    assert fast == slow
    if cls is BatchInferenceJobSummary:
        assert hash(fast) == hash(slow)
    else:  # the job holds dicts (its config's maps): unhashable either way
        with pytest.raises(TypeError, match="unhashable"):
            hash(fast)
    assert repr(fast) == repr(slow)
    assert attrs.asdict(fast) == attrs.asdict(slow)
    assert attrs.evolve(fast) == fast
    assert copy.deepcopy(fast) == fast
    first = attrs.fields(cls)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(fast, first, None)
    assert all(hasattr(fast, field.name) for field in attrs.fields(cls))


@attrs.frozen(kw_only=True, slots=True)
class _Checked:
    name: str | None = attrs.field(default=None, validator=attrs.validators.max_len(3))


@attrs.frozen(kw_only=True, slots=True)
class _PostInit:
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        raise RuntimeError("post-init ran")


@attrs.frozen(kw_only=True, slots=False)
class _WithDict:
    name: str | None = None


@attrs.frozen(kw_only=True, slots=True, cache_hash=True)
class _CachedHash:
    name: str | None = None


@attrs.frozen(kw_only=True, slots=True, init=False)
class _OwnInit:
    name: str | None = None

    def __init__(self, *, name: str | None = None) -> None:
        self.__attrs_init__(name=name.upper() if name else name)


@attrs.frozen(kw_only=True, slots=True)
class _OwnNew:
    name: str | None = None

    def __new__(cls, *_args: Any, **_kwargs: Any) -> _OwnNew:
        raise RuntimeError("own __new__ ran")


@pytest.mark.parametrize("cls", [_Checked, _PostInit, _WithDict, _CachedHash, _OwnInit, _OwnNew])
def test_a_class_whose_init_does_more_is_built_by_its_init(cls: type) -> None:
    # A validator, a post-init hook, a __dict__, a cached-hash slot, a hand-written
    # __init__ or __new__: the generated function calls the class.
    attrs.resolve_types(cls)
    assert _slot_setters(cls) is None
    structure = _optional_members_fn(cls, default_converter())
    if cls is _Checked:
        with pytest.raises(ValueError, match="Length of 'name'"):
            structure({"name": "long"}, cls)
    elif cls is _PostInit:
        with pytest.raises(RuntimeError, match="post-init ran"):
            structure({"name": "x"}, cls)
    elif cls is _OwnNew:
        with pytest.raises(RuntimeError, match="own __new__ ran"):
            structure({"name": "x"}, cls)
    elif cls is _OwnInit:
        assert structure({"name": "x"}, cls) == _OwnInit(name="X")
    elif cls is _CachedHash:
        built = structure({"name": "x"}, cls)
        assert hash(built) == hash(_CachedHash(name="x"))
    else:
        assert structure({"name": "x"}, cls) == _WithDict(name="x")
