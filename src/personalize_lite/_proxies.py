"""Which requests go through an HTTP proxy: one rule for every transport.

The decision (:class:`ProxyRoutes`) is pure: it is read once from the client's ``env``
mapping and asked per request URL. The routing transports (:class:`ProxyRouter`,
:class:`AsyncProxyRouter`) apply it to httpx's own transports and to httpx-aiohttp's;
they are part of the httpx adapter the two drivers share (no other I/O here).

The rule is botocore's (``botocore.utils.get_environ_proxies`` on the endpoint, then
``ProxyConfiguration.proxy_url_for`` on each request), on the ``env`` mapping instead of
``os.environ``:

* ``HTTPS_PROXY`` for ``https://`` URLs, ``HTTP_PROXY`` for ``http://`` URLs; the
  lower-case names win over the upper-case ones, an empty lower-case value unsets, and
  when ``REQUEST_METHOD`` is set (a CGI script) upper-case ``HTTP_PROXY`` is ignored
  (``urllib.request.getproxies_environment``). ``ALL_PROXY`` is ignored, as by botocore.
* ``NO_PROXY``: ``*``, or comma-separated host names or domain suffixes, with or without a
  leading dot, optionally with ``:port`` (``urllib.request.proxy_bypass_environment``,
  called as is). No CIDR ranges, as botocore.
* A proxy URL without a scheme is ``http://`` (botocore's ``_fix_proxy_url``); its
  ``user:password@`` becomes ``Proxy-Authorization: Basic``. Unlike botocore, the URL is
  stripped, its scheme matched in any case (``HTTP://``), and a path, query or fragment
  is refused (botocore would prefix ``http://`` to ``HTTP://u:p@h`` and connect to a
  host named ``http``).

Two differences from botocore, on purpose:

* Loopback hosts are never proxied: a proxy cannot reach our loopback, and an
  ``http://`` endpoint would hand it the signed request and the session token in clear
  text. Loopback is :func:`~._endpoints.is_loopback_host`, the rule that also allows
  plain http to an endpoint: exactly ``localhost`` (any case; not ``localhost.``, which
  DNS answers) and loopback IP literals (127.0.0.0/8, ``::1``). Go's ``httpproxy``
  exempts ``localhost`` and loopback IPs too.
* Credential endpoints (instance metadata, the container endpoint) are never proxied
  (their :class:`~._steps.Send` steps are ``direct``): botocore's container fetcher uses
  no proxy, but its IMDS fetcher honours ``HTTP_PROXY`` unless ``NO_PROXY`` lists
  169.254.169.254. A proxy must never be able to answer with credentials of its own.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

# Undocumented (no stub), but it is what proxy_bypass() is on Linux, and so what botocore runs.
from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

import attrs
import httpx

from ._endpoints import is_loopback_host
from ._errors import ConfigurationError

__all__ = [
    "AsyncProxyRouter",
    "ProxyRouter",
    "ProxyRoutes",
    "aiohttp_forward_auth",
    "direct_transport",
    "environ_proxies",
    "mask_proxy_url",
]

#: The schemes we route; a proxy is looked up by the request URL's scheme.
_SCHEMES: Final = ("http", "https")
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def environ_proxies(env: Mapping[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` over ``env``: scheme (``http``, ``no``,
    ...) -> value, lower-case names winning, ``HTTP_PROXY`` dropped under CGI."""
    proxies: dict[str, str] = {}
    for name, value in env.items():
        lname = name.lower()
        if value and lname[-6:] == "_proxy":
            proxies[lname[:-6]] = value
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)
    for name, value in env.items():
        if name[-6:] == "_proxy":
            lname = name.lower()
            if value:
                proxies[lname[:-6]] = value
            else:
                proxies.pop(lname[:-6], None)
    return proxies


def mask_proxy_url(url: str) -> str:
    """``url`` with everything between ``scheme://`` and the last ``@`` replaced by
    ``***:***`` (botocore's ``mask_proxy_url``, erring on the side of masking)."""
    head, sep, rest = url.partition("://")
    if not sep:
        head, rest = "", url
    if "@" not in rest:
        return url
    return f"{head}{sep}***:***@{rest.rpartition('@')[2]}"


def _fix_proxy_url(url: str) -> str:
    """botocore's ``ProxyConfiguration._fix_proxy_url``, on the stripped URL and with the
    scheme compared in any case and written back in lower case (``HTTP://u:p@h`` would
    otherwise become ``http://HTTP://u:p@h``: host ``http``, the password in the path)."""
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    if sep and scheme.lower() in _SCHEMES:
        return f"{scheme.lower()}:{rest}"
    if url.startswith("//"):
        return "http:" + url
    return "http://" + url


def _proxies_repr(proxies: Mapping[str, str]) -> str:
    return repr({scheme: mask_proxy_url(url) for scheme, url in proxies.items()})


@attrs.frozen(kw_only=True, slots=True)
class ProxyRoutes:
    """The proxy settings of one client, read from its ``env`` when it is created.

    ``proxies``: scheme -> proxy URL (already ``http://``-fixed), only ``http`` and
    ``https``. ``no_proxy``: the ``NO_PROXY`` value, or None. The repr masks proxy
    passwords.
    """

    proxies: Mapping[str, str] = attrs.field(repr=_proxies_repr)
    no_proxy: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProxyRoutes:
        """The routes ``env`` asks for; ConfigurationError (the URL masked) for a proxy
        URL that is not usable. Nothing is sent."""
        found = environ_proxies(env)
        proxies: dict[str, str] = {}
        for scheme in _SCHEMES:
            if scheme not in found:
                continue
            url = found[scheme].strip()
            named = _SCHEME.match(url)
            if named and named.group(1).lower() not in _SCHEMES:
                # botocore would prefix http:// and fail later; say what is wrong.
                raise ConfigurationError(
                    f"the {scheme} proxy ({scheme.upper()}_PROXY or {scheme}_proxy) must be "
                    f"an http:// or https:// URL, not {mask_proxy_url(url)!r} (no SOCKS)"
                )
            url = _fix_proxy_url(url)
            _check_proxy_url(url, scheme)
            proxies[scheme] = url
        return cls(proxies=proxies, no_proxy=found.get("no"))

    def __bool__(self) -> bool:
        return bool(self.proxies)

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL for a request to ``url``, None to connect directly."""
        parts = urlsplit(url)
        proxy = self.proxies.get(parts.scheme)
        if proxy is None or is_loopback_host(parts.hostname or ""):
            return None
        if self.no_proxy is not None and proxy_bypass_environment(
            parts.netloc.rpartition("@")[2], {"no": self.no_proxy}
        ):
            return None
        return proxy


def _check_proxy_url(url: str, scheme: str) -> None:
    what = f"the {scheme} proxy ({scheme.upper()}_PROXY or {scheme}_proxy)"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in _SCHEMES or not parsed.host:
        # Not echoing the parse error: it may quote the password.
        raise ConfigurationError(
            f"{what} must be an http:// or https:// URL with a host, not {mask_proxy_url(url)!r}"
        )
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment or "#" in url:
        # A proxy URL has no use for them; a mangled URL puts its password there.
        raise ConfigurationError(
            f"{what} must be scheme://[user:password@]host[:port], with no path, query or "
            f"fragment, not {mask_proxy_url(url)!r}"
        )


# --------------------------------------------------------------------------- transports


class _MaskedProxy(httpx.Proxy):
    """An ``httpx.Proxy`` whose repr hides header values (httpx's shows
    ``Proxy-Authorization: Basic ...``, the password in base64)."""

    def __repr__(self) -> str:
        headers = dict.fromkeys(self.headers.keys(), "[secure]")
        shown = f", headers={headers!r}" if headers else ""
        return f"Proxy({str(self.url)!r}{shown})"


def _proxy(url: str) -> httpx.Proxy:
    """The httpx proxy for ``url``: its ``user:password@`` (both needed, as botocore)
    becomes a ``Proxy-Authorization: Basic`` header, which httpx's transports and
    httpx-aiohttp's both send (httpx-aiohttp turns ``Proxy.auth`` into aiohttp's
    deprecated ``BasicAuth``)."""
    parsed = httpx.URL(url)
    headers = {}
    if parsed.username and parsed.password:
        pair = f"{parsed.username}:{parsed.password}".encode()
        headers["Proxy-Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
    return _MaskedProxy(parsed.copy_with(username=None, password=None), headers=headers)


class _ForwardAuth(httpx.AsyncBaseTransport):
    """Adds ``Proxy-Authorization`` to ``http://`` requests, which go to the proxy whole:
    aiohttp sends a proxy's headers only on the ``CONNECT`` of ``https://`` requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport, value: str) -> None:
        self.inner = inner
        self._value = value

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            request.headers["Proxy-Authorization"] = self._value
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def aiohttp_forward_auth(
    transport: httpx.AsyncBaseTransport, proxy: httpx.Proxy | None
) -> httpx.AsyncBaseTransport:
    """``transport`` (an httpx-aiohttp one, going through ``proxy``), made to send the
    proxy's credentials on forwarded ``http://`` requests as httpx's transports do."""
    value = None if proxy is None else proxy.headers.get("Proxy-Authorization")
    return transport if value is None else _ForwardAuth(transport, value)


_T = TypeVar("_T", httpx.BaseTransport, httpx.AsyncBaseTransport)


class _Routing(Generic[_T]):
    """What the two routers share: a transport per proxy URL and one direct, built by
    ``make(proxy)`` (``None``: direct), and the choice per request URL."""

    def __init__(self, routes: ProxyRoutes, make: Callable[[httpx.Proxy | None], _T]) -> None:
        self.routes = routes
        self.direct: _T = make(None)
        self._via: dict[str, _T] = {url: make(_proxy(url)) for url in set(routes.proxies.values())}
        self._cache: dict[str, str | None] = {}

    def route(self, url: httpx.URL) -> _T:
        key = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if key not in self._cache:
            self._cache[key] = self.routes.proxy_for(key)
        proxy = self._cache[key]
        return self.direct if proxy is None else self._via[proxy]


class ProxyRouter(_Routing[httpx.BaseTransport], httpx.BaseTransport):
    """Sends each request over ``direct`` or over the transport of its proxy
    (``routes.proxy_for``); ``make(proxy)`` builds a transport (``None``: direct)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.route(request.url).handle_request(request)

    def close(self) -> None:
        self.direct.close()
        for transport in self._via.values():
            transport.close()


class AsyncProxyRouter(_Routing[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """:class:`ProxyRouter` for async transports (httpx's own or httpx-aiohttp's)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.route(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        await self.direct.aclose()
        for transport in self._via.values():
            await transport.aclose()


#: Transports that only wrap another (``class module, class name`` -> the attribute holding
#: it); matched along the MRO, so subclasses count. Named, not imported: the recorders
#: live in ``testing``, above this module.
_WRAPPERS: Final = {
    ("personalize_lite.testing._record", "RecordingTransport"): "_inner",
    ("personalize_lite.testing._record", "AsyncRecordingTransport"): "_inner",
    (__name__, "_ForwardAuth"): "inner",
}
#: How deep wrappers are unwrapped before giving up (None: unsure).
_MAX_WRAPPERS: Final = 8


def _wrapped(transport: object) -> tuple[bool, object]:
    """(True, the transport it wraps) for a known wrapper, else (False, None)."""
    for cls in type(transport).__mro__:
        attribute = _WRAPPERS.get((cls.__module__, cls.__qualname__))
        if attribute is not None:
            return True, getattr(transport, attribute, None)
    return False, None


def _sends_directly(transport: object) -> bool:
    """Whether ``transport`` is known not to send through a proxy. Unwraps our recorders
    and :class:`_ForwardAuth` (a wrapper is as direct as what it wraps)."""
    for _ in range(_MAX_WRAPPERS):
        is_wrapper, inner = _wrapped(transport)
        if not is_wrapper:
            break
        transport = inner
    else:
        return False
    if not isinstance(transport, httpx.BaseTransport | httpx.AsyncBaseTransport):
        return False
    if isinstance(transport, ProxyRouter | AsyncProxyRouter):
        return False  # routes some requests through a proxy (its .direct is taken above)
    if isinstance(transport, httpx.HTTPTransport | httpx.AsyncHTTPTransport):
        pool = getattr(transport, "_pool", None)
        proxied = ("HTTPProxy", "SOCKSProxy", "AsyncHTTPProxy", "AsyncSOCKSProxy")
        return pool is not None and type(pool).__name__ not in proxied
    if type(transport).__module__.startswith("httpx_aiohttp"):
        if getattr(transport, "proxy", None) is not None:
            return False
        session = getattr(transport, "client", None)
        if session is not None and callable(session):
            return False  # a factory: what session it makes is unknown until it runs
        return not getattr(session, "trust_env", False)
    return True


def direct_transport(client: httpx.Client | httpx.AsyncClient) -> Any:
    """The transport of ``client`` that sends without a proxy, or None when there may be
    none (the caller then sends over a private direct client): the credential
    endpoints' requests (``Send.direct``) go over it.

    httpx keeps the proxies of ``proxy=`` and of ``trust_env`` (``HTTP_PROXY``...) in the
    client's mounts, never in its base transport, which is returned unless it is itself
    a proxy (an ``HTTPTransport(proxy=...)``, an ``AiohttpTransport(proxy=...)``, one
    whose aiohttp session trusts the environment, or one given a session factory, whose
    session is unknown). Our recorders and wrappers are unwrapped: they are as direct as
    what they wrap. A transport of another kind (a mock, your own) cannot be looked
    into and is taken as direct. ``client._transport`` is private httpx API, read
    defensively: if it is missing, None.
    """
    transport = getattr(client, "_transport", None)
    if isinstance(transport, ProxyRouter | AsyncProxyRouter):
        return transport.direct
    return transport if _sends_directly(transport) else None
