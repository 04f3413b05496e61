"""``streamparse.dsl.stream``: ``_Grouping`` is stormbridge's :class:`StreamGrouping`."""

from stormbridge.dsl.stream import Grouping, Stream
from stormbridge.dsl.stream import StreamGrouping as _Grouping

__all__ = ["Grouping", "Stream", "_Grouping"]
