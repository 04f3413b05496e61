"""``streamparse.storm.spout``."""

from stormbridge.runtime.spout import ReliableSpout, Spout

__all__ = ["ReliableSpout", "Spout"]
