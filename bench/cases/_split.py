"""``split_ours()``: where personalize-lite's no-network microseconds per call go.

The whole mocked call (``total``) and each private piece of it, alone, with the inputs the
client gives it:

- ``body``: ``_json_protocol.request_body`` (validate the ARN, encode the body), as
  ``_call.describe`` calls it;
- ``sign``: ``_sigv4.sign_headers`` on the client's three headers, clock read included;
- ``decode``: ``_json_protocol.decode_job`` of nginx's canned 200 reply (``json.loads`` and
  the cattrs structuring into ``BatchInferenceJob``);
- ``httpx``: the raw httpx floor over the same MockTransport (build the request, run the
  transport, build and read the response);
- ``other``: ``total`` minus the pieces: the call plan and its driver, the credential
  cache, the invocation id, the attempt bookkeeping, the httpx adapters.

The machine drifts, so the pieces are not timed one after the other: the calls are cut
into slices, every slice times every piece (in a rotating order), and each figure is the
median over slices.

Bench code only: these imports are private and will break when the internals change.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
from _request import ARN, BODY, RAW_HEADERS, REGION

from personalize_lite import Credentials, PersonalizeClient
from personalize_lite._converter import default_converter
from personalize_lite._json_protocol import (
    CONTENT_TYPE,
    TARGET,
    decode_job,
    request_body,
)
from personalize_lite._sigv4 import sign_headers
from personalize_lite._steps import HttpResponse

#: Slices the calls are cut into (see the module docstring).
SLICES = 20


def _us_per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) * 1e6 / calls


def split_ours(
    *,
    client: PersonalizeClient,
    http_client: httpx.Client,
    reply: httpx.Response,
    endpoint_url: str,
    calls: int,
) -> dict[str, float]:
    """µs per call of ``client``'s mocked describe (``total``; ``client`` sends through
    ``http_client``, a MockTransport replaying ``reply``), of ``body``, ``sign``, ``decode``
    and ``httpx``, and the remainder ``other``; each timed over ``calls`` calls."""
    url = endpoint_url + "/"
    credentials = Credentials(  # what the client finds in the environment
        access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    headers = [
        ("X-Amz-Target", TARGET),
        ("Content-Type", CONTENT_TYPE),
        ("User-Agent", RAW_HEADERS["User-Agent"]),
    ]
    response = HttpResponse(
        status_code=reply.status_code, headers=dict(reply.headers.items()), body=reply.content
    )
    converter = default_converter()
    pieces: dict[str, Callable[[], object]] = {
        "total": lambda: client.describe_batch_inference_job(ARN),
        "body": lambda: request_body(ARN),
        "sign": lambda: sign_headers(
            method="POST",
            url=url,
            headers=headers,
            body=BODY,
            credentials=credentials,
            region=REGION,
            now=datetime.now(timezone.utc),
        ),
        "decode": lambda: decode_job(response, converter=converter),
        "httpx": lambda: http_client.post(url, content=BODY, headers=RAW_HEADERS).content,
    }
    names = list(pieces)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(SLICES):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(_us_per_call(pieces[name], max(1, calls // SLICES)))
    split = {name: statistics.median(values) for name, values in samples.items()}
    split["other"] = split["total"] - sum(split[name] for name in names if name != "total")
    return split
