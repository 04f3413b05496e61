"""``streamparse.component``: same names as ``streamparse.storm.component``."""

from .storm.component import *  # noqa: F403
from .storm.component import __all__ as __all__
