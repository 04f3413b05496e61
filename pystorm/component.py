"""``pystorm.component``."""

from stormbridge.component import Component
from stormbridge.storm_logging import LogStream, StormHandler
from stormbridge.tuple import Tuple

__all__ = ["Component", "LogStream", "StormHandler", "Tuple"]
