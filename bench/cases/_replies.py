"""What nginx answers for create and list, and what a case checks: standard library only,
no local imports (``bench/server.py`` imports it as ``cases._replies``, the cases as
``_replies``).

nginx cannot read a JSON request body in a ``return`` (the body is discarded, and
``$request_body`` is only filled for proxied requests), so the three pages of a listing are
told apart by the request's ``Content-Length``: the first request carries no ``nextToken``
(its body is ``{}``), the second carries :data:`TOKEN_2` (100 characters), the third
:data:`TOKEN_3` (200). Every client's page-1 body is shorter than 100 bytes, its page-2
body 100-199 bytes and its page-3 body 200 bytes or more, so nginx's ``map`` on
``$content_length`` picks the page without reading the body. Every client sends the same
bodies (checked: the server counts 3 requests per listing, and every case checks that it
saw all :data:`LIST_JOBS` jobs, in order).
"""

from __future__ import annotations

import json

__all__ = [
    "CREATED_ARN",
    "CREATE_TARGET",
    "JOBS_PER_PAGE",
    "LIST_JOBS",
    "LIST_PAGES",
    "LIST_TARGET",
    "TOKEN_2",
    "TOKEN_3",
    "create_reply",
    "job_name",
    "last_job_name",
    "list_page",
]

CREATE_TARGET = "AmazonPersonalize.CreateBatchInferenceJob"
LIST_TARGET = "AmazonPersonalize.ListBatchInferenceJobs"

#: The job the create reply names (the name the create cases ask for).
CREATED_ARN = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/bench-created-job"

LIST_PAGES = 3
#: nginx takes a string of at most 4 KiB in its configuration: 8 summaries fit in a page.
JOBS_PER_PAGE = 8
LIST_JOBS = LIST_PAGES * JOBS_PER_PAGE

#: The nextToken of page 1 (asks for page 2) and of page 2 (asks for page 3); page 3 has
#: none. Their lengths are what nginx routes on (see the module docstring).
TOKEN_2 = "p2." + "A" * 97
TOKEN_3 = "p3." + "B" * 197

_SOLUTION_VERSION = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"


def create_reply() -> str:
    """CreateBatchInferenceJob's reply body."""
    return json.dumps({"batchInferenceJobArn": CREATED_ARN})


def job_name(page: int, index: int) -> str:
    return f"bench-job-{page}-{index:02d}"


def last_job_name() -> str:
    """The name of the last job of the listing: what a case checks it reached."""
    return job_name(LIST_PAGES, JOBS_PER_PAGE - 1)


def list_page(page: int) -> str:
    """ListBatchInferenceJobs' reply body for page 1, 2 or 3."""
    jobs = [
        {
            "batchInferenceJobArn": (
                "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
                + job_name(page, index)
            ),
            "jobName": job_name(page, index),
            "status": "ACTIVE",
            "creationDateTime": 1764400000.123 + index,
            "lastUpdatedDateTime": 1764403600.456 + index,
            "solutionVersionArn": _SOLUTION_VERSION,
            "batchInferenceJobMode": "BATCH_INFERENCE",
        }
        for index in range(JOBS_PER_PAGE)
    ]
    reply: dict[str, object] = {"batchInferenceJobs": jobs}
    if page < LIST_PAGES:
        reply["nextToken"] = TOKEN_2 if page == 1 else TOKEN_3
    return json.dumps(reply)
