"""Sync µs per listing floor, raw httpx: the three requests personalize-lite sends for a
3-page listing, unsigned, bodies read, not parsed."""

import httpx
from _listing import floor_ok
from _measure import arguments, emit, time_sync
from _request import LIST_BODIES, LIST_HEADERS

endpoint_url, calls, warmup = arguments()
url = endpoint_url + "/"
with httpx.Client() as client:

    def listing() -> list[httpx.Response]:
        return [client.post(url, content=body, headers=LIST_HEADERS) for body in LIST_BODIES]

    emit(
        time_sync(
            listing,
            lambda replies: floor_ok([(r.status_code, r.content) for r in replies]),
            calls=calls,
            warmup=warmup,
        )
    )
