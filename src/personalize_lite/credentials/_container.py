"""Credentials from the container credentials endpoint (ECS task roles, EKS Pod Identity).

:class:`ContainerProvider` is botocore's ``ContainerProvider`` with its
``ContainerMetadataFetcher``, written as a plan (see :mod:`.._steps`): the request is a
:class:`~.._steps.Send` step, the pause between attempts a :class:`~.._steps.Sleep`, and
the authorization token file is read in a :class:`~.._steps.Blocking` step.

* ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI``: ``http://169.254.170.2`` + the URI (ECS).
* otherwise ``AWS_CONTAINER_CREDENTIALS_FULL_URI``, any host over https; over http only a
  loopback address, ``localhost``, ``169.254.170.2``, ``169.254.170.23`` (EKS Pod
  Identity) or ``fd00:ec2::23`` (botocore's rule; names are never resolved).
* ``Authorization``: the contents of ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``, read
  again on every load (EKS rotates it), else ``AWS_CONTAINER_AUTHORIZATION_TOKEN``.

Neither URI set: None. Configured but failing: :class:`~.._errors.CredentialRetrievalError`
after botocore's 3 attempts of 2 seconds, 1 second apart. The token never appears in an
error or a repr.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
from typing import Final
from urllib.parse import urlsplit

from .._config import read_bounded
from .._errors import (
    ConfigurationError,
    CredentialRetrievalError,
    ParamValidationError,
    TransportError,
)
from .._steps import Blocking, HttpRequest, Plan, send_with_retries
from ._base import Credentials, ProviderContext
from ._imds import check_endpoint_url, parse_metadata_credentials

__all__ = ["ALLOWED_HOSTS", "ECS_HOST", "ContainerProvider", "check_full_uri"]

#: botocore's ``ContainerMetadataFetcher.IP_ADDRESS``: the ECS credentials endpoint.
ECS_HOST: Final = "169.254.170.2"
#: botocore's ``_ALLOWED_HOSTS``: the only names allowed over plain http besides loopback
#: IP addresses (compared literally, never resolved).
ALLOWED_HOSTS: Final = (ECS_HOST, "169.254.170.23", "fd00:ec2::23", "localhost")

_RELATIVE_URI: Final = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
_FULL_URI: Final = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
_AUTH_TOKEN: Final = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 (a variable name)
_AUTH_TOKEN_FILE: Final = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105
_CONTROL = re.compile("[\x00-\x20\x7f\ud800-\udfff]")  # lone surrogates: undecodable bytes
#: What httpx can send as a header value: printable ASCII, spaces and tabs.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_MAX_EXCERPT = 200


def _is_loopback(host: str) -> bool:
    """botocore's ``ContainerMetadataFetcher._is_loopback_address``: loopback IP literals
    only (``localhost`` is allowed through :data:`ALLOWED_HOSTS`, as in botocore). Kept
    apart from ``_endpoints.is_loopback_host`` on purpose: which container URLs are
    accepted over plain http must match botocore exactly, so that a setup botocore
    accepts works here and one it refuses is refused here."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_full_uri(url: str) -> str:
    """Return ``url`` if botocore would fetch credentials from it, else raise
    ConfigurationError explaining the rule. No name is resolved."""
    check_endpoint_url(url, what=_FULL_URI)
    parts = urlsplit(url)
    if parts.scheme == "https":
        return url
    host = parts.hostname or ""
    if _is_loopback(host) or host in ALLOWED_HOSTS:
        return url
    raise ConfigurationError(
        f"{_FULL_URI} may not use host {host!r} over http: plain http is allowed only to a "
        f"loopback address (127.0.0.0/8, ::1) or to {', '.join(ALLOWED_HOSTS)} "
        "(host names are not resolved); use an https:// URL for any other host"
    )


def _read_token_file(path: str) -> str:
    """The token file's text, at most :data:`MAX_LOCAL_SOURCE` bytes (botocore reads it
    all: ``/dev/zero`` read past 1 GiB). Blocks."""
    return read_bounded(path).decode("utf-8")


class ContainerProvider:
    """Credentials from the ECS / EKS container credentials endpoint (botocore's
    ``container-role``). ``timeout``, ``attempts`` and ``retry_sleep`` default to
    botocore's ``TIMEOUT_SECONDS``, ``RETRY_ATTEMPTS`` and ``SLEEP_TIME``."""

    name = "container-role"
    TIMEOUT_SECONDS: Final = 2.0
    RETRY_ATTEMPTS: Final = 3
    SLEEP_TIME: Final = 1.0

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        timeout: float = TIMEOUT_SECONDS,
        attempts: int = RETRY_ATTEMPTS,
        retry_sleep: float = SLEEP_TIME,
    ) -> None:
        for what, value in (("timeout", timeout), ("retry_sleep", retry_sleep)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
                or (what == "timeout" and value == 0)
            ):
                raise ParamValidationError(f"{what} must be a positive number, not {value!r}")
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ParamValidationError(f"attempts must be a whole number >= 1, not {attempts!r}")
        self._env = ctx.env
        self.timeout = float(timeout)
        self.attempts = attempts
        self.retry_sleep = float(retry_sleep)

    def endpoint(self) -> str | None:
        """The URL credentials come from, None when neither variable is set;
        ConfigurationError when the configured one is not allowed. No I/O."""
        relative = self._env.get(_RELATIVE_URI)
        if relative:
            if not relative.startswith("/") or _CONTROL.search(relative):
                # Without the slash, "@host/..." would send the request to another host.
                raise ConfigurationError(
                    f"{_RELATIVE_URI} must be a path starting with '/' without spaces or "
                    f"control characters, not {relative!r}"
                )
            return f"http://{ECS_HOST}{relative}"
        full = self._env.get(_FULL_URI)
        if full:
            return check_full_uri(full)
        return None

    def skip_reason(self) -> str:
        return f"neither {_RELATIVE_URI} nor {_FULL_URI} is set"

    def load(self) -> Plan[Credentials | None]:
        url = self.endpoint()
        if url is None:
            return None
        token = yield from self._auth_token()
        headers: tuple[tuple[str, str], ...] = (("Accept", "application/json"),)
        if token is not None:
            headers += (("Authorization", token),)
        request = HttpRequest(method="GET", url=url, headers=headers, body=b"")
        outcome = yield from send_with_retries(
            request,
            attempts=self.attempts,
            timeout=self.timeout,
            pause=self.retry_sleep,
            retry=lambda r: r.status_code != 200 or not _is_json(r.body),
            direct=True,
        )
        if isinstance(outcome, TransportError):
            problem = str(outcome)
        elif outcome.status_code != 200:
            problem = f"HTTP {outcome.status_code}{_excerpt(outcome.body, token)}"
        elif not _is_json(outcome.body):
            problem = "the reply is not valid JSON"
        else:
            return parse_metadata_credentials(outcome.body, provider=self.name, source=url)
        tries = f"{self.attempts} attempt{'s' if self.attempts > 1 else ''}"
        raise CredentialRetrievalError(
            f"no credentials from {url} after {tries}: {problem}", provider=self.name
        )

    def _auth_token(self) -> Plan[str | None]:
        """botocore's ``_build_headers``: the token file wins over the variable."""
        path = self._env.get(_AUTH_TOKEN_FILE)
        if path:
            source = f"{_AUTH_TOKEN_FILE} ({path})"
            problem = None
            try:
                token: str = yield Blocking(fn=functools.partial(_read_token_file, path))
            except UnicodeDecodeError:  # its message and object hold token bytes: dropped
                problem = "not UTF-8 text"
            except ValueError:  # a NUL or a lone surrogate in the name
                problem = "not a usable file name"
            except OSError as exc:
                raise CredentialRetrievalError(
                    f"cannot read {source}: {exc.strerror or type(exc).__name__}",
                    provider=self.name,
                ) from exc
            if problem is not None:  # raised here, so the error is not its __context__
                raise CredentialRetrievalError(
                    f"cannot read {source}: {problem}", provider=self.name
                ) from None
        else:
            env_token = self._env.get(_AUTH_TOKEN)
            if env_token is None:
                return None
            token, source = env_token, _AUTH_TOKEN
        if "\r" in token or "\n" in token:
            raise ConfigurationError(
                f"the container authorization token from {source} contains a line break "
                "(CR or LF), which is not a legal header value (a trailing newline?)"
            )
        if not _HEADER_VALUE.fullmatch(token):
            raise ConfigurationError(
                f"the container authorization token from {source} contains control or "
                "non-ASCII characters, which cannot be sent in a header"
            )
        return token

    def __repr__(self) -> str:
        return "ContainerProvider()"


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _excerpt(body: bytes, token: str | None) -> str:
    """A short excerpt of an error reply: the code and message of a JSON error object
    (never other fields), else the text; the authorization token is blanked out."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        keys = ("Code", "code", "Message", "message")
        text = " ".join(str(data[key]) for key in keys if isinstance(data.get(key), str))
    if token:
        text = text.replace(token, "<redacted>")
    text = " ".join(text.split())[:_MAX_EXCERPT]
    return f": {text}" if text else ""
