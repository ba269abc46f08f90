"""Where credentials come from: the value, the cache, the chain, one private module per source.

The package-level names are what the rest of personalize_lite uses; the public name
(``Credentials``) is re-exported from :mod:`personalize_lite`. Providers past the shared
files (assume-role, web identity, SSO, credential_process, container, instance metadata)
are imported by the chain on first use, not here.
"""

from ._base import CredentialCache, CredentialProvider, Credentials, ProviderContext
from ._chain import as_provider, default_chain

__all__ = [
    "CredentialCache",
    "CredentialProvider",
    "Credentials",
    "ProviderContext",
    "as_provider",
    "default_chain",
]
