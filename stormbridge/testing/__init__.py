"""Test helpers users can import: a fake Storm peer that drives one component over pipes.

Example (see ``docs/testing.md``)::

    from stormbridge.testing import StormPeer

    with StormPeer.run_component("bolts.wordcount.WordCountBolt", cwd="src") as storm:
        storm.handshake()
        storm.send_tuple(["dog"])
        emit, ack = storm.read(), storm.read()

It may import every layer but the CLI.
"""

from .peer import PeerError, StormPeer, make_context
from .storm_reader import JsonStormReader, MsgpackStormReader, StormWouldDieError

__all__ = [
    "JsonStormReader",
    "MsgpackStormReader",
    "PeerError",
    "StormPeer",
    "StormWouldDieError",
    "make_context",
]
