"""Async µs per listing floor at 50 listings in flight: raw httpx.AsyncClient over
httpx-aiohttp's AiohttpTransport, the three requests of a listing in sequence, the bytes
personalize-lite sends, unsigned, bodies read, not parsed."""

import asyncio

import httpx
from _listing import floor_ok
from _measure import arguments, emit, time_async
from _request import LIST_BODIES, LIST_HEADERS
from httpx_aiohttp import AiohttpTransport


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    url = endpoint_url + "/"
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:

        async def listing() -> list[httpx.Response]:
            return [
                await client.post(url, content=body, headers=LIST_HEADERS) for body in LIST_BODIES
            ]

        return await time_async(
            listing,
            lambda replies: floor_ok([(r.status_code, r.content) for r in replies]),
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
