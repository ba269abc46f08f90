"""Async µs per call at 50 in flight, for orientation: raw httpx.AsyncClient with its
default pool (httpcore; at most 20 idle keep-alive connections), the same bytes."""

import asyncio

import httpx
from _measure import arguments, emit, time_async
from _request import BODY, RAW_HEADERS


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    url = endpoint_url + "/"
    async with httpx.AsyncClient() as client:
        return await time_async(
            lambda: client.post(url, content=BODY, headers=RAW_HEADERS),
            lambda reply: reply.status_code == 200 and bool(reply.content),
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
