"""Tests for personalize_lite.credentials._base: Credentials, the providers and the chain.

Plans are driven by a small synchronous loop (``run``). Nothing reads the real ~/.aws;
parity tests run botocore with os.environ patched for the botocore side only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import botocore.credentials
import botocore.exceptions
import botocore.session
import pytest

from personalize_lite._config import AwsFiles, Settings, load_aws_files, parse_ini, resolve_settings
from personalize_lite._errors import (
    ConfigurationError,
    NoCredentialsError,
    ParamValidationError,
    PersonalizeError,
)
from personalize_lite._steps import Blocking, Plan, Sleep
from personalize_lite.credentials._base import (
    CallableProvider,
    ChainProvider,
    ConfigFileProvider,
    CredentialProvider,
    Credentials,
    EnvProvider,
    ProviderContext,
    SharedCredentialsProvider,
    StaticProvider,
)
from personalize_lite.credentials._chain import as_provider, default_chain

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKENxyz+/="


# --------------------------------------------------------------------------- helpers


def run(plan: Plan[Any]) -> Any:
    """Drive a plan synchronously; only Blocking steps are expected here."""
    try:
        step = next(plan)
        while True:
            assert isinstance(step, Blocking), f"unexpected step {step!r}"
            try:
                result = step.fn()
            except Exception as exc:
                step = plan.throw(exc)
            else:
                step = plan.send(result)
    except StopIteration as stop:
        return stop.value


def steps_of(plan: Plan[Any]) -> list[Any]:
    """Drive a plan, returning the steps it yielded followed by its result."""
    seen: list[Any] = []
    try:
        step = next(plan)
        while True:
            seen.append(step)
            step = plan.send(step.fn() if isinstance(step, Blocking) else None)
    except StopIteration as stop:
        seen.append(stop.value)
    return seen


def files_from(config: str = "", credentials: str = "") -> AwsFiles:
    return AwsFiles(
        config=parse_ini(config, path="/home/u/.aws/config"),
        credentials=parse_ini(credentials, path="/home/u/.aws/credentials"),
        config_path="/home/u/.aws/config",
        credentials_path="/home/u/.aws/credentials",
    )


def env_creds(**extra: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": SECRET, **extra}


CREDS_FILE = f"[default]\naws_access_key_id = AKIDSHARED\naws_secret_access_key = {SECRET}\n"
CONFIG_FILE = (
    f"[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = {SECRET}\n"
    f"[profile p]\naws_access_key_id = AKIDCONFIGP\naws_secret_access_key = {SECRET}\n"
)


def pctx(env: Mapping[str, str], files: AwsFiles, settings: Settings) -> ProviderContext:
    """A provider context; instance metadata is disabled unless the test says otherwise
    (these tests drive plans with no network at all)."""
    return ProviderContext(
        env={"AWS_EC2_METADATA_DISABLED": "true", **env},
        files=files,
        settings=settings,
        clock=lambda: datetime.now(timezone.utc),
    )


#: The full chain after the three static sources these tests configure.
NETWORK_AND_OTHER = [
    "assume-role",
    "assume-role-with-web-identity",
    "sso",
    "custom-process",
    "container-role",
    "iam-role",
]


def names_without_others(names: list[str]) -> list[str]:
    """The static sources, in order, out of a whole chain's names."""
    return [n for n in names if n not in NETWORK_AND_OTHER]


def chain_for(
    env: Mapping[str, str], config: str = "", credentials: str = "", profile: str | None = None
) -> ChainProvider:
    files = files_from(config, credentials)
    settings = resolve_settings(env=env, files=files, profile=profile)
    return default_chain(pctx(env, files, settings))


def assert_no_secret(exc: BaseException) -> None:
    for secret in (SECRET, TOKEN):
        assert secret not in str(exc)
        assert secret not in repr(exc)
        assert secret not in repr(exc.args)


# --------------------------------------------------------------------------- Credentials


def test_credentials_repr_hides_secret_and_token() -> None:
    expiry = datetime(2030, 1, 1, tzinfo=timezone.utc)
    creds = Credentials(
        access_key_id=AKID, secret_access_key=SECRET, session_token=TOKEN, expiration=expiry
    )
    text = repr(creds)
    assert AKID in text
    assert "2030" in text
    assert SECRET not in text
    assert TOKEN not in text
    assert SECRET not in str(creds)
    assert creds.secret_access_key == SECRET
    assert creds.session_token == TOKEN


def test_credentials_are_frozen_and_keyword_only() -> None:
    creds = Credentials(access_key_id=AKID, secret_access_key=SECRET)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        creds.access_key_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Credentials(AKID, SECRET)  # type: ignore[call-arg]
    assert creds.session_token is None
    assert creds.expiration is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("access_key_id", ""),
        ("access_key_id", "AKID WITH SPACE"),
        ("access_key_id", 123),
        ("secret_access_key", ""),
        ("secret_access_key", SECRET + " "),
        ("secret_access_key", SECRET + "\n"),
        ("secret_access_key", SECRET + "\x00"),
        ("secret_access_key", b"bytes"),
        ("session_token", ""),
        ("session_token", TOKEN + "\t"),
        ("session_token", TOKEN + "\x7f"),
    ],
)
def test_credentials_validation(field: str, value: Any) -> None:
    values: dict[str, Any] = {"access_key_id": AKID, "secret_access_key": SECRET}
    values[field] = value
    with pytest.raises(ParamValidationError, match=field) as info:
        Credentials(**values)
    assert_no_secret(info.value)


def test_credentials_expiration_is_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    creds = Credentials(
        access_key_id=AKID,
        secret_access_key=SECRET,
        expiration=datetime(2030, 1, 1, 2, 0, tzinfo=plus_two),
    )
    assert creds.expiration == datetime(2030, 1, 1, 0, 0, tzinfo=timezone.utc)
    assert creds.expiration is not None
    assert creds.expiration.tzinfo is timezone.utc


@pytest.mark.parametrize("bad", [datetime(2030, 1, 1), "2030-01-01T00:00:00Z", 1893456000])
def test_credentials_expiration_must_be_aware_datetime(bad: Any) -> None:
    with pytest.raises(ParamValidationError, match="expiration"):
        Credentials(access_key_id=AKID, secret_access_key=SECRET, expiration=bad)


# --------------------------------------------------------------------------- StaticProvider


def test_static_provider() -> None:
    creds = Credentials(access_key_id=AKID, secret_access_key=SECRET)
    provider = StaticProvider(creds)
    assert provider.name == "explicit"
    assert steps_of(provider.load()) == [creds]
    assert SECRET not in repr(provider)
    with pytest.raises(ParamValidationError):
        StaticProvider("not credentials")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- EnvProvider


def test_env_provider_full() -> None:
    env = env_creds(AWS_SESSION_TOKEN=TOKEN, AWS_CREDENTIAL_EXPIRATION="2030-01-01T00:00:00Z")
    provider = EnvProvider(env)
    assert provider.name == "env"
    # No I/O: the plan yields nothing and returns at once.
    assert steps_of(provider.load()) == [
        Credentials(
            access_key_id="AKIDENV",
            secret_access_key=SECRET,
            session_token=TOKEN,
            expiration=datetime(2030, 1, 1, tzinfo=timezone.utc),
        )
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=timezone.utc)),
        ("2030-01-01T02:00:00+02:00", datetime(2030, 1, 1, tzinfo=timezone.utc)),
        ("2030-01-01T00:00:00", datetime(2030, 1, 1, tzinfo=timezone.utc)),
        ("2030-01-01T00:00:00.500000Z", datetime(2030, 1, 1, 0, 0, 0, 500000, timezone.utc)),
    ],
)
def test_env_provider_expiration_formats(value: str, expected: datetime) -> None:
    creds = run(EnvProvider(env_creds(AWS_CREDENTIAL_EXPIRATION=value)).load())
    assert creds.expiration == expected


def test_env_provider_bad_expiration() -> None:
    with pytest.raises(ConfigurationError, match="AWS_CREDENTIAL_EXPIRATION") as info:
        run(EnvProvider(env_creds(AWS_CREDENTIAL_EXPIRATION="tomorrow")).load())
    assert_no_secret(info.value)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ({"AWS_SESSION_TOKEN": "session"}, "session"),
        ({"AWS_SECURITY_TOKEN": "security"}, "security"),
        ({"AWS_SECURITY_TOKEN": "security", "AWS_SESSION_TOKEN": "session"}, "security"),
        ({"AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": "session"}, "session"),
        ({"AWS_SESSION_TOKEN": ""}, None),
    ],
)
def test_env_provider_token_order_matches_botocore(
    tokens: dict[str, str], expected: str | None
) -> None:
    env = env_creds(**tokens)
    ours = run(EnvProvider(env).load())
    theirs = botocore.credentials.EnvProvider(environ=env).load()
    assert ours.session_token == expected
    assert ours.session_token == (theirs.token or None)
    assert ours.access_key_id == theirs.access_key
    assert ours.secret_access_key == theirs.secret_key


def test_env_provider_not_configured() -> None:
    provider = EnvProvider({})
    assert run(provider.load()) is None
    assert provider.skip_reason() == "AWS_ACCESS_KEY_ID not set"
    empty = EnvProvider({"AWS_ACCESS_KEY_ID": ""})
    assert run(empty.load()) is None
    assert botocore.credentials.EnvProvider(environ={"AWS_ACCESS_KEY_ID": ""}).load() is None


def test_env_provider_secret_without_key_is_skipped_like_botocore() -> None:
    env = {"AWS_SECRET_ACCESS_KEY": SECRET}
    provider = EnvProvider(env)
    assert run(provider.load()) is None
    assert botocore.credentials.EnvProvider(environ=env).load() is None
    reason = provider.skip_reason()
    assert "AWS_SECRET_ACCESS_KEY is set but is ignored" in reason
    assert SECRET not in reason


@pytest.mark.parametrize("secret", [None, ""])
def test_env_provider_key_without_secret(secret: str | None) -> None:
    env = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SESSION_TOKEN": TOKEN}
    if secret is not None:
        env["AWS_SECRET_ACCESS_KEY"] = secret
    with pytest.raises(ConfigurationError) as info:
        run(EnvProvider(env).load())
    with pytest.raises(botocore.exceptions.PartialCredentialsError) as theirs:
        botocore.credentials.EnvProvider(environ=env).load()
    assert str(info.value) == str(theirs.value)
    assert str(info.value) == "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
    assert_no_secret(info.value)


def test_env_provider_bad_secret_is_configuration_error_without_the_secret() -> None:
    env = env_creds(AWS_SECRET_ACCESS_KEY=SECRET + " trailing", AWS_SESSION_TOKEN=TOKEN)
    with pytest.raises(ConfigurationError, match="environment variables") as info:
        run(EnvProvider(env).load())
    assert_no_secret(info.value)
    assert "secret_access_key" in str(info.value)


# --------------------------------------------------------------------------- file providers


def test_shared_credentials_provider() -> None:
    files = files_from(
        "",
        f"[default]\naws_access_key_id = AKIDSHARED\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n",
    )
    provider = SharedCredentialsProvider(files, "default")
    assert provider.name == "shared-credentials-file"
    assert steps_of(provider.load()) == [
        Credentials(access_key_id="AKIDSHARED", secret_access_key=SECRET, session_token=TOKEN)
    ]


def test_shared_credentials_provider_uses_bare_section_names() -> None:
    files = files_from(
        "", f"[profile p]\naws_access_key_id = X\naws_secret_access_key = {SECRET}\n"
    )
    provider = SharedCredentialsProvider(files, "p")
    assert run(provider.load()) is None
    assert provider.skip_reason() == "no profile 'p' in /home/u/.aws/credentials"


def test_shared_credentials_provider_token_order() -> None:
    files = files_from(
        "",
        f"[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n"
        "aws_session_token = session\naws_security_token = security\n",
    )
    assert run(SharedCredentialsProvider(files, "default").load()).session_token == "security"


def test_shared_credentials_provider_reasons() -> None:
    files = files_from("", "[default]\nregion = r\n")
    no_key = SharedCredentialsProvider(files, "default")
    assert run(no_key.load()) is None
    assert no_key.skip_reason() == (
        "profile 'default' has no aws_access_key_id in /home/u/.aws/credentials"
    )
    missing = SharedCredentialsProvider(files, "other")
    assert run(missing.load()) is None
    assert missing.skip_reason() == "no profile 'other' in /home/u/.aws/credentials"


def test_file_partial_credentials_matches_botocore(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(f"[default]\naws_access_key_id = {AKID}\naws_session_token = {TOKEN}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(path), "AWS_CONFIG_FILE": str(tmp_path / "c")}
    files = load_aws_files(env)
    with pytest.raises(ConfigurationError) as info:
        run(SharedCredentialsProvider(files, "default").load())
    with pytest.raises(botocore.exceptions.PartialCredentialsError) as theirs:
        botocore.credentials.SharedCredentialProvider(str(path), "default").load()
    assert str(info.value).startswith(str(theirs.value))
    assert str(path) in str(info.value)
    assert_no_secret(info.value)


def test_file_secret_without_key_is_skipped() -> None:
    files = files_from("", f"[default]\naws_secret_access_key = {SECRET}\n")
    provider = SharedCredentialsProvider(files, "default")
    assert run(provider.load()) is None
    assert SECRET not in provider.skip_reason()


def test_file_empty_values() -> None:
    files = files_from(
        "",
        f"[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n"
        "aws_session_token =\n",
    )
    assert run(SharedCredentialsProvider(files, "default").load()).session_token is None
    bad = files_from("", f"[default]\naws_access_key_id =\naws_secret_access_key = {SECRET}\n")
    with pytest.raises(ConfigurationError, match="access_key_id must not be empty") as info:
        run(SharedCredentialsProvider(bad, "default").load())
    assert "profile 'default' in /home/u/.aws/credentials" in str(info.value)
    assert_no_secret(info.value)


def test_file_nested_key_is_configuration_error() -> None:
    files = files_from(
        "", f"[default]\naws_access_key_id =\n  a = b\naws_secret_access_key = {SECRET}\n"
    )
    with pytest.raises(ConfigurationError, match="single value") as info:
        run(SharedCredentialsProvider(files, "default").load())
    assert_no_secret(info.value)


def test_config_file_provider_profiles() -> None:
    files = files_from(
        CONFIG_FILE + f"[bare]\naws_access_key_id = B\naws_secret_access_key = {SECRET}\n"
    )
    default = ConfigFileProvider(files, "default")
    assert default.name == "config-file"
    assert steps_of(default.load())[-1].access_key_id == "AKIDCONFIG"
    assert run(ConfigFileProvider(files, "p").load()).access_key_id == "AKIDCONFIGP"
    # A bare [NAME] is not a profile in the config file.
    bare = ConfigFileProvider(files, "bare")
    assert run(bare.load()) is None
    assert bare.skip_reason() == "no profile 'bare' in /home/u/.aws/config"


def test_config_file_provider_empty_profile_reason() -> None:
    provider = ConfigFileProvider(files_from("[profile e]\n"), "e")
    assert run(provider.load()) is None
    assert provider.skip_reason() == "profile 'e' has no aws_access_key_id in /home/u/.aws/config"


def test_config_file_partial() -> None:
    files = files_from("[profile p]\naws_access_key_id = A\n")
    with pytest.raises(ConfigurationError) as info:
        run(ConfigFileProvider(files, "p").load())
    assert str(info.value).startswith(
        "Partial credentials found in config-file, missing: aws_secret_access_key"
    )


# --------------------------------------------------------------------------- CallableProvider


def test_callable_provider_yields_blocking() -> None:
    creds = Credentials(access_key_id=AKID, secret_access_key=SECRET)
    calls: list[int] = []

    def fetch() -> Credentials:
        calls.append(1)
        return creds

    plan = CallableProvider(fetch).load()
    step = next(plan)
    # The plan does not call the function itself: the driver does.
    assert isinstance(step, Blocking)
    assert step.fn is fetch
    assert calls == []
    with pytest.raises(StopIteration) as stop:
        plan.send(step.fn())
    assert stop.value.value is creds
    assert calls == [1]


@pytest.mark.parametrize("value", [None, SECRET, {"access_key_id": AKID}, (AKID, SECRET)])
def test_callable_provider_wrong_type(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="expected Credentials") as info:
        run(CallableProvider(lambda: value).load())
    assert_no_secret(info.value)


def test_callable_provider_exception_propagates() -> None:
    def boom() -> Credentials:
        raise RuntimeError("vault is sealed")

    with pytest.raises(RuntimeError, match="vault is sealed"):
        run(CallableProvider(boom).load())


def test_callable_provider_needs_callable() -> None:
    with pytest.raises(ParamValidationError):
        CallableProvider(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ChainProvider


#: botocore sources we deliberately do not implement (docs/botocore-differences.md):
#: boto2's legacy files, and ``aws login`` console sessions.
NOT_SUPPORTED = {"ec2-credentials-file", "boto-config", "login"}


def test_default_chain_is_botocores_order() -> None:
    chain = chain_for({})
    assert chain.name == "chain"
    ours = [p.name for p in chain.providers]
    resolver = botocore.session.get_session().get_component("credential_provider")
    theirs = [p.METHOD for p in resolver.providers if p.METHOD not in NOT_SUPPORTED]
    assert ours == theirs
    assert ours == [
        "env",
        "assume-role",
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        "custom-process",
        "config-file",
        "container-role",
        "iam-role",
    ]


def test_chain_each_source_beats_the_next() -> None:
    chain = chain_for(env_creds(), CONFIG_FILE, CREDS_FILE)
    assert run(chain.load()).access_key_id == "AKIDENV"
    assert chain.last_provider_name == "env"

    chain = chain_for({}, CONFIG_FILE, CREDS_FILE)
    assert run(chain.load()).access_key_id == "AKIDSHARED"
    assert chain.last_provider_name == "shared-credentials-file"

    chain = chain_for({}, CONFIG_FILE, "")
    assert run(chain.load()).access_key_id == "AKIDCONFIG"
    assert chain.last_provider_name == "config-file"


def test_chain_lists_every_provider_tried() -> None:
    chain = chain_for({}, "[default]\nregion = r\n", "")
    with pytest.raises(NoCredentialsError) as info:
        run(chain.load())
    tried = dict(info.value.tried)
    assert [name for name, _ in info.value.tried] == [
        "env",
        "assume-role",
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        "custom-process",
        "config-file",
        "container-role",
        "iam-role",
    ]
    assert tried["env"] == "AWS_ACCESS_KEY_ID not set"
    assert tried["shared-credentials-file"] == "no profile 'default' in /home/u/.aws/credentials"
    assert tried["config-file"] == (
        "profile 'default' has no aws_access_key_id in /home/u/.aws/config"
    )
    assert tried["iam-role"] == "disabled by AWS_EC2_METADATA_DISABLED=true"
    assert "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" in tried["container-role"]
    message = str(info.value)
    for name, _ in info.value.tried:
        assert name in message
    assert chain.last_provider_name is None


def test_explicit_profile_skips_env() -> None:
    chain = chain_for(env_creds(), CONFIG_FILE, "", profile="p")
    names = [p.name for p in chain.providers]
    assert "env" not in names
    assert names_without_others(names) == ["shared-credentials-file", "config-file"]
    assert run(chain.load()).access_key_id == "AKIDCONFIGP"
    assert chain.last_provider_name == "config-file"


def test_explicit_profile_skip_is_reported() -> None:
    chain = chain_for(env_creds(), "[profile p]\n", "", profile="p")
    with pytest.raises(NoCredentialsError) as info:
        run(chain.load())
    assert info.value.tried[0] == ("env", "not used because profile 'p' was given")
    assert names_without_others([name for name, _ in info.value.tried]) == [
        "env",
        "shared-credentials-file",
        "config-file",
    ]
    assert_no_secret(info.value)


def test_profile_from_env_keeps_env_provider() -> None:
    chain = chain_for(env_creds(AWS_PROFILE="p"), CONFIG_FILE, "")
    assert chain.providers[0].name == "env"
    assert run(chain.load()).access_key_id == "AKIDENV"


def test_chain_stops_at_configuration_error() -> None:
    later = StaticProvider(Credentials(access_key_id=AKID, secret_access_key=SECRET))
    chain = ChainProvider([EnvProvider({"AWS_ACCESS_KEY_ID": AKID}), later])
    with pytest.raises(ConfigurationError, match="Partial credentials"):
        run(chain.load())
    assert chain.last_provider_name is None


class _Nothing:
    name = "custom"

    def load(self) -> Plan[Credentials | None]:
        yield from ()
        return None


class _Slow:
    """A provider that needs a blocking call, as the network providers will."""

    name = "slow"

    def load(self) -> Plan[Credentials | None]:
        value = yield Blocking(fn=lambda: AKID)
        yield Sleep(seconds=0.0)
        return Credentials(access_key_id=value, secret_access_key=SECRET)


def test_chain_passes_steps_through_and_explains_custom_providers() -> None:
    chain = ChainProvider([_Nothing(), _Slow()])
    seen = steps_of(chain.load())
    assert isinstance(seen[0], Blocking)
    assert seen[1] == Sleep(seconds=0.0)
    assert seen[2] == Credentials(access_key_id=AKID, secret_access_key=SECRET)
    assert chain.last_provider_name == "slow"

    with pytest.raises(NoCredentialsError) as info:
        run(ChainProvider([_Nothing()]).load())
    assert info.value.tried == (("custom", "returned no credentials"),)


def test_empty_chain() -> None:
    with pytest.raises(NoCredentialsError) as info:
        run(ChainProvider([]).load())
    assert info.value.tried == ()


# --------------------------------------------------------------------------- as_provider


def _settings_and_files() -> tuple[Settings, AwsFiles]:
    files = files_from()
    return resolve_settings(env={}, files=files), files


def test_as_provider_branches() -> None:
    settings, files = _settings_and_files()
    creds = Credentials(access_key_id=AKID, secret_access_key=SECRET)

    def fetch() -> Credentials:
        return creds

    kwargs: dict[str, Any] = {"env": {}, "files": files, "settings": settings}
    chain = as_provider(None, pctx(**kwargs))
    assert isinstance(chain, ChainProvider)
    assert names_without_others([p.name for p in chain.providers]) == [
        "env",
        "shared-credentials-file",
        "config-file",
    ]

    static = as_provider(creds, pctx(**kwargs))
    assert isinstance(static, StaticProvider)
    assert run(static.load()) is creds

    custom = _Slow()
    assert as_provider(custom, pctx(**kwargs)) is custom

    wrapped = as_provider(fetch, pctx(**kwargs))
    assert isinstance(wrapped, CallableProvider)
    assert run(wrapped.load()) is creds


@pytest.mark.parametrize("bad", [42, "AKID:SECRET", (AKID, SECRET), {"access_key_id": AKID}])
def test_as_provider_rejects(bad: Any) -> None:
    settings, files = _settings_and_files()
    with pytest.raises(ParamValidationError) as info:
        as_provider(bad, pctx({}, files, settings))
    assert SECRET not in str(info.value)


def test_provider_protocol_is_satisfied() -> None:
    settings, files = _settings_and_files()
    providers: list[CredentialProvider] = [
        StaticProvider(Credentials(access_key_id=AKID, secret_access_key=SECRET)),
        EnvProvider({}),
        SharedCredentialsProvider(files, "default"),
        ConfigFileProvider(files, "default"),
        CallableProvider(lambda: Credentials(access_key_id=AKID, secret_access_key=SECRET)),
        default_chain(pctx({}, files, settings)),
    ]
    assert len({p.name for p in providers}) == len(providers)
    for provider in providers:
        assert SECRET not in repr(provider)


# --------------------------------------------------------------------------- secrets sweep

BROKEN: list[tuple[dict[str, str], str, str, str | None]] = [
    ({"AWS_ACCESS_KEY_ID": AKID, "AWS_SESSION_TOKEN": TOKEN}, "", "", None),
    (env_creds(AWS_SECRET_ACCESS_KEY=SECRET + " x"), "", "", None),
    ({}, "", f"[default]\naws_access_key_id = {AKID}\naws_session_token = {TOKEN}\n", None),
    ({}, "", f"[default]\naws_access_key_id = A B\naws_secret_access_key = {SECRET}\n", None),
    ({}, f"[profile p]\naws_secret_access_key = {SECRET}\n", "", "p"),
    ({}, f"[profile p]\naws_access_key_id = A\naws_session_token = {TOKEN}\n", "", "p"),
    ({"AWS_SESSION_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": SECRET}, "", "", None),
]


@pytest.mark.parametrize(("env", "config", "credentials", "profile"), BROKEN)
def test_no_secret_in_any_error(
    env: dict[str, str], config: str, credentials: str, profile: str | None
) -> None:
    chain = chain_for(env, config, credentials, profile=profile)
    with pytest.raises(PersonalizeError) as info:
        run(chain.load())
    assert isinstance(info.value, (ConfigurationError, NoCredentialsError))
    assert_no_secret(info.value)
    cause = info.value.__cause__ or info.value.__context__
    if cause is not None and not info.value.__suppress_context__:
        assert_no_secret(cause)


# --------------------------------------------------------------------------- botocore parity


Scenario = tuple[dict[str, str], str, str, "str | None"]
PARITY: dict[str, Scenario] = {
    "env only": (env_creds(AWS_SESSION_TOKEN=TOKEN), CONFIG_FILE, CREDS_FILE, None),
    "shared file": ({}, CONFIG_FILE, CREDS_FILE, None),
    "config file": ({}, CONFIG_FILE, "", None),
    "config profile via AWS_PROFILE": ({"AWS_PROFILE": "p"}, CONFIG_FILE, "", None),
    "env beats AWS_PROFILE": (env_creds(AWS_PROFILE="p"), CONFIG_FILE, "", None),
    "explicit profile skips env": (env_creds(), CONFIG_FILE, "", "p"),
    "shared file token": (
        {},
        "",
        f"[x]\naws_access_key_id = AKIDX\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n",
        "x",
    ),
}


@pytest.mark.parametrize("scenario", sorted(PARITY))
def test_credentials_match_botocore(
    tmp_path: Path, botocore_env: pytest.MonkeyPatch, scenario: str
) -> None:
    extra_env, config, credentials, profile = PARITY[scenario]
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        **extra_env,
    }
    files = load_aws_files(env)
    settings = resolve_settings(env=env, files=files, profile=profile)
    chain = default_chain(pctx(env, files, settings))
    ours = run(chain.load())

    for key, value in env.items():
        botocore_env.setenv(key, value)
    session = botocore.session.Session(profile=profile)
    theirs = session.get_credentials()

    assert (session.get_config_variable("profile") or "default") == settings.profile
    assert theirs is not None
    assert theirs.method == chain.last_provider_name
    assert ours.access_key_id == theirs.access_key
    assert ours.secret_access_key == theirs.secret_key
    assert ours.session_token == theirs.token


def test_missing_credentials_match_botocore(
    tmp_path: Path, botocore_env: pytest.MonkeyPatch
) -> None:
    """With nothing configured (and no network), both give up."""
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "HOME": str(tmp_path),
    }
    files = load_aws_files(env)
    chain = default_chain(pctx(env, files, resolve_settings(env=env, files=files)))
    with pytest.raises(NoCredentialsError):
        run(chain.load())
    for key, value in env.items():
        botocore_env.setenv(key, value)
    # Keep botocore away from the container endpoint and instance metadata entirely.
    session = botocore.session.Session()
    resolver = session.get_component("credential_provider")
    for method in ("container-role", "iam-role", "boto-config"):
        resolver.remove(method)
    assert session.get_credentials() is None
