"""Per-call cost of the tracing hooks: DescribeBatchInferenceJob over httpx.MockTransport
(no network), sync client, in four set-ups, each in a fresh interpreter, the set-ups
interleaved round by round so machine noise falls on all of them alike.

    base      the package before tracing (``--base SRC``: a ``src`` directory of it)
    no-otel   this package, opentelemetry never imported (the default for most users)
    api-only  this package, ``opentelemetry.trace`` imported, no tracer provider set
    sdk       this package, an SDK TracerProvider with no span processor (spans built)

Usage: .venv/bin/python bench/obs_overhead.py [--base BASE/src] [--rounds 7]
(BASE from: BASE=$(mktemp -d) && git archive 0f0a469 src | tar -x -C "$BASE")
Prints, per set-up, the median over rounds of each round's µs per call (N calls after a
warm-up), and min..max.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
mode = sys.argv[1]
if mode == "api-only":
    import opentelemetry.trace
elif mode == "sdk":
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())
import httpx
import personalize_lite as pl
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/j"
JOB = json.dumps({"batchInferenceJob": {"jobName": "j", "batchInferenceJobArn": ARN,
    "status": "ACTIVE", "creationDateTime": 1.7e9, "lastUpdatedDateTime": 1.7e9}}).encode()
answer = lambda request: httpx.Response(200, content=JOB, headers={"x-amzn-RequestId": "r"})
client = pl.PersonalizeClient(
    region="us-east-1",
    credentials=pl.Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="x" * 40),
    env={"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"},
    http_client=httpx.Client(transport=httpx.MockTransport(answer)),
)
N = int(sys.argv[2])
for _ in range(300):
    client.describe_batch_inference_job(ARN)
started = time.perf_counter()
for _ in range(N):
    client.describe_batch_inference_job(ARN)
print((time.perf_counter() - started) / N * 1e6)
"""


def run(mode: str, src: Path, calls: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(src)
    out = subprocess.run(  # noqa: S603 - our interpreter and our child code
        [sys.executable, "-c", CHILD, mode, str(calls)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, help="src directory of the package before tracing")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    setups = {"no-otel": here, "api-only": here, "sdk": here}
    if args.base is not None:
        setups = {"base": args.base, **setups}
    results: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(args.rounds):
        for name, src in setups.items():
            mode = "no-otel" if name == "base" else name
            results[name].append(run(mode, src, args.calls))
    for name, runs in results.items():
        print(
            f"{name:9s} median {statistics.median(runs):6.1f} us/call  "
            f"(min {min(runs):.1f}, max {max(runs):.1f}, {len(runs)} rounds x {args.calls})"
        )


if __name__ == "__main__":
    main()
