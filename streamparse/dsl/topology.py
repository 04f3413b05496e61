"""``streamparse.dsl.topology``."""

from stormbridge.dsl.topology import Topology, TopologyType

__all__ = ["Topology", "TopologyType"]
