"""Credentials of the EC2 instance's IAM role, from the instance metadata service (IMDS).

:class:`InstanceMetadataProvider` is botocore's ``InstanceMetadataProvider`` with its
``InstanceMetadataFetcher``, written as a plan (see :mod:`.._steps`): every HTTP call is a
:class:`~.._steps.Send` step with the configured timeout, and the pause between attempts
is a :class:`~.._steps.Sleep`. It does no I/O of its own.

The exchange (IMDSv2, falling back to IMDSv1 where botocore does)::

    PUT /latest/api/token                       x-aws-ec2-metadata-token-ttl-seconds: 21600
    GET /latest/meta-data/iam/security-credentials/         -> the role name (first line)
    GET /latest/meta-data/iam/security-credentials/<role>   -> the credentials (JSON)

Outcomes:

* None (the chain moves on; :meth:`~InstanceMetadataProvider.skip_reason` says why):
  ``AWS_EC2_METADATA_DISABLED=true``; no metadata service answers (not on EC2); no role
  attached (an empty or 404 role listing, or a 404 for the listed role).
* :class:`~.._errors.ConfigurationError`: an unusable endpoint, endpoint mode, timeout,
  attempt count or boolean setting.
* :class:`~.._errors.CredentialRetrievalError`: the service is there but fails: a 400 on
  the token request, IMDSv1 needed but disabled, unexpected statuses, a credentials
  document that is not JSON, lacks a field or says ``"Code" != "Success"``. Messages name
  the field, never a secret value.

:func:`parse_metadata_credentials` turns such a JSON document into
:class:`~._base.Credentials`; the container provider shares it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

import attrs

from .._config import scoped_config
from .._errors import (
    ConfigurationError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
    TransportError,
)
from .._steps import HttpRequest, HttpResponse, Plan, Send, Sleep, send_with_retries
from ._base import Credentials, ProviderContext, parse_expiration

__all__ = [
    "IPV4_ENDPOINT",
    "IPV6_ENDPOINT",
    "REQUIRED_FIELDS",
    "ImdsConfig",
    "InstanceMetadataProvider",
    "check_endpoint_url",
    "parse_metadata_credentials",
]

logger = logging.getLogger("personalize_lite")

#: botocore's ``METADATA_BASE_URL`` and ``METADATA_BASE_URL_IPv6``.
IPV4_ENDPOINT: Final = "http://169.254.169.254"
IPV6_ENDPOINT: Final = "http://[fd00:ec2::254]"

_TOKEN_PATH: Final = "latest/api/token"  # noqa: S105 (a path)
_ROLES_PATH: Final = "latest/meta-data/iam/security-credentials/"
_TOKEN_TTL_HEADER: Final = "x-aws-ec2-metadata-token-ttl-seconds"  # noqa: S105
_TOKEN_HEADER: Final = "x-aws-ec2-metadata-token"  # noqa: S105 (a header name)
_TOKEN_TTL: Final = "21600"  # noqa: S105 (seconds)
#: The token answers that make botocore fall back to IMDSv1.
_FALLBACK_STATUSES: Final = frozenset({403, 404, 405})
#: The fields botocore requires (``InstanceMetadataFetcher._REQUIRED_CREDENTIAL_FIELDS``).
REQUIRED_FIELDS: Final = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")
#: IAM role names: up to 64 of these characters (allow some slack in the length).
_ROLE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}")
#: Characters that make a URL unsafe to use (botocore's ``UNSAFE_URL_CHARS`` and more).
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")
#: What httpx takes for an IPv4 address (and refuses unless it is a valid one).
_IPV4_STYLE = re.compile(r"\A[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z")
#: Brackets in the authority may only enclose the whole host (``[::1]:8080``): urlsplit
#: reads ``a]b[::1`` as host ``::1``, httpx reads it otherwise.
_BRACKETED_HOST = re.compile(r"\A\[[^\[\]]+\](?::[0-9]*)?\Z")
#: A token IMDS hands out is printable ASCII.
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+")
_MAX_EXCERPT = 200


def check_endpoint_url(url: str, *, what: str) -> str:
    """Return ``url`` if it is an http(s) URL with a host, else raise ConfigurationError
    naming ``what`` (where the URL came from)."""
    # Non-ASCII (lone surrogates from undecodable environment bytes included) is refused:
    # httpx's IDNA encoding would fail on the request, outside the error tree.
    if _UNSAFE_URL.search(url) or not url.isascii():
        raise ConfigurationError(
            f"{what} must be an ASCII URL without spaces or control characters "
            "(international host names in their xn-- form)"
        )
    try:
        parts = urlsplit(url)  # raises ValueError for an unclosed or invalid [IPv6]
        host = parts.hostname
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise ConfigurationError(f"{what} is not a valid URL ({exc}): {url!r}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(f"{what} must be an http:// or https:// URL, not {url!r}")
    if not host:
        raise ConfigurationError(f"{what} must name a host: {url!r}")
    authority = parts.netloc.rpartition("@")[2]
    if ("[" in authority or "]" in authority) and not _BRACKETED_HOST.match(authority):
        raise ConfigurationError(f"{what} has brackets that are not around the host: {url!r}")
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ConfigurationError(f"{what} names {host!r}, not a valid IPv4 address") from None
    return url


def parse_metadata_credentials(body: bytes, *, provider: str, source: str) -> Credentials:
    """Credentials from a metadata credentials document (``AccessKeyId``,
    ``SecretAccessKey``, ``Token``, ``Expiration``; an optional ``Code`` must be
    ``Success``). Problems raise CredentialRetrievalError naming ``source`` and the field,
    never a value of the document (it holds the secret)."""

    def fail(problem: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(f"{source} {problem}", provider=provider)

    # The decoding errors hold the document (the secret key): they are never chained,
    # and the error is raised after the except blocks so they are not its __context__.
    problem = None
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        problem = (
            f"returned a credentials document that is not valid JSON "
            f"(line {exc.lineno} column {exc.colno}; truncated?)"
        )
    except ValueError:  # UnicodeDecodeError
        problem = "returned a credentials document that is not UTF-8 JSON"
    if problem is not None:
        raise fail(problem) from None
    if not isinstance(data, dict):
        raise fail(f"returned JSON {type(data).__name__}, expected an object with credentials")
    code = data.get("Code", "Success")
    if code != "Success":
        message = data.get("Message")
        detail = f": {message[:_MAX_EXCERPT]}" if isinstance(message, str) and message else ""
        shown = code[:_MAX_EXCERPT] if isinstance(code, str) else type(code).__name__
        raise fail(f"answered with Code {shown!r} instead of 'Success'{detail}")
    values: dict[str, str] = {}
    for field in REQUIRED_FIELDS:
        if field not in data:
            raise fail(f"returned credentials without the field {field}")
        value = data[field]
        if not isinstance(value, str) or not value:
            raise fail(f"returned a field {field} that is not a non-empty string")
        values[field] = value
    try:
        expiration = parse_expiration(values["Expiration"], what="Expiration")
    except ConfigurationError:
        raise fail(
            "returned a field Expiration that is not an ISO 8601 timestamp: "
            f"{values['Expiration'][:_MAX_EXCERPT]!r}"
        ) from None
    try:
        return Credentials(
            access_key_id=values["AccessKeyId"],
            secret_access_key=values["SecretAccessKey"],
            session_token=values["Token"],
            expiration=expiration,
        )
    except ParamValidationError as exc:  # the message names the field only
        raise fail(f"returned unusable credentials: {exc}") from None


# --------------------------------------------------------------------------- settings


@attrs.frozen(kw_only=True, slots=True)
class ImdsConfig:
    """The instance metadata settings in effect (environment, then the profile)."""

    #: Where the service is, without a trailing path (``http://169.254.169.254``).
    base_url: str
    #: Seconds for each request (``AWS_METADATA_SERVICE_TIMEOUT``; botocore: 1).
    timeout: float
    #: Attempts per request (``AWS_METADATA_SERVICE_NUM_ATTEMPTS``; botocore: 1).
    attempts: int
    #: ``AWS_EC2_METADATA_V1_DISABLED``: never fall back to tokenless requests.
    v1_disabled: bool


def _setting(ctx: ProviderContext, env_name: str, key: str) -> tuple[str, str] | None:
    """(value, where it came from) from the environment, else the profile; empty values
    count as unset, as elsewhere in personalize-lite."""
    value = ctx.env.get(env_name)
    if value:
        return value, env_name
    profile = ctx.settings.profile
    scoped = scoped_config(ctx.files, profile)
    if key not in scoped:
        return None
    where = f"{key} in profile {profile!r}"
    raw = scoped[key]
    if not isinstance(raw, str):
        raise ConfigurationError(f"{where} must be a single value, not a nested section")
    return (raw, where) if raw else None


def _bool(found: tuple[str, str] | None) -> bool:
    if found is None:
        return False
    value, where = found
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ConfigurationError(f"{where} must be 'true' or 'false', not {value!r}")
    return lowered == "true"


def _timeout(found: tuple[str, str] | None) -> float:
    if found is None:
        return 1.0
    value, where = found
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(f"{where} must be a positive number of seconds, not {value!r}")
    return seconds


def _attempts(found: tuple[str, str] | None) -> int:
    if found is None:
        return 1
    value, where = found
    text = value.strip()
    # At most 9 digits: int() refuses strings of over 4300 digits with a bare ValueError.
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        shown = repr(value) if len(value) <= 40 else f"{value[:37]!r}..."
        raise ConfigurationError(f"{where} must be a whole number >= 1, not {shown}")
    return int(text)


def _base_url(ctx: ProviderContext) -> str:
    mode = _setting(
        ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode"
    )
    if mode is not None and mode[0].lower() not in ("ipv4", "ipv6"):
        # botocore validates the mode even when an endpoint is configured.
        raise ConfigurationError(f"{mode[1]} must be IPv4 or IPv6, not {mode[0]!r}")
    endpoint = _setting(ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")
    if endpoint is not None:
        return check_endpoint_url(endpoint[0], what=endpoint[1])
    if mode is not None:
        ipv6 = mode[0].lower() == "ipv6"
    else:
        ipv6 = _bool(_setting(ctx, "AWS_IMDS_USE_IPV6", "imds_use_ipv6"))
    return IPV6_ENDPOINT if ipv6 else IPV4_ENDPOINT


# --------------------------------------------------------------------------- provider


@attrs.frozen(slots=True)
class _NoToken:
    """Why there is no IMDSv2 token; ``unreachable``: every attempt failed to connect."""

    reason: str
    unreachable: bool


class InstanceMetadataProvider:
    """The instance's IAM role credentials from IMDS (botocore's ``iam-role``).

    Settings come from the environment, then the profile's keys:
    ``AWS_EC2_METADATA_DISABLED``; ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` /
    ``ec2_metadata_service_endpoint``; ``AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`` /
    ``ec2_metadata_service_endpoint_mode`` (``IPv4`` or ``IPv6``; ``AWS_IMDS_USE_IPV6`` /
    ``imds_use_ipv6`` as botocore); ``AWS_METADATA_SERVICE_TIMEOUT`` /
    ``metadata_service_timeout`` (seconds, default 1); ``AWS_METADATA_SERVICE_NUM_ATTEMPTS``
    / ``metadata_service_num_attempts`` (default 1); ``AWS_EC2_METADATA_V1_DISABLED`` /
    ``ec2_metadata_v1_disabled``. They are read on every :meth:`load`.
    """

    name = "iam-role"
    #: Seconds between attempts of one request (botocore retries IMDS without pausing).
    RETRY_SLEEP: Final = 0.1

    def __init__(self, ctx: ProviderContext) -> None:
        self._ctx = ctx
        self._reason = "not tried yet"

    def disabled(self) -> bool:
        """``AWS_EC2_METADATA_DISABLED`` is ``true`` (any case); only the environment
        counts, as in botocore."""
        return self._ctx.env.get("AWS_EC2_METADATA_DISABLED", "").strip().lower() == "true"

    def config(self) -> ImdsConfig:
        """The settings in effect; ConfigurationError if one is unusable. No I/O."""
        ctx = self._ctx
        return ImdsConfig(
            base_url=_base_url(ctx),
            timeout=_timeout(
                _setting(ctx, "AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout")
            ),
            attempts=_attempts(
                _setting(ctx, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts")
            ),
            v1_disabled=_bool(
                _setting(ctx, "AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")
            ),
        )

    def skip_reason(self) -> str:
        """Why the last :meth:`load` returned None."""
        return self._reason

    def load(self) -> Plan[Credentials | None]:
        if self.disabled():
            self._reason = "disabled by AWS_EC2_METADATA_DISABLED=true"
            return None
        config = self.config()
        fetched = yield from self._fetch_token(config)
        token: str | None = None
        if isinstance(fetched, str):
            token = fetched
        elif config.v1_disabled:
            if fetched.unreachable:
                self._reason = f"no instance metadata service at {config.base_url}: " + (
                    fetched.reason
                )
                return None
            raise self._error(
                f"unable to get an IMDSv2 token from {config.base_url} ({fetched.reason}) "
                "and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED / "
                "ec2_metadata_v1_disabled)"
            )
        else:
            logger.debug("IMDS: no token (%s); falling back to IMDSv1", fetched.reason)

        roles_url = _join(config.base_url, _ROLES_PATH)
        listing = yield from self._get(config, roles_url, token)
        if isinstance(listing, TransportError):
            self._reason = f"no instance metadata service at {config.base_url}: {listing}"
            return None
        role = listing.body.decode("utf-8", "replace").strip().split("\n", 1)[0].strip()
        if listing.status_code == 404 or (listing.status_code == 200 and not role):
            how = "HTTP 404" if listing.status_code == 404 else "an empty list"
            self._reason = f"no IAM role attached to this instance (the role listing gave {how})"
            return None
        if listing.status_code != 200:
            raise self._error(f"{roles_url} answered HTTP {listing.status_code}")
        if not _ROLE_NAME.fullmatch(role) or set(role) == {"."}:
            # Not echoed: whatever answered may have put something else there.
            raise self._error(
                f"{roles_url} listed something that is not a valid IAM role name "
                f"({len(role)} characters; expected letters, digits and +=,.@_-)"
            )

        role_url = roles_url + role
        reply = yield from self._get(config, role_url, token, retry_if=_not_json)
        if isinstance(reply, TransportError):
            raise self._error(f"{role_url} failed: {reply}") from reply
        if reply.status_code == 404:
            self._reason = f"IAM role {role!r} is listed but {role_url} answered HTTP 404"
            return None
        if reply.status_code != 200:
            raise self._error(f"{role_url} answered HTTP {reply.status_code}")
        return parse_metadata_credentials(reply.body, provider=self.name, source=role_url)

    def _error(self, message: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(message, provider=self.name)

    def _fetch_token(self, config: ImdsConfig) -> Plan[str | _NoToken]:
        """botocore's ``_fetch_metadata_token``: 200 gives the token; 403/404/405, a read
        timeout, or failing every attempt (transport errors, other statuses) fall back to
        IMDSv1; 400 is an error."""
        url = _join(config.base_url, _TOKEN_PATH)
        request = HttpRequest(
            method="PUT", url=url, headers=((_TOKEN_TTL_HEADER, _TOKEN_TTL),), body=b""
        )
        unreachable = True
        last = ""
        for attempt in range(1, config.attempts + 1):
            if attempt > 1:
                yield Sleep(seconds=self.RETRY_SLEEP)
            try:
                response: HttpResponse = yield Send(
                    request=request, attempt=attempt, timeout=config.timeout, direct=True
                )
            except (EndpointConnectionError, ConnectTimeoutError) as exc:
                last = str(exc)
                continue
            except ReadTimeoutError as exc:
                return _NoToken(f"the token request timed out: {exc}", unreachable=False)
            except TransportError as exc:
                unreachable = False
                last = str(exc)
                continue
            unreachable = False
            status = response.status_code
            if status == 200:
                token = response.body.decode("ascii", "replace")
                if not _HEADER_VALUE.fullmatch(token):
                    raise self._error(f"{url} returned a token that is not a valid header value")
                return token
            if status in _FALLBACK_STATUSES:
                return _NoToken(f"the token request answered HTTP {status}", unreachable=False)
            if status == 400:
                raise self._error(
                    f"{url} rejected the token request (HTTP 400 Bad Request; IMDS refuses "
                    "token requests that came through a proxy or carry an invalid TTL)"
                )
            last = f"HTTP {status}"
        tries = f"{config.attempts} attempt{'s' if config.attempts > 1 else ''}"
        return _NoToken(f"the token request failed ({tries}; last: {last})", unreachable)

    def _get(
        self,
        config: ImdsConfig,
        url: str,
        token: str | None,
        *,
        retry_if: Callable[[HttpResponse], bool] | None = None,
    ) -> Plan[HttpResponse | TransportError]:
        """GET with up to ``config.attempts`` attempts: transport errors, 5xx and (for a
        200) ``retry_if`` are retried after a short sleep. The last outcome is returned."""
        headers = ((_TOKEN_HEADER, token),) if token is not None else ()
        request = HttpRequest(method="GET", url=url, headers=headers, body=b"")

        def again(response: HttpResponse) -> bool:
            if response.status_code >= 500:
                return True
            return response.status_code == 200 and retry_if is not None and retry_if(response)

        outcome: HttpResponse | TransportError = yield from send_with_retries(
            request,
            attempts=config.attempts,
            timeout=config.timeout,
            pause=self.RETRY_SLEEP,
            retry=again,
            direct=True,
        )
        return outcome

    def __repr__(self) -> str:
        return "InstanceMetadataProvider()"


def _join(base_url: str, path: str) -> str:
    sep = "" if base_url.endswith("/") else "/"
    return f"{base_url}{sep}{path}"


def _not_json(response: HttpResponse) -> bool:
    """botocore retries a credentials reply that is empty or not JSON."""
    try:
        json.loads(response.body)
    except ValueError:
        return True
    return False
