"""Sync µs per call, personalize-lite: one client, calls back to back."""

from _measure import arguments, emit, time_sync
from _request import ARN, REGION

import personalize_lite

endpoint_url, calls, warmup = arguments()
with personalize_lite.PersonalizeClient(endpoint_url=endpoint_url, region=REGION) as client:
    emit(
        time_sync(
            lambda: client.describe_batch_inference_job(ARN),
            lambda job: job.status == "ACTIVE",
            calls=calls,
            warmup=warmup,
        )
    )
