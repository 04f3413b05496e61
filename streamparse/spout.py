"""``streamparse.spout``: same names as ``streamparse.storm.spout``."""

from .storm.spout import *  # noqa: F403
from .storm.spout import __all__ as __all__
