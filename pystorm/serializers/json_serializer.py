"""``pystorm.serializers.json_serializer.JSONSerializer``."""

from .serializer import Serializer

__all__ = ["JSONSerializer"]


class JSONSerializer(Serializer):
    """``\\nend\\n``-framed JSON."""

    codec_name = "json"
