"""Create and list without a network: personalize-lite over an ``httpx.MockTransport``
answering with nginx's create reply and three list pages, against the raw httpx floor over
the same transport (the same requests, bodies read, unparsed). For the listing, also the
pieces: ``decode_list`` of the three pages (json + cattrs, 24 summaries), and boto3's
parser on the same pages for orientation. What ``ours_mock`` is for describe, without a
socket and so with less noise than the nginx cases.

Run from the repository root: ``.venv-bench/bin/python bench/mock_overhead.py``. No socket
is opened. Each figure is CPU time (``time.process_time``: waiting for a core on a shared
machine is left out), the median of 9 interleaved slices of 200 calls, so that drift does
not land on one piece.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "cases"))

import botocore.session
import httpx
from _replies import CREATE_TARGET, CREATED_ARN, LIST_JOBS, LIST_PAGES, create_reply, list_page
from _request import CREATE_ARGS, CREATE_BODY, CREATE_HEADERS, LIST_BODIES, LIST_HEADERS, REGION
from botocore.parsers import create_parser

import personalize_lite
from personalize_lite._converter import default_converter
from personalize_lite._operations import decode_list
from personalize_lite._steps import HttpResponse

ENDPOINT = "http://127.0.0.1:9"  # never reached: every request is answered by the mock
PAGES = [list_page(page).encode() for page in range(1, LIST_PAGES + 1)]
HEADERS = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "bench"}
LOWER = {name.lower(): value for name, value in HEADERS.items()}


CREATED = create_reply().encode()


def handler(request: httpx.Request) -> httpx.Response:
    if request.headers["X-Amz-Target"] == CREATE_TARGET:
        return httpx.Response(200, headers=HEADERS, content=CREATED)
    size = len(request.content)
    page = 0 if size < 100 else 1 if size < 200 else 2  # as nginx's map does
    return httpx.Response(200, headers=HEADERS, content=PAGES[page])


def slices(pieces: dict[str, Callable[[], object]], calls: int, rounds: int) -> dict[str, float]:
    """CPU µs per call of each piece: the median over ``rounds`` interleaved slices."""
    samples: dict[str, list[float]] = {name: [] for name in pieces}
    for _ in range(rounds):
        for name, piece in pieces.items():
            start = time.process_time()
            for _ in range(calls):
                piece()
            samples[name].append((time.process_time() - start) * 1e6 / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    transport = httpx.MockTransport(handler)
    raw = httpx.Client(transport=transport)
    http_client = httpx.Client(transport=transport)
    client = personalize_lite.PersonalizeClient(
        endpoint_url=ENDPOINT,
        region=REGION,
        http_client=http_client,
        credentials=personalize_lite.Credentials(
            access_key_id="AKIDEXAMPLE",
            secret_access_key="bench-secret",  # noqa: S106 - not a secret: nothing checks it
        ),
    )
    converter = default_converter()
    replies = [HttpResponse(status_code=200, headers=LOWER, body=page) for page in PAGES]
    model = botocore.session.get_session().get_service_model("personalize")
    output_shape = model.operation_model("ListBatchInferenceJobs").output_shape
    parser = create_parser("json")
    boto_replies = [{"status_code": 200, "headers": HEADERS, "body": page} for page in PAGES]

    def ours() -> None:
        jobs = list(client.list_batch_inference_jobs())
        assert len(jobs) == LIST_JOBS

    def create() -> None:
        assert client.create_batch_inference_job(**CREATE_ARGS) == CREATED_ARN

    def create_floor() -> None:
        raw.post(ENDPOINT + "/", content=CREATE_BODY, headers=CREATE_HEADERS).read()

    def floor() -> None:
        for body in LIST_BODIES:
            raw.post(ENDPOINT + "/", content=body, headers=LIST_HEADERS).read()

    def decode() -> None:
        for reply in replies:
            decode_list(reply, converter)

    def boto_parse() -> None:
        for reply in boto_replies:
            parser.parse(reply, output_shape)

    pieces = {
        "create": create,
        "create_floor": create_floor,
        "ours": ours,
        "floor": floor,
        "decode": decode,
        "boto_parse": boto_parse,
    }
    for piece in pieces.values():  # warm-up: hooks generated, caches filled
        for _ in range(50):
            piece()
    result = slices(pieces, calls=200, rounds=9)
    client.close()
    http_client.close()
    raw.close()
    print("per create call, no network, CPU µs:")
    print(f"  personalize-lite                     {result['create']:8.1f}")
    print(f"  raw httpx floor, same request        {result['create_floor']:8.1f}")
    print(
        f"  ours - floor                         {result['create'] - result['create_floor']:8.1f}"
    )
    print(
        f"  ours / floor                         {result['create'] / result['create_floor']:8.3f}"
    )
    print(f"per 3-page listing ({LIST_JOBS} jobs), no network, CPU µs:")
    print(f"  personalize-lite, whole listing      {result['ours']:8.1f}")
    print(f"  raw httpx floor, same 3 requests     {result['floor']:8.1f}")
    print(f"  ours - floor                         {result['ours'] - result['floor']:8.1f}")
    print(f"  of which decode_list x 3 (json+cattrs) {result['decode']:6.1f}")
    print(f"  boto3's parser on the 3 pages        {result['boto_parse']:8.1f} (orientation)")
    print(f"  ours / floor                         {result['ours'] / result['floor']:8.3f}")


if __name__ == "__main__":
    main()
