"""pystorm compatibility: ``import pystorm`` code runs on stormbridge's runtime."""

from stormbridge import (
    BatchingBolt,
    Bolt,
    Component,
    ReliableSpout,
    Spout,
    TicklessBatchingBolt,
    Tuple,
)
from stormbridge import __version__ as __version__

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "ReliableSpout",
    "Spout",
    "TicklessBatchingBolt",
    "Tuple",
]
