"""Credentials, one provider per source, and the provider chain.

A provider's :meth:`~CredentialProvider.load` is a plan (see :mod:`._steps`): it returns
:class:`Credentials`, or None when its source is not configured, and raises
:class:`~._errors.ConfigurationError` when the source is configured but broken (an access
key id without a secret). Providers that need a blocking call yield
:class:`~._steps.Blocking`; the ones here (explicit, environment, shared files) work from
values already in memory and yield nothing.

:class:`ChainProvider` tries its providers in order. When none produces credentials it
raises :class:`~._errors.NoCredentialsError` listing every provider and why it was
skipped. The default chain (:func:`default_chain`) follows boto3 for the sources it
covers: environment, shared credentials file, config file. Network providers (container,
instance metadata, web identity, SSO) slot in after them later.

Secrets (the secret access key and the session token) never appear in a repr or in the
message of an error raised here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol, cast

import attrs

from ._config import AwsFiles, Settings, config_profiles
from ._errors import ConfigurationError, NoCredentialsError, ParamValidationError
from ._steps import Blocking, Plan

__all__ = [
    "CallableProvider",
    "ChainProvider",
    "ConfigFileProvider",
    "CredentialProvider",
    "Credentials",
    "EnvProvider",
    "SharedCredentialsProvider",
    "StaticProvider",
    "as_provider",
    "default_chain",
]

_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def _check_key(name: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and attribute.name == "session_token":
            return
        if not isinstance(value, str):
            raise ParamValidationError(f"{name} must be a str, not {type(value).__name__}")
        if not value:
            raise ParamValidationError(f"{name} must not be empty")
        if _BAD_CHARS.search(value):
            raise ParamValidationError(f"{name} must not contain whitespace or control characters")

    return check


def _to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ParamValidationError(
            f"expiration must be a datetime or None, not {type(value).__name__}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ParamValidationError("expiration must be timezone-aware (for example UTC)")
    return value.astimezone(timezone.utc)


@attrs.frozen(kw_only=True, slots=True)
class Credentials:
    """AWS credentials. The secret and the token are left out of the repr.

    ``expiration`` is an aware datetime converted to UTC, or None if they do not expire.
    Invalid values raise :class:`ParamValidationError` whose message holds no secret.
    """

    access_key_id: str = attrs.field(validator=_check_key("access_key_id"))
    secret_access_key: str = attrs.field(repr=False, validator=_check_key("secret_access_key"))
    session_token: str | None = attrs.field(
        default=None, repr=False, validator=_check_key("session_token")
    )
    expiration: datetime | None = attrs.field(default=None, converter=_to_utc)


class CredentialProvider(Protocol):
    """A source of credentials.

    ``load()`` is a plan returning Credentials, or None when the source is not
    configured. Providers may also define ``skip_reason() -> str``, used by
    :class:`ChainProvider` to explain a None.
    """

    name: str

    def load(self) -> Plan[Credentials | None]: ...


def _credentials_from(source: str, **values: Any) -> Credentials:
    """Build Credentials from configuration, reporting bad values as ConfigurationError
    (the message names the source and the field, never the value)."""
    try:
        return Credentials(**values)
    except ParamValidationError as exc:
        raise ConfigurationError(f"Invalid credentials in {source}: {exc}") from None


def _partial(provider: str, missing: str, where: str = "") -> ConfigurationError:
    # botocore's PartialCredentialsError wording, plus where to look.
    suffix = f" ({where})" if where else ""
    return ConfigurationError(
        f"Partial credentials found in {provider}, missing: {missing}{suffix}"
    )


# --------------------------------------------------------------------------- providers


class StaticProvider:
    """Credentials given explicitly by the caller."""

    name = "explicit"

    def __init__(self, credentials: Credentials) -> None:
        if not isinstance(credentials, Credentials):
            raise ParamValidationError(
                f"StaticProvider needs Credentials, not {type(credentials).__name__}"
            )
        self.credentials = credentials

    def load(self) -> Plan[Credentials | None]:
        yield from ()
        return self.credentials

    def __repr__(self) -> str:
        return f"StaticProvider({self.credentials!r})"


class EnvProvider:
    """``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, the token from
    ``AWS_SECURITY_TOKEN`` or ``AWS_SESSION_TOKEN`` (botocore's order: the first set one
    wins) and ``AWS_CREDENTIAL_EXPIRATION`` (ISO 8601). Empty variables count as unset.
    """

    name = "env"
    ACCESS_KEY = "AWS_ACCESS_KEY_ID"
    SECRET_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 (a variable name)
    TOKENS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")
    EXPIRY_TIME = "AWS_CREDENTIAL_EXPIRATION"

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def load(self) -> Plan[Credentials | None]:
        yield from ()
        env = self._env
        access_key = env.get(self.ACCESS_KEY)
        if not access_key:
            return None
        secret_key = env.get(self.SECRET_KEY)
        if not secret_key:
            raise _partial(self.name, self.SECRET_KEY)
        token = next((env[var] for var in self.TOKENS if env.get(var)), None)
        expiry = env.get(self.EXPIRY_TIME)
        return _credentials_from(
            "environment variables",
            access_key_id=access_key,
            secret_access_key=secret_key,
            session_token=token,
            expiration=_parse_expiration(expiry, what=self.EXPIRY_TIME) if expiry else None,
        )

    def skip_reason(self) -> str:
        reason = f"{self.ACCESS_KEY} not set"
        if self._env.get(self.SECRET_KEY):
            reason += f" ({self.SECRET_KEY} is set but is ignored without it)"
        return reason

    def __repr__(self) -> str:
        return "EnvProvider()"


def _parse_expiration(value: str, *, what: str) -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(
            f"{what} must be an ISO 8601 timestamp such as 2030-01-01T00:00:00Z, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class _ProfileKeysProvider:
    """Reads ``aws_access_key_id`` / ``aws_secret_access_key`` and a token
    (``aws_security_token`` or ``aws_session_token``, botocore's order) from one profile
    section."""

    name = ""
    ACCESS_KEY = "aws_access_key_id"
    SECRET_KEY = "aws_secret_access_key"  # noqa: S105 (a key name)
    TOKENS = ("aws_security_token", "aws_session_token")

    def __init__(self, files: AwsFiles, profile: str) -> None:
        self._files = files
        self.profile = profile

    def _section(self) -> Mapping[str, Any] | None:
        raise NotImplementedError

    def _path(self) -> str:
        raise NotImplementedError

    def load(self) -> Plan[Credentials | None]:
        yield from ()
        section = self._section()
        if section is None or self.ACCESS_KEY not in section:
            return None
        source = f"profile {self.profile!r} in {self._path()}"
        if self.SECRET_KEY not in section:
            raise _partial(self.name, self.SECRET_KEY, source)
        access_key = self._value(section, self.ACCESS_KEY, source)
        secret_key = self._value(section, self.SECRET_KEY, source)
        token = next(
            (self._value(section, key, source) for key in self.TOKENS if key in section), None
        )
        return _credentials_from(
            source, access_key_id=access_key, secret_access_key=secret_key, session_token=token
        )

    @staticmethod
    def _value(section: Mapping[str, Any], key: str, source: str) -> str | None:
        value = section[key]
        if not isinstance(value, str):
            raise ConfigurationError(f"{key} in {source} must be a single value")
        # An empty token means "no token"; an empty key is reported by Credentials.
        return value if value or not key.endswith("_token") else None

    def skip_reason(self) -> str:
        section = self._section()
        if section is None:
            return f"no profile {self.profile!r} in {self._path() or '(no file)'}"
        return f"profile {self.profile!r} has no {self.ACCESS_KEY} in {self._path()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(profile={self.profile!r})"


class SharedCredentialsProvider(_ProfileKeysProvider):
    """The profile's section (``[NAME]``) of the shared credentials file."""

    name = "shared-credentials-file"

    def _section(self) -> Mapping[str, Any] | None:
        return self._files.credentials.get(self.profile)

    def _path(self) -> str:
        return self._files.credentials_path


class ConfigFileProvider(_ProfileKeysProvider):
    """The profile's section (``[default]`` / ``[profile NAME]``) of the config file."""

    name = "config-file"

    def _section(self) -> Mapping[str, Any] | None:
        return config_profiles(self._files).get(self.profile)

    def _path(self) -> str:
        return self._files.config_path


class CallableProvider:
    """Calls a user function that returns Credentials, as a blocking step (so the async
    client runs it in a worker thread)."""

    name = "callable"

    def __init__(self, fn: Callable[[], Credentials]) -> None:
        if not callable(fn):
            raise ParamValidationError(
                f"CallableProvider needs a callable, not {type(fn).__name__}"
            )
        self.fn = fn

    def load(self) -> Plan[Credentials | None]:
        value = yield Blocking(fn=self.fn)
        if not isinstance(value, Credentials):
            raise ConfigurationError(
                f"The credentials callable returned {type(value).__name__}, expected Credentials"
            )
        return value

    def __repr__(self) -> str:
        return f"CallableProvider({getattr(self.fn, '__qualname__', type(self.fn).__name__)})"


class ChainProvider:
    """Tries ``providers`` in order; the first to return Credentials wins and its name is
    kept in ``last_provider_name``. A ConfigurationError from a provider stops the chain.

    ``skipped`` lists ``(name, reason)`` for providers left out of the chain on purpose
    (reported first in the NoCredentialsError).
    """

    name = "chain"

    def __init__(
        self,
        providers: Sequence[CredentialProvider],
        *,
        skipped: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.providers: tuple[CredentialProvider, ...] = tuple(providers)
        self.skipped: tuple[tuple[str, str], ...] = tuple(skipped)
        self.last_provider_name: str | None = None

    def load(self) -> Plan[Credentials | None]:
        tried: list[tuple[str, str]] = list(self.skipped)
        for provider in self.providers:
            credentials = yield from provider.load()
            if credentials is not None:
                self.last_provider_name = provider.name
                return credentials
            tried.append((provider.name, _skip_reason(provider)))
        raise NoCredentialsError(tried)

    def __repr__(self) -> str:
        return f"ChainProvider([{', '.join(p.name for p in self.providers)}])"


def _skip_reason(provider: CredentialProvider) -> str:
    explain = getattr(provider, "skip_reason", None)
    if callable(explain):
        reason = explain()
        if isinstance(reason, str) and reason:
            return reason
    return "returned no credentials"


# --------------------------------------------------------------------------- the chain


def default_chain(*, env: Mapping[str, str], files: AwsFiles, settings: Settings) -> ChainProvider:
    """boto3's chain for the sources covered so far: environment, shared credentials
    file, config file. An explicit ``profile=`` (``settings.profile_explicit``) leaves the
    environment provider out, as botocore does."""
    providers: list[CredentialProvider] = []
    skipped: list[tuple[str, str]] = []
    if settings.profile_explicit:
        skipped.append(
            (EnvProvider.name, f"not used because profile {settings.profile!r} was given")
        )
    else:
        providers.append(EnvProvider(env))
    providers.append(SharedCredentialsProvider(files, settings.profile))
    providers.append(ConfigFileProvider(files, settings.profile))
    return ChainProvider(providers, skipped=skipped)


def as_provider(
    credentials: Credentials | CredentialProvider | Callable[[], Credentials] | None,
    *,
    env: Mapping[str, str],
    files: AwsFiles,
    settings: Settings,
) -> CredentialProvider:
    """Turn the client's ``credentials=`` argument into a provider.

    None: the default chain; Credentials: :class:`StaticProvider`; an object with a
    ``load`` method: itself; another callable: :class:`CallableProvider`. Anything else
    raises ParamValidationError.
    """
    if credentials is None:
        return default_chain(env=env, files=files, settings=settings)
    if isinstance(credentials, Credentials):
        return StaticProvider(credentials)
    if callable(getattr(credentials, "load", None)):
        return cast(CredentialProvider, credentials)
    if callable(credentials):
        return CallableProvider(credentials)
    raise ParamValidationError(
        "credentials must be Credentials, a credential provider, a callable returning "
        f"Credentials, or None; not {type(credentials).__name__}"
    )
