"""Credentials from AWS IAM Identity Center (SSO): botocore's ``SSOProvider``.

A profile uses SSO when it names an ``sso_account_id`` or an ``sso_role_name``. It then
needs both, plus the portal's ``sso_start_url`` and ``sso_region``: either in an
``[sso-session NAME]`` section that the profile names with ``sso_session = NAME``, or
(the legacy form) in the profile itself::

    [profile dev]                       [profile legacy]
    sso_session = corp                  sso_start_url = https://corp.awsapps.com/start
    sso_account_id = 111122223333       sso_region = eu-west-1
    sso_role_name = ReadOnly            sso_account_id = 111122223333
                                        sso_role_name = ReadOnly
    [sso-session corp]
    sso_start_url = https://corp.awsapps.com/start
    sso_region = eu-west-1

:class:`SSOProvider` reads the access token that ``aws sso login`` cached in
``~/.aws/sso/cache/<sha1>.json`` (the SHA-1 of the session name, or of the start URL for
a legacy profile, exactly as botocore's ``SSOTokenLoader``; ``~`` is ``HOME`` from the
context's environment), then calls the portal's GetRoleCredentials
(``GET /federation/credentials``, the token in the ``x-amz-sso_bearer_token`` header, no
SigV4 signature). The portal is ``AWS_ENDPOINT_URL_SSO`` (or another configured endpoint
for the ``sso`` service) if set, else ``https://portal.sso.<sso_region>.<dns suffix>``.

Differences from botocore, on purpose:

* **No token refresh.** For ``sso_session`` profiles botocore refreshes an access token
  that is close to expiry with the cached ``refreshToken`` (SSO OIDC CreateToken) and
  writes the new token back to the cache. We never write to the cache and never call
  SSO OIDC: an expired or missing token is a :class:`CredentialRetrievalError` that says
  to run ``aws sso login``.
* **No retries.** botocore's SSO client retries throttling and 5xx replies; we make one
  request with a timeout and report failures. The client's credential cache tries again
  on the next call.
* **https only**, except for loopback hosts: the request carries the bearer token.
* The portal ignores ``use_fips_endpoint`` / ``use_dualstack_endpoint``.
* A 403 reply is treated like 401 (UnauthorizedException): log in again.
* botocore keeps the credentials' expiration to the second; so do we.

Neither the access token nor the credentials appear in a repr or an error message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final
from urllib.parse import quote, urlencode

import attrs

from .._checks import positive_seconds
from .._config import (
    configured_endpoint_url,
    expand_path,
    named_sections,
    read_bounded,
    scoped_config,
)
from .._endpoints import partition_for, validate_endpoint_url, validate_region
from .._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    ParamValidationError,
    TransportError,
)
from .._json_protocol import sanitize_error_code
from .._steps import Blocking, HttpRequest, HttpResponse, Plan, Send
from ._base import Credentials, ProviderContext, parse_expiration

__all__ = ["DEFAULT_TIMEOUT", "SSOProvider", "sso_token_cache_key"]

#: Seconds allowed for the GetRoleCredentials request (botocore's default timeouts).
DEFAULT_TIMEOUT: Final = 60.0
#: botocore's ``SSOProvider._PROFILE_REQUIRED_CONFIG_VARS``: either one means "use SSO".
_PROFILE_KEYS: Final = ("sso_role_name", "sso_account_id")
_SSO_KEYS: Final = ("sso_start_url", "sso_region")
_TOKEN_CACHE_DIR: Final = "~/.aws/sso/cache"  # noqa: S105 (a directory)
_BEARER_HEADER: Final = "x-amz-sso_bearer_token"
_TOKEN_OK = re.compile(r"\A[\x21-\x7e]+\Z")
_MESSAGE_LIMIT: Final = 200
#: What a body that is not JSON decodes to (JSON has no value that is this object).
_INVALID: Final = object()


def sso_token_cache_key(*, start_url: str, session_name: str | None) -> str:
    """The file name (without ``.json``) of a cached SSO token: botocore's
    ``SSOTokenLoader._generate_cache_key``."""
    source = session_name if session_name is not None else start_url
    return hashlib.sha1(source.encode("utf-8")).hexdigest()  # noqa: S324 (a name, not security)


@attrs.frozen(kw_only=True, slots=True)
class _SSOConfig:
    start_url: str
    region: str
    account_id: str
    role_name: str
    session_name: str | None
    portal: str


class SSOProvider:
    """Role credentials from the SSO portal, using the token cached by ``aws sso login``.

    ``timeout`` bounds the GetRoleCredentials request (seconds).
    """

    name = "sso"

    def __init__(self, ctx: ProviderContext, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._ctx = ctx
        self.profile = ctx.settings.profile
        self.timeout = positive_seconds(timeout)

    def __repr__(self) -> str:
        return f"SSOProvider(profile={self.profile!r})"

    def skip_reason(self) -> str:
        return f"profile {self.profile!r} has no sso_account_id or sso_role_name"

    # ------------------------------------------------------------------ configuration

    def _config(self) -> _SSOConfig | None:
        """The profile's SSO settings, None when it does not use SSO (botocore's
        ``SSOProvider._load_sso_config``). Raises ConfigurationError when incomplete."""
        files = self._ctx.files
        profile = scoped_config(files, self.profile)
        if all(key not in profile for key in _PROFILE_KEYS):
            return None
        resolved: dict[str, Any] = dict(profile)
        required: tuple[str, ...] = _PROFILE_KEYS + _SSO_KEYS  # botocore's order in its message
        session_name = profile.get("sso_session")
        if session_name is not None:
            session_name = self._text(profile, "sso_session")
            sessions = named_sections(files.config, "sso-session")
            if session_name not in sessions:
                raise ConfigurationError(
                    f'The specified sso-session does not exist: "{session_name}" '
                    f"(profile {self.profile!r} in {files.config_path or 'the config file'})"
                )
            for key, value in sessions[session_name].items():
                if resolved.get(key, value) != value:
                    raise ConfigurationError(
                        f"The value for {key} is inconsistent between profile "
                        f"({resolved[key]}) and sso-session ({value})."
                    )
                resolved[key] = value
            required += ("sso_session",)
        missing = [key for key in required if key not in resolved]
        if missing:
            raise ConfigurationError(
                f'The profile "{self.profile}" is configured to use SSO but is missing '
                f"required configuration: {', '.join(missing)}"
            )
        region = self._text(resolved, "sso_region")
        try:
            validate_region(region)
        except ConfigurationError as exc:
            raise ConfigurationError(f"sso_region of profile {self.profile!r}: {exc}") from None
        return _SSOConfig(
            start_url=self._text(resolved, "sso_start_url"),
            region=region,
            account_id=self._text(resolved, "sso_account_id"),
            role_name=self._text(resolved, "sso_role_name"),
            session_name=session_name,
            portal=self._portal(region),
        )

    def _text(self, values: Mapping[str, Any], key: str) -> str:
        value = values[key]
        if not isinstance(value, str):
            raise ConfigurationError(
                f"{key} of profile {self.profile!r} must be a single value, not a nested section"
            )
        if not value:
            raise ConfigurationError(f"{key} of profile {self.profile!r} must not be empty")
        return value

    def _portal(self, region: str) -> str:
        ctx = self._ctx
        url = configured_endpoint_url(
            env=ctx.env, files=ctx.files, profile=self.profile, service_id="sso"
        )
        if url is None:
            return f"https://portal.sso.{region}.{partition_for(region).dns_suffix}"
        try:
            return validate_endpoint_url(url, allow_http=False)
        except ConfigurationError as exc:
            raise ConfigurationError(f"SSO portal endpoint: {exc}") from None

    def _login_hint(self, config: _SSOConfig) -> str:
        if config.session_name is not None:
            return (
                f"run `aws sso login --sso-session {shlex.quote(config.session_name)}` "
                f"(or `aws sso login --profile {shlex.quote(self.profile)}`)"
            )
        return f"run `aws sso login --profile {shlex.quote(self.profile)}`"

    def _fail(self, message: str) -> CredentialRetrievalError:
        return CredentialRetrievalError(message, provider=self.name)

    # ------------------------------------------------------------------ the plan

    def load(self) -> Plan[Credentials | None]:
        config = self._config()
        if config is None:
            return None
        token = yield from self._load_token(config)
        request = HttpRequest(
            method="GET",
            url=f"{config.portal}/federation/credentials?"
            + urlencode(
                [("role_name", config.role_name), ("account_id", config.account_id)],
                quote_via=quote,
            ),
            headers=((_BEARER_HEADER, token), ("Accept", "application/json")),
            body=b"",
        )
        try:
            response: HttpResponse = yield Send(request=request, timeout=self.timeout)
        except TransportError as exc:
            raise self._fail(
                f"GetRoleCredentials: could not get a reply from the SSO portal "
                f"{config.portal}: {exc}"
            ) from exc
        return self._parse(response, config, token)

    def _load_token(self, config: _SSOConfig) -> Plan[str]:
        """The cached access token; raises CredentialRetrievalError (saying to log in)
        when it is missing, unreadable, malformed or expired."""
        key = sso_token_cache_key(start_url=config.start_url, session_name=config.session_name)
        path = os.path.join(expand_path(_TOKEN_CACHE_DIR, self._ctx.env), f"{key}.json")
        what = (
            f"sso-session {config.session_name!r}"
            if config.session_name is not None
            else f"start URL {config.start_url}"
        )
        login = self._login_hint(config)
        try:
            data: bytes | None = yield Blocking(fn=lambda: _read_token_file(path))
        except OSError as exc:
            raise self._fail(
                f"Cannot read the cached SSO token for {what} ({path}: "
                f"{exc.strerror or type(exc).__name__}); {login}"
            ) from None
        except ValueError:  # a NUL or a lone surrogate in the path (from HOME)
            raise self._fail(
                f"Cannot read the cached SSO token for {what} ({path!r}: not a usable "
                f"file name); {login}"
            ) from None
        if data is None:
            raise self._fail(f"No cached SSO token for {what} ({path} does not exist); {login}")
        invalid = f"The cached SSO token for {what} ({path}) is invalid"
        try:
            token = json.loads(data.decode("utf-8-sig"))
        except ValueError:  # UnicodeDecodeError too; both hold the file's text: dropped
            token = _INVALID
        if token is _INVALID:  # raised here, so the decoding error is not its __context__
            raise self._fail(f"{invalid}: not JSON; {login}") from None
        if not isinstance(token, dict):
            raise self._fail(f"{invalid}: not a JSON object; {login}")
        access_token = token.get("accessToken")
        if not isinstance(access_token, str) or not _TOKEN_OK.match(access_token):
            raise self._fail(f"{invalid}: no usable accessToken; {login}")
        expires_at = token.get("expiresAt")
        if not isinstance(expires_at, str):
            raise self._fail(f"{invalid}: no expiresAt; {login}")
        expiry = _parse_expires_at(expires_at)
        if expiry is None:
            raise self._fail(f"{invalid}: expiresAt is not an ISO 8601 timestamp; {login}")
        if expiry <= self._ctx.clock():
            raise self._fail(
                f"The SSO session associated with this profile has expired or is otherwise "
                f"invalid (the cached token for {what} expired at {expiry.isoformat()}). To "
                f"refresh this SSO session {login}."
            )
        return access_token

    def _parse(self, response: HttpResponse, config: _SSOConfig, token: str) -> Credentials:
        status = response.status_code
        if status in (401, 403):
            raise self._fail(
                f"The SSO session associated with this profile has expired or is otherwise "
                f"invalid (GetRoleCredentials: HTTP {status}{_error_detail(response, token)}). "
                f"To refresh this SSO session {self._login_hint(config)}."
            )
        if status != 200:
            raise self._fail(
                f"GetRoleCredentials for role {config.role_name!r} in account "
                f"{config.account_id} failed: HTTP {status}{_error_detail(response, token)}"
            )
        try:
            body = json.loads(response.body)
        except ValueError:  # UnicodeDecodeError too; both hold the reply (the secret key)
            body = _INVALID
        if body is _INVALID:  # raised here, so the decoding error is not its __context__
            raise self._fail("GetRoleCredentials returned a reply that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("roleCredentials"), dict):
            raise self._fail("GetRoleCredentials reply has no roleCredentials object")
        role = body["roleCredentials"]
        values: dict[str, str] = {}
        for field in ("accessKeyId", "secretAccessKey", "sessionToken"):
            value = role.get(field)
            if not isinstance(value, str) or not value:
                raise self._fail(
                    f"GetRoleCredentials reply: roleCredentials.{field} is missing or not a "
                    "non-empty string"
                )
            values[field] = value
        millis = role.get("expiration")
        if isinstance(millis, bool) or not isinstance(millis, int | float):
            raise self._fail(
                "GetRoleCredentials reply: roleCredentials.expiration is missing or not a "
                "number (epoch milliseconds)"
            )
        try:
            # botocore formats the expiration to whole seconds (%Y-%m-%dT%H:%M:%SZ).
            expiration = datetime.fromtimestamp(int(millis // 1000), tz=timezone.utc)
            return Credentials(
                access_key_id=values["accessKeyId"],
                secret_access_key=values["secretAccessKey"],
                session_token=values["sessionToken"],
                expiration=expiration,
            )
        except (OverflowError, OSError, ValueError) as exc:
            # ParamValidationError names the field, never its value.
            detail = str(exc) if isinstance(exc, ParamValidationError) else "out of range"
            raise self._fail(f"GetRoleCredentials reply: unusable credentials: {detail}") from None


def _read_token_file(path: str) -> bytes | None:
    """The cached token file's bytes; None when it does not exist (blocking)."""
    try:
        return read_bounded(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _parse_expires_at(value: str) -> datetime | None:
    """``expiresAt`` as an aware UTC datetime (the AWS CLI writes ``...Z``; old versions
    wrote ``...UTC``); None when it is not a timestamp."""
    text = value.strip()
    if text.endswith("UTC"):
        text = text[:-3] + "Z"
    try:
        return parse_expiration(text, what="expiresAt")
    except ConfigurationError:
        return None


def _error_detail(response: HttpResponse, token: str) -> str:
    """``": Code: message"`` from an error reply (restJson: the ``x-amzn-errortype``
    header or ``__type``, and ``message``), bounded; empty when there is nothing. The
    bearer ``token``, should the portal echo it, is blanked out."""
    code = sanitize_error_code(response.headers.get("x-amzn-errortype", ""))
    message = ""
    try:
        body = json.loads(response.body)
    except (UnicodeDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        if not code and isinstance(body.get("__type"), str):
            code = sanitize_error_code(body["__type"])
        for key in ("message", "Message"):
            if isinstance(body.get(key), str):
                message = body[key]
                break
    parts = [part for part in (code, message) if part]
    text = ": ".join(parts).replace(token, "<redacted>")
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 3] + "..."
    return f" {text}" if text else ""
