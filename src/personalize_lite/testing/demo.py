"""``make run``: what a newcomer does, in one go. Start the local emulator
(``personalize-lite serve --port 0 --job-duration 2``, SigV4 checked), read its address
from the line it prints when ready, then play a job's lifecycle against it with the CLI:
``create`` a job, ``list`` the jobs, ``wait`` until the job is ACTIVE, ``describe`` it;
then ``describe`` a job that does not exist, and stop the emulator with SIGTERM.

The CLI signs with the AWS documentation's example keys, read from the bundled
``credentials/example.json`` (the pair the emulator accepts), so every exchange is a real
signed request that the emulator verifies. Nothing talks to AWS or leaves 127.0.0.1.
Exit code 0 when every call ends as expected (0 for the lifecycle, then 1).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Final

from ._emulator import example_credentials

__all__ = ["main"]

#: Seconds the demo's jobs take from PENDING to ACTIVE.
JOB_DURATION: Final = 2.0
_JOB: Final = "demo-recs"
_JOB_ARN: Final = f"arn:aws:personalize:us-east-1:123456789012:batch-inference-job/{_JOB}"
_MISSING_ARN: Final = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/no-such-job"
#: (CLI arguments, the exit code the CLI must give): the lifecycle, then a missing job.
_CALLS: Final = (
    (
        (
            "create",
            "--job-name",
            _JOB,
            "--solution-version-arn",
            "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b",
            "--role-arn",
            "arn:aws:iam::123456789012:role/PersonalizeBatchRole",
            "--job-input",
            "s3://example-bucket/input/users.json",
            "--job-output",
            "s3://example-bucket/output/demo-recs/",
            "--tag",
            "team=recs",
        ),
        0,
    ),
    (("list", "--output", "table"), 0),
    (("wait", _JOB_ARN, "--interval", "0.5", "--timeout", "30"), 0),
    (("describe", _JOB_ARN, "--output", "table"), 0),
    (("describe", _MISSING_ARN), 1),
)
_CLI: Final = (sys.executable, "-m", "personalize_lite")
_READY: Final = re.compile(r"listening on (http://\S+) ")
#: Never sign with a token from the caller's shell: the example keys go alone.
_DROPPED: Final = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION")


def _client_env() -> dict[str, str]:
    credentials = example_credentials()
    env = {name: value for name, value in os.environ.items() if name not in _DROPPED}
    env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
    env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
    env.setdefault("AWS_REGION", "us-east-1")
    return env


def main() -> int:
    duration = f"{JOB_DURATION:g}"
    print(f"$ personalize-lite serve --port 0 --job-duration {duration} &", flush=True)
    with subprocess.Popen(  # noqa: S603 (our own CLI, by sys.executable)
        [*_CLI, "serve", "--port", "0", "--job-duration", duration],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    ) as emulator:
        try:
            return _drive(emulator)
        finally:
            if emulator.poll() is None:  # it never got SIGTERM: something went wrong
                emulator.kill()


def _drive(emulator: subprocess.Popen[str]) -> int:
    assert emulator.stdout is not None
    ready = emulator.stdout.readline()
    print(ready, end="", flush=True)
    found = _READY.search(ready)
    if found is None:
        print("personalize-lite: the emulator did not start", file=sys.stderr)
        return 1
    url, env, failures = found.group(1), _client_env(), 0
    for args, expected in _CALLS:
        print(f"\n$ personalize-lite {' '.join(args)} --endpoint-url {url}", flush=True)
        result = subprocess.run(  # noqa: S603 (our own CLI, by sys.executable)
            [*_CLI, *args, "--endpoint-url", url],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        print(result.stdout, end="", flush=True)
        print(result.stderr, end="", file=sys.stderr, flush=True)
        print(f"(exit code {result.returncode}, expected {expected})", flush=True)
        failures += result.returncode != expected
    print("\n$ kill -TERM %1", flush=True)
    emulator.terminate()
    print(emulator.communicate(timeout=10)[0], end="", flush=True)
    failures += emulator.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
