"""Tests for personalize_lite.credentials._sso: the SSO (IAM Identity Center) credential provider.

A real threaded ``http.server`` on 127.0.0.1 stands in for the SSO portal (pointed at
with ``AWS_ENDPOINT_URL_SSO``); token cache files are written under tmp_path with HOME
pointed there. Plans run through the real sync and async drivers (tests/support/drive.py).
Parity tests run botocore's SSOProvider against the same files and the same server.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.tokens
import botocore.utils
import pytest

from personalize_lite._config import load_aws_files, resolve_settings
from personalize_lite._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    EndpointConnectionError,
    ParamValidationError,
    TransportError,
)
from personalize_lite._steps import Blocking, Plan, Send
from personalize_lite.credentials._base import Credentials, ProviderContext
from personalize_lite.credentials._sso import SSOProvider, sso_token_cache_key
from tests.support.drive import async_runner, sync_runner

START_URL = "https://corp.awsapps.com/start"
SESSION = "corp"
ACCOUNT = "111122223333"
ROLE = "ReadOnly"
ACCESS_TOKEN = "aoaAAAAAGSSOBEARERTOKENexample+/="
AKID = "ASIASSOEXAMPLE"
SECRET = "ssoSecretKeyEXAMPLEwJalrXUtnFEMI/K7MDENG"
SESSION_TOKEN = "ssoSessionTokenEXAMPLE+/="
EXPIRATION_MS = 1_900_000_000_789  # 2030-03-17T17:46:40.789Z
EXPIRATION = datetime(2030, 3, 17, 17, 46, 40, tzinfo=timezone.utc)
SECRETS = (ACCESS_TOKEN, SECRET, SESSION_TOKEN)

LEGACY_CONFIG = f"""
[profile dev]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
"""

SESSION_CONFIG = f"""
[profile dev]
sso_session = {SESSION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}

[sso-session {SESSION}]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""


# --------------------------------------------------------------------------- the portal


class Portal:
    """What the stand-in portal answers (``mode``) and the requests it saw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []


class _PortalHandler(BaseHTTPRequestHandler):
    server: _PortalServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        portal = self.server.portal
        parts = urlsplit(self.path)
        token = self.headers.get("x-amz-sso_bearer_token")
        portal.requests.append(
            {
                "path": parts.path,
                "query": parse_qs(parts.query, keep_blank_values=True),
                "raw_query": parts.query,
                "token": token,
                "authorization": self.headers.get("Authorization"),
            }
        )
        unauthorized = json.dumps({"message": "Session token not found or invalid"}).encode()
        if token != ACCESS_TOKEN or portal.mode == "401":
            self._reply(401, unauthorized, {"x-amzn-ErrorType": "UnauthorizedException:http://"})
            return
        if parts.path != "/federation/credentials":
            self._reply(404, b'{"message": "no such path"}')
            return
        mode = portal.mode
        role: dict[str, Any] = {
            "accessKeyId": AKID,
            "secretAccessKey": SECRET,
            "sessionToken": SESSION_TOKEN,
            "expiration": EXPIRATION_MS,
        }
        if mode == "403":
            self._reply(
                403, b'{"message": "Forbidden"}', {"x-amzn-ErrorType": "ForbiddenException"}
            )
        elif mode == "500":
            self._reply(
                500, b'{"message": "internal failure"}', {"x-amzn-ErrorType": "InternalServerError"}
            )
        elif mode == "404":
            self._reply(
                404,
                b'{"message": "No access"}',
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
            )
        elif mode == "bad-json":
            self._reply(200, b"<html>" + SECRET.encode() + b"</html>")
        elif mode == "truncated":
            body = json.dumps({"roleCredentials": role}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:20])
            self.wfile.flush()
            self.close_connection = True
        elif mode.startswith("missing:"):
            del role[mode.split(":", 1)[1]]
            self._reply(200, json.dumps({"roleCredentials": role}).encode())
        elif mode == "no-role":
            self._reply(200, b'{"other": {}}')
        elif mode == "expiration-string":
            role["expiration"] = "2030-01-01T00:00:00Z"
            self._reply(200, json.dumps({"roleCredentials": role}).encode())
        elif mode == "bad-key":
            role["accessKeyId"] = "has space"
            self._reply(200, json.dumps({"roleCredentials": role}).encode())
        else:
            self._reply(200, json.dumps({"roleCredentials": role}).encode())


class _PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    portal: Portal


@pytest.fixture
def portal() -> Iterator[Portal]:
    server = _PortalServer(("127.0.0.1", 0), _PortalHandler)
    host, port = server.server_address[:2]
    server.portal = Portal(f"http://{host!s}:{port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.portal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- helpers


def make_ctx(
    tmp_path: Path,
    config: str,
    *,
    endpoint: str | None = None,
    profile: str = "dev",
    now: datetime | None = None,
    extra_env: dict[str, str] | None = None,
) -> ProviderContext:
    config_file = tmp_path / "config"
    config_file.write_text(config, encoding="utf-8")
    env = {
        "HOME": str(tmp_path / "home"),
        "AWS_CONFIG_FILE": str(config_file),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_SSO"] = endpoint
    env.update(extra_env or {})
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, profile=profile)
    return ProviderContext(
        env=env,
        files=files,
        settings=settings,
        clock=(lambda: now) if now is not None else (lambda: datetime.now(timezone.utc)),
    )


def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".aws" / "sso" / "cache"


def write_token(
    tmp_path: Path,
    *,
    session_name: str | None,
    start_url: str = START_URL,
    content: Any = None,
    expires_at: str | None = None,
) -> Path:
    """Write a token file where ``aws sso login`` would; return its path."""
    directory = cache_dir(tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    key = sso_token_cache_key(start_url=start_url, session_name=session_name)
    path = directory / f"{key}.json"
    if content is None:
        expiry = expires_at or (datetime.now(timezone.utc) + timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        content = {
            "startUrl": start_url,
            "region": "eu-west-1",
            "accessToken": ACCESS_TOKEN,
            "expiresAt": expiry,
            "refreshToken": "refresh-SECRET",
            "clientId": "client-id",
            "clientSecret": "client-SECRET",
        }
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def run(plan: Plan[Any]) -> Any:
    with sync_runner() as runner:
        return runner(plan)


def sso_error(ctx: ProviderContext) -> CredentialRetrievalError:
    with pytest.raises(CredentialRetrievalError) as info:
        run(SSOProvider(ctx).load())
    assert_no_secrets(info.value)
    assert info.value.provider == "sso"
    return info.value


def assert_no_secrets(value: object) -> None:
    texts = [str(value), repr(value)]
    if isinstance(value, BaseException):
        texts += [str(value.__cause__), repr(value.__cause__)]
    for text in texts:
        for secret in (*SECRETS, "refresh-SECRET", "client-SECRET"):
            assert secret not in text


def expected_credentials() -> Credentials:
    return Credentials(
        access_key_id=AKID,
        secret_access_key=SECRET,
        session_token=SESSION_TOKEN,
        expiration=EXPIRATION,
    )


def assert_portal_request(request: dict[str, Any]) -> None:
    assert request["path"] == "/federation/credentials"
    assert request["query"] == {"role_name": [ROLE], "account_id": [ACCOUNT]}
    assert request["token"] == ACCESS_TOKEN
    assert request["authorization"] is None  # not SigV4-signed


# --------------------------------------------------------------------------- success


@pytest.mark.parametrize(
    ("config", "session_name"), [(LEGACY_CONFIG, None), (SESSION_CONFIG, SESSION)]
)
def test_sync_driver_fetches_role_credentials(
    tmp_path: Path, portal: Portal, config: str, session_name: str | None
) -> None:
    write_token(tmp_path, session_name=session_name)
    provider = SSOProvider(make_ctx(tmp_path, config, endpoint=portal.url))
    credentials = run(provider.load())
    assert credentials == expected_credentials()
    assert len(portal.requests) == 1
    assert_portal_request(portal.requests[0])
    assert_no_secrets(credentials)
    assert_no_secrets(provider)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("config", "session_name"), [(LEGACY_CONFIG, None), (SESSION_CONFIG, SESSION)]
)
async def test_async_driver_fetches_role_credentials(
    tmp_path: Path, portal: Portal, config: str, session_name: str | None
) -> None:
    write_token(tmp_path, session_name=session_name)
    provider = SSOProvider(make_ctx(tmp_path, config, endpoint=portal.url))
    async with async_runner() as runner:
        credentials = await runner(provider.load())
    assert credentials == expected_credentials()
    assert len(portal.requests) == 1
    assert_portal_request(portal.requests[0])


@pytest.mark.anyio
async def test_async_driver_reports_unauthorized(tmp_path: Path, portal: Portal) -> None:
    write_token(tmp_path, session_name=SESSION)
    portal.mode = "401"
    provider = SSOProvider(make_ctx(tmp_path, SESSION_CONFIG, endpoint=portal.url))
    async with async_runner() as runner:
        with pytest.raises(CredentialRetrievalError, match="aws sso login --sso-session corp"):
            await runner(provider.load())


def test_credentials_file_values_count(tmp_path: Path, portal: Portal) -> None:
    # botocore's scoped config: the credentials file's section overrides the profile.
    write_token(tmp_path, session_name=None)
    shared = tmp_path / "credentials"
    shared.write_text("[dev]\nsso_role_name = Admin\n", encoding="utf-8")
    ctx = make_ctx(
        tmp_path,
        LEGACY_CONFIG,
        endpoint=portal.url,
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(shared)},
    )
    run(SSOProvider(ctx).load())
    assert portal.requests[0]["query"]["role_name"] == ["Admin"]


def test_endpoint_from_services_section(tmp_path: Path, portal: Portal) -> None:
    write_token(tmp_path, session_name=None)
    config = (
        LEGACY_CONFIG
        + f"services = local\n\n[services local]\nsso =\n  endpoint_url = {portal.url}\n"
    )
    assert run(SSOProvider(make_ctx(tmp_path, config)).load()) == expected_credentials()
    assert len(portal.requests) == 1


def _first_request(ctx: ProviderContext) -> Send:
    """Step the plan by hand up to its Send (nothing goes on the wire)."""
    plan = SSOProvider(ctx).load()
    step = next(plan)
    assert isinstance(step, Blocking)
    step = plan.send(step.fn())
    assert isinstance(step, Send)
    plan.close()
    return step


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("eu-west-1", "https://portal.sso.eu-west-1.amazonaws.com"),
        ("cn-north-1", "https://portal.sso.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "https://portal.sso.us-gov-west-1.amazonaws.com"),
    ],
)
def test_default_portal_url_and_query_encoding(tmp_path: Path, region: str, url: str) -> None:
    write_token(tmp_path, session_name=None)
    config = (
        f"[profile dev]\nsso_start_url = {START_URL}\nsso_region = {region}\n"
        f"sso_account_id = {ACCOUNT}\nsso_role_name = Admin+Ops/x y\n"
    )
    step = _first_request(make_ctx(tmp_path, config))
    assert step.request.method == "GET"
    assert step.request.url == (
        f"{url}/federation/credentials?role_name=Admin%2BOps%2Fx%20y&account_id={ACCOUNT}"
    )
    assert step.request.header("x-amz-sso_bearer_token") == ACCESS_TOKEN
    assert step.request.header("Authorization") is None
    assert step.timeout == 60.0


def test_timeout_is_passed_to_the_send_step(tmp_path: Path) -> None:
    write_token(tmp_path, session_name=None)
    plan = SSOProvider(make_ctx(tmp_path, LEGACY_CONFIG), timeout=2.5).load()
    step = next(plan)
    assert isinstance(step, Blocking)
    step = plan.send(step.fn())
    assert isinstance(step, Send)
    assert step.timeout == 2.5
    plan.close()


# --------------------------------------------------------------------------- configuration


def test_not_configured_returns_none(tmp_path: Path) -> None:
    config = f"[profile dev]\nregion = eu-west-1\nsso_start_url = {START_URL}\n"
    provider = SSOProvider(make_ctx(tmp_path, config))
    assert run(provider.load()) is None
    assert provider.skip_reason() == "profile 'dev' has no sso_account_id or sso_role_name"
    assert repr(provider) == "SSOProvider(profile='dev')"


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        (
            f"[profile dev]\nsso_account_id = {ACCOUNT}\n",
            "sso_role_name, sso_start_url, sso_region",
        ),
        (
            f"[profile dev]\nsso_role_name = {ROLE}\nsso_region = eu-west-1\n",
            "sso_account_id, sso_start_url",
        ),
        (
            f"[profile dev]\nsso_session = s\nsso_role_name = {ROLE}\n"
            f"sso_account_id = {ACCOUNT}\n[sso-session s]\nsso_region = eu-west-1\n",
            "sso_start_url",
        ),
    ],
)
def test_missing_keys_are_listed(tmp_path: Path, config: str, missing: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        run(SSOProvider(make_ctx(tmp_path, config)).load())
    assert str(info.value) == (
        f'The profile "dev" is configured to use SSO but is missing required '
        f"configuration: {missing}"
    )


def test_missing_keys_match_botocore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = f"[profile dev]\nsso_account_id = {ACCOUNT}\nsso_region = eu-west-1\n"
    ctx = make_ctx(tmp_path, config)
    with pytest.raises(ConfigurationError) as ours:
        run(SSOProvider(ctx).load())
    session = _botocore_session(monkeypatch, tmp_path, endpoint=None)
    theirs = botocore.credentials.SSOProvider(
        load_config=lambda: session.full_config,
        client_creator=session.create_client,
        profile_name="dev",
    )
    with pytest.raises(botocore.exceptions.InvalidConfigError) as info:
        theirs.load()
    assert str(ours.value) == str(info.value)


def test_unknown_sso_session(tmp_path: Path) -> None:
    config = f"[profile dev]\nsso_session = nope\nsso_account_id = {ACCOUNT}\nsso_role_name = R\n"
    with pytest.raises(ConfigurationError, match='sso-session does not exist: "nope"'):
        run(SSOProvider(make_ctx(tmp_path, config)).load())


def test_inconsistent_profile_and_session(tmp_path: Path) -> None:
    config = SESSION_CONFIG.replace(
        "sso_session = corp", "sso_session = corp\nsso_region = us-east-1"
    )
    with pytest.raises(ConfigurationError, match="sso_region is inconsistent"):
        run(SSOProvider(make_ctx(tmp_path, config)).load())


@pytest.mark.parametrize("region", ["eu-west-1.evil.com", "eu west 1", "-eu"])
def test_bad_sso_region(tmp_path: Path, region: str) -> None:
    config = LEGACY_CONFIG.replace("sso_region = eu-west-1", f"sso_region = {region}")
    with pytest.raises(ConfigurationError, match="sso_region of profile 'dev'"):
        run(SSOProvider(make_ctx(tmp_path, config)).load())


@pytest.mark.parametrize(
    "url", ["http://portal.example.com", "ftp://127.0.0.1", "https://u:p@portal.example.com"]
)
def test_bad_portal_endpoint(tmp_path: Path, url: str) -> None:
    write_token(tmp_path, session_name=None)
    with pytest.raises(ConfigurationError, match="SSO portal endpoint"):
        run(SSOProvider(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=url)).load())


def test_nested_value_is_rejected(tmp_path: Path) -> None:
    config = LEGACY_CONFIG.replace(f"sso_role_name = {ROLE}", "sso_role_name =\n  a = b")
    with pytest.raises(ConfigurationError, match=r"sso_role_name .* single value"):
        run(SSOProvider(make_ctx(tmp_path, config)).load())


# --------------------------------------------------------------------------- the token


def test_cache_file_name_matches_botocore(tmp_path: Path) -> None:
    """botocore's SSOTokenLoader finds the token files where we look for them."""
    legacy = write_token(tmp_path, session_name=None)
    session = write_token(tmp_path, session_name=SESSION)
    loader = botocore.utils.SSOTokenLoader(cache=botocore.utils.JSONFileCache(str(legacy.parent)))
    assert loader(START_URL)["accessToken"] == ACCESS_TOKEN
    assert loader(START_URL, session_name=SESSION)["accessToken"] == ACCESS_TOKEN
    assert {p.name for p in cache_dir(tmp_path).iterdir()} == {legacy.name, session.name}
    for start_url, name in [(START_URL, None), ("x", SESSION), ("https://ü.example/", None)]:
        ours = sso_token_cache_key(start_url=start_url, session_name=name)
        theirs = botocore.utils.SSOTokenLoader()._generate_cache_key(start_url, name)
        assert ours == theirs


@pytest.mark.parametrize(
    ("config", "hint"),
    [
        (LEGACY_CONFIG, "aws sso login --profile dev"),
        (SESSION_CONFIG, "aws sso login --sso-session corp"),
    ],
)
def test_missing_token_says_log_in(tmp_path: Path, config: str, hint: str) -> None:
    error = sso_error(make_ctx(tmp_path, config))
    assert "No cached SSO token" in str(error)
    assert hint in str(error)


def test_expired_token_says_log_in_and_sends_nothing(tmp_path: Path, portal: Portal) -> None:
    write_token(tmp_path, session_name=None, expires_at="2024-01-01T00:00:00Z")
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)  # exactly at expiry: expired
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url, now=now))
    assert "expired" in str(error)
    assert "aws sso login --profile dev" in str(error)
    assert portal.requests == []


def test_token_valid_until_its_expiry(tmp_path: Path, portal: Portal) -> None:
    write_token(tmp_path, session_name=None, expires_at="2024-01-01T00:00:00UTC")
    now = datetime(2023, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    ctx = make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url, now=now)
    assert run(SSOProvider(ctx).load()) == expected_credentials()


def test_profile_name_with_spaces_is_quoted_in_the_hint(tmp_path: Path) -> None:
    config = LEGACY_CONFIG.replace("[profile dev]", '[profile "my dev"]')
    error = sso_error(make_ctx(tmp_path, config, profile="my dev"))
    assert "aws sso login --profile 'my dev'" in str(error)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json " + ACCESS_TOKEN, "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"expiresAt": "2099-01-01T00:00:00Z"}, "no usable accessToken"),
        ({"accessToken": "", "expiresAt": "2099-01-01T00:00:00Z"}, "no usable accessToken"),
        ({"accessToken": "a\r\nb", "expiresAt": "2099-01-01T00:00:00Z"}, "no usable accessToken"),
        ({"accessToken": ACCESS_TOKEN}, "no expiresAt"),
        ({"accessToken": ACCESS_TOKEN, "expiresAt": "tomorrow"}, "not an ISO 8601"),
    ],
)
def test_bad_token_file(tmp_path: Path, content: Any, reason: str) -> None:
    write_token(tmp_path, session_name=None, content=content)
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG))
    assert reason in str(error)
    assert "aws sso login --profile dev" in str(error)


def test_unreadable_token_file(tmp_path: Path) -> None:
    path = write_token(tmp_path, session_name=None)
    path.unlink()
    path.mkdir()  # a directory where the file should be: open() fails
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG))
    assert "Cannot read the cached SSO token" in str(error)
    assert "aws sso login" in str(error)


# --------------------------------------------------------------------------- portal errors


@pytest.mark.parametrize("mode", ["401", "403"])
def test_unauthorized_says_log_in(tmp_path: Path, portal: Portal, mode: str) -> None:
    write_token(tmp_path, session_name=None)
    portal.mode = mode
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    assert f"HTTP {mode}" in str(error)
    assert "aws sso login --profile dev" in str(error)


def test_wrong_token_is_unauthorized(tmp_path: Path, portal: Portal) -> None:
    write_token(
        tmp_path,
        session_name=None,
        content={"accessToken": "revoked-token", "expiresAt": "2099-01-01T00:00:00Z"},
    )
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    assert "UnauthorizedException" in str(error)
    assert "revoked-token" not in str(error)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("500", "HTTP 500 InternalServerError: internal failure"),
        ("404", "HTTP 404 ResourceNotFoundException: No access"),
    ],
)
def test_other_http_errors(tmp_path: Path, portal: Portal, mode: str, expected: str) -> None:
    write_token(tmp_path, session_name=None)
    portal.mode = mode
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    assert expected in str(error)
    assert f"role 'ReadOnly' in account {ACCOUNT}" in str(error)
    assert "aws sso login" not in str(error)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("bad-json", "not JSON"),
        ("no-role", "no roleCredentials object"),
        ("missing:accessKeyId", "roleCredentials.accessKeyId is missing"),
        ("missing:secretAccessKey", "roleCredentials.secretAccessKey is missing"),
        ("missing:sessionToken", "roleCredentials.sessionToken is missing"),
        ("missing:expiration", "roleCredentials.expiration is missing"),
        ("expiration-string", "roleCredentials.expiration is missing or not a number"),
        ("bad-key", "access_key_id must not contain whitespace"),
    ],
)
def test_bad_replies(tmp_path: Path, portal: Portal, mode: str, expected: str) -> None:
    write_token(tmp_path, session_name=None)
    portal.mode = mode
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    assert expected in str(error)


def test_truncated_reply_is_a_wrapped_transport_error(tmp_path: Path, portal: Portal) -> None:
    write_token(tmp_path, session_name=None)
    portal.mode = "truncated"
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    assert "could not get a reply from the SSO portal" in str(error)
    assert isinstance(error.__cause__, TransportError)


def test_refused_connection_is_wrapped(tmp_path: Path, refused_port: int) -> None:
    write_token(tmp_path, session_name=None)
    ctx = make_ctx(tmp_path, LEGACY_CONFIG, endpoint=f"http://127.0.0.1:{refused_port}")
    error = sso_error(ctx)
    assert f"127.0.0.1:{refused_port}" in str(error)
    assert isinstance(error.__cause__, EndpointConnectionError)


@pytest.mark.anyio
async def test_async_refused_connection_is_wrapped(tmp_path: Path, refused_port: int) -> None:
    write_token(tmp_path, session_name=None)
    ctx = make_ctx(tmp_path, LEGACY_CONFIG, endpoint=f"http://127.0.0.1:{refused_port}")
    async with async_runner() as runner:
        with pytest.raises(CredentialRetrievalError) as info:
            await runner(SSOProvider(ctx).load())
    assert isinstance(info.value.__cause__, TransportError)
    assert_no_secrets(info.value)


# --------------------------------------------------------------------------- botocore parity


def _botocore_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, endpoint: str | None
) -> Any:
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ENDPOINT_URL_SSO",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", endpoint)
    return botocore.session.Session(profile="dev")


def _botocore_sso(session: Any, tmp_path: Path) -> Any:
    cache = botocore.utils.JSONFileCache(str(cache_dir(tmp_path)))
    return botocore.credentials.SSOProvider(
        load_config=lambda: session.full_config,
        client_creator=session.create_client,
        profile_name="dev",
        token_cache=cache,
        token_provider=botocore.tokens.SSOTokenProvider(session, cache=cache, profile_name="dev"),
    )


@pytest.mark.parametrize(
    ("config", "session_name"), [(LEGACY_CONFIG, None), (SESSION_CONFIG, SESSION)]
)
def test_credentials_match_botocore(
    tmp_path: Path,
    portal: Portal,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    session_name: str | None,
) -> None:
    write_token(tmp_path, session_name=session_name)
    ours = run(SSOProvider(make_ctx(tmp_path, config, endpoint=portal.url)).load())

    session = _botocore_session(monkeypatch, tmp_path, endpoint=portal.url)
    loaded = _botocore_sso(session, tmp_path).load()
    frozen = loaded.get_frozen_credentials()

    # botocore's SSO client honours AWS_ENDPOINT_URL_SSO: it reached our portal too,
    # with the same request.
    assert len(portal.requests) == 2
    ours_request, their_request = portal.requests
    assert their_request["path"] == ours_request["path"]
    assert their_request["query"] == ours_request["query"]
    assert their_request["token"] == ours_request["token"] == ACCESS_TOKEN
    assert their_request["authorization"] is None

    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        ours.access_key_id,
        ours.secret_access_key,
        ours.session_token,
    )
    assert loaded._expiry_time == ours.expiration


def test_unauthorized_matches_botocore(
    tmp_path: Path, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_token(tmp_path, session_name=None)
    portal.mode = "401"
    error = sso_error(make_ctx(tmp_path, LEGACY_CONFIG, endpoint=portal.url))
    session = _botocore_session(monkeypatch, tmp_path, endpoint=portal.url)
    with pytest.raises(botocore.exceptions.UnauthorizedSSOTokenError) as info:
        _botocore_sso(session, tmp_path).load().get_frozen_credentials()
    # Same diagnosis: the SSO session expired or is invalid; log in again.
    assert "has expired or is otherwise invalid" in str(info.value)
    assert "has expired or is otherwise invalid" in str(error)


@pytest.mark.parametrize("timeout", [0, -0.5, float("nan"), True])
def test_bad_timeout_is_rejected(tmp_path: Path, timeout: Any) -> None:
    with pytest.raises(ParamValidationError, match="timeout must be a positive"):
        SSOProvider(make_ctx(tmp_path, LEGACY_CONFIG), timeout=timeout)


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (
            {"x-amzn-errortype": "UnauthorizedException:http://internal"},
            b"{}",
            " UnauthorizedException",
        ),
        ({"x-amzn-errortype": "aws.sso#UnauthorizedException"}, b"{}", " UnauthorizedException"),
        (
            {},
            b'{"__type": "com.amazon#TooManyRequestsException", "message": "slow"}',
            " TooManyRequestsException: slow",
        ),
        ({}, b'{"__type": "a#b#Odd:x"}', " b#Odd"),
    ],
)
def test_error_codes_follow_the_protocol_decoder(
    headers: dict[str, str], body: bytes, expected: str
) -> None:
    """The portal's error code is read with the same Smithy rule as the service's (before
    the first ``:``, after the first ``#``): one rule, one function."""
    from personalize_lite._steps import HttpResponse
    from personalize_lite.credentials._sso import _error_detail

    response = HttpResponse(status_code=400, headers=headers, body=body)
    assert _error_detail(response, ACCESS_TOKEN) == expected
