"""``streamparse.storm.spout``: the spout classes; ``ShellSpout``/``JavaSpout`` load from the
DSL on first use (a worker running a spout never imports the DSL)."""

from typing import Any

from stormbridge.runtime.spout import ReliableSpout, Spout

__all__ = ["ReliableSpout", "Spout"]

_DSL_NAMES = frozenset({"ShellSpout", "JavaSpout"})


def __getattr__(name: str) -> Any:
    if name in _DSL_NAMES:
        import stormbridge.dsl

        value = getattr(stormbridge.dsl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
