"""SigV4 checking for the local emulator (``personalize-lite serve``).

The emulator answers like AWS does: it parses ``Authorization``, looks up the secret of
the access key, recomputes the signature over exactly the headers the client signed
(with our signer, :func:`personalize_lite._sigv4.sign_headers`, at the client's
``X-Amz-Date`` and for the region and service of its credential scope) and compares the
two in constant time. Failures carry AWS's error codes and messages, with status 400 as
AWS's JSON-protocol services send them (DynamoDB, Kinesis, Cognito, ECS answer these
codes with 400; 403 is what REST services such as Lambda send):

=========================================  ======  ==========================================
what                                       status  code
=========================================  ======  ==========================================
no ``Authorization`` header                400     ``MissingAuthenticationTokenException``
a garbled header, ``Host`` not signed,     400     ``IncompleteSignatureException``
no or bad ``X-Amz-Date``
an access key we do not know               400     ``UnrecognizedClientException``
wrong signature, scope, region or payload  400     ``InvalidSignatureException``
hash, signed more than 5 minutes from our
clock
=========================================  ======  ==========================================

No message quotes the secret key, the signature or an unparsed ``Authorization`` value.

Session tokens are signed over but not validated (the emulator issues none). Headers that
botocore never signs (``User-Agent``, ``Connection``, ...) are left out of the
recomputation, so a client that signs them is refused.

By default the emulator accepts the AWS documentation's public example keys, kept as data
in the bundled fixtures' ``credentials/example.json`` (data shipped with the cassettes,
never a literal in the package's code);
``PERSONALIZE_LITE_EMULATOR_SECRET_KEY`` replaces their secret (``personalize-lite serve
--access-key`` takes it as the secret of that key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Final

import attrs

from .._errors import ParamValidationError
from .._sigv4 import SERVICE, sign_headers
from ..credentials import Credentials
from ._fixtures import SECRET_KEY_ENV, example_keys

__all__ = [
    "ALGORITHM",
    "AUTH_STATUS",
    "MAX_SKEW",
    "SECRET_KEY_ENV",
    "AuthFailure",
    "check_signature",
    "example_credentials",
]

ALGORITHM: Final = "AWS4-HMAC-SHA256"
#: The HTTP status of every authentication failure (AWS JSON 1.1 services send 400).
AUTH_STATUS: Final = 400
#: How far ``X-Amz-Date`` may be from the emulator's clock, as in AWS.
MAX_SKEW: Final = timedelta(minutes=5)

_AMZ_DATE: Final = "%Y%m%dT%H%M%SZ"
_TERMINATOR: Final = "aws4_request"
#: A scope's region is quoted back only when it looks like one (never a signature's 64 hex).
_REGION_NAME: Final = re.compile(r"[a-z0-9-]{1,32}", re.ASCII)
#: Recomputed from the request itself (and the scope), never copied from the signed list.
_REGENERATED: Final = frozenset({"x-amz-date", "x-amz-security-token"})


@attrs.frozen(kw_only=True)
class AuthFailure:
    """Why a request was refused: the HTTP status and the AWS error code and message."""

    status: int
    code: str
    message: str


def example_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """The keys the emulator accepts by default: the AWS documentation's example pair
    from the bundled ``credentials/example.json``, the secret replaced by
    ``$PERSONALIZE_LITE_EMULATOR_SECRET_KEY`` when that is set."""
    access_key_id, secret = example_keys(env)
    return Credentials(access_key_id=access_key_id, secret_access_key=secret)


@attrs.frozen(kw_only=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _incomplete(message: str) -> AuthFailure:
    return AuthFailure(status=AUTH_STATUS, code="IncompleteSignatureException", message=message)


def _invalid(message: str) -> AuthFailure:
    return AuthFailure(status=AUTH_STATUS, code="InvalidSignatureException", message=message)


_MISMATCH: Final = _invalid(
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _parse(value: str) -> _Authorization | AuthFailure:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        # AWS quotes the word it found; it may be a bearer token, so it is not quoted here.
        return _incomplete(f"Unsupported AWS 'algorithm' (expected {ALGORITHM}).")
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, param = part.strip().partition("=")
        if sep:
            params.setdefault(name, param)
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if name not in params]
    if missing:
        return _incomplete(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    scope = params["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        return _incomplete(
            # AWS quotes what it got; without a comma, that runs into the signature.
            "Credential must have exactly 5 slash-delimited elements, "
            "e.g. keyid/date/region/service/term"
        )
    if scope[4] != _TERMINATOR:
        return _incomplete(f"Credential should be scoped with a valid terminator: '{_TERMINATOR}'.")
    signed = tuple(name.strip().lower() for name in params["SignedHeaders"].split(";"))
    if not all(signed):
        return _incomplete("Invalid SignedHeaders.")
    return _Authorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=signed,
        signature=params["Signature"],
    )


def check_signature(
    *,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    secrets: Mapping[str, str],
    now: datetime,
    region: str | None = None,
) -> AuthFailure | None:
    """None when the request is signed, by a key in ``secrets`` (access key id to secret
    key), over exactly what was received, for ``region`` if given; else why not. ``now``
    is aware."""
    now = now.astimezone(timezone.utc)
    authorization = _header(headers, "authorization")
    if authorization is None:
        return AuthFailure(
            status=AUTH_STATUS,
            code="MissingAuthenticationTokenException",
            message="Missing Authentication Token",
        )
    parsed = _parse(authorization)
    if isinstance(parsed, AuthFailure):
        return parsed
    if "host" not in parsed.signed_headers:
        return _incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    amz_date = _header(headers, "x-amz-date")
    if amz_date is None or "x-amz-date" not in parsed.signed_headers:
        return _incomplete("Authorization header requires a signed 'X-Amz-Date' header.")
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=timezone.utc)
    except ValueError:
        return _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")
    secret = secrets.get(parsed.access_key_id)
    if secret is None:
        return AuthFailure(
            status=AUTH_STATUS,
            code="UnrecognizedClientException",
            message="The security token included in the request is invalid.",
        )
    if parsed.service != SERVICE:
        return _invalid(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if region is not None and parsed.region != region:
        shown = parsed.region if _REGION_NAME.fullmatch(parsed.region) else "(not shown)"
        return _invalid(f"Credential should be scoped to a valid region, not '{shown}'. ")
    if parsed.date != amz_date[:8]:
        return _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{parsed.date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    # botocore takes a given X-Amz-Content-SHA256 on trust: check it against the body.
    content_sha256 = _header(headers, "x-amz-content-sha256")
    if content_sha256 is not None and content_sha256 != hashlib.sha256(body).hexdigest():
        return _invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    token = _header(headers, "x-amz-security-token")
    try:
        credentials = Credentials(
            access_key_id=parsed.access_key_id,
            secret_access_key=secret,
            session_token=token
            if token and "x-amz-security-token" in parsed.signed_headers
            else None,
        )
    except ParamValidationError:
        return _MISMATCH  # a token no signer could have produced
    try:
        recomputed = sign_headers(
            method=method,
            url=f"http://{_header(headers, 'host') or ''}{path}",
            headers=[
                (name, value)
                for name, value in headers
                if name.lower() in parsed.signed_headers and name.lower() not in _REGENERATED
            ],
            body=body,
            credentials=credentials,
            region=parsed.region,
            now=signed_at,
            service=parsed.service,
        )
    except ValueError:  # a Host or path no URL can hold: nothing can have been signed over it
        return _MISMATCH
    expected = (_header(recomputed, "authorization") or "").rpartition("Signature=")[2]
    if not hmac.compare_digest(expected.encode(), parsed.signature.encode("utf-8", "replace")):
        return _MISMATCH
    if signed_at < now - MAX_SKEW:
        return _invalid(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        return _invalid(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} + 5 min.)"
        )
    return None
