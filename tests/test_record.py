"""Tests for personalize_lite.testing._record: recording real loopback traffic with both
clients, redaction (signature, session token, account ids), nothing but Personalize calls
recorded, record -> replay round trips (strict too), and the bundled strict cassettes
regenerated with the recorder byte for byte.

Regenerate the strict cassettes after a deliberate change in signing or framing with
``PERSONALIZE_LITE_REGENERATE=1 .venv/bin/pytest tests/test_record.py -k strict``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    Credentials,
    PersonalizeClient,
    ResourceNotFoundException,
)
from personalize_lite.testing import (
    AsyncRecordingTransport,
    CassetteError,
    FixtureServer,
    RecordingTransport,
    load_cassette,
    replay,
)
from tests.support.paths import FIXTURES, REPO

EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EXAMPLE = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key=EXAMPLE_SECRET)
REAL_SECRET = "rEaLlOoKiNgSeCrEtKeY/0123456789abcdefghij"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN+/abc=="
REAL = Credentials(access_key_id="AKIA2REALKEY0000TEST", secret_access_key=REAL_SECRET)
REAL_WITH_TOKEN = Credentials(
    access_key_id="ASIA2REALKEY0000TEST", secret_access_key=REAL_SECRET, session_token=TOKEN
)
SIGNED_AT = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)


def arn(name: str, account: str = "123456789012") -> str:
    return f"arn:aws:personalize:us-east-1:{account}:batch-inference-job/{name}"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer([FIXTURES]) as running:
        yield running


def _assert_nothing_secret(text: str) -> None:
    for secret in (REAL_SECRET, TOKEN, EXAMPLE_SECRET):
        assert secret not in text
    assert "Signature=" in text
    for line in text.splitlines():
        if "Signature=" in line:
            assert "Signature=REDACTED" in line


# --------------------------------------------------------------- the strict cassettes

#: stem -> (job ARN, the bundled cassette whose reply is served, description)
STRICT = {
    "strict-active": (
        arn("my-batch-job"),
        "active-full",
        "active job, signed with the AWS example keys at 2015-08-30T12:36:00Z (strict replay)",
    ),
    "strict-not-found": (
        arn("no-such-job"),
        "not-found",
        "no such job, signed with the AWS example keys at 2015-08-30T12:36:00Z (strict replay)",
    ),
}


def _record_strict(stem: str, env: dict[str, str], target: Path) -> Path:
    """Record what our client really sends, signed with the example keys at SIGNED_AT,
    answered with the reply of a bundled cassette (its job renamed to the ARN asked for)."""
    job_arn, source, description = STRICT[stem]
    reply = load_cassette(FIXTURES / f"{source}.json").interactions[0].response
    source_arn = json.loads(load_cassette(FIXTURES / f"{source}.json").interactions[0].key[2])
    old_name = source_arn["batchInferenceJobArn"].rsplit("/", 1)[1]
    new_name = job_arn.rsplit("/", 1)[1]
    body = reply.body.replace(old_name, new_name).encode("utf-8")

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status, headers=list(reply.headers.items()), content=body)

    recorder = RecordingTransport(httpx.MockTransport(answer), example_credentials=EXAMPLE)
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region="us-east-1",
            credentials=EXAMPLE,
            clock=lambda: SIGNED_AT,
            http_client=http,
            env=env,
        ) as client,
        contextlib.suppress(ResourceNotFoundException),
    ):
        client.describe_batch_inference_job(job_arn)
    return recorder.save(target, description=description)


@pytest.mark.parametrize("stem", sorted(STRICT))
def test_strict_cassettes_are_what_the_client_sends(
    stem: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    committed = FIXTURES / f"{stem}.json"
    if os.environ.get("PERSONALIZE_LITE_REGENERATE") == "1":
        _record_strict(stem, aws_env, committed)
    fresh = _record_strict(stem, aws_env, tmp_path / f"{stem}.json")
    assert fresh.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    doc = json.loads(committed.read_text(encoding="utf-8"))
    assert doc["example_credentials"]["access_key_id"] == "AKIDEXAMPLE"
    headers = doc["interactions"][0]["request"]["headers"]
    assert set(headers) == {
        "X-Amz-Target",
        "Content-Type",
        "X-Amz-Date",
        "Authorization",
        "Content-Length",
    }
    assert headers["X-Amz-Date"] == "20150830T123600Z"


def test_the_example_secret_is_not_written_in_the_package_source() -> None:
    for path in (REPO / "src").rglob("*.py"):
        assert EXAMPLE_SECRET not in path.read_text(encoding="utf-8"), path


# --------------------------------------------------------------- round trips


def test_round_trip_sync_with_a_session_token(
    server: FixtureServer, aws_env: dict[str, str], tmp_path: Path
) -> None:
    recorder = RecordingTransport()
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=REAL_WITH_TOKEN,
            http_client=http,
            env=aws_env,
        ) as client,
    ):
        live = client.describe_batch_inference_job(arn("movie-recs-full"))
        with pytest.raises(ResourceNotFoundException):
            client.describe_batch_inference_job(arn("no-such-job"))
    path = recorder.save(tmp_path / "recorded.json", description="round trip")
    text = path.read_text(encoding="utf-8")
    _assert_nothing_secret(text)
    doc = json.loads(text)
    assert doc["description"] == "round trip"
    assert "example_credentials" not in doc
    first = doc["interactions"][0]
    headers = first["request"]["headers"]
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIA2REALKEY0000TEST/")
    assert (
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        in (headers["Authorization"])
    )
    assert headers["Authorization"].endswith("Signature=REDACTED")
    assert headers["X-Amz-Security-Token"] == "REDACTED"
    assert {k.lower() for k in headers}.isdisjoint(
        {"user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "host"}
    )
    assert {k.lower() for k in first["response"]["headers"]}.isdisjoint(
        {"date", "server", "content-length"}
    )
    assert first["request"]["url"] == server.url + "/"
    assert [i["response"]["status"] for i in doc["interactions"]] == [200, 400]
    # the in-memory cassette is redacted as well, and is what was saved
    assert json.loads(recorder.cassette.dumps())["interactions"] == doc["interactions"]
    in_memory = recorder.cassette.interactions[0].request
    assert in_memory is not None
    assert in_memory.header("X-Amz-Security-Token") == "REDACTED"

    # replay the saved file through respx: no server, any endpoint
    with (
        replay(path) as r,
        PersonalizeClient(region="us-east-1", credentials=REAL, env=aws_env) as client,
    ):
        replayed = client.describe_batch_inference_job(arn("movie-recs-full"))
        with pytest.raises(ResourceNotFoundException):
            client.describe_batch_inference_job(arn("no-such-job"))
    assert replayed == live
    assert len(r.calls) == 2


@pytest.mark.anyio
async def test_round_trip_async(
    anyio_backend: str, server: FixtureServer, aws_env: dict[str, str], tmp_path: Path
) -> None:
    recorder = AsyncRecordingTransport()
    async with (
        httpx.AsyncClient(transport=recorder) as http,
        AsyncPersonalizeClient(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=REAL_WITH_TOKEN,
            http_client=http,
            env=aws_env,
        ) as client,
    ):
        statuses = [
            (await client.describe_batch_inference_job(arn("nightly-batch"))).status
            for _ in range(3)
        ]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE"]
    path = recorder.save(tmp_path / "lifecycle-recorded.json")
    _assert_nothing_secret(path.read_text(encoding="utf-8"))
    with replay(path) as r:
        async with AsyncPersonalizeClient(
            region="us-east-1", credentials=REAL, env=aws_env
        ) as client:
            again = [
                (await client.describe_batch_inference_job(arn("nightly-batch"))).status
                for _ in range(4)
            ]
    assert again == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]
    assert [c.cassette for c in r.calls] == ["lifecycle-recorded"] * 4


def test_example_keys_and_a_frozen_clock_give_a_strict_cassette(
    server: FixtureServer, aws_env: dict[str, str], tmp_path: Path
) -> None:
    times = iter([SIGNED_AT, SIGNED_AT + timedelta(minutes=5)])
    now = SIGNED_AT

    def clock() -> datetime:
        return now

    recorder = RecordingTransport(example_credentials=EXAMPLE)
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=EXAMPLE,
            clock=clock,
            http_client=http,
            env=aws_env,
        ) as client,
    ):
        for _ in range(2):
            now = next(times)
            client.describe_batch_inference_job(arn("nightly-batch"))
    path = recorder.save(tmp_path / "strict-lifecycle.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [i["request"]["headers"]["X-Amz-Date"] for i in doc["interactions"]] == [
        "20150830T123600Z",
        "20150830T124100Z",
    ]
    assert all(
        "Signature=REDACTED" not in i["request"]["headers"]["Authorization"]
        for i in doc["interactions"]
    )
    server.stop()  # replay needs no server

    with replay(path, strict=True) as r:
        assert r.clock() == SIGNED_AT
        with PersonalizeClient(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=r.credentials,
            clock=r.clock,
            env=aws_env,
        ) as client:
            first = client.describe_batch_inference_job(arn("nightly-batch"))
            assert r.clock() == SIGNED_AT + timedelta(minutes=5)  # the next one's date
            second = client.describe_batch_inference_job(arn("nightly-batch"))
    assert (first.status, second.status) == ("PENDING", "IN PROGRESS")
    assert r.clock() == SIGNED_AT + timedelta(minutes=5)  # all served: the last one's


def test_redact_account_ids_consistently(aws_env: dict[str, str], tmp_path: Path) -> None:
    real, other = "210987654321", "555566667777"
    source = json.loads((FIXTURES / "active-full.json").read_text(encoding="utf-8"))
    text = (
        json.dumps(source)
        .replace("arn:aws:iam::123456789012", f"arn:aws:iam::{other}")
        .replace("123456789012", real)
    )
    cassette = tmp_path / "real-account.json"
    cassette.write_text(text, encoding="utf-8")
    recorder = RecordingTransport(redact_account_ids=True)
    with (
        FixtureServer([cassette]) as server,
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region="us-east-1",
            endpoint_url=server.url,
            credentials=REAL,
            http_client=http,
            env=aws_env,
        ) as client,
    ):
        live = client.describe_batch_inference_job(arn("movie-recs-full", real))
    assert live.role_arn == f"arn:aws:iam::{other}:role/PersonalizeBatchRole"
    saved = recorder.save(tmp_path / "redacted.json").read_text(encoding="utf-8")
    assert real not in saved
    assert other not in saved
    _assert_nothing_secret(saved)
    with (
        replay(tmp_path / "redacted.json"),
        PersonalizeClient(region="us-east-1", credentials=REAL, env=aws_env) as client,
    ):
        job = client.describe_batch_inference_job(arn("movie-recs-full"))
    assert job.batch_inference_job_arn == arn("movie-recs-full", "123456789012")
    assert job.role_arn == "arn:aws:iam::123456789013:role/PersonalizeBatchRole"
    assert job.filter_arn == "arn:aws:personalize:us-east-1:123456789012:filter/no-watched"


def test_example_keys_lose_their_signature_when_redaction_changed_the_request(
    aws_env: dict[str, str],
) -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"__type": "ResourceNotFoundException", "message": "no"})

    recorder = RecordingTransport(httpx.MockTransport(answer), redact_account_ids=True)
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(
            region="us-east-1", credentials=EXAMPLE, http_client=http, env=aws_env
        ) as client,
        pytest.raises(ResourceNotFoundException),
    ):
        client.describe_batch_inference_job(arn("job", "210987654321"))
    request = recorder.cassette.interactions[0].request
    assert request is not None
    assert "123456789012" in request.body
    assert request.header("Authorization").endswith("Signature=REDACTED")
    with pytest.raises(CassetteError, match="redacted signature"):
        replay(recorder.cassette, strict=True)


def test_only_personalize_calls_are_recorded() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "sts.us-east-1.amazonaws.com":
            return httpx.Response(200, text=f"<SecretAccessKey>{REAL_SECRET}</SecretAccessKey>")
        return httpx.Response(200, json={"batchInferenceJob": {"status": "ACTIVE"}})

    recorder = RecordingTransport(httpx.MockTransport(answer))
    with httpx.Client(transport=recorder) as http:
        sts = http.post("https://sts.us-east-1.amazonaws.com/", content=b"Action=AssumeRole")
        imds = http.get("http://169.254.169.254/latest/meta-data/")
        http.post(
            "https://personalize.us-east-1.amazonaws.com/",
            content=b'{"batchInferenceJobArn": "x"}',
            headers={"X-Amz-Target": "AmazonPersonalize.DescribeBatchInferenceJob"},
        )
    assert REAL_SECRET in sts.text  # passed through untouched...
    assert imds.status_code == 200
    assert recorder.skipped == 2  # ...but not recorded
    assert len(recorder.cassette.interactions) == 1
    assert REAL_SECRET not in recorder.cassette.dumps()


def test_a_compressed_reply_is_recorded_decoded(aws_env: dict[str, str]) -> None:
    body = (FIXTURES / "active-full.json").read_text(encoding="utf-8")
    reply = json.loads(body)["interactions"][0]["response"]["body"]

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/x-amz-json-1.1"},
            content=gzip.compress(reply.encode("utf-8")),
        )

    recorder = RecordingTransport(httpx.MockTransport(answer))
    with (
        httpx.Client(transport=recorder) as http,
        PersonalizeClient(region="us-east-1", credentials=REAL, http_client=http, env=aws_env) as c,
    ):
        job = c.describe_batch_inference_job(arn("movie-recs-full"))
    assert job.status == "ACTIVE"
    recorded = recorder.cassette.interactions[0].response
    assert recorded.body == reply
    assert recorded.headers == {"Content-Type": "application/x-amz-json-1.1"}


@pytest.mark.parametrize(
    "credentials",
    [
        Credentials(access_key_id="AKIDEXAMPLE", secret_access_key=REAL_SECRET),
        Credentials(access_key_id="AKIA2REALKEY0000TEST", secret_access_key=EXAMPLE_SECRET),
        Credentials(
            access_key_id="AKIDEXAMPLE", secret_access_key=EXAMPLE_SECRET, session_token=TOKEN
        ),
    ],
)
def test_the_recorder_writes_no_credentials_but_the_example_keys(credentials: Credentials) -> None:
    with pytest.raises(CassetteError, match="example keys") as info:
        RecordingTransport(example_credentials=credentials)
    assert REAL_SECRET not in str(info.value)
    with pytest.raises(CassetteError, match="example keys"):
        AsyncRecordingTransport(example_credentials=credentials)


def test_a_non_sigv4_authorization_is_redacted_whole() -> None:
    recorder = RecordingTransport(httpx.MockTransport(lambda _r: httpx.Response(200, json={})))
    with httpx.Client(transport=recorder) as http:
        http.post(
            "https://personalize.us-east-1.amazonaws.com/",
            content=b"{}",
            headers={
                "X-Amz-Target": "AmazonPersonalize.DescribeBatchInferenceJob",
                "Authorization": "Bearer abc.def.ghi",
            },
        )
    request: Any = recorder.cassette.interactions[0].request
    assert request.header("Authorization") == "REDACTED"
