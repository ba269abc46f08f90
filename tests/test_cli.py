"""Tests for personalize_lite._cli, run the way a user runs it: a subprocess of
``python -m personalize_lite`` (and the installed console script) against a
FixtureServer started in the test process, with a minimal environment whose AWS files
live under tmp_path. ``serve`` runs as a subprocess too (the emulator, on --port 0),
except its refusals, which happen before anything is bound and run in-process.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from personalize_lite import __version__
from personalize_lite._cli import main as cli_main
from personalize_lite.testing import FixtureServer
from personalize_lite.testing.demo import main as demo_main
from tests.support.jobs import AKID, FULL_ARN, MISSING_ARN, SECRET, TOKEN
from tests.support.paths import FIXTURES as FIXTURES_DIR

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
    out, err = capsys.readouterr()
    # The lifecycle, in order: create, list, wait, describe; then a missing job.
    steps = [line for line in out.splitlines() if line.startswith("$ personalize-lite ")]
    assert [step.split()[2] for step in steps] == [
        "serve", "create", "list", "wait", "describe", "describe",
    ]  # fmt: skip
    assert '"batchInferenceJobArn": "arn:aws:personalize:us-east-1:123456789012:' in out
    assert "batch-inference-job/demo-recs" in out
    assert out.count("(exit code 0, expected 0)") == 4
    assert out.count("(exit code 1, expected 1)") == 1
    assert re.search(r"^demo-recs +(PENDING|IN_PROGRESS|ACTIVE) ", out, re.MULTILINE)
    assert re.search(r'"status": "ACTIVE"', out)  # what wait printed
    assert re.search(r"^Status +ACTIVE$", out, re.MULTILINE)  # what describe printed
    assert "ACTIVE" in err  # wait's progress lines
    # It drives `personalize-lite serve` (signatures checked) and stops it with SIGTERM.
    assert out.startswith(
        "$ personalize-lite serve --port 0 --job-duration 2 &\npersonalize-lite emulator listening"
    )
    assert out.rstrip().endswith("personalize-lite emulator stopped (SIGTERM)")
    assert "ResourceNotFoundException (HTTP 400" in err


# ------------------------------------------------------------ personalize-lite serve
# The emulator as a user starts it: a subprocess on --port 0, its address read from the
# ready line, stopped with a signal.

READY = re.compile(
    r"^personalize-lite emulator listening on (http://127\.0\.0\.1:(\d+)) "
    r"\((\d+) cassettes, (\d+) job ARNs\)$"
)
#: Generous for a 2-core machine; the emulator is typically ready in ~0.3 s.
READY_WITHIN = 3.0


@dataclasses.dataclass
class Emulator:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    url: str
    ready_line: str
    seconds_to_ready: float

    def stop(self, sig: signal.Signals) -> tuple[int, list[str], str]:
        """Send ``sig``; the exit code, the stdout lines after the ready one, stderr."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=10)
        rest: list[str] = []
        while (line := self.lines.get(timeout=5)) is not None:
            rest.append(line)
        assert self.process.stderr is not None
        return code, rest, self.process.stderr.read()


@contextlib.contextmanager
def serve(env: dict[str, str], *args: str) -> Iterator[Emulator]:
    """Start ``personalize-lite serve --port 0 ARGS`` and wait for its ready line."""
    started = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "personalize_lite", "serve", "--port", "0", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            with contextlib.suppress(ValueError, OSError):  # closed under us after a kill
                for line in process.stdout:
                    lines.put(line.rstrip("\n"))
            lines.put(None)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            ready = lines.get(timeout=30)
            seconds = time.monotonic() - started
            assert ready is not None, process.stderr.read() if process.stderr else ""
            found = READY.match(ready)
            assert found, ready
            yield Emulator(process, lines, found.group(1), ready, seconds)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            reader.join(timeout=5)


def run_together(
    *calls: tuple[list[str], dict[str, str]],
) -> list[subprocess.CompletedProcess[str]]:
    """``run`` each (args, env) at the same time (the emulator serves them concurrently)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: run(*call), calls))


def bundled_counts() -> tuple[int, int]:
    """(cassettes, distinct job ARNs) in fixtures/."""
    arns: set[str] = set()
    files = sorted(FIXTURES_DIR.glob("*.json"))
    for path in files:
        for item in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            arns.add(json.loads(item["request"]["body"])["batchInferenceJobArn"])
    return len(files), len(arns)


def test_serve_is_ready_fast_and_checks_signatures(cli_env: dict[str, str]) -> None:
    with serve(cli_env) as emulator:
        assert emulator.seconds_to_ready < READY_WITHIN
        found = READY.match(emulator.ready_line)
        assert found is not None
        assert int(found.group(2)) > 0
        assert (int(found.group(3)), int(found.group(4))) == bundled_counts()
        wrong = {**cli_env, "AWS_SECRET_ACCESS_KEY": "not-the-example-secret"}
        stranger = {**cli_env, "AWS_ACCESS_KEY_ID": "AKIDSTRANGER"}
        ok, missing, bad_secret, bad_key = run_together(
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], cli_env),
            (["describe", MISSING_ARN, "--endpoint-url", emulator.url], cli_env),
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], wrong),
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], stranger),
        )
        code, rest, stderr = emulator.stop(signal.SIGTERM)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == expected_full_job()
    assert missing.returncode == 1
    assert_one_clean_error_line(missing, "ResourceNotFoundException", "HTTP 400")
    # Signatures are checked.
    assert bad_secret.returncode == 1
    assert_one_clean_error_line(bad_secret, "InvalidSignatureException (HTTP 400")
    assert bad_key.returncode == 1
    assert_one_clean_error_line(bad_key, "UnrecognizedClientException (HTTP 400")
    assert code == 0
    assert rest == ["personalize-lite emulator stopped (SIGTERM)"]
    assert stderr == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda sig: sig.name)
def test_serve_stops_cleanly_on_a_signal(cli_env: dict[str, str], sig: signal.Signals) -> None:
    with serve(cli_env) as emulator:
        code, rest, stderr = emulator.stop(sig)
    assert code == 0
    assert rest == [f"personalize-lite emulator stopped ({sig.name})"]
    assert "Traceback" not in stderr
    assert stderr == ""


def test_serve_with_a_given_key_pair(cli_env: dict[str, str]) -> None:
    custom = {**cli_env, "AWS_ACCESS_KEY_ID": "AKIDLOCALTEST", "AWS_SECRET_ACCESS_KEY": "s3cr3t/+="}
    args = ["--access-key", "AKIDLOCALTEST", "--secret-key", "s3cr3t/+="]
    with serve(cli_env, *args) as emulator:
        accepted, example_keys = run_together(
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], custom),
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], cli_env),
        )
        code, rest, stderr = emulator.stop(signal.SIGTERM)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout) == expected_full_job()
    assert example_keys.returncode == 1  # the given pair replaces the example keys
    assert_one_clean_error_line(example_keys, "UnrecognizedClientException")
    assert code == 0
    for text in (emulator.ready_line, *rest, stderr):
        assert "s3cr3t" not in text
    # A secret on the command line is readable by every user (ps): said once, on stderr.
    assert stderr.splitlines() == [SECRET_NOTICE]


SECRET_NOTICE = (
    "personalize-lite: notice: --secret-key is visible to other users in the process list; "
    "prefer --secret-key-file PATH or $PERSONALIZE_LITE_EMULATOR_SECRET_KEY"
)
LOCAL_KEY = "AKIDLOCALTEST"
LOCAL_SECRET = "s3cr3t/+=fromafile"


def test_serve_reads_the_secret_from_a_file_or_the_environment(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    secret_file = tmp_path / "emulator-secret"
    secret_file.write_text(f"  {LOCAL_SECRET}\n", encoding="utf-8")
    secret_file.chmod(0o600)
    custom = {**cli_env, "AWS_ACCESS_KEY_ID": LOCAL_KEY, "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET}
    ways: tuple[tuple[dict[str, str], list[str]], ...] = (
        (cli_env, ["--secret-key-file", str(secret_file)]),
        ({**cli_env, "PERSONALIZE_LITE_EMULATOR_SECRET_KEY": LOCAL_SECRET}, []),
        # The file wins over the environment.
        ({**cli_env, "PERSONALIZE_LITE_EMULATOR_SECRET_KEY": "other"},
         ["--secret-key-file", str(secret_file)]),
    )  # fmt: skip
    for serve_env, args in ways:
        with serve(serve_env, "--access-key", LOCAL_KEY, *args) as emulator:
            accepted, example_keys = run_together(
                (["describe", FULL_ARN, "--endpoint-url", emulator.url], custom),
                (["describe", FULL_ARN, "--endpoint-url", emulator.url], cli_env),
            )
            code, rest, stderr = emulator.stop(signal.SIGTERM)
        assert accepted.returncode == 0, (args, accepted.stderr)
        assert json.loads(accepted.stdout) == expected_full_job()
        assert example_keys.returncode == 1
        assert_one_clean_error_line(example_keys, "UnrecognizedClientException (HTTP 400")
        assert code == 0
        assert stderr == ""  # no notice: the secret is not in the process list
        for text in (emulator.ready_line, *rest):
            assert LOCAL_SECRET not in text


def test_serve_checks_the_region_when_given(cli_env: dict[str, str]) -> None:
    with serve(cli_env, "--region", "eu-west-1") as emulator:
        here, elsewhere = run_together(
            (["describe", FULL_ARN, "--endpoint-url", emulator.url, "--region", "eu-west-1"],
             cli_env),
            (["describe", FULL_ARN, "--endpoint-url", emulator.url], cli_env),  # us-east-1
        )  # fmt: skip
        emulator.stop(signal.SIGTERM)
    assert here.returncode == 0, here.stderr
    assert elsewhere.returncode == 1
    assert_one_clean_error_line(
        elsewhere,
        "InvalidSignatureException (HTTP 400",
        "Credential should be scoped to a valid region, not 'us-east-1'",
    )


def test_serve_help_documents_the_secret_sources_and_the_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from personalize_lite import _cli
    from personalize_lite.testing import _emulator, _server

    with pytest.raises(SystemExit) as exited:
        cli_main(["serve", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "--secret-key-file PATH",
        "$PERSONALIZE_LITE_EMULATOR_SECRET_KEY",
        "visible to other users in the process list",
        "at most 4096 bytes",
        "--region REGION",
        "idle for 10 s is closed",
        "at most 64 are served at once",
    ):
        assert needle in text
    assert "{" not in text  # no f-string left unformatted
    # The CLI repeats these (so that --help imports nothing more): they must agree.
    assert _cli.SECRET_KEY_ENV == _emulator.SECRET_KEY_ENV
    assert (_cli.IDLE_TIMEOUT, _cli.MAX_CONNECTIONS) == (
        _server.IDLE_TIMEOUT,
        _server.MAX_CONNECTIONS,
    )


def test_serve_reads_a_fixtures_directory(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "only.json").write_text(
        (FIXTURES_DIR / "lifecycle.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with serve(cli_env, "--fixtures", str(tmp_path)) as emulator:
        assert emulator.ready_line.endswith("(1 cassettes, 1 job ARNs)")
        full = run(["describe", FULL_ARN, "--endpoint-url", emulator.url], cli_env)
        emulator.stop(signal.SIGTERM)
    assert full.returncode == 1  # not in this directory
    assert_one_clean_error_line(full, "ResourceNotFoundException")
    # (One cassette file as --fixtures: every test in test_emulator_boto3.py.)


@pytest.mark.parametrize("host", ["0.0.0.0", "example.com"])  # noqa: S104 (refused)
def test_serve_refuses_a_non_loopback_host(cli_env: dict[str, str], host: str) -> None:
    result = run(["serve", "--port", "0", "--host", host], cli_env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"--host: {host!r} is not a loopback address" in result.stderr


# Refusals happen before anything is bound or any signal handler is installed: in-process.


def serve_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """(exit code, stderr) of ``personalize-lite serve ARGS`` run by ``main``."""
    try:
        code = cli_main(["serve", *args])
    except SystemExit as usage:  # argparse's own errors
        code = int(str(usage.code))
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    return code, err


def test_serve_refuses_bad_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.json").write_text('{"version": 2}', encoding="utf-8")
    cases = {
        str(tmp_path / "nowhere"): "does not exist",
        str(empty): "no cassettes (*.json) in",
        str(broken): "not a version 1 cassette",
    }
    for fixtures, needle in cases.items():
        code, err = serve_in_process(capsys, "--port", "0", "--fixtures", fixtures)
        assert code == 2, fixtures
        assert err.startswith("personalize-lite: error: --fixtures: ")
        assert needle in err
        assert len(err.splitlines()) == 1


def test_serve_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PERSONALIZE_LITE_EMULATOR_SECRET_KEY", raising=False)
    secret_file = tmp_path / "secret"
    secret_file.write_text("x", encoding="utf-8")
    cases = {
        ("--access-key", "AKIDLOCALTEST"): (
            "--access-key needs its secret: --secret-key-file PATH, "
            "$PERSONALIZE_LITE_EMULATOR_SECRET_KEY or --secret-key"
        ),
        ("--access-key", "", "--secret-key", ""): "must not be empty",
        ("--secret-key", "abc"): "--secret-key and --secret-key-file need --access-key",
        ("--secret-key-file", str(secret_file)): "need --access-key",
        (
            "--access-key", "A", "--secret-key", "abc", "--secret-key-file", str(secret_file),
        ): "not allowed with argument",
        ("--port", "70000"): "--port must be between 0 and 65535",
        ("--host", "10.0.0.1"): "--host: '10.0.0.1' is not a loopback address",
        ("--region", "Not A Region"): "--region: 'Not A Region' is not a region name",
    }  # fmt: skip
    for args, needle in cases.items():
        code, err = serve_in_process(capsys, *args)
        assert code == 2, args
        assert err.startswith("usage: personalize-lite serve ")
        assert needle in err


def test_serve_refuses_a_secret_file_it_cannot_use_without_quoting_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quoted = "QUOTED-SECRET-MATERIAL"
    files = {
        "empty": b" \n",
        "large": quoted.encode() * 200,  # beyond 4096 bytes
        "binary": b"\xff\xfe" + quoted.encode(),
        "two-words": f"{quoted} {quoted}".encode(),
    }
    cases = {str(tmp_path / "nowhere"): "cannot read", str(tmp_path): "cannot read"}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        cases[str(tmp_path / name)] = {
            "empty": "is empty",
            "large": "is larger than 4096 bytes",
            "binary": "is not UTF-8 text",
            "two-words": "holds more than one word",
        }[name]
    # Refused at once, not read (an endless read before; a FIFO would block the open).
    cases["/dev/zero"] = "cannot read /dev/zero: not a regular file (a character device)"
    for path, needle in cases.items():
        code, err = serve_in_process(
            capsys, "--port", "0", "--access-key", "A", "--secret-key-file", path
        )
        assert code == 2, path
        assert err.startswith("personalize-lite: error: --secret-key-file: "), err
        assert needle in err, err
        assert quoted not in err
        assert len(err.splitlines()) == 1


def test_serve_on_a_taken_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, err = serve_in_process(capsys, "--port", str(port))
    assert code == 1
    assert err.startswith(f"personalize-lite: error: cannot listen on 127.0.0.1 port {port}: ")
    assert len(err.splitlines()) == 1


# ------------------------------------------------------------ output formats and `wait`

LIFECYCLE_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/nightly-batch"
FAILED_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-failed"
RUNNING_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-running"


def test_describe_table(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    out = run(
        ["describe", FULL_ARN, "--endpoint-url", fixture_server.url, "--output", "table"], cli_env
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Name", "movie-recs-full"]
    assert any(line.startswith("Status") and line.endswith("ACTIVE") for line in lines)
    assert any(line.startswith("Mode") and "BATCH_INFERENCE" in line for line in lines)
    assert any(
        line.startswith("Input") and "s3://example-bucket/input/users.json" in line
        for line in lines
    )
    assert any(line.startswith("Created") and "2023-11-14 22:13:20 UTC" in line for line in lines)
    assert any(line.startswith("Elapsed") and line.endswith("15m 00s") for line in lines)
    assert not any(line.startswith("Failure reason") for line in lines)


def test_describe_text_is_one_tab_separated_line(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(
        ["describe", FAILED_ARN, "--endpoint-url", fixture_server.url, "--output", "text"], cli_env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1
    fields = out.stdout.rstrip("\n").split("\t")
    assert fields[:3] == ["movie-recs-failed", "CREATE FAILED", "BATCH_INFERENCE"]
    assert fields[6] == "2023-11-14T22:13:20.123000+00:00"
    assert fields[8].startswith("AccessDenied")
    assert len(fields) == 9


def test_wait_prints_one_line_per_status_change_then_the_job(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(
        ["wait", LIFECYCLE_ARN, "--endpoint-url", fixture_server.url, "--interval", "0.05"],
        cli_env,
    )
    assert out.returncode == 0, out.stderr
    statuses = [line.split(" ", 1)[1] for line in out.stderr.splitlines()]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE"]
    assert json.loads(out.stdout)["batchInferenceJob"]["status"] == "ACTIVE"
    assert "\r" not in out.stderr  # no live line when stderr is not a terminal


def test_wait_on_a_failed_job_exits_3_with_the_reason(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(["wait", FAILED_ARN, "--endpoint-url", fixture_server.url], cli_env)
    assert out.returncode == 3
    assert "AccessDenied" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_wait_times_out_with_exit_4(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    out = run(
        [
            "wait",
            RUNNING_ARN,
            "--endpoint-url",
            fixture_server.url,
            "--interval",
            "0.05",
            "--timeout",
            "0.3",
        ],
        cli_env,
    )
    assert out.returncode == 4
    assert "last status: IN PROGRESS" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--interval", "0"], 2),
        (["--timeout", "-1"], 2),
        (["--interval", "soon"], 2),
    ],
)
def test_wait_rejects_bad_numbers(
    args: list[str], code: int, fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(["wait", LIFECYCLE_ARN, "--endpoint-url", fixture_server.url, *args], cli_env)
    assert out.returncode == code
    assert "Traceback" not in out.stderr


def test_wait_not_found_exits_1(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    out = run(["wait", MISSING_ARN, "--endpoint-url", fixture_server.url], cli_env)
    assert out.returncode == 1
    assert "ResourceNotFoundException" in out.stderr


def test_wait_draws_a_live_line_on_a_terminal(
    fixture_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    """Under a pseudo-terminal the progress is one line redrawn in place (\\r)."""
    import pty

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "personalize_lite",
                "wait",
                LIFECYCLE_ARN,
                "--endpoint-url",
                fixture_server.url,
                "--interval",
                "1.2",
                "--output",
                "text",
            ],
            env=cli_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
        stdout, _ = proc.communicate(timeout=30)
    finally:
        os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    text = screen.decode()
    assert proc.returncode == 0
    assert stdout.decode().split("\t")[1] == "ACTIVE"
    assert text.count("\r\x1b[K") >= 4  # three status changes plus elapsed-time redraws
    assert "IN PROGRESS  (elapsed" in text
    assert "ACTIVE  (elapsed" in text


def test_wait_interrupted_exits_130(fixture_server: FixtureServer, cli_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "personalize_lite",
            "wait",
            RUNNING_ARN,
            "--endpoint-url",
            fixture_server.url,
            "--interval",
            "60",
        ],
        env=cli_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first status line: now sleeping 60 s
    assert first.split(" ", 1)[1].strip() == "IN PROGRESS"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err


# ------------------------------------------------------------ create and list

SV = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatchRole"
JOB_PREFIX = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"


@pytest.fixture
def live_server() -> Iterator[FixtureServer]:
    """Unsigned (the CLI signs anyway), jobs finishing 0.4 s after their creation."""
    with FixtureServer([FIXTURES_DIR], job_duration=0.4, fail_jobs="doomed-*") as server:
        yield server


def create_args(server: FixtureServer, name: str, *extra: str) -> list[str]:
    return [
        "create",
        "--job-name",
        name,
        "--solution-version-arn",
        SV,
        "--role-arn",
        ROLE,
        "--job-input",
        "s3://example-bucket/in.json",
        "--job-output",
        "s3://example-bucket/out/",
        "--endpoint-url",
        server.url,
        *extra,
    ]


def recorded_count() -> int:
    """Jobs the bundled cassettes describe (ARNs with a recorded 200 reply)."""
    from personalize_lite.testing import load_cassettes
    from personalize_lite.testing._server import recorded_jobs

    return len(recorded_jobs(load_cassettes([FIXTURES_DIR])))


def test_create_prints_the_arn_as_json_and_sends_every_option(
    live_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(
        create_args(
            live_server,
            "cli-made",
            "--num-results",
            "12",
            "--filter-arn",
            "arn:aws:personalize:us-east-1:123456789012:filter/f",
            "--tag",
            "team=recs",
            "--tag",
            "cost=a=b",
        ),
        cli_env,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"batchInferenceJobArn": JOB_PREFIX + "cli-made"}
    assert out.stderr == ""
    described = live_server.jobs.describe(JOB_PREFIX + "cli-made")
    assert described is not None
    job = described["batchInferenceJob"]
    assert job["numResults"] == 12
    assert job["filterArn"].endswith(":filter/f")
    assert job["jobInput"] == {"s3DataSource": {"path": "s3://example-bucket/in.json"}}
    text = run(create_args(live_server, "cli-text", "--output", "text"), cli_env)
    assert text.stdout == JOB_PREFIX + "cli-text\n"


def test_create_wait_waits_until_active_and_prints_the_job(
    live_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    out = run(create_args(live_server, "cli-waited", "--wait", "--interval", "0.05"), cli_env)
    assert out.returncode == 0, out.stderr
    statuses = [line.split(" ", 1)[1] for line in out.stderr.splitlines()]
    assert statuses[-1] == "ACTIVE"
    assert set(statuses) <= {"PENDING", "IN_PROGRESS", "ACTIVE"}
    job = json.loads(out.stdout)["batchInferenceJob"]
    assert (job["jobName"], job["status"]) == ("cli-waited", "ACTIVE")


def test_create_wait_exits_3_when_the_job_fails_and_4_on_timeout(
    live_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    failed = run(create_args(live_server, "doomed-1", "--wait", "--interval", "0.05"), cli_env)
    assert failed.returncode == 3
    assert failed.stdout == ""
    assert "doomed-*" in failed.stderr.splitlines()[-1]
    slow = run(
        create_args(live_server, "slow", "--wait", "--interval", "0.05", "--timeout", "0.1"),
        cli_env,
    )
    assert slow.returncode == 4
    assert "Traceback" not in slow.stderr


def test_create_errors_exit_1_or_2_with_one_line(
    live_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    assert run(create_args(live_server, "twice"), cli_env).returncode == 0
    again = run(create_args(live_server, "twice"), cli_env)
    assert again.returncode == 1
    assert_one_clean_error_line(again, "ResourceAlreadyExistsException (HTTP 400")
    invalid = run(create_args(live_server, "bad name"), cli_env)
    assert invalid.returncode == 2
    assert_one_clean_error_line(invalid, "ParamValidationError", "jobName")
    for bad_tag in ("novalue", "=value"):
        tagged = run(create_args(live_server, "tagged", "--tag", bad_tag), cli_env)
        assert tagged.returncode == 2
        assert "--tag takes KEY=VALUE" in tagged.stderr
    dup = run(create_args(live_server, "tagged", "--tag", "a=1", "--tag", "a=2"), cli_env)
    assert dup.returncode == 2
    missing = run(["create", "--job-name", "x", "--endpoint-url", live_server.url], cli_env)
    assert missing.returncode == 2
    assert "--solution-version-arn" in missing.stderr
    assert len(live_server.jobs) == 1  # nothing else was created


def test_list_json_is_the_aws_cli_shape_with_every_page_merged(
    live_server: FixtureServer, cli_env: dict[str, str]
) -> None:
    for name in ("older", "newer"):
        assert run(create_args(live_server, name), cli_env).returncode == 0
    out = run(["list", "--page-size", "2", "--endpoint-url", live_server.url], cli_env)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert list(listed) == ["batchInferenceJobs"]
    jobs = listed["batchInferenceJobs"]
    assert [job["jobName"] for job in jobs[:2]] == ["newer", "older"]
    assert len(jobs) == 2 + recorded_count()
    assert len({job["batchInferenceJobArn"] for job in jobs}) == len(jobs)
    full = next(job for job in jobs if job["jobName"] == "movie-recs-full")
    assert full == {
        "batchInferenceJobArn": FULL_ARN,
        "jobName": "movie-recs-full",
        "status": "ACTIVE",
        "creationDateTime": "2023-11-14T22:13:20.123000+00:00",  # as describe prints it
        "lastUpdatedDateTime": "2023-11-14T22:28:20.456000+00:00",
        "solutionVersionArn": SV,
        "batchInferenceJobMode": "BATCH_INFERENCE",
    }
    other = "arn:aws:personalize:us-east-1:123456789012:solution/none/1"
    empty = run(
        ["list", "--solution-version-arn", other, "--endpoint-url", live_server.url], cli_env
    )
    assert json.loads(empty.stdout) == {"batchInferenceJobs": []}


def test_list_table_and_text(live_server: FixtureServer, cli_env: dict[str, str]) -> None:
    table = run(["list", "--output", "table", "--endpoint-url", live_server.url], cli_env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "MODE", "CREATED", "UPDATED", "FAILURE", "REASON"]
    assert len(lines) == 1 + recorded_count()
    failed = next(line for line in lines if line.startswith("movie-recs-failed "))
    assert "CREATE FAILED" in failed
    assert failed.rstrip().endswith("movie-recs-failed.json")
    status_column = lines[0].index("STATUS")
    assert all(line[status_column - 2 : status_column] == "  " for line in lines)
    text = run(["list", "--output", "text", "--endpoint-url", live_server.url], cli_env)
    rows = [line.split("\t") for line in text.stdout.splitlines()]
    assert len(rows) == recorded_count()
    assert all(len(row) == 8 for row in rows)
    assert ["movie-recs-full", "ACTIVE"] in [row[1:3] for row in rows]


def test_list_errors_and_bad_page_sizes(
    live_server: FixtureServer, cli_env: dict[str, str], refused_port: int
) -> None:
    for size in ("0", "101"):
        out = run(["list", "--page-size", size, "--endpoint-url", live_server.url], cli_env)
        assert out.returncode == 2
        assert_one_clean_error_line(out, "ParamValidationError", "maxResults")
    bad = run(
        ["list", "--solution-version-arn", "nope", "--endpoint-url", live_server.url], cli_env
    )
    assert bad.returncode == 2
    gone = run(["list", "--endpoint-url", f"http://127.0.0.1:{refused_port}"], cli_env)
    assert gone.returncode == 1
    assert_one_clean_error_line(gone)


def test_list_keeps_a_replys_escape_sequences_off_the_terminal(cli_env: dict[str, str]) -> None:
    body = {
        "batchInferenceJobs": [
            {"jobName": "evil\x1b]0;owned\x07", "status": "ACTIVE\x9b2J", "failureReason": "a\nb"}
        ]
    }
    # A reply the emulator would never send: served by a tiny loopback server of its own.
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        outputs = {
            output: run(["list", "--output", output, "--endpoint-url", url], cli_env)
            for output in ("json", "table", "text")
        }
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        httpd.server_close()
    for output, result in outputs.items():
        assert result.returncode == 0, (output, result.stderr)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout), output
    assert json.loads(outputs["json"].stdout)["batchInferenceJobs"][0]["status"] == "ACTIVE\x9b2J"
    assert outputs["text"].stdout.count("\n") == 1


def test_serve_help_documents_the_lifecycle_options(capsys: pytest.CaptureFixture[str]) -> None:
    from personalize_lite import _cli
    from personalize_lite.testing import _jobs

    assert _cli.DEFAULT_JOB_DURATION == _jobs.DEFAULT_JOB_DURATION
    assert _cli.DEFAULT_FAIL_JOBS == _jobs.DEFAULT_FAIL_JOBS
    assert _cli.MAX_JOBS == _jobs.MAX_JOBS
    with pytest.raises(SystemExit) as exited:
        cli_main(["serve", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "--job-duration SECONDS",
        "(default 5; 0: ACTIVE at once)",
        "--fail-jobs GLOB",
        "CREATE FAILED (default fail-*)",
        "PENDING for the first tenth of --job-duration, then IN_PROGRESS, then ACTIVE",
        "At most 10000 jobs are created",
    ):
        assert needle in text


@pytest.mark.parametrize("value", ["-1", "nan", "100000"])
def test_serve_refuses_a_bad_job_duration(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = serve_in_process(capsys, "--job-duration", value)
    assert code == 2
    assert "--job-duration must be from 0 to 86400 seconds" in err


def test_serve_passes_the_lifecycle_options_to_the_emulator(cli_env: dict[str, str]) -> None:
    with serve(cli_env, "--job-duration", "0", "--fail-jobs", "nope-*") as emulator:
        made = run(
            [
                "create",
                "--job-name",
                "nope-1",
                "--solution-version-arn",
                SV,
                "--role-arn",
                ROLE,
                "--job-input",
                "s3://b/in",
                "--job-output",
                "s3://b/out/",
                "--wait",
                "--interval",
                "0.05",
                "--endpoint-url",
                emulator.url,
            ],
            cli_env,
        )
        emulator.stop(signal.SIGTERM)
    assert made.returncode == 3  # failed at once: duration 0, name matches --fail-jobs
    assert "nope-*" in made.stderr
