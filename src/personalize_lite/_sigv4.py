"""SigV4 signing through botocore's ``SigV4Auth``: the only module that imports botocore.

We use botocore for the signature arithmetic only (``botocore.auth``). The signing time
is an argument, never read here, and we call the signer's steps ourselves instead of
``add_auth``: that is what makes the time injectable, and it skips the DEBUG lines
``add_auth`` logs (the canonical request, which holds the session token, and the
signature).

What we do not take from botocore is the cost around its arithmetic (docs/benchmarks.md
has the measurements):

* ``AWSRequest`` and botocore's ``HTTPHeaders`` (built on ``email.message``) are replaced
  by :class:`_Request` and :class:`_Headers`, which carry exactly what the signer reads.
  ``_Headers`` keeps botocore's semantics: names match case-insensitively, assignment
  appends, deletion removes every value, and insertion order is the wire order.
* ``headers_to_sign`` and ``signed_headers`` are computed once per request (botocore
  computes each twice); the ``host`` value and the canonical path once per URL, with
  botocore's own ``_host_from_url`` and ``_normalize_url_path``.
* The signing key (four HMACs over secret, date, region and service) is kept for the
  last few (secret, date, region, service) tuples: it is a pure function of them, valid
  for that UTC day only, and lives only in this process's memory, like the secret.
* What a request's canonical form owes only to its URL, its headers and the session
  token (botocore's ``_modify_request_before_signing``, ``headers_to_sign``,
  ``canonical_headers``, ``signed_headers``, the canonical path and query) is worked out
  once by those steps with the date held open (:class:`_Template`); each request then
  puts its own ``X-Amz-Date`` and payload hash in, and botocore's ``string_to_sign``,
  signature and ``_inject_signature_to_request`` finish it. A client sends a handful of
  distinct templates (one per operation and token). A request that sets a header
  botocore manages itself (``Date``, ``X-Amz-Date``, ``Authorization``,
  ``X-Amz-Security-Token``, ``X-Amz-Content-SHA256``) goes through botocore's
  ``canonical_request`` whole.

``tests/test_sigv4.py`` checks the result byte for byte against ``SigV4Auth.add_auth`` on
a real ``AWSRequest``, the captured botocore requests and the AWS SigV4 test suite.
"""

from __future__ import annotations

import functools
import math
import time
from datetime import datetime
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SIGV4_TIMESTAMP, SigV4Auth, _host_from_url

from .credentials._base import Credentials

__all__ = ["SERVICE", "sign_headers"]

#: The SigV4 service name (the endpoint prefix) of Amazon Personalize.
SERVICE = "personalize"

_UNSIGNED: frozenset[str] = frozenset(SIGNED_HEADERS_BLACKLIST)


class _Keys(NamedTuple):
    """The attribute names botocore's signer reads (``access_key``, ``secret_key``, ``token``)."""

    access_key: str
    secret_key: str
    token: str | None

    def __repr__(self) -> str:
        """The access key id only (kept signers hold these for the process's life)."""
        return f"_Keys(access_key={self.access_key!r}, secret_key=***, token=***)"


class _Headers:
    """The slice of botocore's ``HTTPHeaders`` its signer uses, over a plain list (with
    the lower-cased names alongside, so that membership is one C-level list search)."""

    __slots__ = ("_items", "_names")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._names = [name.lower() for name, _ in items]

    def __contains__(self, name: object) -> bool:
        return str(name).lower() in self._names

    def __getitem__(self, name: str) -> str:
        lname = name.lower()
        if lname not in self._names:
            raise KeyError(name)
        return self._items[self._names.index(lname)][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._items.append((name, value))
        self._names.append(name.lower())

    def __delitem__(self, name: str) -> None:
        lname = name.lower()
        kept = [
            (item, low) for item, low in zip(self._items, self._names, strict=True) if low != lname
        ]
        self._items[:] = [item for item, _ in kept]
        self._names[:] = [low for _, low in kept]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)


class _AuthorizationSink:
    """``request.headers`` for ``_inject_signature_to_request``, which only sets
    ``Authorization``: appended to the output."""

    __slots__ = ("_out",)

    def __init__(self, out: list[tuple[str, str]]) -> None:
        self._out = out

    def __setitem__(self, name: str, value: str) -> None:
        self._out.append((name, value))


class _SignedHeaders(dict[str, list[str]]):
    """Lower-cased name -> values (iterating gives the names, as botocore's signer
    expects): what ``canonical_headers`` and ``signed_headers`` read."""

    __slots__ = ("signed",)

    def __init__(self) -> None:
        super().__init__()
        #: botocore's ``signed_headers`` of this map, kept: the signer asks twice.
        self.signed: str | None = None

    def get_all(self, name: str) -> list[str]:
        return self[name]


class _Request:
    """The attributes of ``AWSRequest`` that ``SigV4Auth``'s steps read."""

    __slots__ = ("_to_sign", "body", "context", "headers", "method", "params", "url")

    def __init__(
        self, method: str, url: str, headers: _Headers | _AuthorizationSink, body: bytes
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}
        self.context: dict[str, Any] = {}
        self._to_sign: _SignedHeaders | None = None


@functools.lru_cache(maxsize=64)
def _host(url: str) -> str:
    return str(_host_from_url(url))


@functools.lru_cache(maxsize=32)
def _normalized_path(path: str) -> str:
    """botocore's canonical URI path (it reads nothing from its instance), per path."""
    return str(SigV4Auth._normalize_url_path(None, path))


@functools.lru_cache(maxsize=32)
def _canonical_query(url: str) -> str:
    """botocore's canonical query string of a URL (it reads nothing from its instance)."""
    return str(SigV4Auth._canonical_query_string_url(None, urlsplit(url)))


@functools.lru_cache(maxsize=8)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """The key derivation of ``SigV4Auth.signature``, with botocore's own HMAC step
    (``_sign`` reads nothing from its instance), kept per UTC day."""
    sign = SigV4Auth._sign
    k_date = sign(None, f"AWS4{secret}".encode(), day)
    k_region = sign(None, k_date, region)
    k_service = sign(None, k_region, service)
    return bytes(sign(None, k_service, "aws4_request"))


class _Signer(SigV4Auth):  # type: ignore[misc]  # botocore ships no type information
    def headers_to_sign(self, request: _Request) -> _SignedHeaders:
        """botocore's selection (lower-cased, minus its blacklist, plus ``host``), once."""
        if request._to_sign is None:
            # A request with a sink for headers has its template's map already.
            assert isinstance(request.headers, _Headers)
            selected = _SignedHeaders()
            for name, value in request.headers.items():
                lname = name.lower()
                if lname not in _UNSIGNED:
                    selected.setdefault(lname, []).append(value)
            if "host" not in selected:
                selected["host"] = [_host(request.url)]
            request._to_sign = selected
        return request._to_sign

    def canonical_headers(self, headers_to_sign: _SignedHeaders) -> str:
        """botocore's canonical headers in one frame: for each name in sorted order,
        ``name:`` and its values, each trimmed as ``SigV4Auth._header_value`` trims
        (``" ".join(value.split())``), joined with ``,``; lines joined with ``\\n``.
        botocore's takes a generator and two calls per value (about a sixth of a
        signature's instructions)."""
        return "\n".join(
            [
                f"{name}:{','.join([' '.join(value.split()) for value in headers_to_sign[name]])}"
                for name in sorted(headers_to_sign)
            ]
        )

    def signed_headers(self, headers_to_sign: _SignedHeaders) -> str:
        if headers_to_sign.signed is None:
            headers_to_sign.signed = str(super().signed_headers(headers_to_sign))
        return headers_to_sign.signed

    def _normalize_url_path(self, path: str) -> str:
        return _normalized_path(path)

    def canonical_query_string(self, request: _Request) -> str:
        """botocore's, per URL: our requests carry no ``params`` (the query, if any, is
        in the URL), so it is a function of the URL alone."""
        if request.params:  # pragma: no cover - never set by sign_headers
            return str(super().canonical_query_string(request))
        return _canonical_query(request.url)

    def signature(self, string_to_sign: str, request: _Request) -> str:
        key = _signing_key(
            self.credentials.secret_key,
            request.context["timestamp"][0:8],
            self._region_name,
            self._service_name,
        )
        return str(self._sign(key, string_to_sign, hex=True))


def _timestamp(now: datetime) -> str:
    """``SIGV4_TIMESTAMP`` (``%Y%m%dT%H%M%SZ``) of an aware time: one format per second."""
    return _format_second(math.floor(now.timestamp()))


@functools.lru_cache(maxsize=4)
def _format_second(epoch: int) -> str:
    return time.strftime(SIGV4_TIMESTAMP, time.gmtime(epoch))


#: Stands for the ``X-Amz-Date`` value while a :class:`_Template` is made: no header
#: value of ours holds a NUL (httpx refuses one), and SigV4's trimming keeps it whole.
_DATE_SLOT: Final = "\x00x-amz-date\x00"
#: Headers botocore's ``_modify_request_before_signing`` or ``canonical_request`` reads
#: or replaces: a request that carries one is signed the long way (a template assumes
#: that botocore adds ``X-Amz-Date`` and the token itself).
_BOTOCORE_SETS: Final = frozenset(
    {"authorization", "date", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}
)


class _Template:
    """What a signature needs that depends only on the URL, the signed headers given to
    :func:`sign_headers` and the session token, made once by botocore's own steps
    (``_modify_request_before_signing``, ``headers_to_sign``, ``canonical_headers``,
    ``signed_headers``) with the date held open: the headers botocore appends (``tail``,
    ``X-Amz-Date`` at ``date_index``, then the token's), the canonical path and query, and
    the canonical header block split where the date goes. The ``X-Amz-Date`` value is a
    timestamp (no spaces to trim), so putting it there gives the block botocore computes
    for that time. Unsigned headers (``User-Agent``, the Lambda ``X-Amzn-Trace-Id``, new
    for every invocation) are not part of it: they change nothing botocore signs."""

    __slots__ = ("after", "before", "date_index", "path_and_query", "tail", "to_sign")

    def __init__(self, signer: _Signer, request: _Request, tail: list[tuple[str, str]]) -> None:
        self.tail = tuple(tail)
        self.date_index = tail.index(("X-Amz-Date", _DATE_SLOT))
        self.to_sign = signer.headers_to_sign(request)
        self.before, _, self.after = signer.canonical_headers(self.to_sign).partition(_DATE_SLOT)
        signer.signed_headers(self.to_sign)  # computed now, kept on the map
        path = signer._normalize_url_path(urlsplit(request.url).path)
        self.path_and_query = f"{path}\n{signer.canonical_query_string(request)}"


@functools.lru_cache(maxsize=32)
def _template(url: str, signed: tuple[tuple[str, str], ...], token: str | None) -> _Template | None:
    """The template of a request with these signed headers (None: sign it the long way);
    a client sends a handful of distinct ones (one per operation and session token). A
    NUL anywhere (where the date's stand-in could be matched) or a header botocore
    manages itself means the long way."""
    if "\x00" in url or (token is not None and "\x00" in token):
        return None
    for name, value in signed:
        if name.lower() in _BOTOCORE_SETS or "\x00" in name or "\x00" in value:
            return None
    signer = _Signer(_Keys("", "", token), "", "")
    out = list(signed)
    request = _Request("POST", url, _Headers(out), b"")
    request.context["timestamp"] = _DATE_SLOT
    signer._modify_request_before_signing(request)
    # With none of the headers it manages present, botocore only appends (X-Amz-Date,
    # then the token's): what it appended is the tail every request of this template gets.
    if out[: len(signed)] != list(signed):  # pragma: no cover - botocore changed its steps
        return None
    return _Template(signer, request, out[len(signed) :])


@functools.lru_cache(maxsize=8)
def _signer(
    access_key: str, secret_key: str, token: str | None, region: str, service: str
) -> _Signer:
    """The signer of a set of keys in a region (it holds no state of a request)."""
    return _Signer(_Keys(access_key, secret_key, token), service, region)


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
    token) and ``Authorization``, in botocore's order, signed for ``now`` (aware).

    The canonical request is botocore's ``canonical_request`` put together from its
    parts: the ones fixed for the URL, signed headers and token come from the request's
    :class:`_Template`; the date, and the payload hash (botocore's ``payload``), are the
    request's own. The string to sign, the signature and the ``Authorization`` header are
    botocore's steps. A request that sets a header botocore manages (``Date``,
    ``X-Amz-Date``, ...) takes botocore's ``canonical_request`` whole."""
    token = credentials.session_token
    signer = _signer(
        credentials.access_key_id, credentials.secret_access_key, token, region, service
    )
    timestamp = _timestamp(now)
    template = _template(
        url,
        tuple([(name, value) for name, value in headers if name.lower() not in _UNSIGNED]),
        token,
    )
    if template is None:
        out = list(headers)
        request = _Request(method, url, _Headers(out), body)
        request.context["timestamp"] = timestamp
        signer._modify_request_before_signing(request)
        canonical = signer.canonical_request(request)
    else:
        out = [*headers, *template.tail]
        out[len(headers) + template.date_index] = ("X-Amz-Date", timestamp)
        request = _Request(method, url, _AuthorizationSink(out), body)
        request.context["timestamp"] = timestamp
        request._to_sign = template.to_sign
        canonical = "\n".join(
            [
                method.upper(),
                template.path_and_query,
                f"{template.before}{timestamp}{template.after}\n",
                str(template.to_sign.signed),
                signer.payload(request),
            ]
        )
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signer._inject_signature_to_request(request, signature)
    return out
