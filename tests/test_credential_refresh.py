"""CredentialCache: boto3's refresh windows, single-flight refresh across tasks and
threads, and an event loop that keeps running while credentials load."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest

from personalize_lite import (
    AsyncPersonalizeClient,
    CredentialRetrievalError,
    Credentials,
    PersonalizeClient,
)
from personalize_lite._steps import HttpRequest, Plan, Send
from personalize_lite.credentials._base import CredentialCache
from personalize_lite.testing import FixtureServer
from tests.support.jobs import FULL_ARN as ARN
from tests.support.plans import FakeClock, drive


class _Scripted:
    """A provider that returns (or raises) the next scripted outcome on each load."""

    name = "scripted"

    def __init__(self, *outcomes: Credentials | Exception) -> None:
        self.outcomes = list(outcomes)
        self.loads = 0

    def load(self) -> Plan[Credentials | None]:
        self.loads += 1
        yield from ()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _creds(key: str, expires: datetime | None) -> Credentials:
    return Credentials(access_key_id=key, secret_access_key="s", expiration=expires)


def test_static_credentials_load_once() -> None:
    provider = _Scripted(_creds("AKID1", None))
    cache = CredentialCache(provider, FakeClock())
    for _ in range(3):
        assert drive(cache.get(), []).result.access_key_id == "AKID1"
    assert provider.loads == 1


def test_refresh_in_the_advisory_window_replaces_credentials() -> None:
    clock = FakeClock()
    provider = _Scripted(
        _creds("OLD", clock.now + timedelta(hours=1)), _creds("NEW", clock.now + timedelta(hours=2))
    )
    cache = CredentialCache(provider, clock)
    assert drive(cache.get(), []).result.access_key_id == "OLD"
    clock.advance(44 * 60)  # 16 minutes left: still fresh
    assert drive(cache.get(), []).result.access_key_id == "OLD"
    assert provider.loads == 1
    clock.advance(2 * 60)  # 14 minutes left: advisory window
    assert drive(cache.get(), []).result.access_key_id == "NEW"
    assert provider.loads == 2


def test_failed_refresh_in_the_advisory_window_keeps_the_old_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    failure = CredentialRetrievalError("STS unavailable", provider="assume-role")
    provider = _Scripted(_creds("OLD", clock.now + timedelta(hours=1)), failure)
    cache = CredentialCache(provider, clock)
    drive(cache.get(), [])
    clock.advance(48 * 60)  # 12 minutes left: advisory, not yet mandatory
    run = drive(cache.get(), [])
    assert run.error is None
    assert run.result.access_key_id == "OLD"
    assert "credential refresh failed" in caplog.text
    assert "STS unavailable" in caplog.text


def test_failed_refresh_in_the_mandatory_window_raises() -> None:
    clock = FakeClock()
    failure = CredentialRetrievalError("STS unavailable", provider="assume-role")
    provider = _Scripted(_creds("OLD", clock.now + timedelta(hours=1)), failure)
    cache = CredentialCache(provider, clock)
    drive(cache.get(), [])
    clock.advance(51 * 60)  # 9 minutes left: mandatory
    run = drive(cache.get(), [])
    assert run.error is failure


def test_expired_credentials_with_a_failed_refresh_raise() -> None:
    clock = FakeClock()
    failure = CredentialRetrievalError("gone", provider="sso")
    provider = _Scripted(_creds("OLD", clock.now + timedelta(minutes=5)), failure)
    cache = CredentialCache(provider, clock)
    drive(cache.get(), [])  # loaded even though already in the mandatory window
    clock.advance(60)
    assert drive(cache.get(), []).error is failure


# ---------------------------------------------------------------- single flight, for real


class _CredentialServer:
    """A slow loopback credentials endpoint that counts its hits."""

    def __init__(self, delay: float) -> None:
        self.hits = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with outer.lock:
                    outer.hits += 1
                time.sleep(delay)
                expires = datetime.now(timezone.utc) + timedelta(hours=1)
                body = json.dumps(
                    {
                        "AccessKeyId": "AKIDFLIGHT",
                        "SecretAccessKey": "s",
                        "Expiration": expires.isoformat(),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/creds"

    def __enter__(self) -> _CredentialServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _HttpProvider:
    """Fetches credentials over HTTP through the client's own driver (a Send step)."""

    name = "http-test"

    def __init__(self, url: str) -> None:
        self.url = url

    def load(self) -> Plan[Credentials | None]:
        response = yield Send(
            request=HttpRequest(method="GET", url=self.url, headers=(), body=b""), timeout=5.0
        )
        data = json.loads(response.body)
        return Credentials(
            access_key_id=data["AccessKeyId"],
            secret_access_key=data["SecretAccessKey"],
            expiration=datetime.fromisoformat(data["Expiration"]),
        )


@pytest.fixture
def credential_server() -> Iterator[_CredentialServer]:
    with _CredentialServer(delay=0.2) as server:
        yield server


@pytest.mark.anyio
async def test_two_hundred_concurrent_async_calls_share_one_fetch(
    credential_server: _CredentialServer, fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    results: list[str | None] = []
    async with AsyncPersonalizeClient(
        region="us-east-1",
        endpoint_url=fixture_server.url,
        credentials=_HttpProvider(credential_server.url),
        env=aws_env,
    ) as client:

        async def one() -> None:
            job = await client.describe_batch_inference_job(ARN)
            results.append(job.status)

        async with anyio.create_task_group() as tg:
            for _ in range(200):
                tg.start_soon(one)
    assert results == ["ACTIVE"] * 200
    assert credential_server.hits == 1


def test_twenty_threads_share_one_fetch(
    credential_server: _CredentialServer, fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    results: list[str | None] = []
    errors: list[BaseException] = []
    with PersonalizeClient(
        region="us-east-1",
        endpoint_url=fixture_server.url,
        credentials=_HttpProvider(credential_server.url),
        env=aws_env,
    ) as client:
        barrier = threading.Barrier(20)

        def one() -> None:
            barrier.wait()
            try:
                results.append(client.describe_batch_inference_job(ARN).status)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert results == ["ACTIVE"] * 20
    assert credential_server.hits == 1


@pytest.mark.anyio
async def test_the_event_loop_keeps_ticking_while_credentials_load(
    fixture_server: FixtureServer, aws_env: dict[str, str]
) -> None:
    """A blocking credential source (a slow callable, like credential_process) runs in a
    worker thread: a ticker task on the loop keeps ticking meanwhile."""

    def slow_source() -> Credentials:
        time.sleep(0.5)
        return Credentials(access_key_id="AKIDSLOW", secret_access_key="s")

    ticks = 0
    done = anyio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        started = time.monotonic()
        async with AsyncPersonalizeClient(
            region="us-east-1",
            endpoint_url=fixture_server.url,
            credentials=slow_source,
            env=aws_env,
        ) as client:
            job = await client.describe_batch_inference_job(ARN)
        elapsed = time.monotonic() - started
        done.set()
    assert job.status == "ACTIVE"
    assert elapsed >= 0.5
    # ~50 ticks fit in 0.5 s; a blocked loop would give 1 or 2.
    assert ticks >= 20, ticks


def _sync_driver() -> PersonalizeClient:
    return PersonalizeClient(
        region="us-east-1",
        credentials=Credentials(access_key_id="AKIDDRIVER", secret_access_key="s"),
        env={"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"},
    )


def test_an_advisory_refresh_under_way_is_not_waited_for() -> None:
    """Inside the advisory window (15..10 minutes left), a caller that finds another one
    refreshing takes the current credentials at once, as botocore does; inside the
    mandatory window it waits for the refresh."""
    clock = FakeClock()
    provider = _Scripted(
        _creds("AKID1", clock.now + timedelta(minutes=12)),
        _creds("AKID2", clock.now + timedelta(minutes=12, seconds=30)),
    )
    cache = CredentialCache(provider, clock)
    with _sync_driver() as client:
        assert client._run(cache.get()).access_key_id == "AKID1"
        lock = cache._lock.thread_lock
        with lock:  # another caller is refreshing
            started = time.monotonic()
            assert client._run(cache.get()).access_key_id == "AKID1"
            assert time.monotonic() - started < 0.5
        assert provider.loads == 1
        assert client._run(cache.get()).access_key_id == "AKID2"  # the lock is free
        assert provider.loads == 2

        clock.advance(5 * 60)  # 7.5 minutes left: mandatory, callers wait
        provider.outcomes.append(_creds("AKID3", clock.now + timedelta(hours=1)))
        lock.acquire()
        releaser = threading.Timer(0.3, lock.release)
        releaser.start()
        started = time.monotonic()
        assert client._run(cache.get()).access_key_id == "AKID3"
        assert time.monotonic() - started >= 0.25
        releaser.join()
