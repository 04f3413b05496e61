"""``pystorm.bolt``."""

from stormbridge.runtime.batching import BatchingBolt, TicklessBatchingBolt
from stormbridge.runtime.bolt import Bolt

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt"]
