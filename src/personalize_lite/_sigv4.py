"""SigV4 signing through botocore's ``SigV4Auth``: the only module that imports botocore.

We use botocore for the signature arithmetic only (``botocore.auth``,
``botocore.awsrequest``). The signing time is an argument, never read here, and we call
the signer's steps ourselves instead of ``add_auth``: that is what makes the time
injectable, and it skips the DEBUG lines ``add_auth`` logs (the canonical request, which
holds the session token, and the signature).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest

from ._credentials import Credentials

__all__ = ["SERVICE", "sign_headers"]

#: The SigV4 service name (the endpoint prefix) of Amazon Personalize.
SERVICE = "personalize"


class _Keys(NamedTuple):
    """The attribute names botocore's signer reads (``access_key``, ``secret_key``, ``token``)."""

    access_key: str
    secret_key: str
    token: str | None


def sign_headers(
    *,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    credentials: Credentials,
    region: str,
    now: datetime,
    service: str = SERVICE,
) -> list[tuple[str, str]]:
    """Return ``headers`` plus ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a session
    token) and ``Authorization``, in botocore's order, signed for ``now`` (aware)."""
    keys = _Keys(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    signer = SigV4Auth(keys, service, region)
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names are kept
    request.context["timestamp"] = now.astimezone(timezone.utc).strftime(SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return list(request.headers.items())
