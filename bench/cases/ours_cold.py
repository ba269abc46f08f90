"""Cold start, personalize-lite: import, create the client, describe one job, check it."""

import sys

from _request import ARN, REGION

import personalize_lite

with personalize_lite.PersonalizeClient(endpoint_url=sys.argv[1], region=REGION) as client:
    job = client.describe_batch_inference_job(ARN)
if job.status != "ACTIVE":
    sys.exit(f"unexpected status {job.status!r}")
