"""The emulator figures in docs/reliability.md: .venv/bin/python bench/lifecycle_measure.py"""

import statistics
import time
import tracemalloc
from datetime import datetime, timezone

from personalize_lite import PersonalizeClient
from personalize_lite.testing import FixtureServer, default_fixtures
from personalize_lite.testing._emulator import example_credentials
from personalize_lite.testing._jobs import JobStore

ex = example_credentials(env={})
SV = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
ROLE = "arn:aws:iam::123456789012:role/R"
# store alone: 10,000 jobs
tracemalloc.start()
s = JobStore(clock=lambda: datetime.now(timezone.utc))
t = time.perf_counter()
for i in range(10000):
    s.create(
        {
            "jobName": f"j{i}",
            "solutionVersionArn": SV,
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://b/i"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://b/o/"}},
        }
    )
el = time.perf_counter() - t
cur, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(
    f"store: 10000 creates {el:.2f}s ({el / 10000 * 1e6:.0f} us each), "
    f"traced memory {cur / 1e6:.1f} MB"
)
try:
    s.create(
        {
            "jobName": "x",
            "solutionVersionArn": SV,
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://b/i"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://b/o/"}},
        }
    )
except Exception as e:  # noqa: BLE001 - print whatever the 10,001st create raises
    print("10001st:", e.code)
ts = []
for _ in range(20):
    t = time.perf_counter()
    s.list({"maxResults": 100})
    ts.append(time.perf_counter() - t)
print(f"store: list page of 100 among 10000 jobs: median {statistics.median(ts) * 1e3:.1f} ms")
with FixtureServer(  # noqa: SIM117 - the server must be up before the client
    [default_fixtures()], credentials={ex.access_key_id: ex.secret_access_key}, job_duration=0
) as srv:
    with PersonalizeClient(region="us-east-1", endpoint_url=srv.url, credentials=ex) as c:
        ts = []
        for i in range(300):
            t = time.perf_counter()
            c.create_batch_inference_job(
                job_name=f"m{i}",
                solution_version_arn=SV,
                role_arn="arn:aws:iam::123456789012:role/R",
                job_input="s3://b/i",
                job_output="s3://b/o/",
            )
            ts.append(time.perf_counter() - t)
        print(
            "HTTP create (signed, checked, loopback, sync client): "
            f"median {statistics.median(ts) * 1e3:.2f} ms, "
            f"p95 {sorted(ts)[284] * 1e3:.2f} ms over 300"
        )
        ts = []
        for _ in range(20):
            t = time.perf_counter()
            n = len(list(c.list_batch_inference_jobs(page_size=100)))
            ts.append(time.perf_counter() - t)
        print(
            f"HTTP list of all {n} jobs in pages of 100: "
            f"median {statistics.median(ts) * 1e3:.1f} ms"
        )
