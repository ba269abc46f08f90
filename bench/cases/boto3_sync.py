"""Sync µs per call, boto3: one client, calls back to back."""

import boto3
from _measure import arguments, emit, time_sync
from _request import ARN, REGION

endpoint_url, calls, warmup = arguments()
client = boto3.client("personalize", endpoint_url=endpoint_url, region_name=REGION)
emit(
    time_sync(
        lambda: client.describe_batch_inference_job(batchInferenceJobArn=ARN),
        lambda reply: reply["batchInferenceJob"]["status"] == "ACTIVE",
        calls=calls,
        warmup=warmup,
    )
)
