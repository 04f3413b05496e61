"""``streamparse.storm.bolt``: the bolt classes; ``ShellBolt``/``JavaBolt`` load from the DSL
on first use (a worker running a bolt never imports the DSL)."""

from typing import Any

from stormbridge.runtime.batching import BatchingBolt, TicklessBatchingBolt
from stormbridge.runtime.bolt import Bolt
from stormbridge.runtime.tuple import Tuple

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt", "Tuple"]

_DSL_NAMES = frozenset({"ShellBolt", "JavaBolt"})


def __getattr__(name: str) -> Any:
    if name in _DSL_NAMES:
        import stormbridge.dsl

        value = getattr(stormbridge.dsl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
