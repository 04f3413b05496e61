"""``streamparse.storm``: the runtime classes under streamparse's old module paths."""

from stormbridge import (
    BatchingBolt,
    Bolt,
    Component,
    ReliableSpout,
    Spout,
    StormHandler,
    TicklessBatchingBolt,
    Tuple,
)

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "ReliableSpout",
    "Spout",
    "StormHandler",
    "TicklessBatchingBolt",
    "Tuple",
]
