"""``pystorm.bolt``."""

from stormbridge.batching import BatchingBolt, TicklessBatchingBolt
from stormbridge.bolt import Bolt

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt"]
