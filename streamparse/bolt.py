"""``streamparse.bolt``: same names as ``streamparse.storm.bolt``."""

from .storm.bolt import *  # noqa: F403
from .storm.bolt import __all__ as __all__
