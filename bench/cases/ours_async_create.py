"""Async µs per call at 50 in flight, personalize-lite: CreateBatchInferenceJob."""

import asyncio

from _measure import arguments, emit, time_async
from _replies import CREATED_ARN
from _request import CREATE_ARGS, REGION

import personalize_lite


async def main(endpoint_url: str, calls: int, warmup: int) -> dict[str, float]:
    async with personalize_lite.AsyncPersonalizeClient(
        endpoint_url=endpoint_url, region=REGION
    ) as client:
        return await time_async(
            lambda: client.create_batch_inference_job(**CREATE_ARGS),
            lambda arn: arn == CREATED_ARN,
            calls=calls,
            warmup=warmup,
        )


emit(asyncio.run(main(*arguments())))
