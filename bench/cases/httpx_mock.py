"""No network floor, raw httpx: the same bytes through the same MockTransport replay,
body read, not parsed (ours_mock minus this is personalize-lite's own overhead)."""

import httpx
from _measure import arguments, emit, time_sync
from _mock import Replay, fetch_reply
from _request import BODY, RAW_HEADERS

endpoint_url, calls, warmup = arguments()
url = endpoint_url + "/"
with httpx.Client(transport=httpx.MockTransport(Replay(fetch_reply(endpoint_url)))) as client:
    emit(
        time_sync(
            lambda: client.post(url, content=BODY, headers=RAW_HEADERS),
            lambda reply: reply.status_code == 200 and bool(reply.content),
            calls=calls,
            warmup=warmup,
        )
    )
