"""``streamparse.spout``: same names as ``streamparse.storm.spout`` (``ShellSpout``/``JavaSpout``
load lazily)."""

from typing import Any

from .storm import spout as _spout
from .storm.spout import *  # noqa: F403
from .storm.spout import __all__ as __all__


def __getattr__(name: str) -> Any:
    return getattr(_spout, name)
