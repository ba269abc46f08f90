"""Async µs per listing at 50 listings in flight, aiobotocore (a pool of 50 connections):
its ListBatchInferenceJobs paginator, 3 pages, every job iterated."""

import asyncio

from _listing import MAX_PAGES, names_ok
from _measure import CONCURRENCY, arguments, emit, time_async
from _request import REGION
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    async with get_session().create_client(
        "personalize",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=AioConfig(max_pool_connections=CONCURRENCY),
    ) as client:
        paginator = client.get_paginator("list_batch_inference_jobs")

        async def listing() -> list[str]:
            names: list[str] = []
            pages = 0
            async for page in paginator.paginate():
                pages += 1
                if pages >= MAX_PAGES:  # a listing that does not end
                    break
                names += [job["jobName"] for job in page["batchInferenceJobs"]]
            return names

        return await time_async(listing, names_ok, calls=calls, warmup=warmup)


emit(asyncio.run(main(*arguments())))
