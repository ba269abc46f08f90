"""Per-call client overhead with httpx.MockTransport (no network): median of 7 runs of N calls.

The figures in docs/reliability.md: .venv/bin/python bench/ops_overhead.py
"""

import json
import statistics
import sys
import time

import httpx

import personalize_lite as pl
from personalize_lite import Credentials, PersonalizeClient

print(pl.__file__, file=sys.stderr)
C = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="x" * 40)
ENV = {
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
SV = "arn:aws:personalize:us-east-1:123456789012:solution/s/abc"
ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/j"
JOB = json.dumps(
    {
        "batchInferenceJob": {
            "jobName": "j",
            "batchInferenceJobArn": ARN,
            "solutionVersionArn": SV,
            "status": "ACTIVE",
            "jobInput": {"s3DataSource": {"path": "s3://b/in"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://b/out"}},
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "creationDateTime": 1.7e9,
            "lastUpdatedDateTime": 1.7e9,
        }
    }
).encode()
CREATED = json.dumps({"batchInferenceJobArn": ARN}).encode()
PAGE = json.dumps(
    {
        "batchInferenceJobs": [
            {
                "jobName": f"j{i}",
                "batchInferenceJobArn": ARN + str(i),
                "status": "ACTIVE",
                "creationDateTime": 1.7e9,
                "lastUpdatedDateTime": 1.7e9,
                "solutionVersionArn": SV,
            }
            for i in range(10)
        ]
    }
).encode()


def handler(request):
    t = request.headers["x-amz-target"]
    body = (
        JOB
        if t.endswith("Describe" + "BatchInferenceJob")
        else CREATED
        if t.endswith("CreateBatchInferenceJob")
        else PAGE
    )
    return httpx.Response(200, content=body)


client = PersonalizeClient(
    region="us-east-1",
    credentials=C,
    env=ENV,
    http_client=httpx.Client(transport=httpx.MockTransport(handler)),
)
calls = {"describe": lambda: client.describe_batch_inference_job(ARN)}
if hasattr(client, "create_batch_inference_job"):
    calls["create"] = lambda: client.create_batch_inference_job(
        job_name="j",
        solution_version_arn=SV,
        role_arn="arn:aws:iam::123456789012:role/r",
        job_input="s3://b/in",
        job_output="s3://b/out",
        tags={"k": "v"},
    )
    calls["list (1 page of 10)"] = lambda: list(client.list_batch_inference_jobs(page_size=10))
raw = httpx.Client(transport=httpx.MockTransport(handler))
calls["raw httpx POST"] = lambda: (
    raw.post(
        "https://x/",
        content=b"{}",
        headers={"x-amz-target": "AmazonPersonalize.DescribeBatchInferenceJob"},
    ).content
)
N = 2000
for name, fn in calls.items():
    for _ in range(200):
        fn()
    runs = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(N):
            fn()
        runs.append((time.perf_counter() - t) / N * 1e6)
    print(
        f"{name:22s} median {statistics.median(runs):7.1f} us/call  "
        f"(min {min(runs):.1f}, max {max(runs):.1f})"
    )
