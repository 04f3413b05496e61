"""``pystorm.version``: the pystorm API version this compatibility package provides."""

from . import VERSION, __version__

__all__ = ["VERSION", "__version__"]
