"""Sync µs per call, personalize-lite: CreateBatchInferenceJob, one client, back to back."""

from _measure import arguments, emit, time_sync
from _replies import CREATED_ARN
from _request import CREATE_ARGS, REGION

import personalize_lite

endpoint_url, calls, warmup = arguments()
with personalize_lite.PersonalizeClient(endpoint_url=endpoint_url, region=REGION) as client:
    emit(
        time_sync(
            lambda: client.create_batch_inference_job(**CREATE_ARGS),
            lambda arn: arn == CREATED_ARN,
            calls=calls,
            warmup=warmup,
        )
    )
