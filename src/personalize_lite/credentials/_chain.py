"""The default credential chain, in boto3's order, and the client's ``credentials=``.

boto3's order: environment, assume-role profile, web identity, SSO, shared credentials
file, ``credential_process``, config file, container (ECS/EKS), instance metadata (IMDS).
An explicitly given ``profile=`` leaves the environment out, as botocore does.

The providers past the environment and the two files are imported and built when the
chain first reaches them: a process with keys in its environment never loads the STS,
SSO, process or metadata modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import attrs

from .._errors import ConfigurationError, ParamValidationError
from .._steps import Plan
from ._base import (
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

__all__ = ["as_provider", "default_chain"]


def default_chain(ctx: ProviderContext) -> ChainProvider:
    """boto3's default chain (see the module docstring)."""
    settings = ctx.settings
    providers: list[CredentialProvider] = []
    skipped: list[tuple[str, str]] = []
    if settings.profile_explicit:
        skipped.append(
            (EnvProvider.name, f"not used because profile {settings.profile!r} was given")
        )
    else:
        providers.append(EnvProvider(ctx.env))
    providers += [
        _Deferred("assume-role", lambda: _assume_role(ctx)),
        _Deferred("assume-role-with-web-identity", lambda: _web_identity(ctx)),
        _Deferred("sso", lambda: _sso(ctx)),
        SharedCredentialsProvider(ctx.files, settings.profile),
        _Deferred("custom-process", lambda: _process(ctx)),
        ConfigFileProvider(ctx.files, settings.profile),
        _Deferred("container-role", lambda: _container(ctx)),
        _Deferred("iam-role", lambda: _instance_metadata(ctx)),
    ]
    return ChainProvider(providers, skipped=skipped)


class _Deferred:
    """A chain link whose provider is imported and built the first time it is asked."""

    def __init__(self, name: str, build: Callable[[], CredentialProvider]) -> None:
        self.name = name
        self._build = build
        self._provider: CredentialProvider | None = None

    @property
    def provider(self) -> CredentialProvider:
        if self._provider is None:
            self._provider = self._build()
            if self._provider.name != self.name:  # pragma: no cover - a wiring mistake
                raise AssertionError(f"{self.name} built {self._provider.name}")
        return self._provider

    def load(self) -> Plan[Credentials | None]:
        return (yield from self.provider.load())

    def skip_reason(self) -> Any:
        explain = getattr(self.provider, "skip_reason", None)
        return explain() if callable(explain) else None

    def __repr__(self) -> str:
        return repr(self._provider) if self._provider is not None else f"<{self.name}>"


def _assume_role(ctx: ProviderContext) -> CredentialProvider:
    from ._assume_role import AssumeRoleProvider

    return AssumeRoleProvider(
        ctx,
        credential_source_factory=lambda name: _credential_source(ctx, name),
        source_profile_providers=lambda profile: _source_profile_providers(ctx, profile),
    )


def _web_identity(
    ctx: ProviderContext, *, profile: str | None = None, use_env: bool = True
) -> CredentialProvider:
    from ._assume_role import WebIdentityProvider

    return WebIdentityProvider(ctx, profile=profile, use_env=use_env)


def _sso(ctx: ProviderContext) -> CredentialProvider:
    from ._sso import SSOProvider

    return SSOProvider(ctx)


def _process(ctx: ProviderContext) -> CredentialProvider:
    from ._process import ProcessProvider

    return ProcessProvider(ctx)


def _container(ctx: ProviderContext) -> CredentialProvider:
    from ._container import ContainerProvider

    return ContainerProvider(ctx)


def _instance_metadata(ctx: ProviderContext) -> CredentialProvider:
    from ._imds import InstanceMetadataProvider

    return InstanceMetadataProvider(ctx)


def _credential_source(ctx: ProviderContext, name: str) -> CredentialProvider:
    """The provider behind a profile's ``credential_source`` (botocore's three)."""
    if name == "Environment":
        return EnvProvider(ctx.env)
    if name == "Ec2InstanceMetadata":
        return _instance_metadata(ctx)
    if name == "EcsContainer":
        return _container(ctx)
    raise ConfigurationError(f"unsupported credential_source {name!r}")


def _source_profile_providers(ctx: ProviderContext, profile: str) -> Sequence[CredentialProvider]:
    """What a ``source_profile`` may hold besides a role, in botocore's order: web
    identity, SSO, static keys, ``credential_process``, config-file keys."""
    scoped = attrs.evolve(ctx, settings=attrs.evolve(ctx.settings, profile=profile))
    return [
        _web_identity(ctx, profile=profile, use_env=False),
        _sso(scoped),
        SharedCredentialsProvider(ctx.files, profile),
        _process(scoped),
        ConfigFileProvider(ctx.files, profile),
    ]


def as_provider(
    credentials: Credentials | CredentialProvider | Callable[[], Credentials] | None,
    ctx: ProviderContext,
) -> CredentialProvider:
    """Turn the client's ``credentials=`` argument into a provider.

    None: the default chain; Credentials: :class:`StaticProvider`; an object with a
    ``load`` method: itself; another callable: :class:`CallableProvider`. Anything else
    raises ParamValidationError.
    """
    if credentials is None:
        return default_chain(ctx)
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
