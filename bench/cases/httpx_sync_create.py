"""Sync µs per call floor for create, raw httpx: the bytes personalize-lite sends, unsigned,
body read, not parsed."""

import httpx
from _measure import arguments, emit, time_sync
from _replies import create_reply
from _request import CREATE_BODY, CREATE_HEADERS

CREATE_REPLY = create_reply().encode()
endpoint_url, calls, warmup = arguments()
url = endpoint_url + "/"
with httpx.Client() as client:
    emit(
        time_sync(
            lambda: client.post(url, content=CREATE_BODY, headers=CREATE_HEADERS),
            lambda reply: reply.status_code == 200 and reply.content == CREATE_REPLY,
            calls=calls,
            warmup=warmup,
        )
    )
