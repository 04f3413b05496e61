"""``streamparse.dsl.spout``."""

from stormbridge.dsl.specs import JavaSpoutSpec, ShellSpoutSpec

__all__ = ["JavaSpoutSpec", "ShellSpoutSpec"]
