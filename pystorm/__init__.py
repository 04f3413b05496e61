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

#: The pystorm API version this compatibility package provides (stormbridge's own version is
#: ``stormbridge.__version__``); a tuple, so ``pystorm.VERSION >= (3, 1)`` works as in pystorm.
__version__ = "3.1.4"
VERSION = (3, 1, 4)

__all__ = [
    "VERSION",
    "BatchingBolt",
    "Bolt",
    "Component",
    "ReliableSpout",
    "Spout",
    "TicklessBatchingBolt",
    "Tuple",
]
