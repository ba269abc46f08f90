"""Async µs per call floor at 50 in flight: raw httpx.AsyncClient over httpx-aiohttp's
AiohttpTransport (the transport personalize-lite uses on asyncio), the same bytes,
unsigned, body read, not parsed."""

import asyncio

import httpx
from _measure import arguments, emit, time_async
from _request import BODY, RAW_HEADERS
from httpx_aiohttp import AiohttpTransport


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    url = endpoint_url + "/"
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        return await time_async(
            lambda: client.post(url, content=BODY, headers=RAW_HEADERS),
            lambda reply: reply.status_code == 200 and bool(reply.content),
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
