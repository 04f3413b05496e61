"""``streamparse.dsl.bolt``."""

from stormbridge.dsl.specs import JavaBoltSpec, ShellBoltSpec

__all__ = ["JavaBoltSpec", "ShellBoltSpec"]
