"""Sync µs per listing, personalize-lite: ListBatchInferenceJobs, 3 pages, every job
iterated (one "call" is the whole listing: 3 requests)."""

import itertools

from _listing import names_ok
from _measure import arguments, emit, time_sync
from _replies import LIST_JOBS
from _request import REGION

import personalize_lite

endpoint_url, calls, warmup = arguments()
with personalize_lite.PersonalizeClient(endpoint_url=endpoint_url, region=REGION) as client:

    def listing() -> list[str]:
        # islice: one job past the listing is enough to see a listing that does not end
        jobs = itertools.islice(client.list_batch_inference_jobs(), LIST_JOBS + 1)
        return [job.job_name or "" for job in jobs]

    emit(time_sync(listing, names_ok, calls=calls, warmup=warmup))
