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

``--instructions`` counts instead of timing (deterministic, no clock): each set-up runs
twice under ``valgrind --tool=callgrind`` (user-space instructions, ``PYTHONHASHSEED=0``),
once with the warm-up only and once with ``--calls`` more calls; instructions per call
are (more calls - warm-up only) / calls, so start-up and imports cancel out. Set-ups
``--setups`` (default no-otel, api-only). ``--json`` prints them as one JSON object
(``bench/run.py`` runs it this way).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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
for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 300):
    client.describe_batch_inference_job(ARN)
started = time.perf_counter()
for _ in range(N):
    client.describe_batch_inference_job(ARN)
print((time.perf_counter() - started) / max(N, 1) * 1e6)
"""


SETUPS = ("no-otel", "api-only", "sdk")


def child_env(src: Path) -> dict[str, str]:
    """Ours without PYTHON* and OTEL_* (a provider or sampler named there changes the
    set-up), with ``src`` first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OTEL_"))}
    env["PYTHONPATH"] = str(src)
    return env


def run(mode: str, src: Path, calls: int) -> float:
    out = subprocess.run(  # noqa: S603 - our interpreter and our child code
        [sys.executable, "-c", CHILD, mode, str(calls)],
        env=child_env(src),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(out.stdout.strip())


def callgrind_total(text: str) -> int:
    """The total instruction count of a callgrind output file (its ``summary:`` line,
    ``totals:`` in older versions)."""
    for line in text.splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError("no summary: or totals: line in the callgrind output")


def count(valgrind: str, mode: str, src: Path, calls: int, warmup: int) -> int:
    """Instructions of one child run under callgrind (warm-up, then ``calls`` calls)."""
    env = child_env(src)
    env["PYTHONHASHSEED"] = "0"  # the same dict and set layouts in every run
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(  # noqa: S603 - valgrind, our interpreter and our child code
            [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                CHILD,
                mode,
                str(calls),
                str(warmup),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        return callgrind_total(out.read_text(encoding="utf-8"))


def instructions(setups: list[str], src: Path, calls: int, warmup: int) -> dict[str, float]:
    """Instructions per call of each set-up: (warm-up + ``calls``) - (warm-up only),
    after one plain run of each (a first run compiles bytecode: counted, that would land
    on whichever run came first)."""
    valgrind = shutil.which("valgrind") or "/usr/bin/valgrind"
    for mode in setups:  # untimed, not counted: writes the .pyc files the counted runs read
        run(mode, src, 1)
    return {
        mode: (count(valgrind, mode, src, calls, warmup) - count(valgrind, mode, src, 0, warmup))
        / calls
        for mode in setups
    }


def print_instructions(per_call: dict[str, float], calls: int, warmup: int) -> None:
    first = next(iter(per_call.values()))
    for mode, value in per_call.items():
        print(
            f"{mode:9s} {value:10,.0f} instructions/call  ({value / first:.4f}x "
            f"{next(iter(per_call))}; {calls} calls after {warmup} warm-up, callgrind)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, help="src directory of the package before tracing")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, help="timed calls (default 3000; 200 counted)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind"
    )
    parser.add_argument("--warmup", type=int, default=20, help="with --instructions")
    parser.add_argument(
        "--setups",
        default="no-otel,api-only",
        help=f"with --instructions: comma-separated, of {', '.join(SETUPS)}",
    )
    parser.add_argument("--json", action="store_true", help="with --instructions")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    if args.instructions:
        setups = args.setups.split(",")
        if not set(setups) <= set(SETUPS):
            parser.error(f"--setups: one or more of {', '.join(SETUPS)}")
        calls = args.calls or 200
        per_call = instructions(setups, here, calls, args.warmup)
        if args.json:
            print(json.dumps({"calls": calls, "warmup": args.warmup, "per_call": per_call}))
        else:
            print_instructions(per_call, calls, args.warmup)
        return
    args.calls = args.calls or 3000
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
