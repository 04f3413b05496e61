"""``streamparse.storm.component``."""

from stormbridge.component import Component
from stormbridge.storm_logging import StormHandler
from stormbridge.tuple import Tuple

__all__ = ["Component", "StormHandler", "Tuple"]
