"""``make run``: describe jobs from the bundled fixtures through the real CLI and a real
HTTP exchange with a loopback server. No AWS account, no network beyond 127.0.0.1.

Credentials come from the environment: ``make run`` sets the AWS documentation's example
keys (``AKIDEXAMPLE``), so nothing real is needed or used.
"""

from __future__ import annotations

import os
import sys

from .._cli import main as cli_main
from ._server import FixtureServer, default_fixtures

#: (ARN, the exit code the CLI must give): a job that exists, and one that does not.
_CALLS = (
    ("arn:aws:personalize:us-east-1:123456789012:batch-inference-job/movie-recs-full", 0),
    ("arn:aws:personalize:us-east-1:123456789012:batch-inference-job/no-such-job", 1),
)


def main() -> int:
    os.environ.setdefault("AWS_REGION", "us-east-1")
    failures = 0
    with FixtureServer([default_fixtures()]) as server:
        for arn, expected in _CALLS:
            print(f"$ personalize-lite describe {arn} --endpoint-url {server.url}", flush=True)
            code = cli_main(["describe", arn, "--endpoint-url", server.url])
            print(f"(exit code {code}, expected {expected})\n", flush=True)
            failures += code != expected
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
