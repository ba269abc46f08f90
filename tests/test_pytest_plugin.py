"""Tests for personalize_lite.testing.pytest_plugin, used the way a user would: a test file
written to a temporary directory and run by a separate pytest process, which finds the
plugin through the ``pytest11`` entry point (nothing is imported or registered by hand)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

PREAMBLE = """
import os

import pytest

from personalize_lite import (
    AsyncPersonalizeClient, Credentials, PersonalizeClient, ResourceNotFoundException,
)

ENV = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
CREDS = Credentials(access_key_id="AKIDTESTING", secret_access_key="not-a-real-secret")


def arn(name):
    return f"arn:aws:personalize:us-east-1:123456789012:batch-inference-job/{name}"


def client(**kwargs):
    options = {"region": "us-east-1", "credentials": CREDS, "env": ENV}
    options.update(kwargs)
    return PersonalizeClient(**options)
"""

PASSING = """
@pytest.mark.personalize_cassette("active-full")
def test_marker_alone():
    assert client().describe_batch_inference_job(arn("movie-recs-full")).status == "ACTIVE"


@pytest.mark.personalize_cassette("lifecycle", "not-found")
def test_marker_with_its_fixture(personalize_cassette):
    c = client()
    statuses = [c.describe_batch_inference_job(arn("nightly-batch")).status for _ in range(4)]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]
    with pytest.raises(ResourceNotFoundException):
        c.describe_batch_inference_job(arn("no-such-job"))
    assert [call.interaction for call in personalize_cassette.calls] == [1, 2, 3, 3, 1]


@pytest.mark.personalize_cassette("strict-active", strict=True)
def test_marker_strict(personalize_cassette):
    r = personalize_cassette
    job = client(credentials=r.credentials, clock=r.clock).describe_batch_inference_job(
        arn("my-batch-job")
    )
    assert job.job_name == "my-batch-job"


@pytest.mark.personalize_cassette("pending")
class TestOnAClass:
    def test_inherits_the_marker(self):
        assert client().describe_batch_inference_job(arn("movie-recs-pending")).status == "PENDING"

    @pytest.mark.personalize_cassette("in-progress")
    def test_closest_marker_wins(self, personalize_cassette):
        assert [c.name for c in personalize_cassette.cassettes] == ["in-progress"]


def test_fixture_starts_replays(personalize_replay):
    first = personalize_replay("active-full")
    second = personalize_replay("not-found")
    c = client()
    assert c.describe_batch_inference_job(arn("movie-recs-full")).is_active
    with pytest.raises(ResourceNotFoundException):
        c.describe_batch_inference_job(arn("no-such-job"))
    assert (len(first.calls), len(second.calls)) == (1, 1)
    assert first.started and second.started


@pytest.mark.anyio
@pytest.mark.personalize_cassette("lifecycle")
async def test_marker_on_an_async_test():
    async with AsyncPersonalizeClient(region="us-east-1", credentials=CREDS, env=ENV) as c:
        job = await c.describe_batch_inference_job(arn("nightly-batch"))
    assert job.status == "PENDING"


def test_without_marker_nothing_is_replayed():
    import httpx
    assert type(httpx.Client()._transport_for_url(httpx.URL("https://x.test"))).__name__ == (
        "HTTPTransport"
    )
"""

FAILING = """
@pytest.mark.personalize_cassette("active-full")
def test_marker_mismatch():
    client().describe_batch_inference_job(arn("movie-recs-ful"))


def test_fixture_mismatch(personalize_replay):
    personalize_replay("pending")
    client().describe_batch_inference_job(arn("movie-recs-pendin"))


@pytest.mark.personalize_cassette("active-full")
def test_swallowed_mismatch():
    try:
        client().describe_batch_inference_job(arn("somewhere-else"))
    except Exception:
        pass


@pytest.mark.personalize_cassette("active-full", strict=True)
def test_strict_on_an_ordinary_cassette():
    pass


@pytest.mark.personalize_cassette()
def test_marker_without_cassettes():
    pass
"""


def run_user_tests(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_user.py"
    test_file.write_text(PREAMBLE + textwrap.dedent(body), encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(test_file),
            "-p",
            "no:cacheprovider",
            "--strict-markers",
            "-W",
            "error",
            "-rA",
            "--rootdir",
            str(tmp_path),
            "-c",
            str(tmp_path / "pytest.ini"),
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return tmp_path


def test_the_plugin_is_registered_as_an_entry_point() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "personalize_lite"]
    assert [ep.value for ep in found] == ["personalize_lite.testing.pytest_plugin"]


def test_a_users_test_file_passes(user_dir: Path) -> None:
    result = run_user_tests(user_dir, PASSING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed" in result.stdout, result.stdout
    assert "failed" not in result.stdout


def test_the_marker_is_documented(user_dir: Path) -> None:
    result = run_user_tests(user_dir, "", "--markers")
    assert result.returncode == 0, result.stderr
    assert "@pytest.mark.personalize_cassette(*cassettes, strict=False)" in result.stdout


def test_mismatches_fail_with_the_clear_message(user_dir: Path) -> None:
    result = run_user_tests(user_dir, FAILING)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 1 passed, 3 errors" in out, out
    outcomes = {
        tuple(line.split(" - ")[0].split(" "))
        for line in out.splitlines()
        if " test_user.py::" in line
    }
    assert outcomes == {
        ("FAILED", "test_user.py::test_marker_mismatch"),
        ("FAILED", "test_user.py::test_fixture_mismatch"),
        # the code under test swallowed the mismatch: the call passes, the teardown fails
        ("PASSED", "test_user.py::test_swallowed_mismatch"),
        ("ERROR", "test_user.py::test_swallowed_mismatch"),
        ("ERROR", "test_user.py::test_strict_on_an_ordinary_cassette"),
        ("ERROR", "test_user.py::test_marker_without_cassettes"),
    }
    assert "CassetteMismatchError: no recorded interaction matches this request" in out
    assert "closest: cassette 'active-full', interaction 1" in out
    assert "closest: cassette 'pending', interaction 1" in out
    assert "1 request(s) did not match the cassettes and the error was not raised" in out
    assert "'active-full', interaction 1 has no recorded Authorization" in out
    assert "takes cassette names or paths and strict=" in out
