"""The report: medians over rounds, the results table, the machine, as markdown and JSON."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from instructions import InstructionCounts
from instructions import lines as instruction_lines
from server import nginx_version

__all__ = ["Results", "document", "machine"]

REPO = Path(__file__).resolve().parent.parent

PACKAGES = (
    "personalize-lite",
    "httpx",
    "httpcore",
    "httpx-aiohttp",
    "aiohttp",
    "botocore",
    "boto3",
    "aiobotocore",
    "attrs",
    "cattrs",
    "anyio",
    "opentelemetry-api",
    "opentelemetry-sdk",
)


@dataclass
class Results:
    #: case name -> one dict of metrics per round
    samples: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    #: warnings raised while measuring (keep-alive, floor drift)
    notes: set[str] = field(default_factory=set)
    #: ``obs_overhead.py --instructions --json``: {"calls", "warmup", "per_call": {set-up: n}}
    tracing_instructions: dict[str, object] | None = None
    #: the sync cases' instructions per call (callgrind), when measured
    instructions: InstructionCounts | None = None

    def median(self, case: str, metric: str) -> float:
        return statistics.median(run[metric] for run in self.samples[case])

    def medians(self) -> dict[str, dict[str, float]]:
        return {
            case: {metric: self.median(case, metric) for metric in runs[0]}
            for case, runs in self.samples.items()
        }

    def as_json(
        self, *, machine: dict[str, str], command: str, settings: str, duration: float
    ) -> dict[str, object]:
        return {
            "command": command,
            "settings": settings,
            "duration_s": round(duration, 1),
            "machine": machine,
            "medians": self.medians(),
            "samples": self.samples,
            "notes": sorted(self.notes),
            "tracing_instructions": self.tracing_instructions,
            "instructions": None if self.instructions is None else self.instructions.as_json(),
        }


@dataclass(frozen=True)
class Figure:
    """A row of the table: ``metric`` of case ``ours`` against a reference and a floor."""

    label: str
    metric: str
    ours: str
    #: (case, name shown)
    reference: tuple[str, str] | None
    floor: tuple[str, str] | None
    #: goals: ours / reference at most, ours / floor at most
    max_vs_reference: float | None = None
    max_vs_floor: float | None = None


FIGURES = (
    Figure(
        "cold start (ms): import, client, 1 call",
        "wall_ms",
        "ours_cold",
        ("boto3_cold", "boto3"),
        ("httpx_cold", "httpx"),
        max_vs_reference=0.60,
    ),
    Figure(
        "peak RSS of that process (MiB)",
        "peak_rss_mib",
        "ours_cold",
        ("boto3_cold", "boto3"),
        ("httpx_cold", "httpx"),
        max_vs_reference=0.75,
    ),
    Figure(
        "cold start of the dependency floor (ms): raw call after importing botocore.auth, "
        "attrs, cattrs",
        "wall_ms",
        "deps_cold",
        ("boto3_cold", "boto3"),
        ("httpx_cold", "httpx"),
    ),
    Figure(
        "peak RSS of the dependency floor (MiB)",
        "peak_rss_mib",
        "deps_cold",
        ("boto3_cold", "boto3"),
        ("httpx_cold", "httpx"),
    ),
    Figure(
        "sync µs/call",
        "us_per_call",
        "ours_sync",
        ("boto3_sync", "boto3"),
        ("httpx_sync", "httpx"),
        max_vs_reference=0.55,
        max_vs_floor=1.25,
    ),
    Figure(
        "sync CPU µs/call",
        "cpu_us_per_call",
        "ours_sync",
        ("boto3_sync", "boto3"),
        ("httpx_sync", "httpx"),
    ),
    Figure(
        "async µs/call, 50 in flight",
        "us_per_call",
        "ours_async",
        ("aiobotocore_async", "aiobotocore"),
        ("httpx_aiohttp_async", "httpx + AiohttpTransport"),
        max_vs_reference=0.60,
    ),
    Figure(
        "async CPU µs/call, 50 in flight",
        "cpu_us_per_call",
        "ours_async",
        ("aiobotocore_async", "aiobotocore"),
        ("httpx_aiohttp_async", "httpx + AiohttpTransport"),
    ),
    Figure(
        "async µs/call, 50 in flight (orientation)",
        "us_per_call",
        "ours_async",
        None,
        ("httpx_async", "httpx default pool"),
    ),
    Figure(
        "sync µs/call, create",
        "us_per_call",
        "ours_sync_create",
        ("boto3_sync_create", "boto3"),
        ("httpx_sync_create", "httpx"),
        max_vs_reference=0.55,
        max_vs_floor=1.25,
    ),
    Figure(
        "sync µs/listing, list (3 pages, 24 jobs)",
        "us_per_call",
        "ours_sync_list",
        ("boto3_sync_list", "boto3 paginator"),
        ("httpx_sync_list", "httpx"),
        max_vs_reference=0.55,
        max_vs_floor=1.25,
    ),
    Figure(
        "async µs/call, 50 in flight, create",
        "us_per_call",
        "ours_async_create",
        ("aiobotocore_async_create", "aiobotocore"),
        ("httpx_aiohttp_async_create", "httpx + AiohttpTransport"),
        max_vs_reference=0.60,
    ),
    Figure(
        "async µs/listing, 50 in flight, list (3 pages, 24 jobs)",
        "us_per_call",
        "ours_async_list",
        ("aiobotocore_async_list", "aiobotocore paginator"),
        ("httpx_aiohttp_async_list", "httpx + AiohttpTransport"),
        max_vs_reference=0.60,
    ),
    Figure(
        "no network µs/call (MockTransport)",
        "us_per_call",
        "ours_mock",
        None,
        ("httpx_mock", "httpx"),
    ),
    # Issue 13: the reference is the same sync describe case with opentelemetry never
    # imported; the verdict (within (a)'s spread) is in the tracing section below.
    Figure(
        "sync µs/call, opentelemetry-api imported, no SDK (b)",
        "us_per_call",
        "ours_sync_otel_api",
        ("ours_sync_otel_none", "(a) no opentelemetry"),
        None,
    ),
    Figure(
        "sync µs/call, SDK TracerProvider, no processor (c)",
        "us_per_call",
        "ours_sync_otel_sdk",
        ("ours_sync_otel_none", "(a) no opentelemetry"),
        None,
    ),
)

#: Issue 13's set-ups: (label, case, set-up name in ``obs_overhead.py``).
TRACING = (
    ("(a) opentelemetry never imported", "ours_sync_otel_none", "no-otel"),
    (
        "(b) opentelemetry.trace imported, no tracer provider (no SDK)",
        "ours_sync_otel_api",
        "api-only",
    ),
    ("(c) SDK TracerProvider, no span processor (orientation)", "ours_sync_otel_sdk", "sdk"),
)
TRACING_RULE = (
    "(b) is within noise of (a) when the ratio of medians (b)/(a) lies inside the range of "
    "(a)'s own rounds divided by their median, [min(a)/median(a), max(a)/median(a)]"
)

#: (operation, requests per call, ours, raw httpx floor, reference) for the overhead table.
OVERHEAD = (
    ("describe, sync", 1, "ours_sync", "httpx_sync", "boto3_sync"),
    ("create, sync", 1, "ours_sync_create", "httpx_sync_create", "boto3_sync_create"),
    ("list (3 pages), sync", 3, "ours_sync_list", "httpx_sync_list", "boto3_sync_list"),
    ("describe, async", 1, "ours_async", "httpx_aiohttp_async", "aiobotocore_async"),
    (
        "create, async",
        1,
        "ours_async_create",
        "httpx_aiohttp_async_create",
        "aiobotocore_async_create",
    ),
    (
        "list (3 pages), async",
        3,
        "ours_async_list",
        "httpx_aiohttp_async_list",
        "aiobotocore_async_list",
    ),
)
#: The describe budget over raw httpx, which create and list are held to.
FLOOR_BUDGET = 1.25

SPLIT = (
    ("body", "validate the ARN, encode the body (`request_body`)"),
    ("sign", "SigV4 (`sign_headers`, clock read included)"),
    ("decode", "decode the reply (`decode_job`: json.loads + cattrs)"),
    ("httpx", "httpx over the MockTransport (the raw floor)"),
    ("other", "the rest: plan, driver, credentials cache, ids, adapters"),
)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.1f}"


def _goal(limit: float | None, ratio: float | None, what: str) -> tuple[str, str]:
    if limit is None or ratio is None:
        return "", ""
    return f"≤ {limit:.2f}x {what}", "yes" if ratio <= limit else "**no**"


def _row(figure: Figure, results: Results) -> list[str]:
    ours = results.median(figure.ours, figure.metric)
    cells = [figure.label, _number(ours)]
    ratio_ref = ratio_floor = None
    if figure.reference is None:
        cells += ["—", "—"]
    else:
        case, name = figure.reference
        reference = results.median(case, figure.metric)
        ratio_ref = ours / reference
        cells += [f"{_number(reference)} ({name})", f"{ratio_ref:.3f}"]
    if figure.floor is None:
        floor_cells = ["—", "—"]
    else:
        case, name = figure.floor
        floor = results.median(case, figure.metric)
        ratio_floor = ours / floor
        floor_cells = [f"{_number(floor)} ({name})", f"{ratio_floor:.3f}"]
    goals = [
        _goal(figure.max_vs_reference, ratio_ref, "reference"),
        _goal(figure.max_vs_floor, ratio_floor, "floor"),
    ]
    goals = [goal for goal in goals if goal[0]]
    cells.append("; ".join(text for text, _ in goals) or "—")
    cells.append("; ".join(met for _, met in goals) or "—")
    return cells + floor_cells


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _main_metric(case: str, results: Results) -> str:
    return "us_per_call" if "us_per_call" in results.samples[case][0] else "wall_ms"


def document(
    results: Results, *, machine: dict[str, str], command: str, settings: str, duration: float
) -> str:
    """The report, as markdown."""
    lines = ["## Results", ""]
    lines += _table(
        [
            "figure",
            "ours",
            "reference (boto3/aiobotocore)",
            "ratio ours/reference",
            "goal",
            "met?",
            "raw httpx floor",
            "ours/floor",
        ],
        [_row(figure, results) for figure in FIGURES],
    )
    lines += [
        "",
        "Medians over rounds; ratios are ratios of medians. Orientation floors (cold start, "
        "peak RSS): "
        + "; ".join(
            f"`{label}` {results.median(case, 'wall_ms'):.1f} ms, "
            f"{results.median(case, 'peak_rss_mib'):.1f} MiB"
            for case, label in (
                ("python", "python -c pass"),
                ("import_httpx", "import httpx"),
                (
                    "deps_cold",
                    "dependency floor: the raw call after importing botocore.auth, attrs, cattrs",
                ),
            )
        )
        + ".",
        "",
        "### Per-call overhead over raw httpx, by operation",
        "",
    ]
    lines += _table(
        [
            "operation",
            "ours µs/call",
            "raw httpx µs/call",
            "ours - raw, µs/call",
            "… per request",
            "ours/raw",
            f"≤ {FLOOR_BUDGET:.2f}x?",
            "ours/raw, CPU µs",
            "ours/boto3 (or aiobotocore)",
            "ours/boto3 (or aiobotocore), CPU µs",
        ],
        [_overhead_row(row, results) for row in OVERHEAD if _has(results, *row[2:])],
    )
    lines += [
        "",
        "A list call is a whole 3-page listing (3 requests, every job iterated); the raw floor "
        "sends the same 3 requests and reads the bodies without parsing them. The describe "
        "budget is the sync goal; the async rows are shown against the same number. CPU µs "
        "(`time.process_time` of the client process) leave out time spent waiting for nginx "
        "or for the CPU on this shared machine.",
        "",
    ]
    if results.instructions is not None:
        lines += [*instruction_lines(results.instructions, budget=FLOOR_BUDGET), ""]
    lines += [
        "### `split_ours()`: no-network µs per call of personalize-lite, by piece",
        "",
    ]
    lines += _table(
        ["piece", "µs/call", "what"],
        [["total", _number(results.median("ours_mock", "split.total")), "one mocked describe"]]
        + [
            [name, _number(results.median("ours_mock", f"split.{name}")), what]
            for name, what in SPLIT
        ],
    )
    lines += _tracing_section(results)
    lines += ["", "### Per case: spread over rounds, connections and requests per run", ""]
    lines += _table(
        ["case", "metric", "median", "min", "max", "(max-min)/median", "connections", "requests"],
        [_spread_row(case, results) for case in results.samples],
    )
    if results.notes:
        lines += ["", "### Warnings", ""] + [f"- {note}" for note in sorted(results.notes)]
    lines += ["", "### Machine", ""]
    lines += [f"- {name}: {value}" for name, value in machine.items()]
    lines += [
        f"- command: `{command}`",
        f"- settings: {settings}",
        f"- load average at end: {_load()}",
        f"- total run time: {duration:.0f} s",
    ]
    return "\n".join(lines) + "\n"


def within_noise(ratio: float, runs: list[float]) -> tuple[float, float, bool]:
    """(low, high, verdict) of TRACING_RULE: ``ratio`` inside [min/median, max/median] of
    ``runs``, (a)'s values over its rounds."""
    median = statistics.median(runs)
    low, high = min(runs) / median, max(runs) / median
    return low, high, low <= ratio <= high


def _tracing_section(results: Results) -> list[str]:
    """Issue 13: ours_sync with and without OpenTelemetry, against (a)'s own spread."""
    if not _has(results, *(case for _, case, _ in TRACING)):
        return []
    base = TRACING[0][1]
    counted = results.tracing_instructions or {}
    per_call = counted.get("per_call")
    if not isinstance(per_call, dict):
        per_call = {}
    rows = []
    for label, case, setup in TRACING:
        row = [label]
        for metric in ("us_per_call", "cpu_us_per_call"):
            runs = [run[metric] for run in results.samples[case]]
            ratio = results.median(case, metric) / results.median(base, metric)
            row += [
                f"{_number(statistics.median(runs))} ({_number(min(runs))}-{_number(max(runs))})",
                f"{ratio:.3f}",
            ]
        if setup in per_call and "no-otel" in per_call:
            row += [f"{per_call[setup]:,.0f}", f"{per_call[setup] / per_call['no-otel']:.4f}"]
        else:
            row += ["—", "—"]
        rows.append(row)
    lines = [
        "",
        "### Tracing overhead (issue 13): sync describe, by OpenTelemetry set-up",
        "",
    ]
    lines += _table(
        [
            "set-up",
            "µs/call, median (min-max)",
            "/(a)",
            "CPU µs/call, median (min-max)",
            "/(a), CPU",
            "instructions/call (callgrind, MockTransport)",
            "/(a), instructions",
        ],
        rows,
    )
    lines += ["", f"Rule: {TRACING_RULE}.", ""]
    for metric, what in (("us_per_call", "wall"), ("cpu_us_per_call", "CPU")):
        runs = [run[metric] for run in results.samples[base]]
        for label, case, _ in TRACING[1:]:
            ratio = results.median(case, metric) / results.median(base, metric)
            low, high, ok = within_noise(ratio, runs)
            # The three run back to back in every round: the ratio within each round
            # leaves out the drift from round to round (shown, not judged).
            paired = [
                run[metric] / base_run[metric]
                for run, base_run in zip(results.samples[case], results.samples[base], strict=True)
            ]
            lines.append(
                f"- {what}: {label[:3]}/(a) = {ratio:.3f}; (a)'s {len(runs)} rounds span "
                f"{low:.3f}-{high:.3f} of their median: "
                + ("within noise" if ok else "outside (a)'s spread")
                + ("" if case != TRACING[1][1] or ok else " (**not** within noise)")
                + f". Round by round, {label[:3]}/(a): median {statistics.median(paired):.3f}, "
                f"{min(paired):.3f}-{max(paired):.3f}"
            )
    for name, setup in (("(b)", "api-only"), ("(c)", "sdk")):
        if setup in per_call and "no-otel" in per_call:
            extra = per_call[setup] - per_call["no-otel"]
            lines.append(
                f"- instructions (deterministic, no spread): {name} - (a) = {extra:+,.0f} "
                f"per call ({extra / per_call['no-otel']:+.2%})"
            )
    if per_call:
        lines.append(
            f"- instructions: {counted.get('calls')} calls counted after "
            f"{counted.get('warmup')} warm-up, (run with them - run without) / calls, each "
            "set-up in a fresh interpreter under `valgrind --tool=callgrind` over an "
            "`httpx.MockTransport` (`bench/obs_overhead.py --instructions`)"
        )
    lines += [
        "",
        "The three cases run `bench/cases/ours_sync.py` as is, after their set-up, back to "
        "back in every round (their own phase, after the throughput rounds); each checks "
        "that personalize-lite got a tracer only in (c). Only (b) is held to the rule; (c) "
        "builds a span per call and is shown for orientation.",
    ]
    return lines


def _has(results: Results, *cases: str) -> bool:
    return all(case in results.samples for case in cases)


def _overhead_row(row: tuple[str, int, str, str, str], results: Results) -> list[str]:
    label, requests, ours_case, floor_case, reference_case = row
    ours = results.median(ours_case, "us_per_call")
    floor = results.median(floor_case, "us_per_call")
    reference = results.median(reference_case, "us_per_call")
    cpu = {
        case: results.median(case, "cpu_us_per_call")
        for case in (ours_case, floor_case, reference_case)
    }
    ratio = ours / floor
    return [
        label,
        _number(ours),
        _number(floor),
        _number(ours - floor),
        _number((ours - floor) / requests),
        f"{ratio:.3f}",
        "yes" if ratio <= FLOOR_BUDGET else "**no**",
        f"{cpu[ours_case] / cpu[floor_case]:.3f}",
        f"{ours / reference:.3f}",
        f"{cpu[ours_case] / cpu[reference_case]:.3f}",
    ]


def _spread_row(case: str, results: Results) -> list[str]:
    metric = _main_metric(case, results)
    values = [run[metric] for run in results.samples[case]]
    median = statistics.median(values)
    return [
        case,
        "µs/call" if metric == "us_per_call" else "ms",
        _number(median),
        _number(min(values)),
        _number(max(values)),
        f"{(max(values) - min(values)) / median:.0%}",
        f"{results.median(case, 'connections'):.0f}",
        f"{results.median(case, 'requests'):.0f}",
    ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _os_name() -> str:
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return platform.system()
    return release.get("PRETTY_NAME", platform.system())


def _git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", "-C", str(REPO), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def _source() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    dirty = _git("status", "--porcelain", "--", "src")
    return f"git {commit}" + (" + uncommitted changes in src/" if dirty else "")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(nginx: str) -> dict[str, str]:
    """Where and with what the benchmark runs."""
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{_cpu_model()}, {os.cpu_count()} cores",
        "OS": f"{_os_name()}, Linux {platform.release()}",
        "load average at start": _load(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(f"{name} {_version(name)}" for name in PACKAGES),
        "personalize-lite source": _source(),
        "nginx": nginx_version(nginx),
    }
