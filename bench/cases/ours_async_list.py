"""Async µs per listing at 50 listings in flight, personalize-lite: ListBatchInferenceJobs,
3 pages, every job iterated (one "call" is the whole listing: 3 requests in sequence)."""

import asyncio

from _listing import names_ok
from _measure import arguments, emit, time_async
from _replies import LIST_JOBS
from _request import REGION

import personalize_lite


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    async with personalize_lite.AsyncPersonalizeClient(
        endpoint_url=endpoint_url, region=REGION
    ) as client:

        async def listing() -> list[str]:
            names: list[str] = []
            async for job in client.list_batch_inference_jobs():
                names.append(job.job_name or "")
                if len(names) > LIST_JOBS:  # a listing that does not end
                    break
            return names

        return await time_async(listing, names_ok, calls=calls, warmup=warmup)


emit(asyncio.run(main(*arguments())))
