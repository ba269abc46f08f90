"""Tests for personalize_lite.testing._replay: cassettes replayed through respx for both
clients (async on asyncio, where the client uses the aiohttp transport, and on trio),
as a context manager and as a decorator; the mismatch error; strict replay against the
bundled example-key cassettes, including a deliberately changed client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import personalize_lite._call
import personalize_lite._sigv4
from personalize_lite import (
    AccessDeniedException,
    AsyncPersonalizeClient,
    Credentials,
    ExpiredTokenException,
    PersonalizeClient,
    PersonalizeServiceError,
    ResourceNotFoundException,
)
from personalize_lite.testing import (
    Cassette,
    CassetteError,
    CassetteMismatchError,
    Replay,
    bundled_cassettes,
    load_cassette,
    replay,
)
from tests.support.paths import FIXTURES, load_json

CREDS = Credentials(access_key_id="AKIDTESTING", secret_access_key="not-a-real-secret")
SIGNED_AT = datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc)
Expected = str | type[PersonalizeServiceError]

#: cassette stem -> (job name in its ARN, statuses of successive calls, or the error)
CASSETTES: dict[str, tuple[str, list[str] | type[PersonalizeServiceError]]] = {
    "access-denied": ("forbidden-job", AccessDeniedException),
    "active-full": ("movie-recs-full", ["ACTIVE", "ACTIVE"]),
    "create-failed": ("movie-recs-failed", ["CREATE FAILED"]),
    "expired-token": ("needs-fresh-token", ExpiredTokenException),
    "in-progress": ("movie-recs-running", ["IN PROGRESS"]),
    "lifecycle": ("nightly-batch", ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE"]),
    "not-found": ("no-such-job", ResourceNotFoundException),
    "pending": ("movie-recs-pending", ["PENDING"]),
    "ranking-influence": ("trending-now", ["ACTIVE"]),
    "theme-generation": ("themes-2024", ["ACTIVE"]),
    "throttled-then-ok": ("busy-job", ["ACTIVE", "ACTIVE"]),
    "unavailable-then-ok": ("flaky-job", ["ACTIVE", "ACTIVE"]),
}
#: replies served for the calls above (retries included)
SERVED = {"throttled-then-ok": 3, "unavailable-then-ok": 3, "lifecycle": 4}


def arn(name: str) -> str:
    return f"arn:aws:personalize:us-east-1:123456789012:batch-inference-job/{name}"


@pytest.fixture
def sync_client(aws_env: dict[str, str]) -> Iterator[Callable[..., PersonalizeClient]]:
    made: list[PersonalizeClient] = []

    def make(**kwargs: Any) -> PersonalizeClient:
        options: dict[str, Any] = {
            "region": "us-east-1",
            "credentials": CREDS,
            "env": aws_env,
            "sleep": lambda _s: None,
            "jitter": lambda: 0.0,
        }
        options.update(kwargs)
        client = PersonalizeClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


async def _no_sleep(_seconds: float) -> None:
    return None


def async_client(aws_env: dict[str, str], **kwargs: Any) -> AsyncPersonalizeClient:
    options: dict[str, Any] = {
        "region": "us-east-1",
        "credentials": CREDS,
        "env": aws_env,
        "sleep": _no_sleep,
        "jitter": lambda: 0.0,
    }
    options.update(kwargs)
    return AsyncPersonalizeClient(**options)


def describe_strict(
    sync_client: Callable[..., PersonalizeClient], name: str = "my-batch-job", **kwargs: Any
) -> None:
    """Describe ``name`` under a strict replay of strict-active, signing as the replay
    says unless ``kwargs`` say otherwise."""
    with replay("strict-active", strict=True) as r:
        options: dict[str, Any] = {"credentials": r.credentials, "clock": r.clock}
        options.update(kwargs)
        sync_client(**options).describe_batch_inference_job(arn(name))


def test_the_table_covers_every_bundled_cassette_but_the_strict_ones() -> None:
    stems = {p.stem for p in FIXTURES.glob("*.json")}
    assert {s for s in stems if not s.startswith("strict-")} == set(CASSETTES)
    assert {"strict-active", "strict-not-found"} <= stems
    # The checkout's directory (editable install) or the installed wheel's copy of it.
    bundled = {p.name: p.read_bytes() for p in bundled_cassettes().glob("*.json")}
    assert bundled == {p.name: p.read_bytes() for p in FIXTURES.glob("*.json")}


# --------------------------------------------------------------- every bundled cassette


@pytest.mark.parametrize("stem", sorted(CASSETTES))
def test_every_bundled_cassette_through_the_sync_client(
    stem: str, sync_client: Callable[..., PersonalizeClient]
) -> None:
    name, expected = CASSETTES[stem]
    with replay(stem) as r:
        client = sync_client()
        if isinstance(expected, list):
            statuses = [client.describe_batch_inference_job(arn(name)).status for _ in expected]
            assert statuses == expected
        else:
            with pytest.raises(expected) as info:
                client.describe_batch_inference_job(arn(name))
            assert info.value.status_code == 400
            assert info.value.request_id is not None
    assert len(r.calls) == SERVED.get(stem, len(expected) if isinstance(expected, list) else 1)
    assert {call.cassette for call in r.calls} == {stem}
    assert all(call.request.url.host == "personalize.us-east-1.amazonaws.com" for call in r.calls)


@pytest.mark.anyio
@pytest.mark.parametrize("stem", sorted(CASSETTES))
async def test_every_bundled_cassette_through_the_async_client(
    stem: str, anyio_backend: str, aws_env: dict[str, str]
) -> None:
    name, expected = CASSETTES[stem]
    with replay(stem) as r:
        async with async_client(aws_env) as client:
            if anyio_backend == "asyncio":  # respx must intercept the aiohttp transport too
                httpx_aiohttp = pytest.importorskip("httpx_aiohttp")
                assert client._client is not None
                assert isinstance(client._client._transport, httpx_aiohttp.AiohttpTransport)
            if isinstance(expected, list):
                statuses = [
                    (await client.describe_batch_inference_job(arn(name))).status for _ in expected
                ]
                assert statuses == expected
            else:
                with pytest.raises(expected):
                    await client.describe_batch_inference_job(arn(name))
    assert len(r.calls) == SERVED.get(stem, len(expected) if isinstance(expected, list) else 1)


def test_lifecycle_is_served_in_order_and_the_last_reply_repeats(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with replay("lifecycle") as r:
        client = sync_client()
        statuses = [
            client.describe_batch_inference_job(arn("nightly-batch")).status for _ in "12345"
        ]
    assert statuses == ["PENDING", "IN PROGRESS", "ACTIVE", "ACTIVE", "ACTIVE"]
    assert [call.interaction for call in r.calls] == [1, 2, 3, 3, 3]
    assert [call.response.headers["x-amzn-RequestId"][-2:] for call in r.calls] == [
        "07",
        "08",
        "09",
        "09",
        "09",
    ]


def test_each_start_serves_from_the_beginning(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    r = replay("lifecycle")
    for _ in range(2):
        with r:
            assert sync_client().describe_batch_inference_job(arn("nightly-batch")).status == (
                "PENDING"
            )
        assert len(r.calls) == 1


def test_any_region_and_endpoint_is_served(sync_client: Callable[..., PersonalizeClient]) -> None:
    with replay("active-full") as r:
        eu = sync_client(region="eu-west-1").describe_batch_inference_job(arn("movie-recs-full"))
        custom = sync_client(
            endpoint_url="https://personalize.internal.example"
        ).describe_batch_inference_job(arn("movie-recs-full"))
    assert eu == custom
    assert eu.job_name == "movie-recs-full"
    assert [c.request.url.host for c in r.calls] == [
        "personalize.eu-west-1.amazonaws.com",
        "personalize.internal.example",
    ]


def test_several_cassettes_paths_and_cassette_objects(
    sync_client: Callable[..., PersonalizeClient], tmp_path: Path
) -> None:
    copy = tmp_path / "my-copy.json"
    copy.write_text((FIXTURES / "pending.json").read_text(encoding="utf-8"), encoding="utf-8")
    cassette = load_cassette(FIXTURES / "in-progress.json")
    with replay("active-full.json", copy, cassette, str(FIXTURES / "not-found.json")) as r:
        client = sync_client()
        assert client.describe_batch_inference_job(arn("movie-recs-full")).status == "ACTIVE"
        assert client.describe_batch_inference_job(arn("movie-recs-pending")).status == "PENDING"
        job = client.describe_batch_inference_job(arn("movie-recs-running"))
        assert job.status == "IN PROGRESS"
        with pytest.raises(ResourceNotFoundException):
            client.describe_batch_inference_job(arn("no-such-job"))
    assert [c.cassette for c in r.calls] == ["active-full", "my-copy", "in-progress", "not-found"]
    assert [c.name for c in r.cassettes] == ["active-full", "my-copy", "in-progress", "not-found"]
    # the Cassette passed in was replayed from a copy: its own state is untouched
    assert cassette.next_response(cassette.interactions[0].key) is not None


def test_a_directory_contributes_every_cassette(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with replay(FIXTURES) as r:
        job = sync_client().describe_batch_inference_job(arn("themes-2024"))
    assert job.theme_generation_config is not None
    assert len(r.cassettes) == len(list(FIXTURES.glob("*.json")))


def test_unknown_sources_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"no bundled cassette named 'nope'.*active-full"):
        replay("nope")
    with pytest.raises(CassetteError, match="does not exist"):
        replay(tmp_path / "missing.json")
    with pytest.raises(CassetteError, match="at least one cassette"):
        replay()
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2}', encoding="utf-8")
    with pytest.raises(CassetteError, match="not a version 1 cassette"):
        replay(bad)


def test_importing_the_testing_package_does_not_import_respx() -> None:
    import subprocess
    import sys

    code = (
        "import sys, personalize_lite.testing, personalize_lite.testing.pytest_plugin;"
        "r = personalize_lite.testing.replay('active-full');"
        "print('respx' in sys.modules, r.started)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


# --------------------------------------------------------------- decorator


@replay("active-full")
def test_decorator_on_a_sync_test(sync_client: Callable[..., PersonalizeClient]) -> None:
    assert sync_client().describe_batch_inference_job(arn("movie-recs-full")).is_active


@pytest.mark.anyio
@replay("lifecycle")
async def test_decorator_on_an_async_test(anyio_backend: str, aws_env: dict[str, str]) -> None:
    async with async_client(aws_env) as client:
        first = await client.describe_batch_inference_job(arn("nightly-batch"))
        second = await client.describe_batch_inference_job(arn("nightly-batch"))
    assert (first.status, second.status) == ("PENDING", "IN PROGRESS")


def test_a_decorated_function_gets_a_fresh_replay_per_call(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    @replay("lifecycle")
    def first_status() -> str:
        return str(sync_client().describe_batch_inference_job(arn("nightly-batch")).status)

    assert [first_status(), first_status()] == ["PENDING", "PENDING"]
    # outside the decorated call nothing is intercepted any more
    with respx.mock(using="httpx") as router:
        router.post().respond(200, json={"batchInferenceJob": {"status": "FROM-RESPX"}})
        assert sync_client().describe_batch_inference_job(arn("x")).status == "FROM-RESPX"


def test_decorated_async_function_runs_under_asyncio(aws_env: dict[str, str]) -> None:
    @replay("not-found")
    async def describe() -> str:
        async with async_client(aws_env) as client:
            try:
                await client.describe_batch_inference_job(arn("no-such-job"))
            except ResourceNotFoundException as exc:
                return exc.code
        return "no error"

    assert asyncio.run(describe()) == "ResourceNotFoundException"


# --------------------------------------------------------------- mismatches


def test_an_unmatched_request_names_the_closest_recorded_one(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with (
        pytest.raises(CassetteMismatchError) as info,
        replay("active-full", "pending", "lifecycle"),
    ):
        sync_client().describe_batch_inference_job(arn("movie-recs-pendin"))
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "no recorded interaction matches this request" in message
    assert "closest: cassette 'pending', interaction 1" in message
    assert (
        "differs: body field 'batchInferenceJobArn': recorded "
        f"'{arn('movie-recs-pending')}', sent '{arn('movie-recs-pendin')}'"
    ) in message
    assert "active-full (1), pending (1), lifecycle (3)" in message


def test_a_mismatch_reports_a_different_target() -> None:
    body = json.dumps({"batchInferenceJobArn": arn("movie-recs-full")})
    with pytest.raises(CassetteMismatchError) as info, replay("active-full"):
        httpx.post(
            "https://personalize.us-east-1.amazonaws.com/",
            content=body,
            headers={"X-Amz-Target": "AmazonPersonalize.DescribeSolution"},
        )
    assert "closest: cassette 'active-full', interaction 1 (body similarity 1.000)" in str(
        info.value
    )
    assert (
        "X-Amz-Target: recorded 'AmazonPersonalize.DescribeBatchInferenceJob', "
        "sent 'AmazonPersonalize.DescribeSolution'"
    ) in str(info.value)


def test_a_swallowed_mismatch_is_raised_when_the_replay_ends(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    def code_that_hides_errors() -> None:
        with contextlib.suppress(Exception):
            sync_client().describe_batch_inference_job(arn("elsewhere"))

    r = replay("active-full")
    with pytest.raises(CassetteMismatchError) as info, r:
        code_that_hides_errors()
    assert "1 request(s) did not match" in str(info.value)
    assert "closest: cassette 'active-full'" in str(info.value)
    assert len(r.mismatches) == 1


def test_other_services_fall_through_to_other_respx_routes(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with replay("active-full") as r, respx.mock(using="httpx") as other:
        route = other.get("https://example.test/health").respond(200, text="ok")
        assert httpx.get("https://example.test/health").text == "ok"
        assert sync_client().describe_batch_inference_job(arn("movie-recs-full")).is_active
    assert route.call_count == 1
    assert len(r.calls) == 1


def test_two_replays_at_once_share_the_work(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with replay("active-full") as outer, replay("pending") as inner:
        client = sync_client()
        assert client.describe_batch_inference_job(arn("movie-recs-pending")).status == "PENDING"
        assert client.describe_batch_inference_job(arn("movie-recs-full")).status == "ACTIVE"
    assert [c.cassette for c in outer.calls] == ["active-full"]
    assert [c.cassette for c in inner.calls] == ["pending"]
    with (
        pytest.raises(CassetteMismatchError, match=r"active-full \(1\), pending \(1\)"),
        replay("active-full"),
        replay("pending"),
    ):
        sync_client().describe_batch_inference_job(arn("neither"))


def test_a_started_replay_cannot_start_twice() -> None:
    with replay("active-full") as r:
        started_inside = r.started
        with pytest.raises(RuntimeError, match="already started"):
            r.start()
    assert (started_inside, r.started) == (True, False)
    assert "active-full" in repr(r)


# --------------------------------------------------------------- strict replay


def test_strict_replay_passes_with_the_client_as_it_is(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with replay("strict-active", "strict-not-found", strict=True) as r:
        assert r.clock() == SIGNED_AT
        assert r.credentials.access_key_id == "AKIDEXAMPLE"
        client = sync_client(credentials=r.credentials, clock=r.clock)
        job = client.describe_batch_inference_job(arn("my-batch-job"))
        with pytest.raises(ResourceNotFoundException):
            client.describe_batch_inference_job(arn("no-such-job"))
    assert job.job_name == "my-batch-job"
    assert job.status == "ACTIVE"
    assert [c.cassette for c in r.calls] == ["strict-active", "strict-not-found"]


@pytest.mark.anyio
async def test_strict_replay_passes_with_the_async_client(
    anyio_backend: str, aws_env: dict[str, str]
) -> None:
    with replay("strict-active", strict=True) as r:
        async with async_client(aws_env, credentials=r.credentials, clock=r.clock) as client:
            job = await client.describe_batch_inference_job(arn("my-batch-job"))
    assert job.job_name == "my-batch-job"
    assert len(r.calls) == 1


def test_strict_replay_catches_a_changed_content_type(
    sync_client: Callable[..., PersonalizeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # _call imported CONTENT_TYPE from _json_protocol by name: patch the name it uses.
    monkeypatch.setattr(personalize_lite._call, "CONTENT_TYPE", "application/x-amz-json-1.0")
    with replay("strict-active") as loose:  # the matching rules alone do not see it
        client = sync_client(credentials=loose.credentials, clock=loose.clock)
        assert client.describe_batch_inference_job(arn("my-batch-job")).is_active
    with pytest.raises(CassetteMismatchError) as info:
        describe_strict(sync_client)
    message = str(info.value)
    assert "strict replay: the request matches cassette 'strict-active', interaction 1" in message
    assert (
        "Content-Type: recorded 'application/x-amz-json-1.1', sent 'application/x-amz-json-1.0'"
        in message
    )
    assert "Signature=352018b14c13d781b5230a9bde8227c58dca2618e9be652980394faf97fd4c93" in message
    assert "Authorization sent:     AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" in message
    assert "X-Amz-Date recorded: 20150830T123600Z, sent: 20150830T123600Z" in message


def test_strict_replay_catches_a_changed_signed_header(
    sync_client: Callable[..., PersonalizeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_sign = personalize_lite._sigv4.sign_headers

    def sign_one_more(**kwargs: Any) -> list[tuple[str, str]]:
        kwargs["headers"] = [*kwargs["headers"], ("X-Amz-Extra", "1")]
        return real_sign(**kwargs)

    monkeypatch.setattr(personalize_lite._call, "sign_headers", sign_one_more)
    with pytest.raises(CassetteMismatchError) as info:
        describe_strict(sync_client)
    message = str(info.value)
    assert "signed headers recorded: content-type;host;x-amz-date;x-amz-target" in message
    assert (
        "signed headers sent:     content-type;host;x-amz-date;x-amz-extra;x-amz-target" in message
    )


def test_strict_replay_catches_a_different_date_and_region(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    later = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with pytest.raises(CassetteMismatchError) as info:
        describe_strict(sync_client, clock=lambda: later)
    assert "X-Amz-Date: recorded '20150830T123600Z', sent '20240102T030405Z'" in str(info.value)
    with pytest.raises(CassetteMismatchError) as info:
        describe_strict(sync_client, region="eu-west-1")
    assert "Credential=AKIDEXAMPLE/20150830/eu-west-1/personalize/aws4_request" in str(info.value)
    assert "URL recorded: https://personalize.us-east-1.amazonaws.com/" in str(info.value)


def test_strict_replay_hides_a_signature_made_with_other_keys(
    sync_client: Callable[..., PersonalizeClient],
) -> None:
    with pytest.raises(CassetteMismatchError) as info:
        describe_strict(sync_client, credentials=CREDS)
    message = str(info.value)
    assert "Credential=AKIDTESTING/" in message
    assert "Signature=(hidden: not signed with the example keys)" in message


def test_strict_cassette_equals_botocores_signed_request() -> None:
    case = load_json("botocore-observed/capture_request.out.json")["cases"][0]
    assert case["inputs"]["access_key"] == "AKIDEXAMPLE"
    assert case["inputs"]["session_token"] is None
    sent = dict(case["request"]["headers"])
    cassette = load_cassette(FIXTURES / "strict-active.json")
    (interaction,) = cassette.interactions
    recorded = interaction.request
    assert recorded is not None
    assert recorded.header("Authorization") == sent["Authorization"]
    assert (
        "Signature=352018b14c13d781b5230a9bde8227c58dca2618e9be652980394faf97fd4c93"
        in (sent["Authorization"])
    )
    assert recorded.header("X-Amz-Date") == sent["X-Amz-Date"]
    assert recorded.body == case["request"]["body"]
    assert recorded.url == case["request"]["url"]
    assert cassette.example_credentials is not None
    assert cassette.example_credentials.secret_access_key == case["inputs"]["secret_key"]
    assert replay("strict-active", strict=True).clock() == datetime.fromisoformat(
        case["inputs"]["frozen_utc"].replace("Z", "+00:00")
    )


def test_strict_mode_refuses_a_cassette_without_a_recorded_signature(tmp_path: Path) -> None:
    with pytest.raises(
        CassetteError, match="'active-full', interaction 1 has no recorded Authorization"
    ):
        replay("active-full", strict=True)
    doc = json.loads((FIXTURES / "strict-active.json").read_text(encoding="utf-8"))
    headers = doc["interactions"][0]["request"]["headers"]
    headers["Authorization"] = (
        headers["Authorization"].split("Signature=")[0] + "Signature=REDACTED"
    )
    redacted = tmp_path / "redacted.json"
    redacted.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CassetteError, match="redacted signature"):
        replay(redacted, strict=True)
    assert replay(redacted).strict is False  # fine for ordinary replay


def test_credentials_and_clock_need_recorded_values() -> None:
    r = replay("active-full")
    with pytest.raises(CassetteError, match="example_credentials"):
        _ = r.credentials
    with pytest.raises(CassetteError, match="no interaction has a recorded X-Amz-Date"):
        r.clock()


@pytest.mark.parametrize(
    ("access_key_id", "secret", "message"),
    [
        ("AKIAREALKEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "example keys"),
        ("AKIDEXAMPLE", "a-real-looking-secret", "example keys"),
    ],
)
def test_a_cassette_never_carries_other_credentials(
    tmp_path: Path, access_key_id: str, secret: str, message: str
) -> None:
    doc = json.loads((FIXTURES / "strict-active.json").read_text(encoding="utf-8"))
    doc["example_credentials"] = {"access_key_id": access_key_id, "secret_access_key": secret}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CassetteError, match=message) as info:
        replay(path)
    assert secret not in str(info.value)
    with pytest.raises(CassetteError):
        Cassette(
            "x",
            [],
            example_credentials=Credentials(access_key_id=access_key_id, secret_access_key=secret),
        )


def test_replay_type_is_exported() -> None:
    assert isinstance(replay("pending"), Replay)
