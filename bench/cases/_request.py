"""The request every case sends: standard library only, so a cold-start case pays nothing
for importing it beyond the module itself.

``BODY`` and ``RAW_HEADERS`` are what personalize-lite puts on the wire for one
DescribeBatchInferenceJob, with fixed values where it computes them (date, signature,
invocation id): the raw httpx floors send these exact bytes, unsigned. ``ours_mock``
checks at every run that the header names and the body still match what the client sends.
"""

from __future__ import annotations

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
