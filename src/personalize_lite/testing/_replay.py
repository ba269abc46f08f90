"""Replay cassettes in your own tests, sync or async, through respx.

::

    from personalize_lite import PersonalizeClient
    from personalize_lite.testing import replay

    with replay("active-full") as r:               # a bundled cassette, or a path
        with PersonalizeClient(region="us-east-1") as client:
            job = client.describe_batch_inference_job(ARN)
    assert len(r.calls) == 1

    @replay("lifecycle")                            # or as a decorator (sync or async)
    def test_waits_for_the_job() -> None: ...

respx intercepts at the httpx client level (``using="httpx"``), so every httpx client is
served (the async client's aiohttp transport included), whatever host or region the
client resolves, and nothing reaches the network. Only requests whose ``X-Amz-Target``
starts with ``AmazonPersonalize.`` are answered; any other request falls through to
respx's other routers (yours, if you mock other services). respx is imported when a
replay starts, never on import: it comes with the ``testing`` extra.

Matching: method, ``X-Amz-Target`` and the canonical JSON body (never signature, date or
host). Several matching interactions of a cassette are served in order and the last one
repeats. With several cassettes, the first that knows the request answers it. A request
no cassette knows raises :class:`CassetteMismatchError` (an ``AssertionError``) naming
the closest recorded request and what differs. If the code under test swallows that
error, leaving the ``with`` block (or the decorated test) raises it again.

Strict replay (``strict=True``) also requires the request to be signed exactly as it was
recorded: every recorded request header must match, ``Authorization`` and
``X-Amz-Date`` included, so any change in signing or framing fails. That is only
possible for cassettes recorded with the AWS documentation's example keys
(``AKIDEXAMPLE``); anything else is refused when the replay is created. Such a cassette
carries those keys under a top-level ``example_credentials`` key (they are public, and
the cassette is useless without them; :mod:`._cassette` refuses any other keys), and the
replay exposes what the client needs to sign the same bytes::

    with replay("strict-active", strict=True) as r:
        client = PersonalizeClient(region="us-east-1", credentials=r.credentials,
                                   clock=r.clock)

``r.clock`` returns the recorded ``X-Amz-Date`` of the next interaction to be served
(in cassette order) as an aware UTC datetime.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Union, cast

import attrs
import httpx

from ..credentials import Credentials
from ._cassette import (
    EXAMPLE_ACCESS_KEY_ID,
    Cassette,
    CassetteError,
    Interaction,
    authorization_key_id,
    load_cassette,
    load_cassettes,
    match_key,
)
from ._fixtures import default_fixtures

__all__ = [
    "CassetteMismatchError",
    "CassetteSource",
    "Replay",
    "ReplayedCall",
    "bundled_cassettes",
    "replay",
]

#: A cassette to replay: a bundled name ("active-full"), a path (file or directory of
#: ``*.json``), or a :class:`Cassette` (replayed from a fresh copy).
CassetteSource = Union[str, "os.PathLike[str]", Cassette]
F = TypeVar("F", bound=Callable[..., Any])

_TARGET_PREFIX = "AmazonPersonalize."
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class CassetteMismatchError(AssertionError):
    """A request the cassettes do not hold (or, in strict replay, one not signed as
    recorded). The message names the closest recorded request and what differs."""


@attrs.frozen(kw_only=True)
class ReplayedCall:
    """One request a replay answered."""

    request: httpx.Request
    response: httpx.Response
    #: The cassette's name (its file stem) and the 1-based number of the interaction.
    cassette: str
    interaction: int


def bundled_cassettes() -> Path:
    """The directory of the bundled cassettes (``default_fixtures()``)."""
    return default_fixtures()


def _is_bare_name(source: str) -> bool:
    return not any(sep and sep in source for sep in (os.sep, os.altsep, "/"))


def _load(source: CassetteSource) -> list[Cassette]:
    if isinstance(source, Cassette):
        return [source]
    if isinstance(source, str) and _is_bare_name(source):
        directory = bundled_cassettes()
        path = directory / f"{source.removesuffix('.json')}.json"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in directory.glob("*.json")))
            raise CassetteError(f"no bundled cassette named {source!r}; bundled: {known}")
        return [load_cassette(path)]
    path = Path(source)
    if path.is_dir():
        found = load_cassettes([path])
        if not found:
            raise CassetteError(f"{path}: no *.json cassettes in this directory")
        return found
    if not path.is_file():
        raise CassetteError(f"cassette file {path} does not exist")
    return [load_cassette(path)]


def _parse_amz_date(value: str) -> datetime:
    return datetime.strptime(value, _AMZ_DATE).replace(tzinfo=timezone.utc)


def _check_strict(cassette: Cassette) -> None:
    for number, interaction in enumerate(cassette.interactions, start=1):
        where = f"cassette {cassette.name!r}, interaction {number}"
        request = interaction.request
        authorization = "" if request is None else request.header("Authorization")
        problem = None
        if not authorization:
            problem = "has no recorded Authorization header"
        elif "REDACTED" in authorization:
            problem = "has a redacted signature (it was recorded with real credentials)"
        elif authorization_key_id(authorization) != EXAMPLE_ACCESS_KEY_ID:
            problem = f"was not signed with the example key id {EXAMPLE_ACCESS_KEY_ID}"
        elif request is not None and not request.header("X-Amz-Date"):
            problem = "has no recorded X-Amz-Date header"
        elif request is not None and "REDACTED" in request.header("X-Amz-Security-Token"):
            problem = "was signed with a session token, which is never recorded"
        if problem:
            raise CassetteError(
                f"strict replay: {where} {problem}; strict replay needs a cassette recorded "
                f"with the AWS documentation example keys ({EXAMPLE_ACCESS_KEY_ID}), see "
                "personalize_lite.testing.RecordingTransport"
            )


# Every replay that is running, in start order. The first one's respx route answers for
# all of them, so several replays (nested, or started by the pytest fixture) cooperate.
_ACTIVE: list[Replay] = []
_ACTIVE_LOCK = threading.Lock()


def _dispatch(request: httpx.Request) -> httpx.Response | None:
    __tracebackhide__ = True  # pytest: the error is the message, not this frame
    target = request.headers.get("X-Amz-Target", "")
    if not target.startswith(_TARGET_PREFIX):
        return None  # not ours: fall through to other respx routes
    key = match_key(request.method, request.headers, request.content)
    with _ACTIVE_LOCK:
        active = list(_ACTIVE)
    for replay in active:
        response = replay._serve(key, request)
        if response is not None:
            return response
    error = CassetteMismatchError(_describe_mismatch(key, active))
    if active:
        active[0]._mismatches.append(error)
    raise error


def _body_fields(body: str) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _differences(recorded: tuple[str, str, str], sent: tuple[str, str, str]) -> list[str]:
    lines = []
    if recorded[0] != sent[0]:
        lines.append(f"method: recorded {recorded[0]}, sent {sent[0]}")
    if recorded[1] != sent[1]:
        lines.append(f"X-Amz-Target: recorded {recorded[1]!r}, sent {sent[1]!r}")
    if recorded[2] != sent[2]:
        old, new = _body_fields(recorded[2]), _body_fields(sent[2])
        if old is None or new is None:
            lines.append(f"body: recorded {recorded[2]!r}, sent {sent[2]!r}")
        else:
            for field in sorted(old.keys() | new.keys()):
                if field not in new:
                    lines.append(f"body field {field!r}: recorded {old[field]!r}, not sent")
                elif field not in old:
                    lines.append(f"body field {field!r}: not recorded, sent {new[field]!r}")
                elif old[field] != new[field]:
                    lines.append(
                        f"body field {field!r}: recorded {old[field]!r}, sent {new[field]!r}"
                    )
    return lines


def _describe_mismatch(key: tuple[str, str, str], active: list[Replay]) -> str:
    method, target, body = key
    lines = [
        "no recorded interaction matches this request",
        f"  sent:    {method} {target} {body}",
    ]
    best: tuple[tuple[bool, bool, float], Cassette, int, Interaction] | None = None
    for replay in active:
        for cassette in replay.cassettes:
            for number, interaction in enumerate(cassette.interactions, start=1):
                recorded = interaction.key
                ratio = difflib.SequenceMatcher(None, recorded[2], body).ratio()
                score = (recorded[1] == target, recorded[0] == method, ratio)
                if best is None or score > best[0]:
                    best = (score, cassette, number, interaction)
    if best is None:
        lines.append("  the cassettes hold no interactions")
    else:
        (_, _, ratio), cassette, number, interaction = best
        recorded = interaction.key
        lines.append(
            f"  closest: cassette {cassette.name!r}, interaction {number}"
            f" (body similarity {math.floor(ratio * 1000) / 1000:.3f})"
        )
        lines.append(f"           {recorded[0]} {recorded[1]} {recorded[2]}")
        lines.extend(f"  differs: {line}" for line in _differences(recorded, key))
    names = [f"{c.name} ({len(c.interactions)})" for r in active for c in r.cassettes]
    lines.append(f"  cassettes (interactions): {', '.join(names) or 'none'}")
    lines.append("  (requests match on method, X-Amz-Target and the canonical JSON body)")
    return "\n".join(lines)


def _shown_authorization(value: str) -> str:
    """An Authorization value fit for an error message: a signature made with anything but
    the example keys is not shown."""
    if not value or authorization_key_id(value) == EXAMPLE_ACCESS_KEY_ID:
        return value or "(none)"
    head, _, _ = value.partition("Signature=")
    return head + "Signature=(hidden: not signed with the example keys)"


def _signed_headers(authorization: str) -> str:
    for part in authorization.split(","):
        name, _, value = part.strip().partition("=")
        if name.endswith("SignedHeaders"):
            return value
    return "(none)"


def _strict_problems(interaction: Interaction, request: httpx.Request) -> list[str]:
    recorded = interaction.request
    assert recorded is not None  # checked when the replay was created
    problems = []
    for name, value in recorded.headers.items():
        sent = request.headers.get(name, "")
        if sent != value and name.lower() != "authorization":
            problems.append(f"{name}: recorded {value!r}, sent {sent!r}")
    authorization = recorded.header("Authorization")
    sent_authorization = request.headers.get("Authorization", "")
    if sent_authorization != authorization:
        problems[:0] = [
            f"Authorization recorded: {authorization}",
            f"Authorization sent:     {_shown_authorization(sent_authorization)}",
            f"signed headers recorded: {_signed_headers(authorization)}",
            f"signed headers sent:     {_signed_headers(sent_authorization)}",
        ]
    return problems


def _strict_message(
    cassette: Cassette, number: int, interaction: Interaction, request: httpx.Request
) -> str | None:
    problems = _strict_problems(interaction, request)
    if not problems:
        return None
    recorded = interaction.request
    assert recorded is not None
    lines = [
        f"strict replay: the request matches cassette {cassette.name!r}, interaction {number},"
        " but was not sent as recorded",
        *(f"  {p}" for p in problems),
        f"  X-Amz-Date recorded: {recorded.header('X-Amz-Date') or '(none)'},"
        f" sent: {request.headers.get('X-Amz-Date', '(none)')}",
    ]
    if recorded.url and httpx.URL(recorded.url) != request.url:
        lines.append(f"  URL recorded: {recorded.url}, sent: {request.url}")
    lines.append(
        "  (sign with credentials=replay.credentials and clock=replay.clock, for the"
        " recorded region and endpoint)"
    )
    return "\n".join(lines)


class Replay:
    """Cassettes served through respx while started (a context manager and a decorator).

    ``calls`` lists the requests answered, ``mismatches`` the requests refused,
    ``cassettes`` the cassettes being served (fresh copies: their served counts are this
    replay's own).
    """

    def __init__(self, *cassettes: CassetteSource, strict: bool = False) -> None:
        if not cassettes:
            raise CassetteError("replay needs at least one cassette (a bundled name or a path)")
        self.strict = bool(strict)
        self._templates = [c for source in cassettes for c in _load(source)]
        if self.strict:
            for cassette in self._templates:
                _check_strict(cassette)
        self._cassettes = [c.fresh() for c in self._templates]
        self._calls: list[ReplayedCall] = []
        self._mismatches: list[CassetteMismatchError] = []
        self._served: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._router: Any = None

    # ------------------------------------------------------------------ inspection
    @property
    def cassettes(self) -> list[Cassette]:
        return list(self._cassettes)

    @property
    def calls(self) -> list[ReplayedCall]:
        with self._lock:
            return list(self._calls)

    @property
    def mismatches(self) -> list[CassetteMismatchError]:
        return list(self._mismatches)

    @property
    def started(self) -> bool:
        return self._router is not None

    @property
    def credentials(self) -> Credentials:
        """The example credentials stored in the (strict) cassettes."""
        for cassette in self._cassettes:
            if cassette.example_credentials is not None:
                return cassette.example_credentials
        raise CassetteError(
            "none of these cassettes carries example_credentials (only cassettes recorded "
            f"with the AWS documentation example keys, {EXAMPLE_ACCESS_KEY_ID}, do)"
        )

    def clock(self) -> datetime:
        """The recorded ``X-Amz-Date`` of the next interaction to be served (cassette
        order; once all were served, the last one's), as an aware UTC datetime."""
        with self._lock:
            dated = [
                ((ci, ii), interaction.request.header("X-Amz-Date"))
                for ci, cassette in enumerate(self._cassettes)
                for ii, interaction in enumerate(cassette.interactions)
                if interaction.request is not None and interaction.request.header("X-Amz-Date")
            ]
            if not dated:
                raise CassetteError("replay.clock: no interaction has a recorded X-Amz-Date")
            pending = [date for position, date in dated if position not in self._served]
        return _parse_amz_date(pending[0] if pending else dated[-1][1])

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self._cassettes)
        state = "started" if self.started else "stopped"
        return f"<Replay [{names}] strict={self.strict} {state} calls={len(self._calls)}>"

    # ------------------------------------------------------------------ serving
    def _serve(self, key: tuple[str, str, str], request: httpx.Request) -> httpx.Response | None:
        for ci, cassette in enumerate(self._cassettes):
            interaction = cassette.next_interaction(key)
            if interaction is None:
                continue
            ii = next(i for i, x in enumerate(cassette.interactions) if x is interaction)
            if self.strict:
                message = _strict_message(cassette, ii + 1, interaction, request)
                if message is not None:
                    error = CassetteMismatchError(message)
                    self._mismatches.append(error)
                    raise error
            recorded = interaction.response
            response = httpx.Response(
                recorded.status,
                headers=list(recorded.headers.items()),
                content=recorded.body.encode("utf-8"),
                request=request,
            )
            with self._lock:
                self._served.add((ci, ii))
                self._calls.append(
                    ReplayedCall(
                        request=request,
                        response=response,
                        cassette=cassette.name,
                        interaction=ii + 1,
                    )
                )
            return response
        return None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Replay:
        """Start serving (fresh cassettes: nothing served yet)."""
        if self._router is not None:
            raise RuntimeError("this replay is already started")
        respx = _import_respx()
        self._cassettes = [c.fresh() for c in self._templates]
        self._calls, self._mismatches, self._served = [], [], set()
        router = respx.mock(using="httpx", assert_all_called=False)
        router.route().mock(side_effect=_dispatch)
        router.start()
        self._router = router
        with _ACTIVE_LOCK:
            _ACTIVE.append(self)
        return self

    def stop(self) -> None:
        """Stop serving. Never raises for mismatches (see :meth:`__exit__`)."""
        router, self._router = self._router, None
        if router is None:
            return
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
        router.stop(quiet=True)

    def check(self) -> None:
        """Raise the first mismatch, if the code under test swallowed any."""
        if self._mismatches:
            first = self._mismatches[0]
            raise CassetteMismatchError(
                f"{len(self._mismatches)} request(s) did not match the cassettes and the "
                f"error was not raised to the test; the first one:\n{first}"
            ) from first

    def __enter__(self) -> Replay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.check()

    @contextlib.contextmanager
    def _activated(self) -> Iterator[Replay]:
        with Replay(*self._templates, strict=self.strict) as fresh:
            yield fresh

    def __call__(self, func: F) -> F:
        """Decorate a test (sync or async): each call runs under a fresh replay."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._activated():
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._activated():
                return func(*args, **kwargs)

        return cast(F, run)


def _import_respx() -> Any:
    try:
        import respx
    except ImportError as exc:  # pragma: no cover - respx is installed in the test env
        raise ImportError(
            "replaying cassettes needs respx: pip install 'personalize-lite[testing]'"
        ) from exc
    return respx


def replay(*cassettes: CassetteSource, strict: bool = False) -> Replay:
    """Replay cassettes through respx: ``with replay("active-full") as r: ...`` or
    ``@replay("active-full")``. See the module documentation."""
    return Replay(*cassettes, strict=strict)
