"""``streamparse.version``: the streamparse API version these compatibility packages provide.

``__version__``/``VERSION`` are streamparse's (``"5.0.1"``, ``(5, 0, 1)``), so the checks user
code makes (``streamparse.VERSION >= (4, 0)``) keep their meaning; stormbridge's own version is
``stormbridge.__version__``.
"""

__version__ = "5.0.1"
VERSION = (5, 0, 1)

__all__ = ["VERSION", "__version__"]
