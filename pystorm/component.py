"""``pystorm.component``."""

from stormbridge.runtime.component import Component
from stormbridge.runtime.log import LogStream, StormHandler
from stormbridge.runtime.tuple import Tuple

__all__ = ["Component", "LogStream", "StormHandler", "Tuple"]
