"""Tests for personalize_lite.credentials._process: the credential_process provider.

Small Python scripts written to tmp_path are run with sys.executable, through the real
sync and async drivers (tests/support/drive.py). Parity tests run botocore's ProcessProvider on
the same command.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore.compat
import botocore.credentials
import botocore.exceptions
import pytest

from personalize_lite._config import load_aws_files, resolve_settings
from personalize_lite._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    ParamValidationError,
)
from personalize_lite._steps import Plan
from personalize_lite.credentials._base import Credentials, ProviderContext
from personalize_lite.credentials._process import DEFAULT_TIMEOUT, ProcessProvider, split_command
from tests.support.drive import async_runner, sync_runner

AKID = "AKIDPROCESSEXAMPLE"
SECRET = "processSecretEXAMPLEwJalrXUtnFEMI/K7MDENG"
TOKEN = "processSessionTokenEXAMPLE+/="
GOOD = {"Version": 1, "AccessKeyId": AKID, "SecretAccessKey": SECRET, "SessionToken": TOKEN}


# --------------------------------------------------------------------------- helpers


def script_command(tmp_path: Path, body: str, *, directory: str = "bin dir") -> str:
    """Write a Python script (in a directory with a space) and return the
    ``credential_process`` line that runs it with this interpreter."""
    folder = tmp_path / directory
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "creds script.py"
    script.write_text("import json, os, sys, time\n" + body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def printing(tmp_path: Path, output: Any) -> str:
    """A command printing ``output`` (JSON-encoded unless it is a str)."""
    text = output if isinstance(output, str) else json.dumps(output)
    return script_command(tmp_path, f"sys.stdout.write({text!r})\n")


def make_ctx(tmp_path: Path, command: str | None, *, extra: str = "") -> ProviderContext:
    config = tmp_path / "config"
    lines = "[profile dev]\nregion = eu-west-1\n"
    if command is not None:
        lines += f"credential_process = {command}\n"
    config.write_text(lines + extra, encoding="utf-8")
    env = {
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, profile="dev")
    return ProviderContext(
        env=env, files=files, settings=settings, clock=lambda: datetime.now(timezone.utc)
    )


def run(plan: Plan[Any]) -> Any:
    with sync_runner() as runner:
        return runner(plan)


def assert_no_secrets(value: object) -> None:
    for text in (str(value), repr(value)):
        assert SECRET not in text
        assert TOKEN not in text


def process_error(ctx: ProviderContext, **kwargs: Any) -> CredentialRetrievalError:
    with pytest.raises(CredentialRetrievalError) as info:
        run(ProcessProvider(ctx, **kwargs).load())
    assert info.value.provider == "custom-process"
    assert_no_secrets(info.value)
    return info.value


# --------------------------------------------------------------------------- success


def test_sync_driver_runs_the_process(tmp_path: Path) -> None:
    provider = ProcessProvider(make_ctx(tmp_path, printing(tmp_path, GOOD)))
    credentials = run(provider.load())
    assert credentials == Credentials(
        access_key_id=AKID, secret_access_key=SECRET, session_token=TOKEN
    )
    assert credentials.expiration is None
    assert_no_secrets(credentials)
    assert repr(provider) == "ProcessProvider(profile='dev')"


@pytest.mark.anyio
async def test_async_driver_runs_the_process(tmp_path: Path) -> None:
    output = {**GOOD, "Expiration": "2030-01-02T03:04:05Z"}
    provider = ProcessProvider(make_ctx(tmp_path, printing(tmp_path, output)))
    async with async_runner() as runner:
        credentials = await runner(provider.load())
    assert credentials.access_key_id == AKID
    assert credentials.secret_access_key == SECRET
    assert credentials.expiration == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.anyio
async def test_async_driver_reports_failures(tmp_path: Path) -> None:
    command = script_command(tmp_path, "sys.stderr.write('denied\\n'); sys.exit(3)\n")
    provider = ProcessProvider(make_ctx(tmp_path, command))
    async with async_runner() as runner:
        with pytest.raises(CredentialRetrievalError, match="exited with code 3: denied"):
            await runner(provider.load())


@pytest.mark.parametrize(
    ("expiration", "expected"),
    [
        ("2030-01-02T03:04:05Z", datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2030-01-02T05:04:05+02:00", datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2030-01-02T03:04:05.123Z", datetime(2030, 1, 2, 3, 4, 5, 123000, tzinfo=timezone.utc)),
    ],
)
def test_expiration_is_honoured(tmp_path: Path, expiration: str, expected: datetime) -> None:
    output = {**GOOD, "Expiration": expiration}
    credentials = run(ProcessProvider(make_ctx(tmp_path, printing(tmp_path, output))).load())
    assert credentials.expiration == expected


def test_session_token_is_optional(tmp_path: Path) -> None:
    output = {"Version": 1, "AccessKeyId": AKID, "SecretAccessKey": SECRET}
    credentials = run(ProcessProvider(make_ctx(tmp_path, printing(tmp_path, output))).load())
    assert credentials.session_token is None


def test_arguments_quoting_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments with spaces and quotes arrive intact; the process inherits os.environ."""
    monkeypatch.setenv("PL_PROCESS_MARKER", "inherited")
    body = (
        "args = sys.argv[1:]\n"
        "ok = args == ['two words', \"it's\", '--flag'] "
        "and os.environ.get('PL_PROCESS_MARKER') == 'inherited'\n"
        f"print(json.dumps({GOOD!r}) if ok else 'wrong: ' + repr(args))\n"
        "sys.exit(0 if ok else 5)\n"
    )
    command = script_command(tmp_path, body, directory="dir with 'quote' and space")
    command += " 'two words' \"it's\" --flag"
    credentials = run(ProcessProvider(make_ctx(tmp_path, command)).load())
    assert credentials.access_key_id == AKID


# --------------------------------------------------------------------------- configuration


def test_not_configured_returns_none(tmp_path: Path) -> None:
    provider = ProcessProvider(make_ctx(tmp_path, None))
    assert run(provider.load()) is None
    assert provider.skip_reason() == "profile 'dev' has no credential_process"


def test_credentials_file_section_counts(tmp_path: Path) -> None:
    # botocore's scoped config: the credentials file's section of the profile counts too.
    shared = tmp_path / "credentials"
    shared.write_text(f"[dev]\ncredential_process = {printing(tmp_path, GOOD)}\n", "utf-8")
    ctx = make_ctx(tmp_path, None)
    env = {**ctx.env, "AWS_SHARED_CREDENTIALS_FILE": str(shared)}
    files = load_aws_files(env)
    ctx = ProviderContext(
        env=env,
        files=files,
        settings=resolve_settings(env=env, files=files, profile="dev"),
        clock=ctx.clock,
    )
    assert run(ProcessProvider(ctx).load()).access_key_id == AKID


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("'unterminated", "unterminated quote"),
        ("''", "has no command to run"),
        ('"" arg', "has no command to run"),
        ("   ", "has no command to run"),
    ],
)
def test_bad_command_lines(tmp_path: Path, command: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        run(ProcessProvider(make_ctx(tmp_path, command)).load())


def test_nested_value_is_rejected(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "\n  a = b")
    with pytest.raises(ConfigurationError, match="single value"):
        run(ProcessProvider(ctx).load())


# --------------------------------------------------------------------------- bad output


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ({**GOOD, "Version": 2}, "Unsupported version 2 for credential process provider"),
        ({**GOOD, "Version": "1"}, "Unsupported version <a JSON str>"),
        ({**GOOD, "Version": True}, "Unsupported version <a JSON bool>"),
        (
            {k: v for k, v in GOOD.items() if k != "Version"},
            "Unsupported version <Version key not provided>",
        ),
        ("not json " + SECRET, "is not JSON"),
        ("", "is not JSON"),
        (json.dumps([GOOD]), "is not a JSON object"),
        ({"Version": 1, "AccessKeyId": AKID}, "Missing required key in response: SecretAccessKey"),
        ({"Version": 1, "SessionToken": TOKEN}, "AccessKeyId, SecretAccessKey"),
        ({**GOOD, "SecretAccessKey": 12}, "SecretAccessKey in the output"),
        ({**GOOD, "AccessKeyId": "AKID WITH SPACE"}, "access_key_id must not contain whitespace"),
        ({**GOOD, "SecretAccessKey": ""}, "secret_access_key must not be empty"),
        ({**GOOD, "Expiration": "next tuesday"}, "Expiration must be an ISO 8601 timestamp"),
        ({**GOOD, "Expiration": 1900000000}, "Expiration in the output"),
    ],
)
def test_bad_output(tmp_path: Path, output: Any, message: str) -> None:
    error = process_error(make_ctx(tmp_path, printing(tmp_path, output)))
    assert message in str(error)
    assert repr(sys.executable) in str(error)  # names the program


def test_stdout_not_utf8(tmp_path: Path) -> None:
    command = script_command(tmp_path, "sys.stdout.buffer.write(b'\\xff\\xfe{}')\n")
    error = process_error(make_ctx(tmp_path, command))
    assert "is not UTF-8 text" in str(error)


# --------------------------------------------------------------------------- failures


def test_non_zero_exit_shows_code_and_stderr(tmp_path: Path) -> None:
    body = (
        f"print(json.dumps({GOOD!r}))\n"
        "sys.stderr.write('token expired\\nrun login again\\n')\n"
        "sys.exit(7)\n"
    )
    error = process_error(make_ctx(tmp_path, script_command(tmp_path, body)))
    assert str(error) == (
        f"custom-process: credential_process {sys.executable!r} exited with code 7: "
        "token expired | run login again"
    )


def test_long_stderr_is_truncated(tmp_path: Path) -> None:
    body = "sys.stderr.write('x' * 5000 + 'END'); sys.exit(1)\n"
    error = process_error(make_ctx(tmp_path, script_command(tmp_path, body)))
    assert "exited with code 1: xxx" in str(error)
    assert "END" not in str(error)
    assert len(str(error)) < 400


def test_killed_by_signal(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX signals")
    body = "import signal; os.kill(os.getpid(), signal.SIGTERM)\n"
    error = process_error(make_ctx(tmp_path, script_command(tmp_path, body)))
    assert "was killed by signal 15" in str(error)


def test_missing_executable(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir" / "credential-helper"
    error = process_error(make_ctx(tmp_path, shlex.quote(str(missing)) + " --secret-arg"))
    assert "command not found" in str(error)
    assert str(missing) in str(error)
    assert "--secret-arg" not in str(error)  # arguments may hold secrets


def test_not_executable(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX permissions")
    helper = tmp_path / "helper.sh"
    helper.write_text("#!/bin/sh\necho {}\n", encoding="utf-8")
    helper.chmod(stat.S_IRUSR | stat.S_IWUSR)
    error = process_error(make_ctx(tmp_path, str(helper)))
    assert "permission denied" in str(error)


def test_timeout_kills_the_process(tmp_path: Path) -> None:
    assert DEFAULT_TIMEOUT == 60.0
    marker = tmp_path / "finished"
    body = f"time.sleep(30)\nopen({str(marker)!r}, 'w').close()\n"
    ctx = make_ctx(tmp_path, script_command(tmp_path, body))
    started = time.monotonic()
    error = process_error(ctx, timeout=0.5)
    assert time.monotonic() - started < 10
    assert "did not finish within 0.5 seconds and was killed" in str(error)
    assert not marker.exists()


@pytest.mark.anyio
async def test_async_timeout(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, script_command(tmp_path, "time.sleep(30)\n"))
    started = time.monotonic()
    async with async_runner() as runner:
        with pytest.raises(CredentialRetrievalError, match=r"did not finish within 0\.3 seconds"):
            await runner(ProcessProvider(ctx, timeout=0.3).load())
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- botocore parity


@pytest.mark.parametrize(
    "output",
    [GOOD, {**GOOD, "Expiration": "2030-01-02T03:04:05Z"}, {k: GOOD[k] for k in list(GOOD)[:3]}],
)
def test_credentials_match_botocore(tmp_path: Path, output: dict[str, Any]) -> None:
    command = printing(tmp_path, output)
    ours = run(ProcessProvider(make_ctx(tmp_path, command)).load())
    theirs = botocore.credentials.ProcessProvider(
        "dev", lambda: {"profiles": {"dev": {"credential_process": command}}}
    ).load()
    frozen = theirs.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        ours.access_key_id,
        ours.secret_access_key,
        ours.session_token,
    )
    assert getattr(theirs, "_expiry_time", None) == ours.expiration


def test_version_error_matches_botocore(tmp_path: Path) -> None:
    command = printing(tmp_path, {**GOOD, "Version": 2})
    error = process_error(make_ctx(tmp_path, command))
    with pytest.raises(botocore.exceptions.CredentialRetrievalError) as info:
        botocore.credentials.ProcessProvider(
            "dev", lambda: {"profiles": {"dev": {"credential_process": command}}}
        ).load()
    botocore_text = "Unsupported version '2' for credential process provider"
    assert botocore_text in str(info.value)
    assert botocore_text.replace("'", "") in str(error)


@pytest.mark.parametrize(
    "command",
    [
        "a b\tc",
        '"C:\\Program Files\\helper.exe" --profile dev',
        'a\\\\"b c" d',
        'a\\"b c',
        'a\\\\\\"b c',
        'x ""  y',
        "trailing\\\\",
        "  lead  ",
        "",
        "C:\\path\\to\\tool.exe arg",
    ],
)
@pytest.mark.parametrize("platform", ["win32", "linux"])
def test_split_matches_botocore(command: str, platform: str) -> None:
    assert split_command(command, platform=platform) == botocore.compat.compat_shell_split(
        command, platform=platform
    )


@pytest.mark.parametrize("platform", ["win32", "linux"])
def test_unterminated_quote_raises_like_botocore(platform: str) -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        split_command('"open', platform=platform)
    with pytest.raises(ValueError, match="No closing quotation"):
        botocore.compat.compat_shell_split('"open', platform=platform)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "5"])
def test_bad_timeout_is_rejected(tmp_path: Path, timeout: Any) -> None:
    with pytest.raises(ParamValidationError, match="timeout must be a positive"):
        ProcessProvider(make_ctx(tmp_path, None), timeout=timeout)


# --------------------------------------------------------------------------- issue 14


def _traced_error(
    ctx: ProviderContext, **kwargs: Any
) -> tuple[CredentialRetrievalError, int, float]:
    """The error, the peak of traced Python memory while running, and the seconds taken."""
    import tracemalloc

    tracemalloc.start()
    started = time.monotonic()
    try:
        error = process_error(ctx, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, peak, time.monotonic() - started


@pytest.mark.skipif(sys.platform == "win32", reason="bounded only where select() takes pipes")
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_endless_output_is_cut_off_and_the_command_killed(tmp_path: Path, stream: str) -> None:
    """Finding 5: 400 MB of output reached 806 MiB RSS. Now: killed past 1 MiB."""
    marker = tmp_path / "still running"
    body = (
        f"chunk = b'x' * 65536\nstarted = time.monotonic()\n"
        f"while time.monotonic() - started < 20:\n    sys.{stream}.buffer.write(chunk)\n"
        f"open({str(marker)!r}, 'w').close()\n"
    )
    ctx = make_ctx(tmp_path, script_command(tmp_path, body))
    error, peak, elapsed = _traced_error(ctx, timeout=15)
    assert f"wrote more than 1048576 bytes on {stream} and was killed" in str(error)
    assert elapsed < 10
    assert peak < 6 * 1024 * 1024, f"peak {peak} bytes"
    assert not marker.exists()
    assert error.__context__ is None
    assert error.__cause__ is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process handling")
def test_exit_0_with_valid_json_is_success_though_a_background_child_holds_stdout(
    tmp_path: Path,
) -> None:
    """Finding 3: the helper printed valid JSON and exited 0, a background child kept
    stdout open: it was reported as killed (after the whole timeout)."""
    pid_file = tmp_path / "child.pid"
    body = (
        "import subprocess\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        f"sys.stdout.write({json.dumps(GOOD)!r})\nsys.stdout.flush()\nos._exit(0)\n"
    )
    ctx = make_ctx(tmp_path, script_command(tmp_path, body))
    started = time.monotonic()
    try:
        credentials = run(ProcessProvider(ctx, timeout=8).load())
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), 9)
    assert time.monotonic() - started < 6  # EOF_GRACE (1 s) after the exit, not 8 s
    assert credentials == Credentials(
        access_key_id=AKID, secret_access_key=SECRET, session_token=TOKEN
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process handling")
def test_exit_0_with_incomplete_json_and_a_background_child_says_so(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    body = (
        "import subprocess\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        f"sys.stdout.write({json.dumps(GOOD)[:-8]!r})\nsys.stdout.flush()\nos._exit(0)\n"
    )
    ctx = make_ctx(tmp_path, script_command(tmp_path, body))
    started = time.monotonic()
    try:
        error = process_error(ctx, timeout=8)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), 9)
    assert time.monotonic() - started < 6
    assert "is not JSON" in str(error)
    assert "exited with code 0, but a process it started kept its output open" in str(error)
    assert "killed" not in str(error)


def test_timeout_error_keeps_no_timeout_expired_on_its_chain(tmp_path: Path) -> None:
    """Finding 3: ``raise ... from None`` in the except block kept TimeoutExpired (its
    cmd holds the arguments, its stdout the printed secret key) as __context__."""
    body = f"sys.stdout.write({json.dumps(GOOD)!r})\nsys.stdout.flush()\ntime.sleep(30)\n"
    command = script_command(tmp_path, body) + " --secret-arg=SWEEParg"
    error = process_error(make_ctx(tmp_path, command), timeout=1.0)
    assert "did not finish within 1 seconds and was killed" in str(error)
    assert error.__context__ is None
    assert error.__cause__ is None


def test_start_failures_keep_no_os_error_on_their_chain(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "helper"
    error = process_error(make_ctx(tmp_path, shlex.quote(str(missing)) + " --secret-arg"))
    assert error.__context__ is None
    assert error.__cause__ is None
