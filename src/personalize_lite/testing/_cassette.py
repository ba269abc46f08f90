"""Cassettes: recorded DescribeBatchInferenceJob exchanges (``fixtures/*.json``).

Format (version 1)::

    {"version": 1,
     "description": "...",                                   (optional)
     "example_credentials": {"access_key_id": "AKIDEXAMPLE",  (optional, strict cassettes)
                             "secret_access_key": "..."},
     "interactions": [
        {"request":  {"method": "POST", "url": "...", "headers": {...}, "body": "..."},
         "response": {"status": 200, "headers": {...}, "body": "..."}}]}

A request matches on method, ``X-Amz-Target`` and the canonical JSON body (never on
signature, date or host). Several matching interactions are served in order and the
last one repeats: that is how a cassette describes a job's life.

``example_credentials`` may only hold the AWS documentation's example keys: the key id
must be ``AKIDEXAMPLE`` and the secret must be the documented example secret (checked by
its SHA-256, so the secret itself is not written in this package). A cassette whose
requests were signed with those keys keeps their ``Authorization`` and ``X-Amz-Date``
and can be replayed strictly (see :mod:`._replay`); anything else is refused when the
cassette is loaded or written, so a real secret can never travel in a cassette.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..credentials import Credentials

__all__ = [
    "EXAMPLE_ACCESS_KEY_ID",
    "Cassette",
    "CassetteError",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "authorization_key_id",
    "canonical_body",
    "check_example_credentials",
    "load_cassette",
    "load_cassettes",
    "match_key",
]

#: The access key id of the AWS documentation's example credentials.
EXAMPLE_ACCESS_KEY_ID = "AKIDEXAMPLE"
#: SHA-256 of the documentation's example secret access key (the key is not stored here).
_EXAMPLE_SECRET_SHA256 = "e8a0614b6747a06ff9a2728dd2250bf13068310cd2550ebc3cecd4d287a4e259"  # noqa: S105
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class CassetteError(ValueError):
    """A cassette that cannot be loaded, written or used as asked."""


def _header(headers: Mapping[str, str], name: str) -> str:
    lname = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lname), "")


def canonical_body(body: str | bytes) -> str:
    """The body as matched: canonical JSON (sorted keys, no spaces), else the text."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


def match_key(method: str, headers: Mapping[str, str], body: str | bytes) -> tuple[str, str, str]:
    """What requests are matched on: method, target, canonical JSON body."""
    return method.upper(), _header(headers, "X-Amz-Target"), canonical_body(body)


def authorization_key_id(authorization: str) -> str | None:
    """The access key id in a SigV4 ``Authorization`` value (``Credential=KEY/...``)."""
    found = _CREDENTIAL.search(authorization)
    return found.group(1) if found else None


def check_example_credentials(credentials: Credentials) -> Credentials:
    """Return ``credentials`` if they are the AWS documentation's example keys (no token),
    else raise :class:`CassetteError` (whose message never holds the secret)."""
    digest = hashlib.sha256(credentials.secret_access_key.encode("utf-8")).hexdigest()
    if (
        credentials.access_key_id != EXAMPLE_ACCESS_KEY_ID
        or not hmac.compare_digest(digest, _EXAMPLE_SECRET_SHA256)
        or credentials.session_token is not None
    ):
        raise CassetteError(
            "example_credentials must be the AWS documentation's example keys "
            f"({EXAMPLE_ACCESS_KEY_ID} and its documented secret, no session token): "
            "a cassette never holds real credentials"
        )
    return credentials


def _check_optional_example(credentials: Credentials | None) -> None:
    if credentials is not None:
        check_example_credentials(credentials)


@attrs.frozen(kw_only=True)
class RecordedRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: str

    def header(self, name: str) -> str:
        """A header's value (case-insensitive name), or ``""``."""
        return _header(self.headers, name)


@attrs.frozen(kw_only=True)
class RecordedResponse:
    status: int
    headers: Mapping[str, str]
    body: str


@attrs.frozen(kw_only=True)
class Interaction:
    key: tuple[str, str, str]
    response: RecordedResponse
    #: The request as recorded (None only for interactions built by hand from a key).
    request: RecordedRequest | None = None

    @classmethod
    def of(cls, request: RecordedRequest, response: RecordedResponse) -> Interaction:
        """An interaction whose key is computed from ``request``."""
        return cls(
            key=match_key(request.method, request.headers, request.body),
            response=response,
            request=request,
        )


@attrs.define
class Cassette:
    """Interactions, served in order per request key; the last match repeats."""

    name: str
    interactions: list[Interaction]
    description: str = ""
    example_credentials: Credentials | None = attrs.field(
        default=None, validator=lambda _i, _a, v: _check_optional_example(v)
    )
    _served: dict[tuple[str, str, str], int] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def next_interaction(self, key: tuple[str, str, str]) -> Interaction | None:
        """The interaction to serve for ``key`` (advancing this cassette), or None."""
        matches = [i for i in self.interactions if i.key == key]
        if not matches:
            return None
        with self._lock:
            index = self._served.get(key, 0)
            self._served[key] = index + 1
        return matches[min(index, len(matches) - 1)]

    def next_response(self, key: tuple[str, str, str]) -> RecordedResponse | None:
        interaction = self.next_interaction(key)
        return None if interaction is None else interaction.response

    def fresh(self) -> Cassette:
        """A copy of this cassette that has served nothing yet."""
        return Cassette(
            self.name,
            list(self.interactions),
            description=self.description,
            example_credentials=self.example_credentials,
        )

    def arns(self) -> list[str]:
        found: list[str] = []
        for interaction in self.interactions:
            try:
                arn = json.loads(interaction.key[2]).get("batchInferenceJobArn")
            except (ValueError, AttributeError):
                continue
            if isinstance(arn, str) and arn not in found:
                found.append(arn)
        return found

    def to_document(self) -> dict[str, Any]:
        """The cassette as its version 1 JSON document."""
        doc: dict[str, Any] = {"version": 1}
        if self.description:
            doc["description"] = self.description
        if self.example_credentials is not None:
            doc["example_credentials"] = {
                "access_key_id": self.example_credentials.access_key_id,
                "secret_access_key": self.example_credentials.secret_access_key,
            }
        items = []
        for number, interaction in enumerate(self.interactions, start=1):
            if interaction.request is None:
                raise CassetteError(
                    f"cassette {self.name!r}: interaction {number} has no recorded request"
                )
            request, response = interaction.request, interaction.response
            items.append(
                {
                    "request": {
                        "method": request.method,
                        "url": request.url,
                        "headers": dict(request.headers),
                        "body": request.body,
                    },
                    "response": {
                        "status": response.status,
                        "headers": dict(response.headers),
                        "body": response.body,
                    },
                }
            )
        doc["interactions"] = items
        return doc

    def dumps(self) -> str:
        """The JSON text written by :meth:`save` (2-space indent, final newline)."""
        return json.dumps(self.to_document(), indent=2) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the cassette to ``path`` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.dumps(), encoding="utf-8")
        return target


def _example_credentials(path: Path, value: Any) -> Credentials:
    if not isinstance(value, dict) or set(value) != {"access_key_id", "secret_access_key"}:
        raise CassetteError(
            f"{path}: example_credentials must be an object with access_key_id and "
            "secret_access_key only"
        )
    try:
        credentials = Credentials(
            access_key_id=value["access_key_id"], secret_access_key=value["secret_access_key"]
        )
    except ValueError as exc:  # ParamValidationError: the message never holds the value
        raise CassetteError(f"{path}: example_credentials: {exc}") from None
    try:
        return check_example_credentials(credentials)
    except CassetteError as exc:
        raise CassetteError(f"{path}: {exc}") from None


def _parse(path: Path) -> Cassette:
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CassetteError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise CassetteError(f"{path}: not a version 1 cassette")
    interactions = []
    for number, item in enumerate(doc.get("interactions", []), start=1):
        try:
            request, response = item["request"], item["response"]
            interactions.append(
                Interaction.of(
                    RecordedRequest(
                        method=str(request["method"]),
                        url=str(request.get("url", "")),
                        headers=dict(request["headers"]),
                        body=request["body"],
                    ),
                    RecordedResponse(
                        status=int(response["status"]),
                        headers=dict(response.get("headers", {})),
                        body=response.get("body", ""),
                    ),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{path}: interaction {number} is malformed: {exc}") from exc
    example = doc.get("example_credentials")
    return Cassette(
        name=path.stem,
        interactions=interactions,
        description=str(doc.get("description", "")),
        example_credentials=None if example is None else _example_credentials(path, example),
    )


def load_cassette(path: str | Path) -> Cassette:
    """Load one cassette file."""
    return _parse(Path(path))


def load_cassettes(paths: Iterable[Path]) -> list[Cassette]:
    """Load cassette files; a directory contributes every ``*.json`` in it."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return [_parse(f) for f in files]
