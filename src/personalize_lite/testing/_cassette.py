"""Cassettes: recorded DescribeBatchInferenceJob exchanges (``fixtures/*.json``).

Format (version 1)::

    {"version": 1,
     "interactions": [
        {"request":  {"method": "POST", "url": "...", "headers": {...}, "body": "..."},
         "response": {"status": 200, "headers": {...}, "body": "..."}}]}

A request matches on method, ``X-Amz-Target`` and the canonical JSON body (never on
signature, date or host). Several matching interactions are served in order and the
last one repeats: that is how a cassette describes a job's life.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

__all__ = ["Cassette", "Interaction", "RecordedResponse", "load_cassettes", "match_key"]


def _header(headers: Mapping[str, str], name: str) -> str:
    lname = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lname), "")


def match_key(method: str, headers: Mapping[str, str], body: str | bytes) -> tuple[str, str, str]:
    """What requests are matched on: method, target, canonical JSON body."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return method.upper(), _header(headers, "X-Amz-Target"), canonical


@attrs.frozen(kw_only=True)
class RecordedResponse:
    status: int
    headers: Mapping[str, str]
    body: str


@attrs.frozen(kw_only=True)
class Interaction:
    key: tuple[str, str, str]
    response: RecordedResponse


@attrs.define
class Cassette:
    """Interactions, served in order per request key; the last match repeats."""

    name: str
    interactions: list[Interaction]
    _served: dict[tuple[str, str, str], int] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def next_response(self, key: tuple[str, str, str]) -> RecordedResponse | None:
        matches = [i.response for i in self.interactions if i.key == key]
        if not matches:
            return None
        with self._lock:
            index = self._served.get(key, 0)
            self._served[key] = index + 1
        return matches[min(index, len(matches) - 1)]

    def arns(self) -> list[str]:
        found: list[str] = []
        for interaction in self.interactions:
            try:
                arn = json.loads(interaction.key[2]).get("batchInferenceJobArn")
            except ValueError:
                continue
            if isinstance(arn, str) and arn not in found:
                found.append(arn)
        return found


def _parse(path: Path) -> Cassette:
    doc: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError(f"{path}: not a version 1 cassette")
    interactions = []
    for number, item in enumerate(doc.get("interactions", []), start=1):
        try:
            request, response = item["request"], item["response"]
            interactions.append(
                Interaction(
                    key=match_key(request["method"], request["headers"], request["body"]),
                    response=RecordedResponse(
                        status=int(response["status"]),
                        headers=dict(response.get("headers", {})),
                        body=response.get("body", ""),
                    ),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: interaction {number} is malformed: {exc}") from exc
    return Cassette(name=path.stem, interactions=interactions)


def load_cassettes(paths: Iterable[Path]) -> list[Cassette]:
    """Load cassette files; a directory contributes every ``*.json`` in it."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return [_parse(f) for f in files]
