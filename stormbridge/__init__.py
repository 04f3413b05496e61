"""stormbridge: Python spouts and bolts on real Apache Storm.

The worker runtime names (``Spout``, ``Bolt``, …) are imported eagerly and use the
standard library only. The DSL names (``Topology``, ``Grouping``, ``Stream``, …) load
lazily on first access so that a worker process never imports the DSL.
"""

from __future__ import annotations

__version__ = "0.1.0"
VERSION = __version__
