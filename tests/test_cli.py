"""Tests for personalize_lite._cli, run the way a user runs it: a subprocess of
``python -m personalize_lite`` (and the installed console script) against a
FixtureServer started in the test process, with a minimal environment whose AWS files
live under tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from personalize_lite import __version__
from personalize_lite._cli import main as cli_main
from personalize_lite.testing import FixtureServer
from personalize_lite.testing.demo import main as demo_main

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue+/="
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"
FULL_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-full"
MISSING_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/no-such-job"
SCRIPT = Path(sys.executable).with_name("personalize-lite")


@pytest.fixture
def cli_env(aws_env: dict[str, str]) -> dict[str, str]:
    """What a user's shell would hold: PATH, example keys, a region, isolated AWS files."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "AWS_ACCESS_KEY_ID": AKID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "us-east-1",
        **aws_env,
    }


def run(
    args: list[str], env: dict[str, str], *, program: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = program or [sys.executable, "-m", "personalize_lite"]
    return subprocess.run(
        [*command, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def expected_full_job() -> dict[str, Any]:
    """active-full.json's recorded body, timestamps as the AWS CLI prints them."""
    cassette = json.loads((FIXTURES_DIR / "active-full.json").read_text(encoding="utf-8"))
    body: dict[str, Any] = json.loads(cassette["interactions"][0]["response"]["body"])
    job = body["batchInferenceJob"]
    assert job["creationDateTime"] == 1700000000.123
    job["creationDateTime"] = "2023-11-14T22:13:20.123000+00:00"
    job["lastUpdatedDateTime"] = "2023-11-14T22:28:20.456000+00:00"
    return body


def assert_one_clean_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("personalize-lite: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_describe_prints_the_aws_cli_shape(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    result = run(["describe", FULL_ARN, "--endpoint-url", fixture_server.url], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == expected_full_job()


def test_not_found_exits_1_with_one_line(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    result = run(["describe", MISSING_ARN, "--endpoint-url", fixture_server.url], cli_env)
    assert result.returncode == 1
    assert_one_clean_error_line(
        result, "ResourceNotFoundException", "HTTP 400", "5f1c0e7a-0000-4000-8000-000000000010"
    )


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:s3:::example-bucket", FULL_ARN + "x" * 256],
)
def test_invalid_arn_exits_2(
    arn: str, fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    result = run(["describe", arn, "--endpoint-url", fixture_server.url], cli_env)
    assert result.returncode == 2
    assert_one_clean_error_line(result, "ParamValidationError", "batchInferenceJobArn")


def test_unknown_option_exits_2(cli_env: dict[str, str]) -> None:
    result = run(["describe", FULL_ARN, "--bogus"], cli_env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: personalize-lite")
    assert "unrecognized arguments: --bogus" in result.stderr


def test_missing_command_exits_2(cli_env: dict[str, str]) -> None:
    result = run([], cli_env)
    assert result.returncode == 2
    assert "usage: personalize-lite" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_region_and_no_endpoint_exits_2(cli_env: dict[str, str]) -> None:
    del cli_env["AWS_REGION"]
    result = run(["describe", FULL_ARN], cli_env)
    assert result.returncode == 2
    assert_one_clean_error_line(result, "ConfigurationError", "region")


def test_invalid_region_exits_2(cli_env: dict[str, str]) -> None:
    result = run(["describe", FULL_ARN, "--region", "us-east-1.evil.example"], cli_env)
    assert result.returncode == 2
    assert_one_clean_error_line(result, "ConfigurationError")


def test_no_credentials_exits_2(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    del cli_env["AWS_ACCESS_KEY_ID"], cli_env["AWS_SECRET_ACCESS_KEY"]
    result = run(["describe", FULL_ARN, "--endpoint-url", fixture_server.url], cli_env)
    assert result.returncode == 2
    assert_one_clean_error_line(result, "NoCredentialsError")


def test_transport_error_exits_1_with_one_line(refused_port: int, cli_env: dict[str, str]) -> None:
    cli_env["AWS_MAX_ATTEMPTS"] = "1"  # no real backoff sleeps in a subprocess
    result = run(
        ["describe", FULL_ARN, "--endpoint-url", f"http://127.0.0.1:{refused_port}"], cli_env
    )
    assert result.returncode == 1
    assert_one_clean_error_line(result, "EndpointConnectionError")


def test_debug_logs_without_secrets(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    cli_env["AWS_SESSION_TOKEN"] = TOKEN
    ok = run(["describe", FULL_ARN, "--endpoint-url", fixture_server.url, "--debug"], cli_env)
    failed = run(
        ["describe", MISSING_ARN, "--endpoint-url", fixture_server.url, "--debug"], cli_env
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == expected_full_job()
    debug_lines = [line for line in ok.stderr.splitlines() if " DEBUG " in line]
    assert debug_lines
    assert any("personalize_lite" in line and "status=200" in line for line in debug_lines)
    assert failed.returncode == 1
    assert "ResourceNotFoundException" in failed.stderr
    assert "Traceback" in failed.stderr  # --debug adds the traceback
    for text in (ok.stdout, ok.stderr, failed.stdout, failed.stderr):
        assert SECRET not in text
        assert TOKEN not in text


def test_version(cli_env: dict[str, str]) -> None:
    result = run(["--version"], cli_env)
    assert result.returncode == 0
    assert result.stdout == f"personalize-lite {__version__}\n"


def test_console_script(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    assert SCRIPT.is_file(), f"console script missing: {SCRIPT}"
    version = run(["--version"], cli_env, program=[str(SCRIPT)])
    assert version.returncode == 0
    assert version.stdout == f"personalize-lite {__version__}\n"
    described = run(
        ["describe", FULL_ARN, "--endpoint-url", fixture_server.url], cli_env, program=[str(SCRIPT)]
    )
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout) == expected_full_job()


# The same CLI in-process (coverage sees it; the subprocess tests above prove the wiring).


@pytest.fixture
def in_process_env(monkeypatch: pytest.MonkeyPatch, cli_env: dict[str, str]) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in cli_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("in_process_env")
def test_main_in_process(fixture_server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["describe", FULL_ARN, "--endpoint-url", fixture_server.url]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == expected_full_job()
    assert err == ""
    assert cli_main(["describe", MISSING_ARN, "--endpoint-url", fixture_server.url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("personalize-lite: error: ResourceNotFoundException (HTTP 400")
    assert cli_main(["describe", "not-an-arn", "--endpoint-url", fixture_server.url]) == 2
    assert "ParamValidationError" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli_main(["describe"])
    assert usage.value.code == 2


@pytest.mark.usefixtures("in_process_env")
def test_make_run_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_main() == 0
    out = capsys.readouterr().out
    assert '"jobName": "movie-recs-full"' in out
    assert "(exit code 0, expected 0)" in out
    assert "(exit code 1, expected 1)" in out
