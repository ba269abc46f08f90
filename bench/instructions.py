"""Instruction counts of the sync cases against nginx: ``valgrind --tool=callgrind``.

Wall and CPU time on a small shared machine move by tens of percent between rounds;
the number of user-space instructions a client executes does not move with the load.
For each sync case (describe, create and a 3-page listing; personalize-lite, raw httpx
and boto3) the case script runs twice under callgrind against the same nginx, with the
same warm-up: once making ``BASE_CALLS`` timed call, once making ``BASE_CALLS + N``.
Instructions per call are the difference of the two totals divided by ``N``: the
interpreter's start-up, the imports, the client's creation and the warm-up cancel out.
What is counted is user space only (callgrind does not see the kernel's share of each
socket call, which is about the same for every client), and nginx is not counted.

Both runs of a case get ``PYTHONHASHSEED=0`` so that dict and set layouts, and with them
the paths taken, are the same in both. The case scripts check every result as in the
timed rounds, so a broken route fails the run here too.

Run by ``bench/run.py`` after the timed rounds (``--no-instructions`` skips it), or alone
against a running endpoint: ``.venv-bench/bin/python bench/instructions.py URL``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FULL_CALLS",
    "OPERATIONS",
    "QUICK_CALLS",
    "InstructionCounts",
    "InstructionsFailed",
    "find_valgrind",
    "lines",
    "measure",
]

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CASES = BENCH / "cases"

#: The timed calls of the shorter run; the longer one makes N more.
BASE_CALLS = 1
#: Untimed calls before them, in both runs (hooks generated, caches and pools warm).
WARMUP_CALLS = 20
#: Seconds one run under valgrind may take (a boto3 start-up alone is ~30 s under it).
RUN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Operation:
    """One operation's three sync cases, and the requests one of its calls sends."""

    label: str
    ours: str
    raw: str
    reference: str
    requests_per_call: int = 1

    @property
    def cases(self) -> tuple[str, str, str]:
        return (self.ours, self.raw, self.reference)


OPERATIONS = (
    Operation("describe", "ours_sync", "httpx_sync", "boto3_sync"),
    Operation("create", "ours_sync_create", "httpx_sync_create", "boto3_sync_create"),
    Operation(
        "list (3 pages)",
        "ours_sync_list",
        "httpx_sync_list",
        "boto3_sync_list",
        requests_per_call=3,
    ),
)
#: N per call of each kind: a listing is 3 requests, so a third as many listings.
FULL_CALLS = 200
QUICK_CALLS = 45


class InstructionsFailed(RuntimeError):
    """valgrind or a case failed, timed out, or wrote no totals."""


@dataclass
class InstructionCounts:
    """Per case: instructions of the short run, of the long run, and calls between them."""

    runs: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    valgrind: str = ""
    seconds: float = 0.0

    def per_call(self, case: str) -> float:
        short, long, calls = self.runs[case]
        return (long - short) / calls

    def as_json(self) -> dict[str, object]:
        return {
            "valgrind": self.valgrind,
            "seconds": round(self.seconds, 1),
            "base_calls": BASE_CALLS,
            "warmup_calls": WARMUP_CALLS,
            "runs": {
                case: {"short": short, "long": long, "extra_calls": calls}
                for case, (short, long, calls) in self.runs.items()
            },
            "per_call": {case: round(self.per_call(case)) for case in self.runs},
        }


def find_valgrind() -> str | None:
    return shutil.which("valgrind") or (
        "/usr/bin/valgrind" if os.access("/usr/bin/valgrind", os.X_OK) else None
    )


def _version(valgrind: str) -> str:
    done = subprocess.run(  # noqa: S603 - valgrind, fixed arguments
        [valgrind, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout.strip()


_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def _instructions(
    valgrind: str, case: str, endpoint_url: str, calls: int, env: Mapping[str, str], tmp: Path
) -> int:
    """Instructions (``Ir``) of one run of ``case`` making ``calls`` timed calls."""
    out = tmp / f"{case}.{calls}.callgrind"
    argv = [
        valgrind,
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        "--quiet",
        sys.executable,
        str(CASES / f"{case}.py"),
        endpoint_url,
        str(calls),
        str(WARMUP_CALLS),
    ]
    _run_case(argv, env, f"{case} under callgrind")
    match = _TOTALS.search(out.read_text(encoding="utf-8")) if out.exists() else None
    if match is None:
        raise InstructionsFailed(f"{case}: callgrind wrote no totals to {out}")
    out.unlink()
    return int(match.group(1))


def _prepare(case: str, endpoint_url: str, env: Mapping[str, str]) -> None:
    """One plain run of ``case``: it writes the bytecode caches (``.pyc``) that both
    callgrind runs then read. Without it the two runs, started together, may race to
    compile the same modules, and one of them pays for compiling: measured, 191 k
    instructions per call too many on describe."""
    argv = [sys.executable, str(CASES / f"{case}.py"), endpoint_url, "1", "1"]
    _run_case(argv, env, case)


def _run_case(argv: list[str], env: Mapping[str, str], what: str) -> None:
    """Run one case process; its time-out or failure is an InstructionsFailed."""
    try:
        done = subprocess.run(  # noqa: S603 - valgrind and/or our interpreter, our case script
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(env),
            cwd=REPO,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InstructionsFailed(
            f"{what} timed out after {RUN_TIMEOUT:.0f} s: {shlex.join(argv)}"
        ) from exc
    if done.returncode != 0:
        raise InstructionsFailed(
            f"{what} failed (exit status {done.returncode}): {shlex.join(argv)}\n"
            f"--- stderr ---\n{done.stderr.rstrip()}"
        )


def measure(
    endpoint_url: str,
    env: Mapping[str, str],
    *,
    calls: int,
    valgrind: str,
    jobs: int = 2,
    log: Callable[[str], None] = print,
) -> InstructionCounts:
    """Both runs of every case of :data:`OPERATIONS` (``calls`` more requests in the long
    run; a third as many listings), ``jobs`` valgrind processes at a time."""
    env = {**env, "PYTHONHASHSEED": "0"}
    counts = InstructionCounts(valgrind=_version(valgrind))
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        for operation in OPERATIONS:
            for case in operation.cases:
                _prepare(case, endpoint_url, env)
        for operation in OPERATIONS:
            extra = max(1, calls // operation.requests_per_call)
            runs = {
                (case, n): pool.submit(
                    _instructions, valgrind, case, endpoint_url, n, env, Path(tmp)
                )
                for case in operation.cases
                for n in (BASE_CALLS, BASE_CALLS + extra)
            }
            for case in operation.cases:
                short = runs[(case, BASE_CALLS)].result()
                long = runs[(case, BASE_CALLS + extra)].result()
                counts.runs[case] = (short, long, extra)
                log(
                    f"[instructions] {case}: {counts.per_call(case) / 1000:,.0f} k per call "
                    f"({extra} calls; start-up and warm-up {short / 1e6:,.0f} M)"
                )
    counts.seconds = time.perf_counter() - started
    return counts


def _k(value: float) -> str:
    return f"{value / 1000:,.0f} k"


def lines(counts: InstructionCounts, *, budget: float) -> list[str]:
    """The report's section (markdown)."""
    out = [
        "### Instructions per call against nginx (callgrind, sync)",
        "",
        "| operation | ours | raw httpx | boto3 | ours - raw, per request | ours/raw "
        f"| ≤ {budget:.2f}x? | ours/boto3 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for operation in OPERATIONS:
        if not all(case in counts.runs for case in operation.cases):
            continue
        ours, raw, reference = (counts.per_call(case) for case in operation.cases)
        ratio = ours / raw
        out.append(
            f"| {operation.label} | {_k(ours)} | {_k(raw)} | {_k(reference)} "
            f"| {_k((ours - raw) / operation.requests_per_call)} | {ratio:.3f} "
            f"| {'yes' if ratio <= budget else '**no**'} | {ours / reference:.3f} |"
        )
    extras = sorted({calls for _, _, calls in counts.runs.values()})
    out += [
        "",
        "User-space instructions (`Ir`) per call of each client process, from "
        "`valgrind --tool=callgrind`: (a run with N more calls - the same run without them) "
        f"/ N, N = {' or '.join(str(n) for n in extras)} (listings: a third as many), after "
        f"{WARMUP_CALLS} warm-up calls in both runs, `PYTHONHASHSEED=0`. Start-up cancels "
        "out; the load on the machine does not move these figures. A list call is a whole "
        f"3-page listing. {counts.valgrind}; {counts.seconds:.0f} s.",
    ]
    return out


def main(argv: list[str]) -> int:
    """``instructions.py URL [CALLS]``: measure against a running endpoint, print the table."""
    valgrind = find_valgrind()
    if valgrind is None:
        print("valgrind not found", file=sys.stderr)
        return 1
    endpoint_url = argv[0]
    calls = int(argv[1]) if len(argv) > 1 else FULL_CALLS
    from run import child_env  # the timed rounds' environment (AWS_* set, PYTHON* unset)

    env = child_env()
    counts = measure(
        endpoint_url,
        env,
        calls=calls,
        valgrind=valgrind,
        log=lambda text: print(text, file=sys.stderr, flush=True),
    )
    print("\n".join(lines(counts, budget=1.25)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
