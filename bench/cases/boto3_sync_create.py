"""Sync µs per call, boto3: CreateBatchInferenceJob, one client, back to back."""

import boto3
from _measure import arguments, emit, time_sync
from _replies import CREATED_ARN
from _request import BOTO_CREATE_ARGS, REGION

endpoint_url, calls, warmup = arguments()
client = boto3.client("personalize", endpoint_url=endpoint_url, region_name=REGION)
emit(
    time_sync(
        lambda: client.create_batch_inference_job(**BOTO_CREATE_ARGS),
        lambda reply: reply["batchInferenceJobArn"] == CREATED_ARN,
        calls=calls,
        warmup=warmup,
    )
)
