"""AWS STS ``AssumeRole`` and ``AssumeRoleWithWebIdentity`` as plans (see :mod:`.._steps`).

STS speaks the AWS Query protocol: a form-encoded POST to ``/`` and an XML reply. Both
are built and parsed here by hand with the standard library (``urllib.parse``,
``xml.etree``); the request is signed with :func:`.._sigv4.sign_headers` (service ``sts``)
for AssumeRole and sent unsigned for AssumeRoleWithWebIdentity, as botocore does.

Endpoint (:func:`sts_endpoint`), as botocore's STS client resolves it today:

* a configured endpoint (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``, the profile's
  ``[services]`` section or ``endpoint_url``) wins; ``http://`` only for loopback hosts;
* else the regional endpoint ``https://sts.{region}.{dnsSuffix}`` (``sts-fips`` and the
  dual-stack suffix when the settings ask for FIPS or dual-stack, per STS's rule set);
* no region (or ``aws-global``): the global ``https://sts.amazonaws.com``, signed for
  ``us-east-1`` (botocore's ``aws-global``).

Retries: up to :data:`MAX_ATTEMPTS` for transport errors, 5xx, throttling codes and
``IDPCommunicationError`` (botocore retries that one for every STS operation), with a
short fixed backoff. Every failure is a :class:`~.._errors.CredentialRetrievalError`
naming the provider; no message ever holds a secret key, a session token or a web
identity token (an STS message that echoes one has it masked).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final, NoReturn

from .._config import configured_endpoint_url
from .._endpoints import partition_for, resolve_endpoint, validate_region
from .._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    ParamValidationError,
    TransportError,
)
from .._retry import classify
from .._sigv4 import sign_headers
from .._steps import HttpRequest, HttpResponse, Plan, Send, Sleep
from .._version import __version__
from ._base import Credentials, ProviderContext, parse_expiration

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "GLOBAL_ENDPOINT",
    "MAX_ATTEMPTS",
    "STS_TIMEOUT",
    "assume_role_plan",
    "assume_role_with_web_identity_plan",
    "sts_endpoint",
]

GLOBAL_ENDPOINT: Final = "https://sts.amazonaws.com"
_GLOBAL_SIGNING_REGION: Final = "us-east-1"
_VERSION: Final = "2011-06-15"
_CONTENT_TYPE: Final = "application/x-www-form-urlencoded; charset=utf-8"
_USER_AGENT: Final = f"personalize-lite/{__version__}"

#: Seconds per STS request. STS answers in well under a second; AssumeRoleWithWebIdentity
#: may wait on the identity provider's keys, so allow some slack. Bounded well below the
#: client's default 60 s because a refresh runs inside a caller's request, and with three
#: attempts a black-holed endpoint should cost tens of seconds, not minutes.
STS_TIMEOUT: Final = 10.0
#: Attempts per STS call (botocore's standard mode).
MAX_ATTEMPTS: Final = 3
#: Seconds to wait before the 2nd and 3rd attempt: small, credentials are on the
#: caller's critical path (botocore's standard mode: up to 1 s, then 2 s, jittered).
_BACKOFF: Final = (0.25, 0.5)
#: Retried for STS by botocore (``retries/special.py``, ``_retry.json``).
_IDP_ERROR: Final = "IDPCommunicationError"

#: Length limits of the STS model, checked before sending (botocore validates them too).
_LIMITS: Final = {
    "RoleArn": (20, 2048),
    "RoleSessionName": (2, 64),
    "ExternalId": (2, 1224),
    "WebIdentityToken": (4, 20000),
}
_DURATION_RANGE: Final = (900, 43200)
_MAX_MESSAGE: Final = 500
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]+")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- endpoint


def sts_endpoint(ctx: ProviderContext, region: str | None) -> tuple[str, str]:
    """``(url, signing_region)`` of STS for ``region`` (see the module docstring).

    Raises :class:`ConfigurationError` for an invalid region or configured URL.
    """
    settings = ctx.settings
    configured = configured_endpoint_url(
        env=ctx.env, files=ctx.files, profile=settings.profile, service_id="sts"
    )
    if region == "aws-global":
        region = None
    if configured is not None:
        # botocore's client ignores FIPS/dual-stack when an endpoint URL is configured.
        endpoint = resolve_endpoint(region, endpoint_url=configured)
        return endpoint.url, endpoint.signing_region
    if region is None:
        return GLOBAL_ENDPOINT, _GLOBAL_SIGNING_REGION
    region = validate_region(region)
    use_fips = settings.use_fips
    normalized = region.replace("fips-", "").replace("-fips", "")
    if normalized != region:  # a FIPS pseudo region, as botocore's client normalises it
        region, use_fips = validate_region(normalized), True
    partition = partition_for(region)
    if use_fips and settings.use_dualstack:
        url = f"https://sts-fips.{region}.{partition.dual_stack_dns_suffix}"
    elif use_fips and partition.name == "aws-us-gov":
        url = f"https://sts.{region}.amazonaws.com"  # STS's rule set: GovCloud is FIPS
    elif use_fips:
        url = f"https://sts-fips.{region}.{partition.dns_suffix}"
    elif settings.use_dualstack:
        url = f"https://sts.{region}.{partition.dual_stack_dns_suffix}"
    else:
        url = f"https://sts.{region}.{partition.dns_suffix}"
    return url, region


# --------------------------------------------------------------------------- plans


def assume_role_plan(
    *,
    ctx: ProviderContext,
    source: Credentials,
    role_arn: str,
    session_name: str,
    external_id: str | None = None,
    duration_seconds: int | None = None,
    provider: str = "assume-role",
) -> Plan[Credentials]:
    """STS ``AssumeRole`` signed with ``source`` (at ``ctx.clock()``, per attempt).

    Returns the role's credentials with STS's expiration. Raises ConfigurationError for
    parameters STS would reject (lengths, duration), CredentialRetrievalError (naming
    ``provider``) when STS fails or cannot be reached.
    """
    params = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id is not None:
        params["ExternalId"] = external_id
    return _call(
        ctx,
        "AssumeRole",
        params,
        duration_seconds,
        source=source,
        provider=provider,
        secrets=(source.secret_access_key, source.session_token),
    )


def assume_role_with_web_identity_plan(
    *,
    ctx: ProviderContext,
    role_arn: str,
    session_name: str,
    token: str,
    duration_seconds: int | None = None,
    provider: str = "assume-role-with-web-identity",
) -> Plan[Credentials]:
    """STS ``AssumeRoleWithWebIdentity``, unsigned (the token is the credential)."""
    params = {"RoleArn": role_arn, "RoleSessionName": session_name, "WebIdentityToken": token}
    return _call(
        ctx,
        "AssumeRoleWithWebIdentity",
        params,
        duration_seconds,
        source=None,
        provider=provider,
        secrets=(token,),
    )


def _check_params(params: Mapping[str, str], duration: int | None, provider: str) -> None:
    for key, value in params.items():
        low, high = _LIMITS[key]
        # A lone surrogate (undecodable bytes in an environment variable) cannot be
        # encoded into the form body.
        if not isinstance(value, str) or not low <= len(value) <= high or _SURROGATE.search(value):
            shown = "it" if key == "WebIdentityToken" else repr(value)
            raise ConfigurationError(
                f"{provider}: {key} must be a str of {low} to {high} characters "
                f"(text without lone surrogates); {shown} is not"
            )
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not _DURATION_RANGE[0] <= duration <= _DURATION_RANGE[1]
    ):
        raise ConfigurationError(
            f"{provider}: duration_seconds must be a whole number from {_DURATION_RANGE[0]} "
            f"to {_DURATION_RANGE[1]}, not {duration!r}"
        )


def _call(
    ctx: ProviderContext,
    action: str,
    params: dict[str, str],
    duration: int | None,
    *,
    source: Credentials | None,
    provider: str,
    secrets: Iterable[str | None],
) -> Plan[Credentials]:
    _check_params(params, duration, provider)
    form = {"Action": action, "Version": _VERSION, **params}
    if duration is not None:
        form["DurationSeconds"] = str(duration)
    body = urllib.parse.urlencode(form).encode("ascii")
    endpoint, signing_region = sts_endpoint(ctx, ctx.settings.region)
    url = f"{endpoint}/"
    masked = tuple(s for s in secrets if s)

    def fail(message: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(_mask(message, masked), provider=provider)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        headers = [("Content-Type", _CONTENT_TYPE), ("User-Agent", _USER_AGENT)]
        if source is not None:
            headers = sign_headers(
                method="POST",
                url=url,
                headers=headers,
                body=body,
                credentials=source,
                region=signing_region,
                now=ctx.clock(),
                service="sts",
            )
        request = HttpRequest(method="POST", url=url, headers=tuple(headers), body=body)
        last = attempt == MAX_ATTEMPTS
        try:
            response: HttpResponse = yield Send(
                request=request, attempt=attempt, timeout=STS_TIMEOUT
            )
        except TransportError as exc:
            if exc.retryable and not last:
                yield Sleep(seconds=_BACKOFF[attempt - 1])
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise fail(f"{action} could not reach {endpoint}{tries}: {exc}") from exc
        if 200 <= response.status_code < 300:
            return _parse_credentials(response.body, action, fail)
        code, message, request_id = _parse_error(response)
        retryable, _throttling = classify(code, response.status_code)
        if (retryable or code == _IDP_ERROR) and not last:
            yield Sleep(seconds=_BACKOFF[attempt - 1])
            continue
        rid = f", request id {request_id}" if request_id else ""
        tries = f", {attempt} attempts" if attempt > 1 else ""
        raise fail(f"{code}: {message} (HTTP {response.status_code}{rid}{tries})")
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- XML


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is not None:
        for child in element:
            if _local(child.tag) == name:
                return child
    return None


class _DtdRefused(Exception):
    """Raised by the expat handlers below: the document declares a DTD or an entity."""


def _refuse(*_args: object) -> NoReturn:
    raise _DtdRefused


def _xml(body: bytes) -> ET.Element | None:
    """The root element, or None when ``body`` is not well-formed XML or declares an
    encoding expat cannot use (unknown, not a text encoding, or multi-byte).

    Documents with a DTD are refused, by the parser itself (expat's DOCTYPE and entity
    declaration handlers raise), whatever the encoding: STS never sends one, and it is
    how entity expansion (billion laughs) and external entity attacks start. A search of
    the raw bytes missed UTF-16 documents. The tree is built from expat's events with
    ElementTree's TreeBuilder; tags are ``{namespace}name`` as ElementTree writes them.
    """
    import xml.etree.ElementTree as ET  # only when STS is used: not on every start-up
    from xml.parsers import expat

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_qualified(name), {_qualified(k): v for k, v in attributes.items()})

    def end(name: str) -> None:
        builder.end(_qualified(name))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.NotationDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    refused = False
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, _DtdRefused, LookupError, ValueError):
        # Raised outside: none should hold the document, but a decoding error may. An
        # encoding declaration expat hands to Python's codecs raises LookupError
        # ("bogus", "rot13") or ValueError (multi-byte ones: "shift_jis", "utf-7").
        refused = True
    if refused:
        return None
    return builder.close()


def _qualified(name: str) -> str:
    """expat's ``namespace}name`` as ElementTree's ``{namespace}name``."""
    return "{" + name if "}" in name else name


def _clean(text: str | None) -> str:
    text = _CONTROL.sub(" ", (text or "").strip())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _mask(message: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def _parse_error(response: HttpResponse) -> tuple[str, str, str | None]:
    """``(code, message, request id)`` of an error reply. The body is never quoted
    beyond STS's own code and message."""
    status = response.status_code
    root = _xml(response.body)
    error = _child(root, "Error") if root is not None else None
    if root is None or error is None:
        what = "an XML ErrorResponse" if root is not None else "a non-XML reply"
        if 300 <= status < 400:
            what = "a redirect (never followed)"
        return f"HTTP {status}", f"STS sent {what}", response.headers.get("x-amzn-requestid")
    code_el, message_el = _child(error, "Code"), _child(error, "Message")
    code = _clean(code_el.text if code_el is not None else None) or f"HTTP {status}"
    message = _clean(message_el.text if message_el is not None else None) or "(no message)"
    rid_el = _child(root, "RequestId")
    request_id = _clean(rid_el.text) if rid_el is not None and rid_el.text else None
    return code, message, request_id or response.headers.get("x-amzn-requestid")


def _parse_credentials(
    body: bytes, action: str, fail: Callable[[str], CredentialRetrievalError]
) -> Credentials:
    """The reply's credentials. It holds secrets: messages name fields, never values."""
    root = _xml(body)
    if root is None:
        raise fail(f"{action} returned a reply that is not well-formed XML")
    result = _child(root, f"{action}Result")
    creds = _child(result, "Credentials")
    if creds is None:
        raise fail(f"{action} reply has no {action}Result/Credentials")
    values: dict[str, str] = {}
    for field in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
        element = _child(creds, field)
        text = (element.text or "").strip() if element is not None else ""
        if not text:
            raise fail(f"{action} reply has no Credentials/{field}")
        values[field] = text
    try:
        expiration = parse_expiration(values["Expiration"], what="Expiration")
    except ConfigurationError:
        raise fail(f"{action} reply has an invalid Credentials/Expiration") from None
    try:
        return Credentials(
            access_key_id=values["AccessKeyId"],
            secret_access_key=values["SecretAccessKey"],
            session_token=values["SessionToken"],
            expiration=expiration,
        )
    except ParamValidationError as exc:
        raise fail(f"{action} reply has invalid credentials: {exc}") from None
