"""Example keys, job ARNs and a job reply body that several client tests share.

The keys are the AWS documentation's example pair (the access key also signs the strict
cassettes); ``FULL_ARN`` is the job recorded in ``fixtures/active-full.json``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from personalize_lite import Credentials

__all__ = [
    "ACCOUNT",
    "AKID",
    "CREDS",
    "CREDS_WITH_TOKEN",
    "FULL_ARN",
    "MISSING_ARN",
    "REGION",
    "SECRET",
    "T0",
    "TOKEN",
    "URL",
    "arn",
    "job_body",
]

ACCOUNT = "123456789012"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue+/="
CREDS = Credentials(access_key_id=AKID, secret_access_key=SECRET)
CREDS_WITH_TOKEN = Credentials(access_key_id=AKID, secret_access_key=SECRET, session_token=TOKEN)
REGION = "us-east-1"
URL = "https://personalize.us-east-1.amazonaws.com/"
T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


def arn(name: str) -> str:
    """The ARN of batch inference job ``name`` in us-east-1, account ``ACCOUNT``."""
    return f"arn:aws:personalize:us-east-1:{ACCOUNT}:batch-inference-job/{name}"


#: The job of ``fixtures/active-full.json``.
FULL_ARN = arn("movie-recs-full")
#: The job of ``fixtures/not-found.json`` (and of ``strict-not-found.json``).
MISSING_ARN = arn("no-such-job")


def job_body(name: str = "job", status: str = "ACTIVE") -> dict[str, Any]:
    """A DescribeBatchInferenceJob reply (as JSON data) for job ``name``."""
    return {
        "batchInferenceJob": {
            "jobName": name,
            "batchInferenceJobArn": arn(name),
            "status": status,
            "creationDateTime": 1700000000.123,
        }
    }
