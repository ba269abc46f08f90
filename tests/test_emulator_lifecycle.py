"""The emulator's live lifecycle (testing/_jobs.py and its routes in testing/_server.py).

The store is tested alone with an injected clock (no sleeping: time moves when the test
moves it), then over HTTP: raw signed requests for the AWS error shapes, and the sync,
asyncio and trio clients playing create, list, wait, describe against a FixtureServer
whose clock the clients' injected sleep advances. Signatures are checked (the example
keys), so the server's clock stays within minutes of the real one.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    BatchInferenceJobFailed,
    InvalidInputException,
    LimitExceededException,
    ParamValidationError,
    PersonalizeClient,
    PersonalizeServiceError,
    ResourceAlreadyExistsException,
)
from personalize_lite._sigv4 import sign_headers
from personalize_lite.testing import FixtureServer, load_cassettes
from personalize_lite.testing._emulator import example_credentials
from personalize_lite.testing._jobs import DEFAULT_PAGE_SIZE, JobStore
from personalize_lite.testing._server import recorded_jobs
from tests.support.paths import FIXTURES as FIXTURES_DIR

EXAMPLE = example_credentials(env={})
SV = "arn:aws:personalize:us-east-1:123456789012:solution/movie-recs/3f1c2a9b"
OTHER_SV = "arn:aws:personalize:us-east-1:123456789012:solution/other/00000001"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatchRole"
PREFIX = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/"
JSON_1_1 = "application/x-amz-json-1.1"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class Clock:
    """A settable clock: ``now`` starts at ``start`` and moves only by ``advance``."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


def request(name: str = "job-1", **extra: Any) -> dict[str, Any]:
    """A CreateBatchInferenceJob body as boto3 would send it."""
    body: dict[str, Any] = {
        "jobName": name,
        "solutionVersionArn": SV,
        "jobInput": {"s3DataSource": {"path": "s3://bucket/in.json"}},
        "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
        "roleArn": ROLE,
    }
    body.update(extra)
    return body


def store(clock: Clock, **kwargs: Any) -> JobStore:
    kwargs.setdefault("job_duration", 10.0)
    return JobStore(clock=clock, **kwargs)


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(PersonalizeServiceError) as refused:
        call()
    return refused.value.code


# ------------------------------------------------------------------ the store alone


def test_a_job_moves_pending_in_progress_active_with_its_clock() -> None:
    clock = Clock(T0)
    jobs = store(clock)
    assert jobs.create(request()) == {"batchInferenceJobArn": PREFIX + "job-1"}
    created = T0.timestamp()
    seen = []
    for seconds in (0.0, 0.999, 0.002, 8.0, 0.998, 0.002, 100.0):
        clock.advance(seconds)
        job = jobs.describe(PREFIX + "job-1")
        assert job is not None
        seen.append(
            (job["batchInferenceJob"]["status"], job["batchInferenceJob"]["lastUpdatedDateTime"])
        )
        assert job["batchInferenceJob"]["creationDateTime"] == created
    assert seen == [
        ("PENDING", created),
        ("PENDING", created),
        ("IN_PROGRESS", created + 1.0),  # a tenth of the 10 s
        ("IN_PROGRESS", created + 1.0),
        ("IN_PROGRESS", created + 1.0),
        ("ACTIVE", created + 10.0),
        ("ACTIVE", created + 10.0),
    ]


def test_a_job_whose_name_matches_the_glob_ends_in_create_failed() -> None:
    clock = Clock(T0)
    jobs = store(clock, fail_jobs="bad-*")
    jobs.create(request("bad-one"))
    jobs.create(request("good-one"))
    clock.advance(10)
    failed = jobs.describe(PREFIX + "bad-one")
    good = jobs.describe(PREFIX + "good-one")
    assert failed is not None
    assert good is not None
    assert failed["batchInferenceJob"]["status"] == "CREATE FAILED"
    assert "bad-*" in failed["batchInferenceJob"]["failureReason"]
    assert good["batchInferenceJob"]["status"] == "ACTIVE"
    assert "failureReason" not in good["batchInferenceJob"]


def test_the_default_glob_is_fail_star_and_zero_duration_is_done_at_once() -> None:
    jobs = JobStore(clock=Clock(T0), job_duration=0)
    jobs.create(request("fail-now"))
    jobs.create(request("fine"))
    assert jobs.describe(PREFIX + "fail-now")["batchInferenceJob"]["status"] == "CREATE FAILED"  # type: ignore[index]
    assert jobs.describe(PREFIX + "fine")["batchInferenceJob"]["status"] == "ACTIVE"  # type: ignore[index]


def test_describe_gives_every_field_the_request_gave_and_no_tags() -> None:
    jobs = store(Clock(T0))
    body = request(
        "full",
        filterArn="arn:aws:personalize:us-east-1:123456789012:filter/f",
        numResults=50,
        jobInput={
            "s3DataSource": {
                "path": "s3://bucket/in.json",
                "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
            }
        },
        batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "0.3"}},
        tags=[{"tagKey": "team", "tagValue": "recs"}],
    )
    jobs.create(body)
    described = jobs.describe(PREFIX + "full")
    assert described is not None
    job = described["batchInferenceJob"]
    for member in ("jobName", "solutionVersionArn", "filterArn", "numResults", "jobInput"):
        assert job[member] == body[member]
    assert job["jobOutput"] == body["jobOutput"]
    assert job["roleArn"] == ROLE
    assert job["batchInferenceJobConfig"] == body["batchInferenceJobConfig"]
    assert job["batchInferenceJobMode"] == "BATCH_INFERENCE"  # the default
    assert job["batchInferenceJobArn"] == PREFIX + "full"
    assert "tags" not in job
    minimal = store(Clock(T0))
    minimal.create(request("bare"))
    assert "numResults" not in minimal.describe(PREFIX + "bare")["batchInferenceJob"]  # type: ignore[index]


def test_the_arn_takes_partition_region_and_account_from_the_solution_version() -> None:
    jobs = store(Clock(T0))
    china = "arn:aws-cn:personalize:cn-north-1:210987654321:solution/s/1"
    reply = jobs.create(request("cn", solutionVersionArn=china))
    assert reply == {
        "batchInferenceJobArn": (
            "arn:aws-cn:personalize:cn-north-1:210987654321:batch-inference-job/cn"
        )
    }
    no_account = "arn:aws:personalize:us-east-1::solution/s/1"
    assert code_of(lambda: jobs.create(request("x", solutionVersionArn=no_account))) == (
        "InvalidInputException"
    )


def test_a_reused_name_already_exists_live_or_recorded() -> None:
    recorded = recorded_jobs(load_cassettes([FIXTURES_DIR]))
    jobs = store(Clock(T0), recorded=recorded)
    jobs.create(request("mine"))
    with pytest.raises(ResourceAlreadyExistsException) as reused:  # the client's typed error
        jobs.create(request("mine"))
    assert (reused.value.code, reused.value.status_code) == ("ResourceAlreadyExistsException", 400)
    assert code_of(lambda: jobs.create(request("movie-recs-full"))) == (
        "ResourceAlreadyExistsException"
    )
    assert len(jobs) == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"jobName": "bad name"}, "jobName"),
        ({"jobName": "x" * 64}, "jobName"),
        ({"jobName": None}, "jobName"),
        ({"solutionVersionArn": "not-an-arn"}, "solutionVersionArn"),
        ({"roleArn": "arn:aws:iam::1:role/x"}, "roleArn"),
        ({"jobInput": {"s3DataSource": {"path": "ftp://x"}}}, "jobInput"),
        ({"jobInput": "s3://x/y"}, "jobInput"),
        ({"jobOutput": {"s3DataDestination": {}}}, "jobOutput"),
        ({"numResults": "25"}, "numResults"),
        ({"batchInferenceJobMode": "FAST"}, "batchInferenceJobMode"),
        ({"tags": [{"tagKey": "a", "tagValue": "b"}, {"tagKey": "a", "tagValue": "c"}]}, "tag"),
        ({"tags": {"a": "b"}}, "tags"),
    ],
)
def test_invalid_input_is_refused_with_the_clients_validators(
    change: dict[str, Any], needle: str
) -> None:
    jobs = store(Clock(T0))
    with pytest.raises(PersonalizeServiceError) as refused:
        jobs.create(request(**change))
    assert refused.value.code == "InvalidInputException"
    assert needle in refused.value.message
    assert len(jobs) == 0


def test_an_unknown_member_is_a_serialization_error() -> None:
    jobs = store(Clock(T0))
    assert code_of(lambda: jobs.create(request(clientToken="x"))) == "SerializationException"
    assert code_of(lambda: jobs.list({"pageSize": 3})) == "SerializationException"


def test_the_store_is_bounded() -> None:
    jobs = store(Clock(T0), max_jobs=2)
    jobs.create(request("a"))
    jobs.create(request("b"))
    with pytest.raises(LimitExceededException):
        jobs.create(request("c"))
    assert len(jobs) == 2


def test_a_store_refuses_a_bad_duration_or_bound() -> None:
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="job_duration"):
            JobStore(clock=Clock(T0), job_duration=bad)
    with pytest.raises(ValueError, match="max_jobs"):
        JobStore(clock=Clock(T0), max_jobs=0)


def names(page: dict[str, Any]) -> list[str]:
    return [job["jobName"] for job in page["batchInferenceJobs"]]


def test_list_is_newest_first_with_recorded_jobs_and_a_filter() -> None:
    clock = Clock(T0)
    recorded = recorded_jobs(load_cassettes([FIXTURES_DIR]))
    jobs = store(clock, recorded=recorded)
    for name in ("first", "second", "third"):
        jobs.create(request(name))
        clock.advance(1)
    jobs.create(request("elsewhere", solutionVersionArn=OTHER_SV))
    listed = jobs.list({})
    assert names(listed)[:4] == ["elsewhere", "third", "second", "first"]
    assert len(listed["batchInferenceJobs"]) == 4 + len(recorded)
    assert "nextToken" not in listed
    # The recorded jobs appear as their last recorded state (lifecycle.json ends ACTIVE).
    nightly = next(j for j in listed["batchInferenceJobs"] if j["jobName"] == "nightly-batch")
    assert nightly["status"] == "ACTIVE"
    assert set(listed["batchInferenceJobs"][0]) == {
        "batchInferenceJobArn",
        "jobName",
        "status",
        "creationDateTime",
        "lastUpdatedDateTime",
        "solutionVersionArn",
        "batchInferenceJobMode",
    }
    assert names(jobs.list({"solutionVersionArn": OTHER_SV})) == ["elsewhere"]
    times = [job["creationDateTime"] for job in listed["batchInferenceJobs"]]
    assert times == sorted(times, reverse=True)


def test_list_pages_cover_every_job_once_even_when_jobs_are_created_between_pages() -> None:
    clock = Clock(T0)
    jobs = store(clock, recorded=recorded_jobs(load_cassettes([FIXTURES_DIR])))
    for number in range(7):
        jobs.create(request(f"job-{number}"))
        clock.advance(1)
    everything = names(jobs.list({}))
    seen: list[str] = []
    page = jobs.list({"maxResults": 3})
    pages = 1
    while True:
        assert len(page["batchInferenceJobs"]) <= 3
        seen += names(page)
        jobs.create(request(f"late-{pages}"))  # newer than every page: never shown here
        clock.advance(1)
        if "nextToken" not in page:
            break
        page = jobs.list({"maxResults": 3, "nextToken": page["nextToken"]})
        pages += 1
        assert pages < 50
    assert seen == everything
    assert pages == -(-len(everything) // 3)


def test_max_results_defaults_to_100_and_is_validated() -> None:
    clock = Clock(T0)
    jobs = store(clock)
    for number in range(DEFAULT_PAGE_SIZE + 1):
        jobs.create(request(f"j{number}"))
    first = jobs.list({})
    assert len(first["batchInferenceJobs"]) == DEFAULT_PAGE_SIZE
    assert len(jobs.list({"nextToken": first["nextToken"]})["batchInferenceJobs"]) == 1
    for bad in (0, 101, "5"):
        assert code_of(functools.partial(jobs.list, {"maxResults": bad})) == "InvalidInputException"


def test_a_token_the_store_did_not_issue_is_invalid() -> None:
    clock = Clock(T0)
    jobs, other = store(clock), store(clock)
    for number in range(3):
        jobs.create(request(f"j{number}"))
        other.create(request(f"j{number}"))
    token = jobs.list({"maxResults": 1})["nextToken"]
    foreign = other.list({"maxResults": 1})["nextToken"]
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-3] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    for bad in (foreign, tampered, "abc", "!!!!", token[:-4]):
        assert code_of(functools.partial(jobs.list, {"nextToken": bad})) == (
            "InvalidNextTokenException"
        )
    # A token is tied to its filter.
    assert code_of(lambda: jobs.list({"nextToken": token, "solutionVersionArn": SV})) == (
        "InvalidNextTokenException"
    )
    assert names(jobs.list({"nextToken": token, "maxResults": 1})) == ["j1"]


def test_the_store_is_safe_from_many_threads() -> None:
    jobs = store(Clock(T0))
    errors: list[BaseException] = []

    def create(worker: int) -> None:
        try:
            for number in range(50):
                jobs.create(request(f"w{worker}-{number}"))
                jobs.list({"maxResults": 5})
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(jobs) == 400
    assert len(jobs.list({"maxResults": 100})["batchInferenceJobs"]) == 100


# ------------------------------------------------------------------ over HTTP


@pytest.fixture
def clock() -> Clock:
    """Near the real time (the clients sign with it), moved by the tests."""
    return Clock(datetime.now(timezone.utc))


@pytest.fixture
def emulator(clock: Clock) -> Iterator[FixtureServer]:
    with FixtureServer(
        [FIXTURES_DIR],
        credentials={EXAMPLE.access_key_id: EXAMPLE.secret_access_key},
        clock=clock,
        job_duration=60.0,
    ) as server:
        yield server


def call(url: str, target: str, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = sign_headers(
        method="POST",
        url=url + "/",
        headers=[("Content-Type", JSON_1_1), ("X-Amz-Target", f"AmazonPersonalize.{target}")],
        body=body,
        credentials=EXAMPLE,
        region="us-east-1",
        now=datetime.now(timezone.utc),
    )
    with httpx.Client(timeout=10) as http:
        return http.post(url + "/", content=body, headers=dict(headers))


def aws_error(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == JSON_1_1
    assert response.headers["x-amzn-requestid"]
    doc = response.json()
    assert response.headers["x-amzn-errortype"] == doc["__type"]
    assert doc["message"]
    return response.status_code, doc["__type"]


def test_http_errors_have_the_aws_json_shape(emulator: FixtureServer) -> None:
    url = emulator.url
    assert call(url, "CreateBatchInferenceJob", request("h1")).status_code == 200
    assert aws_error(call(url, "CreateBatchInferenceJob", request("h1"))) == (
        400,
        "ResourceAlreadyExistsException",
    )
    assert aws_error(call(url, "CreateBatchInferenceJob", request("bad name"))) == (
        400,
        "InvalidInputException",
    )
    assert aws_error(call(url, "ListBatchInferenceJobs", {"nextToken": "nope"})) == (
        400,
        "InvalidNextTokenException",
    )
    assert aws_error(call(url, "ListBatchInferenceJobs", {"maxResults": 0})) == (
        400,
        "InvalidInputException",
    )
    described = call(url, "DescribeBatchInferenceJob", {"batchInferenceJobArn": PREFIX + "h1"})
    assert described.status_code == 200
    assert described.json()["batchInferenceJob"]["status"] == "PENDING"
    # A recorded job is still answered from its cassette.
    recorded = call(
        url, "DescribeBatchInferenceJob", {"batchInferenceJobArn": PREFIX + "movie-recs-full"}
    )
    assert recorded.json()["batchInferenceJob"]["status"] == "ACTIVE"
    assert len(emulator.jobs) == 1


def make_sync(url: str, clock: Clock, aws_env: dict[str, str]) -> PersonalizeClient:
    return PersonalizeClient(
        region="us-east-1",
        endpoint_url=url,
        credentials=EXAMPLE,
        env=aws_env,
        sleep=clock.advance,  # waiting moves the emulator's time, nobody sleeps
        jitter=lambda: 0.0,
    )


def test_the_sync_client_plays_the_lifecycle(
    emulator: FixtureServer, clock: Clock, aws_env: dict[str, str]
) -> None:
    with make_sync(emulator.url, clock, aws_env) as client:
        arn = client.create_batch_inference_job(
            job_name="sync-job",
            solution_version_arn=SV,
            role_arn=ROLE,
            job_input="s3://bucket/in.json",
            job_output="s3://bucket/out/",
            num_results=10,
            tags={"team": "recs"},
        )
        assert arn == PREFIX + "sync-job"
        listed = list(client.list_batch_inference_jobs(page_size=2))
        assert listed[0].job_name == "sync-job"
        assert listed[0].status == "PENDING"
        assert len(listed) == len({job.batch_inference_job_arn for job in listed}) > 2
        first = next(iter(client.list_batch_inference_jobs(solution_version_arn=SV)))
        assert first.job_name == "sync-job"
        statuses: list[str | None] = []
        job = client.wait_for_batch_inference_job(
            arn, poll_interval=5, on_update=lambda j: statuses.append(j.status)
        )
        assert statuses == ["PENDING", "IN_PROGRESS", "ACTIVE"]
        assert job.is_active
        described = client.describe_batch_inference_job(arn)
        assert described == job
        assert described.num_results == 10
        assert described.job_input is not None
        assert described.job_input.s3_data_source.path == "s3://bucket/in.json"
        assert described.last_updated_date_time - described.creation_date_time == timedelta(  # type: ignore[operator]
            seconds=60
        )
        with pytest.raises(ResourceAlreadyExistsException):
            client.create_batch_inference_job(
                job_name="sync-job",
                solution_version_arn=SV,
                role_arn=ROLE,
                job_input="s3://bucket/in.json",
                job_output="s3://bucket/out/",
            )
        client.create_batch_inference_job(
            job_name="fail-sync",
            solution_version_arn=SV,
            role_arn=ROLE,
            job_input="s3://bucket/in.json",
            job_output="s3://bucket/out/",
        )
        with pytest.raises(BatchInferenceJobFailed):
            client.wait_for_batch_inference_job(PREFIX + "fail-sync", poll_interval=5)
        with pytest.raises(ParamValidationError):  # refused before anything is sent
            client.create_batch_inference_job(
                job_name="bad name",
                solution_version_arn=SV,
                role_arn=ROLE,
                job_input="s3://bucket/in.json",
                job_output="s3://bucket/out/",
            )
    assert len(emulator.jobs) == 2


@pytest.mark.anyio
async def test_the_async_clients_play_the_lifecycle(
    emulator: FixtureServer, clock: Clock, aws_env: dict[str, str], anyio_backend: str
) -> None:
    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        await anyio.sleep(0)

    name = f"async-{anyio_backend}"
    with anyio.fail_after(30):
        async with AsyncPersonalizeClient(
            region="us-east-1",
            endpoint_url=emulator.url,
            credentials=EXAMPLE,
            env=aws_env,
            sleep=sleep,
            jitter=lambda: 0.0,
        ) as client:
            arn = await client.create_batch_inference_job(
                job_name=name,
                solution_version_arn=SV,
                role_arn=ROLE,
                job_input="s3://bucket/in.json",
                job_output="s3://bucket/out/",
            )
            assert arn == PREFIX + name
            listed = [job async for job in client.list_batch_inference_jobs(page_size=3)]
            assert listed[0].job_name == name
            assert len(listed) == len(emulator.jobs) + len(
                recorded_jobs(load_cassettes([FIXTURES_DIR]))
            )
            statuses: list[str | None] = []
            job = await client.wait_for_batch_inference_job(
                arn, poll_interval=5, on_update=lambda j: statuses.append(j.status)
            )
            assert statuses == ["PENDING", "IN_PROGRESS", "ACTIVE"]
            assert (await client.describe_batch_inference_job(arn)) == job
            with pytest.raises(ResourceAlreadyExistsException):
                await client.create_batch_inference_job(
                    job_name=name,
                    solution_version_arn=SV,
                    role_arn=ROLE,
                    job_input="s3://bucket/in.json",
                    job_output="s3://bucket/out/",
                )


def test_the_service_errors_are_typed_for_our_client(
    emulator: FixtureServer, clock: Clock, aws_env: dict[str, str]
) -> None:
    with make_sync(emulator.url, clock, aws_env) as client:
        # Our client validates first; a raw list call with a forged token reaches the server.
        response = call(emulator.url, "ListBatchInferenceJobs", {"nextToken": "Zm9vYmFy"})
        assert aws_error(response) == (400, "InvalidNextTokenException")
        # An input our client accepts but the emulator cannot place (no account) is refused.
        with pytest.raises(InvalidInputException):
            client.create_batch_inference_job(
                job_name="no-account",
                solution_version_arn="arn:aws:personalize:us-east-1::solution/s/1",
                role_arn=ROLE,
                job_input="s3://bucket/in.json",
                job_output="s3://bucket/out/",
            )
