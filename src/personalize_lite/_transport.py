"""What the two drivers share: the client keywords, the httpx adapter, and the
step-resumption helper. The only module besides the drivers that imports httpx.

Transport errors are translated here, once, into the error tree.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import random
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, Final, Generic, TypeVar

import httpx

from ._call import CallContext, ClientOptions, configure
from ._checks import positive_seconds
from ._errors import (
    ConfigurationError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    PersonalizeError,
    ReadTimeoutError,
    TransportError,
)
from ._retry import RetryConfig
from ._steps import HttpResponse, Plan, Send, Step
from ._version import __version__

__all__ = [
    "POOL_LIMITS",
    "BaseClient",
    "invocation_id",
    "map_transport_error",
    "resume",
    "tls_verify",
    "to_response",
    "utc_now",
]

T = TypeVar("T")

_USER_AGENT: str | None = None


def user_agent() -> str:
    global _USER_AGENT
    if _USER_AGENT is None:
        _USER_AGENT = (
            f"personalize-lite/{__version__} httpx/{httpx.__version__} "
            f"python/{platform.python_version()} os/{platform.system().lower()} "
            f"md/arch#{platform.machine().lower()}"
        )
    return _USER_AGENT


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def invocation_id() -> str:
    """A random (version 4) UUID string, as botocore's ``amz-sdk-invocation-id``.

    Same bits as ``str(uuid.uuid4())`` (122 random, version and variant set), formatted
    directly: ``uuid.UUID`` construction was a measurable part of each call.
    """
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def tls_verify(endpoint_url: str, *, ca_bundle: str | None = None) -> ssl.SSLContext | bool:
    """The ``verify=`` for the httpx client we create for ``endpoint_url``. Never off:
    there is no setting that disables verification (bring your own ``http_client`` for
    that, knowingly).

    ``https://``: the ``ca_bundle`` file when one is configured (``AWS_CA_BUNDLE`` or the
    profile's ``ca_bundle``, as botocore), else ``True``, httpx's default (certifi, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``).
    ``http://`` (loopback, or ``allow_http=True``): a context that trusts no certificate.
    There is no TLS to verify, loading the CA bundle was the largest part of our start-up
    (docs/benchmarks.md), and should TLS ever be attempted through it (we never follow
    redirects) the handshake fails: it fails closed, never open.
    """
    if endpoint_url.startswith("https://"):
        if ca_bundle is None:
            return True
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"cannot load the CA bundle {ca_bundle!r} (AWS_CA_BUNDLE or ca_bundle): "
                f"{exc.strerror or exc}"
            ) from None
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_REQUIRED, no trust roots


#: The pool of the HTTP clients we create: every connection the pool may open may also
#: stay open. httpx keeps only 20 idle ones by default, so above 20 calls in flight about
#: one request in three opened (and left in TIME_WAIT) a new connection (the soak's finding).
POOL_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def _as_timeout(timeout: object) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(positive_seconds(timeout, what="timeout (or an httpx.Timeout)"))


def _bool_or_none(name: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ParamValidationError(f"{name} must be True, False or None, got {value!r}")


def _str_or_none(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ParamValidationError(f"{name} must be a str or None, got {type(value).__name__}")


H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class BaseClient(Generic[H]):
    """The keywords, validation and state both clients share. No I/O happens here.

    Subclasses name their httpx client type and default sleep; they add only the
    driver (``_run``) and their sync or async public methods.
    """

    _http_client_type: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _default_sleep: ClassVar[staticmethod[[float], Any]]

    def __init__(
        self,
        *,
        region: str | None = None,
        credentials: Any = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        use_fips: bool | None = None,
        use_dualstack: bool | None = None,
        retry: RetryConfig | None = None,
        timeout: float | httpx.Timeout = 60.0,
        http_client: H | None = None,
        allow_http: bool = False,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, self._http_client_type):
            raise ParamValidationError(
                f"http_client must be an {self._http_client_type.__module__}."
                f"{self._http_client_type.__name__}, got {type(http_client).__name__}"
            )
        if retry is not None and not isinstance(retry, RetryConfig):
            raise ParamValidationError(f"retry must be a RetryConfig, got {type(retry).__name__}")
        self._options = ClientOptions(
            region=_str_or_none("region", region),
            credentials=credentials,
            profile=_str_or_none("profile", profile),
            endpoint_url=_str_or_none("endpoint_url", endpoint_url),
            use_fips=_bool_or_none("use_fips", use_fips),
            use_dualstack=_bool_or_none("use_dualstack", use_dualstack),
            retry=retry,
            allow_http=bool(_bool_or_none("allow_http", allow_http)),
        )
        self._timeout = _as_timeout(timeout)
        self._clock = clock or utc_now
        # An injected clock also drives deadlines (the waiter), so tests never sleep.
        self._monotonic: Callable[[], float] = (
            time.monotonic if clock is None else (lambda: self._clock().timestamp())
        )
        self._jitter = jitter or random.random
        self._sleep = sleep or type(self)._default_sleep
        self._env: Mapping[str, str] = dict(os.environ if env is None else env)
        self._owns_client = http_client is None
        self._client: H | None = http_client
        self._context: CallContext | None = None
        self._setup()

    def _setup(self) -> None:
        """Called at the end of ``__init__``: the sync client configures itself here."""

    @property
    def endpoint_url(self) -> str:
        """The resolved endpoint, e.g. ``https://personalize.us-east-1.amazonaws.com``."""
        return self._ready().endpoint.url

    def _configure_plan(self) -> Plan[CallContext]:
        return configure(
            self._options,
            env=self._env,
            user_agent=user_agent(),
            clock=self._clock,
            monotonic=self._monotonic,
            jitter=self._jitter,
            new_id=invocation_id,
        )

    def _ready(self) -> CallContext:
        if self._context is None:
            raise ConfigurationError(
                "the async client resolves its configuration on first use: "
                "enter it with `async with` (or make a call) before reading endpoint_url"
            )
        return self._context

    def __repr__(self) -> str:
        name = type(self).__name__
        if self._context is None:
            return f"<{name} (not yet configured)>"
        endpoint = self._context.endpoint
        return f"<{name} endpoint_url={endpoint.url!r} region={endpoint.signing_region!r}>"


def resume(plan: Plan[T], value: Any, error: BaseException | None) -> Step:
    """Feed the last outcome to ``plan``; the next step, or ``StopIteration`` with the result."""
    if error is not None:
        return plan.throw(error)
    return plan.send(value)


@functools.lru_cache(maxsize=32)
def _url(url: str) -> httpx.URL:
    """Parsed once per URL (immutable, so shared): parsing was ~12 us of every call."""
    return httpx.URL(url)


def build_request(
    client: httpx.Client | httpx.AsyncClient, step: Send, timeout: httpx.Timeout
) -> httpx.Request:
    """The httpx request for a Send step; the step's own timeout wins over ``timeout``."""
    request = step.request
    return client.build_request(
        request.method,
        _url(request.url),
        headers=list(request.headers),
        content=request.body,
        timeout=timeout if step.timeout is None else httpx.Timeout(step.timeout),
    )


def to_response(response: httpx.Response, body: bytes | None = None) -> HttpResponse:
    """Our response value: lower-case header names, repeated headers joined with ", "
    (as ``httpx.Headers.items()`` does, but deciding the header encoding once: httpx
    recomputes it for every name and value).

    ``body``: the still-encoded body when the driver read it raw (the async driver does);
    a ``Content-Encoding`` is then decoded here, in plain synchronous code, and a corrupt
    one raises ``httpx.DecodingError`` as ``response.content`` would. None: ``.content``.
    """
    raw = response.headers
    encoding = raw.encoding
    headers: dict[str, str] = {}
    for key, value in raw.raw:
        name = key.decode(encoding).lower()
        text = value.decode(encoding)
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    if body is None:
        body = response.content
    elif "content-encoding" in headers:
        body = httpx.Response(response.status_code, headers=raw, content=body).content
    return HttpResponse(status_code=response.status_code, headers=headers, body=body)


def _aiohttp_error(exc: BaseException) -> TransportError | None:
    """Classify an aiohttp exception: ``exc`` itself, or the one behind an httpx-aiohttp
    error.

    httpx-aiohttp maps every ``aiohttp.ClientConnectionError`` (refused connections and
    server hang-ups included) to ``httpx.ConnectTimeout``; the original exception, its
    ``__cause__``, says what really happened. Errors it has no mapping for (the
    ``ClientResponseError`` of a malformed reply) it re-raises as they are. Matched by
    class name: no aiohttp import.
    """
    cause = exc if type(exc).__module__.startswith("aiohttp") else exc.__cause__
    if cause is None or not type(cause).__module__.startswith("aiohttp"):
        return None
    names = {cls.__name__ for cls in type(cause).__mro__}
    text = str(cause) or type(cause).__name__
    if "ConnectionTimeoutError" in names:
        return ConnectTimeoutError(f"timed out connecting to the endpoint: {text}")
    if names & {"ServerTimeoutError", "SocketTimeoutError"}:
        return ReadTimeoutError(f"timed out waiting for the endpoint: {text}")
    if "ClientConnectorError" in names:
        return EndpointConnectionError(f"could not connect to the endpoint: {text}")
    if names & {"ClientConnectionError", "ClientPayloadError"}:
        return ConnectionClosedError(
            f"connection failed mid-exchange ({type(cause).__name__}): {text}"
        )
    if names & {"ClientResponseError", "HttpProcessingError"}:
        # aiohttp's parser refused the reply: a bad status line, header, length or chunk
        # (httpx's own transport raises RemoteProtocolError, mapped the same way).
        return ConnectionClosedError(
            f"endpoint sent a malformed HTTP response ({type(cause).__name__}): {text}"
        )
    return None


class _StandIn(Exception):
    """Base of the stand-ins chained for transport exceptions that are not httpx's."""


@functools.cache
def _stand_in_type(name: str) -> type[Exception]:
    """An exception class named ``name`` (the original's), for a stand-in."""
    return type(name, (_StandIn,), {"__module__": __name__, "__qualname__": name})


def _sanitized(exc: BaseException, *, depth: int = 0) -> Exception:
    """What ``map_transport_error`` chains instead of ``exc``: an exception of the same
    type (httpx's) or type name (others: aiohttp's, OSError...) and message that holds
    nothing else. httpx's exceptions carry ``.request`` with every header (the SigV4
    signature, ``X-Amz-Security-Token``, the SSO bearer token), aiohttp's
    ``.request_info`` the same; neither may ride on our error's chain. The original's
    own cause (httpcore's or the OS's error, which says what really happened) is kept
    the same way, one level down; no traceback (its frames hold the request)."""
    text = str(exc)
    stand_in: Exception | None = None
    if isinstance(exc, httpx.HTTPError | httpx.InvalidURL) and depth == 0:
        with contextlib.suppress(TypeError):  # the stream errors take no message
            stand_in = type(exc)(text)
    if stand_in is None:
        stand_in = _stand_in_type(type(exc).__name__)(text)
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and depth == 0:
        stand_in.__cause__ = _sanitized(cause, depth=1)
    return stand_in


def map_transport_error(exc: Exception) -> PersonalizeError:
    """Translate an httpx (or transport) exception into our error tree, chained to a
    sanitized copy of it (same type and message, no request: see :func:`_sanitized`)."""
    text = str(exc) or type(exc).__name__
    error: PersonalizeError | None = _aiohttp_error(exc)
    if error is not None:
        pass
    elif isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        error = ConnectTimeoutError(f"timed out connecting to the endpoint: {text}")
    elif isinstance(exc, httpx.TimeoutException):
        error = ReadTimeoutError(f"timed out waiting for the endpoint: {text}")
    elif isinstance(exc, httpx.ConnectError):
        error = EndpointConnectionError(f"could not connect to the endpoint: {text}")
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        error = ConfigurationError(f"unusable endpoint URL: {text}")
    else:
        error = ConnectionClosedError(
            f"connection failed mid-exchange ({type(exc).__name__}): {text}"
        )
    error.__cause__ = _sanitized(exc)
    return error


#: Exceptions a transport may raise that mean "no usable response".
TRANSPORT_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TransportError,
    httpx.DecodingError,
    httpx.StreamError,
)
