"""stormbridge: Python spouts and bolts on real Apache Storm.

The worker runtime names (``Spout``, ``Bolt``, …) are imported eagerly and use the
standard library only. The DSL names (``Topology``, ``Grouping``, ``Stream``, …) load
lazily on first access so that a worker process never imports the DSL.
"""

from __future__ import annotations

from typing import Any

from .batching import BatchingBolt, TicklessBatchingBolt
from .bolt import Bolt
from .component import Component
from .spout import ReliableSpout, Spout
from .storm_logging import StormHandler
from .tuple import Tuple

__version__ = "0.1.0"
VERSION = __version__

_DSL_NAMES = frozenset(
    {"Topology", "Grouping", "Stream", "ShellBolt", "ShellSpout", "JavaBolt", "JavaSpout"}
)

__all__ = [
    "VERSION",
    "BatchingBolt",
    "Bolt",
    "Component",
    "Grouping",
    "JavaBolt",
    "JavaSpout",
    "ReliableSpout",
    "ShellBolt",
    "ShellSpout",
    "Spout",
    "StormHandler",
    "Stream",
    "TicklessBatchingBolt",
    "Topology",
    "Tuple",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _DSL_NAMES:
        from . import dsl

        value = getattr(dsl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stormbridge' has no attribute {name!r}")
