"""msgpack framing compatible with pystorm's ``-s msgpack``: objects back to back.

Storm ships no msgpack serializer; this needs a Java ``ISerializer`` on the worker
(``topology.multilang.serializer``). The ``msgpack`` package is optional: asking for
this codec without it raises a ProtocolError that says to install it.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from ...errors import ProtocolError, StormWentAwayError
from .codec import DEFAULT_MAX_FRAME_SIZE, Codec, describe, register_codec
from .streams import READ_SIZE

try:
    import msgpack as _msgpack
except ImportError:  # pragma: no cover - exercised when msgpack is absent
    _msgpack = None

__all__ = ["HAVE_MSGPACK", "MsgpackCodec"]

HAVE_MSGPACK = _msgpack is not None


class MsgpackCodec(Codec):
    """msgpack objects back to back, strings as UTF-8 ``str``, bytes as ``bin``."""

    name = "msgpack"

    def __init__(
        self,
        input_stream: BinaryIO | int,
        output_stream: BinaryIO | int,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        if _msgpack is None:
            raise ProtocolError(
                "the msgpack serializer needs the 'msgpack' package: pip install msgpack"
            )
        super().__init__(input_stream, output_stream, max_frame_size=max_frame_size)
        self._unpacker = _msgpack.Unpacker(
            raw=False,
            strict_map_key=False,
            max_buffer_size=max(max_frame_size, 2 * READ_SIZE),
        )
        self._fed = 0
        pack = _msgpack.Packer(use_bin_type=True, autoreset=True).pack
        self.dumps_fast = pack
        self.dumps_special = pack
        self._last = b""
        self._view = memoryview(bytearray(READ_SIZE))

    def read_message(self) -> Any:
        unpacker = self._unpacker
        while True:
            try:
                message = unpacker.unpack()
            except _msgpack.OutOfData:
                self._feed_more()
                continue
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                raise ProtocolError(
                    f"a message from Storm is not valid msgpack ({exc}); last bytes read: "
                    f"{describe(self._last[:100])}"
                ) from None
            if type(message) is dict or type(message) is list:
                return message
            raise ProtocolError(
                "expected a msgpack map (a command or tuple) or array (task ids) from Storm, "
                f"got {type(message).__name__}: {describe(message)}"
            )

    def _feed_more(self) -> None:
        if self.sink.pending():
            self.sink.flush()
        count = self.source.readinto(self._view)
        chunk = self._view[:count]
        if not count:
            if self._fed > self._unpacker.tell():
                raise ProtocolError(
                    "Storm closed the pipe in the middle of a msgpack message; last bytes "
                    f"read: {describe(self._last[-100:])}"
                )
            raise StormWentAwayError(
                "Storm went away: end of input from Storm (the worker closed the pipe)"
            )
        self._last = chunk[:100].tobytes()
        try:
            self._unpacker.feed(chunk)
        except _msgpack.BufferFull:
            raise ProtocolError(
                f"a message from Storm is larger than the {self.max_frame_size}-byte limit "
                f"(max_frame_size); it starts with {describe(chunk[:100].tobytes())}"
            ) from None
        self._fed += count


def _msgpack_factory(input_stream: Any, output_stream: Any, **kwargs: Any) -> MsgpackCodec:
    return MsgpackCodec(input_stream, output_stream, **kwargs)


register_codec("msgpack", _msgpack_factory)
