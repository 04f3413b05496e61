"""``pystorm.serializers.serializer.Serializer``: pystorm's serializer interface over a codec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from stormbridge.runtime.protocol import Codec, make_codec

__all__ = ["Serializer"]


def _binary(stream: Any) -> BinaryIO | int:
    return getattr(stream, "buffer", stream)


class Serializer:
    """Reads and writes whole messages (``read_message`` / ``send_message``)."""

    codec_name = "json"

    def __init__(
        self,
        input_stream: Any,
        output_stream: Any = None,
        reader_lock: Any = None,
        writer_lock: Any = None,
    ) -> None:
        self.input_stream = input_stream
        self.output_stream = output_stream
        self.codec: Codec = make_codec(
            self.codec_name, _binary(input_stream), _binary(output_stream)
        )

    def read_message(self) -> Any:
        return self.codec.read_message()

    def send_message(self, msg: Mapping[str, Any]) -> None:
        self.codec.send(msg)
        self.codec.flush()

    def serialize_dict(self, msg: Mapping[str, Any]) -> bytes:
        return self.codec.encode(msg)
