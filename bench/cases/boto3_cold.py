"""Cold start, boto3: import, create the client, describe one job, check it."""

import sys

import boto3
from _request import ARN, REGION

client = boto3.client("personalize", endpoint_url=sys.argv[1], region_name=REGION)
status = client.describe_batch_inference_job(batchInferenceJobArn=ARN)["batchInferenceJob"][
    "status"
]
if status != "ACTIVE":
    sys.exit(f"unexpected status {status!r}")
