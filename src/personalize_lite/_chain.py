"""The default credential chain, in boto3's order, and the client's ``credentials=``.

boto3's order: environment, assume-role profile, web identity, SSO, shared credentials
file, ``credential_process``, config file, container (ECS/EKS), instance metadata (IMDS).
An explicitly given ``profile=`` leaves the environment out, as botocore does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import attrs

from ._assume_role import AssumeRoleProvider, WebIdentityProvider
from ._container import ContainerProvider
from ._credentials import (
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
from ._errors import ConfigurationError, ParamValidationError
from ._imds import InstanceMetadataProvider
from ._process import ProcessProvider
from ._sso import SSOProvider

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
        AssumeRoleProvider(
            ctx,
            credential_source_factory=lambda name: _credential_source(ctx, name),
            source_profile_providers=lambda profile: _source_profile_providers(ctx, profile),
        ),
        WebIdentityProvider(ctx),
        SSOProvider(ctx),
        SharedCredentialsProvider(ctx.files, settings.profile),
        ProcessProvider(ctx),
        ConfigFileProvider(ctx.files, settings.profile),
        ContainerProvider(ctx),
        InstanceMetadataProvider(ctx),
    ]
    return ChainProvider(providers, skipped=skipped)


def _credential_source(ctx: ProviderContext, name: str) -> CredentialProvider:
    """The provider behind a profile's ``credential_source`` (botocore's three)."""
    if name == "Environment":
        return EnvProvider(ctx.env)
    if name == "Ec2InstanceMetadata":
        return InstanceMetadataProvider(ctx)
    if name == "EcsContainer":
        return ContainerProvider(ctx)
    raise ConfigurationError(f"unsupported credential_source {name!r}")


def _source_profile_providers(ctx: ProviderContext, profile: str) -> Sequence[CredentialProvider]:
    """What a ``source_profile`` may hold besides a role, in botocore's order: web
    identity, SSO, static keys, ``credential_process``, config-file keys."""
    scoped = attrs.evolve(ctx, settings=attrs.evolve(ctx.settings, profile=profile))
    return [
        WebIdentityProvider(ctx, profile=profile, use_env=False),
        SSOProvider(scoped),
        SharedCredentialsProvider(ctx.files, profile),
        ProcessProvider(scoped),
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
