"""Testing helpers: cassettes of recorded exchanges, a loopback server serving them and
playing the job lifecycle (``FixtureServer``, its live ``JobStore``), replay through respx
(``replay``, the pytest plugin) and recording (``RecordingTransport``).

Replay imports respx (the ``testing`` extra) only when a replay starts.
"""

from ._cassette import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
    load_cassettes,
    match_key,
)
from ._emulator import example_credentials
from ._fixtures import default_fixtures
from ._jobs import JobStore
from ._record import AsyncRecordingTransport, RecordingTransport
from ._replay import (
    CassetteMismatchError,
    Replay,
    ReplayedCall,
    bundled_cassettes,
    replay,
)
from ._server import FixtureServer

__all__ = [
    "AsyncRecordingTransport",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "FixtureServer",
    "Interaction",
    "JobStore",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingTransport",
    "Replay",
    "ReplayedCall",
    "bundled_cassettes",
    "default_fixtures",
    "example_credentials",
    "load_cassette",
    "load_cassettes",
    "match_key",
    "replay",
]
