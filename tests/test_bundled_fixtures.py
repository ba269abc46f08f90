"""Every bundled cassette is valid for botocore's Personalize model: each reply parses
with botocore's own parser and with ours (the strict converter, so a field we do not
model fails), and the two agree."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import botocore.loaders
import botocore.model
import botocore.parsers
import pytest

from personalize_lite._converter import make_converter
from personalize_lite._json_protocol import TARGET, decode_error, decode_job
from personalize_lite._steps import HttpResponse
from tests.support.paths import FIXTURES

_MODEL = botocore.model.ServiceModel(
    botocore.loaders.Loader().load_service_model("personalize", "service-2")
)
_OPERATION = _MODEL.operation_model("DescribeBatchInferenceJob")
_STRICT = make_converter(strict=True)
_AS_WIRE = make_converter(timestamps="iso8601")


def _interactions() -> list[Any]:
    cases = []
    for path in sorted(FIXTURES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for number, interaction in enumerate(doc["interactions"], start=1):
            cases.append(pytest.param(interaction, id=f"{path.stem}#{number}"))
    return cases


def _to_utc(value: Any) -> Any:
    """botocore's parsed dict with datetimes as UTC ISO strings (it returns local time)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, dict):
        return {k: _to_utc(v) for k, v in value.items() if k != "ResponseMetadata"}
    return value


def test_there_are_enough_scenarios() -> None:
    names = {p.stem for p in FIXTURES.glob("*.json")}
    for wanted in (
        "pending",
        "in-progress",
        "active-full",
        "create-failed",
        "theme-generation",
        "ranking-influence",
        "lifecycle",
        "not-found",
        "throttled-then-ok",
        "unavailable-then-ok",
        "expired-token",
        "access-denied",
    ):
        assert wanted in names


@pytest.mark.parametrize("interaction", _interactions())
def test_reply_agrees_with_botocore(interaction: dict[str, Any]) -> None:
    request, reply = interaction["request"], interaction["response"]
    assert request["method"] == "POST"
    assert request["headers"]["X-Amz-Target"] == TARGET
    assert json.loads(request["body"]).keys() == {"batchInferenceJobArn"}
    body = reply["body"].encode()
    headers = {k.lower(): v for k, v in reply["headers"].items()}
    response = HttpResponse(status_code=reply["status"], headers=headers, body=body)
    raw = {"body": body, "headers": headers, "status_code": reply["status"]}
    parser = botocore.parsers.create_parser("json")
    theirs = parser.parse(raw, _OPERATION.output_shape)
    if reply["status"] == 200:
        job = decode_job(response, converter=_STRICT)  # strict: unmodelled fields fail
        ours = {"batchInferenceJob": _AS_WIRE.unstructure(job)}
        assert ours == _to_utc(theirs)
        assert job.batch_inference_job_arn == json.loads(request["body"])["batchInferenceJobArn"]
    else:
        error = decode_error(response)
        assert getattr(error, "code", None) == theirs["Error"]["Code"]
        assert getattr(error, "message", None) == theirs["Error"]["Message"]
