"""boto3 and personalize-lite, side by side, against ``personalize-lite serve``.

For every bundled cassette, each client gets its own emulator (a subprocess on
``--port 0`` serving that cassette only), so both see the same sequence of answers: a
lifecycle's PENDING, IN PROGRESS, ACTIVE; a throttle, then the job. Each job ARN is asked
as many times as the cassette has answers for it. Both clients must succeed with equal
jobs, or fail with the same error code, status, message and request id. boto3 signs with
botocore's own signer, so this also shows the emulator's SigV4 check accepts a client
that is not ours, and refuses it when the secret is wrong.

boto3 is a test-only dependency; it reads no real ~/.aws here.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from personalize_lite import PersonalizeClient, PersonalizeServiceError
from personalize_lite._converter import make_converter
from personalize_lite.testing import load_cassettes
from personalize_lite.testing._emulator import example_credentials
from tests.support.paths import FIXTURES as FIXTURES_DIR

CASSETTES = sorted(FIXTURES_DIR.glob("*.json"))
EXAMPLE = example_credentials(env={})
READY = "personalize-lite emulator listening on "
SERVE = (sys.executable, "-m", "personalize_lite", "serve", "--port", "0")
ISO = make_converter(timestamps="iso8601")
#: What both clients must see, call after call, for cassettes whose answers change.
SEQUENCES = {
    "lifecycle": ["PENDING", "IN PROGRESS", "ACTIVE"],
    "throttled-then-ok": ["ACTIVE", "ACTIVE"],  # the throttle is retried inside the call
    "unavailable-then-ok": ["ACTIVE", "ACTIVE"],
}


@pytest.fixture
def boto_env(monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]) -> dict[str, str]:
    """No AWS setting of the host reaches boto3 (or the emulators): empty AWS files under
    tmp_path, no instance metadata, no profile, keys, endpoint or retry variables."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "PERSONALIZE_LITE_EMULATOR_SECRET_KEY":
            monkeypatch.delenv(name)
    for name, value in aws_env.items():
        monkeypatch.setenv(name, value)
    return {"PATH": os.environ.get("PATH", ""), **aws_env}


@contextlib.contextmanager
def emulators(env: dict[str, str], fixtures: Path, count: int) -> Iterator[list[str]]:
    """Start ``count`` emulators serving ``fixtures`` at once; yield their URLs; stop them
    with SIGTERM (each must exit 0)."""
    with contextlib.ExitStack() as stack:
        processes: list[subprocess.Popen[str]] = []
        for _ in range(count):
            process = stack.enter_context(
                subprocess.Popen(
                    [*SERVE, "--fixtures", str(fixtures)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            stack.callback(_kill, process)
            processes.append(process)
        urls = [_ready_url(process) for process in processes]
        yield urls
        for process in processes:
            process.terminate()
            stdout, stderr = process.communicate(timeout=10)
            assert process.returncode == 0, stderr
            assert stdout.endswith("personalize-lite emulator stopped (SIGTERM)\n")


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def _ready_url(process: subprocess.Popen[str]) -> str:
    """The URL from the ready line, waiting at most 30 s for it."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        with contextlib.suppress(ValueError, OSError):
            found.put(process.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    line = found.get(timeout=30)
    reader.join()
    assert line.startswith(READY), line
    return line[len(READY) :].split()[0]


def boto3_client(url: str, secret: str = EXAMPLE.secret_access_key) -> Any:
    return boto3.session.Session().client(
        "personalize",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=EXAMPLE.access_key_id,
        aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 3}),
    )


def utc(value: Any) -> Any:
    """boto3's answer with its datetimes (local time) as ISO-8601 UTC strings."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, dict):
        return {key: utc(item) for key, item in value.items()}
    if isinstance(value, list):
        return [utc(item) for item in value]
    return value


def boto3_outcome(client: Any, arn: str) -> tuple[str, Any]:
    try:
        reply = client.describe_batch_inference_job(batchInferenceJobArn=arn)
    except ClientError as exc:
        error, meta = exc.response["Error"], exc.response["ResponseMetadata"]
        return "error", (error["Code"], meta["HTTPStatusCode"], error["Message"], meta["RequestId"])
    return "job", utc(reply["batchInferenceJob"])


def our_outcome(client: PersonalizeClient, arn: str) -> tuple[str, Any]:
    try:
        job = client.describe_batch_inference_job(arn)
    except PersonalizeServiceError as exc:
        return "error", (exc.code, exc.status_code, exc.message, exc.request_id)
    return "job", ISO.unstructure(job)


def answers_per_arn(cassette: Path) -> dict[str, int]:
    """How many recorded answers each job ARN has (asked that many times)."""
    (loaded,) = load_cassettes([cassette])
    counts = dict.fromkeys(loaded.arns(), 0)
    for interaction in loaded.interactions:
        counts[json.loads(interaction.key[2])["batchInferenceJobArn"]] += 1
    return counts


def test_every_bundled_cassette_is_covered() -> None:
    assert len(CASSETTES) >= 12
    assert {"lifecycle.json", "throttled-then-ok.json", "not-found.json"} <= {
        path.name for path in CASSETTES
    }


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda path: path.stem)
def test_boto3_and_personalize_lite_agree(
    cassette: Path, boto_env: dict[str, str], aws_env: dict[str, str]
) -> None:
    with emulators(boto_env, cassette, 2) as (boto_url, our_url):
        theirs = boto3_client(boto_url)
        with PersonalizeClient(
            region="us-east-1",
            endpoint_url=our_url,
            credentials=EXAMPLE,
            env=aws_env,
            jitter=lambda: 0.0,
        ) as ours:
            seen: list[Any] = []
            for arn, answers in answers_per_arn(cassette).items():
                for number in range(1, answers + 1):
                    expected = boto3_outcome(theirs, arn)
                    got = our_outcome(ours, arn)
                    assert got == expected, f"{arn}, call {number}"
                    if got[0] == "job":
                        assert got[1]["batchInferenceJobArn"] == arn
                    seen.append(got[1]["status"] if got[0] == "job" else got[1][0])
        theirs.close()
    if cassette.stem in SEQUENCES:  # the steps were really walked, not the first one thrice
        assert seen == SEQUENCES[cassette.stem]


def test_boto3_with_a_wrong_secret_is_refused(boto_env: dict[str, str]) -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-full"
    with emulators(boto_env, FIXTURES_DIR / "active-full.json", 1) as (url,):
        good = boto3_client(url)
        bad = boto3_client(url, secret="not-the-example-secret")
        assert boto3_outcome(good, arn)[0] == "job"
        kind, (code, status, message, request_id) = boto3_outcome(bad, arn)
        good.close()
        bad.close()
    assert (kind, code, status) == ("error", "InvalidSignatureException", 400)
    assert message.startswith("The request signature we calculated does not match")
    assert request_id


# ------------------------------------------------------------ the live lifecycle, by boto3

SV = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatchRole"
#: Seconds a created job takes to finish in these tests (real time: the emulator runs as
#: a subprocess, as users run it).
DURATION = 0.5


def serve_live(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SERVE, "--job-duration", str(DURATION), "--fail-jobs", "doomed-*"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def create_args(name: str) -> dict[str, Any]:
    return {
        "jobName": name,
        "solutionVersionArn": SV,
        "roleArn": ROLE,
        "jobInput": {"s3DataSource": {"path": "s3://example-bucket/in.json"}},
        "jobOutput": {"s3DataDestination": {"path": "s3://example-bucket/out/"}},
    }


def boto3_error(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as failed:
        call(**kwargs)
    response = failed.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_boto3_drives_the_lifecycle_end_to_end(boto_env: dict[str, str]) -> None:
    with serve_live(boto_env) as process:
        try:
            client = boto3_client(_ready_url(process))
            arn = client.create_batch_inference_job(
                **create_args("boto-job"), numResults=10, tags=[{"tagKey": "k", "tagValue": "v"}]
            )["batchInferenceJobArn"]
            assert arn == "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/boto-job"
            client.create_batch_inference_job(**create_args("doomed-job"))
            first = client.describe_batch_inference_job(batchInferenceJobArn=arn)
            assert first["batchInferenceJob"]["status"] in {"PENDING", "IN_PROGRESS"}
            # All pages through botocore's own paginator (nextToken passed back verbatim).
            pages = list(
                client.get_paginator("list_batch_inference_jobs").paginate(
                    PaginationConfig={"PageSize": 2}
                )
            )
            assert len(pages) > 2
            listed = [job for page in pages for job in page["batchInferenceJobs"]]
            arns = [job["batchInferenceJobArn"] for job in listed]
            assert len(arns) == len(set(arns))
            assert {job["jobName"] for job in listed[:2]} == {"boto-job", "doomed-job"}
            assert "movie-recs-full" in {job["jobName"] for job in listed}
            created = [job["creationDateTime"] for job in listed]
            assert created == sorted(created, reverse=True)
            filtered = client.list_batch_inference_jobs(
                solutionVersionArn="arn:aws:personalize:us-east-1:123456789012:solution/x/1"
            )
            assert filtered["batchInferenceJobs"] == []
            # Wait with botocore's own clock, bounded.
            statuses: list[str] = []
            for _ in range(100):
                job = client.describe_batch_inference_job(batchInferenceJobArn=arn)
                statuses.append(job["batchInferenceJob"]["status"])
                if statuses[-1] == "ACTIVE":
                    break
                time.sleep(DURATION / 10)
            assert statuses[-1] == "ACTIVE"
            described = job["batchInferenceJob"]
            assert described["numResults"] == 10
            assert described["jobInput"] == create_args("x")["jobInput"]
            assert described["lastUpdatedDateTime"] > described["creationDateTime"]
            doomed = client.describe_batch_inference_job(
                batchInferenceJobArn=arn.replace("boto-job", "doomed-job")
            )["batchInferenceJob"]
            assert doomed["status"] == "CREATE FAILED"
            assert doomed["failureReason"]
            # Errors as AWS sends them, which botocore maps to its modelled exceptions.
            create = client.create_batch_inference_job
            assert boto3_error(create, **create_args("boto-job")) == (
                "ResourceAlreadyExistsException",
                400,
            )
            with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
                create(**create_args("boto-job"))
            assert boto3_error(create, **create_args("bad name")) == ("InvalidInputException", 400)
            assert boto3_error(client.list_batch_inference_jobs, nextToken="forged") == (
                "InvalidNextTokenException",
                400,
            )
            with pytest.raises(client.exceptions.InvalidNextTokenException):
                client.list_batch_inference_jobs(nextToken="forged")
            client.close()
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
