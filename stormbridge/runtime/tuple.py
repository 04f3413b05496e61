"""``Tuple``: what a bolt receives, and the per-(source, stream) namedtuple of its values."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["HEARTBEAT_STREAM", "TICK_COMPONENT", "TICK_STREAM", "Tuple", "values_types"]

Tuple = namedtuple("Tuple", "id component stream task values")
Tuple.__doc__ = """A tuple Storm delivered: ``id`` (str), ``component`` (source component id),
``stream``, ``task`` (source task id, int) and ``values`` (a namedtuple named after the
source and stream when Storm told us the fields, else a plain tuple)."""

TICK_COMPONENT = "__system"
TICK_STREAM = "__tick"
HEARTBEAT_STREAM = "__heartbeat"

# Non-word characters and a leading digit become underscores (same names as pystorm).
_IDENTIFIER_RE = re.compile(r"\W|^(?=\d)")


def values_type_name(source: str, stream: str) -> str:
    """``Example_SpoutDefaultTuple`` for source ``example-spout``, stream ``default``."""
    return (
        _IDENTIFIER_RE.sub("_", source.title()) + _IDENTIFIER_RE.sub("_", stream.title()) + "Tuple"
    )


def values_types(context: Mapping[str, Any]) -> dict[tuple[str, str], tuple[type, int]]:
    """``{(source, stream): (namedtuple type, field count)}`` from ``source->stream->fields``.

    Streams whose field names are not valid Python identifiers get ``rename=True``
    (``_0``, ``_1``, …) rather than failing the whole component.
    """
    result: dict[tuple[str, str], tuple[type, int]] = {}
    sources = context.get("source->stream->fields") or {}
    if not isinstance(sources, Mapping):
        return result
    for source, streams in sources.items():
        if not isinstance(streams, Mapping):
            continue
        for stream, fields in streams.items():
            if not isinstance(fields, Sequence) or isinstance(fields, str):
                continue
            names = [str(field) for field in fields]
            kind = namedtuple(values_type_name(str(source), str(stream)), names, rename=True)  # type: ignore[misc]
            result[(str(source), str(stream))] = (kind, len(names))
    return result
