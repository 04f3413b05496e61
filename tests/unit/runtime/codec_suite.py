"""The conformance suite every codec must pass (imported by test_codecs.py).

A codec factory is ``factory(input_stream, output_stream, max_frame_size=...) -> Codec``.
Messages go out through ``encode``/``send`` and come back through ``read_message`` of a
second codec reading those same bytes, in any chunking.
"""

from __future__ import annotations

import io
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import pytest

from stormbridge.errors import (
    IntegerRangeError,
    ProtocolError,
    SerializationError,
    StormWentAwayError,
)
from stormbridge.runtime.protocol import Codec

Factory = Callable[..., Codec]

Point = namedtuple("Point", "x y")

ROUND_TRIP = [
    {"command": "emit", "tuple": ["dog", 1], "anchors": ["-1234"], "need_task_ids": False},
    {"id": "-6955786537413359385", "comp": "spout", "stream": "default", "task": 9, "tuple": ["a"]},
    {"command": "log", "msg": "multi\nline\nend\nnot a frame end", "level": 2},
    {"unicode": "héllo wörld ☃ 𝄞", "nested": {"a": [1, [2, [3, {"b": None}]]]}},
    {"ints": [0, -1, 2**63 - 1, -(2**63)], "floats": [0.5, -1e300], "bools": [True, False]},
    {"empty": [], "empty_obj": {}, "empty_str": ""},
    [1, 2, 3],
    [],
]


class CodecConformance:
    """Subclass and set ``factory``; pytest collects the tests."""

    factory: Factory

    def codec(self, data: bytes = b"", **kwargs: Any) -> tuple[Codec, io.BytesIO]:
        out = io.BytesIO()
        return self.factory(io.BytesIO(data), out, **kwargs), out

    def encoded(self, *messages: Any) -> bytes:
        codec, _ = self.codec()
        return b"".join(
            codec.encode(m) if isinstance(m, dict) else self._encode_list(codec, m)
            for m in messages
        )

    @staticmethod
    def _encode_list(codec: Codec, value: list[Any]) -> bytes:
        # Storm sends bare lists (task ids); codecs encode dicts, so frame a list by hand.
        wrapped = codec.encode({"v": value})
        if wrapped.endswith(b"\nend\n"):
            import json

            return json.dumps(value).encode() + b"\nend\n"
        import msgpack

        return msgpack.packb(value)

    # -- round trips ---------------------------------------------------------------
    @pytest.mark.parametrize("message", ROUND_TRIP)
    def test_round_trip(self, message: Any) -> None:
        reader, _ = self.codec(self.encoded(message))
        assert reader.read_message() == message

    def test_many_messages_one_stream(self) -> None:
        reader, _ = self.codec(self.encoded(*ROUND_TRIP))
        assert [reader.read_message() for _ in ROUND_TRIP] == ROUND_TRIP
        with pytest.raises(StormWentAwayError):
            reader.read_message()

    def test_byte_at_a_time(self) -> None:
        class Trickle(io.RawIOBase):
            def __init__(self, data: bytes) -> None:
                self.data = data

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: Any) -> int:
                if not self.data:
                    return 0
                buffer[0] = self.data[0]
                self.data = self.data[1:]
                return 1

        reader = self.factory(Trickle(self.encoded(*ROUND_TRIP)), io.BytesIO())
        assert [reader.read_message() for _ in ROUND_TRIP] == ROUND_TRIP

    def test_namedtuples_and_tuples_encode_as_arrays(self) -> None:
        reader, _ = self.codec(self.encoded({"tuple": Point(1, "a"), "t": (1, (2, 3))}))
        assert reader.read_message() == {"tuple": [1, "a"], "t": [1, [2, 3]]}

    # -- refusing bad values -------------------------------------------------------
    @pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30, [[2**64]], {"k": 2**70}])
    def test_ints_outside_int64_raise_before_writing(self, value: Any) -> None:
        codec, out = self.codec()
        with pytest.raises(IntegerRangeError, match="64-bit"):
            codec.send({"command": "emit", "tuple": [value]})
        codec.flush()
        assert out.getvalue() == b""

    @pytest.mark.parametrize("value", [{1, 2}, object(), "\ud800"])
    def test_unencodable_values_raise_serialization_error(self, value: Any) -> None:
        codec, out = self.codec()
        with pytest.raises(SerializationError):
            codec.send({"command": "emit", "tuple": [value]})
        codec.flush()
        assert out.getvalue() == b""

    # -- writes are buffered -------------------------------------------------------
    def test_writes_wait_for_flush_or_a_blocking_read(self) -> None:
        codec, out = self.codec(self.encoded({"command": "next"}, {"command": "ack"}))
        codec.send({"command": "sync"})
        assert out.getvalue() == b""
        codec.read_message()  # had to read from the stream: flushed first
        first = out.getvalue()
        assert first != b""
        codec.send({"command": "sync"})
        codec.read_message()  # a whole frame was already buffered: no flush
        assert out.getvalue() == first
        with pytest.raises(StormWentAwayError):
            codec.read_message()  # about to block again: flushes
        assert out.getvalue() == first * 2

    # -- bad input -----------------------------------------------------------------
    def test_eof_between_messages_is_storm_went_away(self) -> None:
        reader, _ = self.codec(b"")
        with pytest.raises(StormWentAwayError):
            reader.read_message()

    def test_eof_inside_a_message_is_a_protocol_error(self) -> None:
        data = self.encoded({"command": "next", "id": "x" * 50})
        reader, _ = self.codec(data[: len(data) // 2])
        with pytest.raises(ProtocolError) as info:
            reader.read_message()
        assert not isinstance(info.value, StormWentAwayError)

    def test_scalar_message_is_a_protocol_error(self) -> None:
        reader, _ = self.codec(self.scalar_frame())
        with pytest.raises(ProtocolError, match="int"):
            reader.read_message()

    def test_huge_message_is_a_protocol_error(self) -> None:
        data = self.encoded({"command": "log", "msg": "x" * 300_000})
        reader, _ = self.codec(data, max_frame_size=100_000)
        with pytest.raises(ProtocolError, match="larger than"):
            reader.read_message()

    def scalar_frame(self) -> bytes:
        raise NotImplementedError
