"""What the loopback servers of ``tests/support`` (and test_proxy's recording proxy) record
and answer: one :class:`Seen` per request read, one scripted :class:`Reply` per answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus

__all__ = ["Reply", "Seen", "reason"]


@dataclass(frozen=True)
class Seen:
    """One request a server read completely."""

    method: str
    #: The request target as sent: origin-form (``/path``) to a server, absolute-form
    #: (``http://host:port/``) through a proxy, ``host:port`` for a CONNECT.
    target: str
    #: Header names lower-cased (a repeated header keeps its last value).
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, a body (a ``str`` is sent UTF-8 encoded) and headers.

    ``delay``: seconds to wait before answering (cut short when the server closes).
    ``content_length``: the declared length when it is not the body's (a larger one makes a
    body cut short). ``Content-Length`` is added unless ``headers`` has it.
    """

    status: int = 200
    body: bytes | str = b""
    headers: Sequence[tuple[str, str]] = ()
    delay: float = 0.0
    content_length: int | None = None

    def data(self) -> bytes:
        """The body as bytes."""
        return self.body.encode() if isinstance(self.body, str) else self.body

    def declared_length(self) -> int:
        """The ``Content-Length`` to send."""
        return len(self.data()) if self.content_length is None else self.content_length

    def has_header(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key, _ in self.headers)

    def head(self) -> bytes:
        """The status line and headers of a raw HTTP/1.1 reply (``Connection: close`` unless
        ``headers`` says otherwise), up to and including the blank line."""
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if not self.has_header("content-length"):
            lines.append(f"Content-Length: {self.declared_length()}")
        if not self.has_header("connection"):
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reason(status: int) -> str:
    """The reason phrase of ``status`` ("Unknown" for a code HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
