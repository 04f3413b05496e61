"""``pystorm.spout``."""

from stormbridge.spout import ReliableSpout, Spout

__all__ = ["ReliableSpout", "Spout"]
