"""streamparse compatibility: existing ``from streamparse import ...`` code runs on stormbridge.

Runtime names are stormbridge's own classes. DSL names (``Topology``, ``Grouping``,
``Stream``, ``ShellBolt``, ...) load lazily from ``stormbridge.dsl`` on first access, so
a worker that only runs a bolt never imports the DSL.
"""

from __future__ import annotations

from typing import Any

import stormbridge
from stormbridge import (
    _DSL_NAMES,
    BatchingBolt,
    Bolt,
    ReliableSpout,
    Spout,
    StormHandler,
    TicklessBatchingBolt,
    Tuple,
)

from .version import VERSION, __version__

__all__ = [
    "VERSION",
    "BatchingBolt",
    "Bolt",
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
    if name in _DSL_NAMES:  # loaded on first use, as in stormbridge itself
        value = getattr(stormbridge, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'streamparse' has no attribute {name!r}")
