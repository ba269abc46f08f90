"""The operation descriptions (``_operations.py``): input validation against the service
model's constraints, and request bodies byte-identical to botocore's JSON serializer.

botocore is used here only as the reference (its serializer, its service model, its
parameter validator); the package never imports it outside ``_sigv4``.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from botocore import loaders
from botocore.model import ServiceModel
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalize_lite import (
    BatchInferenceJobConfig,
    BatchInferenceJobInput,
    BatchInferenceJobOutput,
    BatchInferenceJobSummary,
    FieldsForThemeGeneration,
    InvalidNextTokenException,
    ParamValidationError,
    PersonalizeServiceError,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResponseParseError,
    S3DataConfig,
    ThemeGenerationConfig,
    TooManyTagsException,
)
from personalize_lite._converter import default_converter, structure_model
from personalize_lite._json_protocol import decode_error
from personalize_lite._operations import (
    CREATE_BATCH_INFERENCE_JOB,
    DESCRIBE_BATCH_INFERENCE_JOB,
    LIST_BATCH_INFERENCE_JOBS,
    _tag_text_ok,
    decode_create,
    decode_list,
    job_arn_for,
)
from personalize_lite._steps import HttpResponse

SERVICE = ServiceModel(loaders.Loader().load_service_model("personalize", "service-2"))
SERIALIZER = create_serializer("json")
VALIDATOR = ParamValidator()
CONVERTER = default_converter()

SV = "arn:aws:personalize:us-east-1:123456789012:solution/shoes/abc123"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatch"
FILTER = "arn:aws:personalize:us-east-1:123456789012:filter/no-sandals"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def botocore_body(operation: str, params: dict[str, Any]) -> bytes:
    model = SERVICE.operation_model(operation)
    report = VALIDATOR.validate(params, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    request = SERIALIZER.serialize_to_request(params, model)
    assert request["headers"]["X-Amz-Target"] == f"AmazonPersonalize.{operation}"
    body = request["body"]
    assert isinstance(body, bytes)
    return body


def base_create(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "job_name": "nightly-1",
        "solution_version_arn": SV,
        "role_arn": ROLE,
        "job_input": "s3://bucket/in/users.json",
        "job_output": "s3://bucket/out/",
    }
    params.update(overrides)
    return params


# --------------------------------------------------------------------------- descriptions


def test_each_operation_names_its_target_errors_and_whether_resending_is_safe() -> None:
    for op in (DESCRIBE_BATCH_INFERENCE_JOB, CREATE_BATCH_INFERENCE_JOB, LIST_BATCH_INFERENCE_JOBS):
        model = SERVICE.operation_model(op.name)
        assert op.target == f"{SERVICE.metadata['targetPrefix']}.{model.name}"
        assert sorted(cls.__name__ for cls in op.errors) == sorted(
            shape.name for shape in model.error_shapes
        )
    assert DESCRIBE_BATCH_INFERENCE_JOB.idempotent
    assert LIST_BATCH_INFERENCE_JOBS.idempotent
    assert not CREATE_BATCH_INFERENCE_JOB.idempotent


@pytest.mark.parametrize(
    "cls",
    [
        ResourceAlreadyExistsException,
        ResourceInUseException,
        InvalidNextTokenException,
        TooManyTagsException,
    ],
)
def test_new_modelled_errors_decode_to_their_classes(cls: type[PersonalizeServiceError]) -> None:
    body = json.dumps({"__type": f"com.amazonaws.personalize#{cls.__name__}", "message": "m"})
    error = decode_error(HttpResponse(status_code=400, headers={}, body=body.encode()))
    assert type(error) is cls
    assert isinstance(error, PersonalizeServiceError)
    assert error.code == cls.__name__
    assert not error.retryable


# --------------------------------------------------------------------------- serialization


def test_create_with_every_parameter_matches_botocore() -> None:
    params = base_create(
        filter_arn=FILTER,
        num_results=25,
        job_input=BatchInferenceJobInput(
            s3_data_source=S3DataConfig(path="s3://bucket/in.json", kms_key_arn=KMS)
        ),
        job_output=BatchInferenceJobOutput(
            s3_data_destination=S3DataConfig(path="s3://bucket/out/", kms_key_arn=KMS)
        ),
        batch_inference_job_config=BatchInferenceJobConfig(
            item_exploration_config={"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
            ranking_influence={"POPULARITY": 0.25, "FRESHNESS": 1},
        ),
        batch_inference_job_mode="THEME_GENERATION",
        theme_generation_config=ThemeGenerationConfig(
            fields_for_theme_generation=FieldsForThemeGeneration(item_name="TITLE")
        ),
        tags={"team": "recs", "Kostenstelle": "Zürich 42", "環境": "本番"},
    )
    theirs = botocore_body(
        "CreateBatchInferenceJob",
        {
            "jobName": "nightly-1",
            "solutionVersionArn": SV,
            "filterArn": FILTER,
            "numResults": 25,
            "jobInput": {"s3DataSource": {"path": "s3://bucket/in.json", "kmsKeyArn": KMS}},
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/", "kmsKeyArn": KMS}},
            "roleArn": ROLE,
            "batchInferenceJobConfig": {
                "itemExplorationConfig": {
                    "explorationWeight": "0.3",
                    "explorationItemAgeCutOff": "30",
                },
                "rankingInfluence": {"POPULARITY": 0.25, "FRESHNESS": 1},
            },
            "tags": [
                {"tagKey": "team", "tagValue": "recs"},
                {"tagKey": "Kostenstelle", "tagValue": "Zürich 42"},
                {"tagKey": "環境", "tagValue": "本番"},
            ],
            "batchInferenceJobMode": "THEME_GENERATION",
            "themeGenerationConfig": {"fieldsForThemeGeneration": {"itemName": "TITLE"}},
        },
    )
    assert CREATE_BATCH_INFERENCE_JOB.encode(params) == theirs
    assert b"\\u74b0\\u5883" in theirs  # non-ASCII is escaped, as json.dumps does by default


def test_the_string_form_of_input_and_output_is_a_path_without_a_key() -> None:
    ours = CREATE_BATCH_INFERENCE_JOB.encode(base_create())
    assert json.loads(ours)["jobInput"] == {"s3DataSource": {"path": "s3://bucket/in/users.json"}}
    assert json.loads(ours)["jobOutput"] == {"s3DataDestination": {"path": "s3://bucket/out/"}}


_NAME = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}", fullmatch=True)
_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=30)
_ARN = st.builds(
    lambda partition, region, account, kind, name: (
        f"arn:{partition}:personalize:{region}:{account}:{kind}/{name}"
    ),
    st.sampled_from(["aws", "aws-cn", "aws-us-gov"]),
    st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1", ""]),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
    st.sampled_from(["solution/s/v1", "filter", "solution"]),
    _SEGMENT,
)
_PATH = st.builds(
    lambda scheme, rest: f"{scheme}://{rest}",
    st.sampled_from(["s3", "https", "http"]),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
        min_size=1,
        max_size=200,
    ).filter(lambda s: "\n" not in s),
)
_TAG_TEXT = st.characters(categories=("L", "N", "Z"), include_characters="_.:/=+-@")
_TAGS = st.dictionaries(
    st.text(alphabet=_TAG_TEXT, min_size=1, max_size=128),
    st.text(alphabet=_TAG_TEXT, max_size=256),
    max_size=12,
)
_S3_CONFIG = st.builds(
    lambda path, kms: S3DataConfig(path=path, kms_key_arn=kms),
    _PATH,
    st.one_of(st.none(), st.just(KMS)),
)
_CONFIG = st.builds(
    lambda exploration, influence: BatchInferenceJobConfig(
        item_exploration_config=exploration, ranking_influence=influence
    ),
    st.one_of(
        st.none(),
        st.dictionaries(st.text(max_size=40), st.text(max_size=60), max_size=5),
    ),
    st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["POPULARITY", "FRESHNESS"]),
            st.one_of(st.floats(0, 1), st.integers(0, 1)),
        ),
    ),
)


def _wire_s3(value: str | S3DataConfig) -> dict[str, str]:
    if isinstance(value, str):
        return {"path": value}
    out = {"path": value.path}
    if value.kms_key_arn is not None:
        out["kmsKeyArn"] = value.kms_key_arn
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_NAME,
    sv=_ARN,
    filter_arn=st.one_of(st.none(), _ARN),
    num=st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
    source=st.one_of(_PATH, _S3_CONFIG),
    destination=st.one_of(_PATH, _S3_CONFIG),
    config=st.one_of(st.none(), _CONFIG),
    mode=st.sampled_from([None, "BATCH_INFERENCE", "THEME_GENERATION"]),
    theme=st.one_of(st.none(), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,149}", fullmatch=True)),
    tags=st.one_of(st.none(), _TAGS),
)
def test_create_bodies_are_byte_identical_to_botocore(
    name: str,
    sv: str,
    filter_arn: str | None,
    num: int | None,
    source: str | S3DataConfig,
    destination: str | S3DataConfig,
    config: BatchInferenceJobConfig | None,
    mode: str | None,
    theme: str | None,
    tags: dict[str, str] | None,
) -> None:
    job_input: str | BatchInferenceJobInput = (
        source if isinstance(source, str) else BatchInferenceJobInput(s3_data_source=source)
    )
    job_output: str | BatchInferenceJobOutput = (
        destination
        if isinstance(destination, str)
        else BatchInferenceJobOutput(s3_data_destination=destination)
    )
    theme_config = (
        None
        if theme is None
        else ThemeGenerationConfig(
            fields_for_theme_generation=FieldsForThemeGeneration(item_name=theme)
        )
    )
    ours = CREATE_BATCH_INFERENCE_JOB.encode(
        base_create(
            job_name=name,
            solution_version_arn=sv,
            filter_arn=filter_arn,
            num_results=num,
            job_input=job_input,
            job_output=job_output,
            batch_inference_job_config=config,
            batch_inference_job_mode=mode,
            theme_generation_config=theme_config,
            tags=tags,
        )
    )
    # botocore's parameters, built independently, in the service model's member order.
    params: dict[str, Any] = {"jobName": name, "solutionVersionArn": sv}
    if filter_arn is not None:
        params["filterArn"] = filter_arn
    if num is not None:
        params["numResults"] = num
    params["jobInput"] = {"s3DataSource": _wire_s3(source)}
    params["jobOutput"] = {"s3DataDestination": _wire_s3(destination)}
    params["roleArn"] = ROLE
    if config is not None:
        wire_config: dict[str, Any] = {}
        if config.item_exploration_config is not None:
            wire_config["itemExplorationConfig"] = config.item_exploration_config
        if config.ranking_influence is not None:
            wire_config["rankingInfluence"] = config.ranking_influence
        params["batchInferenceJobConfig"] = wire_config
    if tags is not None:
        params["tags"] = [{"tagKey": k, "tagValue": v} for k, v in tags.items()]
    if mode is not None:
        params["batchInferenceJobMode"] = mode
    if theme is not None:
        params["themeGenerationConfig"] = {"fieldsForThemeGeneration": {"itemName": theme}}
    assert ours == botocore_body("CreateBatchInferenceJob", params)


@settings(max_examples=200, deadline=None)
@given(
    sv=st.one_of(st.none(), _ARN),
    token=st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=127), max_size=1500)),
    size=st.one_of(st.none(), st.integers(1, 100)),
)
def test_list_bodies_are_byte_identical_to_botocore(
    sv: str | None, token: str | None, size: int | None
) -> None:
    ours = LIST_BATCH_INFERENCE_JOBS.encode(
        {"solution_version_arn": sv, "next_token": token, "page_size": size}
    )
    params: dict[str, Any] = {}
    if sv is not None:
        params["solutionVersionArn"] = sv
    if token is not None:
        params["nextToken"] = token
    if size is not None:
        params["maxResults"] = size
    assert ours == botocore_body("ListBatchInferenceJobs", params)


def test_describe_body_matches_botocore() -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/nightly-1"
    assert DESCRIBE_BATCH_INFERENCE_JOB.encode({"arn": arn}) == botocore_body(
        "DescribeBatchInferenceJob", {"batchInferenceJobArn": arn}
    )


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"job_name": None}, "job_name (jobName) is required"),
        ({"job_name": ""}, "job_name (jobName)"),
        ({"job_name": "-leading-dash"}, "job_name (jobName)"),
        ({"job_name": "has space"}, "job_name (jobName)"),
        ({"job_name": "a" * 64}, "job_name (jobName) is 64 characters long"),
        ({"job_name": "ünïcode"}, "job_name (jobName)"),
        ({"job_name": "٣digits"}, "job_name (jobName)"),  # \d is ASCII in the model
        ({"job_name": 7}, "job_name (jobName) must be a str"),
        (
            {"solution_version_arn": "arn:aws:s3:::bucket"},
            "solution_version_arn (solutionVersionArn)",
        ),
        ({"solution_version_arn": SV + "x" * 256}, "solution_version_arn (solutionVersionArn) is"),
        ({"solution_version_arn": SV + "\n"}, "solution_version_arn (solutionVersionArn)"),
        ({"filter_arn": "filter/no-sandals"}, "filter_arn (filterArn)"),
        ({"role_arn": "arn:aws:iam::12345:role/x"}, "role_arn (roleArn)"),
        ({"role_arn": "arn:aws:iam::123456789012:user/x"}, "role_arn (roleArn)"),
        ({"role_arn": "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/x"}, "role_arn (roleArn)"),
        ({"num_results": "25"}, "num_results (numResults) must be an int"),
        ({"num_results": True}, "num_results (numResults) must be an int"),
        ({"num_results": 2.0}, "num_results (numResults) must be an int"),
        ({"job_input": "bucket/in.json"}, "job_input (jobInput.s3DataSource.path)"),
        ({"job_input": "ftp://bucket/in.json"}, "job_input (jobInput.s3DataSource.path)"),
        ({"job_input": "s3://" + "k" * 252}, "job_input (jobInput.s3DataSource.path) is 257"),
        (
            {"job_input": {"path": "s3://b/k"}},
            "job_input (jobInput) must be a BatchInferenceJobInput",
        ),
        ({"job_output": "s3://"}, "job_output (jobOutput.s3DataDestination.path)"),
        (
            {
                "job_output": BatchInferenceJobOutput(
                    s3_data_destination=S3DataConfig(path="s3://b/o", kms_key_arn="alias/x")
                )
            },
            "job_output (jobOutput.s3DataDestination.kmsKeyArn)",
        ),
        ({"batch_inference_job_mode": "FAST"}, "batch_inference_job_mode (batchInferenceJobMode)"),
        (
            {"batch_inference_job_config": {"rankingInfluence": {}}},
            "batch_inference_job_config (batchInferenceJobConfig) must be a Batch",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    ranking_influence={"POPULARITY": 1.5}
                )
            },
            "batch_inference_job_config (batchInferenceJobConfig.rankingInfluence['POPULARITY'])",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    ranking_influence={"POPULARITY": float("nan")}
                )
            },
            "rankingInfluence['POPULARITY']",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    ranking_influence={"POPULARITY": True}
                )
            },
            "rankingInfluence['POPULARITY']",
        ),
        (
            {"batch_inference_job_config": BatchInferenceJobConfig(ranking_influence={"NEW": 0.5})},
            "batch_inference_job_config (batchInferenceJobConfig.rankingInfluence key)",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    item_exploration_config={str(i): "v" for i in range(101)}
                )
            },
            "(batchInferenceJobConfig.itemExplorationConfig) has 101 entries",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    item_exploration_config={"k" * 257: "v"}
                )
            },
            "(batchInferenceJobConfig.itemExplorationConfig key)",
        ),
        (
            {
                "batch_inference_job_config": BatchInferenceJobConfig(
                    item_exploration_config={"k": "v" * 1001}
                )
            },
            "(batchInferenceJobConfig.itemExplorationConfig['k'])",
        ),
        (
            {
                "theme_generation_config": ThemeGenerationConfig(
                    fields_for_theme_generation=FieldsForThemeGeneration(item_name="1title")
                )
            },
            "theme_generation_config (themeGenerationConfig.fieldsForThemeGeneration.itemName)",
        ),
        ({"tags": [("k", "v")]}, "tags (tags) must be a mapping"),
        ({"tags": {f"k{i}": "v" for i in range(201)}}, "tags (tags) has 201 entries"),
        ({"tags": {"": "v"}}, "tags (tags[].tagKey) must be 1 to 128"),
        ({"tags": {"k" * 129: "v"}}, "tags (tags[].tagKey) must be 1 to 128"),
        ({"tags": {"k": "v" * 257}}, "tags (tags[].tagValue) must be at most 256"),
        ({"tags": {"cost#centre": "v"}}, "tags (tags[].tagKey) may contain only"),
        ({"tags": {"k": "smile 😀"}}, "tags (tags[].tagValue) may contain only"),
        ({"tags": {"k": "tab\there"}}, "tags (tags[].tagValue) may contain only"),
        ({"tags": {"k": 1}}, "tags (tags[].tagValue) must be a str"),
    ],
)
def test_bad_create_input_names_the_keyword_and_the_wire_member(
    overrides: dict[str, Any], names: str
) -> None:
    with pytest.raises(ParamValidationError) as caught:
        CREATE_BATCH_INFERENCE_JOB.encode(base_create(**overrides))
    assert names in str(caught.value)


def test_tag_messages_never_quote_the_tag() -> None:
    # tagKey and tagValue are 'sensitive' in the service model.
    with pytest.raises(ParamValidationError) as caught:
        CREATE_BATCH_INFERENCE_JOB.encode(base_create(tags={"k": "s3cr3t#value"}))
    assert "s3cr3t" not in str(caught.value)


def test_edge_values_the_model_allows_are_accepted() -> None:
    body = CREATE_BATCH_INFERENCE_JOB.encode(
        base_create(
            job_name="a" * 63,
            num_results=0,  # the model gives no range for numResults, and AWS documents none
            job_input="https://example.com/" + "k" * 236,
            tags={"k" * 128: "v" * 256, "empty": "", "spaces\u00a0and\u2003all": "Ⅻ½"},
            batch_inference_job_config=BatchInferenceJobConfig(
                ranking_influence={"POPULARITY": 0, "FRESHNESS": 1.0},
                item_exploration_config={},
            ),
        )
    )
    assert json.loads(body)["jobName"] == "a" * 63


def test_tag_characters_match_the_java_pattern() -> None:
    """Every code point (Python's Unicode database), checked against the ``regex``
    module's \\p{..} classes. Code points unassigned in Python's Unicode version (newer
    in ``regex``) are left out: the two databases differ there, nothing else does."""
    regex = pytest.importorskip("regex")
    pattern = regex.compile(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
    differ = [
        hex(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and unicodedata.category(chr(code)) != "Cn"
        and bool(pattern.fullmatch(chr(code))) != _tag_text_ok(chr(code))
    ]
    assert differ == []
    # And through the public path, for a few of each kind.
    for text in ["\u00e9", "\u6771", "\u0663", "\u00a0", "\u2028", "\u2163", "\U0001d518"]:
        CREATE_BATCH_INFERENCE_JOB.encode(base_create(tags={"k": text}))
    for text in ["#", "\x7f", "\u00ad", "\U0001f600", "\u20ac", "\U000e0001"]:
        with pytest.raises(ParamValidationError):
            CREATE_BATCH_INFERENCE_JOB.encode(base_create(tags={"k": text}))


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"page_size": 0}, "page_size (maxResults) must be from 1 to 100"),
        ({"page_size": 101}, "page_size (maxResults) must be from 1 to 100"),
        ({"page_size": "10"}, "page_size (maxResults) must be an int"),
        ({"solution_version_arn": "nope"}, "solution_version_arn (solutionVersionArn)"),
        ({"next_token": "t" * 1501}, "next_token (nextToken)"),
        ({"next_token": "tökén"}, "next_token (nextToken)"),
    ],
)
def test_bad_list_input_names_the_keyword_and_the_wire_member(
    params: dict[str, Any], names: str
) -> None:
    with pytest.raises(ParamValidationError) as caught:
        LIST_BATCH_INFERENCE_JOBS.encode(params)
    assert names in str(caught.value)


# --------------------------------------------------------------------------- replies


def reply(body: object) -> HttpResponse:
    return HttpResponse(
        status_code=200, headers={"x-amzn-requestid": "rid"}, body=json.dumps(body).encode()
    )


def _chain(error: BaseException | None) -> list[str]:
    """The types along an exception's cause and context links."""
    seen: list[str] = []
    while error is not None:
        seen.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    return seen


def test_a_bad_summary_raises_with_the_chain_of_structure_model() -> None:
    # decode_list structures a whole page in one go and, when that fails, again summary
    # by summary to name the member: the error raised must carry only the second
    # attempt's chain, as structure_model alone raises it (nothing from the first).
    bad = {"jobName": 5, "status": "ACTIVE"}
    with pytest.raises(ResponseParseError) as page:
        decode_list(reply({"batchInferenceJobs": [{}, bad]}), CONVERTER)
    with pytest.raises(ResponseParseError) as alone:
        structure_model(
            bad, BatchInferenceJobSummary, path="batchInferenceJobs[1]", converter=CONVERTER
        )
    assert str(page.value) == str(alone.value)
    assert _chain(page.value) == _chain(alone.value)


def test_a_page_of_summaries_is_what_structure_model_gives_one_by_one() -> None:
    jobs = [
        {"jobName": f"j{index}", "creationDateTime": 1764400000.5 + index, "status": "ACTIVE"}
        for index in range(5)
    ]
    page = decode_list(reply({"batchInferenceJobs": jobs}), CONVERTER)
    assert page.jobs == tuple(
        structure_model(job, BatchInferenceJobSummary, path="p", converter=CONVERTER)
        for job in jobs
    )


def test_create_reply_without_an_arn_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError) as caught:
        decode_create(reply({}), CONVERTER)
    assert caught.value.path == "batchInferenceJobArn"
    assert caught.value.request_id == "rid"


def test_list_reply_errors_name_the_field() -> None:
    with pytest.raises(ResponseParseError) as caught:
        decode_list(reply({"batchInferenceJobs": [{}, {"jobName": 5}]}), CONVERTER)
    assert caught.value.path == "batchInferenceJobs[1].jobName"
    with pytest.raises(ResponseParseError) as caught:
        decode_list(reply({"batchInferenceJobs": {}}), CONVERTER)
    assert caught.value.path == "batchInferenceJobs"
    with pytest.raises(ResponseParseError) as caught:
        decode_list(reply({"nextToken": 5}), CONVERTER)
    assert caught.value.path == "nextToken"


def test_an_empty_next_token_ends_the_listing() -> None:
    page = decode_list(reply({"batchInferenceJobs": [], "nextToken": ""}), CONVERTER)
    assert page.next_token is None
    assert page.jobs == ()


@pytest.mark.parametrize(
    ("solution_version_arn", "expected"),
    [
        (SV, "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/j"),
        (
            "arn:aws-cn:personalize:cn-north-1:210987654321:solution/s/v",
            "arn:aws-cn:personalize:cn-north-1:210987654321:batch-inference-job/j",
        ),
        ("arn:aws:personalize:::solution/s", None),
    ],
)
def test_the_job_arn_lives_where_the_solution_version_lives(
    solution_version_arn: str, expected: str | None
) -> None:
    assert job_arn_for(solution_version_arn, "j") == expected
