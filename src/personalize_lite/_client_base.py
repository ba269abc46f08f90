"""What the two clients share that is not I/O: their keywords and the checks on them,
the state built from them, and the user agent, clock and invocation ids they configure
the call context with.
"""

from __future__ import annotations

import os
import platform
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, Generic, TypeVar, cast

import httpx

from ._call import CallContext, ClientOptions, configure
from ._checks import positive_seconds
from ._errors import ConfigurationError, ParamValidationError
from ._httpx import DEFAULT_MAX_RESPONSE_BYTES, Exchange
from ._proxies import direct_transport
from ._retry import RetryConfig
from ._steps import Plan, Send
from ._version import __version__

__all__ = ["BaseClient", "invocation_id", "keyword_arguments", "user_agent", "utc_now"]

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


def keyword_arguments(frame: Mapping[str, Any]) -> dict[str, Any]:
    """A public method's arguments for its plan, from ``locals()`` taken before any
    other name is bound: every parameter but ``self``. The signature alone (the same on
    both clients) says what the plan receives; no list of the keywords is written again."""
    return {name: value for name, value in frame.items() if name != "self"}


def _as_timeout(timeout: object) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(positive_seconds(timeout, what="timeout (or an httpx.Timeout)"))


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParamValidationError(f"{name} must be a positive int (bytes), not {value!r}")
    return value


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

    Subclasses name their httpx client type, default sleep and the transport of a
    private direct client; they add only the driver (``_run``, ``_send``), the making of
    their own HTTP client, and their sync or async public methods.
    """

    _http_client_type: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _default_sleep: ClassVar[staticmethod[[float], Any]]
    #: The transport of the private direct client (see :meth:`_direct`).
    _direct_transport: ClassVar[staticmethod[[], Any]]

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
        attempt_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
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
        self._attempt_timeout: float | None = (
            None
            if attempt_timeout is None
            else positive_seconds(attempt_timeout, what="attempt_timeout (or None)")
        )
        self._max_response_bytes = _positive_int("max_response_bytes", max_response_bytes)
        self._clock = clock or utc_now
        # An injected clock also drives deadlines (the waiter), so tests never sleep.
        self._monotonic: Callable[[], float] = (
            time.monotonic if clock is None else (lambda: self._clock().timestamp())
        )
        self._jitter = jitter or random.random
        self._sleep = sleep or type(self)._default_sleep
        self._env: Mapping[str, str] = dict(os.environ if env is None else env)
        # The Lambda trace id is read per request: live os.environ unless env is injected.
        self._trace_env: Mapping[str, str] = os.environ if env is None else self._env
        self._owns_client = http_client is None
        self._client: H | None = http_client
        # Credential endpoints' requests (Send.direct) go over _direct(), never a proxy.
        self._direct_client: H | None = None
        self._direct_owned = False
        self._direct_lock = threading.Lock()
        self._context: CallContext | None = None
        self._setup()

    def _setup(self) -> None:
        """Called at the end of ``__init__``: the sync client configures itself here."""

    @property
    def endpoint_url(self) -> str:
        """The resolved endpoint, e.g. ``https://personalize.us-east-1.amazonaws.com``."""
        return self._ready().endpoint.url

    def _new_http_client(self, transport: Any) -> H:
        """An HTTP client of ours over ``transport``: no redirects, our timeout, and
        proxies by our rule (``_proxies.py``), never by httpx's ``trust_env``. The pool's
        limits are the transport's (httpx uses a client's ``limits`` only for the
        transports it makes itself). The class is looked up on the httpx module at each
        call, not kept from import time: instrumentation that replaces ``httpx.Client``
        (opentelemetry-instrumentation-httpx before 0.44 does) then sees our clients."""
        client_type = getattr(httpx, self._http_client_type.__name__)
        return cast(
            H,
            client_type(
                follow_redirects=False,
                timeout=self._timeout,
                transport=transport,
                trust_env=False,
            ),
        )

    def _direct(self) -> H:
        """The client for credential endpoints: our client's (or your ``http_client``'s)
        transport without its proxies, else a private direct client (``_proxies.py``).
        The lock makes one for concurrent threads (the sync client); the async client
        never awaits in between, so tasks of one loop do not race."""
        with self._direct_lock:
            if self._direct_client is None:
                assert self._client is not None
                transport = direct_transport(self._client)
                self._direct_owned = transport is None
                self._direct_client = self._new_http_client(
                    transport or type(self)._direct_transport()
                )
            return self._direct_client

    def _owned_clients(self) -> list[H]:
        """The HTTP clients this client made, for the driver to close: the direct one
        first, then ours (never your ``http_client``)."""
        owned: list[H] = []
        if self._direct_owned and self._direct_client is not None:
            owned.append(self._direct_client)
        if self._owns_client and self._client is not None:
            owned.append(self._client)
        return owned

    def _exchange(self, client: H, step: Send) -> Exchange:
        """The shared half of a driver's Send: the request, the cap, the deadline."""
        return Exchange(
            client,
            step,
            timeout=self._timeout,
            attempt_timeout=self._attempt_timeout,
            max_bytes=self._max_response_bytes,
            monotonic=self._monotonic,
        )

    def _configure_plan(self) -> Plan[CallContext]:
        return configure(
            self._options,
            env=self._env,
            user_agent=user_agent(),
            clock=self._clock,
            monotonic=self._monotonic,
            jitter=self._jitter,
            new_id=invocation_id,
            trace_env=self._trace_env,
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
