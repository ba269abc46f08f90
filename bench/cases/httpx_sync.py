"""Sync µs per call floor, raw httpx: the same bytes, unsigned, body read, not parsed."""

import httpx
from _measure import arguments, emit, time_sync
from _request import BODY, RAW_HEADERS

endpoint_url, calls, warmup = arguments()
url = endpoint_url + "/"
with httpx.Client() as client:
    emit(
        time_sync(
            lambda: client.post(url, content=BODY, headers=RAW_HEADERS),
            lambda reply: reply.status_code == 200 and bool(reply.content),
            calls=calls,
            warmup=warmup,
        )
    )
