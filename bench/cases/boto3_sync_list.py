"""Sync µs per listing, boto3: its ListBatchInferenceJobs paginator, 3 pages, every job
iterated."""

import boto3
from _listing import listing_ok, names_ok
from _measure import arguments, emit, time_sync
from _request import REGION

endpoint_url, calls, warmup = arguments()
client = boto3.client("personalize", endpoint_url=endpoint_url, region_name=REGION)
paginator = client.get_paginator("list_batch_inference_jobs")


def listing() -> list[str]:
    return listing_ok(
        [job["jobName"] for job in page["batchInferenceJobs"]] for page in paginator.paginate()
    )


emit(time_sync(listing, names_ok, calls=calls, warmup=warmup))
