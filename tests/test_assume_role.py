"""Tests for personalize_lite.credentials._assume_role: assume-role profiles and web identity.

Every STS call goes to the loopback stand-in of ``tests/support/sts_server.py``, which verifies each
AssumeRole signature against the keys it has issued, so a chain's second call is proven
to be signed with the first call's credentials. Providers run through both real drivers
(sync, and async on asyncio and trio). Parity tests run botocore's own providers on the
same files against the same stand-in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from personalize_lite._config import load_aws_files, resolve_settings
from personalize_lite._errors import ConfigurationError, CredentialRetrievalError
from personalize_lite._steps import Plan
from personalize_lite.credentials._assume_role import (
    CREDENTIAL_SOURCES,
    AssumeRoleProvider,
    WebIdentityProvider,
)
from personalize_lite.credentials._base import (
    CredentialProvider,
    Credentials,
    EnvProvider,
    ProviderContext,
)
from tests.support.drive import async_runner, sync_runner
from tests.support.sts_server import NOW, SOURCE, WEB_TOKEN, StsStandIn, make_ctx

ROLE_A = "arn:aws:iam::111111111111:role/role-a"
ROLE_B = "arn:aws:iam::222222222222:role/role-b"
STATIC = (
    f"aws_access_key_id = {SOURCE.access_key_id}\n"
    f"aws_secret_access_key = {SOURCE.secret_access_key}\n"
    f"aws_session_token = {SOURCE.session_token}\n"
)
#: Profile a assumes ROLE_A with its own static keys (botocore allows self-reference then).
SELF_REF = f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = a\n{STATIC}"
ENV_KEYS = Credentials(access_key_id="AKIDFROMENV", secret_access_key="env/secret/never-shown")


def _no_fallback(name: str) -> CredentialProvider:
    raise AssertionError(f"credential_source_factory called for {name}")


def assume_role(
    sts: StsStandIn | None,
    *,
    config: str = "",
    credentials: str = "",
    profile: str | None = "a",
    env: Mapping[str, str] | None = None,
    factory: Any = _no_fallback,
) -> AssumeRoleProvider:
    full_env = {"AWS_ENDPOINT_URL_STS": sts.url} if sts is not None else {}
    full_env.update(env or {})
    ctx = make_ctx(full_env, config=config, credentials=credentials, profile=profile)
    return AssumeRoleProvider(ctx, credential_source_factory=factory)


def _secrets_absent(error: BaseException, *extra: str) -> None:
    text = f"{error} {error!r}"
    for secret in (
        SOURCE.secret_access_key,
        SOURCE.session_token or "",
        ENV_KEYS.secret_access_key,
        WEB_TOKEN,
        *extra,
    ):
        assert secret not in text


CHAIN_CONFIG = f"""
[profile a]
role_arn = {ROLE_A}
source_profile = b
role_session_name = top-session

[profile b]
role_arn = {ROLE_B}
source_profile = c
external_id = ext-b-42
duration_seconds = 1800
"""
CHAIN_CREDENTIALS = f"[c]\n{STATIC}"


def _check_chain(sts: StsStandIn, credentials: Credentials) -> None:
    """a -> b -> c (static): B assumed with c's keys, then A with B's credentials."""
    assert sts.problems == []
    first, second = sts.requests
    assert (first.form["RoleArn"], first.signed_by) == (ROLE_B, SOURCE.access_key_id)
    role_b = sts.issue(ROLE_B, SOURCE.access_key_id)
    assert (second.form["RoleArn"], second.signed_by) == (ROLE_A, role_b.access_key_id)
    assert second.headers["x-amz-security-token"] == role_b.session_token
    assert credentials == sts.issue(ROLE_A, role_b.access_key_id)
    assert credentials.expiration == datetime(2099, 1, 1, tzinfo=timezone.utc)
    assert first.form["ExternalId"] == "ext-b-42"
    assert first.form["DurationSeconds"] == "1800"
    assert first.form["RoleSessionName"] == f"personalize-lite-{int(NOW.timestamp())}"
    assert second.form["RoleSessionName"] == "top-session"
    assert "ExternalId" not in second.form
    assert "DurationSeconds" not in second.form


# --------------------------------------------------------------------------- assume role


def test_chain_of_profiles_sync(sts: StsStandIn) -> None:
    provider = assume_role(sts, config=CHAIN_CONFIG, credentials=CHAIN_CREDENTIALS)
    with sync_runner() as run:
        credentials = run(provider.load())
    _check_chain(sts, credentials)


@pytest.mark.anyio
async def test_chain_of_profiles_async(sts: StsStandIn) -> None:
    provider = assume_role(sts, config=CHAIN_CONFIG, credentials=CHAIN_CREDENTIALS)
    async with async_runner() as run:
        credentials = await run(provider.load())
    _check_chain(sts, credentials)


def test_each_load_calls_sts_again_and_reloads_the_source(sts: StsStandIn) -> None:
    loads: list[str] = []

    class CountingEnv:
        name = "env"

        def load(self) -> Plan[Credentials | None]:
            loads.append("env")
            return (yield from EnvProvider({"AWS_ACCESS_KEY_ID": "AKIDFROMENV", **_env()}).load())

    def factory(name: str) -> CredentialProvider:
        assert name == "Environment"
        return CountingEnv()

    sts.add_key(ENV_KEYS)
    config = f"[profile a]\nrole_arn = {ROLE_A}\ncredential_source = Environment\n"
    provider = assume_role(sts, config=config, factory=factory)
    with sync_runner() as run:
        first = run(provider.load())
        second = run(provider.load())
    assert first == second == sts.issue(ROLE_A, ENV_KEYS.access_key_id)
    assert loads == ["env", "env"]
    assert [r.signed_by for r in sts.requests] == [ENV_KEYS.access_key_id] * 2
    assert sts.problems == []


def _env() -> dict[str, str]:
    return {"AWS_SECRET_ACCESS_KEY": ENV_KEYS.secret_access_key}


def test_credential_source_environment_through_factory(sts: StsStandIn) -> None:
    sts.add_key(ENV_KEYS)
    asked: list[str] = []
    env = {"AWS_ACCESS_KEY_ID": ENV_KEYS.access_key_id, **_env()}

    def factory(name: str) -> CredentialProvider:
        asked.append(name)
        return EnvProvider(env)

    config = f"[profile a]\nrole_arn = {ROLE_A}\ncredential_source = Environment\n"
    provider = assume_role(sts, config=config, factory=factory)
    with sync_runner() as run:
        credentials = run(provider.load())
    assert asked == ["Environment"]
    assert credentials == sts.issue(ROLE_A, ENV_KEYS.access_key_id)
    assert sts.problems == []


def test_credential_source_without_credentials(sts: StsStandIn) -> None:
    config = f"[profile a]\nrole_arn = {ROLE_A}\ncredential_source = Ec2InstanceMetadata\n"

    class Nothing:
        name = "imds"

        def load(self) -> Plan[Credentials | None]:
            yield from ()
            return None

    provider = assume_role(sts, config=config, factory=lambda _name: Nothing())
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(provider.load())
    assert info.value.provider == "assume-role"
    assert "'Ec2InstanceMetadata'" in str(info.value)
    assert sts.requests == []


@pytest.mark.parametrize("source", ["environment", "SharedConfig", "Imds"])
def test_credential_source_must_be_known(source: str) -> None:
    config = f"[profile a]\nrole_arn = {ROLE_A}\ncredential_source = {source}\n"
    with sync_runner() as run, pytest.raises(ConfigurationError) as info:
        run(assume_role(None, config=config).load())
    assert f'"{source}"' in str(info.value)
    assert all(name in str(info.value) for name in CREDENTIAL_SOURCES)


def test_self_reference_with_static_keys(sts: StsStandIn) -> None:
    config = SELF_REF
    with sync_runner() as run:
        credentials = run(assume_role(sts, config=config).load())
    assert credentials == sts.issue(ROLE_A, SOURCE.access_key_id)
    assert [r.signed_by for r in sts.requests] == [SOURCE.access_key_id]
    assert sts.problems == []


def test_static_keys_of_source_win_over_its_role(sts: StsStandIn) -> None:
    # botocore: a source profile with static keys is not assumed itself.
    config = (
        f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n"
        f"[profile b]\nrole_arn = {ROLE_B}\nsource_profile = b\n{STATIC}"
    )
    with sync_runner() as run:
        run(assume_role(sts, config=config).load())
    assert [(r.form["RoleArn"], r.signed_by) for r in sts.requests] == [
        (ROLE_A, SOURCE.access_key_id)
    ]


@pytest.mark.parametrize(
    ("config", "cycle"),
    [
        (
            f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n"
            f"[profile b]\nrole_arn = {ROLE_B}\nsource_profile = a\n",
            "a -> b -> a",
        ),
        (f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = a\n", "a -> a"),
        (
            f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n{STATIC}\n"
            f"[profile b]\nrole_arn = {ROLE_B}\nsource_profile = a\n",
            "a -> b -> a",
        ),
    ],
)
def test_loops_are_refused_before_any_call(sts: StsStandIn, config: str, cycle: str) -> None:
    with sync_runner() as run, pytest.raises(ConfigurationError, match="Infinite loop") as info:
        run(assume_role(sts, config=config).load())
    assert cycle in str(info.value)
    assert sts.requests == []
    _secrets_absent(info.value)


def test_source_profile_and_credential_source_conflict() -> None:
    config = (
        f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\ncredential_source = Environment\n"
    )
    with sync_runner() as run, pytest.raises(ConfigurationError) as info:
        run(assume_role(None, config=config).load())
    assert str(info.value) == (
        'The profile "a" contains both source_profile and credential_source.'
    )


def test_role_arn_without_any_source_is_an_error() -> None:
    with sync_runner() as run, pytest.raises(ConfigurationError, match="source_profile or"):
        run(assume_role(None, config=f"[profile a]\nrole_arn = {ROLE_A}\n").load())


def test_missing_source_profile() -> None:
    config = f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = nope\n"
    with sync_runner() as run, pytest.raises(ConfigurationError) as info:
        run(assume_role(None, config=config).load())
    assert '"nope"' in str(info.value)
    assert "does not exist" in str(info.value)


def test_source_profile_providers_hook(sts: StsStandIn) -> None:
    # The chain owner can add SSO / credential_process for source profiles (botocore's
    # ProfileProviderBuilder); the provider is asked for the source profile by name.
    sts.add_key(ENV_KEYS)
    config = (
        f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n"
        "[profile b]\ncredential_process = /bin/false\n"
    )
    asked: list[str] = []

    def providers(profile: str) -> list[CredentialProvider]:
        asked.append(profile)
        return [EnvProvider({"AWS_ACCESS_KEY_ID": ENV_KEYS.access_key_id, **_env()})]

    ctx = make_ctx({"AWS_ENDPOINT_URL_STS": sts.url}, config=config, profile="a")
    provider = AssumeRoleProvider(
        ctx, credential_source_factory=_no_fallback, source_profile_providers=providers
    )
    with sync_runner() as run:
        credentials = run(provider.load())
    assert asked == ["b"]
    assert credentials == sts.issue(ROLE_A, ENV_KEYS.access_key_id)
    assert sts.problems == []


def test_source_profile_without_credentials() -> None:
    config = f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n[profile b]\nregion = x\n"
    with sync_runner() as run, pytest.raises(ConfigurationError, match="must have credentials"):
        run(assume_role(None, config=config).load())


@pytest.mark.parametrize("value", ["899", "43201", "3600.0", "one hour", "-1"])
def test_duration_seconds_validated(value: str) -> None:
    config = f"{SELF_REF}duration_seconds = {value}\n"
    with sync_runner() as run, pytest.raises(ConfigurationError, match="duration_seconds") as info:
        run(assume_role(None, config=config).load())
    assert "900" in str(info.value)
    assert "43200" in str(info.value)


@pytest.mark.parametrize("value", ["900", "43200"])
def test_duration_seconds_bounds_are_sent(sts: StsStandIn, value: str) -> None:
    config = f"{SELF_REF}duration_seconds = {value}\n"
    with sync_runner() as run:
        run(assume_role(sts, config=config).load())
    assert sts.requests[0].form["DurationSeconds"] == value


def test_mfa_serial_refused() -> None:
    config = f"{SELF_REF}mfa_serial = arn:aws:iam::111111111111:mfa/me\n"
    with sync_runner() as run, pytest.raises(ConfigurationError, match="MFA") as info:
        run(assume_role(None, config=config).load())
    assert "not support" in str(info.value)
    _secrets_absent(info.value)


def test_sts_failure_names_provider_and_hides_source_secrets(sts: StsStandIn) -> None:
    sts.script = ["denied"]
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(assume_role(sts, config=SELF_REF).load())
    assert str(info.value).startswith("assume-role: AccessDenied: ")
    _secrets_absent(info.value)


def test_not_configured_and_skip_reasons() -> None:
    plain = assume_role(None, config=f"[profile a]\n{STATIC}")
    with sync_runner() as run:
        assert run(plain.load()) is None
    assert plain.skip_reason() == "profile 'a' has no role_arn"
    # role_arn beside web_identity_token_file belongs to the web identity provider.
    web = assume_role(
        None, config=f"[profile a]\nrole_arn = {ROLE_A}\nweb_identity_token_file = /t\n"
    )
    with sync_runner() as run:
        assert run(web.load()) is None
    assert "web_identity_token_file" in web.skip_reason()
    assert SOURCE.secret_access_key not in repr(plain)


def test_role_from_credentials_file_section(sts: StsStandIn) -> None:
    # botocore merges the credentials file into the profile map: role_arn may live there.
    credentials = f"[a]\nrole_arn = {ROLE_A}\nsource_profile = a\n{STATIC}"
    with sync_runner() as run:
        result = run(assume_role(sts, credentials=credentials).load())
    assert result == sts.issue(ROLE_A, SOURCE.access_key_id)


# --------------------------------------------------------------------------- web identity


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(WEB_TOKEN + "\n", encoding="utf-8")
    return path


def web_identity(
    sts: StsStandIn | None,
    env: Mapping[str, str] | None = None,
    *,
    config: str = "",
    profile: str | None = None,
) -> WebIdentityProvider:
    full_env = {"AWS_ENDPOINT_URL_STS": sts.url} if sts is not None else {}
    full_env.update(env or {})
    return WebIdentityProvider(make_ctx(full_env, config=config, profile=profile))


def test_web_identity_from_env_sync(sts: StsStandIn, token_file: Path) -> None:
    env = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_ARN": ROLE_A,
        "AWS_ROLE_SESSION_NAME": "pod-1",
    }
    with sync_runner() as run:
        credentials = run(web_identity(sts, env).load())
    assert credentials == sts.issue(ROLE_A, WEB_TOKEN)
    [request] = sts.requests
    assert request.signed_by is None
    assert request.form["WebIdentityToken"] == WEB_TOKEN  # newline stripped
    assert request.form["RoleSessionName"] == "pod-1"
    assert sts.problems == []


@pytest.mark.anyio
async def test_web_identity_token_reread_on_every_load_async(
    sts: StsStandIn, token_file: Path
) -> None:
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_ARN": ROLE_A}
    provider = web_identity(sts, env)
    async with async_runner() as run:
        first = await run(provider.load())
        token_file.write_text("rotated-token-2", encoding="utf-8")
        second = await run(provider.load())
    assert [r.form["WebIdentityToken"] for r in sts.requests] == [WEB_TOKEN, "rotated-token-2"]
    assert first == sts.issue(ROLE_A, WEB_TOKEN)
    assert second == sts.issue(ROLE_A, "rotated-token-2")
    assert sts.requests[0].form["RoleSessionName"] == f"personalize-lite-{int(NOW.timestamp())}"


def test_web_identity_from_profile(sts: StsStandIn, token_file: Path) -> None:
    config = (
        f"[profile w]\nrole_arn = {ROLE_B}\nweb_identity_token_file = {token_file}\n"
        "role_session_name = from-profile\n"
    )
    with sync_runner() as run:
        credentials = run(web_identity(sts, config=config, profile="w").load())
    assert credentials == sts.issue(ROLE_B, WEB_TOKEN)
    assert sts.requests[0].form["RoleSessionName"] == "from-profile"


def test_web_identity_env_wins_key_by_key(sts: StsStandIn, token_file: Path) -> None:
    # botocore looks each key up in the environment first, then in the profile.
    config = f"[default]\nrole_arn = {ROLE_B}\nweb_identity_token_file = /nonexistent\n"
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)}
    with sync_runner() as run:
        run(web_identity(sts, env, config=config).load())
    assert sts.requests[0].form["RoleArn"] == ROLE_B
    assert sts.requests[0].form["WebIdentityToken"] == WEB_TOKEN


def test_web_identity_env_ignored_for_explicit_profile(token_file: Path) -> None:
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_ARN": ROLE_A}
    provider = web_identity(None, env, config="[profile p]\nregion = eu-west-1\n", profile="p")
    with sync_runner() as run:
        assert run(provider.load()) is None
    assert "environment not used" in provider.skip_reason()


def test_web_identity_not_configured() -> None:
    provider = web_identity(None)
    with sync_runner() as run:
        assert run(provider.load()) is None
    assert provider.skip_reason() == (
        "AWS_WEB_IDENTITY_TOKEN_FILE not set and profile 'default' has no web_identity_token_file"
    )


def test_web_identity_needs_role_arn(token_file: Path) -> None:
    provider = web_identity(None, {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)})
    with sync_runner() as run, pytest.raises(ConfigurationError, match="AWS_ROLE_ARN"):
        run(provider.load())


def test_web_identity_unreadable_or_empty_token(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    empty = tmp_path / "empty"
    empty.write_text(" \n", encoding="utf-8")
    for path, needle in ((missing, "No such file"), (empty, "is empty")):
        env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(path), "AWS_ROLE_ARN": ROLE_A}
        with sync_runner() as run, pytest.raises(CredentialRetrievalError, match=needle) as info:
            run(web_identity(None, env).load())
        assert info.value.provider == "assume-role-with-web-identity"
        assert str(path) in str(info.value)


@pytest.mark.anyio
async def test_web_identity_unreadable_token_async(tmp_path: Path) -> None:
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path), "AWS_ROLE_ARN": ROLE_A}  # a directory
    async with async_runner() as run:
        with pytest.raises(CredentialRetrievalError, match="cannot read"):
            await run(web_identity(None, env).load())


def test_web_identity_failure_hides_token(sts: StsStandIn, token_file: Path) -> None:
    sts.script = ["echo-token"]
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_ARN": ROLE_A}
    with sync_runner() as run, pytest.raises(CredentialRetrievalError) as info:
        run(web_identity(sts, env).load())
    assert "InvalidIdentityToken" in str(info.value)
    _secrets_absent(info.value)


def test_source_profile_with_web_identity(sts: StsStandIn, token_file: Path) -> None:
    # a -> b, where b assumes its role with a web identity token (botocore supports this).
    config = (
        f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n"
        f"[profile b]\nrole_arn = {ROLE_B}\nweb_identity_token_file = {token_file}\n"
    )
    # The environment's web identity settings do not leak into a source profile.
    env = {"AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/env-role"}
    with sync_runner() as run:
        credentials = run(assume_role(sts, config=config, env=env).load())
    web = sts.issue(ROLE_B, WEB_TOKEN)
    assert [(r.form["Action"], r.form["RoleArn"], r.signed_by) for r in sts.requests] == [
        ("AssumeRoleWithWebIdentity", ROLE_B, None),
        ("AssumeRole", ROLE_A, web.access_key_id),
    ]
    assert credentials == sts.issue(ROLE_A, web.access_key_id)
    assert sts.problems == []


# --------------------------------------------------------------------------- botocore


@pytest.fixture
def botocore_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """os.environ without AWS_ variables (botocore reads it), files under tmp_path."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    return tmp_path


def _our_ctx(profile: str | None) -> ProviderContext:
    env = dict(os.environ)
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, profile=profile)
    return ProviderContext(
        env=env, files=files, settings=settings, clock=lambda: datetime.now(timezone.utc)
    )


def test_parity_with_botocore_assume_role_chain(
    sts: StsStandIn, botocore_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (botocore_env / "config").write_text(CHAIN_CONFIG, encoding="utf-8")
    (botocore_env / "credentials").write_text(CHAIN_CREDENTIALS, encoding="utf-8")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)

    theirs = botocore.session.Session(profile="a").get_credentials()
    assert theirs.method == "assume-role"
    frozen = theirs.get_frozen_credentials()
    assert len(sts.requests) == 2  # botocore honours AWS_ENDPOINT_URL_STS

    provider = AssumeRoleProvider(_our_ctx("a"), credential_source_factory=_no_fallback)
    with sync_runner() as run:
        ours = run(provider.load())
    assert sts.problems == []
    assert (ours.access_key_id, ours.secret_access_key, ours.session_token) == (
        frozen.access_key,
        frozen.secret_key,
        frozen.token,
    )
    botocore_calls, our_calls = sts.requests[:2], sts.requests[2:]
    for field in ("Action", "RoleArn", "ExternalId", "DurationSeconds"):
        assert [r.form.get(field) for r in botocore_calls] == [r.form.get(field) for r in our_calls]
    assert [r.region for r in botocore_calls] == [r.region for r in our_calls] == ["eu-west-1"] * 2
    assert botocore_calls[0].form["RoleSessionName"].startswith("botocore-session-")
    assert our_calls[0].form["RoleSessionName"].startswith("personalize-lite-")


def test_parity_with_botocore_web_identity(
    sts: StsStandIn, botocore_env: Path, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (botocore_env / "config").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_A)
    # botocore sends the file verbatim; a token file without a newline reads the same.
    token_file.write_text(WEB_TOKEN, encoding="utf-8")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))

    theirs = botocore.session.Session().get_credentials()
    assert theirs.method == "assume-role-with-web-identity"
    frozen = theirs.get_frozen_credentials()

    with sync_runner() as run:
        ours = run(WebIdentityProvider(_our_ctx(None)).load())
    assert (ours.access_key_id, ours.secret_access_key, ours.session_token) == (
        frozen.access_key,
        frozen.secret_key,
        frozen.token,
    )
    assert [r.signed_by for r in sts.requests] == [None, None]
    assert sts.requests[0].form["WebIdentityToken"] == sts.requests[1].form["WebIdentityToken"]
    assert sts.problems == []


def test_parity_with_botocore_loop_and_conflict(botocore_env: Path) -> None:
    import botocore.exceptions

    cases = [
        (
            f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n\n"
            f"[profile b]\nrole_arn = {ROLE_B}\nsource_profile = a\n",
            botocore.exceptions.InfiniteLoopConfigError,
        ),
        (
            f"[profile a]\nrole_arn = {ROLE_A}\nsource_profile = b\n"
            "credential_source = Environment\n",
            botocore.exceptions.InvalidConfigError,
        ),
    ]
    for config, error in cases:
        (botocore_env / "config").write_text(config, encoding="utf-8")
        with pytest.raises(error):
            botocore.session.Session(profile="a").get_credentials().get_frozen_credentials()
        provider = AssumeRoleProvider(_our_ctx("a"), credential_source_factory=_no_fallback)
        with sync_runner() as run, pytest.raises(ConfigurationError):
            run(provider.load())
