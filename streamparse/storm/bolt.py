"""``streamparse.storm.bolt``."""

from stormbridge.batching import BatchingBolt, TicklessBatchingBolt
from stormbridge.bolt import Bolt
from stormbridge.tuple import Tuple

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt", "Tuple"]
