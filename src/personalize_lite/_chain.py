"""The default credential chain, in boto3's order, and the client's ``credentials=``.

boto3's order: environment, assume-role profile, web identity, SSO, shared credentials
file, ``credential_process``, config file, container (ECS/EKS), instance metadata (IMDS).
An explicitly given ``profile=`` leaves the environment out, as botocore does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

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
from ._errors import ParamValidationError

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
    providers.append(SharedCredentialsProvider(ctx.files, settings.profile))
    providers.append(ConfigFileProvider(ctx.files, settings.profile))
    return ChainProvider(providers, skipped=skipped)


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
