"""``streamparse.version``: stormbridge's version under streamparse's module path."""

from stormbridge import VERSION, __version__

__all__ = ["VERSION", "__version__"]
