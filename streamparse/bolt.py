"""``streamparse.bolt``: same names as ``streamparse.storm.bolt`` (``ShellBolt``/``JavaBolt``
load lazily)."""

from typing import Any

from .storm import bolt as _bolt
from .storm.bolt import *  # noqa: F403
from .storm.bolt import __all__ as __all__


def __getattr__(name: str) -> Any:
    return getattr(_bolt, name)
