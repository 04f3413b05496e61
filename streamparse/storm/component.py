"""``streamparse.storm.component``."""

from stormbridge.runtime.component import Component
from stormbridge.runtime.log import StormHandler
from stormbridge.runtime.tuple import Tuple

__all__ = ["Component", "StormHandler", "Tuple"]
