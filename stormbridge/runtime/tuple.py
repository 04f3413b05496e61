"""``Tuple``: what a bolt receives, and the per-(source, stream) namedtuple of its values."""

from __future__ import annotations

import keyword
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


def _identifier_part(text: str) -> str:
    # \w also matches characters no identifier may hold (``²``): those become ``_`` too
    part = _IDENTIFIER_RE.sub("_", text.title())
    return "".join(c if ("_" + c).isidentifier() else "_" for c in part)


def values_type_name(source: str, stream: str) -> str:
    """``Example_SpoutDefaultTuple`` for source ``example-spout``, stream ``default``; always
    a valid class name (characters that cannot be in one become ``_``)."""
    name = _identifier_part(source) + _identifier_part(stream) + "Tuple"
    return name if name.isidentifier() and not keyword.iskeyword(name) else "ValuesTuple"


def values_types(context: Mapping[str, Any]) -> dict[tuple[str, str], tuple[type, int]]:
    """``{(source, stream): (namedtuple type, field count)}`` from ``source->stream->fields``.

    Streams whose field names are not valid Python identifiers get ``rename=True``
    (``_0``, ``_1``, …), and source or stream ids that cannot be part of a class name are
    sanitised, rather than failing the whole component; a stream no namedtuple can be made for
    keeps plain tuples as values.
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
            try:
                kind = namedtuple(values_type_name(str(source), str(stream)), names, rename=True)  # type: ignore[misc]
            except (ValueError, TypeError):  # no namedtuple: the values stay a plain tuple
                continue
            result[(str(source), str(stream))] = (kind, len(names))
    return result
