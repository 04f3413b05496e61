"""``streamparse.storm.bolt``."""

from stormbridge.runtime.batching import BatchingBolt, TicklessBatchingBolt
from stormbridge.runtime.bolt import Bolt
from stormbridge.runtime.tuple import Tuple

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt", "Tuple"]
