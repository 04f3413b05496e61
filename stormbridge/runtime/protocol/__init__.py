"""The multilang wire protocol: framing and codecs over injected byte streams.

Standard library only (orjson and msgpack are used when installed). Nothing here
touches ``sys.stdin``/``sys.stdout``: callers inject binary streams or descriptors.
Part of the worker runtime: it imports the standard library, ``stormbridge.errors`` and
itself only.
"""

from __future__ import annotations

from .codec import CODECS, DEFAULT_MAX_FRAME_SIZE, Codec, describe, make_codec, register_codec
from .json_codec import END, HAVE_ORJSON, JsonCodec
from .messages import (
    SPOUT_COMMANDS,
    check_handshake,
    check_spout_command,
    check_task_ids,
)
from .msgpack_codec import HAVE_MSGPACK, MsgpackCodec
from .streams import ByteSink, ByteSource
from .values import INT64_MAX, INT64_MIN, scan_values

__all__ = [
    "CODECS",
    "DEFAULT_MAX_FRAME_SIZE",
    "END",
    "HAVE_MSGPACK",
    "HAVE_ORJSON",
    "INT64_MAX",
    "INT64_MIN",
    "SPOUT_COMMANDS",
    "ByteSink",
    "ByteSource",
    "Codec",
    "JsonCodec",
    "MsgpackCodec",
    "check_handshake",
    "check_spout_command",
    "check_task_ids",
    "describe",
    "make_codec",
    "register_codec",
    "scan_values",
]
