"""Credentials, one provider per source, and the provider chain.

A provider's :meth:`~CredentialProvider.load` is a plan (see :mod:`.._steps`): it returns
:class:`Credentials`, or None when its source is not configured, and raises
:class:`~.._errors.ConfigurationError` when the source is configured but broken (an access
key id without a secret). Providers that need a blocking call yield
:class:`~.._steps.Blocking`; the ones here (explicit, environment, shared files) work from
values already in memory and yield nothing.

:class:`ChainProvider` tries its providers in order, remembers the one that worked (later
refreshes go straight to it), and when none produces credentials raises
:class:`~.._errors.NoCredentialsError` listing every provider and why it was skipped. The
default chain is assembled in :mod:`._chain`. :class:`CredentialCache` holds a client's
current credentials and refreshes them ahead of expiry, once for all concurrent callers.

Secrets (the secret access key and the session token) never appear in a repr or in the
message of an error raised here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Protocol

import attrs

from .._config import AwsFiles, Settings, config_profiles
from .._errors import ConfigurationError, NoCredentialsError, ParamValidationError, PersonalizeError
from .._steps import Blocking, Exclusive, FlightLock, Plan

__all__ = [
    "ADVISORY_REFRESH",
    "MANDATORY_REFRESH",
    "CallableProvider",
    "ChainProvider",
    "ConfigFileProvider",
    "CredentialCache",
    "CredentialProvider",
    "Credentials",
    "EnvProvider",
    "ProviderContext",
    "SharedCredentialsProvider",
    "StaticProvider",
    "parse_expiration",
]

logger = logging.getLogger("personalize_lite")

_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")
#: Lone surrogates (from undecodable environment bytes) cannot be encoded, so cannot be
#: signed with; a key id or token, which travel in headers, must also be ASCII.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _check_key(name: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    in_header = name != "secret_access_key"

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and attribute.name == "session_token":
            return
        if not isinstance(value, str):
            raise ParamValidationError(f"{name} must be a str, not {type(value).__name__}")
        if not value:
            raise ParamValidationError(f"{name} must not be empty")
        if _BAD_CHARS.search(value):
            raise ParamValidationError(f"{name} must not contain whitespace or control characters")
        if in_header and not value.isascii():
            raise ParamValidationError(f"{name} must be ASCII (it is sent in a header)")
        if _SURROGATES.search(value):
            raise ParamValidationError(f"{name} must be valid Unicode text (no lone surrogates)")

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
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC form
        raise ParamValidationError("expiration is out of range in UTC") from None


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
            expiration=parse_expiration(expiry, what=self.EXPIRY_TIME) if expiry else None,
        )

    def skip_reason(self) -> str:
        reason = f"{self.ACCESS_KEY} not set"
        if self._env.get(self.SECRET_KEY):
            reason += f" ({self.SECRET_KEY} is set but is ignored without it)"
        return reason

    def __repr__(self) -> str:
        return "EnvProvider()"


def parse_expiration(value: str, *, what: str) -> datetime:
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
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC form
        raise ConfigurationError(f"{what} is out of range in UTC, not {value!r}") from None


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
        self._resolved: CredentialProvider | None = None

    def load(self) -> Plan[Credentials | None]:
        resolved = self._resolved
        if resolved is not None:  # refreshes go straight to the provider that worked
            credentials = yield from resolved.load()
            if credentials is not None:
                return credentials
            self._resolved = None
        tried: list[tuple[str, str]] = list(self.skipped)
        for provider in self.providers:
            credentials = yield from provider.load()
            if credentials is not None:
                self._resolved = provider
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


@attrs.frozen(kw_only=True)
class ProviderContext:
    """Everything a provider may read to decide what to do. Nothing here does I/O."""

    #: Left out of the repr, as are the files' contents: both may hold secret keys.
    env: Mapping[str, str] = attrs.field(repr=False)
    files: AwsFiles
    settings: Settings
    #: The wall clock (aware UTC), corrected for skew where the client knows it.
    clock: Callable[[], datetime]


#: boto3's refresh windows: try to refresh 15 minutes before expiry; from 10 minutes
#: before expiry a refresh must succeed.
ADVISORY_REFRESH: Final = timedelta(minutes=15)
MANDATORY_REFRESH: Final = timedelta(minutes=10)


class CredentialCache:
    """The current credentials of one client, refreshed ahead of expiry, single-flight.

    In the advisory window a failed refresh keeps the current credentials (and logs a
    warning); in the mandatory window it raises. Concurrent callers that find the
    credentials stale wait on one :class:`Exclusive` refresh instead of each fetching;
    in the advisory window, while the current credentials still serve, they do not wait:
    when a refresh is already under way they go on with the current ones (as botocore).
    """

    def __init__(self, provider: CredentialProvider, clock: Callable[[], datetime]) -> None:
        self.provider = provider
        self._clock = clock
        self._current: Credentials | None = None
        self._lock = FlightLock()

    @staticmethod
    def _fresh(credentials: Credentials | None, now: datetime) -> bool:
        return credentials is not None and (
            credentials.expiration is None or credentials.expiration - now > ADVISORY_REFRESH
        )

    @staticmethod
    def _usable(credentials: Credentials | None, now: datetime) -> bool:
        """Still good for calls while a refresh is attempted (the advisory window)."""
        return (
            credentials is not None
            and credentials.expiration is not None
            and credentials.expiration - now > MANDATORY_REFRESH
        )

    def get(self) -> Plan[Credentials]:
        current = self._current
        now = self._clock()
        if current is not None and self._fresh(current, now):
            return current
        # Waiting on another caller's advisory refresh would make every caller pay for it
        # (and, if it fails, try again in turn, N waiters making N fetches back to back).
        credentials: Credentials = yield Exclusive(
            lock=self._lock,
            plan=self._refresh(current),
            wait=not self._usable(current, now),
            busy=current,
        )
        return credentials

    def _refresh(self, seen: Credentials | None) -> Plan[Credentials]:
        """``seen``: the credentials the caller found stale before it took the lock."""
        now = self._clock()
        current = self._current
        if current is not None and self._fresh(current, now):
            return current  # refreshed by another caller while we waited
        usable = self._usable(current, now)
        if usable and current is not None and current is not seen:
            return current  # fetched by another caller while we waited: share that fetch
        try:
            loaded = yield from self.provider.load()
        except PersonalizeError as exc:
            if not usable:
                raise
            logger.warning(
                "credential refresh failed in the advisory window; using the current "
                "credentials until %s: %s",
                current.expiration.isoformat() if current and current.expiration else "?",
                exc,
            )
            assert current is not None
            return current
        if loaded is None:
            if usable:
                assert current is not None
                return current
            raise NoCredentialsError([(self.provider.name, "returned no credentials")])
        self._current = loaded
        return loaded
