"""Async µs per call at 50 in flight, personalize-lite (on asyncio it picks httpx-aiohttp's
transport by itself when the aiohttp extra is installed, as it is in .venv-bench)."""

import asyncio

from _measure import arguments, emit, time_async
from _request import ARN, REGION

import personalize_lite


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    async with personalize_lite.AsyncPersonalizeClient(
        endpoint_url=endpoint_url, region=REGION
    ) as client:
        return await time_async(
            lambda: client.describe_batch_inference_job(ARN),
            lambda job: job.status == "ACTIVE",
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
