"""Async µs per call at 50 in flight, aiobotocore (a pool of 50 connections)."""

import asyncio

from _measure import CONCURRENCY, arguments, emit, time_async
from _request import ARN, REGION
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    async with get_session().create_client(
        "personalize",
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=AioConfig(max_pool_connections=CONCURRENCY),
    ) as client:
        return await time_async(
            lambda: client.describe_batch_inference_job(batchInferenceJobArn=ARN),
            lambda reply: reply["batchInferenceJob"]["status"] == "ACTIVE",
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
