"""``streamparse.storm``: the runtime classes under streamparse's old module paths."""

from stormbridge import (
    BatchingBolt,
    Bolt,
    Component,
    ReliableSpout,
    Spout,
    StormHandler,
    TicklessBatchingBolt,
    Tuple,
)

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "ReliableSpout",
    "Spout",
    "StormHandler",
    "TicklessBatchingBolt",
    "Tuple",
]

_DSL_NAMES = frozenset({"ShellBolt", "ShellSpout", "JavaBolt", "JavaSpout"})


def __getattr__(name: str) -> object:
    if name in _DSL_NAMES:  # DSL classes, loaded only when asked for (never in a worker)
        import stormbridge.dsl

        value = getattr(stormbridge.dsl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'streamparse.storm' has no attribute {name!r}")
