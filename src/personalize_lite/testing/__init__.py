"""Testing helpers: cassettes of recorded exchanges and a loopback server serving them."""

from ._cassette import Cassette, Interaction, RecordedResponse, load_cassettes, match_key
from ._server import FixtureServer, default_fixtures

__all__ = [
    "Cassette",
    "FixtureServer",
    "Interaction",
    "RecordedResponse",
    "default_fixtures",
    "load_cassettes",
    "match_key",
]
