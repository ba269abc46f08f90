"""Async µs per call floor for create at 50 in flight: raw httpx.AsyncClient over
httpx-aiohttp's AiohttpTransport, the bytes personalize-lite sends, unsigned, unparsed."""

import asyncio

import httpx
from _measure import arguments, emit, time_async
from _replies import create_reply
from _request import CREATE_BODY, CREATE_HEADERS
from httpx_aiohttp import AiohttpTransport

CREATE_REPLY = create_reply().encode()


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    url = endpoint_url + "/"
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        return await time_async(
            lambda: client.post(url, content=CREATE_BODY, headers=CREATE_HEADERS),
            lambda reply: reply.status_code == 200 and reply.content == CREATE_REPLY,
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
