"""The httpx adapter both drivers share: the ``verify=`` and pool of the clients we
create, a Send step as an ``httpx.Request`` (timeouts clamped to the attempt's deadline),
an ``httpx.Response`` as our :class:`HttpResponse`, and :class:`Exchange`, one attempt's
bounded, incrementally decoded reading of a reply. No I/O here: the drivers send.
"""

from __future__ import annotations

import functools
import ssl
import zlib
from collections.abc import Callable, Iterator
from typing import Final

import httpx

from ._call import TRACE_HEADER
from ._errors import (
    ConfigurationError,
    PersonalizeError,
    ReadTimeoutError,
    ResponseTooLargeError,
)
from ._steps import HttpResponse, Send

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "POOL_LIMITS",
    "Exchange",
    "attempt_seconds",
    "build_request",
    "tls_verify",
    "to_response",
]


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

#: The default cap on one reply, in decoded bytes (a DescribeBatchInferenceJob reply is
#: a few KiB; credential replies smaller still).
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024


@functools.lru_cache(maxsize=32)
def _url(url: str) -> httpx.URL:
    """Parsed once per URL (immutable, so shared): parsing was ~12 us of every call."""
    return httpx.URL(url)


def _header_dict(response: httpx.Response) -> dict[str, str]:
    """A reply's headers: lower-case names, repeated headers joined with ", " (as
    ``httpx.Headers.items()`` does, but deciding the header encoding once: httpx
    recomputes it for every name and value, and each ``headers.get`` scans them all)."""
    raw = response.headers
    encoding = raw.encoding
    headers: dict[str, str] = {}
    for key, value in raw.raw:
        name = key.decode(encoding).lower()
        text = value.decode(encoding)
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


def to_response(
    response: httpx.Response,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Our response value, with :func:`_header_dict`'s headers (``headers``: already
    taken from ``response``).

    ``body``: the decoded body when the driver read it (:class:`Exchange` does); None:
    ``response.content``.
    """
    if headers is None:
        headers = _header_dict(response)
    if body is None:
        body = response.content
    return HttpResponse(status_code=response.status_code, headers=headers, body=body)


#: Sent on every request: we ask for no compression (botocore does not either). httpx
#: offers ``gzip, deflate`` by default, and a ~1 MB gzip reply inflates past 1 GiB.
_NO_COMPRESSION: Final = ("Accept-Encoding", "identity")


def _step_timeout(step: Send, timeout: httpx.Timeout) -> httpx.Timeout:
    return timeout if step.timeout is None else httpx.Timeout(step.timeout)


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    step: Send,
    timeout: httpx.Timeout,
    *,
    seconds: float | None = None,
) -> httpx.Request:
    """The httpx request for a Send step; the step's own timeout wins over ``timeout``,
    and no phase exceeds the attempt's ``seconds``. It carries ``Accept-Encoding:
    identity`` (not signed: added after signing). An ``X-Amzn-Trace-Id`` among the
    ``client``'s own headers is kept over ours (botocore's rule: a trace header already
    set is not overridden; the header is not signed)."""
    request = step.request
    headers = request.headers
    if TRACE_HEADER in client.headers:
        headers = tuple(item for item in headers if item[0] != TRACE_HEADER)
    return client.build_request(
        request.method,
        _url(request.url),
        headers=[*headers, _NO_COMPRESSION],
        content=request.body,
        timeout=_clamped(_step_timeout(step, timeout), seconds),
    )


def attempt_seconds(timeout: httpx.Timeout) -> float | None:
    """The default per-attempt deadline for requests sent with ``timeout``: twice its
    largest phase (connect, read, write, pool). An honest attempt takes at most a connect
    and a first byte, each within its phase timeout; twice the largest leaves room for
    that and for a body that streams steadily, while a reply dripping in (each gap under
    the read timeout) is cut off. None when every phase is None (no timeout at all)."""
    phases = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return 2.0 * max(phases) if phases else None


def _clamped(timeout: httpx.Timeout, seconds: float | None) -> httpx.Timeout:
    """``timeout`` with no phase longer than the attempt's ``seconds``."""
    if seconds is None:
        return timeout
    return _clamped_phases(timeout.connect, timeout.read, timeout.write, timeout.pool, seconds)


@functools.lru_cache(maxsize=16)
def _clamped_phases(
    connect: float | None,
    read: float | None,
    write: float | None,
    pool: float | None,
    seconds: float,
) -> httpx.Timeout:
    """Built once per client setting, not per request (httpx copies it into each request)."""

    def clamp(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(
        connect=clamp(connect), read=clamp(read), write=clamp(write), pool=clamp(pool)
    )


#: The most one decompression step may produce: a 16 KiB chunk of a gzip bomb would
#: otherwise inflate to ~16 MiB in one call.
_INFLATE_STEP: Final = 64 * 1024


class _Inflater:
    """One ``gzip`` or ``deflate`` layer, decoded incrementally with a bounded output per
    step. Errors and leniency as httpx's decoders: a corrupt stream raises
    ``httpx.DecodingError``; a truncated one yields what it had; ``deflate`` accepts the
    zlib wrapper or a raw stream (decided on the first chunk)."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        wbits = zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16
        self._zlib = zlib.decompressobj(wbits)
        self._first = True

    def _inflate(self, data: bytes) -> bytes:
        try:
            return self._zlib.decompress(data, _INFLATE_STEP)
        except zlib.error as exc:
            message = str(exc)
        if self._deflate and self._first:  # not zlib-wrapped: try raw deflate
            self._first = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(data)
        raise httpx.DecodingError(message)

    def decode(self, data: bytes) -> Iterator[bytes]:
        out = self._inflate(data)
        self._first = False
        yield out
        while self._zlib.unconsumed_tail:
            yield self._inflate(self._zlib.unconsumed_tail)

    def flush(self) -> Iterator[bytes]:
        try:
            yield self._zlib.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from None


def _layers(content_encoding: str) -> list[_Inflater]:
    """The decoders for a ``Content-Encoding`` list, outermost first. ``identity`` and
    unknown codings are passed through, as httpx does for codings it cannot decode
    (``br`` and ``zstd`` included: we never decode them, so they never inflate)."""
    names = [name.strip().lower() for name in content_encoding.split(",")]
    codings = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
    return [_Inflater(codings[name]) for name in reversed(names) if name in codings]


class Exchange:
    """One attempt of a Send step, shared by both drivers; no I/O here.

    The driver sends :attr:`request`, calls :meth:`start` with the streamed response,
    feeds every raw chunk to :meth:`feed` and takes :meth:`finish`'s HttpResponse. Here:

    * the reply cap: ``Content-Length`` above it is refused before reading; raw and
      decoded bytes are counted as they arrive and past ``max_bytes`` reading stops with
      :class:`ResponseTooLargeError` (the driver closes the response);
    * decoding: a ``Content-Encoding`` the server sent anyway is decoded chunk by chunk
      in plain synchronous code, never more than ``_INFLATE_STEP`` bytes per step;
    * the attempt's deadline: :attr:`seconds` (the client's ``attempt_timeout``, or
      :func:`attempt_seconds` of the request's timeout, whichever is shorter), checked
      with ``monotonic`` after every body chunk: only while more is to come, so a reply
      already complete is never thrown away (and an injected clock that jumps while the
      transport serves a whole reply, as a cassette replay's does, stops nothing). The
      drivers also hold the whole exchange to :attr:`seconds` on real time: the async one
      cancels it at the deadline; the sync one gives every socket operation of the
      transports it builds only the time left (``_deadline.py``). Over a borrowed sync
      ``http_client`` a blocked read is bounded by its read timeout only.
    """

    def __init__(
        self,
        client: httpx.Client | httpx.AsyncClient,
        step: Send,
        *,
        timeout: httpx.Timeout,
        attempt_timeout: float | None,
        max_bytes: int,
        monotonic: Callable[[], float],
    ) -> None:
        effective = _step_timeout(step, timeout)
        seconds = attempt_seconds(effective)
        if attempt_timeout is not None:
            # The client's explicit deadline; a request with a timeout of its own (the
            # credential providers') keeps the shorter of the two.
            seconds = (
                attempt_timeout
                if step.timeout is None or seconds is None
                else min(attempt_timeout, seconds)
            )
        self.seconds = seconds
        self._monotonic = monotonic
        self._deadline = None if seconds is None else monotonic() + seconds
        self._max_bytes = max_bytes
        self._raw = 0
        self._size = 0
        self._parts: list[bytes] = []
        self._failure: PersonalizeError | httpx.DecodingError | None = None
        self._layers: list[_Inflater] = []
        self._response: httpx.Response | None = None
        self._headers: dict[str, str] = {}
        self.request = build_request(client, step, timeout, seconds=seconds)

    def timed_out(self) -> ReadTimeoutError:
        return ReadTimeoutError(
            f"the endpoint did not finish answering within the attempt deadline "
            f"({self.seconds:g} s, attempt_timeout)"
        )

    def _too_large(self, what: str) -> ResponseTooLargeError:
        assert self._response is not None
        return ResponseTooLargeError(
            f"the reply is larger than max_response_bytes ({self._max_bytes} bytes): {what}; "
            "stopped reading",
            limit=self._max_bytes,
            request_id=self._headers.get("x-amzn-requestid"),
        )

    def _check_deadline(self) -> None:
        if self._deadline is not None and self._monotonic() > self._deadline:
            raise self.timed_out()

    def start(self, response: httpx.Response) -> bool:
        """Check the head of the reply (raising at once if it is refused). True: read its
        body and :meth:`feed` it; False: the transport already read it."""
        self._response = response
        self._headers = headers = _header_dict(response)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise self._too_large(f"Content-Length: {int(length)}")
        if response.is_stream_consumed:
            self._add(response.content)
            return False
        self._layers = _layers(headers.get("content-encoding", ""))
        return True

    def _add(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max_bytes:
            raise self._too_large(f"more than {self._max_bytes} bytes decoded")
        if data:
            self._parts.append(data)

    def _decode(self, pieces: Iterator[bytes], layer: int) -> None:
        if layer == len(self._layers):
            for piece in pieces:
                self._add(piece)
            return
        decoder = self._layers[layer]
        for piece in pieces:
            self._decode(decoder.decode(piece), layer + 1)

    def feed(self, chunk: bytes) -> bool:
        """One raw chunk of the body, as it came off the wire. False: stop reading (the
        reply is too large, undecodable or late; :meth:`finish` raises why). It does not
        raise, so a driver can end the read from inside the stream (the async driver
        cancels it: a loop left by an exception leaves httpx's generators suspended)."""
        if self._failure is not None:
            return False
        self._raw += len(chunk)
        try:
            if self._raw > self._max_bytes:
                raise self._too_large(f"more than {self._max_bytes} bytes received")
            self._decode(iter((chunk,)), 0)
            self._check_deadline()
        except (PersonalizeError, httpx.DecodingError) as exc:
            self._failure = exc
            self._parts.clear()
            return False
        return True

    def finish(self) -> HttpResponse:
        """The whole reply, once the body has been read to its end; or the reason
        :meth:`feed` stopped."""
        assert self._response is not None
        if self._failure is not None:
            raise self._failure
        for layer, decoder in enumerate(self._layers):
            self._decode(decoder.flush(), layer + 1)
        return to_response(self._response, b"".join(self._parts), self._headers)
