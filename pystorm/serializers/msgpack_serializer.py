"""``pystorm.serializers.msgpack_serializer.MsgpackSerializer``."""

from .serializer import Serializer

__all__ = ["MsgpackSerializer"]


class MsgpackSerializer(Serializer):
    """Back-to-back msgpack objects."""

    codec_name = "msgpack"
