"""The benchmark harness: personalize-lite against boto3 / aiobotocore and raw httpx floors.

Run as ``.venv-bench/bin/python bench/run.py [--quick] [--json PATH] [--markdown PATH]``
(``make bench`` installs nginx and .venv-bench first). Every case runs in a fresh
interpreter (``bench/cases/<case>.py``) against a local nginx; the cases alternate round by
round, so that drift hits all of them alike, and the report gives medians over rounds.
See bench/README.md for what each figure measures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

import instructions
from cases._replies import LIST_PAGES
from report import Results, document, machine
from server import CannedReply, NginxError, Server, find_nginx, running_nginx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CASES = BENCH / "cases"

#: Seconds any one child may run.
CHILD_TIMEOUT = 120.0
#: ... but the callgrind counts of the tracing cases (6 runs under valgrind, ~1 min here).
TRACING_INSTRUCTIONS_TIMEOUT = 900.0

#: The environment of every child, on top of ours minus AWS_*, PYTHON* and proxy settings.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",  # not a secret: nginx checks nothing
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})

Kind = Literal["cold", "sync", "async", "mock"]


@dataclass(frozen=True)
class Counts:
    calls: int
    warmup: int


@dataclass(frozen=True)
class Case:
    """One measured program: ``bench/cases/<name>.py``, or ``python -c <code>``."""

    name: str
    kind: Kind
    code: str | None = None
    #: Connections one run may open if keep-alive holds; None: not checked.
    max_connections: int | None = 1
    #: Requests one call makes (a 3-page listing: 3); its counts are divided by this, so
    #: that every case of a kind sends about as many requests.
    requests_per_call: int = 1

    def argv(self, endpoint_url: str, counts: Counts | None) -> list[str]:
        if self.code is not None:
            return [sys.executable, "-c", self.code]
        argv = [sys.executable, str(CASES / f"{self.name}.py"), endpoint_url]
        if counts is not None:
            per = self.requests_per_call
            argv += [str(max(1, counts.calls // per)), str(max(1, counts.warmup // per))]
        return argv


# In each list, the order of the first round; later rounds rotate it.
COLD_CASES = (
    Case("ours_cold", "cold"),
    Case("boto3_cold", "cold"),
    Case("httpx_cold", "cold"),
    Case("deps_cold", "cold"),
    Case("python", "cold", code="pass", max_connections=0),
    Case("import_httpx", "cold", code="import httpx", max_connections=0),
)
THROUGHPUT_CASES = (
    Case("ours_sync", "sync"),
    Case("boto3_sync", "sync"),
    Case("httpx_sync", "sync"),
    Case("ours_async", "async", max_connections=50),
    Case("aiobotocore_async", "async", max_connections=50),
    Case("httpx_aiohttp_async", "async", max_connections=50),
    # httpcore keeps at most 20 idle connections: at 50 in flight it churns (orientation).
    Case("httpx_async", "async", max_connections=None),
    Case("ours_mock", "mock"),  # one connection: the reply is fetched from nginx once
    Case("httpx_mock", "mock"),
    # CreateBatchInferenceJob, and ListBatchInferenceJobs: one call is a 3-page listing.
    Case("ours_sync_create", "sync"),
    Case("boto3_sync_create", "sync"),
    Case("httpx_sync_create", "sync"),
    Case("ours_sync_list", "sync", requests_per_call=LIST_PAGES),
    Case("boto3_sync_list", "sync", requests_per_call=LIST_PAGES),
    Case("httpx_sync_list", "sync", requests_per_call=LIST_PAGES),
    Case("ours_async_create", "async", max_connections=50),
    Case("aiobotocore_async_create", "async", max_connections=50),
    Case("httpx_aiohttp_async_create", "async", max_connections=50),
    Case("ours_async_list", "async", max_connections=50, requests_per_call=LIST_PAGES),
    Case("aiobotocore_async_list", "async", max_connections=50, requests_per_call=LIST_PAGES),
    Case("httpx_aiohttp_async_list", "async", max_connections=50, requests_per_call=LIST_PAGES),
)
#: Issue 13: the sync describe case (ours_sync, run as is) with (a) opentelemetry never
#: imported, (b) opentelemetry.trace imported and no tracer provider (no SDK), (c) the SDK's
#: TracerProvider without a span processor (orientation). Their own phase, so that the three
#: run back to back in every round: (b)/(a) is judged against (a)'s own round-to-round spread.
TRACING_CASES = (
    Case("ours_sync_otel_none", "sync"),
    Case("ours_sync_otel_api", "sync"),
    Case("ours_sync_otel_sdk", "sync"),
)
#: ``bench/obs_overhead.py --instructions``: callgrind counts per call of (a), (b) and (c)
#: over a MockTransport (no network); skipped, with a warning, without valgrind.
OBS_OVERHEAD = BENCH / "obs_overhead.py"


@dataclass(frozen=True)
class Settings:
    cold_rounds: int
    rounds: int
    counts: dict[Kind, Counts]
    #: Rounds of TRACING_CASES (three short cases: more rounds, a firmer spread of (a)).
    tracing_rounds: int = 7
    #: Calls counted per set-up under callgrind.
    tracing_instruction_calls: int = 200

    def describe(self) -> str:
        counts = ", ".join(
            f"{kind} {c.calls} calls after {c.warmup} warm-up" for kind, c in self.counts.items()
        )
        return (
            f"{self.cold_rounds} cold-start rounds, {self.rounds} throughput rounds ({counts})"
            + self.describe_tracing()
        )

    def describe_tracing(self) -> str:
        return (
            f"; {self.tracing_rounds} tracing rounds (sync counts), "
            f"{self.tracing_instruction_calls} calls per set-up counted under callgrind"
        )


FULL = Settings(
    cold_rounds=7,
    rounds=5,
    counts={"sync": Counts(2000, 200), "async": Counts(4000, 200), "mock": Counts(5000, 200)},
)
QUICK = Settings(
    cold_rounds=3,
    rounds=2,
    counts={"sync": Counts(300, 50), "async": Counts(500, 100), "mock": Counts(1000, 100)},
    tracing_rounds=3,
    tracing_instruction_calls=100,
)
#: The untimed first run of every case (bytecode caches, a smoke test of each case).
WARMUP_COUNTS: dict[Kind, Counts] = {
    "sync": Counts(20, 5),
    "async": Counts(100, 50),
    "mock": Counts(20, 5),
}


class CaseFailed(RuntimeError):
    """A child exited non-zero, timed out, or printed no result."""


@dataclass(frozen=True)
class Finished:
    seconds: float
    peak_rss_kib: int
    stdout: str


def child_env() -> dict[str, str]:
    """Ours without AWS_*, PYTHON* (PYTHONDONTWRITEBYTECODE among them) and proxies."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PYTHON")) and name.lower() not in _PROXY_VARIABLES
    }
    env.update(AWS_ENV)
    return env


def run_child(
    name: str, argv: list[str], env: dict[str, str], timeout: float = CHILD_TIMEOUT
) -> Finished:
    """Run ``argv``; wall time from spawn to exit, and its peak RSS (``os.wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        killed = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our interpreter and our case scripts
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=REPO
        )

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0 or killed.is_set():
        why = f"timed out after {timeout:.0f} s" if killed.is_set() else "failed"
        raise CaseFailed(
            f"case {name} {why} (exit status {proc.returncode}): {shlex.join(argv)}\n"
            f"--- stderr ---\n{stderr.rstrip()}\n--- stdout ---\n{stdout.rstrip()}"
        )
    return Finished(seconds=seconds, peak_rss_kib=usage.ru_maxrss, stdout=stdout)


class Bench:
    """Runs the cases against one nginx and collects their samples."""

    def __init__(self, server: Server, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.env = child_env()
        self.results = Results()

    def run(self, case: Case, counts: dict[Kind, Counts]) -> dict[str, float]:
        """One run of ``case``: its metrics, plus the connections and requests it made."""
        before = self.server.counters()
        finished = run_child(
            case.name,
            case.argv(self.server.endpoint_url, counts.get(case.kind)),
            self.env,
        )
        after = self.server.counters()
        metrics = {
            "wall_ms": finished.seconds * 1000.0,
            "peak_rss_mib": finished.peak_rss_kib / 1024.0,
            # Each counters() read is one connection and one request of its own.
            "connections": float(after.connections - before.connections - 1),
            "requests": float(after.requests - before.requests - 1),
        }
        if case.kind != "cold":
            try:
                output = json.loads(finished.stdout)
            except ValueError as exc:
                raise CaseFailed(f"case {case.name} printed no JSON: {finished.stdout!r}") from exc
            self.results.notes.update(output.pop("notes", []))
            metrics.update({key: float(value) for key, value in output.items()})
        if case.max_connections is not None and metrics["connections"] > case.max_connections:
            self.results.notes.add(
                f"{case.name} opened {metrics['connections']:.0f} connections in one run "
                f"(at most {case.max_connections} expected): keep-alive did not hold"
            )
        return metrics

    def rounds(self, phase: str, cases: tuple[Case, ...], rounds: int) -> None:
        """``rounds`` rounds over ``cases``, each round starting one case later."""
        for index in range(rounds):
            shift = index % len(cases)
            line = []
            for case in cases[shift:] + cases[:shift]:
                metrics = self.run(case, self.settings.counts)
                self.results.samples.setdefault(case.name, []).append(metrics)
                metric, unit = ("wall_ms", "ms") if case.kind == "cold" else ("us_per_call", "us")
                line.append(f"{case.name} {metrics[metric]:.0f} {unit}")
            log(f"[{phase} {index + 1}/{rounds}] " + ", ".join(line))

    def measure(self, *, with_instructions: bool = True) -> Results:
        log("warm-up: one untimed run of every case (bytecode caches, smoke test)")
        for case in COLD_CASES + THROUGHPUT_CASES:
            self.run(case, WARMUP_COUNTS)
        self.results.notes.clear()  # a warm-up run's notes are seen again in the rounds
        self.rounds("cold start", COLD_CASES, self.settings.cold_rounds)
        self.rounds("throughput", THROUGHPUT_CASES, self.settings.rounds)
        self.tracing(with_instructions=with_instructions)
        return self.results

    def tracing(self, *, with_instructions: bool) -> None:
        """Issue 13's cases, then (unless ``with_instructions`` is false, and if valgrind
        is installed) their instruction counts."""
        for case in TRACING_CASES:
            self.run(case, WARMUP_COUNTS)
        self.rounds("tracing", TRACING_CASES, self.settings.tracing_rounds)
        calls = self.settings.tracing_instruction_calls
        if not with_instructions:
            return
        if instructions.find_valgrind() is None:
            self.results.notes.add("tracing: no instruction counts (valgrind not found)")
            return
        log(f"[tracing] callgrind: instructions per call of (a), (b), (c), {calls} calls each")
        finished = run_child(
            "obs_overhead --instructions",
            [
                sys.executable,
                str(OBS_OVERHEAD),
                "--instructions",
                "--json",
                f"--calls={calls}",
                "--setups=no-otel,api-only,sdk",
            ],
            self.env,
            timeout=TRACING_INSTRUCTIONS_TIMEOUT,
        )
        self.results.tracing_instructions = json.loads(finished.stdout)
        log(f"[tracing] {self.results.tracing_instructions['per_call']}")


def count_instructions(
    server: Server, *, quick: bool, notes: set[str]
) -> instructions.InstructionCounts | None:
    """The sync cases' instructions per call under callgrind (``bench/instructions.py``);
    None, with a note, when there is no valgrind."""
    valgrind = instructions.find_valgrind()
    if valgrind is None:
        notes.add("valgrind not found: no instruction counts (`make bench` installs it)")
        return None
    calls = instructions.QUICK_CALLS if quick else instructions.FULL_CALLS
    log(f"instruction counts: the sync cases under callgrind, {calls} more calls per case")
    return instructions.measure(
        server.endpoint_url, child_env(), calls=calls, valgrind=valgrind, log=log
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup: nginx is stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark personalize-lite against boto3, aiobotocore and raw httpx "
        "(against a local nginx; see bench/README.md)."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {QUICK.describe()} (default: {FULL.describe()})",
    )
    parser.add_argument(
        "--no-instructions",
        action="store_true",
        help="skip the instruction counts (valgrind --tool=callgrind of the sync cases, "
        "after the timed rounds; see bench/instructions.py)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every sample here")
    parser.add_argument(
        "--markdown", type=Path, metavar="PATH", help="write the printed report here too"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    command = shlex.join(
        [os.path.relpath(sys.executable, REPO), os.path.relpath(__file__, REPO), *sys.argv[1:]]
    )
    try:
        nginx = find_nginx()
        info = machine(nginx)
        with running_nginx(nginx, CannedReply.from_fixture()) as server:
            log(f"nginx on {server.endpoint_url}; {settings.describe()}")
            results = Bench(server, settings).measure(with_instructions=not args.no_instructions)
            if not args.no_instructions:
                results.instructions = count_instructions(
                    server, quick=args.quick, notes=results.notes
                )
    except (CaseFailed, NginxError, instructions.InstructionsFailed) as exc:
        log(f"bench: {exc}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    duration = time.perf_counter() - started
    text = document(
        results,
        machine=info,
        command=command,
        settings=settings.describe(),
        duration=duration,
    )
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                results.as_json(
                    machine=info,
                    command=command,
                    settings=settings.describe(),
                    duration=duration,
                ),
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
