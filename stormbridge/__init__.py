"""stormbridge: Python spouts and bolts on real Apache Storm.

The worker runtime names (``Spout``, ``Bolt``, …) are imported eagerly and use the
standard library only. The DSL names (``Topology``, ``Grouping``, ``Stream``, …) load
lazily on first access so that a worker process never imports the DSL.

This module is the package's public face and the one place that wires its layers
together (see ``docs/architecture.md``): the folders below import each other in one
direction only, ``errors`` < ``runtime`` < ``thrift`` < ``dsl`` < ``build`` < ``project``
< ``ui`` < ``storm`` < ``deploy`` < ``testing`` < ``cli``. A topology jar ships this
file, ``errors.py`` and ``runtime/`` alone.
"""

from __future__ import annotations

from typing import Any

from .runtime.batching import BatchingBolt, TicklessBatchingBolt
from .runtime.bolt import Bolt
from .runtime.component import Component, use_dsl
from .runtime.log import StormHandler
from .runtime.spout import ReliableSpout, Spout
from .runtime.tuple import Tuple

__version__ = "0.1.0"
VERSION = __version__

_DSL_NAMES = frozenset(
    {
        "Topology",
        "Grouping",
        "Stream",
        "ShellBolt",
        "ShellSpout",
        "JavaBolt",
        "JavaSpout",
        "KafkaSpout",
    }
)

__all__ = [
    "VERSION",
    "BatchingBolt",
    "Bolt",
    "Component",
    "Grouping",
    "JavaBolt",
    "JavaSpout",
    "KafkaSpout",
    "ReliableSpout",
    "ShellBolt",
    "ShellSpout",
    "Spout",
    "StormHandler",
    "Stream",
    "TicklessBatchingBolt",
    "Topology",
    "Tuple",
    "__version__",
]


def _dsl_component() -> Any:
    from .dsl import component

    return component


use_dsl(_dsl_component)


def __getattr__(name: str) -> Any:
    if name in _DSL_NAMES:
        try:
            from . import dsl
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("stormbridge"):
                raise
            raise ImportError(
                f"stormbridge.{name} is part of the topology DSL, which a topology jar does not "
                "ship to workers: import it in topology files, not in spout or bolt modules"
            ) from exc

        value = getattr(dsl, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stormbridge' has no attribute {name!r}")
