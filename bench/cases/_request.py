"""The request every case sends: standard library only, so a cold-start case pays nothing
for importing it beyond the module itself.

``BODY`` and ``RAW_HEADERS`` are what personalize-lite puts on the wire for one
DescribeBatchInferenceJob, with fixed values where it computes them (date, signature,
invocation id): the raw httpx floors send these exact bytes, unsigned. ``ours_mock``
checks at every run that the header names and the body still match what the client sends;
``ours_mock`` does the same for ``CREATE_BODY`` / ``CREATE_HEADERS`` (CreateBatchInferenceJob
with ``CREATE_ARGS``) and ``LIST_BODIES`` / ``LIST_HEADERS`` (the three requests of a
ListBatchInferenceJobs listing, see ``_replies.py``).
"""

from __future__ import annotations

import json

from _replies import CREATE_TARGET, LIST_TARGET, TOKEN_2, TOKEN_3

ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/my-batch-job"
REGION = "us-east-1"

#: As personalize_lite._json_protocol.encode_request writes it (json.dumps, then UTF-8).
BODY = f'{{"batchInferenceJobArn": "{ARN}"}}'.encode()

RAW_HEADERS = {
    "X-Amz-Target": "AmazonPersonalize.DescribeBatchInferenceJob",
    "Content-Type": "application/x-amz-json-1.1",
    "User-Agent": (
        "personalize-lite/0.1.0 httpx/0.28.1 python/3.11.7 os/linux md/arch#x86_64 "
        "cfg/retry-mode#standard"
    ),
    "X-Amz-Date": "20150830T123600Z",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/personalize/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
        "Signature=352018b14c13d781b5230a9bde8227c58dca2618e9be652980394faf97fd4c93"
    ),
    "amz-sdk-invocation-id": "5f1c0e7a-0000-4000-8000-000000000001",
    "amz-sdk-request": "attempt=1; max=3",
}

#: personalize-lite's create_batch_inference_job keyword arguments in the create cases.
CREATE_ARGS = {
    "job_name": "bench-created-job",
    "solution_version_arn": (
        "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
    ),
    "role_arn": "arn:aws:iam::123456789012:role/PersonalizeBatch",
    "job_input": "s3://bench-bucket/input/users.json",
    "job_output": "s3://bench-bucket/output/",
}
#: The same request in boto3's / aiobotocore's terms.
BOTO_CREATE_ARGS = {
    "jobName": CREATE_ARGS["job_name"],
    "solutionVersionArn": CREATE_ARGS["solution_version_arn"],
    "jobInput": {"s3DataSource": {"path": CREATE_ARGS["job_input"]}},
    "jobOutput": {"s3DataDestination": {"path": CREATE_ARGS["job_output"]}},
    "roleArn": CREATE_ARGS["role_arn"],
}
#: As personalize-lite writes it: the service model's member order, json.dumps, UTF-8.
CREATE_BODY = json.dumps(BOTO_CREATE_ARGS).encode()
CREATE_HEADERS = {**RAW_HEADERS, "X-Amz-Target": CREATE_TARGET}

#: The three requests of one listing: no token, then the tokens of pages 1 and 2.
LIST_BODIES = (b"{}", *(json.dumps({"nextToken": t}).encode() for t in (TOKEN_2, TOKEN_3)))
LIST_HEADERS = {**RAW_HEADERS, "X-Amz-Target": LIST_TARGET}
