"""The no-network cases' transport: an ``httpx.MockTransport`` answering every request
with the very reply nginx serves (fetched once, untimed, with the floor's request)."""

from __future__ import annotations

import httpx
from _request import BODY, RAW_HEADERS


def fetch_reply(endpoint_url: str) -> httpx.Response:
    """nginx's canned DescribeBatchInferenceJob reply, body read."""
    with httpx.Client() as client:
        reply = client.post(endpoint_url + "/", content=BODY, headers=RAW_HEADERS)
    reply.raise_for_status()
    return reply


class Replay:
    """A MockTransport handler returning ``reply``; remembers the last request."""

    def __init__(self, reply: httpx.Response) -> None:
        self._status = reply.status_code
        self._headers = reply.headers.multi_items()
        self._content = reply.content
        self.last_request: httpx.Request | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.last_request = request
        return httpx.Response(self._status, headers=self._headers, content=self._content)
