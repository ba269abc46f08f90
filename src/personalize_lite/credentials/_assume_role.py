"""Credentials from STS: assume-role profiles and web identity (botocore's
``AssumeRoleProvider`` and ``AssumeRoleWithWebIdentityProvider``).

:class:`AssumeRoleProvider` serves a profile with ``role_arn`` (and no
``web_identity_token_file``, which makes it the web identity provider's) and either
``source_profile`` or ``credential_source``. Its source credentials come from:

* ``source_profile``: that profile's own credentials (its web identity settings, else
  its static keys from the credentials file, then the config file; the chain owner may
  pass ``source_profile_providers`` to add SSO and ``credential_process`` in botocore's
  order), else, when it is itself an assume-role profile, that role: chains are resolved
  recursively, one STS call per hop, innermost first.
  A profile may name itself when it holds static keys (botocore's rule); any other
  revisit is a loop and a :class:`~.._errors.ConfigurationError` naming the cycle;
* ``credential_source``: ``Environment``, ``Ec2InstanceMetadata`` or ``EcsContainer``,
  through the provider the chain owner injects (``credential_source_factory``).

Keys read: ``external_id``, ``role_session_name`` (default
``personalize-lite-<epoch seconds>``), ``duration_seconds`` (900 to 43200).
``mfa_serial`` is refused: it needs a person to type a code, which a library client
cannot prompt for (use ``aws sts get-session-token`` or an SSO profile instead).

:class:`WebIdentityProvider` reads ``AWS_WEB_IDENTITY_TOKEN_FILE``, ``AWS_ROLE_ARN``,
``AWS_ROLE_SESSION_NAME`` (each variable wins over the profile's
``web_identity_token_file``, ``role_arn``, ``role_session_name``; the variables are
ignored when a profile was named explicitly, as botocore does) and re-reads the token
file on every load, since EKS rotates it.

Each ``load()`` re-resolves the source credentials and calls STS again: the client's
:class:`~._base.CredentialCache` decides when, from STS's expiration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .._config import profile_exists, read_bounded, scoped_config
from .._errors import ConfigurationError, CredentialRetrievalError
from .._steps import Blocking, Plan
from ._base import (
    ConfigFileProvider,
    CredentialProvider,
    Credentials,
    ProviderContext,
    SharedCredentialsProvider,
)
from ._sts import assume_role_plan, assume_role_with_web_identity_plan

__all__ = [
    "CREDENTIAL_SOURCES",
    "AssumeRoleProvider",
    "WebIdentityProvider",
]

#: The ``credential_source`` values botocore accepts (its ``CANONICAL_NAME``s; exact case).
CREDENTIAL_SOURCES: Final = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
_SESSION_PREFIX: Final = "personalize-lite-"
_DURATION_RANGE: Final = (900, 43200)


def _text(section: Mapping[str, Any], key: str, profile: str) -> str | None:
    """A single-valued key of a profile; None when absent."""
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{key} in profile {profile!r} must be a single value")
    return value


def _default_session_name(ctx: ProviderContext) -> str:
    return f"{_SESSION_PREFIX}{int(ctx.clock().timestamp())}"


def _has_static_keys(section: Mapping[str, Any]) -> bool:
    return "aws_access_key_id" in section or "aws_secret_access_key" in section


def _is_assume_role(section: Mapping[str, Any]) -> bool:
    """botocore's ``_has_assume_role_config_vars``."""
    return "role_arn" in section and "web_identity_token_file" not in section


class AssumeRoleProvider:
    """Credentials from ``sts:AssumeRole`` for an assume-role profile (module docstring)."""

    name = "assume-role"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        credential_source_factory: Callable[[str], CredentialProvider],
        source_profile_providers: Callable[[str], Sequence[CredentialProvider]] | None = None,
    ) -> None:
        self._ctx = ctx
        self._factory = credential_source_factory
        self._profile_providers = source_profile_providers or self._default_profile_providers

    def _default_profile_providers(self, profile: str) -> Sequence[CredentialProvider]:
        """What a source profile's own credentials may come from: web identity (without
        the environment), then static keys. The chain owner may pass
        ``source_profile_providers`` to add SSO and ``credential_process`` in botocore's
        order (web identity, SSO, credentials file, process, config file)."""
        files = self._ctx.files
        return (
            WebIdentityProvider(self._ctx, profile=profile, use_env=False),
            SharedCredentialsProvider(files, profile),
            ConfigFileProvider(files, profile),
        )

    def load(self) -> Plan[Credentials | None]:
        profile = self._ctx.settings.profile
        if not _is_assume_role(scoped_config(self._ctx.files, profile)):
            return None
        credentials: Credentials = yield from self._assume(profile, [profile])
        return credentials

    def skip_reason(self) -> str:
        profile = self._ctx.settings.profile
        section = scoped_config(self._ctx.files, profile)
        if "role_arn" in section:
            return (
                f"profile {profile!r} has web_identity_token_file "
                "(the web identity provider serves it)"
            )
        return f"profile {profile!r} has no role_arn"

    def _assume(self, profile: str, visited: list[str]) -> Plan[Credentials]:
        """AssumeRole for ``profile``; ``visited`` is the chain so far, ending in it."""
        ctx = self._ctx
        section = scoped_config(ctx.files, profile)
        role_arn = _text(section, "role_arn", profile)
        source_profile = _text(section, "source_profile", profile)
        credential_source = _text(section, "credential_source", profile)
        if source_profile is not None and credential_source is not None:
            raise ConfigurationError(
                f'The profile "{profile}" contains both source_profile and credential_source.'
            )
        if source_profile is None and credential_source is None:
            raise ConfigurationError(
                f"Partial credentials found in {self.name}, missing: source_profile or "
                f"credential_source (profile {profile!r} has role_arn)"
            )
        if _text(section, "mfa_serial", profile) is not None:
            raise ConfigurationError(
                f"profile {profile!r} sets mfa_serial: assuming a role with an MFA code "
                "needs an interactive prompt, which personalize-lite does not support "
                "(get session credentials with `aws sts get-session-token` or use SSO)"
            )
        duration = _duration(section, profile)
        external_id = _text(section, "external_id", profile)
        session_name = _text(section, "role_session_name", profile)
        assert role_arn is not None

        if credential_source is not None:
            source = yield from self._from_credential_source(credential_source, profile)
        else:
            assert source_profile is not None
            self._check_source_profile(profile, source_profile, visited)
            source = yield from self._from_source_profile(
                source_profile, [*visited, source_profile]
            )

        credentials: Credentials = yield from assume_role_plan(
            ctx=ctx,
            source=source,
            role_arn=role_arn,
            session_name=session_name or _default_session_name(ctx),
            external_id=external_id,
            duration_seconds=duration,
            provider=self.name,
        )
        return credentials

    def _check_source_profile(self, parent: str, source: str, visited: list[str]) -> None:
        """botocore's ``_validate_source_profile``."""
        files = self._ctx.files
        if not profile_exists(files, source):
            raise ConfigurationError(
                f'The source_profile "{source}" referenced in the profile "{parent}" '
                "does not exist."
            )
        if source not in visited:
            return
        # A profile may source its own static keys (role_arn and keys side by side).
        if source == parent and _has_static_keys(scoped_config(files, source)):
            return
        cycle = " -> ".join([*visited, source])
        raise ConfigurationError(
            f"Infinite loop in assume-role configuration: {cycle} (profile {source!r} "
            "is visited twice; a profile may only name itself when it has static keys)"
        )

    def _from_source_profile(self, profile: str, visited: list[str]) -> Plan[Credentials]:
        """botocore's ``_resolve_credentials_from_profile``: the profile's own credentials
        (web identity, static keys...) before its role."""
        section = scoped_config(self._ctx.files, profile)
        if _has_static_keys(section) or not _is_assume_role(section):
            for provider in self._profile_providers(profile):
                found = yield from provider.load()
                if found is not None:
                    return found
            raise ConfigurationError(f'The source profile "{profile}" must have credentials.')
        credentials: Credentials = yield from self._assume(profile, visited)
        return credentials

    def _from_credential_source(self, source: str, profile: str) -> Plan[Credentials]:
        if source not in CREDENTIAL_SOURCES:
            raise ConfigurationError(
                f'The credential source "{source}" referenced in profile "{profile}" is not '
                f"valid (expected one of {', '.join(CREDENTIAL_SOURCES)})."
            )
        provider = self._factory(source)
        credentials = yield from provider.load()
        if credentials is None:
            raise CredentialRetrievalError(
                f"No credentials found in credential_source {source!r} referenced in "
                f"profile {profile!r}",
                provider=self.name,
            )
        return credentials

    def __repr__(self) -> str:
        return f"AssumeRoleProvider(profile={self._ctx.settings.profile!r})"


def _duration(section: Mapping[str, Any], profile: str) -> int | None:
    raw = _text(section, "duration_seconds", profile)
    if raw is None:
        return None
    text = raw.strip()
    low, high = _DURATION_RANGE
    # The length check first: int() refuses over 4300 digits with a bare ValueError.
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and low <= int(text) <= high):
        shown = repr(raw) if len(raw) <= 40 else f"{raw[:37]!r}..."
        raise ConfigurationError(
            f"duration_seconds in profile {profile!r} must be a whole number of seconds "
            f"from {low} to {high}, not {shown}"
        )
    return int(text)


class WebIdentityProvider:
    """Credentials from ``sts:AssumeRoleWithWebIdentity`` (module docstring).

    ``profile`` defaults to the settings' profile; ``use_env`` defaults to True unless
    that profile was named explicitly. The assume-role provider builds one with
    ``use_env=False`` for a ``source_profile``.
    """

    name = "assume-role-with-web-identity"
    _ENV: Final = {
        "web_identity_token_file": "AWS_WEB_IDENTITY_TOKEN_FILE",
        "role_arn": "AWS_ROLE_ARN",
        "role_session_name": "AWS_ROLE_SESSION_NAME",
    }

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        profile: str | None = None,
        use_env: bool | None = None,
    ) -> None:
        self._ctx = ctx
        self.profile = ctx.settings.profile if profile is None else profile
        self._use_env = not ctx.settings.profile_explicit if use_env is None else use_env

    def _get(self, key: str) -> tuple[str | None, str]:
        """``(value, where it came from)``: the variable wins over the profile's key."""
        if self._use_env:
            var = self._ENV[key]
            value = self._ctx.env.get(var)
            if value:
                return value, var
        section = scoped_config(self._ctx.files, self.profile)
        value = _text(section, key, self.profile)
        return (value or None), f"{key} in profile {self.profile!r}"

    def load(self) -> Plan[Credentials | None]:
        path, path_from = self._get("web_identity_token_file")
        if path is None:
            return None
        role_arn, _ = self._get("role_arn")
        if role_arn is None:
            raise ConfigurationError(
                f"{path_from} is set (assume role with web identity) but no role ARN is "
                "configured: set the profile's role_arn or AWS_ROLE_ARN"
            )
        session_name, _ = self._get("role_session_name")
        try:
            token = yield Blocking(fn=lambda: _read_token(path))
        except OSError as exc:
            raise CredentialRetrievalError(
                f"cannot read the web identity token file {path} ({path_from}): "
                f"{exc.strerror or type(exc).__name__}",
                provider=self.name,
            ) from None
        except ValueError:  # a NUL or a lone surrogate in the name: open() cannot take it
            raise CredentialRetrievalError(
                f"cannot read the web identity token file {path!r} ({path_from}): "
                "not a usable file name",
                provider=self.name,
            ) from None
        if not isinstance(token, str) or not token:
            raise CredentialRetrievalError(
                f"the web identity token file {path} ({path_from}) is empty",
                provider=self.name,
            )
        credentials: Credentials = yield from assume_role_with_web_identity_plan(
            ctx=self._ctx,
            role_arn=role_arn,
            session_name=session_name or _default_session_name(self._ctx),
            token=token,
            provider=self.name,
        )
        return credentials

    def skip_reason(self) -> str:
        env = (
            "AWS_WEB_IDENTITY_TOKEN_FILE not set and "
            if self._use_env
            else "environment not used and "
        )
        return f"{env}profile {self.profile!r} has no web_identity_token_file"

    def __repr__(self) -> str:
        return f"WebIdentityProvider(profile={self.profile!r})"


def _read_token(path: str) -> str:
    """The token file's text without surrounding whitespace (a JWT has none). Blocks.

    At most :data:`~._config.MAX_LOCAL_SOURCE` bytes are read, from a regular file only
    (``read_bounded``); STS takes tokens of 4 to 20,000 characters, which ``_sts.py``
    checks before sending."""
    data = read_bounded(path)
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:  # raised here, not in the except block: that error holds the token
        raise OSError(0, "not UTF-8 text") from None
    return text.strip()
