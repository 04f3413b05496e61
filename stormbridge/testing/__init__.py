"""Test helpers users can import: a fake Storm peer that drives one component over pipes.

Example (see ``docs/testing.md``)::

    from stormbridge.testing import StormPeer

    with StormPeer.run_component("bolts.wordcount.WordCountBolt", cwd="src") as storm:
        storm.handshake()
        storm.send_tuple(["dog"])
        emit, ack = storm.read(), storm.read()

Or run a whole topology in this process, no JVM (``docs/testing.md``)::

    from stormbridge.testing import run_topology

    result = run_topology(WordCount, spouts={"word_spout": [["dog"]]})
    assert result.emitted("count_bolt") == [["dog", 10]]

It may import every layer but the CLI.
"""

from .kafka import KafkaBroker
from .peer import PeerError, StormPeer, make_context
from .plan import TopologyRunError
from .runner import ComponentError, Emit, TopologyResult, TopologyRunner, run_topology
from .storm_reader import JsonStormReader, MsgpackStormReader, StormWouldDieError

__all__ = [
    "ComponentError",
    "Emit",
    "JsonStormReader",
    "KafkaBroker",
    "MsgpackStormReader",
    "PeerError",
    "StormPeer",
    "StormWouldDieError",
    "TopologyResult",
    "TopologyRunError",
    "TopologyRunner",
    "make_context",
    "run_topology",
    "topology_runner",
]


def __getattr__(name: str) -> object:
    if name == "topology_runner":  # the pytest fixture: pytest is imported only when asked for
        from .pytest_plugin import topology_runner

        return topology_runner
    raise AttributeError(f"module 'stormbridge.testing' has no attribute {name!r}")
