"""Instructions per run of the pieces of a create call and of a 3-page listing, without a
network: where ``bench/instructions.py``'s figures go.

Run from the repository root: ``.venv-bench/bin/python bench/instruction_pieces.py
[PIECE ...]`` (default: every piece; needs valgrind). Each piece runs in a fresh
interpreter under ``valgrind --tool=callgrind``, twice: 30 warm-up runs and then 0 or
``RUNS`` more; (long - short) / ``RUNS`` is the piece's user-space instructions, start-up
cancelled. The client talks to an ``httpx.MockTransport`` answering with nginx's create
reply and three list pages (``mock_overhead.handler``); no socket is opened.

Bench code only: it imports private modules and must follow them when they change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUNS = 200
WARMUP = 30
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def pieces() -> dict[str, Callable[[], object]]:
    """The pieces, built in the child (imports the client)."""
    sys.path.insert(0, str(BENCH / "cases"))
    sys.path.insert(0, str(BENCH))
    import json

    import httpx
    from _request import CREATE_ARGS, CREATE_BODY, CREATE_HEADERS, LIST_BODIES, LIST_HEADERS
    from mock_overhead import ENDPOINT, LOWER, PAGES, REGION, handler

    import personalize_lite
    from personalize_lite._call import _sign
    from personalize_lite._converter import default_converter
    from personalize_lite._models import BatchInferenceJobSummary
    from personalize_lite._operations import CREATE_BATCH_INFERENCE_JOB, decode_list
    from personalize_lite._sigv4 import sign_headers
    from personalize_lite._steps import HttpResponse

    transport = httpx.MockTransport(handler)
    raw = httpx.Client(transport=transport)
    credentials = personalize_lite.Credentials(
        access_key_id="AKIDEXAMPLE",
        secret_access_key="bench-secret",  # noqa: S106 - not a secret: nothing checks it
    )
    client = personalize_lite.PersonalizeClient(
        endpoint_url=ENDPOINT,
        region=REGION,
        http_client=httpx.Client(transport=transport),
        credentials=credentials,
    )
    ctx = client._context
    assert ctx is not None
    converter = default_converter()
    replies = [HttpResponse(status_code=200, headers=LOWER, body=page) for page in PAGES]
    items = [job for page in PAGES for job in json.loads(page)["batchInferenceJobs"]]
    stamps = [job[key] for job in items for key in ("creationDateTime", "lastUpdatedDateTime")]
    now = datetime.now(timezone.utc)
    to_sign = [
        ("X-Amz-Target", CREATE_BATCH_INFERENCE_JOB.target),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("User-Agent", ctx.user_agent),
    ]

    def list_floor() -> None:
        for body in LIST_BODIES:
            raw.post(ENDPOINT + "/", content=body, headers=LIST_HEADERS).read()

    return {
        "create": lambda: client.create_batch_inference_job(**CREATE_ARGS),
        "create_floor": lambda: raw.post(
            ENDPOINT + "/", content=CREATE_BODY, headers=CREATE_HEADERS
        ).read(),
        "listing": lambda: list(client.list_batch_inference_jobs()),
        "list_floor": list_floor,
        "decode_list_x3": lambda: [decode_list(reply, converter) for reply in replies],
        "json_loads_x3": lambda: [json.loads(page) for page in PAGES],
        "summary_init_x24": lambda: [
            BatchInferenceJobSummary(
                batch_inference_job_arn=job["batchInferenceJobArn"],
                job_name=job["jobName"],
                status=job["status"],
                creation_date_time=None,
                last_updated_date_time=None,
                failure_reason=None,
                solution_version_arn=job["solutionVersionArn"],
                batch_inference_job_mode=job["batchInferenceJobMode"],
            )
            for job in items
        ],
        "fromtimestamp_x48": lambda: [datetime.fromtimestamp(t, timezone.utc) for t in stamps],
        "encode_create": lambda: CREATE_BATCH_INFERENCE_JOB.encode(CREATE_ARGS),
        "call_sign": lambda: _sign(
            ctx, CREATE_BATCH_INFERENCE_JOB.target, CREATE_BODY, credentials, 1, 3, "id"
        ),
        "sign_headers": lambda: sign_headers(
            method="POST",
            url=ctx.url,
            headers=to_sign,
            body=CREATE_BODY,
            credentials=credentials,
            region=REGION,
            now=now,
        ),
    }


PIECES = (
    "create",
    "create_floor",
    "listing",
    "list_floor",
    "decode_list_x3",
    "json_loads_x3",
    "summary_init_x24",
    "fromtimestamp_x48",
    "encode_create",
    "call_sign",
    "sign_headers",
)


def child(name: str, runs: int) -> None:
    piece = pieces()[name]
    for _ in range(WARMUP + runs):
        piece()


def _instructions(name: str, runs: int, tmp: Path) -> subprocess.Popen[bytes]:
    argv = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={tmp / f'{name}.{runs}'}",
        "--quiet",
        sys.executable,
        __file__,
        "--child",
        name,
        str(runs),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen(argv, env=env)  # noqa: S603 - valgrind, our interpreter, this file


def _total(path: Path) -> int:
    match = _TOTALS.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise RuntimeError(f"callgrind wrote no totals to {path}")
    return int(match.group(1))


def main(names: list[str]) -> int:
    for name in names:
        if name not in PIECES:
            print(f"unknown piece {name!r}; pieces: {', '.join(PIECES)}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="bench-pieces-") as tmp:
        for name in names or PIECES:
            # One plain run first: both callgrind runs then read the same .pyc files.
            subprocess.run(  # noqa: S603 - our interpreter, this file
                [sys.executable, __file__, "--child", name, "0"], check=True
            )
            runs = [_instructions(name, n, Path(tmp)) for n in (0, RUNS)]
            if any(proc.wait(timeout=600) != 0 for proc in runs):
                print(f"{name}: a run failed", file=sys.stderr)
                return 1
            short, long = (_total(Path(tmp) / f"{name}.{n}") for n in (0, RUNS))
            print(f"{name:20} {(long - short) / RUNS / 1000:10,.1f} k instructions per run")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main(sys.argv[1:]))
