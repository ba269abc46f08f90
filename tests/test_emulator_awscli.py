"""The AWS CLI drives ``personalize-lite serve`` end to end: create, list, describe.

The AWS CLI (1.x, its own botocore) runs as a subprocess with ``--endpoint-url`` on
127.0.0.1, the documentation's example keys in its environment and no config files
(``AWS_CONFIG_FILE=/dev/null``). Skipped, saying why, where ``aws`` is not installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from personalize_lite.testing._emulator import example_credentials

AWS = Path("/root/.pyenv/versions/3.11.7/bin/aws")
AWS_CLI = str(AWS) if AWS.exists() else shutil.which("aws")
pytestmark = pytest.mark.skipif(
    AWS_CLI is None, reason=f"the AWS CLI is not installed (neither {AWS} nor aws on PATH)"
)

EXAMPLE = example_credentials(env={})
READY = "personalize-lite emulator listening on "
SV = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatchRole"
PREFIX = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
DURATION = 0.5


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Example keys, no config files, a HOME of its own (no ~/.aws of this machine)."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": EXAMPLE.access_key_id,
        "AWS_SECRET_ACCESS_KEY": EXAMPLE.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }


@contextlib.contextmanager
def emulator(env: dict[str, str]) -> Iterator[str]:
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "personalize_lite",
            "serve",
            "--port",
            "0",
            "--job-duration",
            str(DURATION),
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            assert process.stdout is not None
            with contextlib.suppress(ValueError, OSError):
                lines.put(process.stdout.readline())

        threading.Thread(target=read, daemon=True).start()
        try:
            line = lines.get(timeout=30)
            assert line.startswith(READY), line
            yield line[len(READY) :].split()[0]
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover (reported by the assert)
                process.kill()
                process.wait()
    assert process.returncode == 0


def aws(url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS_CLI is not None
    return subprocess.run(  # the AWS CLI, against loopback only
        [AWS_CLI, "personalize", *args, "--endpoint-url", url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def create(url: str, env: dict[str, str], name: str) -> subprocess.CompletedProcess[str]:
    return aws(
        url,
        env,
        "create-batch-inference-job",
        "--job-name",
        name,
        "--solution-version-arn",
        SV,
        "--role-arn",
        ROLE,
        "--job-input",
        "s3DataSource={path=s3://example-bucket/in.json}",
        "--job-output",
        "s3DataDestination={path=s3://example-bucket/out/}",
        "--num-results",
        "7",
        "--tags",
        "tagKey=team,tagValue=recs",
    )


def test_the_aws_cli_drives_the_lifecycle(cli_env: dict[str, str]) -> None:
    with emulator(cli_env) as url:
        assert ok(create(url, cli_env, "cli-job")) == {"batchInferenceJobArn": PREFIX + "cli-job"}
        # All pages: the CLI follows nextToken itself (--page-size 2 per request).
        listed = ok(aws(url, cli_env, "list-batch-inference-jobs", "--page-size", "2"))
        jobs = listed["batchInferenceJobs"]
        assert "nextToken" not in listed
        assert jobs[0]["jobName"] == "cli-job"
        assert len(jobs) > 2
        assert len({job["batchInferenceJobArn"] for job in jobs}) == len(jobs)
        assert "movie-recs-full" in {job["jobName"] for job in jobs}
        one = ok(
            aws(
                url,
                cli_env,
                "list-batch-inference-jobs",
                "--solution-version-arn",
                SV,
                "--max-items",
                "1",
            )
        )
        assert [job["jobName"] for job in one["batchInferenceJobs"]] == ["cli-job"]
        status = None
        for _ in range(100):
            job = ok(
                aws(
                    url,
                    cli_env,
                    "describe-batch-inference-job",
                    "--batch-inference-job-arn",
                    PREFIX + "cli-job",
                )
            )["batchInferenceJob"]
            status = job["status"]
            if status == "ACTIVE":
                break
            time.sleep(DURATION / 5)
        assert status == "ACTIVE"
        assert job["numResults"] == 7
        assert job["jobOutput"] == {"s3DataDestination": {"path": "s3://example-bucket/out/"}}
        again = create(url, cli_env, "cli-job")
        assert again.returncode != 0
        assert "(ResourceAlreadyExistsException)" in again.stderr
        bad = create(url, cli_env, "bad name")
        assert bad.returncode != 0
        assert "(InvalidInputException)" in bad.stderr
        token = aws(url, cli_env, "list-batch-inference-jobs", "--starting-token", "forged")
        assert token.returncode != 0
        assert token.stderr.strip()
