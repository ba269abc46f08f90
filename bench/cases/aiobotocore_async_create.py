"""Async µs per call at 50 in flight, aiobotocore (a pool of 50 connections):
CreateBatchInferenceJob."""

import asyncio

from _measure import CONCURRENCY, arguments, emit, time_async
from _replies import CREATED_ARN
from _request import BOTO_CREATE_ARGS, REGION
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
            lambda: client.create_batch_inference_job(**BOTO_CREATE_ARGS),
            lambda reply: reply["batchInferenceJobArn"] == CREATED_ARN,
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
