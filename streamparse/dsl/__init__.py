"""``streamparse.dsl``: the topology DSL (stormbridge's, pure Python)."""

from stormbridge.dsl import Grouping, Stream, Topology

__all__ = ["Grouping", "Stream", "Topology"]
