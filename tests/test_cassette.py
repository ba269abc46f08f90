"""Tests for personalize_lite.testing._cassette: the version 1 format read and written
back byte for byte, matching keys, served order, and the example-credentials rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from personalize_lite import Credentials
from personalize_lite.testing import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
    load_cassettes,
    match_key,
)
from personalize_lite.testing._cassette import authorization_key_id, check_example_credentials
from tests.support.paths import FIXTURES

TARGET = "AmazonPersonalize.DescribeBatchInferenceJob"
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/j"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_bundled_cassette_is_written_back_byte_for_byte(path: Path) -> None:
    cassette = load_cassette(path)
    assert cassette.name == path.stem
    assert cassette.description
    assert cassette.dumps() == path.read_text(encoding="utf-8")


def test_match_key_ignores_json_spacing_order_and_header_case() -> None:
    one = match_key("post", {"x-amz-target": TARGET}, '{"a": 1, "b": [2, 3]}')
    two = match_key("POST", {"X-Amz-Target": TARGET}, b'{"b":[2,3],"a":1}')
    assert one == two == ("POST", TARGET, '{"a":1,"b":[2,3]}')
    assert match_key("POST", {}, b"not json")[2] == "not json"


def _interaction(status: str) -> Interaction:
    return Interaction.of(
        RecordedRequest(
            method="POST",
            url="https://personalize.us-east-1.amazonaws.com/",
            headers={"X-Amz-Target": TARGET},
            body=json.dumps({"batchInferenceJobArn": ARN}),
        ),
        RecordedResponse(status=200, headers={}, body=status),
    )


def test_matching_interactions_are_served_in_order_and_the_last_repeats() -> None:
    cassette = Cassette("c", [_interaction("PENDING"), _interaction("ACTIVE")])
    key = cassette.interactions[0].key
    served = [cassette.next_interaction(key) for _ in range(3)]
    assert [i.response.body for i in served if i is not None] == ["PENDING", "ACTIVE", "ACTIVE"]
    assert cassette.next_response(("POST", TARGET, "{}")) is None
    fresh = cassette.fresh()
    assert fresh.next_response(key) == RecordedResponse(status=200, headers={}, body="PENDING")
    assert cassette.arns() == [ARN]


def test_an_interaction_built_from_a_key_alone_still_works_but_cannot_be_written() -> None:
    key = ("POST", TARGET, "{}")
    cassette = Cassette(
        "hand-made",
        [Interaction(key=key, response=RecordedResponse(status=200, headers={}, body=""))],
    )
    assert cassette.next_response(key) is not None
    with pytest.raises(CassetteError, match="interaction 1 has no recorded request"):
        cassette.dumps()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cassette = Cassette("x", [_interaction("ACTIVE")], description="saved")
    path = cassette.save(tmp_path / "saved.json")
    (loaded,) = load_cassettes([tmp_path])
    assert loaded.name == "saved"
    assert loaded.interactions == cassette.interactions
    assert json.loads(path.read_text(encoding="utf-8"))["description"] == "saved"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a version 1 cassette"),
        ("{oops", "not JSON"),
        ('{"version": 1, "interactions": [{"request": {}}]}', "interaction 1 is malformed"),
        (
            '{"version": 1, "interactions": [], "example_credentials": {"access_key_id": "A"}}',
            "example_credentials must be an object",
        ),
    ],
)
def test_malformed_cassettes_are_value_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError, match=message) as info:
        load_cassette(path)
    assert isinstance(info.value, ValueError)  # what callers caught before CassetteError


def test_only_the_documented_example_keys_are_accepted() -> None:
    strict = load_cassette(FIXTURES / "strict-active.json")
    assert strict.example_credentials is not None
    assert check_example_credentials(strict.example_credentials) is strict.example_credentials
    secret = strict.example_credentials.secret_access_key
    for bad in (
        Credentials(access_key_id="AKIAOTHER", secret_access_key=secret),
        Credentials(access_key_id="AKIDEXAMPLE", secret_access_key=secret + "x"),
        Credentials(access_key_id="AKIDEXAMPLE", secret_access_key=secret, session_token="t"),
    ):
        with pytest.raises(CassetteError, match="example keys") as info:
            check_example_credentials(bad)
        assert secret not in str(info.value)


def test_authorization_key_id() -> None:
    value = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/personalize/aws4_request,"
        " SignedHeaders=host, Signature=abc"
    )
    assert authorization_key_id(value) == "AKIDEXAMPLE"
    assert authorization_key_id("Bearer token") is None
